/**
 * The payload-signature part of the behaviour-rules stage (lib/ml/behaviour-rules.ts): flows whose
 * `Payload Signature` field (objects) or text column (flow columns) names an attack escalate benign
 * verdicts, per flow, in batch and streaming mode alike; trusted sources are exempt from the VNC
 * login failure only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BehaviourRules, behaviourFlowsFromColumns, behaviourFlowsFromObjects, escalateByRules, escalateColumns, judgeBehaviour,
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
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repo = path.resolve(__dirname, '..', '..');
const pcaps = path.resolve(repo, '..', 'shared', 'data', 'pcaps');
const needShared = !fs.existsSync(pcaps) ? 'needs ../shared/data/pcaps' : false;
const cli = path.join(repo, 'dist', 'bin', 'deepmad.js');
const SSH_GUESS = path.join(repo, 'test', 'fixtures', 'alerts', 'zeek_ssh_sshguess.pcap');
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
  it('batch: benign verdicts get the first label, confidence 1, escalated = payload signature: <labels>; model alerts and other flows are untouched', () => {
    const flows = mixed();
    const v = verdicts(flows.length, [1]);
    assert.equal(escalateByRules(flows, v), 7);
    assert.deepEqual(v.map((x) => [x.label, x.malicious, x.confidence, x.escalated, x.attackProbability]), [
      [HB, true, 1, `payload signature: ${HB}`, 0.7],
      ['DoS Hulk', true, 0.7, undefined, 0.7],
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
    // the switch: signatures: false leaves every verdict alone
    const off = verdicts(flows.length);
    assert.equal(escalateByRules(flows, off, { signatures: false }), 0);
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
    assert.deepEqual(rules.stats, { flows: 7, loginFlows: 1, dhcpFlows: 0, trustedLoginFlows: 1, escalatedLogin: 0, escalatedDhcp: 0, escalatedSignature: 5 });
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
      assert.deepEqual([rules.stats.escalatedSignature, rules.escalated, rules.stats.escalatedLogin, rules.stats.flows], [n, n, 0, 300]);
    }
    // 300 flows: 28 rounds of 11 (8 signature flows each) minus the rest, minus model-flagged signature flows
    const sigRows = flows.map((_, i) => MIXED_CODES[i % 11]).filter(Boolean).length;
    assert.deepEqual([sigRows, n], [219, 219 - 4]);
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
    assert.deepEqual(v.labels, ['BENIGN', 'X', LOGIN_BRUTE_FORCE, DHCP_FLOOD, HB, SQLI, XSS, TRAV, JNDI, VNC]);
    assert.deepEqual(v.classes, ['BENIGN', 'X']);
    assert.deepEqual([...v.label].map((k) => v.labels[k]), [HB, 'X', XSS, TRAV, JNDI, VNC, SQLI, 'BENIGN', 'BENIGN', 'BENIGN', TRAV]);
    assert.deepEqual([...v.label].map((k, i) => (v.escalated![i] ? RULE_LABELS[v.escalated![i] - 1] === v.labels[k] : true)), Array(11).fill(true));
    assert.deepEqual([v.detections, [...v.confidence].map((c) => Math.round(c * 10) / 10), v.escalatedReasons?.[6]], [8, [1, 0.9, 1, 1, 1, 1, 1, 0.9, 0.9, 0.9, 1], `payload signature: ${SQLI}, ${XSS}`]);
    assert.deepEqual([rules.stats.escalatedSignature, rules.escalated], [7, 7]);
    // objects through applyToColumns: the same columns
    const w = columns(flows.length);
    w.malicious[1] = 1; w.label[1] = 1; w.detections = 1;
    assert.equal(new BehaviourRules().applyToColumns(flows, w), 7);
    assert.deepEqual([w.escalated, w.label, w.labels, w.escalatedReasons], [v.escalated, v.label, v.labels, v.escalatedReasons]);
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

describe('payload signatures: deepmad classify on captures', { skip: needShared }, () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'classify', ...args], { encoding: 'utf8' });
  /** -o rows of the inputs, per capture (relative to pcaps/): `Src IP>Dst IP:Dst Port label malicious escalated`. */
  const classify = (files: string[], rules: 'on' | 'off'): Map<string, string[]> => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-sig-')), 'p.csv');
    const r = run(...files, '--quiet', '--rules', rules, '-o', out);
    assert.equal(r.status, 0, r.stderr);
    const t = readCsvFile(out);
    // an explicit --rules on adds the escalated column
    assert.deepEqual(t.header.slice(8), ['label', 'confidence', 'attack_probability', 'malicious', 'suppressed', ...(rules === 'on' ? ['escalated'] : [])]);
    const per = new Map<string, string[]>();
    for (const c of t.rows) {
      const key = path.relative(pcaps, c[0]);
      if (!per.has(key)) per.set(key, []);
      per.get(key)!.push(`${c[2]}>${c[4]}:${c[5]} ${c[8]} ${c[11]} ${c[13] ?? ''}`);
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
    assert.deepEqual([...on.values()].flat().filter((x) => / 1 $/.test(x)).length, 4, 'model alerts without an escalation');
  });

  it('the benign captures keep their count: 203 flows, 1 flagged (the model\'s SSH-Patator), none escalated, rules on or off', () => {
    const dir = path.join(pcaps, 'benign');
    const files = fs.readdirSync(dir).filter((f) => /\.(pcap|pcapng|cap)$/.test(f)).sort().map((f) => path.join(dir, f));
    const on = [...classify(files, 'on').values()].flat(), off = [...classify(files, 'off').values()].flat();
    assert.deepEqual(on, off);
    assert.deepEqual([on.length, on.filter((x) => / 1 /.test(x)).map((x) => x.split(' ').slice(1).join(' '))], [203, ['SSH-Patator 1 ']]);
  });
});
