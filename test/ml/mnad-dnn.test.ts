/**
 * The prototype's weights-only Keras model MNAD-DNN.h5 runs through our classifier with the
 * architecture from models/MNAD-DNN.card.json, and its outputs on the prototype's own normalized
 * rows (hdf5/normed_data.h5) match an independent numpy forward pass (Debian python3-h5py/numpy) to 1e-5.
 * The model file is GPL-2.0 and not shipped: the test reads it from ../shared and skips without it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readCardFile } from '../../lib/ml/card.js';
import { Classifier } from '../../lib/ml/classifier.js';
import { readPandasTable, frameToMatrix } from '../../lib/hdf5/pandas-table.js';
import { PROTOTYPE_MODEL_COLUMNS } from '../../lib/normalize/prototype-mode.js';

const repo = path.resolve(__dirname, '..', '..');
const cardFile = path.join(repo, 'models', 'MNAD-DNN.card.json');
const seed = path.resolve(repo, '..', 'shared', 'data', 'seed');
const modelFile = path.join(seed, 'MNAD-DNN.h5');
const seedSkip = fs.existsSync(modelFile) ? false : `prototype model absent (${modelFile})`;
const py = ['/usr/bin/python3', 'python3'].find((p) => { try { execFileSync(p, ['-c', 'import h5py, numpy, pandas, tables'], { stdio: 'ignore' }); return true; } catch { return false; } });
const pySkip = py ? false : 'python3 with h5py, numpy, pandas and tables not found (apt python3-h5py python3-pandas python3-tables)';

/** numpy forward pass straight from the HDF5 weights; NaN inputs (constant columns) fed as 0 like ours. */
const NUMPY_FORWARD = `
import sys, json, h5py, numpy as np, pandas as pd
w = h5py.File(sys.argv[1], 'r')
x = (pd.read_hdf(sys.argv[2], 'data').fillna(0).to_numpy(dtype=np.float64) if sys.argv[2] != '-'
     else np.array(json.load(sys.stdin), dtype=np.float32).astype(np.float64))
for i, name in enumerate(['dense_4', 'dense_5', 'dense_6', 'dense_7']):
    k = w[name][name]['kernel:0'][()].astype(np.float64); b = w[name][name]['bias:0'][()].astype(np.float64)
    x = x @ k + b
    if i < 3: x = np.maximum(x, 0)
    else:
        e = np.exp(x - x.max(axis=1, keepdims=True)); x = e / e.sum(axis=1, keepdims=True)
print(json.dumps(x.tolist()))
`;

describe('MNAD-DNN (the prototype model) via its model card', () => {
  it('the shipped card is valid and describes the 55→28→14→7→4 stack on the prototype columns', () => {
    const card = readCardFile(cardFile);
    assert.equal(card.profile, 'prc');
    assert.deepEqual(card.columns, [...PROTOTYPE_MODEL_COLUMNS]);
    assert.deepEqual(card.labels[0], 'Benign');
    assert.deepEqual(card.benignLabels, ['Benign']);
    assert.deepEqual(card.kerasArchitecture?.map((l) => (l.type === 'Dense' ? `${l.units}${l.activation}` : l.type)),
      ['28relu', 'Dropout', '14relu', 'Dropout', '7relu', 'Dropout', '4softmax']);
  });

  it('outputs on normed_data.h5 match a numpy forward pass to 1e-5', { skip: seedSkip || pySkip }, async () => {
    const frame = await readPandasTable(path.join(seed, 'hdf5', 'normed_data.h5'));
    const m = frameToMatrix(frame, [...PROTOTYPE_MODEL_COLUMNS]);
    for (let i = 0; i < m.data.length; i++) if (Number.isNaN(m.data[i])) m.data[i] = 0;
    const clf = await Classifier.open(modelFile, { card: cardFile, worker: false });
    try {
      const ours = await clf.runMatrix(m.data, m.rows);
      const ref = JSON.parse(execFileSync(py as string, ['-c', NUMPY_FORWARD, modelFile, path.join(seed, 'hdf5', 'normed_data.h5')], { encoding: 'utf8', maxBuffer: 16 << 20 })) as number[][];
      assert.equal(ref.length, 87);
      let maxDiff = 0;
      for (let r = 0; r < ref.length; r++) for (let c = 0; c < 4; c++) maxDiff = Math.max(maxDiff, Math.abs(ours[r * 4 + c] - ref[r][c]));
      assert.ok(maxDiff <= 1e-5, `max |ours - numpy| = ${maxDiff}`);
      if (process.env.DEEPMAD_VERBOSE) console.log(`MNAD-DNN: max |ours - numpy| = ${maxDiff} over ${ref.length} rows`);
      // the verdicts follow: index 0 benign, attack when 1 - P(benign) >= 0.5
      const verdicts = await clf.classify(Array.from({ length: m.rows }, (_, r) => m.data.subarray(r * 55, r * 55 + 55)), { normalized: true });
      const malicious = verdicts.filter((v) => v.malicious).length;
      const refMalicious = ref.filter((p) => 1 - p[0] >= 0.5).length;
      assert.equal(malicious, refMalicious);
      if (process.env.DEEPMAD_VERBOSE) console.log(`MNAD-DNN: ${malicious} of ${m.rows} rows malicious`);

      // The prototype's rows saturate the softmax (0..225 inputs); small inputs exercise every unit too.
      let seedState = 12345;
      const rnd = (): number => { seedState = (seedState * 1103515245 + 12345) % 2147483648; return seedState / 2147483648; };
      const rows = 64;
      const x = new Float32Array(rows * 55);
      for (let i = 0; i < x.length; i++) x[i] = i < 32 * 55 ? rnd() : rnd() * 4;
      const ours2 = await clf.runMatrix(x, rows);
      const rowsJson = JSON.stringify(Array.from({ length: rows }, (_, r) => Array.from(x.subarray(r * 55, r * 55 + 55))));
      const ref2 = JSON.parse(execFileSync(py as string, ['-c', NUMPY_FORWARD, modelFile, '-'], { input: rowsJson, encoding: 'utf8' })) as number[][];
      let maxDiff2 = 0;
      let spread = 0;
      for (let r = 0; r < rows; r++) for (let c = 0; c < 4; c++) {
        maxDiff2 = Math.max(maxDiff2, Math.abs(ours2[r * 4 + c] - ref2[r][c]));
        spread = Math.max(spread, Math.min(ref2[r][c], 1 - ref2[r][c]));
      }
      assert.ok(spread > 0.05, 'the synthetic rows give non-saturated probabilities');
      assert.ok(maxDiff2 <= 1e-5, `synthetic rows: max |ours - numpy| = ${maxDiff2}`);
      if (process.env.DEEPMAD_VERBOSE) console.log(`MNAD-DNN synthetic: max |ours - numpy| = ${maxDiff2}, max min(p,1-p) = ${spread}`);
    } finally {
      await clf.close();
    }
  });
});
