/**
 * Payload signatures through the Node-RED chain (node-red-node-test-helper, compiled nodes):
 * deepmad-pcap-in → deepmad-flowmeter → deepmad-classifier (the shipped default model), one chain per
 * capture. The flow meter marks the attacker's flows of three shared captures with `Payload Signature`;
 * the classifier's rules stage (on by default) escalates the model's benign verdicts of those flows to
 * the signature's label; with the rules off the model alone calls every one of them benign. Flow objects
 * and flow columns (`format: 'columns'`, and the classifier's `output: 'columns'`) alike; a benign
 * capture gets no escalation. Skipped without ../shared.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { collect, helperNode, recordStatus, sharedDir, tab, useNodeRedHelper, type FlowNode, type Msg } from '../support/node-helper.js';
import { RULE_LABELS } from '../../lib/ml/behaviour-rules.js';
import { SIGNATURE_FIELD } from '../../lib/capture/payload-tells.js';

const pcaps = sharedDir ? path.join(sharedDir, 'data', 'pcaps') : '';
const HB = 'Heartbleed', VNC = 'VNC Authentication Failure', SQLI = 'Web Attack - SQL Injection';

interface Capture {
  file: string;
  /** `Src IP>Dst IP:Dst Port` of each flow, in output order */
  flows: string[];
  /** the signature (and escalated label) of each flow; '' = none */
  sig: string;
  /** the rules stage's `escalated` code of each flow (3 + SIGNATURE_LABELS index) */
  code: number;
}
const ATTACKS: Capture[] = [
  { file: 'attack/zeek_tls_heartbleed.pcap', flows: ['173.203.79.216>162.219.2.166:443'], sig: HB, code: 3 },
  { file: 'attack/zeek_rfb_vnc-scanner.pcap', flows: ['192.168.0.11>10.0.0.149:5900'], sig: VNC, code: 8 },
  { file: 'attack/chrissanders_http_dvwa_sqlinjection.pcapng', flows: Array(3).fill('10.2.2.101>10.2.2.104:80'), sig: SQLI, code: 4 },
];
/** 15 TLS flows over IPv6, no signature. */
const BENIGN = 'benign/nfstream_http_ipv6.pcap';
const BENIGN_FLOWS = 15;
const FILES = [...ATTACKS.map((c) => c.file), BENIGN];

const ident = (f: Msg): string => `${f['Src IP']}>${f['Dst IP']}:${f['Dst Port']}`;
const isEof = (m: Msg): boolean => m.topic === 'deepmad/eof';

interface Outputs { good: Msg[]; bad: Msg[] }
/** The default model's card: its class labels and decision threshold on 1 − P(BENIGN). */
const CARD = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'models', 'deepmad-default.onnx.card.json'), 'utf8')) as { threshold: number; labels: string[] };
const THRESHOLD = CARD.threshold;

describe('payload signatures: pcap in → flowmeter → classifier (default model)', { skip: !sharedDir && 'needs ../shared (shared captures)' }, () => {
  const h = useNodeRedHelper();

  /**
   * One chain per file, all read at once; per file the flow messages on each classifier output (up to
   * and without the end-of-file message, which must reach both).
   */
  const run = async (opts: { format: 'objects' | 'columns'; rules?: boolean; output?: 'columns' }): Promise<Outputs[]> => {
    const nodes: FlowNode[] = [tab()];
    FILES.forEach((_, i) => nodes.push(
      { id: `in${i}`, z: 't1', type: 'deepmad-pcap-in', wires: [[`fm${i}`]] },
      { id: `fm${i}`, z: 't1', type: 'deepmad-flowmeter', profile: 'improved', output: 'batch', format: opts.format, batchFlows: 1000, batchMs: 60000, wires: [[`c${i}`]] },
      {
        id: `c${i}`, z: 't1', type: 'deepmad-classifier', ...(opts.rules === undefined ? {} : { rules: opts.rules }),
        ...(opts.output ? { output: opts.output } : {}), wires: [[`good${i}`], [`bad${i}`]],
      },
      helperNode(`good${i}`), helperNode(`bad${i}`),
    ));
    await h.load(['pcap-in', 'flowmeter', 'classifier'], nodes);
    const got = FILES.map((_, i) => Promise.all([collect(h.getNode(`good${i}`), isEof, 60000), collect(h.getNode(`bad${i}`), isEof, 60000)]));
    FILES.forEach((f, i) => h.getNode(`in${i}`).receive({ filename: path.join(pcaps, f) }));
    const res = await Promise.all(got);
    return res.map(([good, bad], i) => {
      assert.ok(isEof(good.at(-1)!) && isEof(bad.at(-1)!), `${FILES[i]}: eof on both outputs`);
      return { good: good.slice(0, -1), bad: bad.slice(0, -1) };
    });
  };

  /** The classifier's last throughput status of a run (they are throttled: the last one that counts every flow). */
  const lastStatus = async (i: number, flows: number): Promise<string> => {
    const s = await recordStatus(h.getNode(`c${i}`)).waitFor((x) => new RegExp(`/ ${flows} flows`).test(x.text ?? ''));
    return s.text ?? '';
  };

  /** Objects on the malicious output: exactly the capture's flows, escalated to the signature's label. */
  const assertEscalatedObjects = (c: Capture, out: Outputs): void => {
    assert.deepEqual(out.good, [], `${c.file}: nothing on the benign output`);
    assert.equal(out.bad.length, 1, `${c.file}: one malicious message`);
    const m = out.bad[0];
    assert.equal(m.topic, 'deepmad/flows');
    assert.equal(m.detections, c.flows.length);
    assert.equal(m.source, path.join(pcaps, c.file));
    const rows = m.payload as Msg[];
    assert.ok(Array.isArray(rows));
    assert.deepEqual(rows.map((f) => [ident(f), f.label, f.escalated, f[SIGNATURE_FIELD], f.confidence, f.suppressed]),
      c.flows.map((id) => [id, c.sig, `payload signature: ${c.sig}`, c.sig, 1, undefined]));
    // the model's probabilities stay, and they were a benign verdict (attack probability under the card's threshold)
    assert.ok(rows.every((f) => 1 - f.probabilities.BENIGN < THRESHOLD), `${c.file}: the model's own verdict was benign`);
    assert.ok(rows.every((f) => f.model === 'deepmad-default'));
  };

  it('flow objects, rules on (the default): the attacker flows on output 2 as Heartbleed 1 / VNC Authentication Failure 1 / SQL Injection 3, escalated, with Payload Signature; the benign capture stays on output 1', async () => {
    const outs = await run({ format: 'objects' });
    ATTACKS.forEach((c, i) => assertEscalatedObjects(c, outs[i]));
    const b = outs[3];
    assert.deepEqual(b.bad, [], 'benign capture: nothing malicious');
    assert.equal(b.good.length, 1);
    const rows = b.good[0].payload as Msg[];
    assert.equal(rows.length, BENIGN_FLOWS);
    assert.deepEqual(rows.map((f) => [f.label, f.escalated, SIGNATURE_FIELD in f]), Array(BENIGN_FLOWS).fill(['BENIGN', undefined, false]));
    assert.equal(b.good[0].detections, 0);
    // the statuses count the escalations
    for (const [i, c] of ATTACKS.entries()) {
      const n = c.flows.length;
      assert.match(await lastStatus(i, n), new RegExp(`· ${n} detections / ${n} flows · ${n} escalated by rules$`), c.file);
    }
    assert.match(await lastStatus(3, BENIGN_FLOWS), new RegExp(`· 0 detections / ${BENIGN_FLOWS} flows$`));
  });

  it('flow columns in, flow objects out: the same escalated objects', async () => {
    const outs = await run({ format: 'columns' });
    ATTACKS.forEach((c, i) => assertEscalatedObjects(c, outs[i]));
    assert.deepEqual(outs[3].bad, []);
    const rows = outs[3].good[0].payload as Msg[];
    assert.deepEqual(rows.map((f) => [f.label, f.escalated, SIGNATURE_FIELD in f]), Array(BENIGN_FLOWS).fill(['BENIGN', undefined, false]));
  });

  it('flow columns in, Output columns: the Payload Signature text column, verdicts.escalated codes 3 / 8 / 4 and the signature labels; the benign capture has no signature column and no escalation', async () => {
    const outs = await run({ format: 'columns', output: 'columns' });
    for (const [i, c] of ATTACKS.entries()) {
      const out = outs[i];
      assert.deepEqual(out.good, [], `${c.file}: nothing on the benign output`);
      assert.equal(out.bad.length, 1);
      const n = c.flows.length;
      assert.equal(out.bad[0].detections, n);
      const fc = out.bad[0].payload;
      assert.equal(fc.format, 'deepmad/flow-columns');
      assert.equal(fc.rows, n);
      assert.ok(fc.order.includes(SIGNATURE_FIELD));
      assert.deepEqual(fc.text[SIGNATURE_FIELD], Array(n).fill(c.sig));
      assert.deepEqual(Array.from({ length: n }, (_, r) => `${fc.text['Src IP'][r]}>${fc.text['Dst IP'][r]}:${fc.values[r * fc.columns.length + fc.columns.indexOf('Dst Port')]}`), c.flows);
      const v = fc.verdicts;
      assert.deepEqual(v.label, Array(n).fill(c.sig));
      assert.deepEqual(Array.from(v.escalated), Array(n).fill(c.code));
      assert.equal(RULE_LABELS[c.code - 1], c.sig);
      assert.deepEqual(Array.from(v.malicious), Array(n).fill(1));
      assert.deepEqual(Array.from(v.confidence), Array(n).fill(1));
      assert.equal(v.model, 'deepmad-default');
      assert.deepEqual(v.classes, CARD.labels, 'classes stay the model\'s (a rule label such as VNC Authentication Failure is not one)');
      assert.deepEqual(Array.from(v.attackProbability).map((p) => (p as number) < THRESHOLD), Array(n).fill(true), 'the model\'s own verdict was benign');
    }
    const b = outs[3];
    assert.deepEqual(b.bad, []);
    assert.equal(b.good.length, 1);
    const fc = b.good[0].payload;
    assert.equal(fc.rows, BENIGN_FLOWS);
    assert.equal(SIGNATURE_FIELD in fc.text, false);
    assert.equal(fc.order.includes(SIGNATURE_FIELD), false);
    assert.deepEqual(fc.verdicts.label, Array(BENIGN_FLOWS).fill('BENIGN'));
    assert.deepEqual(Array.from(fc.verdicts.escalated), Array(BENIGN_FLOWS).fill(0));
    assert.deepEqual(Array.from(fc.verdicts.malicious), Array(BENIGN_FLOWS).fill(0));
  });

  it('rules off: the model alone calls every flow of the three captures benign (output 1, no escalated), the flows still carry Payload Signature', async () => {
    const outs = await run({ format: 'objects', rules: false });
    for (const [i, c] of ATTACKS.entries()) {
      const out = outs[i];
      assert.deepEqual(out.bad, [], `${c.file}: no malicious output`);
      assert.equal(out.good.length, 1);
      assert.equal(out.good[0].detections, 0);
      const rows = out.good[0].payload as Msg[];
      assert.deepEqual(rows.map((f) => [ident(f), f.label, f.escalated, f[SIGNATURE_FIELD]]), c.flows.map((id) => [id, 'BENIGN', undefined, c.sig]));
      assert.ok(rows.every((f) => f.confidence === f.probabilities.BENIGN));
      const nFlows = c.flows.length;
      assert.match(await lastStatus(i, nFlows), new RegExp(`· 0 detections / ${nFlows} flows$`));
    }
    assert.deepEqual(outs[3].bad, []);
    assert.deepEqual((outs[3].good[0].payload as Msg[]).map((f) => f.label), Array(BENIGN_FLOWS).fill('BENIGN'));
  });

  it('a model alert with a payload signature (the DVWA session\'s DoS Hulk flow): relabelled Web Attack - SQL Injection with modelLabel, the model\'s confidence; Output columns: verdicts.relabelled / modelLabel; rules off: DoS Hulk', async () => {
    const file = path.join(pcaps, 'attack/zeek_http_cooper-grill-dvwa.pcapng');
    const chains = [{ format: 'objects' }, { format: 'columns', output: 'columns' }, { format: 'objects', rules: false }];
    const nodes: FlowNode[] = [tab()];
    chains.forEach((o, i) => nodes.push(
      { id: `in${i}`, z: 't1', type: 'deepmad-pcap-in', wires: [[`fm${i}`]] },
      { id: `fm${i}`, z: 't1', type: 'deepmad-flowmeter', profile: 'improved', output: 'batch', format: o.format, batchFlows: 1000, batchMs: 60000, wires: [[`c${i}`]] },
      { id: `c${i}`, z: 't1', type: 'deepmad-classifier', ...('rules' in o ? { rules: o.rules } : {}), ...('output' in o ? { output: o.output } : {}), wires: [[`good${i}`], [`bad${i}`]] },
      helperNode(`good${i}`), helperNode(`bad${i}`),
    ));
    await h.load(['pcap-in', 'flowmeter', 'classifier'], nodes);
    const got = chains.map((_, i) => collect(h.getNode(`bad${i}`), isEof, 60000));
    chains.forEach((_, i) => h.getNode(`in${i}`).receive({ filename: file }));
    const [objects, columns, off] = (await Promise.all(got)).map((msgs) => msgs.slice(0, -1));
    const reason = `payload signature: ${SQLI}`;
    // objects: the two escalated requests, then the model's alert relabelled (its confidence and probabilities stay the model's)
    assert.equal(objects.length, 1);
    const rows = objects[0].payload as Msg[];
    assert.deepEqual(rows.map((f) => [f['Src Port'], f.label, f.escalated, f.modelLabel, f.relabelled, f.confidence === 1]), [
      [53796, SQLI, reason, undefined, undefined, true], [57524, SQLI, reason, undefined, undefined, true], [40112, SQLI, undefined, 'DoS Hulk', reason, false],
    ]);
    assert.equal(Math.round(rows[2].confidence * 1e4) / 1e4, 0.3176);
    assert.equal(rows[2].confidence, rows[2].probabilities['DoS Hulk']);
    assert.match(await lastStatus(0, 4), /· 3 detections \/ 4 flows · 2 escalated by rules · 1 relabelled$/);
    // Output columns: the same rows, codes and model labels
    const v = columns[0].payload.verdicts;
    assert.deepEqual([v.label, Array.from(v.escalated), Array.from(v.relabelled), v.modelLabel], [Array(3).fill(SQLI), [4, 4, 0], [0, 0, 4], ['', '', 'DoS Hulk']]);
    assert.deepEqual(v.classes, CARD.labels);
    // rules off: the model's alert under the model's label, no keys
    const plain = off[0].payload as Msg[];
    assert.deepEqual(plain.map((f) => [f['Src Port'], f.label, 'modelLabel' in f, 'relabelled' in f, f[SIGNATURE_FIELD]]), [[40112, 'DoS Hulk', false, false, SQLI]]);
  });

  it('rules off, flow columns and Output columns: no malicious output, no escalated verdicts, the signature column kept', async () => {
    const outs = await run({ format: 'columns', rules: false, output: 'columns' });
    for (const [i, c] of ATTACKS.entries()) {
      const out = outs[i];
      assert.deepEqual(out.bad, [], `${c.file}: no malicious output`);
      assert.equal(out.good.length, 1);
      const fc = out.good[0].payload;
      const n = c.flows.length;
      assert.equal(fc.rows, n);
      assert.deepEqual(fc.text[SIGNATURE_FIELD], Array(n).fill(c.sig));
      assert.deepEqual(fc.verdicts.label, Array(n).fill('BENIGN'));
      assert.deepEqual(Array.from(fc.verdicts.malicious), Array(n).fill(0));
      assert.equal(fc.verdicts.escalated, undefined, 'the rules stage did not run');
    }
    assert.deepEqual(outs[3].bad, []);
    assert.equal(outs[3].good[0].payload.rows, BENIGN_FLOWS);
  });
});
