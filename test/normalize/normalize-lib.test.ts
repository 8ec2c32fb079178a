/**
 * lib/normalize: column choice, the scaler arithmetic (identical to the model card's minmax-uint8),
 * fitting from CSV (own small files and the shared improved-CIC-IDS2017 sample), the three modes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  chooseFeatureColumns, createNormalizer, scaleMatrix, finishFit, fitScalerFromCsv, loadScaler, MinMaxAccumulator, normalizeModes,
  registerNormalizeMode, saveScaler, scaleSpans, scaleValue, scalerToPreprocessing, splitCsvLine, validateScaler,
  type Scaler,
} from '../../lib/normalize/index.js';
import { compilePreprocessing, preprocessValue, validateCard } from '../../lib/ml/card.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-normalize-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const shared = path.resolve(__dirname, '..', '..', '..', 'shared');
const improved = path.join(shared, 'data', 'flows', 'improved-cicids2017-rnd2500');
const improvedSkip = fs.existsSync(improved) ? false : `needs ../shared (${improved})`;

function flow(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'Flow ID': `10.0.0.1-10.0.0.2-${1000 + i}-80-6`, 'Src IP': '10.0.0.1', 'Src Port': 1000 + i, 'Dst IP': '10.0.0.2',
    'Dst Port': 80, Protocol: 6, Timestamp: '2017-07-07 12:00:00.5', 'Flow Duration': i * 100, 'Total Fwd Packet': i % 3,
    ...extra,
  };
}

describe('feature columns', () => {
  it('drops identity columns and non-numeric cells, keeps Dst Port and Protocol, in flow order', () => {
    assert.deepEqual(chooseFeatureColumns(flow(1, { Label: 'BENIGN', 'Attempted Category': -1, id: 7, Note: 'x' })),
      ['Dst Port', 'Protocol', 'Flow Duration', 'Total Fwd Packet']);
    assert.deepEqual(chooseFeatureColumns(flow(1), { keepIdentity: true }),
      ['Src Port', 'Dst Port', 'Protocol', 'Flow Duration', 'Total Fwd Packet']);
    assert.deepEqual(chooseFeatureColumns(flow(1), { drop: ['protocol'] }), ['Dst Port', 'Flow Duration', 'Total Fwd Packet']);
    assert.deepEqual(chooseFeatureColumns(flow(1), { columns: ['Flow Duration'] }), ['Flow Duration']);
  });
  it('splits CSV lines with quotes, escaped quotes and empty cells', () => {
    assert.deepEqual(splitCsvLine('a,"b,c","d""e",,f'), ['a', 'b,c', 'd"e', '', 'f']);
    assert.deepEqual(splitCsvLine(''), ['']);
    assert.deepEqual(splitCsvLine('x,'), ['x', '']);
  });
});

describe('scaler arithmetic', () => {
  it('maps min..max to 0..255 with floor, clips outside, constant columns to 0', () => {
    const sp = scaleSpans([0, 10, 5, 0], [255, 20, 5, 200]);
    assert.deepEqual(Array.from(sp), [255, 10, 0, 200]);
    assert.deepEqual([0, 1, 254.9, 255, 300, -4].map((x) => scaleValue(x, 0, sp[0])), [0, 1, 254, 255, 255, 0]);
    assert.deepEqual([10, 11, 15, 19.99, 20, 21, 9].map((x) => scaleValue(x, 10, sp[1])), [0, 25, 127, 254, 255, 255, 0]);
    assert.deepEqual([4, 5, 6].map((x) => scaleValue(x, 5, sp[2])), [0, 0, 0]);
    // x == max is exactly 255 (200 * (255 / 200) would be 254.99999999999997)
    assert.equal(scaleValue(200, 0, sp[3]), 255);
  });
  it('non-finite: zero treats them as 0, clamp sends +Infinity to 255', () => {
    const sp = scaleSpans([-10], [10])[0];
    assert.deepEqual([NaN, Infinity, -Infinity].map((x) => scaleValue(x, -10, sp, 'zero')), [127, 127, 127]);
    assert.deepEqual([NaN, Infinity, -Infinity].map((x) => scaleValue(x, -10, sp, 'clamp')), [127, 255, 0]);
  });
  it('scaleMatrix (the inlined hot loop) equals scaleValue, non-finite values and both modes included', () => {
    const min = [0, -5, 3, 1e9];
    const max = [255, 5, 3, 2e9];
    const vals = [0, 1, 254.5, 255, 256, -1, NaN, Infinity, -Infinity, 2.5, -4.99, 3, 1.5e9, 7e9];
    const rows = vals.length;
    const m = new Float64Array(rows * 4);
    for (let r = 0; r < rows; r++) for (let i = 0; i < 4; i++) m[r * 4 + i] = vals[(r + i) % rows];
    const sp = scaleSpans(min, max);
    for (const mode of ['zero', 'clamp'] as const) {
      const got = scaleMatrix(m, rows, min, max, mode);
      for (let k = 0; k < rows * 4; k++) assert.equal(got[k], scaleValue(m[k], min[k % 4], sp[k % 4], mode), `${mode} ${m[k]} col ${k % 4}`);
    }
  });
  it('agrees with the model card minmax-uint8 preprocessing (bit-exact except at exact-integer quotients)', () => {
    const min = [0, -3.5, 1e6, 7];
    const max = [1, 1e9, 2e6, 7];
    const scaler: Scaler = { format: 'deepmad-scaler', version: 1, method: 'minmax', range: [0, 255], columns: ['a', 'b', 'c', 'd'], min, max, rows: 1 };
    const card = validateCard({
      format: 'deepmad-model-card', profile: 'improved', columns: scaler.columns, labels: ['BENIGN', 'X'], benignLabels: ['BENIGN'],
      threshold: 0.5, preprocessing: scalerToPreprocessing(scaler),
    });
    const pp = compilePreprocessing(card);
    const sp = scaleSpans(min, max);
    let x = 12345;
    let differ = 0;
    for (let k = 0; k < 20000; k++) {
      x = (x * 1103515245 + 12345) % 2147483648; // deterministic LCG
      const col = k % 4;
      const v = min[col] - (max[col] - min[col] || 1) * 0.1 + (x / 2147483648) * (max[col] - min[col] || 1) * 1.2;
      const ours = scaleValue(v, min[col], sp[col]);
      const theirs = preprocessValue(pp, col, v);
      // The card multiplies by a precomputed scale/span; we divide first so that max gives 255.
      // The two can only differ by one step, where the exact quotient is an integer.
      assert.ok(Math.abs(ours - theirs) <= 1, `column ${col} value ${v}: ${ours} vs ${theirs}`);
      if (ours !== theirs) differ++;
    }
    for (const v of [NaN, Infinity, -Infinity]) for (let c = 0; c < 4; c++) assert.equal(scaleValue(v, min[c], sp[c]), preprocessValue(pp, c, v));
    assert.ok(differ < 20, `${differ} of 20000 values differ`);
  });
});

describe('scaler files', () => {
  it('round-trips through JSON and rejects broken files with a clear message', () => {
    const acc = new MinMaxAccumulator(['a', 'b']);
    acc.addRow([1, 5]);
    acc.addRow([3, NaN]);
    acc.addRow([Infinity, -2]);
    const s = acc.toScaler({ source: 'test', profile: 'improved' });
    assert.deepEqual([s.min, s.max, s.rows, s.nonFinite], [[1, -2], [3, 5], 3, 'zero']);
    const file = path.join(tmp, 'sub', 'scaler.json');
    saveScaler(file, s);
    const back = loadScaler(file);
    assert.deepEqual({ ...back, created: '' }, { ...s, created: '' });
    assert.throws(() => validateScaler({ ...s, min: [1] }), /"min" must be an array of 2 finite numbers/);
    assert.throws(() => validateScaler({ ...s, format: 'x' }), /"format" must be "deepmad-scaler"/);
    assert.throws(() => validateScaler({ ...s, min: [4, -2] }), /column 'a' has max < min/);
    fs.writeFileSync(path.join(tmp, 'bad.json'), '{ nope');
    assert.throws(() => loadScaler(path.join(tmp, 'bad.json')), /is not valid JSON/);
    assert.throws(() => loadScaler(path.join(tmp, 'missing.json')), /cannot read scaler file .*ENOENT/);
  });

  it('fits from CSV: trimmed headers, identity columns dropped, Infinity/NaN/blank ignored, several files', async () => {
    const a = path.join(tmp, 'a.csv');
    const b = path.join(tmp, 'b.csv');
    fs.writeFileSync(a, '\uFEFFFlow ID, Src IP, Src Port, Dst Port, Timestamp, Flow Duration, Flow Bytes/s, Label\r\n' +
      '"1-2-3-4-6",10.0.0.1,5555,443,2017-07-07 12:00:00,100,Infinity,BENIGN\r\n' +
      'x,10.0.0.1,5556,80,2017-07-07 12:00:01,50,NaN,DoS\r\n');
    fs.writeFileSync(b, 'Dst Port,Flow Duration,Flow Bytes/s\n22,7000,12.5\n\n,,\n');
    const acc = await fitScalerFromCsv([a, b]);
    const r = finishFit(acc, 'a.csv b.csv');
    assert.deepEqual(r.scaler.columns, ['Dst Port', 'Flow Duration', 'Flow Bytes/s']);
    assert.deepEqual(r.scaler.min, [22, 50, 12.5]);
    assert.deepEqual(r.scaler.max, [443, 7000, 12.5]);
    assert.equal(r.rowsRead, 4);
    assert.deepEqual(r.constantColumns, ['Flow Bytes/s']);
    await assert.rejects(fitScalerFromCsv([path.join(tmp, 'none.csv')]), /none\.csv: no such file/);
    fs.writeFileSync(path.join(tmp, 'c.csv'), 'Dst Port,Other\n1,2\n');
    await assert.rejects(fitScalerFromCsv([a, path.join(tmp, 'c.csv')]), /missing column\(s\) 'Flow Duration', 'Flow Bytes\/s'/);
  });

  it('fits the shared improved CIC-IDS2017 samples to the ranges pandas computes', { skip: improvedSkip }, async () => {
    const files = ['BENIGN_2500.csv', 'DDoS_2500.csv'].map((f) => path.join(improved, f));
    const r = finishFit(await fitScalerFromCsv(files), 'improved');
    assert.equal(r.rowsRead, 5000);
    assert.equal(r.scaler.columns.length, 83); // 91 columns − id, Flow ID, Src IP, Src Port, Dst IP, Timestamp, Label, Attempted Category
    const at = (c: string) => { const i = r.scaler.columns.indexOf(c); return [r.scaler.min[i], r.scaler.max[i]]; };
    // Expected values: pandas.concat(read_csv(...)).min()/max() with ±inf removed.
    assert.deepEqual(at('Dst Port'), [0, 63568]);
    assert.deepEqual(at('Protocol'), [0, 17]);
    assert.deepEqual(at('Flow Duration'), [1, 119938478]);
    assert.deepEqual(at('Flow Bytes/s'), [0, 132826086.95652172]);
    assert.deepEqual(at('Fwd Seg Size Min'), [0, 44]);
    assert.equal(r.scaler.columns[0], 'Dst Port');
    assert.equal(r.scaler.columns.at(-1), 'Total TCP Flow Time');
  });
});

describe('normalize modes', () => {
  const flows = Array.from({ length: 10 }, (_, i) => flow(i, { Label: i % 2 ? 'DoS' : 'BENIGN' }));

  it('scaler mode: the file fixes columns and ranges; names match across dialects; trace kept', () => {
    const file = path.join(tmp, 'fixed.json');
    saveScaler(file, { format: 'deepmad-scaler', version: 1, method: 'minmax', range: [0, 255], columns: [' Flow Duration', 'total fwd packet', 'Dst Port'], min: [0, 0, 0], max: [450, 2, 65535], rows: 1 });
    const n = createNormalizer({ mode: 'scaler', scalerFile: file });
    const b = n.normalize(flows);
    assert.deepEqual(b.columns, [' Flow Duration', 'total fwd packet', 'Dst Port']);
    assert.equal(b.rows, 10);
    assert.deepEqual(Array.from(b.data.subarray(0, 12)), [0, 0, 0, 56, 127, 0, 113, 255, 0, 170, 0, 0]);
    assert.equal(b.data[9 * 3], 255); // 900 > max 450 clips
    assert.equal(b.trace.flowId[3], '10.0.0.1-10.0.0.2-1003-80-6');
    assert.deepEqual([b.trace.srcPort[3], b.trace.dstPort[3], b.trace.protocol[3], b.trace.srcIp[3], b.trace.dstIp[3]], [1003, 80, 6, '10.0.0.1', '10.0.0.2']);
    assert.equal(b.trace.timestamp[0], '2017-07-07 12:00:00.5');
    assert.deepEqual(b.trace.label?.slice(0, 3), ['BENIGN', 'DoS', 'BENIGN']);
    assert.equal(b.mode, 'scaler');
    assert.throws(() => n.normalize([{ 'Dst Port': 1 }]), /flows lack 2 of the 3 scaler columns \(' Flow Duration', 'total fwd packet'\)/);
    assert.throws(() => createNormalizer({ mode: 'scaler' }), /needs a scaler file/);
    assert.throws(() => createNormalizer({ mode: 'nope' }), /unknown normalize mode 'nope' \(known: scaler, online, batch/);
  });

  it('online mode: widens ranges batch by batch, freezes, saves and resumes from the file', () => {
    const file = path.join(tmp, 'online.json');
    const n = createNormalizer({ mode: 'online', scalerFile: file, freezeAfterRows: 6 });
    const b1 = n.normalize(flows.slice(0, 3)); // durations 0..200
    assert.deepEqual(b1.columns, ['Dst Port', 'Protocol', 'Flow Duration', 'Total Fwd Packet']);
    assert.deepEqual(Array.from(b1.data), [0, 0, 0, 0, 0, 0, 127, 127, 0, 0, 255, 255]);
    const b2 = n.normalize(flows.slice(3, 10)); // learns rows 3..5 only (freeze at 6): max duration 500
    assert.deepEqual(Array.from(b2.data.filter((_, i) => i % 4 === 2)), [153, 204, 255, 255, 255, 255, 255]);
    assert.equal(n.save(), true);
    assert.equal(n.save(), false); // nothing new to save
    const saved = loadScaler(file);
    assert.deepEqual([saved.rows, saved.min[2], saved.max[2]], [6, 0, 500]);
    const resumed = createNormalizer({ mode: 'online', scalerFile: file });
    assert.deepEqual(resumed.columns, ['Dst Port', 'Protocol', 'Flow Duration', 'Total Fwd Packet']);
    assert.equal(resumed.normalize([flows[1]]).data[2], 51);
    fs.writeFileSync(path.join(tmp, 'broken.json'), 'x');
    assert.throws(() => createNormalizer({ mode: 'online', scalerFile: path.join(tmp, 'broken.json') }), /not valid JSON/);
  });

  it('batch mode scales every batch by its own range (prototype behaviour)', () => {
    const n = createNormalizer({ mode: 'batch' });
    const a = n.normalize(flows.slice(0, 2));
    const b = n.normalize(flows.slice(3, 5));
    assert.deepEqual(Array.from(a.data), Array.from(b.data)); // different flows, same bytes: the per-batch caveat
    assert.deepEqual(Array.from(a.data), [0, 0, 0, 0, 0, 0, 255, 255]);
  });

  it('new modes plug in through the registry', () => {
    registerNormalizeMode({
      name: 'test-double', summary: 'test',
      create: () => ({ mode: 'test-double', columns: ['x'], normalize: (f) => ({ columns: ['x'], rows: f.length, data: new Uint8Array(f.length).fill(2), trace: createNormalizer({ mode: 'batch' }).normalize([]).trace, mode: 'test-double' }), scaler: () => null, save: () => false }),
    });
    assert.ok(normalizeModes().some((m) => m.name === 'test-double'));
    assert.deepEqual(Array.from(createNormalizer({ mode: 'test-double' }).normalize([{}, {}]).data), [2, 2]);
  });
});
