/**
 * deepmad-classifier and deepmad-train under node-red-node-test-helper, with real inputs: flows
 * metered by our flow meter from real captures (test/fixtures/alerts), and a forest trained here
 * with our trainer (so the expected outputs do not depend on the shipped default model).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { meterCapture } from '../../lib/ml/capture-flows.js';
import { datasetFromRecords } from '../../lib/ml/dataset.js';
import { trainModel, writeModel } from '../../lib/ml/train.js';
import { Classifier } from '../../lib/ml/classifier.js';
import { catchNode, collect, errorCalls, helperNode, nextMessage, recordStatus, tab, useNodeRedHelper } from '../support/node-helper.js';

const fixtures = path.join(__dirname, '..', 'fixtures', 'alerts');
const SYN_FLOOD = path.join(fixtures, 'suricata_syn-flood_crafted.pcap'); // 200 SYNs 192.0.2.10 → 198.51.100.5:443
const SSH_GUESS = path.join(fixtures, 'zeek_ssh_sshguess.pcap'); // 11 flows 192.168.56.1 → :22
const WIKIPEDIA = path.join(fixtures, 'zeek_wikipedia.pcap');
const ANDROID = path.join(fixtures, 'nfstream_android.pcap');

type Flow = Record<string, any>;
/**
 * The flows of one message, as the flow meter sends them: objects of their own. The classifier
 * annotates an array payload's flow objects in place, so the metered fixtures are never sent as is.
 */
const own = (flows: Flow[]): Flow[] => flows.map((f) => ({ ...f }));
let synFlows: Flow[];
let sshFlows: Flow[];
let wikiFlows: Flow[];
let androidFlows: Flow[];
let modelPath: string;
let tmp: string;

before(async () => {
  [synFlows, sshFlows, wikiFlows, androidFlows] = await Promise.all([SYN_FLOOD, SSH_GUESS, WIKIPEDIA, ANDROID].map((f) => meterCapture(f, 'improved')));
  const rows = [...wikiFlows, ...androidFlows, ...synFlows, ...sshFlows];
  const labels = [...wikiFlows.map(() => 'BENIGN'), ...androidFlows.map(() => 'BENIGN'), ...synFlows.map(() => 'DoS'), ...sshFlows.map(() => 'SSH-Patator')];
  const ds = datasetFromRecords(rows, (_r, i) => labels[i], { exclude: ['Dst Port', 'Protocol'] });
  const res = trainModel(ds, { benignLabels: ['BENIGN'], profile: 'improved', folds: 0, name: 'node-test-forest', forest: { trees: 15, maxDepth: 12, seed: 3 } });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-clf-node-'));
  modelPath = path.join(tmp, 'forest.onnx');
  writeModel(modelPath, res);
});

describe('deepmad-classifier', () => {
  const h = useNodeRedHelper();

  it('routes a metered SYN flood to output 2 and benign browsing to output 1, flows kept and annotated', async () => {
    assert.equal(synFlows.length, 200);
    // the expected verdicts, from the same model through the library
    const clf = await Classifier.open(modelPath, { worker: false });
    const expectSyn = await clf.classify(synFlows);
    const expectWiki = await clf.classify(wikiFlows);
    await clf.close();
    assert.ok(expectSyn.every((v) => v.malicious && v.label === 'DoS'));
    assert.ok(expectWiki.every((v) => !v.malicious && v.label === 'BENIGN'));

    await h.load(['classifier'], [tab(), { id: 'c1', z: 't1', type: 'deepmad-classifier', model: modelPath, wires: [['benign'], ['bad']] }, helperNode('benign'), helperNode('bad')]);
    const c1 = h.getNode('c1');
    const status = recordStatus(c1);
    await status.waitFor((s) => s.text === 'node-test-forest: ready');
    const bad = nextMessage(h.getNode('bad'));
    const sent = own(synFlows);
    c1.receive({ topic: 'deepmad/flows', profile: 'improved', source: SYN_FLOOD, payload: sent });
    const m = await bad;
    // the input's flow objects, annotated in place, in input order; the payload array is a new one
    assert.notEqual(m.payload, sent);
    m.payload.forEach((f: Flow, i: number) => assert.equal(f, sent[i]));
    assert.deepEqual(Object.keys(m.payload[0]), [...Object.keys(synFlows[0]), 'label', 'confidence', 'probabilities', 'model']);
    assert.equal(m.topic, 'deepmad/flows');
    assert.equal(m.source, SYN_FLOOD);
    assert.equal(m.detections, 200);
    assert.equal(m.payload.length, 200);
    m.payload.forEach((f: Flow, i: number) => {
      assert.equal(f['Flow ID'], synFlows[i]['Flow ID']);
      assert.equal(f['Src IP'], '192.0.2.10');
      assert.equal(f.label, 'DoS');
      assert.equal(f.model, 'node-test-forest');
      assert.equal(f.confidence, expectSyn[i].confidence);
      assert.deepEqual(f.probabilities, expectSyn[i].probabilities);
      assert.deepEqual(Object.keys(f.probabilities), ['BENIGN', 'DoS', 'SSH-Patator']);
    });
    const good = nextMessage(h.getNode('benign'));
    c1.receive({ topic: 'deepmad/flows', payload: own(wikiFlows) });
    const g = await good;
    assert.equal(g.payload.length, wikiFlows.length);
    assert.deepEqual(g.payload.map((f: Flow) => f.label), wikiFlows.map(() => 'BENIGN'));
    assert.deepEqual(g.payload.map((f: Flow) => f['Dst IP']), wikiFlows.map((f) => f['Dst IP']));
    const st = await status.waitFor((s) => s.fill === 'green' && /200 detections \/ \d+ flows/.test(s.text ?? ''));
    assert.match(st.text!, /^\d+ flows\/s · 200 detections \/ (200|\d+) flows$/);
  });

  it('passes deepmad/eof on both outputs only after the flow messages before it are classified and sent', async () => {
    await h.load(['classifier'], [tab(), { id: 'c1', z: 't1', type: 'deepmad-classifier', model: modelPath, wires: [['benign'], ['bad']] }, helperNode('benign'), helperNode('bad')]);
    const c1 = h.getNode('c1');
    const isEof = (m: Flow): boolean => m.topic === 'deepmad/eof';
    const badSeen = collect(h.getNode('bad'), isEof);
    const benignSeen = collect(h.getNode('benign'), isEof);
    // sent at once, before the model has even loaded: everything queues behind the load
    c1.receive({ topic: 'deepmad/flows', source: SYN_FLOOD, payload: own(synFlows) });
    c1.receive({ topic: 'deepmad/packets', source: SYN_FLOOD, payload: { packets: 0 } });
    c1.receive({ topic: 'deepmad/flows', source: SYN_FLOOD, payload: own(wikiFlows) });
    c1.receive({ topic: 'deepmad/eof', source: SYN_FLOOD, payload: { packets: 200, complete: true } });
    const [bad, benign] = await Promise.all([badSeen, benignSeen]);
    assert.deepEqual(bad.map((m) => [m.topic, Array.isArray(m.payload) ? m.payload.length : m.payload.packets]), [['deepmad/flows', 200], ['deepmad/eof', 200]]);
    assert.deepEqual(benign.map((m) => [m.topic, Array.isArray(m.payload) ? m.payload.length : m.payload.packets]), [['deepmad/flows', wikiFlows.length], ['deepmad/eof', 200]]);
    for (const m of [bad[1], benign[1]]) {
      assert.equal(m.source, SYN_FLOOD);
      assert.deepEqual(m.payload, { packets: 200, complete: true });
    }
  });

  it('builds the output objects of a large batch 256 flows per event-loop turn', async () => {
    await h.load(['classifier'], [tab(), { id: 'c1', z: 't1', type: 'deepmad-classifier', model: modelPath, wires: [['benign'], ['bad']] }, helperNode('benign'), helperNode('bad')]);
    const c1 = h.getNode('c1');
    await recordStatus(c1).waitFor((s) => s.text === 'node-test-forest: ready');
    // 'model' is set on a flow only when its output object is made (the flow annotated in place):
    // a setter on it counts the flows done per event-loop turn
    let turn = 0;
    let spinning = true;
    const spin = (): void => { turn++; if (spinning) setImmediate(spin); };
    setImmediate(spin);
    const donePerTurn = new Map<number, number>();
    const flows = Array.from({ length: 1000 }, (_, i) => {
      const f: Flow = { ...wikiFlows[i % wikiFlows.length] };
      let model: unknown;
      Object.defineProperty(f, 'model', {
        enumerable: true, configurable: true, get: () => model,
        set: (x: unknown) => { donePerTurn.set(turn, (donePerTurn.get(turn) ?? 0) + 1); model = x; },
      });
      return f;
    });
    const good = nextMessage(h.getNode('benign'));
    c1.receive({ topic: 'deepmad/flows', payload: flows });
    const m = await good;
    spinning = false;
    assert.equal(m.payload.length, 1000);
    assert.equal(m.payload[999], flows[999]);
    assert.equal(m.payload[999].model, 'node-test-forest');
    assert.equal(m.payload[999]['Flow ID'], wikiFlows[999 % wikiFlows.length]['Flow ID']);
    assert.equal([...donePerTurn.values()].reduce((a, b) => a + b, 0), 1000);
    assert.deepEqual([...donePerTurn.values()], [256, 256, 256, 232]);
  });

  it('flow columns from the flowmeter node: the same classified objects as flow objects; with Output columns, columns and verdict arrays', async () => {
    const fm = (id: string, format: string, to: string) => ({ id, z: 't1', type: 'deepmad-flowmeter', profile: 'improved', output: 'batch', format, batchFlows: 1000, batchMs: 60000, wires: [[to]] });
    await h.load(['pcap-in', 'flowmeter', 'classifier'], [
      tab(),
      { id: 'in1', z: 't1', type: 'deepmad-pcap-in', wires: [['fm1']] }, fm('fm1', 'columns', 'c1'),
      { id: 'c1', z: 't1', type: 'deepmad-classifier', model: modelPath, wires: [['good1'], ['bad1']] },
      { id: 'in2', z: 't1', type: 'deepmad-pcap-in', wires: [['fm2']] }, fm('fm2', 'objects', 'c2'),
      { id: 'c2', z: 't1', type: 'deepmad-classifier', model: modelPath, wires: [['good2'], ['bad2']] },
      { id: 'in3', z: 't1', type: 'deepmad-pcap-in', wires: [['fm3']] }, fm('fm3', 'columns', 'c3'),
      { id: 'c3', z: 't1', type: 'deepmad-classifier', model: modelPath, output: 'columns', wires: [['good3'], ['bad3']] },
      ...['good1', 'bad1', 'good2', 'bad2', 'good3', 'bad3'].map((id) => helperNode(id)),
    ]);
    const untilEof = (m: Flow): boolean => m.topic === 'deepmad/eof';
    const got = ['bad1', 'bad2', 'bad3', 'good3'].map((id) => collect(h.getNode(id), untilEof));
    for (const id of ['in1', 'in2', 'in3']) h.getNode(id).receive({ filename: SYN_FLOOD });
    const [bad1, bad2, bad3, good3] = (await Promise.all(got)).map((a) => a.filter((m) => !untilEof(m)));
    assert.equal(bad1.length, 1);
    assert.equal(bad1[0].payload.length, 200);
    assert.equal(bad1[0].detections, 200);
    assert.deepStrictEqual(bad1[0].payload, bad2[0].payload);
    assert.deepEqual(Object.keys(bad1[0].payload[0]), Object.keys(bad2[0].payload[0]));
    // every SYN-flood flow is malicious: the flowmeter's batch is passed on whole, identity columns still lazy
    assert.equal(good3.length, 0);
    assert.equal(bad3.length, 1);
    const cols = bad3[0].payload;
    assert.equal(cols.format, 'deepmad/flow-columns');
    assert.equal(cols.rows, 200);
    assert.equal(bad3[0].detections, 200);
    assert.equal(typeof Object.getOwnPropertyDescriptor(cols.text, 'Flow ID')?.get, 'function');
    const { flowColumnsToObjects, identOf } = await import('../../lib/normalize/flow-columns.js');
    assert.ok(identOf(cols));
    const objs = bad2[0].payload as Flow[];
    assert.deepEqual(flowColumnsToObjects(cols), objs.map(({ label: _l, confidence: _c, probabilities: _p, model: _m, ...f }) => f));
    assert.deepEqual(cols.verdicts.classes, ['BENIGN', 'DoS', 'SSH-Patator']);
    assert.equal(cols.verdicts.model, 'node-test-forest');
    assert.deepEqual(cols.verdicts.label, objs.map((f) => f.label));
    assert.deepEqual(Array.from(cols.verdicts.confidence), objs.map((f) => f.confidence));
    assert.deepEqual(Array.from(cols.verdicts.malicious), objs.map(() => 1));
    assert.deepEqual(Array.from(cols.verdicts.probabilities), objs.flatMap((f) => [f.probabilities.BENIGN, f.probabilities.DoS, f.probabilities['SSH-Patator']]));
  });

  it('Output columns: a mixed flow-columns batch comes out as its benign rows on output 1 and its malicious rows on output 2', async () => {
    const { flowColumnsFromObjects, flowColumnsToObjects } = await import('../../lib/normalize/flow-columns.js');
    const flows = [...wikiFlows.slice(0, 20), ...synFlows.slice(0, 30), ...wikiFlows.slice(20, 25)];
    const clf = await Classifier.open(modelPath, { worker: false });
    const expected = await clf.classify(flows);
    await clf.close();
    assert.deepEqual(expected.map((v) => v.malicious), flows.map((_, i) => i >= 20 && i < 50));
    await h.load(['classifier'], [tab(), { id: 'c1', z: 't1', type: 'deepmad-classifier', model: modelPath, output: 'columns', wires: [['good'], ['bad']] }, helperNode('good'), helperNode('bad')]);
    const good = nextMessage(h.getNode('good'));
    const bad = nextMessage(h.getNode('bad'));
    const fc = flowColumnsFromObjects(flows, 'improved');
    h.getNode('c1').receive({ topic: 'deepmad/flows', profile: 'improved', payload: fc });
    const [g, b] = await Promise.all([good, bad]);
    assert.equal(g.detections, 0);
    assert.equal(b.detections, 30);
    assert.equal(g.profile, 'improved');
    for (const [m, rows] of [[g, [...Array(20).keys(), 50, 51, 52, 53, 54]], [b, Array.from({ length: 30 }, (_, k) => 20 + k)]] as const) {
      assert.equal(m.payload.rows, rows.length);
      assert.deepEqual(flowColumnsToObjects(m.payload), rows.map((i) => flowColumnsToObjects(fc)[i]));
      assert.deepEqual(m.payload.verdicts.label, rows.map((i) => expected[i].label));
      assert.deepEqual(Array.from(m.payload.verdicts.confidence), rows.map((i) => expected[i].confidence));
      assert.deepEqual(Array.from(m.payload.verdicts.attackProbability), rows.map((i) => expected[i].attackProbability));
    }
  });

  it('a single flow object comes out as a single object on the matching output', async () => {
    await h.load(['classifier'], [tab(), { id: 'c1', z: 't1', type: 'deepmad-classifier', model: modelPath, wires: [['benign'], ['bad']] }, helperNode('benign'), helperNode('bad')]);
    const bad = nextMessage(h.getNode('bad'));
    h.getNode('c1').receive({ topic: 'deepmad/flows', payload: sshFlows[0] });
    const m = await bad;
    assert.equal(Array.isArray(m.payload), false);
    assert.equal(m.payload.label, 'SSH-Patator');
    assert.equal(m.payload['Dst Port'], 22);
  });

  const lone = ['192.168.2.16-172.217.20.76-43652-443-6', '95.101.24.53-192.168.2.17-443-50677-6'];
  /** nfstream_android's flows in two messages (the streaming context carries from one to the next), through the shipped default model. */
  const runAndroid = async (context?: boolean): Promise<{ benignRows: Flow[]; badRows: Flow[] }> => {
    await h.load(['classifier'], [tab(), { id: 'c1', z: 't1', type: 'deepmad-classifier', ...(context === undefined ? {} : { context }), wires: [['benign'], ['bad']] }, helperNode('benign'), helperNode('bad')]);
    const badRows: Flow[] = [];
    h.getNode('bad').on('input', (m: { payload: unknown }) => { if (Array.isArray(m.payload)) badRows.push(...m.payload); });
    const benignMsgs = collect(h.getNode('benign'), (m) => m.topic === 'deepmad/eof');
    h.getNode('c1').receive({ topic: 'deepmad/flows', payload: own(androidFlows.slice(0, 30)) });
    h.getNode('c1').receive({ topic: 'deepmad/flows', payload: own(androidFlows.slice(30)) });
    h.getNode('c1').receive({ topic: 'deepmad/eof' });
    const benignRows = (await benignMsgs).filter((m) => Array.isArray(m.payload)).flatMap((m) => m.payload as Flow[]);
    return { benignRows, badRows };
  };

  it('lone-flow context (on when not configured): the default model\'s two single-packet alerts in nfstream_android go to output 1, marked suppressed', async () => {
    const { benignRows, badRows } = await runAndroid();
    assert.deepEqual(badRows, []);
    assert.equal(benignRows.length, 63);
    const marked = benignRows.filter((f) => f.suppressed !== undefined);
    assert.deepEqual(marked.map((f) => [f['Flow ID'], f.label, f.suppressed]).sort(), lone.map((id) => [id, 'BENIGN', 'single packet, not corroborated']));
    // the confidence is that of the benign label: under 0.5 for alerts the model was sure of
    assert.ok(marked.every((f) => f.confidence === f.probabilities.BENIGN && f.confidence < 0.5));
  });

  it('lone-flow context off: the same two flows alert', async () => {
    const { benignRows, badRows } = await runAndroid(false);
    assert.equal(benignRows.length, 61);
    assert.deepEqual(benignRows.filter((f) => f.suppressed !== undefined), []);
    assert.deepEqual(badRows.map((f) => [f['Flow ID'], f.label]).sort(), [[lone[0], 'SYN Flood'], [lone[1], 'UDP Flood']]);
  });

  /** sshguess's 11 SSH sessions (model P(attack) 0.17–0.72, under the default threshold) in messages of `sizes` flows, through the shipped default model. */
  const runSshGuess = async (sizes: number[], rules?: boolean, output?: string, extra: Record<string, unknown> = {}): Promise<{ benign: Flow[]; bad: Flow[]; status: string }> => {
    await h.load(['classifier'], [tab(), { id: 'c1', z: 't1', type: 'deepmad-classifier', ...(rules === undefined ? {} : { rules }), ...(output ? { output } : {}), ...extra, wires: [['benign'], ['bad']] }, helperNode('benign'), helperNode('bad')]);
    const status = recordStatus(h.getNode('c1'));
    const bad: Flow[] = [];
    h.getNode('bad').on('input', (m: Flow) => { if (m.topic !== 'deepmad/eof') bad.push(m); });
    const benign = collect(h.getNode('benign'), (m) => m.topic === 'deepmad/eof');
    const { flowColumnsFromObjects } = await import('../../lib/normalize/flow-columns.js');
    let at = 0;
    for (const n of sizes) {
      const part = own(sshFlows.slice(at, at + n));
      h.getNode('c1').receive({ topic: 'deepmad/flows', payload: output === 'columns' ? flowColumnsFromObjects(part, 'improved') : part });
      at += n;
    }
    h.getNode('c1').receive({ topic: 'deepmad/eof' });
    const benignMsgs = (await benign).filter((m) => m.topic !== 'deepmad/eof');
    const last = status.history.map((s) => s.text ?? '').filter((t) => t.includes('flows/s')).pop() ?? '';
    return { benign: benignMsgs, bad, status: last };
  };
  const SSH_REASON = '5+ ssh sessions from 192.168.56.1 within 60 s';

  it('behaviour rules (on when not configured): sshguess in one message reaches output 2, every flow Login Brute Force with escalated', async () => {
    const { benign, bad, status } = await runSshGuess([11]);
    assert.deepEqual(benign, []);
    assert.equal(bad.length, 1);
    assert.equal(bad[0].detections, 11);
    const rows = bad[0].payload as Flow[];
    assert.deepEqual(rows.map((f) => f['Src Port']), sshFlows.map((f) => f['Src Port']));
    assert.ok(rows.every((f) => f.label === 'Login Brute Force' && f.escalated === SSH_REASON && f.confidence === 1 && f.suppressed === undefined));
    // the model's probabilities are kept: every flow was under the default model's threshold
    const { threshold } = JSON.parse(fs.readFileSync(path.join(__dirname, '../../models/deepmad-default.onnx.card.json'), 'utf8')) as { threshold: number };
    assert.ok(rows.every((f) => 1 - f.probabilities.BENIGN < threshold));
    assert.match(status, /· 11 detections \/ 11 flows · 11 escalated by rules$/);
  });

  it('behaviour rules stream across messages: flows sent before the count was reached stay benign (4 + 4 + 3 flows: 7 escalated)', async () => {
    const { benign, bad } = await runSshGuess([4, 4, 3]);
    assert.deepEqual(benign.map((m) => m.payload.length), [4]);
    assert.ok(benign[0].payload.every((f: Flow) => f.label === 'BENIGN' && f.escalated === undefined));
    assert.deepEqual(bad.map((m) => m.detections), [4, 3]);
    assert.deepEqual(bad.flatMap((m) => m.payload.map((f: Flow) => f['Src Port'])), sshFlows.slice(4).map((f) => f['Src Port']));
    assert.ok(bad.every((m) => m.payload.every((f: Flow) => f.label === 'Login Brute Force' && f.escalated === SSH_REASON)));
  });

  it('behaviour rules off: sshguess stays on output 1, nothing escalated', async () => {
    const { benign, bad, status } = await runSshGuess([11], false);
    assert.deepEqual(bad, []);
    assert.equal(benign[0].payload.length, 11);
    assert.ok(benign[0].payload.every((f: Flow) => f.label === 'BENIGN' && f.escalated === undefined));
    assert.match(status, /· 0 detections \/ 11 flows$/);
  });

  it('behaviour rules with Output columns: verdicts.escalated and the rule label; classes stay the model\'s', async () => {
    const { benign, bad } = await runSshGuess([11], undefined, 'columns');
    assert.deepEqual(benign, []);
    const v = bad[0].payload.verdicts;
    assert.equal(bad[0].payload.rows, 11);
    assert.deepEqual(v.label, Array(11).fill('Login Brute Force'));
    assert.deepEqual(Array.from(v.escalated), Array(11).fill(1));
    assert.deepEqual(Array.from(v.malicious), Array(11).fill(1));
    assert.deepEqual(Array.from(v.confidence), Array(11).fill(1));
    assert.equal(v.classes.length, 19);
    assert.ok(!v.classes.includes('Login Brute Force'));
    assert.equal(v.probabilities.length, 11 * 19);
  });

  it('trusted sources: sshguess from a trusted 192.168.56.0/24 stays on output 1 (benign, not escalated)', async () => {
    const trusted = await runSshGuess([11], undefined, undefined, { trustedSources: '10.0.0.5, 192.168.56.0/24 fd00::/8' });
    assert.deepEqual(trusted.bad, []);
    assert.equal(trusted.benign.length, 1);
    assert.deepEqual(trusted.benign[0].payload.map((f: Flow) => [f['Src IP'], f.label, f.escalated]), sshFlows.map(() => ['192.168.56.1', 'BENIGN', undefined]));
    assert.match(trusted.status, /· 0 detections \/ 11 flows$/);
  });

  it('trusted sources: a prefix that does not match keeps the 11 escalations', async () => {
    const other = await runSshGuess([11], undefined, undefined, { trustedSources: '192.168.57.0/24' });
    assert.deepEqual([other.benign, other.bad.map((m) => m.detections)], [[], [11]]);
  });

  it('trusted sources: a bad entry fails the deploy with an error and a red ring naming it; flows are refused, not classified', async () => {
    await h.load(['classifier'], [tab(), { id: 'c1', z: 't1', type: 'deepmad-classifier', trustedSources: '192.168.56.1, 10.0.0.300', wires: [['out'], ['out']] }, catchNode('c9', 'caught'), helperNode('caught'), helperNode('out')]);
    const c1 = h.getNode('c1');
    const st = await recordStatus(c1).waitFor((s) => s.fill === 'red');
    assert.deepEqual([st.shape, st.text], ['ring', 'bad trusted source: 10.0.0.300']);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(errorCalls(c1).map(([e]) => String((e as Error).message ?? e)), ["trusted sources: '10.0.0.300' is not an IPv4/IPv6 address or CIDR prefix"]);
    const out: Flow[] = [];
    h.getNode('out').on('input', (m: Flow) => out.push(m));
    const caught = nextMessage(h.getNode('caught'));
    c1.receive({ topic: 'deepmad/flows', payload: own(sshFlows) });
    assert.equal((await caught).error.message, "Error: trusted sources: '10.0.0.300' is not an IPv4/IPv6 address or CIDR prefix");
    assert.deepEqual(out, []);
  });

  it('fails at deploy, naming the columns, when the card needs columns the profile does not produce', async () => {
    const card = JSON.parse(fs.readFileSync(`${modelPath}.card.json`, 'utf8'));
    card.columnAliases = { 'Flow Duration': 'Flow Lifetime Seconds' };
    const cardFile = path.join(tmp, 'bad.card.json');
    fs.writeFileSync(cardFile, JSON.stringify(card));
    await h.load(['classifier'], [tab(), { id: 'c1', z: 't1', type: 'deepmad-classifier', model: modelPath, card: cardFile, wires: [[], []] }]);
    const c1 = h.getNode('c1');
    const st = await recordStatus(c1).waitFor((s) => s.fill === 'red');
    assert.equal(st.shape, 'ring');
    await new Promise((r) => setImmediate(r));
    const errs = errorCalls(c1).map(([e]) => String((e as Error).message ?? e));
    assert.equal(errs.length, 1);
    assert.match(errs[0], /^model "node-test-forest" expects 1 column\(s\) the 'improved' flow-meter profile does not produce: Flow Lifetime Seconds\. Expected columns: Flow Lifetime Seconds, Total Fwd Packet, /);
  });

  it('fails at deploy for a missing model file', async () => {
    await h.load(['classifier'], [tab(), { id: 'c1', z: 't1', type: 'deepmad-classifier', model: path.join(tmp, 'nope.onnx'), wires: [[], []] }]);
    const st = await recordStatus(h.getNode('c1')).waitFor((s) => s.fill === 'red');
    assert.match(st.text!, /^model file not found: /);
  });

  it('reports flows that lack model columns as a catchable error naming them', async () => {
    await h.load(['classifier'], [tab(), { id: 'c1', z: 't1', type: 'deepmad-classifier', model: modelPath, wires: [[], []] }, catchNode('c9', 'caught'), helperNode('caught')]);
    const caught = nextMessage(h.getNode('caught'));
    const flow = { ...wikiFlows[0] };
    delete flow['Flow IAT Max'];
    delete flow['Idle Min'];
    h.getNode('c1').receive({ topic: 'deepmad/flows', payload: [flow] });
    const m = await caught;
    assert.match(m.error.message, /missing 2 of the \d+ feature column\(s\) the model expects: Flow IAT Max, Idle Min\. Expected columns \(in order\): /);
    assert.equal(m.error.source.id, 'c1');
  });
});

describe('deepmad-train', () => {
  const h = useNodeRedHelper();

  it('trains on labelled flows (msg.label) on command, writes model + card + report, and the model works', async () => {
    const out = path.join(tmp, 'trained', 'from-node.onnx');
    await h.load(['train'], [tab(), { id: 'tr', z: 't1', type: 'deepmad-train', output: out, benign: 'BENIGN', trees: 10, folds: 3, seed: 1, boost: true, wires: [['out']] }, helperNode('out')]);
    const tr = h.getNode('tr');
    const status = recordStatus(tr);
    tr.receive({ payload: wikiFlows, label: 'BENIGN' });
    tr.receive({ payload: androidFlows, label: 'BENIGN' });
    tr.receive({ payload: synFlows, label: 'DoS' });
    tr.receive({ payload: sshFlows.map((f) => ({ ...f, label: 'SSH-Patator' })) });
    const total = wikiFlows.length + androidFlows.length + synFlows.length + sshFlows.length;
    await status.waitFor((s) => s.text === `${total} labelled flows, 3 classes`);
    const done = nextMessage(h.getNode('out'), undefined, 60000);
    tr.receive({ topic: 'train' });
    const m = await done;
    assert.equal(m.topic, 'deepmad/model');
    assert.equal(m.payload.model, out);
    assert.equal(m.payload.rows, total);
    assert.deepEqual(m.payload.classes, ['BENIGN', 'DoS', 'SSH-Patator']);
    assert.deepEqual(m.payload.files, [out, `${out}.card.json`, `${out}.report.txt`, `${out}.report.json`]);
    for (const f of m.payload.files) assert.ok(fs.existsSync(f), f);
    assert.match(m.report, /3-fold stratified cross-validation/);
    assert.match(m.report, /macro-F1 \d\.\d{4}/);
    await status.waitFor((s) => s.fill === 'green' && /^trained: macro-F1 /.test(s.text ?? ''));
    const card = JSON.parse(fs.readFileSync(`${out}.card.json`, 'utf8'));
    assert.equal(card.profile, 'improved');
    assert.equal(card.provenance.boosting.iterations, 300); // the Boosting checkbox
    assert.ok(!card.columns.includes('Src IP') && !card.columns.includes('Flow ID') && card.columns.includes('Flow Duration'));
    const clf = await Classifier.open(out, { worker: false });
    const v = await clf.classify(synFlows.slice(0, 20));
    await clf.close();
    assert.deepEqual(v.map((x) => x.label), new Array(20).fill('DoS'));
  });

  it('refuses flows without a label, and training with one class', async () => {
    await h.load(['train'], [tab(), { id: 'tr', z: 't1', type: 'deepmad-train', output: path.join(tmp, 'x.onnx'), wires: [[]] }, catchNode('c9', 'caught'), helperNode('caught')]);
    const tr = h.getNode('tr');
    let caught = nextMessage(h.getNode('caught'));
    tr.receive({ payload: wikiFlows.slice(0, 2) });
    assert.equal((await caught).error.message, 'Error: no label: set msg.label, or give each flow a "label" property');
    tr.receive({ payload: wikiFlows.slice(0, 5), label: 'BENIGN' });
    caught = nextMessage(h.getNode('caught'));
    tr.receive({ command: 'train' });
    assert.equal((await caught).error.message, 'Error: need at least two classes, got only "BENIGN"');
  });
});
