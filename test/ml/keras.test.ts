/**
 * Keras → ONNX: files in every supported layout are written here with h5wasm (the on-disk layouts
 * recorded in ../shared/notes/ml-hdf5-sinks.md §3), loaded through the classifier and compared with
 * our TS forward pass and, when Debian's python3-h5py/numpy are present, an independent numpy pass.
 * The third-party 77-input model from ../shared is checked against numpy too.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { loadH5wasm } from '../../lib/hdf5/h5wasm.js';
import type { ModelCard } from '../../lib/ml/card.js';
import { Classifier } from '../../lib/ml/classifier.js';
import { forwardPass, readKeras } from '../../lib/ml/keras.js';
import { Random } from '../../lib/ml/random.js';

const repo = path.resolve(__dirname, '..', '..');
const shared = path.resolve(repo, '..', 'shared');
const KERAS77 = path.join(shared, 'data', 'models', 'cyber_attacks_keras', 'weights.mapt.hdf5');
const py = ['/usr/bin/python3', 'python3'].find((p) => { try { execFileSync(p, ['-c', 'import h5py, numpy'], { stdio: 'ignore' }); return true; } catch { return false; } });
const pySkip = py ? false : 'python3 with h5py and numpy not found (apt install python3-h5py python3-numpy)';

/** numpy forward pass over the layer list given as JSON: [[kernelPath, biasPath, activation] | ['bn', g, b, m, v, eps]]. */
const NUMPY = `
import sys, json, h5py, numpy as np
f = h5py.File(sys.argv[1], 'r'); spec = json.loads(sys.argv[2]); x = np.array(json.loads(sys.stdin.read()), dtype=np.float32).astype(np.float64)
for s in spec:
    if s[0] == 'bn':
        g, b, m, v = (f[p][()].astype(np.float64) for p in s[1:5]); x = (x - m) / np.sqrt(v + s[5]) * g + b; continue
    x = x @ f[s[0]][()].astype(np.float64) + f[s[1]][()].astype(np.float64)
    a = s[2]
    if a == 'relu': x = np.maximum(x, 0)
    elif a == 'tanh': x = np.tanh(x)
    elif a == 'sigmoid': x = 1 / (1 + np.exp(-x))
    elif a == 'softmax': e = np.exp(x - x.max(axis=1, keepdims=True)); x = e / e.sum(axis=1, keepdims=True)
print(json.dumps(x.tolist()))
`;

function numpyForward(file: string, spec: unknown[], rows: number[][]): number[][] {
  return JSON.parse(execFileSync(py as string, ['-c', NUMPY, file, JSON.stringify(spec)], { input: JSON.stringify(rows), encoding: 'utf8', maxBuffer: 32 << 20 }));
}

const rng = new Random(11);
const randn = (n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => (rng.next() + rng.next() + rng.next() - 1.5) * scale);

interface Weights { k1: Float32Array; b1: Float32Array; gamma: Float32Array; beta: Float32Array; mean: Float32Array; variance: Float32Array; k2: Float32Array; b2: Float32Array }
const W: Weights = { k1: randn(5 * 4), b1: randn(4), gamma: randn(4), beta: randn(4), mean: randn(4), variance: Float32Array.from(randn(4), (v) => Math.abs(v) + 0.5), k2: randn(4 * 3), b2: randn(3) };

const layersConfig = (withInput: boolean) => ({
  class_name: 'Sequential',
  config: {
    name: 'sequential',
    layers: [
      ...(withInput ? [{ class_name: 'InputLayer', config: { name: 'input_layer', batch_shape: [null, 5] } }] : []),
      { class_name: 'Dense', config: { name: 'dense', units: 4, activation: 'relu', use_bias: true, ...(withInput ? {} : { batch_input_shape: [null, 5] }) } },
      { class_name: 'BatchNormalization', config: { name: 'batch_normalization', epsilon: 0.001, center: true, scale: true } },
      { class_name: 'Dropout', config: { name: 'dropout', rate: 0.2 } },
      { class_name: 'Dense', config: { name: 'dense_1', units: 3, activation: 'softmax', use_bias: true } },
    ],
  },
});

const card: ModelCard = {
  format: 'deepmad-model-card', version: 1, name: 'keras-fixture', profile: 'improved',
  columns: ['Flow Duration', 'Total Fwd Packet', 'Total Bwd packets', 'Flow IAT Mean', 'Fwd Packet Length Max'],
  preprocessing: { kind: 'standard', mean: [100, 2, 1, 50, 10], std: [200, 4, 2, 100, 20] },
  labels: ['BENIGN', 'DoS', 'Scan'], benignLabels: ['BENIGN'], threshold: 0.5,
};

let dir: string;
const files: Record<string, string> = {};

before(async () => {
  const h5 = await loadH5wasm();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-keras-'));
  type G = { create_group(n: string): G; create_attribute(n: string, v: unknown): void; create_dataset(a: { name: string; data: Float32Array; shape: number[] }): unknown };
  const put = (g: G, name: string, data: Float32Array, shape: number[]): void => { g.create_dataset({ name, data, shape }); };
  // Keras 2 full model: model_weights/<layer>/<layer>/<w>:0
  {
    const file = path.join(dir, 'keras2.h5');
    const f = new h5.File(file, 'w') as unknown as G & { close(): void };
    f.create_attribute('keras_version', '2.4.0');
    f.create_attribute('backend', 'tensorflow');
    f.create_attribute('model_config', JSON.stringify(layersConfig(false)));
    const mw = f.create_group('model_weights');
    mw.create_attribute('layer_names', ['dense', 'batch_normalization', 'dropout', 'dense_1']);
    const dense = (name: string, k: Float32Array, b: Float32Array, shape: number[]): void => {
      const g = mw.create_group(name);
      g.create_attribute('weight_names', [`${name}/kernel:0`, `${name}/bias:0`]);
      const inner = g.create_group(name);
      put(inner, 'kernel:0', k, shape);
      put(inner, 'bias:0', b, [shape[1]]);
    };
    dense('dense', W.k1, W.b1, [5, 4]);
    const bn = mw.create_group('batch_normalization');
    bn.create_attribute('weight_names', ['batch_normalization/gamma:0', 'batch_normalization/beta:0', 'batch_normalization/moving_mean:0', 'batch_normalization/moving_variance:0']);
    const bni = bn.create_group('batch_normalization');
    put(bni, 'gamma:0', W.gamma, [4]); put(bni, 'beta:0', W.beta, [4]); put(bni, 'moving_mean:0', W.mean, [4]); put(bni, 'moving_variance:0', W.variance, [4]);
    mw.create_group('dropout').create_attribute('weight_names', [] as string[]);
    dense('dense_1', W.k2, W.b2, [4, 3]);
    f.close();
    files.keras2 = file;
  }
  // Keras 3 .weights.h5 layout: layers/<layer>/vars/<i>; used weights-only (card architecture) and inside a .keras zip
  {
    const file = path.join(dir, 'model.weights.h5');
    const f = new h5.File(file, 'w') as unknown as G & { close(): void };
    const layers = f.create_group('layers');
    const vars = (name: string, list: Array<[Float32Array, number[]]>): void => {
      const v = layers.create_group(name).create_group('vars');
      list.forEach(([d, s], i) => put(v, String(i), d, s));
    };
    vars('dense', [[W.k1, [5, 4]], [W.b1, [4]]]);
    vars('batch_normalization', [[W.gamma, [4]], [W.beta, [4]], [W.mean, [4]], [W.variance, [4]]]);
    vars('dense_1', [[W.k2, [4, 3]], [W.b2, [3]]]);
    f.create_group('vars');
    f.close();
    files.weights3 = file;
    files.keras3 = path.join(dir, 'model.keras');
    writeStoredZip(files.keras3, { 'metadata.json': Buffer.from('{"keras_version":"3.8.0"}'), 'config.json': Buffer.from(JSON.stringify(layersConfig(true))), 'model.weights.h5': fs.readFileSync(file) });
  }
  // an unsupported layer
  {
    const file = path.join(dir, 'conv.h5');
    const f = new h5.File(file, 'w') as unknown as G & { close(): void };
    const cfg = layersConfig(false);
    cfg.config.layers.splice(1, 0, { class_name: 'Conv1D', config: { name: 'conv1d', filters: 4 } } as never);
    f.create_attribute('model_config', JSON.stringify(cfg));
    f.create_group('model_weights').create_attribute('layer_names', ['dense']);
    f.close();
    files.conv = file;
  }
});

/** A zip with stored (uncompressed) entries, as Keras writes .keras files. */
function writeStoredZip(file: string, entries: Record<string, Buffer>): void {
  const zlib = require('node:zlib') as typeof import('node:zlib');
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of Object.entries(entries)) {
    const n = Buffer.from(name);
    const crc = zlib.crc32 ? zlib.crc32(data) : 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(data.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(n.length, 26);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0); c.writeUInt16LE(20, 4); c.writeUInt16LE(20, 6); c.writeUInt32LE(crc >>> 0, 16);
    c.writeUInt32LE(data.length, 20); c.writeUInt32LE(data.length, 24); c.writeUInt16LE(n.length, 28); c.writeUInt32LE(offset, 42);
    parts.push(local, n, data);
    central.push(c, n);
    offset += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(Object.keys(entries).length, 8); end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  fs.writeFileSync(file, Buffer.concat([...parts, cd, end]));
}

/** Raw flows whose standardized values are spread around 0. */
function rawFlows(n: number): Array<Record<string, number>> {
  const p = card.preprocessing as { mean: number[]; std: number[] };
  return Array.from({ length: n }, () => Object.fromEntries(card.columns.map((c, j) => [c, p.mean[j] + p.std[j] * (rng.next() * 4 - 2)])));
}

function standardized(flows: Array<Record<string, number>>): Float32Array {
  const p = card.preprocessing as { mean: number[]; std: number[] };
  return Float32Array.from(flows.flatMap((f) => card.columns.map((c, j) => (f[c] - p.mean[j]) / p.std[j])));
}

const KERAS2_SPEC = [
  ['model_weights/dense/dense/kernel:0', 'model_weights/dense/dense/bias:0', 'relu'],
  ['bn', 'model_weights/batch_normalization/batch_normalization/gamma:0', 'model_weights/batch_normalization/batch_normalization/beta:0', 'model_weights/batch_normalization/batch_normalization/moving_mean:0', 'model_weights/batch_normalization/batch_normalization/moving_variance:0', 0.001],
  ['model_weights/dense_1/dense_1/kernel:0', 'model_weights/dense_1/dense_1/bias:0', 'softmax'],
];

describe('Keras Sequential → ONNX', () => {
  it('Keras 2 .h5: classifier (card standard scaling + ONNX) equals the TS forward pass and numpy', async () => {
    const flows = rawFlows(64);
    const x = standardized(flows);
    const layers = await readKeras(files.keras2, card);
    assert.deepEqual(layers.map((l) => `${l.kind}:${l.name}`), ['dense:dense', 'scale:batch_normalization', 'dense:dense_1']);
    const ref = forwardPass(layers, x, 64, 5);
    const clf = await Classifier.open(files.keras2, { card });
    const got = await clf.probabilities(flows);
    await clf.close();
    let maxDiff = 0;
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - ref[i]));
    assert.ok(maxDiff < 1e-5, `ONNX vs TS ${maxDiff}`);
    if (py) {
      const np = numpyForward(files.keras2, KERAS2_SPEC, Array.from({ length: 64 }, (_, r) => Array.from(x.subarray(r * 5, r * 5 + 5))));
      let d = 0;
      np.flat().forEach((v, i) => { d = Math.max(d, Math.abs(v - got[i])); });
      assert.ok(d < 1e-5, `ONNX vs numpy ${d}`);
    }
  });

  it('Keras 3 .keras zip and the weights-only .weights.h5 (architecture from the card) give the same outputs', async () => {
    const flows = rawFlows(16);
    const open = async (file: string, c: ModelCard): Promise<Float32Array> => {
      const clf = await Classifier.open(file, { card: c, worker: false });
      try { return await clf.probabilities(flows); } finally { await clf.close(); }
    };
    const a = await open(files.keras2, card);
    const b = await open(files.keras3, card);
    const c = await open(files.weights3, { ...card, kerasArchitecture: [
      { type: 'Dense', units: 4, activation: 'relu' }, { type: 'BatchNormalization', epsilon: 0.001 }, { type: 'Dropout', rate: 0.2 }, { type: 'Dense', units: 3, activation: 'softmax' },
    ] });
    for (let i = 0; i < a.length; i++) {
      assert.ok(Math.abs(a[i] - b[i]) < 1e-6 && Math.abs(a[i] - c[i]) < 1e-6, `row value ${i}: ${a[i]} ${b[i]} ${c[i]}`);
    }
  });

  it('refuses other layers naming the layer, and weights-only files without an architecture', async () => {
    await assert.rejects(readKeras(files.conv, card), /layer "conv1d" of type Conv1D is not supported/);
    await assert.rejects(readKeras(files.weights3, card), /weights-only Keras file \(no model_config\); give the layer stack in the card's "kerasArchitecture"/);
    await assert.rejects(Classifier.open(files.keras2, { card: { ...card, columns: card.columns.slice(0, 4), preprocessing: { kind: 'none' } } }), /layer "dense" \(Dense\): kernel expects 5 inputs but the previous layer gives 4/);
  });

  it('the third-party Keras 77-input model matches a numpy forward pass', { skip: (!fs.existsSync(KERAS77) && `absent: ${KERAS77}`) || pySkip }, async () => {
    const kcard = JSON.parse(fs.readFileSync(path.join(repo, 'models', 'third-party', 'cyber_attacks_keras.card.json'), 'utf8')) as ModelCard;
    assert.equal(kcard.columns.length, 77);
    const rows = Array.from({ length: 32 }, () => Array.from(randn(77, 2)));
    const clf = await Classifier.open(KERAS77, { card: kcard });
    const got = await clf.runMatrix(Float32Array.from(rows.flat()), 32);
    await clf.close();
    const np = numpyForward(KERAS77, [
      ['model_weights/dense/dense/kernel:0', 'model_weights/dense/dense/bias:0', 'tanh'],
      ['model_weights/dense_1/dense_1/kernel:0', 'model_weights/dense_1/dense_1/bias:0', 'tanh'],
      ['model_weights/dense_2/dense_2/kernel:0', 'model_weights/dense_2/dense_2/bias:0', 'softmax'],
    ], rows);
    assert.equal(got.length, 32 * 15);
    let d = 0;
    np.flat().forEach((v, i) => { d = Math.max(d, Math.abs(v - got[i])); });
    assert.ok(d < 1e-5, `max |ours − numpy| = ${d}`);
  });
});
