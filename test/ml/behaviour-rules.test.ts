/**
 * The behaviour-rule stage (lib/ml/behaviour-rules.ts): the two rules' boundaries on hand-built flow
 * objects, batch mode on real captures through `deepmad classify` and `deepmad detect` (the shipped
 * default model), streaming against a brute-force causal reference on random data, the flow-columns
 * path, and bounded memory under a flood of 1M spoofed sources.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  AddressListError, BehaviourRules, behaviourFlowsFromColumns, parseAddressList, behaviourFlowsFromObjects, escalateByRules, escalateColumns, judgeBehaviour,
  DEFAULT_RULES_MAX_KEYS, DHCP_FLOOD, ESCALATED_DHCP, ESCALATED_LOGIN, KIND_DHCP, KIND_LOGIN, KIND_NONE, LOGIN_BRUTE_FORCE, LOGIN_SERVICES,
  type BehaviourFlows, type RuleVerdict, type RuleVerdictColumns,
} from '../../lib/ml/behaviour-rules.js';
import type { HostKey } from '../../lib/ml/lone-flow-context.js';
import { CaptureReader } from '../../lib/capture/reader.js';
import { Flowmeter } from '../../lib/flow/flowmeter.js';
import { flowColumnsFromBatch, type FlowColumns } from '../../lib/normalize/flow-columns.js';
import { meterCapture } from '../../lib/ml/capture-flows.js';
import { readCsvFile } from '../../lib/ml/csv-table.js';
import { Random } from '../../lib/ml/random.js';
import { pcaps, needShared, cli, SSH_GUESS } from '../support/stage-paths.js';

/** The labels escalateColumns appends, in `escalated` code order: the two rules, then the payload signatures (codes 3-8). */
const STAGE_LABELS = [LOGIN_BRUTE_FORCE, DHCP_FLOOD, 'Heartbleed', 'Web Attack - SQL Injection', 'Web Attack - XSS', 'Web Attack - Path Traversal', 'Log4Shell JNDI Lookup', 'VNC Authentication Failure'];

/** A flow object with the fields the rules read (the improved profile's names); t in seconds after 2024-01-01. */
const flow = (t: number, src: string, dport: number, o: { proto?: number; fwdBytes?: number; bwd?: number; dst?: string } = {}): Record<string, unknown> => ({
  'Src IP': src, 'Dst IP': o.dst ?? '10.0.0.1', 'Dst Port': dport, Protocol: o.proto ?? (dport === 67 ? 17 : 6),
  Timestamp: new Date(Date.UTC(2024, 0, 1) + t * 1000).toISOString().replace('T', ' ').replace('Z', ''),
  'Total Fwd Packet': 5, 'Total Bwd packets': o.bwd ?? 4, 'Total Length of Fwd Packet': o.fwdBytes ?? 300,
});
const hitRows = (flows: Array<Record<string, unknown>>): number[] => {
  const h = judgeBehaviour(behaviourFlowsFromObjects(flows));
  return [...h.codes.keys()].filter((i) => h.codes[i] !== 0);
};
const benignVerdicts = (n: number, malicious: number[] = []): RuleVerdict[] => Array.from({ length: n }, (_, i) => ({
  label: malicious.includes(i) ? 'SSH-Patator' : 'BENIGN', confidence: 0.6, probabilities: { BENIGN: 0.4, 'SSH-Patator': 0.6 }, attackProbability: 0.6, malicious: malicious.includes(i),
}));

describe('behaviour rules: repeated logins', () => {
  it('4 sessions from one source within 60 s do not count, 5 do; the span is inclusive (60 s exactly, not 60.001 s)', () => {
    const ssh = (ts: number[]) => ts.map((t) => flow(t, '192.0.2.7', 22));
    assert.deepEqual(hitRows(ssh([0, 10, 20, 30])), []);
    assert.deepEqual(hitRows(ssh([0, 10, 20, 30, 40])), [0, 1, 2, 3, 4]);
    assert.deepEqual(hitRows(ssh([0, 15, 30, 45, 60])), [0, 1, 2, 3, 4]);
    assert.deepEqual(hitRows(ssh([0, 15, 30, 45, 60.001])), []);
    // two-sided and exact in batch mode: every member of any qualifying window, the first ones too;
    // a flow inside no 60 s span of 5 is left alone
    assert.deepEqual(hitRows(ssh([0, 100, 110, 120, 130, 140, 250])), [1, 2, 3, 4, 5]);
  });

  it('only answered TCP sessions with client payload to a login port count; the key is the source, whatever the destination', () => {
    const base = [0, 1, 2, 3].map((t) => flow(t, 'A', 22, { dst: `10.0.0.${t}` }));
    assert.deepEqual(hitRows([...base, flow(4, 'A', 22, { dst: '10.9.9.9' })]), [0, 1, 2, 3, 4], 'five destinations, one source');
    assert.deepEqual(hitRows([...base, flow(4, 'A', 22, { fwdBytes: 0 })]), [], 'no client payload');
    assert.deepEqual(hitRows([...base, flow(4, 'A', 22, { bwd: 0 })]), [], 'no answer');
    assert.deepEqual(hitRows([...base, flow(4, 'A', 22, { proto: 17 })]), [], 'UDP');
    assert.deepEqual(hitRows([...base, flow(4, 'A', 443)]), [], 'not a login port');
    assert.deepEqual(hitRows([...base, flow(4, 'A', 23)]), [], 'another login service is another key');
    assert.deepEqual(hitRows([...base, flow(4, 'B', 22)]), [], 'another source');
    assert.deepEqual(LOGIN_SERVICES.map((s) => s.port), [21, 22, 23, 3389, 5900]);
    for (const { port } of LOGIN_SERVICES) assert.equal(hitRows([0, 1, 2, 3, 4].map((t) => flow(t, 'A', port))).length, 5, `port ${port}`);
  });

  it('escalates only benign verdicts: label, confidence 1, reason; model alerts keep theirs and still count; a suppressed mark goes', () => {
    const flows = [0, 10, 20, 30, 40].map((t) => flow(t, '192.168.56.1', 22));
    const v = benignVerdicts(5, [2]);
    v[4].suppressed = 'single packet, not corroborated';
    assert.equal(escalateByRules(flows, v), 4);
    assert.deepEqual(v.map((x) => [x.label, x.malicious, x.confidence, x.escalated, x.attackProbability, 'suppressed' in x]), [
      ...[0, 1].map(() => [LOGIN_BRUTE_FORCE, true, 1, '5+ ssh sessions from 192.168.56.1 within 60 s', 0.6, false]),
      ['SSH-Patator', true, 0.6, undefined, 0.6, false],
      ...[3, 4].map(() => [LOGIN_BRUTE_FORCE, true, 1, '5+ ssh sessions from 192.168.56.1 within 60 s', 0.6, false]),
    ]);
  });
});

describe('behaviour rules: DHCP flood', () => {
  it('15 requests within 1 s do not count, 16 do, network-wide (every client different); the 1 s span is inclusive', () => {
    const dhcp = (n: number, span: number) => Array.from({ length: n }, (_, i) => flow((i * span) / (n - 1), `10.1.0.${i}`, 67, { bwd: 0, fwdBytes: 300 }));
    assert.deepEqual(hitRows(dhcp(15, 1)), []);
    assert.deepEqual(hitRows(dhcp(16, 1)), [...Array(16).keys()]);
    assert.deepEqual(hitRows(dhcp(16, 1.01)), []);
    // TCP to 67, or UDP to 68, is not a DHCP request
    assert.deepEqual(hitRows(dhcp(16, 1).map((f) => ({ ...f, Protocol: 6 }))), []);
    assert.deepEqual(hitRows(dhcp(16, 1).map((f) => ({ ...f, 'Dst Port': 68 }))), []);
    const v = benignVerdicts(16);
    assert.equal(escalateByRules(dhcp(16, 1), v), 16);
    assert.deepEqual([...new Set(v.map((x) => `${x.label}|${x.escalated}`))], [`${DHCP_FLOOD}|16+ DHCP requests within 1 s`]);
  });

  it('bad rows neither throw nor count; bad options are refused', () => {
    const flows: unknown[] = [null, 7, 'x', { 'Src IP': 'A' }, ...[0, 1, 2, 3, 4].map((t) => flow(t, 'A', 22)), { ...flow(5, 'A', 22), Timestamp: 'garbage' }];
    const bf = behaviourFlowsFromObjects(flows);
    assert.deepEqual(Array.from(bf.kind), [0, 0, 0, 0, 3, 3, 3, 3, 3, 3]);
    assert.ok(Number.isNaN(bf.time[9]));
    assert.deepEqual([...judgeBehaviour(bf).codes], [0, 0, 0, 0, 1, 1, 1, 1, 1, 0]);
    // CIC-IDS2017 spellings
    const cic = [0, 1, 2, 3, 4].map((t) => ({ ' Source IP': 'A', ' Destination Port': '21', ' Protocol': '6', ' Timestamp': `03/07/2017 08:55:0${t}`, ' Total Length of Fwd Packets': '20', ' Total Backward Packets': '3' }));
    assert.deepEqual(hitRows(cic), [0, 1, 2, 3, 4]);
    assert.throws(() => new BehaviourRules({ loginK: 0 }), /login count must be 1-255/);
    assert.throws(() => new BehaviourRules({ dhcpWindowSeconds: -1 }), /DHCP window must be a non-negative/);
    assert.throws(() => new BehaviourRules({ maxKeys: 0 }), /maxKeys must be at least 1/);
  });
});

describe('behaviour rules: trusted sources', () => {
  const hitsWith = (flows: unknown[], trustedSources: string[]): number[] => {
    const h = judgeBehaviour(behaviourFlowsFromObjects(flows), { trustedSources });
    return [...h.codes.keys()].filter((i) => h.codes[i] !== 0);
  };

  it('parseAddressList: IPv4 and IPv6 addresses and CIDR prefixes (host bits ignored), separated by commas, spaces or newlines', () => {
    const cases: Array<[string, string, boolean]> = [
      ['192.168.56.1', '192.168.56.1', true], ['192.168.56.1', '192.168.56.2', false],
      ['192.168.56.0/24', '192.168.56.255', true], ['192.168.56.0/24', '192.168.57.0', false],
      ['192.168.56.77/24', '192.168.56.3', true], ['10.0.0.0/8', '10.255.1.2', true], ['10.0.0.0/8', '11.0.0.0', false],
      ['0.0.0.0/0', '203.0.113.9', true], ['0.0.0.0/0', 'fd00::1', false],
      ['fd00::/8', 'fd12:3456::1', true], ['fd00::/8', 'fe00::1', false], ['fd00::/8', '10.0.0.1', false],
      ['fc00::/7', 'fdff::1', true], ['fc00::/7', 'fe00::', false],
      ['2001:db8:abcd:12::/63', '2001:db8:abcd:13:ffff::1', true], ['2001:db8:abcd:12::/63', '2001:db8:abcd:14::', false],
      ['2001:db8:abcd:12::/63', '2001:DB8:ABCD:12::', true],
      ['2001:db8::1', '2001:0db8:0:0:0:0:0:1', true], ['2001:db8::1', '2001:db8::2', false], ['2001:db8::/128', '2001:db8::', true],
      ['::/0', 'fe80::1', true], ['::', '::', true], ['1::', '1::1', false], ['::1', '0:0:0:0:0:0:0:1', true],
      // an IPv4 entry covers the IPv4-mapped IPv6 form; a dotted quad inside IPv6 text is parsed
      ['192.168.56.0/24', '::ffff:192.168.56.9', true], ['::ffff:1.2.3.4', '::ffff:102:304', true],
      ['192.168.56.1', 'not an address', false], ['192.168.56.1', '', false],
    ];
    assert.deepEqual(cases.map(([list, addr]) => parseAddressList(list).matchesText(addr)), cases.map(([, , want]) => want));
    const m = parseAddressList('10.0.0.5, 192.168.1.0/24\nfd00::/8;2001:db8::1');
    assert.deepEqual([m.size, m.entries], [4, ['10.0.0.5', '192.168.1.0/24', 'fd00::/8', '2001:db8::1']]);
    // numeric IPv4 keys (flow columns) without text
    assert.deepEqual([m.matches(0x0a000005), m.matches(0xc0a801fe), m.matches(0xc0a802fe), m.matches('fd00::9'), m.matchesV6([0xfd, ...Array(15).fill(0)])], [true, true, false, true, true]);
    assert.equal(parseAddressList(['10.0.0.5,10.0.0.6', ' ']).size, 2);
    assert.equal(parseAddressList(undefined).size, 0);
  });

  it('a malformed entry throws an AddressListError naming it, from the parser and from the rules', () => {
    const bad: Array<[string, string]> = [
      ['10.0.0.300', "trusted sources: '10.0.0.300' is not an IPv4/IPv6 address or CIDR prefix"],
      ['10.0.0.0/33', "trusted sources: '10.0.0.0/33' has a bad prefix length (IPv4: 0-32)"],
      ['fd00::/129', "trusted sources: 'fd00::/129' has a bad prefix length (IPv6: 0-128)"],
      ['abc', "trusted sources: 'abc' is not an IPv4/IPv6 address or CIDR prefix"],
      ['1::2::3', "trusted sources: '1::2::3' is not an IPv4/IPv6 address or CIDR prefix"],
      ['10.0.0.0/', "trusted sources: '10.0.0.0/' has a bad prefix length (IPv4: 0-32)"],
      ['10.0.0.0/-1', "trusted sources: '10.0.0.0/-1' has a bad prefix length (IPv4: 0-32)"],
      ['1.2.3', "trusted sources: '1.2.3' is not an IPv4/IPv6 address or CIDR prefix"],
      ['1:2:3:4:5:6:7:8:9', "trusted sources: '1:2:3:4:5:6:7:8:9' is not an IPv4/IPv6 address or CIDR prefix"],
    ];
    for (const [entry, message] of bad) {
      assert.throws(() => parseAddressList(['10.0.0.1', entry]), (err: unknown) => err instanceof AddressListError && err.entry === entry && err.message === message);
      assert.throws(() => new BehaviourRules({ trustedSources: [entry] }), { message });
      assert.throws(() => judgeBehaviour(behaviourFlowsFromObjects([]), { trustedSources: [entry] }), { message });
    }
    assert.throws(() => parseAddressList('abc', '--trusted-sources'), { message: "--trusted-sources: 'abc' is not an IPv4/IPv6 address or CIDR prefix" });
  });

  it('batch: login flows of a trusted source neither count nor are escalated; other sources and the DHCP rule are unaffected', () => {
    const ssh = (src: string) => [0, 10, 20, 30, 40].map((t) => flow(t, src, 22));
    const dhcp = Array.from({ length: 16 }, (_, i) => flow(100 + i / 15, '192.168.56.1', 67, { bwd: 0 }));
    const flows = [...ssh('192.168.56.1'), ...ssh('10.0.0.9'), ...ssh('fd00::5'), ...dhcp];
    const login = (from: number) => [from, from + 1, from + 2, from + 3, from + 4];
    const dhcpRows = [...Array(16).keys()].map((i) => 15 + i);
    assert.deepEqual(hitsWith(flows, []), [...login(0), ...login(5), ...login(10), ...dhcpRows]);
    assert.deepEqual(hitsWith(flows, ['192.168.56.1']), [...login(5), ...login(10), ...dhcpRows]);
    assert.deepEqual(hitsWith(flows, ['192.168.56.0/24', 'fd00::/8']), [...login(5), ...dhcpRows]);
    assert.deepEqual(hitsWith(flows, ['192.168.57.0/24', 'fe00::/8']), [...login(0), ...login(5), ...login(10), ...dhcpRows], 'prefixes that do not match');
    assert.deepEqual(hitsWith(flows, ['0.0.0.0/0', '::/0']), dhcpRows);
    const h = judgeBehaviour(behaviourFlowsFromObjects(flows), { trustedSources: parseAddressList('10.0.0.9') });
    assert.deepEqual([...h.trusted!.keys()].filter((i) => h.trusted![i]), login(5));
    assert.equal(judgeBehaviour(behaviourFlowsFromObjects(flows)).trusted, null);
    // escalateByRules: the trusted source's benign verdicts stay as the model gave them
    const v = benignVerdicts(flows.length);
    assert.equal(escalateByRules(flows, v, { trustedSources: ['192.168.56.1', 'fd00::5'] }), 5 + 16);
    assert.deepEqual(v.map((x) => x.escalated ?? x.label), [
      ...Array(5).fill('BENIGN'), ...Array(5).fill('5+ ssh sessions from 10.0.0.9 within 60 s'), ...Array(5).fill('BENIGN'), ...Array(16).fill('16+ DHCP requests within 1 s'),
    ]);
  });

  it('streaming: a trusted source is neither counted nor remembered; stats count its login flows', () => {
    const one = (t: number, src: HostKey): BehaviourFlows => ({ rows: 1, time: Float64Array.of(t), kind: Uint8Array.of(KIND_LOGIN + 1), src: [src] });
    const stream = (rules: BehaviourRules, src: HostKey) => [0, 1, 2, 3, 4, 5].map((k) => rules.judge(one(k, src), new Uint8Array(1)).codes[0]);
    const trusting = new BehaviourRules({ trustedSources: ['192.168.56.0/24', '2001:db8::/32'] });
    assert.deepEqual(stream(trusting, 0xc0a83801), [0, 0, 0, 0, 0, 0], 'numeric IPv4 key');
    assert.deepEqual(stream(trusting, '192.168.56.1'), [0, 0, 0, 0, 0, 0], 'text IPv4 key');
    assert.deepEqual(stream(trusting, '2001:db8::7'), [0, 0, 0, 0, 0, 0], 'IPv6 key');
    assert.deepEqual(stream(trusting, 0xc0a83901), [0, 0, 0, 0, ESCALATED_LOGIN, ESCALATED_LOGIN], 'another source still alerts');
    assert.deepEqual(trusting.keys, [0, 1, 0, 0, 0]);
    assert.deepEqual(trusting.stats, { flows: 24, loginFlows: 6, dhcpFlows: 0, trustedLoginFlows: 18, escalatedLogin: 2, escalatedDhcp: 0, escalatedSignature: 0, relabelledSignature: 0 });
  });

  it('flow columns (IPv4 sources as numbers) and flow objects agree on sshguess, batch and streaming', async () => {
    const objects = await meterCapture(SSH_GUESS, 'improved');
    const batches: FlowColumns[] = [];
    const fm = new Flowmeter({ profile: 'improved', onFlows: (b) => batches.push(flowColumnsFromBatch(b, fm.profile)) });
    for await (const b of new CaptureReader(SSH_GUESS)) fm.push(b);
    fm.close();
    assert.equal(batches.length, 1);
    const cols = behaviourFlowsFromColumns(batches[0]);
    assert.deepEqual([...cols.src], Array(11).fill(0xc0a83801), 'numeric sources, no strings built');
    const lists: Array<[string[], number]> = [[[], 11], [['192.168.56.1'], 0], [['192.168.56.0/24'], 0], [['0.0.0.0/0'], 0], [['192.168.57.0/24', 'fd00::/8'], 11], [['192.168.56.2'], 11]];
    for (const [trustedSources, hits] of lists) {
      const fromCols = judgeBehaviour(cols, { trustedSources }).codes;
      assert.deepEqual(fromCols, judgeBehaviour(behaviourFlowsFromObjects(objects), { trustedSources }).codes, trustedSources.join());
      assert.equal(fromCols.filter(Boolean).length, hits, trustedSources.join());
      for (const input of [batches[0], objects] as Array<FlowColumns | unknown[]>) {
        const v = fakeVerdicts(11);
        const rules = new BehaviourRules({ trustedSources });
        assert.equal(await rules.applyToColumnsSliced(input, v, 4, async () => undefined), hits ? 7 : 0, trustedSources.join());
        assert.equal(rules.stats.trustedLoginFlows, 11 - (hits ? 11 : 0));
      }
    }
  });
});

/** Deterministic pseudo-random numbers: the trainer's seeded mulberry32. */
function rng(seed: number): () => number {
  const r = new Random(seed);
  return () => r.next();
}

describe('behaviour rules: streaming', () => {
  it('equals a brute-force causal reference on random data (time-ordered batches, shuffled within each)', () => {
    for (const seed of [1, 2, 3, 4]) {
      const rand = rng(seed);
      const n = 1500;
      // start times ascending: logins from 6 sources to 3 services at ~1 per 4 s, DHCP bursts, other flows
      const time = new Float64Array(n), kind = new Uint8Array(n), src: HostKey[] = new Array(n);
      let t = 1000, burst = false;
      for (let i = 0; i < n; i++) {
        // DHCP bursts of about 16 requests a second (the rule's boundary) between quieter stretches
        if (rand() < 0.03) burst = !burst;
        t += burst ? rand() * 0.12 : rand() < 0.1 ? rand() * 20 : rand() * 0.15;
        time[i] = t;
        const r = rand();
        kind[i] = burst ? (r < 0.9 ? KIND_DHCP : KIND_LOGIN) : r < 0.45 ? KIND_LOGIN + Math.floor(rand() * 3) : r < 0.6 ? KIND_DHCP : KIND_NONE;
        src[i] = seed % 2 ? `10.0.0.${Math.floor(rand() * 6)}` : 0x0a000000 + Math.floor(rand() * 6);
      }
      // batches of random sizes; rows shuffled inside each batch
      const order: number[] = [], batchOf: number[] = new Array(n);
      const bounds: number[] = [0];
      for (let s = 0; s < n;) {
        const size = 1 + Math.floor(rand() * 40);
        const idx = Array.from({ length: Math.min(size, n - s) }, (_, j) => s + j);
        for (let j = idx.length - 1; j > 0; j--) { const k = Math.floor(rand() * (j + 1)); [idx[j], idx[k]] = [idx[k], idx[j]]; }
        for (const i of idx) { batchOf[i] = bounds.length - 1; order.push(i); }
        s += idx.length;
        bounds.push(s);
      }
      const rules = new BehaviourRules();
      const got = new Uint8Array(n);
      for (let b = 0; b + 1 < bounds.length; b++) {
        const rows = order.slice(bounds[b], bounds[b + 1]);
        const part: BehaviourFlows = { rows: rows.length, time: Float64Array.from(rows, (i) => time[i]), kind: Uint8Array.from(rows, (i) => kind[i]), src: rows.map((i) => src[i]) };
        const h = rules.judge(part, new Uint8Array(rows.length));
        rows.forEach((i, j) => { got[i] = h.codes[j]; });
      }
      // reference: flow i is a hit when some window [t_j, t_j + W] holds it and ≥ K flows of its key
      // that arrived in its batch or before
      const ref = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        if (kind[i] === KIND_NONE) continue;
        const dhcp = kind[i] === KIND_DHCP;
        const [k, w] = dhcp ? [16, 1] : [5, 60];
        const same = (j: number): boolean => kind[j] === kind[i] && batchOf[j] <= batchOf[i] && (dhcp || src[j] === src[i]);
        for (let j = 0; j < n && !ref[i]; j++) {
          if (!same(j) || time[j] > time[i] || time[i] > time[j] + w) continue;
          let c = 0;
          for (let x = 0; x < n; x++) if (same(x) && time[x] >= time[j] && time[x] <= time[j] + w) c++;
          if (c >= k) ref[i] = dhcp ? ESCALATED_DHCP : ESCALATED_LOGIN;
        }
      }
      assert.deepEqual(got, ref, `seed ${seed}`);
      const counts = [ESCALATED_LOGIN, ESCALATED_DHCP].map((c) => [...got].filter((x) => x === c).length);
      assert.ok(counts.every((c) => c >= 50), `seed ${seed}: both rules fire on part of the data (${counts})`);
      // batch mode over everything sees the whole windows: a superset, strictly larger here
      const batch = judgeBehaviour({ rows: n, time, kind, src }).codes;
      assert.ok([...got].every((c, i) => !c || batch[i] === c), `seed ${seed}: streaming hits are batch hits`);
      assert.ok(batch.filter(Boolean).length > got.filter(Boolean).length, `seed ${seed}: the causal edge leaves some flows out`);
      assert.deepEqual(rules.stats.escalatedLogin + rules.stats.escalatedDhcp, [...got].filter(Boolean).length);
    }
  });

  it('a flood of 1M spoofed sources keeps each service\'s record at its cap; a later brute force still alerts', () => {
    const cap = 10_000;
    const rules = new BehaviourRules({ maxKeys: cap });
    const shipped = new BehaviourRules();
    const n = 10_000;
    const f: BehaviourFlows = { rows: n, time: new Float64Array(n), kind: new Uint8Array(n).fill(KIND_LOGIN + 1), src: new Array<HostKey>(n) };
    const mal = new Uint8Array(n);
    let hits = 0;
    for (let b = 0; b < 100; b++) {
      for (let i = 0; i < n; i++) { (f.src as HostKey[])[i] = 0x0b000000 + b * n + i; f.time[i] = 1000 + (b * n + i) / 1e4; }
      hits += rules.judge(f, mal).codes.filter(Boolean).length;
      shipped.judge(f, mal);
    }
    assert.equal(hits, 0);
    assert.deepEqual([rules.keys, rules.capacity], [[0, cap, 0, 0, 0], [0, cap, 0, 0, 0]]);
    assert.deepEqual([shipped.keys, shipped.capacity], [[0, DEFAULT_RULES_MAX_KEYS, 0, 0, 0], [0, 65_536, 0, 0, 0]]);
    assert.deepEqual(rules.stats, { flows: 1_000_000, loginFlows: 1_000_000, dhcpFlows: 0, trustedLoginFlows: 0, escalatedLogin: 0, escalatedDhcp: 0, escalatedSignature: 0, relabelledSignature: 0 });
    // one flow per batch from a real brute forcer: the fifth completes the count
    const one = (t: number): BehaviourFlows => ({ rows: 1, time: Float64Array.of(t), kind: Uint8Array.of(KIND_LOGIN + 1), src: [0xc0000201] });
    assert.deepEqual([0, 1, 2, 3, 4].map((k) => rules.judge(one(1200 + k), new Uint8Array(1)).codes[0]), [0, 0, 0, 0, ESCALATED_LOGIN]);
    rules.reset();
    assert.deepEqual([rules.keys, rules.capacity], [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]);
  });

  it('flow columns from the flow meter (numbers, no identity strings) give the objects\' hits; sliced = one call per slice', { skip: needShared }, async () => {
    for (const [file, expect] of [[SSH_GUESS, 11], [path.join(pcaps, 'attack', 'zeek_dhcp_flood.pcap'), 250]] as const) {
      const objects = await meterCapture(file, 'improved');
      const batches: FlowColumns[] = [];
      const fm = new Flowmeter({ profile: 'improved', onFlows: (b) => batches.push(flowColumnsFromBatch(b, fm.profile)) });
      for await (const b of new CaptureReader(file)) fm.push(b);
      fm.close();
      const fromObjects = judgeBehaviour(behaviourFlowsFromObjects(objects)).codes;
      const fc = batches.length === 1 ? batches[0] : null;
      assert.ok(fc, 'one flow batch');
      const cols = behaviourFlowsFromColumns(fc);
      assert.equal(typeof cols.src[fromObjects.indexOf(ESCALATED_LOGIN) >= 0 ? fromObjects.indexOf(ESCALATED_LOGIN) : 0], 'number', 'IPv4 sources keyed by number');
      assert.deepEqual(judgeBehaviour(cols).codes, fromObjects);
      assert.equal(fromObjects.filter(Boolean).length, expect);
      // the classifier node's call: rows as streaming slices of 4; verdict columns edited in place
      for (const input of [fc, objects] as Array<FlowColumns | unknown[]>) {
        const v = fakeVerdicts(expect);
        const ref = new BehaviourRules();
        const codes = new Uint8Array(expect);
        for (let from = 0; from < expect; from += 4) {
          const part = Array.isArray(input) ? behaviourFlowsFromObjects(input, from, Math.min(expect, from + 4)) : behaviourFlowsFromColumns(input, from, Math.min(expect, from + 4));
          codes.set(ref.judge(part, new Uint8Array(part.rows)).codes, from);
        }
        let pauses = 0;
        const n = await new BehaviourRules().applyToColumnsSliced(input, v, 4, async () => { pauses++; });
        assert.equal(pauses, Math.ceil(expect / 4) - 1);
        assert.deepEqual(v.escalated, codes);
        assert.equal(n, codes.filter(Boolean).length);
        assert.equal(v.detections, n);
        assert.deepEqual(v.classes, ['BENIGN', 'X']);
        assert.deepEqual(v.labels, ['BENIGN', 'X', ...STAGE_LABELS]);
        const label = expect === 11 ? 2 : 3;
        assert.deepEqual([...v.label].filter((_, i) => codes[i]), Array(n).fill(label));
        // the causal edge: the first flows of a slow brute force, in earlier slices, stay benign
        if (expect === 11) assert.deepEqual([...codes], [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
        else assert.equal(n, 250 - 12, 'the DHCP flood: the first 3 slices of 4 (12 requests, 240 ms) stay benign');
      }
    }
  });
});

/** Verdict columns of `rows` benign rows of a two-class model. */
function fakeVerdicts(rows: number): RuleVerdictColumns {
  return {
    rows, labels: ['BENIGN', 'X'], label: new Uint8Array(rows), confidence: new Float32Array(rows).fill(0.9), attackProbability: new Float64Array(rows).fill(0.1),
    malicious: new Uint8Array(rows), probabilities: new Float32Array(rows * 2), detections: 0,
  };
}

describe('behaviour rules: escalateColumns', () => {
  it('adds the rule labels once, keeps classes, clears suppressed, leaves malicious rows alone', () => {
    const v = fakeVerdicts(3);
    v.malicious[2] = 1; v.label[2] = 1; v.detections = 1;
    v.suppressed = Uint8Array.of(1, 0, 0);
    const n = escalateColumns(v, { codes: Uint8Array.of(ESCALATED_DHCP, 0, ESCALATED_DHCP), reasons: ['r0', , 'r2'] as string[] });
    assert.equal(n, 1);
    assert.deepEqual([v.labels, v.classes, [...v.label], [...v.malicious], [...v.escalated!], [...v.suppressed], v.detections, v.escalatedReasons?.[0], v.confidence[0]],
      [['BENIGN', 'X', ...STAGE_LABELS], ['BENIGN', 'X'], [3, 0, 1], [1, 0, 1], [2, 0, 0], [0, 0, 0], 2, 'r0', 1]);
  });
});

describe('behaviour rules: deepmad classify', { skip: needShared }, () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'classify', ...args], { encoding: 'utf8' });

  it('on captures by default: sshguess 11/11 and the DHCP flood 250/250 escalated; the benign SSH capture keeps its one model alert; other captures change only by payload signatures', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-rules-'));
    const all = ['attack', 'benign'].flatMap((k) => fs.readdirSync(path.join(pcaps, k)).filter((f) => /\.(pcap|pcapng|cap)$/.test(f)).sort().map((f) => path.join(pcaps, k, f)));
    const verdicts = (rules: string): Map<string, string[]> => {
      const out = path.join(dir, `${rules}.csv`);
      const r = run(...all, '--quiet', '-o', out, '--rules', rules);
      assert.equal(r.status, 0, r.stderr);
      const t = readCsvFile(out);
      const per = new Map<string, string[]>();
      for (const c of t.rows) {
        const key = path.relative(pcaps, c[0]);
        if (!per.has(key)) per.set(key, []);
        per.get(key)!.push(`${c[8]}|${c[11]}|${rules === 'on' ? c[13] : ''}`);
      }
      return per;
    };
    const on = verdicts('on'), off = verdicts('off');
    const changed = [...on.keys()].filter((k) => JSON.stringify(on.get(k)) !== JSON.stringify(off.get(k).map((x) => x)));
    // the rules change two captures; payload signatures five more (pinned in signature-stage.test.ts)
    assert.deepEqual(changed, [
      'attack/chrissanders_http_dvwa_sqlinjection.pcapng', 'attack/ndpi_log4j-webapp-exploit.pcap', 'attack/zeek_dhcp_flood.pcap',
      'attack/zeek_http_cooper-grill-dvwa.pcapng', 'attack/zeek_rfb_vnc-scanner.pcap', 'attack/zeek_ssh_sshguess.pcap', 'attack/zeek_tls_heartbleed.pcap',
    ]);
    assert.deepEqual(changed.filter((k) => on.get(k)!.some((x) => /\|payload signature: /.test(x))), ['attack/chrissanders_http_dvwa_sqlinjection.pcapng', 'attack/ndpi_log4j-webapp-exploit.pcap',
      'attack/zeek_http_cooper-grill-dvwa.pcapng', 'attack/zeek_rfb_vnc-scanner.pcap', 'attack/zeek_tls_heartbleed.pcap']);
    assert.deepEqual(on.get('attack/zeek_ssh_sshguess.pcap'), Array(11).fill(`${LOGIN_BRUTE_FORCE}|1|5+ ssh sessions from 192.168.56.1 within 60 s`));
    assert.deepEqual(off.get('attack/zeek_ssh_sshguess.pcap'), Array(11).fill('BENIGN|0|'));
    assert.deepEqual(on.get('attack/zeek_dhcp_flood.pcap'), Array(250).fill(`${DHCP_FLOOD}|1|16+ DHCP requests within 1 s`));
    const many = on.get('benign/zeek_ssh_many-sessions.pcap')!;
    assert.deepEqual([many.length, many.filter((x) => x.includes('|1|'))], [25, ['SSH-Patator|1|']]);
    // the default -o layout is unchanged; the summary names the reason
    const r = run(SSH_GUESS, '-o', path.join(dir, 'default.csv'));
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readCsvFile(path.join(dir, 'default.csv')).header.slice(-2), ['malicious', 'suppressed']);
    assert.match(r.stdout, /: 11 flows, 11 flagged \(100\.0%\), 11 escalated by behaviour rules and payload signatures \(5\+ ssh sessions from 192\.168\.56\.1 within 60 s\) — Login Brute Force 11;/);
  });

  it('--rules: off for CSV rows by default, on applies it; bad values exit 2', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-rules-'));
    const csv = path.join(dir, 'ssh.csv');
    assert.equal(spawnSync(process.execPath, [cli, 'flows', SSH_GUESS, '-o', csv, '--quiet'], { encoding: 'utf8' }).status, 0);
    assert.match(run(csv).stdout, /: 11 flows, 0 flagged \(0\.0%\) — BENIGN 11$/m);
    assert.match(run(csv, '--rules', 'on').stdout, /: 11 flows, 11 flagged \(100\.0%\), 11 escalated by behaviour rules/);
    const bad = run(SSH_GUESS, '--rules', 'maybe');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--rules must be on or off, got "maybe"/);
    assert.match(run('--help').stdout, /--rules on\|off/);
  });

  it('--trusted-sources: sshguess from a trusted 192.168.56.1 (or its /24) gets no Login Brute Force escalation, 11 without or with a prefix that does not match; bad entries exit 2 naming them', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-rules-'));
    const capture = path.join(pcaps, 'attack', 'zeek_ssh_sshguess.pcap');
    const escalations = (...args: string[]): number => {
      const out = path.join(dir, 'p.csv');
      const r = run(capture, '--quiet', '--rules', 'on', '-o', out, ...args);
      assert.equal(r.status, 0, r.stderr);
      const t = readCsvFile(out);
      assert.equal(t.rows.length, 11);
      return t.rows.filter((c) => c[8] === LOGIN_BRUTE_FORCE && c[13] === '5+ ssh sessions from 192.168.56.1 within 60 s').length;
    };
    assert.deepEqual([
      escalations(), escalations('--trusted-sources', '192.168.56.1'), escalations('--trusted-sources', '192.168.56.0/24'),
      escalations('--trusted-sources', '192.168.57.0/24,fd00::/8'), escalations('--trusted-sources=10.0.0.5,192.168.56.0/24'),
    ], [11, 0, 0, 11, 0]);
    assert.match(run(capture, '--trusted-sources', '192.168.56.0/24').stdout, /: 11 flows, 0 flagged \(0\.0%\) — BENIGN 11$/m);
    for (const [entry, why] of [['10.0.0.300', 'is not an IPv4/IPv6 address or CIDR prefix'], ['10.0.0.0/33', 'has a bad prefix length (IPv4: 0-32)'], ['fd00::/129', 'has a bad prefix length (IPv6: 0-128)'], ['abc', 'is not an IPv4/IPv6 address or CIDR prefix']]) {
      const bad = run(capture, '--trusted-sources', `192.168.56.1,${entry}`);
      assert.equal(bad.status, 2, entry);
      assert.equal(bad.stderr, `deepmad classify: --trusted-sources: '${entry}' ${why}\n`);
      assert.equal(bad.stdout, '');
    }
    assert.match(run('--help').stdout, /--trusted-sources IP\|CIDR/);
  });
});

describe('behaviour rules: deepmad detect', { skip: needShared }, () => {
  it('streams the rules by default: sshguess alerts as Login Brute Force in the EVE log; --rules off: no alert', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-rules-'));
    const detect = (...args: string[]) => {
      const r = spawnSync(process.execPath, [cli, 'detect', SSH_GUESS, ...args, '--json'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const s = JSON.parse(r.stdout);
      return { flows: s.flows, maliciousFlows: s.maliciousFlows, escalatedByRules: s.escalatedByRules, byClass: s.byClass };
    };
    const log = path.join(dir, 'eve.jsonl');
    assert.deepEqual(detect('--alerts', log), { flows: 11, maliciousFlows: 11, escalatedByRules: 11, byClass: { [LOGIN_BRUTE_FORCE]: 11 } });
    const recs = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(recs.length > 0);
    assert.deepEqual([...new Set(recs.map((r) => `${r.deepmad.label}|${r.alert.signature}|${r.src_ip}|${r.dest_port}`))], [`${LOGIN_BRUTE_FORCE}|DeepMAD rule ${LOGIN_BRUTE_FORCE}|192.168.56.1|22`]);
    assert.equal(recs.reduce((s, r) => s + r.deepmad.count, 0), 11);
    assert.deepEqual(detect('--rules', 'off'), { flows: 11, maliciousFlows: 0, escalatedByRules: undefined, byClass: {} });
    const bad = spawnSync(process.execPath, [cli, 'detect', SSH_GUESS, '--rules', 'maybe'], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--rules must be on or off, got "maybe"/);
  });

  it('--trusted-sources: a trusted 192.168.56.0/24 leaves sshguess without alerts (its 11 login flows not counted); a bad entry exits 2 naming it', () => {
    const r = spawnSync(process.execPath, [cli, 'detect', SSH_GUESS, '--trusted-sources', 'fd00::/8,192.168.56.0/24', '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.deepEqual([s.flows, s.maliciousFlows, s.escalatedByRules, s.trustedLoginFlows, s.byClass], [11, 0, undefined, 11, {}]);
    const text = spawnSync(process.execPath, [cli, 'detect', SSH_GUESS, '--trusted-sources', '192.168.56.1'], { encoding: 'utf8' });
    assert.match(text.stdout, /^rules: 11 login flow\(s\) from trusted sources not counted$/m);
    const other = JSON.parse(spawnSync(process.execPath, [cli, 'detect', SSH_GUESS, '--trusted-sources', '192.168.57.0/24', '--json'], { encoding: 'utf8' }).stdout);
    assert.deepEqual([other.maliciousFlows, other.escalatedByRules, other.trustedLoginFlows], [11, 11, undefined]);
    const bad = spawnSync(process.execPath, [cli, 'detect', SSH_GUESS, '--trusted-sources', '10.0.0.0/33'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr, "deepmad detect: --trusted-sources: '10.0.0.0/33' has a bad prefix length (IPv4: 0-32)\n");
    assert.match(spawnSync(process.execPath, [cli, 'detect', '--help'], { encoding: 'utf8' }).stdout, /--trusted-sources a,b\/24/);
  });
});
