/** deepmad train — trains a histogram random forest on labelled flows and writes ONNX + card + CV report. */
import path from 'node:path';
import type { Command } from '../deepmad.js';
import { parseArgs, one, num, list } from '../../lib/ml/cli-args.js';
import { concatDatasets, loadCsvDataset, type Dataset } from '../../lib/ml/dataset.js';
import { trainModel, writeModel, DEFAULT_THRESHOLD_BOOTSTRAP } from '../../lib/ml/train.js';
import type { Preprocessing } from '../../lib/ml/card.js';
import { expandDataFiles } from '../util/data-files.js';

const usage = `deepmad train --data <csv|h5|dir ...> [--label-column Label] [--benign BENIGN[,…]] [--profile improved] -o model.onnx
  [--trees 100] [--max-depth 40] [--max-features N] [--min-samples-leaf 1] [--seed 1] [--folds 5]
  [--threshold 0.5|auto] [--max-benign-flagged 0.001] [--inner-folds 3] [--threshold-source <folder>,…] [--threshold-bootstrap 100]
  [--boost] [--boost-iterations 300] [--boost-learning-rate 0.1] [--boost-leaves 31] [--boost-min-samples-leaf 5] [--boost-l2 0]
  [--exclude col,…] [--columns col,…] [--class-weight balanced] [--name NAME] [--detector|--flat]
  [--source-weight <folder>=<w>,…] [--note "provenance text for the card"]

Trains a histogram random forest, prints a stratified cross-validation report (per-class precision,
recall, F1, confusion matrix, macro-F1, attack-vs-benign F1), and writes model.onnx, model.onnx.card.json,
model.onnx.report.txt and model.onnx.report.json. --threshold auto picks the decision threshold with
the best attack-vs-benign F1 among those flagging at most --max-benign-flagged of the benign rows, by
nested CV (each outer fold's threshold from an inner --inner-folds CV on its training rows, so the report is
an honest estimate; the final threshold from the outer held-out predictions). Each choice is averaged
over --threshold-bootstrap resamples of the predictions (0 = one choice): the budget makes the single
choice hinge on the two or three highest-scoring benign rows. With several data sources
the budget holds in each of them; --threshold-source limits the choice to those sources' rows. Identifier columns (Flow ID, IPs, source port,
timestamp) are never used as features. A directory means every *.csv / *.h5 in it.
With one benign label (the usual case) two forests are trained into one ONNX graph: a benign-vs-attack
detector that makes the decision and an attack-type forest (attack rows only) that names the attack
(--detector forces it); --flat trains one multi-class forest instead. --boost (or any --boost-* option)
also trains gradient-boosted trees (logistic loss, leaf-wise, histogram splits) on benign-vs-attack
and averages their P(attack) with the detector forest's: the two err on different rows.`;

export const command: Command = {
  summary: 'train a flow classifier (histogram random forest → ONNX + model card + CV report)',
  usage,
  async run(argv) {
    const a = parseArgs(argv, {
      values: ['note', 'source-weight', 'data', 'label-column', 'benign', 'profile', 'out', 'trees', 'max-depth', 'max-features', 'min-samples-leaf', 'max-benign-flagged', 'seed', 'folds', 'threshold', 'exclude', 'columns', 'class-weight', 'name', 'inner-folds', 'threshold-source', 'threshold-bootstrap', 'boost-iterations', 'boost-learning-rate', 'boost-leaves', 'boost-min-samples-leaf', 'boost-l2'],
      flags: ['detector', 'flat', 'boost'],
      aliases: { '-o': 'out' },
    });
    const data = expandDataFiles([...(a.values.get('data') ?? []), ...a.positionals]);
    const out = one(a, 'out');
    if (data.length === 0 || !out) {
      console.error(`usage: ${usage}`);
      return 2;
    }
    const labelColumn = one(a, 'label-column', 'Label')!;
    const benign = list(a, 'benign');
    const csvs = data.filter((f) => !/\.(h5|hdf5)$/i.test(f));
    const h5s = data.filter((f) => /\.(h5|hdf5)$/i.test(f));
    const columns = list(a, 'columns');
    const parts: Dataset[] = [];
    let preprocessing: Preprocessing | undefined;
    if (csvs.length) {
      parts.push(loadCsvDataset(csvs, { labelColumn, exclude: list(a, 'exclude'), columns: columns.length ? columns : undefined }));
    }
    if (h5s.length) {
      if (csvs.length) throw new Error('mixing CSV (raw) and HDF5 (normalized) training data is not supported; convert one to the other first');
      const { loadH5Dataset } = await import('../../lib/ml/dataset-h5.js');
      for (const f of h5s) {
        const r = await loadH5Dataset(f);
        if (!r.preprocessing) throw new Error(`${f}: normalized rows without a deepmad-scaler attribute; the model card could not describe the preprocessing`);
        preprocessing ??= r.preprocessing;
        parts.push(r.ds);
      }
    }
    const ds = parts.length === 1 ? parts[0] : concatDatasets(parts);
    const benignLabels = benign.length ? benign : ds.labels.filter((l) => /^(benign|normal)$/i.test(l));
    if (benignLabels.length === 0) throw new Error(`no benign label found among ${ds.labels.join(', ')}; name it with --benign`);
    console.log(`data: ${ds.rows} rows, ${ds.columns.length} feature columns, ${ds.labels.length} classes${ds.skipped ? ` (${ds.skipped} unlabelled rows skipped)` : ''}`);
    const cw = one(a, 'class-weight');
    if (cw !== undefined && cw !== 'balanced' && cw !== 'none') throw new Error('--class-weight must be balanced or none');
    const res = trainModel(ds, {
      benignLabels,
      profile: one(a, 'profile', 'improved')!,
      folds: num(a, 'folds', 5, 0),
      threshold: one(a, 'threshold') === 'auto' ? 'auto' : num(a, 'threshold', 0.5, 0),
      maxBenignFlagged: num(a, 'max-benign-flagged', 0.001, 0),
      innerFolds: num(a, 'inner-folds', 3, 2),
      thresholdBootstrap: num(a, 'threshold-bootstrap', DEFAULT_THRESHOLD_BOOTSTRAP, 0),
      thresholdSources: list(a, 'threshold-source'),
      boosting: a.flags.has('boost') || [...a.values.keys()].some((k) => k.startsWith('boost-')) ? {
        iterations: num(a, 'boost-iterations', 300, 1), learningRate: num(a, 'boost-learning-rate', 0.1, 1e-6),
        maxLeaves: num(a, 'boost-leaves', 31, 2), minSamplesLeaf: num(a, 'boost-min-samples-leaf', 5, 1), l2: num(a, 'boost-l2', 0, 0),
      } : null,
      name: one(a, 'name', path.basename(out).replace(/\.onnx$/i, '')),
      preprocessing,
      detector: a.flags.has('flat') ? false : a.flags.has('detector') ? true : undefined,
      sourceWeights: Object.fromEntries(list(a, 'source-weight').map((kv) => {
        const [k, v] = kv.split('=');
        if (!k || !Number.isFinite(Number(v)) || Number(v) < 0) throw new Error(`--source-weight wants name=weight (the data file's folder name), got "${kv}"`);
        return [k, Number(v)];
      })),
      forest: {
        trees: num(a, 'trees', 100, 1), maxDepth: num(a, 'max-depth', 40, 1), minSamplesLeaf: num(a, 'min-samples-leaf', 1, 1), seed: num(a, 'seed', 1),
        maxFeatures: a.values.has('max-features') ? num(a, 'max-features', 0, 1) : undefined,
        classWeight: cw === 'balanced' ? 'balanced' : null,
      },
      provenance: {
        command: `deepmad train ${argv.map((x) => (/[\s"]/.test(x) ? JSON.stringify(x) : x)).join(' ')}`,
        data: data.map((f) => path.relative(process.cwd(), f) || f),
        ...(a.values.has('note') ? { note: one(a, 'note') } : {}),
      },
      log: (l) => console.log(l),
    });
    if (res.reportText) console.log(`\n${res.reportText}\n`);
    for (const f of writeModel(out, res)) console.log(`wrote ${f}`);
    return 0;
  },
};
