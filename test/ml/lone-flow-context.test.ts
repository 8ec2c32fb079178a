/**
 * The lone-flow context stage (lib/ml/lone-flow-context.ts): the rule on hand-built flow lists,
 * batch mode on real captures through `deepmad classify` (the shipped default model), streaming
 * against a causal reference, the flow-columns path the classifier node will use, and the host cap
 * under a spoofed flood of 1M sources.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  LoneFlowContext, contextFlowsFromColumns, contextFlowsFromObjects, judgeLoneFlows, parseTimestamp,
  SUPPRESSED_SINGLE_PACKET, DEFAULT_CONTEXT_MAX_HOSTS, type ContextFlows, type HostKey,
} from '../../lib/ml/lone-flow-context.js';
import { CaptureReader } from '../../lib/capture/reader.js';
import { Flowmeter } from '../../lib/flow/flowmeter.js';
import { flowColumnsFromBatch, identOf, isFlowColumns, lazyIntact, type FlowColumns } from '../../lib/normalize/flow-columns.js';
import { meterCapture } from '../../lib/ml/capture-flows.js';
import { Classifier } from '../../lib/ml/classifier.js';
import { defaultModelPath } from '../../lib/ml/default-model.js';
import { readCsvFile } from '../../lib/ml/csv-table.js';
import { pcaps, needShared, cli } from '../support/stage-paths.js';


/** [time s, single 0/1, flagged 0/1, src, dst] per flow. */
type Row = [number, number, number, HostKey, HostKey];
const mk = (rows: Row[]): { f: ContextFlows; mal: Uint8Array } => ({
  f: {
    rows: rows.length, time: Float64Array.from(rows, (r) => r[0]), single: Uint8Array.from(rows, (r) => r[1]),
    src: rows.map((r) => r[3]), dst: rows.map((r) => r[4]),
  },
  mal: Uint8Array.from(rows, (r) => r[2]),
});
const suppressedRows = (m: Uint8Array): number[] => [...m.keys()].filter((i) => m[i] === 1);

describe('lone-flow context: the rule', () => {
  // row 0 is always the judged flow: a flagged lone packet A → V at t = 100
  const judged: Row = [100, 1, 1, 'A', 'V'];

  it('window edges are inclusive: ±W exactly corroborates, a microsecond beyond does not', () => {
    const at = (t1: number, t2: number) => mk([judged, [t1, 1, 0, 'A', 'x'], [t2, 1, 0, 'A', 'y']]);
    let { f, mal } = at(90, 110);
    assert.deepEqual(suppressedRows(judgeLoneFlows(f, mal, { k: 2, windowSeconds: 10 })), []);
    ({ f, mal } = at(89.999999, 110));
    assert.deepEqual(suppressedRows(judgeLoneFlows(f, mal, { k: 2, windowSeconds: 10 })), [0]);
    ({ f, mal } = at(90, 110.000001));
    assert.deepEqual(suppressedRows(judgeLoneFlows(f, mal, { k: 2, windowSeconds: 10 })), [0]);
  });

  it('K boundary: K−1 other corroborating flows suppress, K keep (default K = 5, W = 60)', () => {
    const others = (n: number): Row[] => Array.from({ length: n }, (_, i) => [100 + i, 1, 0, 'A', `d${i}`] as Row);
    let { f, mal } = mk([judged, ...others(4)]);
    assert.deepEqual(suppressedRows(judgeLoneFlows(f, mal)), [0]);
    ({ f, mal } = mk([judged, ...others(5)]));
    // the 5 others are not flagged, so only row 0 is judged, and kept
    assert.deepEqual(suppressedRows(judgeLoneFlows(f, mal)), []);
  });

  it('source counts as source, destination as destination; the sides are not added up', () => {
    const k = 3;
    // 3 flows from A (to elsewhere): corroborated by source
    let { f, mal } = mk([judged, [101, 1, 0, 'A', 'p'], [102, 1, 0, 'A', 'q'], [103, 1, 0, 'A', 'r']]);
    assert.deepEqual(suppressedRows(judgeLoneFlows(f, mal, { k })), []);
    // 3 flows to V (from elsewhere): corroborated by destination
    ({ f, mal } = mk([judged, [101, 1, 0, 'p', 'V'], [102, 1, 0, 'q', 'V'], [103, 1, 0, 'r', 'V']]));
    assert.deepEqual(suppressedRows(judgeLoneFlows(f, mal, { k })), []);
    // A and V on the other side (A as destination, V as source) do not count
    ({ f, mal } = mk([judged, [101, 1, 0, 'p', 'A'], [102, 1, 0, 'V', 'q'], [103, 1, 0, 'r', 'A'], [104, 1, 0, 'V', 's']]));
    assert.deepEqual(suppressedRows(judgeLoneFlows(f, mal, { k })), [0]);
    // 2 by source + 2 by destination: each side short of 3
    ({ f, mal } = mk([judged, [101, 1, 0, 'A', 'p'], [102, 1, 0, 'A', 'q'], [103, 1, 0, 'r', 'V'], [104, 1, 0, 's', 'V']]));
    assert.deepEqual(suppressedRows(judgeLoneFlows(f, mal, { k })), [0]);
  });

  it('corroborating flows are single-packet or flagged; multi-packet flagged and timeless flows are never suppressed', () => {
    const k = 2;
    // two benign multi-packet flows from A do not corroborate
    let { f, mal } = mk([judged, [101, 0, 0, 'A', 'p'], [102, 0, 0, 'A', 'q']]);
    assert.deepEqual(suppressedRows(judgeLoneFlows(f, mal, { k })), [0]);
    // two flagged multi-packet flows from A do; they are never judged themselves
    ({ f, mal } = mk([judged, [101, 0, 1, 'A', 'p'], [102, 0, 1, 'A', 'q']]));
    assert.deepEqual(suppressedRows(judgeLoneFlows(f, mal, { k })), []);
    ({ f, mal } = mk([[100, 0, 1, 'A', 'V'], [NaN, 1, 1, 'A', 'V']]));
    assert.deepEqual(suppressedRows(judgeLoneFlows(f, mal, { k })), []);
    // two flagged lone packets of one pair corroborate each other only with K = 1
    ({ f, mal } = mk([judged, [130, 1, 1, 'A', 'V']]));
    assert.deepEqual(suppressedRows(judgeLoneFlows(f, mal, { k: 1 })), []);
    assert.deepEqual(suppressedRows(judgeLoneFlows(f, mal, { k: 2 })), [0, 1]);
  });

  it('rate: enough flagged lone packets within ±1 s keep each other whatever their addresses (a fully spoofed flood)', () => {
    // every flow from and to a different address: the host rule alone suppresses them all
    const flood = (n: number, spacing: number, flagged = 1): Row[] =>
      Array.from({ length: n }, (_, i) => [100 + i * spacing, 1, flagged, `s${i}`, `d${i}`] as Row);
    let { f, mal } = mk(flood(51, 0.001));
    assert.deepEqual(suppressedRows(judgeLoneFlows(f, mal)), []); // 50 others within ±1 s
    ({ f, mal } = mk(flood(50, 0.001)));
    assert.equal(suppressedRows(judgeLoneFlows(f, mal)).length, 50); // 49 others: not enough
    assert.deepEqual(suppressedRows(judgeLoneFlows(f, mal, { rateK: 49 })), []);
    ({ f, mal } = mk(flood(51, 0.001)));
    assert.equal(suppressedRows(judgeLoneFlows(f, mal, { rateK: 0 })).length, 51); // rate rule off
    // spread over 51 s (one a second): never 50 within ±1 s
    ({ f, mal } = mk(flood(51, 1)));
    assert.equal(suppressedRows(judgeLoneFlows(f, mal)).length, 51);
    // unflagged lone packets do not count towards the rate
    ({ f, mal } = mk([judged, ...flood(60, 0.001, 0)]));
    assert.deepEqual(suppressedRows(judgeLoneFlows(f, mal)), [0]);
    // streaming: the rate memory carries across batches
    const ctx = new LoneFlowContext();
    const all = mk(flood(60, 0.001));
    const part = (from: number, to: number) => ({
      f: { rows: to - from, time: all.f.time.slice(from, to), single: all.f.single.slice(from, to), src: (all.f.src as HostKey[]).slice(from, to), dst: (all.f.dst as HostKey[]).slice(from, to) },
      mal: all.mal.slice(from, to),
    });
    const first = part(0, 30), second = part(30, 60);
    assert.equal(suppressedRows(ctx.judge(first.f, first.mal)).length, 30); // 29 seen so far
    assert.deepEqual(suppressedRows(ctx.judge(second.f, second.mal)), []); // 30 remembered + 29 in the batch
    assert.throws(() => new LoneFlowContext({ rateK: -1 }), /rate K/);
  });

  it('bad flow objects neither throw nor get judged; other spellings of the columns are read', () => {
    const ok = { 'Total Fwd Packet': 1, 'Total Bwd packets': 0, 'Src IP': 'A', 'Dst IP': 'V', Timestamp: '2020-01-01 00:00:00.5' };
    const flows = [null, 7, {}, { ...ok, Timestamp: 'garbage' }, { ...ok, 'Src IP': 42, 'Total Fwd Packet': 'x' }, ok] as unknown as Array<Record<string, unknown>>;
    const f = contextFlowsFromObjects(flows);
    assert.deepEqual([...f.single], [0, 0, 0, 1, 0, 1]);
    assert.deepEqual([...f.time].map((t) => (Number.isNaN(t) ? 'NaN' : t)), ['NaN', 'NaN', 'NaN', 'NaN', 1577836800.5, 1577836800.5]);
    assert.deepEqual(f.src, ['', '', '', 'A', '42', 'A']);
    assert.deepEqual(suppressedRows(judgeLoneFlows(f, new Uint8Array(6).fill(1))), [5]);
    const cic = contextFlowsFromObjects([{ ' Source IP': 'A', ' Destination IP': 'V', ' Total Fwd Packets': 1, ' Total Backward Packets': 0, ' Timestamp': '05/07/2017 08:15:01 PM' }]);
    assert.deepEqual([cic.single[0], cic.src[0], cic.dst[0], cic.time[0]], [1, 'A', 'V', Date.UTC(2017, 6, 5, 20, 15, 1) / 1000]);
  });

  it('reads the profiles\' timestamps and rejects bad options', () => {
    assert.equal(parseTimestamp('2005-12-20 20:39:40.527349'), Date.UTC(2005, 11, 20, 20, 39, 40) / 1000 + 0.527349);
    assert.equal(parseTimestamp('2005-12-20 20:39:40.0'), Date.UTC(2005, 11, 20, 20, 39, 40) / 1000);
    assert.equal(parseTimestamp('05/07/2017 08:15:01 PM'), Date.UTC(2017, 6, 5, 20, 15, 1) / 1000);
    assert.equal(parseTimestamp('05/07/2017 12:15:01 AM'), Date.UTC(2017, 6, 5, 0, 15, 1) / 1000);
    assert.equal(parseTimestamp(1135111180527), 1135111180.527);
    for (const bad of ['', 'yesterday', '2005-1x-20 20:39:40', null, {}]) assert.ok(Number.isNaN(parseTimestamp(bad)), String(bad));
    assert.throws(() => judgeLoneFlows(mk([]).f, new Uint8Array(0), { k: 0 }), /K must be 1-255/);
    assert.throws(() => new LoneFlowContext({ windowSeconds: -1 }), /window/);
    assert.throws(() => new LoneFlowContext({ maxHosts: 0 }), /maxHosts/);
  });
});

describe('lone-flow context: streaming', () => {
  it('a full host record evicts the oldest host not seen again (CLOCK); an evicted host no longer corroborates', () => {
    const run = (maxHosts: number, timesA: number): number[] => {
      const ctx = new LoneFlowContext({ k: 1, maxHosts });
      const b1 = mk(Array.from({ length: timesA }, (_, i) => [100 + i, 1, 0, 'A', 'x'] as Row));
      ctx.judge(b1.f, b1.mal);
      const b2 = mk([[103, 1, 0, 'B', 'y'], [104, 1, 0, 'C', 'z']]);
      ctx.judge(b2.f, b2.mal);
      assert.deepEqual(ctx.hosts, { src: Math.min(3, maxHosts), dst: Math.min(3, maxHosts) });
      const b3 = mk([[105, 1, 1, 'A', 'w']]);
      return suppressedRows(ctx.judge(b3.f, b3.mal));
    };
    assert.deepEqual(run(3, 1), [], 'room for A, B and C');
    assert.deepEqual(run(2, 1), [0], 'C evicts A, the oldest');
    assert.deepEqual(run(2, 2), [], 'A was seen again, so C evicts B');
  });

  it('time-ordered batches give the causal verdicts: batch mode except where corroboration comes later', { skip: needShared }, async () => {
    const clf = await Classifier.open(defaultModelPath(), { worker: false });
    try {
      for (const [file, size, expectDiff] of [['attack/nfstream_synscan.pcap', 4, 4], ['attack/nfstream_synscan.pcap', 100, 0], ['attack/suricata_syn-flood_crafted.pcap', 3, 3], ['benign/nfstream_android.pcap', 7, 0]] as const) {
        const flows = (await meterCapture(path.join(pcaps, file), clf.card.profile));
        const all = contextFlowsFromObjects(flows);
        const order = [...flows.keys()].sort((a, b) => all.time[a] - all.time[b] || a - b);
        const sorted = order.map((i) => flows[i]);
        const mal = Uint8Array.from((await clf.classify(sorted)).map((v) => (v.malicious ? 1 : 0)));
        const cf = contextFlowsFromObjects(sorted);
        const batch = judgeLoneFlows(cf, mal);
        const ctx = new LoneFlowContext();
        const stream = new Uint8Array(cf.rows);
        for (let s = 0; s < cf.rows; s += size) {
          const idx = Array.from({ length: Math.min(size, cf.rows - s) }, (_, j) => s + j);
          const part: ContextFlows = { rows: idx.length, time: Float64Array.from(idx, (i) => cf.time[i]), single: Uint8Array.from(idx, (i) => cf.single[i]), src: idx.map((i) => cf.src[i]), dst: idx.map((i) => cf.dst[i]) };
          stream.set(ctx.judge(part, mal.subarray(s, s + idx.length)), s);
        }
        // causal reference by brute force: corroborators in this or earlier batches, within ±60 s
        const causal = new Uint8Array(cf.rows);
        for (let i = 0; i < cf.rows; i++) {
          if (!(cf.single[i] && mal[i])) continue;
          const end = Math.min(cf.rows, (Math.floor(i / size) + 1) * size);
          let s = 0, d = 0;
          for (let j = 0; j < end; j++) {
            if (j === i || !(cf.single[j] || mal[j]) || Math.abs(cf.time[j] - cf.time[i]) > 60) continue;
            if (cf.src[j] === cf.src[i]) s++;
            if (cf.dst[j] === cf.dst[i]) d++;
          }
          causal[i] = s < 5 && d < 5 ? 1 : 0;
        }
        assert.deepEqual(stream, causal, `${file} in batches of ${size}`);
        const diff = suppressedRows(stream).filter((i) => !batch[i]);
        assert.equal(diff.length, expectDiff, `${file} in batches of ${size}: flows suppressed only in streaming`);
        assert.deepEqual(diff, [...Array(expectDiff).keys()], 'only the first batch of the flood');
        assert.ok(suppressedRows(batch).every((i) => stream[i]), 'streaming never keeps what batch mode suppresses');
      }
    } finally {
      await clf.close();
    }
  });

  it('applyToColumnsSliced (the classifier node\'s call) equals one streaming call per slice, for flow objects and flow columns', { skip: needShared }, async () => {
    const clf = await Classifier.open(defaultModelPath(), { worker: false });
    try {
      // the nmap SYN scan (1994 flows, mostly flagged single packets from one scanner) and android's two lone alarms
      for (const [file, size] of [['attack/nfstream_synscan.pcap', 300], ['benign/nfstream_android.pcap', 16]] as const) {
        const objects = await meterCapture(path.join(pcaps, file), clf.card.profile);
        const batches: FlowColumns[] = [];
        const fm = new Flowmeter({ profile: clf.card.profile, onFlows: (b) => batches.push(flowColumnsFromBatch(b, fm.profile)) });
        for await (const b of new CaptureReader(path.join(pcaps, file))) fm.push(b);
        fm.close();
        for (const input of [objects, ...batches] as Array<FlowColumns | Array<Record<string, unknown>>>) {
          const rows = isFlowColumns(input) ? input.rows : input.length;
          if (rows === 0) continue;
          const vSliced = await clf.classifyColumns(input);
          const vRef = await clf.classifyColumns(input);
          let pauses = 0;
          const sliced = await new LoneFlowContext().applyToColumnsSliced(input, vSliced, 'BENIGN', size, async () => { pauses++; });
          // reference: the same rows as separate streaming batches of `size`
          const ref = new LoneFlowContext();
          const mask = new Uint8Array(rows);
          for (let from = 0; from < rows; from += size) {
            const to = Math.min(rows, from + size);
            const cf = isFlowColumns(input) ? contextFlowsFromColumns(input, from, to) : contextFlowsFromObjects(input, from, to);
            mask.set(ref.judge(cf, vRef.malicious.subarray(from, to)), from);
          }
          assert.equal(pauses, rows > size ? Math.ceil(rows / size) - 1 : 0);
          assert.deepEqual((vSliced as { suppressed?: Uint8Array }).suppressed, mask, file);
          assert.equal(sliced, suppressedRows(mask).length);
          if (input === objects) assert.equal(vSliced.detections, file.includes('synscan') ? 1988 : 0, `${file}: flagged after the stage`);
        }
      }
    } finally {
      await clf.close();
    }
  });

  it('flow columns from the flow meter: judged from the numbers, identity strings never built, verdict columns edited', { skip: needShared }, async () => {
    const clf = await Classifier.open(defaultModelPath(), { worker: false });
    try {
      const batches: FlowColumns[] = [];
      const fm = new Flowmeter({ profile: clf.card.profile, onFlows: (b) => batches.push(flowColumnsFromBatch(b, fm.profile)) });
      for await (const b of new CaptureReader(path.join(pcaps, 'benign', 'nfstream_android.pcap'))) fm.push(b);
      fm.close();
      const ctx = new LoneFlowContext();
      let rows = 0, modelFlagged = 0, flagged = 0, suppressed = 0;
      const ids: string[] = [];
      for (const fc of batches) {
        const v = await clf.classifyColumns(fc);
        modelFlagged += v.detections;
        suppressed += ctx.applyToColumns(fc, v, 'BENIGN');
        flagged += v.detections;
        rows += fc.rows;
        const id = identOf(fc)!;
        assert.ok(lazyIntact(fc.text, id.names.srcIp, id) && lazyIntact(fc.text, id.names.timestamp, id), 'identity columns still lazy');
        assert.equal(typeof contextFlowsFromColumns(fc).src[0], 'number', 'IPv4 hosts keyed by number');
        const mask = (v as { suppressed?: Uint8Array }).suppressed!;
        for (let i = 0; i < v.rows; i++) {
          if (!mask[i]) continue;
          assert.deepEqual([v.labels[v.label[i]], v.malicious[i]], ['BENIGN', 0]);
          ids.push(fc.text['Flow ID'][i]);
        }
      }
      assert.deepEqual({ rows, modelFlagged, flagged, suppressed, stats: ctx.stats, ids },
        { rows: 63, modelFlagged: 2, flagged: 0, suppressed: 2, stats: { flows: 63, judged: 2, suppressed: 2 }, ids: ['95.101.24.53-192.168.2.17-443-50677-6', '192.168.2.16-172.217.20.76-43652-443-6'] });
    } finally {
      await clf.close();
    }
  });

  it('a spoofed flood of 1M distinct sources keeps the source record at its cap and alerts from the first batch', () => {
    const cap = 10_000;
    const ctx = new LoneFlowContext({ maxHosts: cap });
    const shipped = new LoneFlowContext();
    const n = 10_000;
    const f: ContextFlows = { rows: n, time: new Float64Array(n), single: new Uint8Array(n).fill(1), src: new Array<HostKey>(n), dst: new Array<HostKey>(n).fill(0xc0000205) };
    const mal = new Uint8Array(n).fill(1);
    let kept = 0;
    for (let b = 0; b < 100; b++) {
      for (let i = 0; i < n; i++) { (f.src as HostKey[])[i] = 0x0b000000 + b * n + i; f.time[i] = 1000 + (b * n + i) / 1e5; }
      const m = ctx.judge(f, mal);
      shipped.judge(f, mal);
      for (let i = 0; i < n; i++) if (!m[i]) kept++;
    }
    assert.deepEqual(ctx.hosts, { src: cap, dst: 1 });
    assert.deepEqual(ctx.capacity, { src: cap, dst: 256 }, 'slots allocated: the cap, and the first block for one victim');
    assert.deepEqual([shipped.hosts, shipped.capacity, shipped.stats.suppressed], [{ src: DEFAULT_CONTEXT_MAX_HOSTS, dst: 1 }, { src: 65_536, dst: 256 }, 0]);
    ctx.reset();
    assert.deepEqual([ctx.hosts, ctx.capacity], [{ src: 0, dst: 0 }, { src: 0, dst: 0 }]);
    assert.deepEqual({ kept, stats: ctx.stats }, { kept: 1_000_000, stats: { flows: 1_000_000, judged: 1_000_000, suppressed: 0 } });
  });
});

describe('lone-flow context: deepmad classify', { skip: needShared }, () => {
  const captures = ['benign/nfstream_android.pcap', 'benign/zeek_wikipedia.pcap', 'attack/doup123_udp_flood.pcap', 'attack/suricata_syn-flood_crafted.pcap',
    'attack/markofu_ppa_dosattack_spoofed-synflood.pcap', 'attack/nfstream_synscan.pcap', 'attack/markofu_ppa_portscan.pcap'];

  it('on captures by default: the single-packet benign alarms are suppressed, floods and scans keep their counts', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-context-'));
    const out = path.join(dir, 'verdicts.csv');
    const r = spawnSync(process.execPath, [cli, 'classify', ...captures.map((c) => path.join(pcaps, c)), '--quiet', '-o', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const t = readCsvFile(out);
    assert.deepEqual(t.header.slice(-5), ['label', 'confidence', 'attack_probability', 'malicious', 'suppressed']);
    const per: Record<string, { flows: number; flagged: number; suppressed: string[] }> = {};
    for (const c of t.rows) {
      const p = (per[path.relative(pcaps, c[0])] ??= { flows: 0, flagged: 0, suppressed: [] });
      p.flows++;
      if (c[11] === '1') p.flagged++;
      if (c[12]) {
        assert.equal(c[12], SUPPRESSED_SINGLE_PACKET);
        assert.equal(c[8], 'BENIGN');
        if (p.suppressed.length < 3) p.suppressed.push(c[1]);
      }
    }
    assert.deepEqual(per, {
      'benign/nfstream_android.pcap': { flows: 63, flagged: 0, suppressed: ['95.101.24.53-192.168.2.17-443-50677-6', '192.168.2.16-172.217.20.76-43652-443-6'] },
      'benign/zeek_wikipedia.pcap': { flows: 34, flagged: 0, suppressed: ['141.142.220.235-173.192.163.128-6705-80-6'] },
      'attack/doup123_udp_flood.pcap': { flows: 10000, flagged: 10000, suppressed: [] },
      'attack/suricata_syn-flood_crafted.pcap': { flows: 200, flagged: 200, suppressed: [] },
      // every SYN of this capture has a random source and a random destination: no host is shared;
      // the rate rule keeps them (100 flagged single-packet flows in 16 ms)
      'attack/markofu_ppa_dosattack_spoofed-synflood.pcap': { flows: 100, flagged: 100, suppressed: [] },
      'attack/nfstream_synscan.pcap': { flows: 1994, flagged: 1988, suppressed: [] },
      'attack/markofu_ppa_portscan.pcap': { flows: 29, flagged: 29, suppressed: [] },
    });
  });

  it('--context: off for captures restores the model\'s alarms, on for CSV rows applies it, bad values exit 2', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-context-'));
    const android = path.join(pcaps, 'benign', 'nfstream_android.pcap');
    const csv = path.join(dir, 'android.csv');
    assert.equal(spawnSync(process.execPath, [cli, 'flows', android, '-o', csv, '--quiet'], { encoding: 'utf8' }).status, 0);
    const summary = (...args: string[]): string => {
      const r = spawnSync(process.execPath, [cli, 'classify', ...args], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.replace(/^.*?: /, '').trim();
    };
    assert.match(summary(android), /^63 flows, 0 flagged \(0\.0%\), 2 single-packet alarm\(s\) not corroborated — BENIGN 63$/);
    assert.match(summary(android, '--context', 'off'), /^63 flows, 2 flagged \(3\.2%\) — BENIGN 61, UDP Flood 1, SYN Flood 1;/);
    assert.match(summary(csv), /^63 flows, 2 flagged \(3\.2%\)/);
    assert.match(summary(csv, '--context=on'), /^63 flows, 0 flagged \(0\.0%\), 2 single-packet alarm\(s\) not corroborated/);
    const bad = spawnSync(process.execPath, [cli, 'classify', android, '--context', 'maybe'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--context must be on or off, got "maybe"/);
    assert.match(spawnSync(process.execPath, [cli, 'classify', '--help'], { encoding: 'utf8' }).stdout, /--context on\|off/);
  });
});

describe('lone-flow context: deepmad detect', { skip: needShared }, () => {
  const detect = (...args: string[]) => {
    const r = spawnSync(process.execPath, [cli, 'detect', ...args, '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    return { flows: s.flows, maliciousFlows: s.maliciousFlows, suppressedSinglePacket: s.suppressedSinglePacket };
  };

  it('streams the stage by default (--context off restores the model\'s alarms); a flood still alerts; bad values fail', () => {
    const android = path.join(pcaps, 'benign', 'nfstream_android.pcap');
    assert.deepEqual(detect(android), { flows: 63, maliciousFlows: 0, suppressedSinglePacket: 2 });
    assert.deepEqual(detect(android, '--context', 'off'), { flows: 63, maliciousFlows: 2, suppressedSinglePacket: undefined });
    assert.deepEqual(detect(path.join(pcaps, 'attack', 'doup123_udp_flood.pcap')), { flows: 10000, maliciousFlows: 10000, suppressedSinglePacket: undefined });
    const bad = spawnSync(process.execPath, [cli, 'detect', android, '--context', 'maybe'], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--context must be on or off, got "maybe"/);
    assert.match(spawnSync(process.execPath, [cli, 'detect', '--help'], { encoding: 'utf8' }).stdout, /--context on\|off/);
  });
});
