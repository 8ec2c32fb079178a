/**
 * deepmad-classifier: one large message (20,000 flows, past the 8192-row mark where outputs come from
 * builders of their own, and cut into many slices with yields between them) gives exactly what the
 * same flows give in small messages, and what the library gives: same objects, same order, one
 * message per output instead of one per output and message. Flows are metered by our flow meter from
 * real captures (test/fixtures/alerts) and repeated; the model is the shipped default. The node
 * annotates an array payload's flow objects in place: each run sends objects of its own, one per row,
 * as the flow meter does. The behaviour rules are off: the repeated sshguess sessions would rightly
 * trip the repeated-login rule, which the library verdicts compared against do not include.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { meterCapture } from '../../lib/ml/capture-flows.js';
import { Classifier } from '../../lib/ml/classifier.js';
import { defaultModelPath } from '../../lib/ml/default-model.js';
import { collect, helperNode, nextMessage, recordStatus, tab, useNodeRedHelper, type Msg, type RuntimeNode } from '../support/node-helper.js';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const functionNode = require(require.resolve('@node-red/nodes/core/function/10-function.js', { paths: [path.dirname(require.resolve('node-red/package.json'))] }));

const fixtures = path.join(__dirname, '..', 'fixtures', 'alerts');
const CAPTURES = ['zeek_wikipedia.pcap', 'nfstream_android.pcap', 'suricata_syn-flood_crafted.pcap', 'zeek_ssh_sshguess.pcap'];
const ROWS = 20_000;
const SMALL = 1000;

type Flow = Record<string, unknown>;
/** one object per row, copied from the metered flows (which repeat) */
const own = (xs: Flow[]): Flow[] => xs.map((f) => ({ ...f }));
let flows: Flow[];
/** the library's verdict per flow (in-process inference): malicious or not */
let malicious: boolean[];
let labels: string[];
let probabilities: Array<Record<string, number>>;
let confidence: number[];

before(async () => {
  const metered = (await Promise.all(CAPTURES.map((f) => meterCapture(path.join(fixtures, f), 'improved')))).flat();
  flows = Array.from({ length: ROWS }, (_, i) => metered[(i * 7) % metered.length]); // benign and attack rows interleaved
  const clf = await Classifier.open(defaultModelPath(), { worker: false });
  const v = await clf.classify(flows);
  // the library's large-call Verdict objects equal its small-call ones, keys in the same order
  assert.deepStrictEqual(v.slice(0, SMALL), await clf.classify(flows.slice(0, SMALL)));
  assert.deepEqual(Object.keys(v[0]), ['label', 'confidence', 'probabilities', 'attackProbability', 'malicious']);
  await clf.close();
  malicious = v.map((x) => x.malicious);
  labels = v.map((x) => x.label);
  probabilities = v.map((x) => x.probabilities);
  confidence = v.map((x) => x.confidence);
});

/** Sends `payloads` and collects both outputs until every row has come out on its side. */
async function run(c: RuntimeNode, benign: RuntimeNode, bad: RuntimeNode, payloads: Flow[][]): Promise<{ benign: Msg[]; bad: Msg[] }> {
  const nBad = malicious.filter(Boolean).length;
  const rows = (ms: Msg[]): number => ms.reduce((n, m) => n + (m.payload as Flow[]).length, 0);
  const got = Promise.all([
    collect(benign, (_m, all) => rows(all) >= ROWS - nBad, 120_000),
    collect(bad, (_m, all) => rows(all) >= nBad, 120_000),
  ]);
  for (const payload of payloads) c.receive({ topic: 'deepmad/flows', profile: 'improved', payload });
  const [b, m] = await got;
  return { benign: b, bad: m };
}

describe('deepmad-classifier, one large message', () => {
  const h = useNodeRedHelper();

  it('gives exactly the outputs of the same flows in 1000-flow messages, and the library verdicts', async () => {
    const nBad = malicious.filter(Boolean).length;
    assert.ok(nBad > 1000 && nBad < ROWS - 1000, `both outputs used: ${nBad} malicious of ${ROWS}`);
    await h.load(['classifier'], [tab(), { id: 'c1', z: 't1', type: 'deepmad-classifier', rules: false, wires: [['benign'], ['bad']] }, helperNode('benign'), helperNode('bad')]);
    const c1 = h.getNode('c1');
    await recordStatus(c1).waitFor((s) => /: ready$/.test(s.text ?? ''));
    const benign = h.getNode('benign');
    const bad = h.getNode('bad');

    const sent = own(flows);
    const one = await run(c1, benign, bad, [sent]);
    const rest = own(flows);
    const chunks = Array.from({ length: ROWS / SMALL }, (_, k) => rest.slice(k * SMALL, (k + 1) * SMALL));
    const many = await run(c1, benign, bad, chunks);

    // one message per output for the large one; one per output and small message that has such rows
    assert.equal(one.benign.length, 1);
    assert.equal(one.bad.length, 1);
    const chunkHas = (want: boolean): number => chunks.filter((_, k) => malicious.slice(k * SMALL, (k + 1) * SMALL).includes(want)).length;
    assert.equal(many.benign.length, chunkHas(false));
    assert.equal(many.bad.length, chunkHas(true));
    assert.equal(one.bad[0].detections, nBad);
    assert.equal(one.benign[0].detections, 0);
    assert.deepEqual(many.bad.map((m) => m.detections), many.bad.map((m) => (m.payload as Flow[]).length));

    // the sent objects themselves, annotated, each output in input order
    const oneBad = one.bad[0].payload as Flow[];
    const oneBenign = one.benign[0].payload as Flow[];
    const sentBad = sent.filter((_, i) => malicious[i]);
    const sentBenign = sent.filter((_, i) => !malicious[i]);
    assert.ok(oneBad.every((f, k) => f === sentBad[k]) && oneBad.length === sentBad.length);
    assert.ok(oneBenign.every((f, k) => f === sentBenign[k]) && oneBenign.length === sentBenign.length);
    // keys: the flow's, then the verdict's
    assert.deepEqual(Object.keys(oneBad[0]), [...Object.keys(flows[0]), 'label', 'confidence', 'probabilities', 'model']);
    // the same objects (distinct ones: each message sent its own), in the same order, values exact
    assert.notEqual(oneBad[0], (many.bad[0].payload as Flow[])[0]);
    assert.deepStrictEqual(oneBad, many.bad.flatMap((m) => m.payload as Flow[]));
    assert.deepStrictEqual(oneBenign, many.benign.flatMap((m) => m.payload as Flow[]));

    // and what the library decided, flow by flow, each output in input order
    const expectBad = flows.filter((_, i) => malicious[i]);
    const expectBenign = flows.filter((_, i) => !malicious[i]);
    assert.deepEqual(oneBad.map((f) => f['Flow ID']), expectBad.map((f) => f['Flow ID']));
    assert.deepEqual(oneBenign.map((f) => f['Flow ID']), expectBenign.map((f) => f['Flow ID']));
    const split = <T>(xs: T[]): T[] => [...xs.filter((_, i) => malicious[i]), ...xs.filter((_, i) => !malicious[i])];
    const out = [...oneBad, ...oneBenign];
    assert.deepEqual(out.map((f) => f.label), split(labels));
    assert.deepEqual(out.map((f) => f.confidence), split(confidence));
    assert.deepStrictEqual(out.map((f) => f.probabilities), split(probabilities));
    assert.ok(oneBad.every((f) => f.model === 'deepmad-default'));
  });

  it('an output wired to two nodes reaches the second as a deep copy; the fan-out of the help shares the payload', async () => {
    const part = own(flows.slice(0, 2000));
    const fanOut = 'node.send([msg, null], false); node.send([null, {...msg}], false); return null;';
    await h.load(['classifier', functionNode], [tab(),
      { id: 'c1', z: 't1', type: 'deepmad-classifier', rules: false, wires: [[], ['x', 'y', 'f']] },
      { id: 'f', z: 't1', type: 'function', func: fanOut, outputs: 2, wires: [['fx'], ['fy']] },
      helperNode('x'), helperNode('y'), helperNode('fx'), helperNode('fy')]);
    const c1 = h.getNode('c1');
    await recordStatus(c1).waitFor((s) => /: ready$/.test(s.text ?? ''));
    const got = Promise.all(['x', 'y', 'fx', 'fy'].map((id) => nextMessage(h.getNode(id), () => true, 60_000)));
    c1.receive({ topic: 'deepmad/flows', payload: part });
    const [x, y, fx, fy] = await got;
    assert.equal((x.payload as Flow[]).length, malicious.slice(0, 2000).filter(Boolean).length);
    // Node-RED: the first wire gets the message, every further wire a deep copy of it
    assert.notEqual(x.payload, y.payload);
    assert.notEqual((x.payload as Flow[])[0], (y.payload as Flow[])[0]);
    assert.deepStrictEqual(y.payload, x.payload);
    // one send() per output with a shallow copy, without the function node's own copy: nothing copied
    // (f, a third wire here, got its own copy from Node-RED; its two outputs share that one)
    assert.notEqual(fx, fy);
    assert.equal(fx.payload, fy.payload);
  });
});
