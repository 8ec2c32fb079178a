/**
 * The payload-signature part of the behaviour-rules stage (lib/ml/behaviour-rules.ts): flows whose
 * `Payload Signature` field (objects) or text column (flow columns) names an attack escalate benign
 * verdicts, per flow, in batch and streaming mode alike; trusted sources are exempt from the VNC
 * login failure only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BehaviourRules, behaviourFlowsFromColumns, behaviourFlowsFromObjects, escalateByRules, escalateColumns, judgeBehaviour, relabelVerdicts,
  ESCALATED_SIGNATURE, LOGIN_BRUTE_FORCE, DHCP_FLOOD, RULE_LABELS, SIGNATURE_RULE_LABELS,
  type RuleVerdict, type RuleVerdictColumns,
} from '../../lib/ml/behaviour-rules.js';
import { signatureCode } from '../../lib/ml/flow-fields.js';
import { SIGNATURE_FIELD, SIGNATURE_LABELS, signatureText } from '../../lib/capture/payload-tells.js';
import { CaptureReader } from '../../lib/capture/reader.js';
import { Flowmeter } from '../../lib/flow/flowmeter.js';
import { flowColumnsFromBatch, flowColumnsFromObjects, type FlowColumns } from '../../lib/normalize/flow-columns.js';
import { meterCapture } from '../../lib/ml/capture-flows.js';
import { readCsvFile } from '../../lib/ml/csv-table.js';
import { classifiedColumns, classifiedObjects } from '../../lib/ml/classified-output.js';
import type { VerdictColumns } from '../../lib/ml/classifier.js';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pcaps, needShared, cli, SSH_GUESS } from '../support/stage-paths.js';

const HB = 'Heartbleed', SQLI = 'Web Attack - SQL Injection', XSS = 'Web Attack - XSS', TRAV = 'Web Attack - Path Traversal', JNDI = 'Log4Shell JNDI Lookup', VNC = 'VNC Authentication Failure';

/** A flow object (the improved profile's names); `sig` sets the Payload Signature field, absent otherwise. */
const flow = (t: number, src: string, dport: number, sig?: string): Record<string, unknown> => ({
  'Src IP': src, 'Dst IP': '10.0.0.1', 'Dst Port': dport, Protocol: 6,
  Timestamp: new Date(Date.UTC(2024, 0, 1) + t * 1000).toISOString().replace('T', ' ').replace('Z', ''),
  'Total Fwd Packet': 5, 'Total Bwd packets': 4, 'Total Length of Fwd Packet': 300,
  ...(sig !== undefined ? { [SIGNATURE_FIELD]: sig } : {}),
});
const verdicts = (n: number, malicious: number[] = []): RuleVerdict[] => Array.from({ length: n }, (_, i) => ({
  label: malicious.includes(i) ? 'DoS Hulk' : 'BENIGN', confidence: 0.7, probabilities: { BENIGN: 0.3, 'DoS Hulk': 0.7 }, attackProbability: 0.7, malicious: malicious.includes(i),
}));
/** Verdict columns of `rows` benign rows of a model with `labels`. */
const columns = (rows: number, labels = ['BENIGN', 'X']): RuleVerdictColumns => ({
  rows, labels, label: new Uint8Array(rows), confidence: new Float32Array(rows).fill(0.9), attackProbability: new Float64Array(rows).fill(0.1),
  malicious: new Uint8Array(rows), probabilities: new Float32Array(rows * labels.length), detections: 0,
});

/** One flow per label and combination, plus flows without a signature, an empty field and an unknown text. */
const mixed = (): Array<Record<string, unknown>> => [
  flow(0, '203.0.113.5', 443, HB),
  flow(1, '203.0.113.5', 80, SQLI),
  flow(2, '203.0.113.5', 80, XSS),
  flow(3, '203.0.113.5', 80, TRAV),
  flow(4, '203.0.113.5', 8080, JNDI),
  flow(5, '203.0.113.6', 5900, VNC),
  flow(6, '203.0.113.5', 80, `${SQLI}, ${XSS}`),
  flow(7, '203.0.113.5', 80),
  flow(8, '203.0.113.5', 80, ''),
  flow(9, '203.0.113.5', 80, 'Something Else'),
  flow(10, '203.0.113.5', 80, `Something Else, ${TRAV}`),
];
const MIXED_CODES = [3, 4, 5, 6, 7, 8, 4, 0, 0, 0, 6];

describe('payload signatures: codes and labels', () => {
  it('extend RULE_LABELS after the two rules, in SIGNATURE_LABELS order (codes 3-8)', () => {
    assert.deepEqual(RULE_LABELS, [LOGIN_BRUTE_FORCE, DHCP_FLOOD, HB, SQLI, XSS, TRAV, JNDI, VNC]);
    assert.deepEqual(SIGNATURE_RULE_LABELS, SIGNATURE_LABELS.map(([, l]) => l));
    assert.equal(ESCALATED_SIGNATURE, 3);
    // a text maps to its first known label; what the flow meter writes (signatureText) round-trips
    assert.deepEqual(['', HB, VNC, `${SQLI}, ${XSS}`, `${XSS}, ${SQLI}`, 'Heartbleed,Web Attack - XSS', 'nonsense', `nonsense, ${JNDI}`].map(signatureCode), [0, 1, 6, 2, 3, 1, 0, 5]);
    for (let sigs = 1; sigs < 64; sigs++) assert.equal(signatureCode(signatureText(sigs)), 31 - Math.clz32(sigs & -sigs) + 1, `sigs ${sigs}`);
  });

  it('objects: a signature field escalates; absent, empty or unknown text does not', () => {
    const bf = behaviourFlowsFromObjects(mixed());
    assert.deepEqual([...bf.sig!], [1, 2, 3, 4, 5, 6, 2, 0, 0, 0, 4]);
    assert.deepEqual([...judgeBehaviour(bf).codes], MIXED_CODES);
    // no signature anywhere: no array at all
    const none = behaviourFlowsFromObjects([flow(0, 'A', 80), flow(1, 'A', 80, '')]);
    assert.equal(none.sig, null);
    assert.equal(none.sigText, null);
  });
});

describe('payload signatures: escalation', () => {
  it('batch: benign verdicts get the first label, confidence 1, escalated = payload signature: <labels>; a model alert is relabelled, not escalated; other flows are untouched', () => {
    const flows = mixed();
    const v = verdicts(flows.length, [1]);
    assert.equal(escalateByRules(flows, v), 7);
    assert.deepEqual(v.map((x) => [x.label, x.malicious, x.confidence, x.escalated, x.attackProbability]), [
      [HB, true, 1, `payload signature: ${HB}`, 0.7],
      [SQLI, true, 0.7, undefined, 0.7],
      [XSS, true, 1, `payload signature: ${XSS}`, 0.7],
      [TRAV, true, 1, `payload signature: ${TRAV}`, 0.7],
      [JNDI, true, 1, `payload signature: ${JNDI}`, 0.7],
      [VNC, true, 1, `payload signature: ${VNC}`, 0.7],
      [SQLI, true, 1, `payload signature: ${SQLI}, ${XSS}`, 0.7],
      ['BENIGN', false, 0.7, undefined, 0.7],
      ['BENIGN', false, 0.7, undefined, 0.7],
      ['BENIGN', false, 0.7, undefined, 0.7],
      [TRAV, true, 1, `payload signature: Something Else, ${TRAV}`, 0.7],
    ]);
    assert.deepEqual(v.map((x) => [x.modelLabel, x.relabelled]).filter(([m]) => m !== undefined), [['DoS Hulk', `payload signature: ${SQLI}`]]);
    // the switch: signatures: false leaves every verdict alone, the model alert's label included
    const off = verdicts(flows.length, [1]);
    assert.equal(escalateByRules(flows, off, { signatures: false }), 0);
    assert.deepEqual(off, verdicts(flows.length, [1]));
  });

  it('a suppressed mark goes; a signature wins over a login window member; the other members keep the login label', () => {
    const flows = [0, 10, 20, 30, 40].map((t) => flow(t, '192.0.2.9', 5900, t === 20 ? VNC : undefined));
    const v = verdicts(5);
    v[2].suppressed = 'single packet, not corroborated';
    assert.equal(escalateByRules(flows, v), 5);
    assert.deepEqual(v.map((x) => [x.label, x.escalated, 'suppressed' in x]), [
      ...[0, 1].map(() => [LOGIN_BRUTE_FORCE, '5+ vnc sessions from 192.0.2.9 within 60 s', false]),
      [VNC, `payload signature: ${VNC}`, false],
      ...[3, 4].map(() => [LOGIN_BRUTE_FORCE, '5+ vnc sessions from 192.0.2.9 within 60 s', false]),
    ]);
  });

  it('trusted sources exempt a flow from VNC Authentication Failure only; content signatures from them still escalate', () => {
    const flows = [
      flow(0, '192.168.56.1', 5900, VNC), flow(1, '192.168.56.1', 80, SQLI), flow(2, '192.168.56.1', 443, HB), flow(3, '192.168.56.1', 80, `${XSS}, ${JNDI}`),
      flow(4, 'fd00::7', 5901, VNC), flow(5, '10.9.9.9', 5900, VNC), flow(6, '10.9.9.9', 80, TRAV),
    ];
    const codes = (trustedSources: string[]) => [...judgeBehaviour(behaviourFlowsFromObjects(flows), { trustedSources }).codes];
    assert.deepEqual(codes([]), [8, 4, 3, 5, 8, 8, 6]);
    assert.deepEqual(codes(['192.168.56.0/24', 'fd00::/8']), [0, 4, 3, 5, 0, 8, 6]);
    assert.deepEqual(codes(['0.0.0.0/0', '::/0']), [0, 4, 3, 5, 0, 0, 6]);
    // the same through flow columns (text sources) and the streaming class
    const fc = flowColumnsFromObjects(flows);
    assert.deepEqual([...judgeBehaviour(behaviourFlowsFromColumns(fc), { trustedSources: ['192.168.56.0/24', 'fd00::/8'] }).codes], [0, 4, 3, 5, 0, 8, 6]);
    const rules = new BehaviourRules({ trustedSources: ['192.168.56.1', 'fd00::/8'] });
    const v = verdicts(flows.length);
    assert.equal(rules.applyToVerdicts(flows, v), 5);
    assert.deepEqual(v.map((x) => x.label), ['BENIGN', SQLI, HB, XSS, 'BENIGN', VNC, TRAV]);
    // the 5900 flows are login flows: a trusted one is not counted by the login rule either
    assert.deepEqual(rules.stats, { flows: 7, loginFlows: 1, dhcpFlows: 0, trustedLoginFlows: 1, escalatedLogin: 0, escalatedDhcp: 0, escalatedSignature: 5, relabelledSignature: 0 });
  });

  it('streaming equals batch whatever the batch sizes; stats count the escalations of benign verdicts only', () => {
    const flows = Array.from({ length: 300 }, (_, i) => {
      const f = mixed()[i % 11];
      return { ...f, Timestamp: flow(i * 100, 'x', 80).Timestamp as string };
    });
    const malicious = [5, 17, 100, 101, 250];
    const batch = verdicts(flows.length, malicious);
    const n = escalateByRules(flows, batch);
    for (const size of [1, 7, 64, 300]) {
      const rules = new BehaviourRules();
      const v = verdicts(flows.length, malicious);
      let m = 0;
      for (let from = 0; from < flows.length; from += size) m += rules.applyToVerdicts(flows.slice(from, from + size), v.slice(from, from + size));
      assert.equal(m, n, `size ${size}`);
      assert.deepEqual(v, batch, `size ${size}`);
      assert.deepEqual([rules.stats.escalatedSignature, rules.escalated, rules.stats.escalatedLogin, rules.stats.flows, rules.stats.relabelledSignature], [n, n, 0, 300, 4]);
    }
    // 300 flows: 28 rounds of 11 (8 signature flows each) minus the rest, minus model-flagged signature flows
    const sigRows = flows.map((_, i) => MIXED_CODES[i % 11]).filter(Boolean).length;
    assert.deepEqual([sigRows, n], [219, 219 - 4]);
    // those 4 (rows 5, 17, 100, 101: VNC, SQL injection, SQL injection, XSS) are relabelled instead; row 250 has none
    assert.deepEqual(batch.flatMap((x, i) => (x.modelLabel ? [[i, x.label, x.modelLabel, x.relabelled]] : [])), [
      [5, VNC, 'DoS Hulk', `payload signature: ${VNC}`], [17, SQLI, 'DoS Hulk', `payload signature: ${SQLI}, ${XSS}`],
      [100, SQLI, 'DoS Hulk', `payload signature: ${SQLI}`], [101, XSS, 'DoS Hulk', `payload signature: ${XSS}`],
    ]);
  });
});

describe('payload signatures: flow columns', () => {
  it('the text column gives the objects\' codes; escalateColumns labels rows by code and keeps the model\'s classes', async () => {
    const flows = mixed();
    const fc = flowColumnsFromObjects(flows);
    assert.deepEqual(fc.text[SIGNATURE_FIELD], [HB, SQLI, XSS, TRAV, JNDI, VNC, `${SQLI}, ${XSS}`, '', '', 'Something Else', `Something Else, ${TRAV}`]);
    const bf = behaviourFlowsFromColumns(fc);
    assert.deepEqual([...bf.sig!], [...behaviourFlowsFromObjects(flows).sig!]);
    assert.deepEqual([...judgeBehaviour(bf).codes], MIXED_CODES);
    // columns of a subrange read the column at the right rows
    assert.deepEqual([...judgeBehaviour(behaviourFlowsFromColumns(fc, 4, 8)).codes], [7, 8, 4, 0]);
    const v = columns(flows.length);
    v.malicious[1] = 1; v.label[1] = 1; v.detections = 1;
    const rules = new BehaviourRules();
    assert.equal(await rules.applyToColumnsSliced(fc, v, 3, async () => undefined), 7);
    assert.deepEqual([...v.escalated!], [3, 0, 5, 6, 7, 8, 4, 0, 0, 0, 6]);
    // the model's alert on row 1 (class X) carries the SQL injection: relabelled, not escalated
    assert.deepEqual([[...v.relabelled!], v.modelLabel![1], v.relabelledReasons?.[1], rules.stats.relabelledSignature], [[0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0], 1, `payload signature: ${SQLI}`, 1]);
    assert.deepEqual(v.labels, ['BENIGN', 'X', LOGIN_BRUTE_FORCE, DHCP_FLOOD, HB, SQLI, XSS, TRAV, JNDI, VNC]);
    assert.deepEqual(v.classes, ['BENIGN', 'X']);
    assert.deepEqual([...v.label].map((k) => v.labels[k]), [HB, SQLI, XSS, TRAV, JNDI, VNC, SQLI, 'BENIGN', 'BENIGN', 'BENIGN', TRAV]);
    assert.deepEqual([...v.label].map((k, i) => (v.escalated![i] ? RULE_LABELS[v.escalated![i] - 1] === v.labels[k] : true)), Array(11).fill(true));
    assert.deepEqual([v.detections, [...v.confidence].map((c) => Math.round(c * 10) / 10), v.escalatedReasons?.[6]], [8, [1, 0.9, 1, 1, 1, 1, 1, 0.9, 0.9, 0.9, 1], `payload signature: ${SQLI}, ${XSS}`]);
    assert.deepEqual([rules.stats.escalatedSignature, rules.escalated], [7, 7]);
    // objects through applyToColumns: the same columns
    const w = columns(flows.length);
    w.malicious[1] = 1; w.label[1] = 1; w.detections = 1;
    assert.equal(new BehaviourRules().applyToColumns(flows, w), 7);
    assert.deepEqual([w.escalated, w.label, w.labels, w.escalatedReasons, w.relabelled, w.modelLabel, w.relabelledReasons], [v.escalated, v.label, v.labels, v.escalatedReasons, v.relabelled, v.modelLabel, v.relabelledReasons]);
  });

  it('a model that has the class itself: the row takes the model\'s label index and no labels are added', () => {
    const v = columns(2, ['BENIGN', 'Heartbleed']);
    assert.equal(escalateColumns(v, judgeBehaviour(behaviourFlowsFromObjects([flow(0, 'A', 443, HB), flow(1, 'A', 443)]))), 1);
    assert.deepEqual([v.labels, v.classes, [...v.label], [...v.escalated!]], [['BENIGN', 'Heartbleed'], undefined, [1, 0], [3, 0]]);
  });

  it('flow meter columns (numeric IPv4 sources): an added signature column gives the objects\' codes; a trusted source loses only the VNC failure', async () => {
    const objects = await meterCapture(SSH_GUESS, 'improved');
    const batches: FlowColumns[] = [];
    const fm = new Flowmeter({ profile: 'improved', onFlows: (b) => batches.push(flowColumnsFromBatch(b, fm.profile)) });
    for await (const b of new CaptureReader(SSH_GUESS)) fm.push(b);
    fm.close();
    assert.equal(batches.length, 1);
    const fc = batches[0];
    const sig = Array<string>(11).fill('');
    sig[0] = VNC; sig[3] = `${SQLI}, ${VNC}`;
    fc.text[SIGNATURE_FIELD] = sig;
    objects[0][SIGNATURE_FIELD] = VNC;
    objects[3][SIGNATURE_FIELD] = `${SQLI}, ${VNC}`;
    for (const [trustedSources, want] of [
      // untrusted: every flow is in sshguess's login window (code 1); the signature rows take their own codes
      [[], [8, 1, 1, 4, 1, 1, 1, 1, 1, 1, 1]],
      [['192.168.56.0/24'], [0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0]],
    ] as Array<[string[], number[]]>) {
      const cols = behaviourFlowsFromColumns(fc);
      assert.equal(typeof cols.src[0], 'number');
      assert.deepEqual([...judgeBehaviour(cols, { trustedSources }).codes], want, trustedSources.join());
      assert.deepEqual([...judgeBehaviour(behaviourFlowsFromObjects(objects), { trustedSources }).codes], want, trustedSources.join());
    }
  });
});

describe('payload signatures: relabelling model alerts', () => {
  const TRUSTED = ['192.168.56.0/24'];
  /** Model alerts (DoS Hulk unless said) with and without signatures, and one benign flow with a signature. */
  const flows = (): Array<Record<string, unknown>> => [
    flow(0, '203.0.113.5', 80, SQLI), // DoS Hulk → SQL injection
    flow(1, '203.0.113.5', 80, SQLI), // the model says SQL injection itself: not relabelled
    flow(2, '203.0.113.5', 80), // no signature
    flow(3, '203.0.113.5', 80, SQLI), // benign: escalated
    flow(4, '192.168.56.1', 5900, VNC), // a trusted source: exempt from the VNC failure here too
    flow(5, '10.9.9.9', 5900, VNC), // DoS Hulk → VNC Authentication Failure
    flow(6, '203.0.113.5', 80, `Something Else, ${TRAV}`), // DoS Hulk → the first known label; the reason has the whole text
  ];
  const MALICIOUS = [0, 1, 2, 4, 5, 6];
  const modelVerdicts = (): RuleVerdict[] => {
    const v = verdicts(7, MALICIOUS);
    v[1] = { ...v[1], label: SQLI, probabilities: { BENIGN: 0.3, [SQLI]: 0.7 } };
    return v;
  };
  const hulk = { confidence: 0.7, probabilities: { BENIGN: 0.3, 'DoS Hulk': 0.7 }, attackProbability: 0.7, malicious: true };
  const RELABELLED: RuleVerdict[] = [
    { ...hulk, label: SQLI, modelLabel: 'DoS Hulk', relabelled: `payload signature: ${SQLI}` },
    { ...hulk, label: SQLI, probabilities: { BENIGN: 0.3, [SQLI]: 0.7 } },
    { ...hulk, label: 'DoS Hulk' },
    { label: SQLI, confidence: 1, probabilities: { BENIGN: 0.3, 'DoS Hulk': 0.7 }, attackProbability: 0.7, malicious: true, escalated: `payload signature: ${SQLI}` },
    { ...hulk, label: 'DoS Hulk' },
    { ...hulk, label: VNC, modelLabel: 'DoS Hulk', relabelled: `payload signature: ${VNC}` },
    { ...hulk, label: TRAV, modelLabel: 'DoS Hulk', relabelled: `payload signature: Something Else, ${TRAV}` },
  ];

  it('objects, batch: a model alert takes its signature\'s label, keeps verdict, confidence and probabilities, gains modelLabel and relabelled; not counted as an escalation', () => {
    const v = modelVerdicts();
    assert.equal(escalateByRules(flows(), v, { trustedSources: TRUSTED }), 1);
    assert.deepEqual(v, RELABELLED);
    // relabelVerdicts alone: the same three, and a second pass finds nothing left to relabel
    const w = modelVerdicts();
    const hits = judgeBehaviour(behaviourFlowsFromObjects(flows()), { trustedSources: TRUSTED });
    assert.deepEqual([relabelVerdicts(w, hits), relabelVerdicts(w, hits)], [3, 0]);
    // without the trusted list the VNC failure of row 4 relabels as well
    const u = modelVerdicts();
    escalateByRules(flows(), u);
    assert.deepEqual([u[4].label, u[4].modelLabel, u[4].relabelled], [VNC, 'DoS Hulk', `payload signature: ${VNC}`]);
  });

  it('rules off (signatures: false): nothing changes, no keys added', () => {
    const v = modelVerdicts();
    assert.equal(escalateByRules(flows(), v, { signatures: false, trustedSources: TRUSTED }), 0);
    assert.deepEqual(v, modelVerdicts());
    const rules = new BehaviourRules({ signatures: false });
    const w = modelVerdicts();
    assert.equal(rules.applyToVerdicts(flows(), w), 0);
    assert.deepEqual([w, rules.stats.relabelledSignature, rules.stats.escalatedSignature], [modelVerdicts(), 0, 0]);
  });

  it('objects, streaming: any batch size gives the batch result; stats.relabelledSignature 3, escalatedSignature 1', () => {
    for (const size of [1, 3, 7]) {
      const rules = new BehaviourRules({ trustedSources: TRUSTED });
      const f = flows(), v = modelVerdicts();
      let n = 0;
      for (let from = 0; from < 7; from += size) n += rules.applyToVerdicts(f.slice(from, from + size), v.slice(from, from + size));
      assert.deepEqual([n, rules.escalated, rules.stats.escalatedSignature, rules.stats.relabelledSignature], [1, 1, 1, 3], `size ${size}`);
      assert.deepEqual(v, RELABELLED, `size ${size}`);
    }
  });

  /** The model's verdict columns for flows(): classes BENIGN, DoS Hulk, SQL injection (so row 1's label is the signature's). */
  const modelColumns = (): RuleVerdictColumns => {
    const v = columns(7, ['BENIGN', 'DoS Hulk', SQLI]);
    for (const i of MALICIOUS) { v.malicious[i] = 1; v.label[i] = i === 1 ? 2 : 1; v.confidence[i] = 0.7; v.attackProbability[i] = 0.7; v.probabilities[i * 3 + (i === 1 ? 2 : 1)] = 0.7; }
    v.detections = MALICIOUS.length;
    return v;
  };
  const probabilitiesAt = (v: VerdictColumns, i: number): Record<string, number> => ({ BENIGN: v.probabilities[i * 3], 'DoS Hulk': v.probabilities[i * 3 + 1], [SQLI]: v.probabilities[i * 3 + 2] });

  it('columns (sliced streaming): relabelled codes, modelLabel indices and reasons; labels gain the rule labels, classes stay the model\'s', async () => {
    const fc = flowColumnsFromObjects(flows());
    const v = modelColumns();
    const rules = new BehaviourRules({ trustedSources: TRUSTED });
    assert.equal(await rules.applyToColumnsSliced(fc, v, 2, async () => undefined), 1);
    assert.deepEqual([...v.relabelled!], [4, 0, 0, 0, 0, 8, 6]);
    assert.deepEqual([...v.escalated!], [0, 0, 0, 4, 0, 0, 0]);
    assert.deepEqual([v.modelLabel![0], v.modelLabel![5], v.modelLabel![6]].map((k) => v.labels[k]), ['DoS Hulk', 'DoS Hulk', 'DoS Hulk']);
    assert.deepEqual(v.relabelledReasons?.flatMap((r, i) => [[i, r]]), [[0, `payload signature: ${SQLI}`], [5, `payload signature: ${VNC}`], [6, `payload signature: Something Else, ${TRAV}`]]);
    assert.deepEqual([v.classes, v.labels], [['BENIGN', 'DoS Hulk', SQLI], ['BENIGN', 'DoS Hulk', SQLI, LOGIN_BRUTE_FORCE, DHCP_FLOOD, HB, XSS, TRAV, JNDI, VNC]]);
    assert.deepEqual([...v.label].map((k) => v.labels[k]), RELABELLED.map((x) => x.label));
    assert.deepEqual([[...v.malicious], [...v.confidence], v.detections], [[1, 1, 1, 1, 1, 1, 1], [0.7, 0.7, 0.7, 1, 0.7, 0.7, 0.7].map(Math.fround), 7]);
    assert.deepEqual([rules.stats.relabelledSignature, rules.stats.escalatedSignature, rules.escalated], [3, 1, 1]);
    // one unsliced call and flow objects in: the same columns
    const w = modelColumns();
    assert.equal(new BehaviourRules({ trustedSources: TRUSTED }).applyToColumns(flows(), w), 1);
    assert.deepEqual([w.relabelled, w.modelLabel, w.relabelledReasons, w.label, w.labels], [v.relabelled, v.modelLabel, v.relabelledReasons, v.label, v.labels]);
    // rules off: the stage never ran, no column
    assert.equal(modelColumns().relabelled, undefined);
  });

  it('columns → classified objects (flow columns and flow objects in) carry the object path\'s modelLabel / relabelled; Output columns carry relabelled codes and model labels', async () => {
    const fc = flowColumnsFromObjects(flows());
    const v = modelColumns();
    await new BehaviourRules({ trustedSources: TRUSTED }).applyToColumnsSliced(fc, v, 3, async () => undefined);
    const keys = (o: Record<string, unknown>) => [o.label, o.modelLabel, o.relabelled, o.escalated];
    for (const input of [fc, flows()]) {
      const out = await classifiedObjects(input, v, 'm', probabilitiesAt, 2);
      assert.equal(out.benign.length, 0);
      assert.deepEqual(out.malicious.map(keys), RELABELLED.map((x) => keys(x)));
      // the keys come after the verdict's, model label first
      assert.deepEqual(Object.keys(out.malicious[0]).slice(-6), ['label', 'confidence', 'probabilities', 'model', 'modelLabel', 'relabelled']);
      assert.deepEqual([out.malicious[0].confidence, out.malicious[0].probabilities], [Math.fround(0.7), { BENIGN: 0, 'DoS Hulk': Math.fround(0.7), [SQLI]: 0 }]);
      assert.deepEqual(['modelLabel' in out.malicious[1], 'relabelled' in out.malicious[3], 'modelLabel' in out.malicious[4]], [false, false, false]);
    }
    // Output columns: all rows malicious, the batch passed on whole
    const cols = await classifiedColumns(fc, v, 'm', 2);
    assert.equal(cols.benign, null);
    const cv = cols.malicious!.verdicts;
    assert.deepEqual([[...cv.relabelled!], cv.modelLabel, cv.label, cv.classes],
      [[4, 0, 0, 0, 0, 8, 6], ['DoS Hulk', '', '', '', '', 'DoS Hulk', 'DoS Hulk'], RELABELLED.map((x) => x.label), ['BENIGN', 'DoS Hulk', SQLI]]);
    // a mixed batch: row 2 benign now; the benign side has codes of 0 and no modelLabel
    const m = modelColumns();
    m.malicious[2] = 0; m.label[2] = 0; m.detections = 5;
    await new BehaviourRules({ trustedSources: TRUSTED }).applyToColumnsSliced(fc, m, 7, async () => undefined);
    const split = await classifiedColumns(fc, m, 'm', 2);
    assert.deepEqual([[...split.benign!.verdicts.relabelled!], split.benign!.verdicts.modelLabel, split.benign!.verdicts.label], [[0], undefined, ['BENIGN']]);
    assert.deepEqual([[...split.malicious!.verdicts.relabelled!], split.malicious!.verdicts.modelLabel], [[4, 0, 0, 0, 8, 6], ['DoS Hulk', '', '', '', 'DoS Hulk', 'DoS Hulk']]);
  });
});

describe('payload signatures: deepmad classify on captures', { skip: needShared }, () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'classify', ...args], { encoding: 'utf8' });
  /** -o rows of the inputs, per capture (relative to pcaps/): `Src IP>Dst IP:Dst Port label malicious escalated`. */
  const classify = (files: string[], rules: 'on' | 'off'): Map<string, string[]> => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-sig-')), 'p.csv');
    const r = run(...files, '--quiet', '--rules', rules, '-o', out);
    assert.equal(r.status, 0, r.stderr);
    const t = readCsvFile(out);
    // an explicit --rules on adds the escalated column
    assert.deepEqual(t.header.slice(8), ['label', 'confidence', 'attack_probability', 'malicious', 'suppressed', ...(rules === 'on' ? ['escalated', 'relabelled', 'model_label'] : [])]);
    const per = new Map<string, string[]>();
    for (const c of t.rows) {
      const key = path.relative(pcaps, c[0]);
      if (!per.has(key)) per.set(key, []);
      // a relabelled row (the model's alert named after its signature) adds the reason and the model's label
      per.get(key)!.push(`${c[2]}>${c[4]}:${c[5]} ${c[8]} ${c[11]} ${c[13] ?? ''}${c[14] ? ` | relabelled (${c[14]}) from ${c[15]}` : ''}`);
    }
    return per;
  };

  it('Heartbleed, VNC scanner and DVWA SQL injection: the attacker\'s flows get the signature labels (model benign on all 5); --rules off: none', () => {
    const files = ['attack/zeek_tls_heartbleed.pcap', 'attack/zeek_rfb_vnc-scanner.pcap', 'attack/chrissanders_http_dvwa_sqlinjection.pcapng'];
    const on = classify(files.map((f) => path.join(pcaps, f)), 'on');
    assert.deepEqual(Object.fromEntries(on), {
      'attack/zeek_tls_heartbleed.pcap': [`173.203.79.216>162.219.2.166:443 ${HB} 1 payload signature: ${HB}`],
      'attack/zeek_rfb_vnc-scanner.pcap': [`192.168.0.11>10.0.0.149:5900 ${VNC} 1 payload signature: ${VNC}`],
      'attack/chrissanders_http_dvwa_sqlinjection.pcapng': Array(3).fill(`10.2.2.101>10.2.2.104:80 ${SQLI} 1 payload signature: ${SQLI}`),
    });
    const off = classify(files.map((f) => path.join(pcaps, f)), 'off');
    assert.deepEqual([...off.values()].flat().map((x) => x.split(' ').slice(1).join(' ')), Array(5).fill('BENIGN 0 '));
    // the summary line names the signature
    assert.match(run(path.join(pcaps, files[0])).stdout, /: 1 flows, 1 flagged \(100\.0%\), 1 escalated by behaviour rules and payload signatures \(payload signature: Heartbleed\) — Heartbleed 1;/);
  });

  it('the other captures signatures change: Log4Shell (1 of 7 flows; the model already flags 3) and a DVWA session (2 SQL injections of 4 flows; one model alert)', () => {
    const on = classify(['attack/ndpi_log4j-webapp-exploit.pcap', 'attack/zeek_http_cooper-grill-dvwa.pcapng'].map((f) => path.join(pcaps, f)), 'on');
    const escalated = (k: string) => on.get(k)!.filter((x) => x.includes(' payload signature: '));
    assert.deepEqual([on.get('attack/ndpi_log4j-webapp-exploit.pcap')!.length, escalated('attack/ndpi_log4j-webapp-exploit.pcap')],
      [7, [`172.16.238.1>172.16.238.10:8080 ${JNDI} 1 payload signature: ${JNDI}`]]);
    assert.deepEqual([on.get('attack/zeek_http_cooper-grill-dvwa.pcapng')!.length, escalated('attack/zeek_http_cooper-grill-dvwa.pcapng')],
      [4, Array(2).fill(`192.168.111.148>192.168.111.154:80 ${SQLI} 1 payload signature: ${SQLI}`)]);
    assert.deepEqual([...on.values()].flat().filter((x) => / 1 $/.test(x)).length, 3, 'model alerts without an escalation or a relabel');
    // the model's own alert in the DVWA session (DoS Hulk) carries the SQL injection signature: relabelled, the only one
    assert.deepEqual([...on.values()].flat().filter((x) => x.includes(' | relabelled ')),
      [`192.168.111.148>192.168.111.154:80 ${SQLI} 1  | relabelled (payload signature: ${SQLI}) from DoS Hulk`]);
    const off = classify([path.join(pcaps, 'attack/zeek_http_cooper-grill-dvwa.pcapng')], 'off');
    assert.deepEqual(off.get('attack/zeek_http_cooper-grill-dvwa.pcapng'), ['BENIGN 0 ', 'BENIGN 0 ', 'BENIGN 0 ', 'DoS Hulk 1 '].map((x) => `192.168.111.148>192.168.111.154:80 ${x}`));
    assert.deepEqual(on.get('attack/zeek_http_cooper-grill-dvwa.pcapng'), [
      'BENIGN 0 ', ...Array(2).fill(`${SQLI} 1 payload signature: ${SQLI}`), `${SQLI} 1  | relabelled (payload signature: ${SQLI}) from DoS Hulk`,
    ].map((x) => `192.168.111.148>192.168.111.154:80 ${x}`));
    // the summary line counts the relabel apart from the escalations
    assert.match(run(path.join(pcaps, 'attack/zeek_http_cooper-grill-dvwa.pcapng')).stdout,
      /: 4 flows, 3 flagged \(75\.0%\), 2 escalated by behaviour rules and payload signatures \(payload signature: Web Attack - SQL Injection\), 1 model alert\(s\) relabelled by payload signatures \(DoS Hulk → Web Attack - SQL Injection 1\) — Web Attack - SQL Injection 3, BENIGN 1;/);
  });

  it('deepmad detect on the DVWA session: the model\'s DoS Hulk alert reads DeepMAD rule Web Attack - SQL Injection with model_label; --rules off: DeepMAD ML DoS Hulk', () => {
    const capture = path.join(pcaps, 'attack/zeek_http_cooper-grill-dvwa.pcapng');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-sig-detect-'));
    /** The summary, and the EVE records (window 0: one per flow) as `src_port signature severity confidence model_label relabelled escalated`. */
    const detect = (name: string, ...args: string[]) => {
      const log = path.join(dir, name);
      const r = spawnSync(process.execPath, [cli, 'detect', capture, '--alerts', log, '--window', '0', ...args, '--json'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const recs = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      for (const x of recs) assert.deepEqual(['modelLabel', 'relabelled'].map((k) => k in x.deepmad.features), [false, false]);
      const s = JSON.parse(r.stdout);
      return [s.escalatedByRules, s.relabelledBySignatures, s.byClass, recs.map((x) => [x.src_port, x.alert.signature, x.alert.severity, x.alert.confidence, x.deepmad.model_label, x.deepmad.relabelled, x.deepmad.escalated])];
    };
    const reason = `payload signature: ${SQLI}`;
    assert.deepEqual(detect('on.jsonl'), [2, 1, { [SQLI]: 3 }, [
      [53796, `DeepMAD rule ${SQLI}`, 2, 1, undefined, undefined, reason],
      [57524, `DeepMAD rule ${SQLI}`, 2, 1, undefined, undefined, reason],
      [40112, `DeepMAD rule ${SQLI}`, 2, 0.3176, 'DoS Hulk', reason, undefined],
    ]]);
    assert.deepEqual(detect('off.jsonl', '--rules', 'off'), [undefined, undefined, { 'DoS Hulk': 1 }, [[40112, 'DeepMAD ML DoS Hulk', 1, 0.3176, undefined, undefined, undefined]]]);
    const text = spawnSync(process.execPath, [cli, 'detect', capture], { encoding: 'utf8' });
    assert.match(text.stdout, /\nrules: 2 benign verdict\(s\) escalated by behaviour rules \(repeated logins, DHCP flood\) and payload signatures\nrules: 1 model alert\(s\) relabelled after their payload signature\n/);
  });

  it('the benign captures keep their count: 203 flows, 1 flagged (the model\'s SSH-Patator), none escalated, rules on or off', () => {
    const dir = path.join(pcaps, 'benign');
    const files = fs.readdirSync(dir).filter((f) => /\.(pcap|pcapng|cap)$/.test(f)).sort().map((f) => path.join(dir, f));
    const on = [...classify(files, 'on').values()].flat(), off = [...classify(files, 'off').values()].flat();
    assert.deepEqual(on, off);
    assert.deepEqual([on.length, on.filter((x) => / 1 /.test(x)).map((x) => x.split(' ').slice(1).join(' '))], [203, ['SSH-Patator 1 ']]);
  });
});
