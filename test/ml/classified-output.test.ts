/**
 * The classifier node's outputs built from verdict columns (lib/ml/classified-output.ts): flow
 * objects exactly as `{...flow, label, confidence, probabilities, model}` for any mix of key
 * lists, and flow-columns batches split by verdict with their verdicts as arrays.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VerdictColumns } from '../../lib/ml/classifier.js';
import { classifiedColumns, classifiedObjects } from '../../lib/ml/classified-output.js';
import { flowColumnsFromObjects, flowColumnsToObjects, isFlowColumns } from '../../lib/normalize/flow-columns.js';

/** Hand-made verdicts: row i is malicious when i % 3 === 0; two classes. */
function verdicts(rows: number): VerdictColumns {
  const v: VerdictColumns = {
    rows, labels: ['BENIGN', 'DoS'], label: new Uint8Array(rows), confidence: new Float32Array(rows), attackProbability: new Float64Array(rows),
    malicious: new Uint8Array(rows), probabilities: new Float32Array(rows * 2), detections: 0,
  };
  for (let i = 0; i < rows; i++) {
    const bad = i % 3 === 0;
    const p = 0.25 + (i % 7) / 10; // P(DoS)
    v.probabilities[i * 2] = 1 - p;
    v.probabilities[i * 2 + 1] = p;
    v.label[i] = bad ? 1 : 0;
    v.confidence[i] = bad ? p : 1 - p;
    v.attackProbability[i] = p;
    v.malicious[i] = bad ? 1 : 0;
    v.detections += bad ? 1 : 0;
  }
  return v;
}
const probabilitiesAt = (v: VerdictColumns, i: number): Record<string, number> => ({ BENIGN: v.probabilities[i * 2], DoS: v.probabilities[i * 2 + 1] });

describe('classified outputs', () => {
  it('flow objects: the same objects, keys in the same order, as object spread, whatever the mix of key lists', async () => {
    const proto = { inherited: 1 };
    const withProto = Object.assign(Object.create(proto) as Record<string, unknown>, { a: 1, b: 2 });
    const dunder = JSON.parse('{"a": 1, "__proto__": {"x": 1}}') as Record<string, unknown>;
    const flows: Array<Record<string, unknown>> = [
      { a: 1, b: 'x', c: 2.5 }, { a: 2, b: 'y', c: -1 }, // one key list
      { b: 'z', a: 3, c: 0 }, // same keys, other order
      { a: 4, b: 'w', c: 1, note: 'extra' }, // an extra key
      { a: 5, b: 'v' }, // a missing key
      { a: 6, label: 'mine', b: 'u', model: 'old' }, // keys the verdict sets: keep their place, take its value
      withProto, dunder, {}, { a: 7, b: 'x', c: 9 }, // back to the first key list
    ];
    const v = verdicts(flows.length);
    const { benign, malicious } = await classifiedObjects(flows, v, 'm1', probabilitiesAt, 4);
    const expected = flows.map((f, i) => ({ ...f, label: v.labels[v.label[i]], confidence: v.confidence[i], probabilities: probabilitiesAt(v, i), model: 'm1' }));
    const expectBad = expected.filter((_, i) => i % 3 === 0);
    const expectGood = expected.filter((_, i) => i % 3 !== 0);
    assert.deepStrictEqual(malicious, expectBad);
    assert.deepStrictEqual(benign, expectGood);
    assert.deepEqual([...malicious, ...benign].map((o) => Object.keys(o)), [...expectBad, ...expectGood].map((o) => Object.keys(o)));
    // rows 0, 3, 6, 9 are malicious
    assert.ok(!('inherited' in malicious[2]) && malicious[2].a === 1 && malicious[2].b === 2); // own keys only
    assert.deepEqual(Object.keys(benign[3]), ['a', 'label', 'b', 'model', 'confidence', 'probabilities']);
    assert.equal(benign[3].label, 'BENIGN');
    assert.equal(benign[3].model, 'm1');
    assert.deepEqual(Object.keys(benign[4]), ['a', '__proto__', 'label', 'confidence', 'probabilities', 'model']); // an own "__proto__" key stays a key
    assert.equal(Object.getPrototypeOf(benign[4]), Object.prototype);
  });

  it('flow objects in place: plain flow objects are annotated themselves, with the content and key order of the copies; other rows are copied', async () => {
    const make = (): Array<Record<string, unknown> | number[]> => [
      { a: 1, b: 'x', c: 2.5 }, { a: 2, b: 'y', c: -1 }, { b: 'z', a: 3, c: 0 },
      { a: 6, label: 'mine', b: 'u', model: 'old', suppressed: 'kept' }, // verdict keys keep their place, take its value
      JSON.parse('{"a": 1, "__proto__": {"x": 1}}') as Record<string, unknown>, // an own "__proto__" key
      Object.freeze({ a: 8, b: 'f' }), // not extensible: copied
      Object.assign(Object.create(null) as Record<string, unknown>, { a: 9 }), // null prototype: copied (a copy is a plain object)
      Object.assign(Object.create({ inherited: 1 }) as Record<string, unknown>, { a: 10 }), // another prototype: copied
      [0.5, 0.25], // a numeric row: an object with the verdict only
      {},
    ];
    const copied = make();
    const inputs = make();
    const v = verdicts(inputs.length);
    v.suppressed = new Uint8Array(inputs.length);
    v.suppressed[1] = 1; // a benign row the lone-flow stage turned benign
    const copies = await classifiedObjects(copied, v, 'm1', probabilitiesAt, 3);
    const annotated = await classifiedObjects(inputs, v, 'm1', probabilitiesAt, 3, { inPlace: true });
    for (const side of ['benign', 'malicious'] as const) {
      assert.deepStrictEqual(annotated[side], copies[side]);
      assert.deepEqual(annotated[side].map((o) => Object.keys(o)), copies[side].map((o) => Object.keys(o)));
    }
    // rows 0, 3, 6, 9 are malicious; rows 0-4 and 9 are plain extensible objects: the inputs themselves
    const all = [...annotated.malicious, ...annotated.benign];
    const order = [0, 3, 6, 9, 1, 2, 4, 5, 7, 8];
    assert.deepEqual(order.map((i, k) => all[k] === inputs[i]), order.map((i) => i <= 4 || i === 9));
    assert.deepEqual(Object.keys(inputs[3]), ['a', 'label', 'b', 'model', 'suppressed', 'confidence', 'probabilities']);
    assert.equal((inputs[1] as Record<string, unknown>).suppressed, 'single packet, not corroborated');
    assert.deepEqual(Object.keys(inputs[5]), ['a', 'b']); // the frozen input is untouched
    assert.equal(Object.getPrototypeOf(all[order.indexOf(6)]), Object.prototype);
    assert.ok(!('inherited' in all[order.indexOf(7)]));
    // without the option nothing is annotated
    assert.deepEqual(Object.keys(copied[0]), ['a', 'b', 'c']);
  });

  it('flow objects from a flow-columns batch: the cells of flowColumnsToObjects plus the verdict', async () => {
    const flows = Array.from({ length: 10 }, (_, i) => ({ 'Flow ID': `f${i}`, 'Src Port': 1000 + i, 'Flow Duration': i * 1.5, Timestamp: `t${i}` }));
    const fc = flowColumnsFromObjects(flows, 'improved');
    const v = verdicts(10);
    const { benign, malicious } = await classifiedObjects(fc, v, 'm1', probabilitiesAt, 3);
    const expected = flowColumnsToObjects(fc).map((f, i) => ({ ...f, label: v.labels[v.label[i]], confidence: v.confidence[i], probabilities: probabilitiesAt(v, i), model: 'm1' }));
    assert.deepStrictEqual([...malicious, ...benign], [...expected.filter((_, i) => i % 3 === 0), ...expected.filter((_, i) => i % 3 !== 0)]);
    assert.deepEqual(Object.keys(benign[0]), ['Flow ID', 'Src Port', 'Flow Duration', 'Timestamp', 'label', 'confidence', 'probabilities', 'model']);
  });

  it('flow columns: a mixed batch is split by verdict, rows and verdict arrays kept together', async () => {
    const flows = Array.from({ length: 10 }, (_, i) => ({ 'Flow ID': `f${i}`, 'Src Port': 1000 + i, 'Flow Duration': i * 1.5 }));
    const fc = flowColumnsFromObjects(flows, 'improved');
    const v = verdicts(10);
    const { benign, malicious } = await classifiedColumns(fc, v, 'm1', 2);
    assert.ok(benign && malicious && isFlowColumns(benign) && isFlowColumns(malicious));
    const bad = [0, 3, 6, 9];
    const good = [1, 2, 4, 5, 7, 8];
    for (const [part, rows] of [[malicious, bad], [benign, good]] as const) {
      assert.equal(part.rows, rows.length);
      assert.equal(part.profile, 'improved');
      assert.deepEqual(flowColumnsToObjects(part), rows.map((i) => flowColumnsToObjects(fc)[i]));
      assert.deepEqual(part.verdicts.classes, ['BENIGN', 'DoS']);
      assert.equal(part.verdicts.model, 'm1');
      assert.deepEqual(part.verdicts.label, rows.map((i) => v.labels[v.label[i]]));
      assert.deepEqual(Array.from(part.verdicts.confidence), rows.map((i) => v.confidence[i]));
      assert.deepEqual(Array.from(part.verdicts.attackProbability), rows.map((i) => v.attackProbability[i]));
      assert.deepEqual(Array.from(part.verdicts.malicious), rows.map((i) => v.malicious[i]));
      assert.deepEqual(Array.from(part.verdicts.probabilities), rows.flatMap((i) => [v.probabilities[i * 2], v.probabilities[i * 2 + 1]]));
    }
    // a batch whose rows all go one way is passed on with its own arrays
    const allGood = verdicts(10);
    allGood.malicious.fill(0);
    allGood.label.fill(0);
    allGood.detections = 0;
    const whole = await classifiedColumns(fc, allGood, 'm1');
    assert.equal(whole.malicious, null);
    assert.equal(whole.benign!.values, fc.values);
    assert.equal(whole.benign!.text, fc.text);
    assert.equal(whole.benign!.verdicts.probabilities, allGood.probabilities);
    assert.deepEqual(whole.benign!.verdicts.label, new Array(10).fill('BENIGN'));
  });
});
