/**
 * Training pipeline: stratified k-fold cross-validation report, then a final forest on all rows,
 * exported to ONNX with its model card (card also embedded in the ONNX metadata).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ModelCard, Preprocessing } from './card.js';
import type { Dataset } from './dataset.js';
import { forestToOnnx, hierarchicalToOnnx } from './export-forest.js';
import { defaultForestOptions, predictProba, trainForest, type Forest, type ForestOptions } from './forest.js';
import { defaultBoostingOptions, predictBoosted, trainBoosting, type BoostedTrees, type BoostingOptions } from './boosting.js';
import { evaluate, formatReport, stratifiedFolds, type EvaluationReport } from './metrics.js';
import { Random } from './random.js';

/** bootstrap resamples the 'auto' threshold is averaged over (TrainOptions.thresholdBootstrap) */
export const DEFAULT_THRESHOLD_BOOTSTRAP = 100;

export interface TrainOptions {
  benignLabels: string[];
  profile: string;
  forest?: Partial<ForestOptions>;
  /**
   * two-stage model: a benign-vs-attack detector forest decides, an attack-type forest (attack rows
   * only) names the attack. Needs exactly one benign label. Default false (one multi-class forest).
   */
  detector?: boolean;
  /**
   * with `detector`: also train gradient-boosted trees on benign-vs-attack and average their
   * P(attack) with the detector forest's (null/undefined = forest only)
   */
  boosting?: Partial<BoostingOptions> | null;
  /** relative weight of rows per data source (Dataset.sourceNames), default 1 */
  sourceWeights?: Record<string, number>;
  /** cross-validation folds; 0 or 1 = no CV */
  folds?: number;
  /**
   * P(attack) at which a flow is flagged, or 'auto': chosen from out-of-fold predictions as the
   * threshold with the best attack-vs-benign F1 among those flagging at most `maxBenignFlagged` of
   * the benign rows. With 'auto' the CV report is nested: each outer fold's threshold is chosen by
   * an inner CV on that fold's training rows only, so the reported numbers never saw their threshold
   * being picked; the final model's threshold is chosen on the outer CV's held-out predictions.
   */
  threshold?: number | 'auto';
  /** the benign-flagged rate 'auto' may not exceed (default 0.001) */
  maxBenignFlagged?: number;
  /** inner folds for 'auto' (default 3) */
  innerFolds?: number;
  /**
   * 'auto' averages the threshold chosen on this many bootstrap resamples of the held-out predictions
   * (default 100; 0 = one choice on the predictions as they are). See `baggedThreshold`.
   */
  thresholdBootstrap?: number;
  /**
   * data sources (Dataset.sourceNames) whose held-out rows pick the 'auto' threshold; default all.
   * For auxiliary data whose benign and attack rows overlap on purpose (look-alike lab traffic) while
   * the false-alarm budget is defined on the main data.
   */
  thresholdSources?: string[];
  name?: string;
  description?: string;
  provenance?: Record<string, unknown>;
  nonFinite?: 'zero' | 'clamp';
  /** preprocessing already applied to the training rows (the card repeats it for raw flows); default none */
  preprocessing?: Preprocessing;
  log?: (line: string) => void;
}

export interface TrainResult {
  onnx: Uint8Array;
  card: ModelCard;
  report: EvaluationReport | null;
  reportText: string;
  trainMs: number;
  nodes: number;
}

function argmaxRows(p: Float32Array, rows: number, C: number, benign: Uint8Array, threshold: number): Int32Array {
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let pb = 0, bestA = -1, bestB = -1;
    for (let c = 0; c < C; c++) {
      const v = p[i * C + c];
      if (benign[c]) { pb += v; if (bestB < 0 || v > p[i * C + bestB]) bestB = c; }
      else if (bestA < 0 || v > p[i * C + bestA]) bestA = c;
    }
    out[i] = bestA >= 0 && (bestB < 0 || 1 - pb >= threshold) ? bestA : bestB;
  }
  return out;
}

function gatherRows(ds: Dataset, idx: number[]): Float32Array {
  const F = ds.columns.length;
  const x = new Float32Array(idx.length * F);
  idx.forEach((i, j) => x.set(ds.x.subarray(i * F, i * F + F), j * F));
  return x;
}

/** A trained model in card label order: predict() gives probabilities [rows × labels]. */
interface Fitted {
  labels: string[];
  predict(x: Float32Array, rows: number): Float32Array;
  toOnnx(metadata: Record<string, string>): Uint8Array;
  nodes: number;
  trees: number;
}

/** Card label order: the flat model keeps the dataset's order; the two-stage model puts the benign label first. */
function modelLabels(ds: Dataset, opts: TrainOptions): string[] {
  if (!opts.detector) return ds.labels;
  const benign = opts.benignLabels.filter((b) => ds.labels.includes(b));
  if (benign.length !== 1) throw new Error(`the detector model needs exactly one benign label present in the data, got ${benign.join(', ') || 'none'}`);
  return [benign[0], ...ds.labels.filter((l) => l !== benign[0])];
}

function rowWeights(ds: Dataset, opts: TrainOptions): Float32Array | undefined {
  if (!opts.sourceWeights || !ds.source || !ds.sourceNames) return undefined;
  const w = ds.sourceNames.map((n) => opts.sourceWeights![n] ?? 1);
  return Float32Array.from(ds.source, (s) => w[s]);
}

function fit(ds: Dataset, opts: TrainOptions, fo: ForestOptions, rowIndex?: Uint32Array): Fitted {
  const F = ds.columns.length;
  const sw = rowWeights(ds, opts);
  const labels = modelLabels(ds, opts);
  const count = (f: Forest): number => f.trees.reduce((s, t) => s + t.feature.length, 0);
  if (!opts.detector) {
    const { forest } = trainForest(ds.x, ds.y, F, ds.labels.length, fo, rowIndex, sw);
    return { labels, predict: (x, rows) => predictProba(forest, x, rows), toOnnx: (m) => forestToOnnx(forest, ds.labels, m), nodes: count(forest), trees: forest.trees.length };
  }
  const benignIdx = ds.labels.indexOf(labels[0]);
  const attackLabels = labels.slice(1);
  const idx = rowIndex ?? Uint32Array.from({ length: ds.rows }, (_, i) => i);
  const yBin = new Uint16Array(ds.rows);
  const yType = new Uint16Array(ds.rows);
  const attackRows: number[] = [];
  for (const i of idx) {
    const isAttack = ds.y[i] !== benignIdx;
    yBin[i] = isAttack ? 1 : 0;
    if (isAttack) { yType[i] = attackLabels.indexOf(ds.labels[ds.y[i]]); attackRows.push(i); }
  }
  const detector = trainForest(ds.x, yBin, F, 2, fo, idx, sw).forest;
  const boosted: BoostedTrees | null = opts.boosting ? trainBoosting(ds.x, yBin, F, { ...defaultBoostingOptions, ...opts.boosting }, idx, sw).model : null;
  const types = attackLabels.length > 1 && attackRows.length > 0 ? trainForest(ds.x, yType, F, attackLabels.length, { ...fo, seed: fo.seed + 1 }, Uint32Array.from(attackRows), sw).forest : null;
  const A = attackLabels.length;
  return {
    labels,
    predict(x, rows) {
      const pd = predictProba(detector, x, rows);
      if (boosted) {
        const pg = predictBoosted(boosted, x, rows);
        for (let r = 0; r < rows; r++) {
          // same float32 arithmetic as the ONNX graph: (rf + gb) * 0.5, benign = 1 - attack
          const pa = Math.fround(Math.fround(pd[r * 2 + 1] + pg[r]) * 0.5);
          pd[r * 2 + 1] = pa;
          pd[r * 2] = Math.fround(1 - pa);
        }
      }
      const pt = types ? predictProba(types, x, rows) : null;
      const out = new Float32Array(rows * (A + 1));
      for (let r = 0; r < rows; r++) {
        out[r * (A + 1)] = pd[r * 2];
        for (let a = 0; a < A; a++) out[r * (A + 1) + 1 + a] = pd[r * 2 + 1] * (pt ? pt[r * A + a] : 1);
      }
      return out;
    },
    toOnnx: (m) => hierarchicalToOnnx(detector, types, labels[0], attackLabels, m, boosted),
    nodes: count(detector) + (types ? count(types) : 0) + (boosted ? boosted.trees.reduce((s, t) => s + t.feature.length, 0) : 0),
    trees: detector.trees.length + (types ? types.trees.length : 0) + (boosted ? boosted.trees.length : 0),
  };
}

/** Fills in the detector default: two-stage when exactly one benign label occurs in the data. */
function withDefaults(ds: Dataset, opts: TrainOptions): TrainOptions {
  if (opts.detector !== undefined) return opts;
  return { ...opts, detector: opts.benignLabels.filter((b) => ds.labels.includes(b)).length === 1 };
}

/** P(attack) for `rows`, each predicted by a model fitted on the other folds of `rows`. */
function outOfFoldAttack(ds: Dataset, opts: TrainOptions, fo: ForestOptions, rows: number[], k: number, seed: number): Float32Array {
  const labels = modelLabels(ds, opts);
  const C = labels.length;
  const benign = benignMask(labels, opts.benignLabels);
  const fold = stratifiedFolds(Uint16Array.from(rows, (i) => ds.y[i]), ds.labels.length, k, seed);
  const out = new Float32Array(rows.length);
  for (let f = 0; f < k; f++) {
    const train: number[] = [];
    const test: number[] = [];
    rows.forEach((i, j) => (fold[j] === f ? test : train).push(j));
    if (test.length === 0 || train.length === 0) continue;
    const model = fit(ds, opts, fo, Uint32Array.from(train, (j) => rows[j]));
    const p = model.predict(gatherRows(ds, test.map((j) => rows[j])), test.length);
    test.forEach((j, t) => {
      let pb = 0;
      for (let c = 0; c < C; c++) if (benign[c]) pb += p[t * C + c];
      out[j] = 1 - pb;
    });
  }
  return out;
}

/**
 * The threshold with the best attack-vs-benign F1 among those that flag at most `maxBenign` of the
 * benign rows (ties: the higher threshold, fewer false alarms); when none does, the one flagging fewest.
 * With `group` (e.g. the data source of each row) the budget holds in every group on its own, so easy
 * benign rows of one source cannot buy false alarms in another.
 */
export function chooseThreshold(pAttack: ArrayLike<number>, isAttack: ArrayLike<number | boolean>, maxBenign: number, group?: ArrayLike<number>): number {
  let best = 0.5, bestF1 = -1, fewest = 0.5, fewestFp = Infinity;
  let G = 1;
  if (group) for (let i = 0; i < group.length; i++) G = Math.max(G, group[i] + 1);
  const benignRows = new Float64Array(G);
  for (let i = 0; i < pAttack.length; i++) if (!isAttack[i]) benignRows[group ? group[i] : 0]++;
  const fpIn = new Float64Array(G);
  for (let step = 4; step <= 78; step++) {
    const th = step / 80; // 0.05 … 0.975 in steps of 0.0125
    let tp = 0, fp = 0, fn = 0;
    fpIn.fill(0);
    for (let i = 0; i < pAttack.length; i++) {
      const flagged = pAttack[i] >= th;
      if (isAttack[i]) { if (flagged) tp++; else fn++; } else if (flagged) { fp++; fpIn[group ? group[i] : 0]++; }
    }
    const f1 = tp ? (2 * tp) / (2 * tp + fp + fn) : 0;
    if (fp <= fewestFp) { fewestFp = fp; fewest = th; }
    let within = true;
    for (let g = 0; g < G; g++) if (fpIn[g] > maxBenign * benignRows[g]) within = false;
    if (within && f1 >= bestF1) { bestF1 = f1; best = th; }
  }
  return bestF1 < 0 ? fewest : best;
}

/**
 * `chooseThreshold` averaged over `resamples` bootstrap resamples of the rows (deterministic for a
 * seed; 0 resamples = `chooseThreshold` itself). Why: the budget makes the choice an extreme order
 * statistic — with 0.1 % of 2000 benign rows allowed, the threshold lands just above the third
 * highest-scoring benign row, so one or two attack-like benign rows move it from 0.75 to 0.93 and cost
 * dozens of attacks. Averaging over resamples (bagging the estimator) smooths that jump. Nested CV on
 * the improved CIC-IDS2017 sample (models/README.md): F1 0.99938 / 0.99943 / 0.99954 for seeds 1-3
 * with ≤ 2/2500 benign flagged, against 0.99903 / 0.99945 / 0.99936 for the single choice.
 */
export function baggedThreshold(pAttack: ArrayLike<number>, isAttack: ArrayLike<number | boolean>, maxBenign: number, group: ArrayLike<number> | undefined, resamples: number, seed: number): number {
  if (resamples <= 0 || pAttack.length === 0) return chooseThreshold(pAttack, isAttack, maxBenign, group);
  const n = pAttack.length;
  const rng = new Random(seed);
  const p = new Float64Array(n);
  const a = new Uint8Array(n);
  const g = group ? new Uint16Array(n) : undefined;
  let sum = 0;
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) {
      const j = rng.int(n);
      p[i] = pAttack[j];
      a[i] = isAttack[j] ? 1 : 0;
      if (g) g[i] = group![j];
    }
    sum += chooseThreshold(p, a, maxBenign, g);
  }
  // four decimals: the card shows it, and nothing finer is meaningful at this sample size
  return Math.round((sum / resamples) * 1e4) / 1e4;
}

/**
 * The 'auto' threshold from held-out predictions `p` of `rows` (dataset row indices, p[j] for
 * rows[j]): only rows of opts.thresholdSources take part (every row without it), and the benign
 * budget holds in each data source.
 */
function autoThreshold(ds: Dataset, opts: TrainOptions, rows: ArrayLike<number>, p: ArrayLike<number>, seed: number): number {
  let want: Set<number> | null = null;
  if (opts.thresholdSources?.length) {
    if (!ds.source || !ds.sourceNames) throw new Error('--threshold-source needs data from more than one source');
    want = new Set(opts.thresholdSources.map((n) => {
      const s = ds.sourceNames!.indexOf(n);
      if (s < 0) throw new Error(`threshold source "${n}" is not one of the data sources: ${ds.sourceNames!.join(', ')}`);
      return s;
    }));
  }
  const pick: number[] = [];
  for (let j = 0; j < rows.length; j++) if (!want || want.has(ds.source![rows[j]])) pick.push(j);
  return baggedThreshold(
    pick.map((j) => p[j]),
    pick.map((j) => (opts.benignLabels.includes(ds.labels[ds.y[rows[j]]]) ? 0 : 1)),
    opts.maxBenignFlagged ?? 0.001,
    ds.source ? pick.map((j) => ds.source![rows[j]]) : undefined,
    opts.thresholdBootstrap ?? DEFAULT_THRESHOLD_BOOTSTRAP,
    seed,
  );
}

export function crossValidate(ds: Dataset, options: TrainOptions): { report: EvaluationReport; attackProbability: Float32Array; foldThresholds: number[] } {
  const opts = withDefaults(ds, options);
  const k = opts.folds ?? 5;
  const fo: ForestOptions = { ...defaultForestOptions, ...opts.forest };
  const labels = modelLabels(ds, opts);
  const C = labels.length;
  // dataset class index → model label index
  const toModel = ds.labels.map((l) => labels.indexOf(l));
  const benign = benignMask(labels, opts.benignLabels);
  const fold = stratifiedFolds(ds.y, ds.labels.length, k, fo.seed);
  const pred = new Int32Array(ds.rows);
  const pAttack = new Float32Array(ds.rows);
  const foldThresholds: number[] = [];
  for (let f = 0; f < k; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < ds.rows; i++) (fold[i] === f ? test : train).push(i);
    if (test.length === 0) continue;
    let threshold = typeof opts.threshold === 'number' ? opts.threshold : 0.5;
    if (opts.threshold === 'auto') {
      // nested: the threshold comes from this fold's training rows alone
      const inner = outOfFoldAttack(ds, opts, fo, train, opts.innerFolds ?? 3, fo.seed + 100 + f);
      threshold = autoThreshold(ds, opts, train, inner, fo.seed + 200 + f);
    }
    foldThresholds.push(threshold);
    const model = fit(ds, opts, fo, Uint32Array.from(train));
    const p = model.predict(gatherRows(ds, test), test.length);
    const verdicts = argmaxRows(p, test.length, C, benign, threshold);
    test.forEach((i, j) => {
      pred[i] = verdicts[j];
      let pb = 0;
      for (let c = 0; c < C; c++) if (benign[c]) pb += p[j * C + c];
      pAttack[i] = 1 - pb;
    });
    opts.log?.(`  fold ${f + 1}/${k}: ${train.length} train / ${test.length} held-out rows, threshold ${threshold}`);
  }
  const yTrue = Int32Array.from(ds.y, (v) => toModel[v]);
  const report = evaluate(labels, opts.benignLabels, yTrue, pred);
  if (ds.source && ds.sourceNames) {
    report.bySource = {};
    ds.sourceNames.forEach((name, s) => {
      const idx: number[] = [];
      for (let i = 0; i < ds.rows; i++) if (ds.source![i] === s) idx.push(i);
      report.bySource![name] = evaluate(labels, opts.benignLabels, idx.map((i) => yTrue[i]), idx.map((i) => pred[i]));
    });
  }
  return { report, attackProbability: pAttack, foldThresholds };
}

function benignMask(labels: string[], benignLabels: string[]): Uint8Array {
  const m = new Uint8Array(labels.length);
  const missing = benignLabels.filter((b) => !labels.includes(b));
  if (missing.length === benignLabels.length) {
    throw new Error(`none of the benign label(s) ${benignLabels.join(', ')} occur in the data (labels: ${labels.join(', ')})`);
  }
  for (const b of benignLabels) if (labels.includes(b)) m[labels.indexOf(b)] = 1;
  return m;
}

export function trainModel(ds: Dataset, options: TrainOptions): TrainResult {
  const opts = withDefaults(ds, options);
  if (ds.rows < 2) throw new Error(`need at least 2 labelled rows, got ${ds.rows}`);
  if (ds.labels.length < 2) throw new Error(`need at least two classes, got only "${ds.labels[0]}"`);
  benignMask(ds.labels, opts.benignLabels);
  const fo: ForestOptions = { ...defaultForestOptions, ...opts.forest };
  const bo: BoostingOptions | null = opts.detector && opts.boosting ? { ...defaultBoostingOptions, ...opts.boosting } : null;
  const kind = opts.detector ? `detector${bo ? ` (forest + ${bo.iterations} boosted trees)` : ''} + attack-type forests` : 'forest';
  let threshold = typeof opts.threshold === 'number' ? opts.threshold : 0.5;
  let thresholdNote = '';
  let report: EvaluationReport | null = null;
  let reportText = '';
  const k = opts.folds ?? 5;
  const minClass = Math.min(...ds.labels.map((_, c) => ds.y.reduce((s, v) => s + (v === c ? 1 : 0), 0)));
  if (k > 1) {
    opts.log?.(`cross-validating (${k} stratified folds, seed ${fo.seed})`);
    const cv = crossValidate(ds, opts);
    report = cv.report;
    if (opts.threshold === 'auto') {
      threshold = autoThreshold(ds, opts, Uint32Array.from({ length: ds.rows }, (_, i) => i), cv.attackProbability, fo.seed + 300);
      thresholdNote = `nested threshold choice (best F1 with ≤ ${((opts.maxBenignFlagged ?? 0.001) * 100).toFixed(2)} % benign flagged${opts.thresholdSources?.length ? ` on the held-out rows of ${opts.thresholdSources.join(', ')}` : ds.source ? ' in every data source' : ''}${(opts.thresholdBootstrap ?? DEFAULT_THRESHOLD_BOOTSTRAP) > 0 ? `, averaged over ${opts.thresholdBootstrap ?? DEFAULT_THRESHOLD_BOOTSTRAP} bootstrap resamples` : ''}, inner ${opts.innerFolds ?? 3}-fold CV on each outer fold's training rows): outer-fold thresholds ${cv.foldThresholds.join(', ')}; the final model's threshold ${threshold} is chosen the same way on all held-out predictions`;
    }
    const sweep = thresholdSweep(ds, opts, cv.attackProbability, threshold);
    reportText = formatReport(report, `${k}-fold stratified cross-validation, ${ds.rows} rows, ${ds.columns.length} features, ${kind} of ${fo.trees} trees, ${opts.threshold === 'auto' ? 'threshold auto (nested)' : `threshold ${threshold}`}, min samples per leaf ${fo.minSamplesLeaf}` +
      (minClass < k ? ` (note: smallest class has ${minClass} rows, fewer than ${k} folds)` : '')) + (thresholdNote ? `\n${thresholdNote}` : '') + `\n\n${sweep}`;
  }
  const t0 = process.hrtime.bigint();
  const model = fit(ds, opts, fo);
  const trainMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const nodes = model.nodes;
  opts.log?.(`trained final ${kind} on ${ds.rows} rows in ${(trainMs / 1000).toFixed(2)} s (${model.trees} trees, ${nodes} nodes)`);
  const benignLabels = opts.benignLabels.filter((b) => ds.labels.includes(b));
  const card: ModelCard = {
    format: 'deepmad-model-card',
    version: 1,
    name: opts.name ?? 'deepmad-forest',
    description: opts.description ?? (opts.detector
      ? `Two-stage model trained by deepmad: a benign-vs-attack detector (histogram random forest of ${fo.trees} trees${bo ? ` averaged with ${bo.iterations} gradient-boosted trees` : ''}) and an attack-type forest (${fo.trees} trees)`
      : `Histogram random forest (${fo.trees} trees) trained by deepmad`),
    profile: opts.profile,
    columns: ds.columns,
    preprocessing: opts.preprocessing ?? { kind: 'none' },
    nonFinite: opts.nonFinite ?? 'zero',
    labels: model.labels,
    benignLabels,
    threshold,
    inputType: 'float32',
    provenance: {
      trainer: opts.detector ? `deepmad histogram random forests (detector${bo ? ' averaged with gradient boosting' : ''} + attack type)` : 'deepmad histogram random forest',
      sourceWeights: opts.sourceWeights ?? null,
      forest: { trees: fo.trees, maxDepth: fo.maxDepth, minSamplesLeaf: fo.minSamplesLeaf, maxFeatures: fo.maxFeatures ?? Math.round(Math.sqrt(ds.columns.length)), bootstrap: fo.bootstrap, classWeight: fo.classWeight ?? null, seed: fo.seed },
      ...(bo ? { boosting: bo } : {}),
      ...(opts.threshold === 'auto' ? { innerFolds: opts.innerFolds ?? 3, thresholdSources: opts.thresholdSources ?? null, thresholdBootstrap: opts.thresholdBootstrap ?? DEFAULT_THRESHOLD_BOOTSTRAP } : {}),
      rows: ds.rows,
      classCounts: Object.fromEntries(ds.labels.map((l, c) => [l, ds.y.reduce((s, v) => s + (v === c ? 1 : 0), 0)])),
      ...opts.provenance,
    },
    metrics: report ? {
      method: `${k}-fold stratified cross-validation (held-out folds)`,
      macroF1: round(report.macroF1), accuracy: round(report.accuracy),
      binaryF1: round(report.binary.f1), benignFlaggedRate: round(report.binary.benignFlaggedRate), attacksMissedRate: round(report.binary.attacksMissedRate),
      perClassF1: Object.fromEntries(report.perClass.map((m) => [m.label, round(m.f1)])),
      bySource: report.bySource ? Object.fromEntries(Object.entries(report.bySource).map(([n, r]) => [n, {
        rows: r.binary.tp + r.binary.fp + r.binary.fn + r.binary.tn, binaryF1: round(r.binary.f1), benignFlaggedRate: round(r.binary.benignFlaggedRate),
        benignFlagged: `${r.binary.fp}/${r.binary.fp + r.binary.tn}`, attacksMissed: `${r.binary.fn}/${r.binary.tp + r.binary.fn}`, macroF1: round(r.macroF1),
      }])) : undefined,
    } : undefined,
  };
  const onnx = model.toOnnx({ 'deepmad.card': JSON.stringify(card) });
  return { onnx, card, report, reportText, trainMs, nodes };
}

/** Attack-vs-benign results of the held-out predictions at other thresholds, per data source. */
function thresholdSweep(ds: Dataset, opts: TrainOptions, pAttack: Float32Array, chosen: number): string {
  const benign = new Set(opts.benignLabels.map((b) => ds.labels.indexOf(b)).filter((i) => i >= 0));
  const groups: Array<[string, (i: number) => boolean]> = [['all held-out rows', () => true]];
  if (ds.source && ds.sourceNames) ds.sourceNames.forEach((n, s) => groups.push([n, (i) => ds.source![i] === s]));
  const lines = [`held-out attack-vs-benign results by threshold (F1, benign flagged, attacks missed; ${chosen} = the model's threshold, measured on the same held-out predictions it was chosen from):`];
  for (const [name, inGroup] of groups) {
    const cells: string[] = [];
    for (const t of [...new Set([0.3, 0.4, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9, chosen])].sort((a, b) => a - b)) {
      let tp = 0, fp = 0, fn = 0, tn = 0;
      for (let i = 0; i < ds.rows; i++) {
        if (!inGroup(i)) continue;
        const a = !benign.has(ds.y[i]);
        const p = pAttack[i] >= t;
        if (a && p) tp++; else if (!a && p) fp++; else if (a) fn++; else tn++;
      }
      cells.push(`${t === chosen ? `[${t}]` : t.toFixed(2)}: ${(tp ? (2 * tp) / (2 * tp + fp + fn) : 0).toFixed(5)} ${fp}/${fp + tn} ${fn}/${tp + fn}`);
    }
    lines.push(`  ${name}: ${cells.join(' | ')}`);
  }
  return lines.join('\n');
}

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

/** Writes model, card (`.card.json`) and report (`.report.txt` + `.report.json`) side by side. */
export function writeModel(out: string, res: TrainResult): string[] {
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  fs.writeFileSync(out, res.onnx);
  fs.writeFileSync(`${out}.card.json`, `${JSON.stringify(res.card, null, 2)}\n`);
  const files = [out, `${out}.card.json`];
  if (res.report) {
    fs.writeFileSync(`${out}.report.txt`, `${res.reportText}\n`);
    fs.writeFileSync(`${out}.report.json`, `${JSON.stringify(res.report, null, 2)}\n`);
    files.push(`${out}.report.txt`, `${out}.report.json`);
  }
  return files;
}
