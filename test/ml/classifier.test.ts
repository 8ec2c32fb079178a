/**
 * Classifier library: card validation, preprocessing (none / uint8 min-max / robust), verdicts,
 * column checks, the third-party XGBoost ONNX model with its published RobustScaler, and the
 * default model shipped in models/.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { validateCard, compilePreprocessing, preprocessValue, type ModelCard } from '../../lib/ml/card.js';
import { Classifier } from '../../lib/ml/classifier.js';
import { layersToOnnx } from '../../lib/ml/keras.js';
import { defaultModelPath } from '../../lib/ml/default-model.js';
import { readCsvFile } from '../../lib/ml/csv-table.js';
import { flowColumnsFromObjects } from '../../lib/normalize/flow-columns.js';
import os from 'node:os';

const repo = path.resolve(__dirname, '..', '..');
const shared = path.resolve(repo, '..', 'shared');
const XAI = path.join(shared, 'data', 'models', 'xai-ids-cicids2017', 'xai_ids_model.onnx');
const cicDir = path.join(shared, 'data', 'flows', 'improved-cicids2017-rnd2500');

const base: ModelCard = {
  format: 'deepmad-model-card', version: 1, name: 'identity', profile: 'improved',
  columns: ['Flow Duration', 'Total Fwd Packet'], preprocessing: { kind: 'none' },
  labels: ['BENIGN', 'DoS'], benignLabels: ['BENIGN'], threshold: 0.5,
};

/** An ONNX model whose "probabilities" are its two inputs after softmax — makes verdicts predictable. */
function softmaxModel(dir: string, card: ModelCard): string {
  const file = path.join(dir, `${card.name}.onnx`);
  const eye = Float32Array.from([1, 0, 0, 1]);
  fs.writeFileSync(file, layersToOnnx([{ kind: 'dense', name: 'id', inputs: 2, units: 2, kernel: eye, bias: null, activation: 'softmax' }], 2));
  fs.writeFileSync(`${file}.card.json`, JSON.stringify(card));
  return file;
}

describe('model cards', () => {
  it('validation names the problem', () => {
    assert.throws(() => validateCard({ ...base, format: 'x' }), /"format" must be "deepmad-model-card"/);
    assert.throws(() => validateCard({ ...base, columns: ['a', 'a'] }), /column "a" is listed twice/);
    assert.throws(() => validateCard({ ...base, benignLabels: ['Normal'] }), /benign label "Normal" is not one of the labels/);
    assert.throws(() => validateCard({ ...base, threshold: 0 }), /"threshold" must be a number in \(0, 1\]/);
    assert.throws(() => validateCard({ ...base, preprocessing: { kind: 'robust', center: [1], scale: [1, 2] } }), /robust needs "center" and "scale" arrays of 2 numbers/);
    assert.throws(() => validateCard({ ...base, preprocessing: { kind: 'zscore' } }), /unknown preprocessing kind "zscore"/);
  });

  it('preprocessing maps values exactly (uint8 min-max floors and clamps, robust, standard, non-finite)', () => {
    const mm = compilePreprocessing({ ...base, preprocessing: { kind: 'minmax-uint8', min: [0, 10], max: [100, 10] } });
    assert.deepEqual([0, 50, 99.9, 100, 150, -5].map((v) => preprocessValue(mm, 0, v)), [0, 127, 254, 255, 255, 0]);
    assert.equal(preprocessValue(mm, 1, 12), 0); // constant column
    const rb = compilePreprocessing({ ...base, nonFinite: 'clamp', preprocessing: { kind: 'robust', center: [20, 0], scale: [12, 0] } });
    assert.equal(preprocessValue(rb, 0, 32), 1);
    assert.equal(preprocessValue(rb, 1, 7), 7); // zero scale → unscaled, as scikit-learn does
    assert.equal(preprocessValue(rb, 0, NaN), -20 * (1 / 12));
    assert.equal(preprocessValue(rb, 0, Infinity), (3.4028234663852886e38 - 20) * (1 / 12));
    const st = compilePreprocessing({ ...base, preprocessing: { kind: 'standard', mean: [1, 2], std: [2, 4] } });
    assert.equal(preprocessValue(st, 1, 10), 2);
  });
});

describe('Classifier', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-clf-'));

  it('verdicts: threshold on P(attack), label, confidence and probabilities', async () => {
    const file = softmaxModel(dir, { ...base, threshold: 0.7 });
    const clf = await Classifier.open(file);
    // softmax([0, 1]) = [0.2689, 0.7311] → attack ≥ 0.7; softmax([0, 0.5]) = [0.3775, 0.6225] → benign
    const v = await clf.classify([{ 'Flow Duration': 0, 'Total Fwd Packet': 1 }, { 'Flow Duration': '0', 'Total Fwd Packet': '0.5' }, [1, 0]]);
    await clf.close();
    assert.deepEqual(v.map((x) => [x.label, x.malicious]), [['DoS', true], ['BENIGN', false], ['BENIGN', false]]);
    assert.equal(v[0].confidence, Math.fround(1 / (1 + Math.exp(-1))));
    assert.deepEqual(Object.keys(v[0].probabilities), ['BENIGN', 'DoS']);
    assert.equal(v[1].attackProbability, 1 - v[1].probabilities.BENIGN);
  });

  it('applies the card preprocessing to raw flows and not to rows marked normalized', async () => {
    const file = softmaxModel(dir, { ...base, name: 'mm', preprocessing: { kind: 'minmax-uint8', min: [0, 0], max: [255, 2550] } });
    const clf = await Classifier.open(file, { worker: false });
    const raw = await clf.probabilities([{ 'Flow Duration': 2, 'Total Fwd Packet': 30 }]); // → [2, 3]
    const norm = await clf.probabilities([{ 'Flow Duration': 2, 'Total Fwd Packet': 3 }], { normalized: true });
    await clf.close();
    assert.deepEqual(Array.from(raw), Array.from(norm));
    assert.equal(raw[1], Math.fround(Math.exp(3) / (Math.exp(2) + Math.exp(3))));
  });

  it('names missing columns; refuses a card whose width does not match the model', async () => {
    const file = softmaxModel(dir, { ...base, name: 'cols' });
    const clf = await Classifier.open(file, { worker: false });
    await assert.rejects(clf.classify([{ 'Flow Duration': 1 }]), /incoming flows: missing 1 of the 2 feature column\(s\) the model expects: Total Fwd Packet\. Expected columns \(in order\): Flow Duration, Total Fwd Packet/);
    await clf.close();
    await assert.rejects(Classifier.open(file, { card: { ...base, columns: ['a', 'b', 'c'] } }), /the model takes 2 features but its card lists 3 columns/);
    await assert.rejects(Classifier.open(file, { card: { ...base, labels: ['A', 'B', 'C'], benignLabels: ['A'] } }), /no float probability output of width 3/);
  });

  it('a large batch is classified in pieces: order kept, same result as one by one', async () => {
    const file = softmaxModel(dir, { ...base, name: 'batches' });
    const clf = await Classifier.open(file, { batchSize: 7 });
    const flows = Array.from({ length: 100 }, (_, i) => ({ 'Flow Duration': i % 3, 'Total Fwd Packet': (i * 7) % 5 }));
    const all = await clf.classify(flows);
    const one = [];
    for (const f of flows.slice(0, 10)) one.push((await clf.classify([f]))[0]);
    await clf.close();
    assert.deepEqual(all.slice(0, 10), one);
    assert.deepEqual(all.map((v) => v.malicious), flows.map((f) => f['Total Fwd Packet'] >= f['Flow Duration']));
  });

  it('never handles more than sliceRows rows on the caller\'s thread between two event-loop turns', async () => {
    const file = softmaxModel(dir, { ...base, name: 'slices' });
    const clf = await Classifier.open(file, { batchSize: 100, sliceRows: 16 });
    // a setImmediate ticker advances once per event-loop turn; each flow read and each verdict
    // built records the turn it happened in
    let turn = 0;
    let spinning = true;
    const spin = (): void => { turn++; if (spinning) setImmediate(spin); };
    setImmediate(spin);
    const readsPerTurn = new Map<number, number>();
    const verdictsPerTurn = new Map<number, number>();
    const bump = (m: Map<number, number>): void => { m.set(turn, (m.get(turn) ?? 0) + 1); };
    const flows = Array.from({ length: 1000 }, (_, i) => {
      const f: Record<string, unknown> = { 'Total Fwd Packet': (i * 7) % 5 };
      Object.defineProperty(f, 'Flow Duration', { enumerable: true, get: () => { bump(readsPerTurn); return i % 3; } });
      return f;
    });
    const verdictAt = clf.verdictAt.bind(clf);
    clf.verdictAt = (vc, i) => { bump(verdictsPerTurn); return verdictAt(vc, i); };
    const v = await clf.classify(flows);
    spinning = false;
    await clf.close();
    assert.deepEqual(v.map((x) => x.malicious), flows.map((f, i) => ((i * 7) % 5) >= i % 3));
    assert.equal([...readsPerTurn.values()].reduce((a, b) => a + b, 0), 1000);
    assert.equal([...verdictsPerTurn.values()].reduce((a, b) => a + b, 0), 1000);
    assert.equal(Math.max(...readsPerTurn.values()), 16);
    assert.equal(Math.max(...verdictsPerTurn.values()), 16);
    // 1000 rows in batches of 100, slices of 16 → 7 slices per batch, each in its own turn; the
    // verdict objects are built from the verdict columns afterwards, 16 per turn: 63 turns
    assert.equal(readsPerTurn.size, 70);
    assert.equal(verdictsPerTurn.size, 63);
  });

  it('verdict columns, flow-columns input and normalized-row input agree exactly with Verdict objects from flow objects', async () => {
    const file = softmaxModel(dir, { ...base, name: 'columns', threshold: 0.6 });
    const clf = await Classifier.open(file, { batchSize: 7, sliceRows: 5 });
    const flows = Array.from({ length: 40 }, (_, i) => ({ 'Src IP': `10.0.0.${i}`, 'Flow Duration': (i % 4) / 2, 'Total Fwd Packet': ((i * 3) % 5) / 3, Protocol: 6 }));
    const objects = await clf.classify(flows);
    const v = await clf.classifyColumns(flows);
    assert.equal(v.rows, 40);
    assert.deepEqual(v.labels, ['BENIGN', 'DoS']);
    assert.equal(v.detections, objects.filter((x) => x.malicious).length);
    assert.ok(v.detections > 0 && v.detections < 40);
    objects.forEach((o, i) => {
      assert.equal(v.labels[v.label[i]], o.label);
      assert.equal(v.confidence[i], o.confidence);
      assert.equal(v.attackProbability[i], o.attackProbability);
      assert.equal(v.malicious[i], o.malicious ? 1 : 0);
      assert.deepEqual([v.probabilities[i * 2], v.probabilities[i * 2 + 1]], [o.probabilities.BENIGN, o.probabilities.DoS]);
      assert.deepEqual(clf.verdictAt(v, i), o);
    });
    const fc = flowColumnsFromObjects(flows, 'improved');
    assert.deepEqual(fc.columns, ['Flow Duration', 'Total Fwd Packet', 'Protocol']);
    assert.deepEqual(await clf.classify(fc), objects);
    // a NormalizedBatch: columns in another order plus an extra one; the card's columns are picked by name
    const data = new Float32Array(flows.flatMap((f) => [7, f['Total Fwd Packet'], f['Flow Duration']]));
    const rows = await clf.classify({ columns: ['x', 'Total Fwd Packet', 'Flow Duration'], rows: 40, data });
    assert.deepEqual(rows, await clf.classify(flows.map((f) => [Math.fround(f['Flow Duration']), Math.fround(f['Total Fwd Packet'])])));
    await assert.rejects(clf.classifyColumns({ ...fc, columns: ['Flow Duration', 'Other', 'Protocol'] }), /incoming flow columns: missing 1 of the 2 feature column\(s\) the model expects: Total Fwd Packet\./);
    await assert.rejects(clf.classifyColumns({ columns: ['Flow Duration'], rows: 1, data: [1] }), /normalized rows lack 1 column\(s\) the model expects: Total Fwd Packet\./);
    await clf.close();
  });

  it('the third-party XGBoost ONNX model with its published RobustScaler classifies improved CIC-IDS2017 rows', { skip: !fs.existsSync(XAI) || !fs.existsSync(cicDir) ? 'needs ../shared data' : false }, async () => {
    const clf = await Classifier.open(XAI, { card: path.join(repo, 'models', 'third-party', 'xai-ids-cicids2017.card.json') });
    const hits: Record<string, number> = {};
    for (const [file, label] of [['BENIGN_2500.csv', 'Benign'], ['FTP-Patator_2500.csv', 'FTP-Patator'], ['SSH-Patator_2500.csv', 'SSH-Patator'], ['DDoS_2500.csv', 'DDoS']]) {
      const t = readCsvFile(path.join(cicDir, file));
      const flows = t.rows.map((r) => Object.fromEntries(t.header.map((h, j) => [h, r[j]])));
      hits[label] = (await clf.classify(flows)).filter((v) => v.label === label).length;
    }
    await clf.close();
    // measured with onnxruntime 1.30; wrong feature order or scaling drops these to chance
    assert.deepEqual(hits, { Benign: 2499, 'FTP-Patator': 2500, 'SSH-Patator': 2477, DDoS: 2443 });
  });

  it('the shipped default model loads with its card and flags a metered SYN flood', async () => {
    const model = defaultModelPath();
    assert.ok(fs.existsSync(model), model);
    assert.ok(fs.statSync(model).size < 20e6);
    const { meterCapture } = await import('../../lib/ml/capture-flows.js');
    const flows = await meterCapture(path.join(repo, 'test', 'fixtures', 'alerts', 'suricata_syn-flood_crafted.pcap'), 'improved');
    const clf = await Classifier.open(model);
    const v = await clf.classify(flows);
    await clf.close();
    assert.equal(v.length, 200);
    assert.equal(v.filter((x) => x.malicious).length, 200);
  });
});
