/**
 * Our trainer: metrics exact on hand-made cases, forests deterministic for a seed, ONNX export equal
 * to the TS predictor in onnxruntime, and the cross-validated bar on the improved CIC-IDS2017 sample.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { evaluate, stratifiedFolds } from '../../lib/ml/metrics.js';
import { Random } from '../../lib/ml/random.js';
import { trainForest, predictProba, defaultForestOptions } from '../../lib/ml/forest.js';
import { trainBoosting, predictBoosted, defaultBoostingOptions } from '../../lib/ml/boosting.js';
import { forestToOnnx } from '../../lib/ml/export-forest.js';
import { baggedThreshold, chooseThreshold, crossValidate, trainModel, DEFAULT_THRESHOLD_BOOTSTRAP } from '../../lib/ml/train.js';
import { loadCsvDataset, type Dataset } from '../../lib/ml/dataset.js';
import { OrtSession } from '../../lib/ml/ort-session.js';

const shared = path.resolve(__dirname, '..', '..', '..', 'shared');
const cicDir = path.join(shared, 'data', 'flows', 'improved-cicids2017-rnd2500');
const cicSkip = fs.existsSync(cicDir) ? false : `improved CIC-IDS2017 sample absent (${cicDir})`;

/** Three overlapping Gaussian-ish classes in 6 features, two of them informative; deterministic. */
function synthetic(rows: number, seed: number): Dataset {
  const rng = new Random(seed);
  const F = 6;
  const x = new Float32Array(rows * F);
  const y = new Uint16Array(rows);
  for (let i = 0; i < rows; i++) {
    const c = i % 3;
    y[i] = c;
    const g = (): number => rng.next() + rng.next() + rng.next() - 1.5;
    x[i * F] = c * 1.2 + g();
    x[i * F + 1] = (c === 2 ? 3 : 0) + g() * 2;
    x[i * F + 2] = Math.round(rng.next() * 20); // few distinct values
    x[i * F + 3] = g() * 1e6; // large magnitudes
    x[i * F + 4] = 7; // constant
    x[i * F + 5] = c === 1 && rng.next() < 0.5 ? Infinity : g();
  }
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) x[i] = 3.4028234663852886e38;
  return { columns: ['a', 'b', 'c', 'd', 'e', 'f'], x, rows, labels: ['BENIGN', 'DoS', 'Scan'], y, skipped: 0 };
}

describe('metrics', () => {
  it('per-class P/R/F1, macro-F1 and attack-vs-benign F1 are exact', () => {
    // true:  B B B A A S ; pred: B A B A S S
    const r = evaluate(['B', 'A', 'S'], ['B'], [0, 0, 0, 1, 1, 2], [0, 1, 0, 1, 2, 2]);
    assert.deepEqual(r.confusion, [[2, 1, 0], [0, 1, 1], [0, 0, 1]]);
    assert.deepEqual(r.perClass.map((m) => [m.precision, m.recall]), [[1, 2 / 3], [0.5, 0.5], [0.5, 1]]);
    assert.equal(r.macroF1, (0.8 + 0.5 + 2 / 3) / 3);
    // binary: attacks = rows 3,4,5 all predicted attack; one benign flagged
    assert.deepEqual([r.binary.tp, r.binary.fp, r.binary.fn, r.binary.tn], [3, 1, 0, 2]);
    assert.equal(r.binary.f1, 6 / 7);
    assert.equal(r.binary.benignFlaggedRate, 1 / 3);
  });

  it('stratified folds spread every class evenly and are seed-deterministic', () => {
    const y = Uint16Array.from({ length: 103 }, (_, i) => (i < 100 ? i % 2 : 2));
    const f = stratifiedFolds(y, 3, 5, 42);
    assert.deepEqual(f, stratifiedFolds(y, 3, 5, 42));
    for (let c = 0; c < 3; c++) {
      const per = [0, 0, 0, 0, 0];
      y.forEach((v, i) => { if (v === c) per[f[i]]++; });
      assert.ok(Math.max(...per) - Math.min(...per) <= 1, `class ${c}: ${per}`);
    }
  });
});

describe('histogram random forest', () => {
  it('is deterministic for a seed (identical ONNX bytes) and differs for another seed', () => {
    const ds = synthetic(600, 1);
    const opts = { trees: 10, maxDepth: 40, minSamplesLeaf: 1, seed: 5, bootstrap: true };
    const a = forestToOnnx(trainForest(ds.x, ds.y, 6, 3, opts).forest, ds.labels);
    const b = forestToOnnx(trainForest(ds.x, ds.y, 6, 3, opts).forest, ds.labels);
    const c = forestToOnnx(trainForest(ds.x, ds.y, 6, 3, { ...opts, seed: 6 }).forest, ds.labels);
    assert.ok(Buffer.from(a).equals(Buffer.from(b)));
    assert.ok(!Buffer.from(a).equals(Buffer.from(c)));
  });

  it('its ONNX export gives the same probabilities in onnxruntime as the TS predictor', async () => {
    const train = synthetic(900, 2);
    const test = synthetic(300, 3);
    const { forest } = trainForest(train.x, train.y, 6, 3, { trees: 20, maxDepth: 40, minSamplesLeaf: 1, seed: 1, bootstrap: true });
    const ours = predictProba(forest, test.x, test.rows);
    const s = await OrtSession.create(forestToOnnx(forest, train.labels));
    const r = await s.run({ data: test.x, rows: test.rows, cols: 6, dtype: 'float32', outputs: ['probabilities'] });
    await s.release();
    const ort = r.probabilities.data as Float32Array;
    assert.equal(ort.length, test.rows * 3);
    let maxDiff = 0;
    for (let i = 0; i < ort.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ort[i] - ours[i]));
    assert.ok(maxDiff < 1e-6, `max |ORT − TS| = ${maxDiff}`);
    // and it learned something: held-out accuracy well above chance (1/3)
    let correct = 0;
    for (let i = 0; i < test.rows; i++) {
      let best = 0;
      for (let k = 1; k < 3; k++) if (ours[i * 3 + k] > ours[i * 3 + best]) best = k;
      if (best === test.y[i]) correct++;
    }
    assert.ok(correct / test.rows > 0.8, `accuracy ${correct / test.rows}`);
  });

  it('the two-stage (detector + attack type) export matches its TS prediction and sums to 1', async () => {
    const ds = synthetic(600, 4);
    const res = trainModel(ds, { benignLabels: ['BENIGN'], profile: 'improved', detector: true, folds: 3, forest: { trees: 8 } });
    assert.deepEqual(res.card.labels, ['BENIGN', 'DoS', 'Scan']);
    assert.equal(res.report!.confusion.flat().reduce((a, b) => a + b, 0), 600);
    const s = await OrtSession.create(res.onnx);
    const test = synthetic(60, 9);
    const r = await s.run({ data: test.x, rows: 60, cols: 6, dtype: 'float32', outputs: ['probabilities'] });
    await s.release();
    const p = r.probabilities.data as Float32Array;
    for (let i = 0; i < 60; i++) assert.ok(Math.abs(p[i * 3] + p[i * 3 + 1] + p[i * 3 + 2] - 1) < 1e-5);
  });

  it('boosted trees: fit a separable target exactly, and the forest + boosting detector exports equal to its TS prediction', async () => {
    // two informative features, label = a > 0.5 XOR b > 3: needs depth-2 interactions
    const ds = synthetic(600, 4);
    const yb = new Uint8Array(600);
    for (let i = 0; i < 600; i++) yb[i] = (ds.x[i * 6] > 0.5) !== (ds.x[i * 6 + 1] > 3) ? 1 : 0;
    const { model } = trainBoosting(ds.x, yb, 6, { ...defaultBoostingOptions, iterations: 60, maxLeaves: 8 });
    const p = predictBoosted(model, ds.x, 600);
    let wrong = 0;
    for (let i = 0; i < 600; i++) if ((p[i] >= 0.5 ? 1 : 0) !== yb[i]) wrong++;
    assert.equal(wrong, 0);
    assert.equal(model.trees.length, 60);
    assert.ok(model.trees.every((t) => t.feature.filter((f) => f < 0).length <= 8));
    // deterministic
    assert.deepEqual(predictBoosted(trainBoosting(ds.x, yb, 6, { ...defaultBoostingOptions, iterations: 60, maxLeaves: 8 }).model, ds.x, 600), p);

    const opts = { benignLabels: ['BENIGN'], profile: 'improved', detector: true, folds: 0, forest: { trees: 8 }, boosting: { iterations: 20 } };
    const res = trainModel(ds, opts);
    assert.match(res.card.description, /averaged with 20 gradient-boosted trees/);
    const test = synthetic(60, 9);
    const s = await OrtSession.create(res.onnx);
    const r = await s.run({ data: test.x, rows: 60, cols: 6, dtype: 'float32', outputs: ['probabilities'] });
    await s.release();
    const onnx = r.probabilities.data as Float32Array;
    // the TS twin of the graph (forest mean and sigmoid(margin) averaged; attack types share the rest)
    const det = trainForest(ds.x, Uint16Array.from(ds.y, (v) => (v === 0 ? 0 : 1)), 6, 2, { ...defaultForestOptions, trees: 8 }).forest;
    const gb = trainBoosting(ds.x, Uint16Array.from(ds.y, (v) => (v === 0 ? 0 : 1)), 6, { ...defaultBoostingOptions, iterations: 20 }).model;
    const pf = predictProba(det, test.x, 60);
    const pg = predictBoosted(gb, test.x, 60);
    for (let i = 0; i < 60; i++) {
      const pa = (pf[i * 2 + 1] + pg[i]) / 2;
      assert.ok(Math.abs(onnx[i * 3] - (1 - pa)) < 1e-5, `row ${i}: onnx P(benign) ${onnx[i * 3]} vs ${1 - pa}`);
      assert.ok(Math.abs(onnx[i * 3] + onnx[i * 3 + 1] + onnx[i * 3 + 2] - 1) < 1e-5);
    }
  });

  it('threshold auto: best F1 within the benign-flagged budget (ties → higher), chosen by nested CV', () => {
    const isAttack = [0, 0, 0, 1, 1, 1];
    assert.equal(chooseThreshold([0.1, 0.3, 0.62, 0.65, 0.9, 0.95], isAttack, 0), 0.65);
    assert.equal(chooseThreshold([0.1, 0.3, 0.62, 0.5, 0.9, 0.95], isAttack, 0), 0.9);
    assert.equal(chooseThreshold([0.1, 0.3, 0.62, 0.5, 0.9, 0.95], isAttack, 1 / 3), 0.5);
    assert.equal(chooseThreshold([0.99, 0.3, 0.62, 0.5, 0.9, 0.95], isAttack, 0), 0.975); // nothing fits: fewest false alarms
    // 100 easy benign rows of a second source must not buy a false alarm among the first source's 2
    const p = [0.1, 0.6, 0.5, 0.8, ...Array(100).fill(0)];
    const attack = [0, 0, 1, 1, ...Array(100).fill(0)];
    assert.equal(chooseThreshold(p, attack, 0.01), 0.5);
    assert.equal(chooseThreshold(p, attack, 0.01, [0, 0, 0, 0, ...Array(100).fill(1)]), 0.8);
    const ds = synthetic(600, 4);
    const opts = { benignLabels: ['BENIGN'], profile: 'improved', detector: true, folds: 3, threshold: 'auto' as const, maxBenignFlagged: 0.01, forest: { trees: 8 } };
    const res = trainModel(ds, opts);
    const cv = crossValidate(ds, opts);
    assert.equal(cv.foldThresholds.length, 3);
    // the final threshold: the bagged choice on all held-out predictions (seed = forest seed + 300)
    const isAtt = Array.from(ds.y, (v) => (v === 0 ? 0 : 1));
    assert.equal(res.card.threshold, baggedThreshold(cv.attackProbability, isAtt, 0.01, undefined, DEFAULT_THRESHOLD_BOOTSTRAP, 1 + 300));
    assert.equal((res.card.provenance as Record<string, unknown>).thresholdBootstrap, 100);
    const single = trainModel(ds, { ...opts, thresholdBootstrap: 0 });
    assert.equal(single.card.threshold, chooseThreshold(crossValidate(ds, { ...opts, thresholdBootstrap: 0 }).attackProbability, isAtt, 0.01));
    assert.match(res.reportText, new RegExp(`outer-fold thresholds ${cv.foldThresholds.join(', ')}; the final model's threshold ${res.card.threshold} `));
    assert.deepEqual(Buffer.from(trainModel(ds, opts).onnx), Buffer.from(res.onnx)); // deterministic
    // --threshold-source: only that source's held-out rows pick the threshold
    const two = { ...ds, source: Uint16Array.from({ length: 600 }, (_, i) => i % 2), sourceNames: ['main', 'aux'] };
    const o2 = { ...opts, thresholdSources: ['main'] };
    const cv2 = crossValidate(two, o2);
    const main = Array.from({ length: 300 }, (_, j) => 2 * j);
    const res2 = trainModel(two, o2);
    assert.equal(res2.card.threshold, baggedThreshold(main.map((i) => cv2.attackProbability[i]), main.map((i) => (two.y[i] === 0 ? 0 : 1)), 0.01, main.map(() => 0), DEFAULT_THRESHOLD_BOOTSTRAP, 1 + 300));
    assert.match(res2.reportText, /benign flagged on the held-out rows of main, averaged over 100 bootstrap resamples, inner 3-fold/);
    assert.throws(() => trainModel(two, { ...opts, thresholdSources: ['lab'] }), /threshold source "lab" is not one of the data sources: main, aux/);
  });

  it('bagged threshold: averaging the budgeted choice over bootstrap resamples smooths a few attack-like benign rows', () => {
    // 1000 benign rows below 0.5 except three attack-like ones (0.8, 0.9, 0.92); 1000 attacks from 0.6 up
    const p: number[] = [];
    const a: number[] = [];
    for (let i = 0; i < 997; i++) { p.push((i % 500) / 1000); a.push(0); }
    p.push(0.8, 0.9, 0.92); a.push(0, 0, 0);
    for (let i = 0; i < 1000; i++) { p.push(0.6 + (0.4 * i) / 1000); a.push(1); }
    // one choice: 0.1 % allows one false alarm, so the threshold must clear the 0.9 row (grid step 0.0125)
    assert.equal(chooseThreshold(p, a, 0.001), 0.9125);
    assert.equal(baggedThreshold(p, a, 0.001, undefined, 0, 7), 0.9125);
    const bagged = baggedThreshold(p, a, 0.001, undefined, 100, 7);
    assert.equal(bagged, baggedThreshold(p, a, 0.001, undefined, 100, 7)); // deterministic for a seed
    assert.equal(bagged, 0.873);
    assert.ok(bagged > 0.8 && bagged < 0.9125);
    assert.notEqual(baggedThreshold(p, a, 0.001, undefined, 100, 8), bagged);
  });

  it('refuses data without the benign label or with a single class', () => {
    const ds = synthetic(30, 1);
    assert.throws(() => trainModel(ds, { benignLabels: ['NORMAL'], profile: 'improved', folds: 0 }), /none of the benign label\(s\) NORMAL occur in the data/);
    const one = { ...ds, labels: ['BENIGN'], y: new Uint16Array(30) };
    assert.throws(() => trainModel(one, { benignLabels: ['BENIGN'], profile: 'improved', folds: 0 }), /need at least two classes/);
  });

  it('meets the bar on improved CIC-IDS2017 (5-fold CV): macro-F1 ≥ 0.967, binary F1 ≥ 0.9993', { skip: cicSkip }, () => {
    const files = fs.readdirSync(cicDir).filter((f) => f.endsWith('.csv')).map((f) => path.join(cicDir, f));
    const ds = loadCsvDataset(files, { labelColumn: 'Label', exclude: ['Total TCP Flow Time'] });
    assert.equal(ds.rows, 25127);
    assert.equal(ds.labels.length, 16);
    const res = trainModel(ds, { benignLabels: ['BENIGN'], profile: 'improved', folds: 5, detector: true, threshold: 0.5, forest: { trees: 100, seed: 1 } });
    const r = res.report!;
    assert.ok(r.macroF1 >= 0.967, `macro-F1 ${r.macroF1}`);
    assert.ok(r.binary.f1 >= 0.9993, `binary F1 ${r.binary.f1}`);
    assert.ok(res.onnx.length < 20e6);
  });
});
