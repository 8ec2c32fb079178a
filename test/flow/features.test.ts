/**
 * Feature families on synthetic packets whose every field is spelled out (synth.ts), per profile.
 * Expected values are worked out by hand from ../shared/spec/flow-features.md (§ in comments).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { meter, meterCanonical, tcp, type Pkt } from './synth.js';

const C = '10.0.0.1', S = '10.0.0.2';
const conv = tcp(C, 40000, S, 80);

/** Handshake, a 100-byte request, a 300+200-byte answer, a final ACK (no FIN). */
function exchange(): Pkt[] {
  return [
    conv.c2s(0.00, 'S', 0, { hdr: 40, win: 65535 }),
    conv.s2c(0.01, 'SA', 0, { hdr: 40, win: 28960 }),
    conv.c2s(0.02, 'A', 0, { win: 229 }),
    conv.c2s(0.03, 'PA', 100, { win: 229 }),
    conv.s2c(0.04, 'A', 0, { win: 227 }),
    conv.s2c(0.05, 'PA', 300, { win: 227 }),
    conv.s2c(0.07, 'PA', 200, { win: 0 }),
    conv.c2s(0.10, 'A', 0, { win: 237 }),
  ];
}

describe('lengths (§6.3–§6.5)', () => {
  it('per-direction totals, max/min/mean/sample std; flow statistic (improved)', () => {
    const [f] = meterCanonical(exchange());
    assert.equal(f.tot_fwd_pkts, 4); assert.equal(f.tot_bwd_pkts, 4);
    assert.equal(f.totlen_fwd_pkts, 100); assert.equal(f.totlen_bwd_pkts, 500);
    // fwd [0,0,100,0]: mean 25, sample std sqrt((3·25² + 75²)/3) = 50
    assert.deepEqual([f.fwd_pkt_len_max, f.fwd_pkt_len_min, f.fwd_pkt_len_mean, f.fwd_pkt_len_std], [100, 0, 25, 50]);
    // bwd [0,0,300,200]: mean 125, std sqrt((2·125² + 175² + 75²)/3) = 150
    assert.deepEqual([f.bwd_pkt_len_max, f.bwd_pkt_len_min, f.bwd_pkt_len_mean, f.bwd_pkt_len_std], [300, 0, 125, 150]);
    // all 8: mean 75, variance (5·75² + 25² + 225² + 125²)/7 = 95000/7
    assert.equal(f.pkt_len_mean, 75);
    assert.ok(Math.abs(f.pkt_len_var - 95000 / 7) < 1e-9);
    assert.equal(f.pkt_size_avg, 75);
    assert.equal(f.fwd_seg_size_avg, 25); assert.equal(f.bwd_seg_size_avg, 125);
    assert.equal(f.fwd_header_len, 40 + 20 * 3); assert.equal(f.bwd_header_len, 40 + 20 * 3);
    assert.equal(f.fwd_seg_size_min, 20);
    assert.equal(f.fwd_act_data_pkts, 1); assert.equal(f.bwd_act_data_pkts, 2);
  });
  it('J-master/J-2018 count the first packet twice in the flow statistic; Average Packet Size divides by the real count', () => {
    const [f] = meterCanonical(exchange(), { profile: 'cicflowmeter-4' });
    // 9 values [0,0,0,0,100,0,300,200,0]: mean 600/9
    assert.ok(Math.abs(f.pkt_len_mean - 600 / 9) < 1e-12);
    assert.equal(f.pkt_size_avg, 75);
  });
  it('a snaplen cut shortens the payload, then the L4 header (Java reads captured bytes)', () => {
    const [f] = meterCanonical([
      conv.c2s(0, 'S', 0, { hdr: 40, cut: 6 }),
      conv.s2c(0.1, 'SA', 0, { hdr: 40 }),
      conv.c2s(0.2, 'PA', 100, { cut: 80 }),
    ]);
    assert.equal(f.totlen_fwd_pkts, 20);
    assert.equal(f.fwd_header_len, 34 + 20);
  });
});

describe('inter-arrival times (§6.7) and rates (§6.6)', () => {
  it('flow, fwd and bwd IAT in µs; rates per second', () => {
    const [f] = meterCanonical(exchange());
    assert.equal(f.flow_duration, 100000);
    // flow IATs 10,10,10,10,10,20,30 ms
    assert.ok(Math.abs(f.flow_iat_mean - 100000 / 7) < 1e-6);
    assert.equal(f.flow_iat_max, 30000); assert.equal(f.flow_iat_min, 10000);
    // fwd at 0, 20, 30, 100 ms → 20, 10, 70 ms
    assert.deepEqual([f.fwd_iat_tot, f.fwd_iat_max, f.fwd_iat_min], [100000, 70000, 10000]);
    assert.ok(Math.abs(f.fwd_iat_mean - 100000 / 3) < 1e-6);
    // bwd at 10, 40, 50, 70 ms → 30, 10, 20 ms: mean 20, std 10
    assert.deepEqual([f.bwd_iat_tot, f.bwd_iat_mean, f.bwd_iat_std, f.bwd_iat_max, f.bwd_iat_min], [60000, 20000, 10000, 30000, 10000]);
    assert.equal(f.flow_byts_s, 6000); assert.equal(f.flow_pkts_s, 80);
    assert.equal(f.fwd_pkts_s, 40); assert.equal(f.bwd_pkts_s, 40);
  });
  it('zero duration: Java Infinity/NaN (cicflowmeter-4), J-engelen −1 (improved)', () => {
    const two = [conv.c2s(0, 'PA', 10), conv.s2c(0, 'PA', 0)];
    const [m] = meterCanonical(two, { profile: 'cicflowmeter-4' });
    assert.equal(m.flow_byts_s, Infinity); assert.equal(m.flow_pkts_s, Infinity); assert.equal(m.fwd_pkts_s, 0);
    const [z] = meterCanonical([conv.c2s(0, 'A', 0), conv.s2c(0, 'A', 0)], { profile: 'cicflowmeter-4' });
    assert.ok(Number.isNaN(z.flow_byts_s));
    const [e] = meterCanonical(two);
    assert.equal(e.flow_byts_s, -1); assert.equal(e.flow_pkts_s, -1);
  });
  it('out-of-order timestamps: duration uses the last added packet, IATs can be negative (§6.2)', () => {
    const [f] = meterCanonical([conv.c2s(6.0, 'A'), conv.c2s(6.2, 'A'), conv.c2s(6.1, 'A'), conv.c2s(6.3, 'A')]);
    assert.equal(f.flow_duration, 300000);
    assert.equal(f.flow_iat_min, -100000);
  });
});

describe('flags (§6.8, §6.10) and Down/Up (§6.11)', () => {
  it('improved counts every packet, per direction too', () => {
    const [f] = meterCanonical(exchange());
    assert.deepEqual([f.syn_flag_cnt, f.ack_flag_cnt, f.psh_flag_cnt, f.fin_flag_cnt, f.rst_flag_cnt], [2, 7, 3, 0, 0]);
    assert.deepEqual([f.fwd_psh_flags, f.bwd_psh_flags], [1, 2]);
    assert.equal(f.down_up_ratio, 1);
  });
  it('cicflowmeter-4: flag counts every packet, PSH/URG per direction from the first packet only', () => {
    const [f] = meterCanonical(exchange(), { profile: 'cicflowmeter-4' });
    assert.deepEqual([f.syn_flag_cnt, f.ack_flag_cnt, f.psh_flag_cnt], [2, 7, 3]);
    assert.deepEqual([f.fwd_psh_flags, f.bwd_psh_flags], [0, 0]);
  });
  it('cic-ids2017: first packet only, printed in the permuted columns of the 2018 code', () => {
    const [o] = meter(exchange(), { profile: 'cic-ids2017' });
    // a plain SYN first packet shows as PSH Flag Count = 1 (spec §6.10)
    assert.deepEqual(['FIN Flag Count', 'SYN Flag Count', 'RST Flag Count', 'PSH Flag Count', 'ACK Flag Count', 'URG Flag Count', 'CWE Flag Count', 'ECE Flag Count'].map((k) => o[k]), [0, 0, 0, 1, 0, 0, 0, 0]);
    assert.equal(o['Fwd Header Length'], 100);
  });
  it('Down/Up: integer in the Java profiles, float in improved', () => {
    const p = [conv.c2s(0, 'S'), conv.c2s(0.1, 'A'), conv.s2c(0.2, 'A'), conv.c2s(0.3, 'A')];
    assert.equal(meterCanonical(p, { profile: 'cicflowmeter-4' })[0].down_up_ratio, 0);
    assert.equal(meterCanonical(p)[0].down_up_ratio, 1 / 3);
  });
});

describe('windows (§6.14)', () => {
  it('Init Fwd Win = first forward packet; Init Bwd Win = first non-zero (improved) / last backward (cicflowmeter-4)', () => {
    const [e] = meterCanonical(exchange());
    assert.deepEqual([e.init_fwd_win_byts, e.init_bwd_win_byts], [65535, 28960]);
    const [m] = meterCanonical(exchange(), { profile: 'cicflowmeter-4' });
    assert.deepEqual([m.init_fwd_win_byts, m.init_bwd_win_byts], [65535, 0]);
  });
  it('UDP: 0 (improved, cicflowmeter-4) or −1 (cic-ids2017)', () => {
    const u = [{ t: 0, src: C, dst: S, sp: 5000, dp: 53, proto: 'udp' as const, len: 30 }, { t: 0.01, src: S, dst: C, sp: 53, dp: 5000, proto: 'udp' as const, len: 90 }];
    assert.equal(meterCanonical(u)[0].init_fwd_win_byts, 0);
    const [l] = meterCanonical(u, { profile: 'cic-ids2017' });
    assert.deepEqual([l.init_fwd_win_byts, l.init_bwd_win_byts], [-1, -1]);
    assert.equal(l.fwd_seg_size_min, 8);
  });
});

describe('bulk (§6.12)', () => {
  const bulk = (): Pkt[] => [
    conv.c2s(0, 'PA', 50),
    ...[0.1, 0.2, 0.3, 0.4, 0.5].map((t) => conv.s2c(t, 'A', 1000)),
    conv.c2s(0.6, 'A', 0),
  ];
  it('improved: one backward bulk of 5 packets, 5000 bytes over 0.4 s', () => {
    const [f] = meterCanonical(bulk());
    assert.deepEqual([f.bwd_byts_b_avg, f.bwd_pkts_b_avg], [5000, 5]);
    assert.ok(Math.abs(f.bwd_blk_rate_avg - 12500) < 1e-6);
    assert.deepEqual([f.fwd_byts_b_avg, f.fwd_pkts_b_avg, f.fwd_blk_rate_avg], [0, 0, 0]);
  });
  it('a payload packet in the other direction restarts the run', () => {
    const p = bulk();
    p.splice(3, 0, conv.c2s(0.25, 'PA', 10));
    const [f] = meterCanonical(p);
    assert.equal(f.bwd_byts_b_avg, 0); // 2 + 3 packets: no run reaches 4
  });
  it('cicflowmeter-4 feeds both directions to the backward tracker (long integers); cic-ids2017 prints zeros', () => {
    const [m] = meterCanonical(bulk(), { profile: 'cicflowmeter-4' });
    // 50-byte fwd packet at 0, then 5×1000: one run of 6 packets, 5050 bytes over 0.5 s
    assert.deepEqual([m.bwd_byts_b_avg, m.bwd_pkts_b_avg, m.bwd_blk_rate_avg], [5050, 6, 10100]);
    const [l] = meterCanonical(bulk(), { profile: 'cic-ids2017' });
    assert.equal(l.bwd_byts_b_avg, 0);
  });
});

describe('subflows (§6.13) and active/idle (§4.5, §6.16)', () => {
  const slow = (): Pkt[] => [0, 1, 2, 10, 11, 20].map((t, i) => (i % 2 ? conv.s2c(t, 'A', 10) : conv.c2s(t, 'A', 20)));
  it('active/idle periods: the last active period is never recorded', () => {
    const [f] = meterCanonical(slow());
    // gap 2→10: active 2 s, idle 8 s; gap 11→20: active 1 s, idle 9 s
    assert.deepEqual([f.active_mean, f.active_max, f.active_min], [1.5e6, 2e6, 1e6]);
    assert.ok(Math.abs(f.active_std - Math.SQRT1_2 * 1e6) < 1e-6);
    assert.deepEqual([f.idle_mean, f.idle_max, f.idle_min], [8.5e6, 9e6, 8e6]);
  });
  it('subflows: gaps > 1 s counted; totals (cic-ids2017), integer (cicflowmeter-4), float (improved)', () => {
    // gaps > 1 s: 2→10, 10→11? no (=1 s), 11→20 → 2 ... and 0→1, 1→2 are exactly 1 s (not > 1)
    const [e] = meterCanonical(slow());
    assert.deepEqual([e.subflow_fwd_pkts, e.subflow_fwd_byts, e.subflow_bwd_pkts, e.subflow_bwd_byts], [1.5, 30, 1.5, 15]);
    const [m] = meterCanonical(slow(), { profile: 'cicflowmeter-4' });
    assert.deepEqual([m.subflow_fwd_pkts, m.subflow_fwd_byts, m.subflow_bwd_pkts, m.subflow_bwd_byts], [1, 30, 1, 15]);
    const [l] = meterCanonical(slow(), { profile: 'cic-ids2017' });
    assert.deepEqual([l.subflow_fwd_pkts, l.subflow_fwd_byts, l.subflow_bwd_pkts, l.subflow_bwd_byts], [3, 60, 3, 30]);
  });
  it('cic-ids2017: the FIN packet that closes the flow skips the active/idle update', () => {
    const p = [conv.c2s(0, 'A', 1), conv.s2c(1, 'A', 1), conv.c2s(9, 'FA')];
    assert.equal(meterCanonical(p, { profile: 'cic-ids2017' })[0].idle_max, 0);
    assert.equal(meterCanonical(p, { profile: 'cicflowmeter-4' })[0].idle_max, 8e6);
  });
});

describe('TCP FIN/RST handling per profile (§4.2, §4.3)', () => {
  const close = (): Pkt[] => [
    conv.c2s(0, 'S'), conv.s2c(0.01, 'SA'), conv.c2s(0.02, 'A'),
    conv.c2s(0.03, 'PA', 10), conv.s2c(0.04, 'PA', 20),
    conv.c2s(0.05, 'FA'), conv.s2c(0.06, 'FA'), conv.c2s(0.07, 'A'),
  ];
  const counts = (fl: Array<Record<string, unknown>>, fwd: string, bwd: string) =>
    fl.map((f) => [f[fwd], f[bwd], f['Flow End'], f['Src Port'] ?? f['Source Port']]);
  it('improved: one flow with every packet (FIN only marks it)', () => {
    assert.deepEqual(counts(meter(close()), 'Total Fwd Packet', 'Total Bwd packets'), [[5, 3, 'eof', 40000]]);
  });
  it('cic-ids2017: the first FIN ends the flow, the tail becomes an appendix flow from the server', () => {
    assert.deepEqual(counts(meter(close(), { profile: 'cic-ids2017' }), 'Total Fwd Packets', 'Total Backward Packets'),
      [[4, 2, 'fin', 40000], [1, 1, 'eof', 80]]);
  });
  it('cicflowmeter-4: the first backward FIN ends the flow; the client\'s last ACK is a suppressed one-packet flow', () => {
    const fm = meter(close(), { profile: 'cicflowmeter-4' });
    assert.deepEqual(counts(fm, 'Total Fwd Packet', 'Total Bwd packets'), [[4, 3, 'fin', 40000]]);
  });
  it('cicflowmeter-4: a second forward FIN is dropped; RST ends the flow', () => {
    const p = [conv.c2s(0, 'PA', 5), conv.c2s(0.1, 'FA'), conv.c2s(0.2, 'FA'), conv.c2s(0.3, 'A'), conv.s2c(0.4, 'R')];
    assert.deepEqual(counts(meter(p, { profile: 'cicflowmeter-4' }), 'Total Fwd Packet', 'Total Bwd packets'), [[3, 1, 'rst', 40000]]);
    assert.deepEqual(counts(meter(p, { profile: 'cic-ids2017' }), 'Total Fwd Packets', 'Total Backward Packets'), [[2, 0, 'fin', 40000], [2, 1, 'eof', 40000]]);
  });
  it('improved: after FIN/RST a new SYN on the same ports starts the next flow', () => {
    const p = [...close(), conv.c2s(5, 'S'), conv.s2c(5.01, 'SA')];
    assert.deepEqual(counts(meter(p), 'Total Fwd Packet', 'Total Bwd packets'), [[5, 3, 'syn', 40000], [1, 1, 'eof', 40000]]);
  });
  it('improved: a flow that starts with a SYN-ACK takes the receiver as its source', () => {
    const [f] = meter([conv.s2c(0, 'SA', 0, { hdr: 28, win: 5000 })]);
    assert.deepEqual([f['Src IP'], f['Src Port'], f['Total Fwd Packet'], f['Total Bwd packets'], f['Bwd Seg Size Min']], [C, 40000, 0, 1, 28]);
    // only the first packet initialises the minimum header / initial window of its direction (Java firstPacket)
    const [g] = meter([conv.s2c(0, 'SA', 0, { hdr: 28, win: 5000 }), conv.c2s(0.1, 'A', 0, { win: 700 }), conv.s2c(0.2, 'A', 0, { hdr: 20, win: 6000 })]);
    assert.deepEqual([g['Fwd Seg Size Min'], g['FWD Init Win Bytes'], g['Bwd Seg Size Min'], g['Bwd Init Win Bytes']], [0, 0, 20, 5000]);
    const [h] = meter([conv.c2s(0, 'S', 0, { hdr: 40, win: 700 }), conv.s2c(0.1, 'SA', 0, { hdr: 28, win: 5000 })]);
    assert.deepEqual([h['Fwd Seg Size Min'], h['FWD Init Win Bytes'], h['Bwd Seg Size Min'], h['Bwd Init Win Bytes']], [40, 700, 0, 5000]);
  });
});

describe('flow timeout (§4.1) and single-packet flows (§4.6)', () => {
  const p = (): Pkt[] => [conv.c2s(0, 'PA', 20), conv.s2c(60, 'PA', 11), conv.s2c(121, 'PA', 11), conv.c2s(122, 'A', 0)];
  it('improved: the restarted flow keeps its orientation and classes the crossing packet correctly', () => {
    const f = meter(p());
    assert.deepEqual(f.map((x) => [x['Total Fwd Packet'], x['Total Bwd packets'], x['Src IP'], x['Flow End']]),
      [[1, 1, C, 'timeout'], [1, 1, C, 'eof']]);
  });
  it('cicflowmeter-4 / cic-ids2017: the packet that crosses the timeout counts as forward (their bug)', () => {
    const f = meter(p(), { profile: 'cicflowmeter-4' });
    assert.deepEqual(f.map((x) => [x['Total Fwd Packet'], x['Total Bwd packets'], x['Total Length of Fwd Packet'], x['Src IP']]),
      [[1, 1, 20, C], [2, 0, 11, C]]);
  });
  it('--flow-timeout is honoured; single-packet flows are written by improved only', () => {
    const q = [conv.c2s(0, 'S'), conv.c2s(3, 'S'), { t: 4, src: '10.9.9.9', dst: S, sp: 1, dp: 80, flags: 'S' }];
    assert.equal(meter(q, { flowTimeout: 2 }).length, 3);
    assert.equal(meter(q, { flowTimeout: 2, profile: 'cicflowmeter-4' }).length, 0);
  });
});

describe('protocols, IPv6, direction', () => {
  it('ICMP is protocol 1 with type/code in improved, protocol 0 in the CIC-4 view; non-first fragments are protocol 0', () => {
    const ping = [
      { t: 0, src: C, dst: S, proto: 'icmp' as const, icmpType: 8, len: 56 },
      { t: 1, src: S, dst: C, proto: 'icmp' as const, icmpType: 0, len: 56 },
      { t: 1.1, src: S, dst: C, proto: 'icmp' as const, fragment: true, len: 1480 },
    ];
    const e = meter(ping);
    assert.deepEqual(e.map((f) => [f.Protocol, f['ICMP Type'], f['Total Fwd Packet'], f['Total Bwd packets'], f['Total Length of Fwd Packet']]),
      [[1, 8, 1, 1, 0], [0, -1, 1, 0, 0]]);
    const m = meter(ping, { profile: 'cicflowmeter-4' });
    assert.deepEqual(m.map((f) => [f.Protocol, f['Total Fwd Packet'], f['Total Bwd packets'], f['Flow ID']]), [[0, 1, 2, `${C}-${S}-0-0-0`]]);
  });
  it('IPv6 flows by default, none with ipv4Only', () => {
    const v6 = [
      { t: 0, src: '2001:db8::1', dst: '2001:db8::2', sp: 1234, dp: 443, flags: 'S' },
      { t: 0.1, src: '2001:db8::2', dst: '2001:db8::1', sp: 443, dp: 1234, flags: 'SA' },
    ];
    const [f] = meter(v6);
    assert.deepEqual([f['Src IP'], f['Dst IP'], f['Total Fwd Packet'], f['Total Bwd packets']], ['2001:db8::1', '2001:db8::2', 1, 1]);
    assert.equal(meter(v6, { ipv4Only: true }).length, 0);
  });
  it('same-host traffic: all forward in the Java view, split by J-2018, fixed by directionByIpAndPort', () => {
    const lo = tcp('127.0.0.1', 50000, '127.0.0.1', 11211);
    const p = [lo.c2s(0, 'S'), lo.s2c(0.1, 'SA'), lo.c2s(0.2, 'A'), lo.s2c(0.3, 'PA', 9)];
    assert.deepEqual(meter(p).map((f) => [f['Total Fwd Packet'], f['Total Bwd packets']]), [[4, 0]]);
    assert.deepEqual(meter(p, { directionByIpAndPort: true }).map((f) => [f['Total Fwd Packet'], f['Total Bwd packets']]), [[2, 2]]);
    assert.deepEqual(meter(p, { profile: 'cic-ids2017' }).map((f) => [f['Source Port'], f['Total Fwd Packets']]), [[50000, 2], [11211, 2]]);
  });
});

describe('determinism and output', () => {
  it('same input, same rows, whatever the batch split', () => {
    const a = meter(exchange());
    const b = meter([exchange().slice(0, 3), exchange().slice(3)]);
    assert.deepEqual(a, b);
  });
  it('timestamps print in each reference layout, in UTC', () => {
    assert.equal(meter(exchange())[0].Timestamp, '2024-01-02 03:04:05.0');
    assert.equal(meter(exchange(), { profile: 'cicflowmeter-4' })[0].Timestamp, '02/01/2024 03:04:05 AM');
    assert.equal(meter(exchange(), { profile: 'cic-ids2017' })[0].Timestamp, '02/01/2024 03:04:05');
  });
});

describe('profile extension points (how a `prc` profile plugs in without engine changes)', () => {
  it('frame lengths, FIN-or-RST termination, seconds on output and derived columns', async () => {
    const { improved } = await import('../../lib/flow/profiles/index.js');
    const { columns } = await import('../../lib/flow/profiles/columns.js');
    const { toCsv, toObjects } = await import('../../lib/flow/output.js');
    const { Flowmeter } = await import('../../lib/flow/flowmeter.js');
    const { batch } = await import('./synth.js');
    const custom = {
      ...improved,
      name: 'custom-test',
      behaviour: { ...improved.behaviour, lengthSource: 'frame' as const, tcpClose: 'first-fin-or-rst' as const },
      timeScale: 1e-6,
      columns: [
        ...columns([['src', 'srcIp', 'd'], ['duration', 'flow_duration', 'd'], ['total_fpktl', 'totlen_fwd_pkts', 'l']]),
        { header: 'max_biat', source: { kind: 'derived' as const, compute: (f: (n: string) => number) => f('fwd_iat_max') * 1e-6 }, format: 'double' as const },
      ],
    };
    const rows: string[] = [];
    const objs: Array<Record<string, unknown>> = [];
    const fm = new Flowmeter({ profile: custom, onFlows: (b) => { rows.push(toCsv(b, custom)); objs.push(...toObjects(b, custom)); } });
    fm.push(batch([conv.c2s(0, 'S'), conv.s2c(0.5, 'SA'), conv.c2s(1.5, 'PA', 100), conv.s2c(2, 'R'), conv.c2s(3, 'A')]));
    fm.close();
    // frames: 14 + 20 + 20 (+100) bytes; the RST ends the first flow, the last ACK starts a new one
    assert.deepEqual(objs.map((o) => [o.src, o.duration, o.total_fpktl, o.max_biat]), [[C, 2, 54 + 154, 1.5], [C, 0, 54, 0]]);
    assert.equal(rows.join(''), `${C},2.0,208,1.5\n${C},0.0,54,0.0\n`);
  });
});

describe('Java number printing (spec §1)', () => {
  it('Double.toString and long forms', async () => {
    const { javaDouble, javaLong } = await import('../../lib/flow/format.js');
    assert.deepEqual(
      [2733, 113.87500000000003, 10000171, 1e-4, 0.001, 9999999.5, Infinity, -Infinity, NaN, 0, -1, 1.5e-7, 123456789012].map(javaDouble),
      ['2733.0', '113.87500000000003', '1.0000171E7', '1.0E-4', '0.001', '9999999.5', 'Infinity', '-Infinity', 'NaN', '0.0', '-1.0', '1.5E-7', '1.23456789012E11']);
    assert.deepEqual([5.9, -5.9, 0, -0, 42].map(javaLong), ['5', '-5', '0', '0', '42']);
  });
  it('IPv6 addresses print compressed (RFC 5952)', async () => {
    const { formatIp } = await import('../../lib/flow/format.js');
    assert.equal(formatIp([0x20010db8, 0, 0, 1], 0, 6), '2001:db8::1');
    assert.equal(formatIp([0xfe800000, 0, 0x02000000, 0x00000001], 0, 6), 'fe80::200:0:0:1');
    assert.equal(formatIp([0xc0a80001, 0, 0, 0], 0, 4), '192.168.0.1');
  });
});

describe('bad input', () => {
  it('push() of something that is not a PacketBatch throws a clear TypeError', async () => {
    const { Flowmeter } = await import('../../lib/flow/flowmeter.js');
    const { batch } = await import('./synth.js');
    const fm = new Flowmeter();
    assert.throws(() => fm.push({} as never), /expected a PacketBatch/);
    const b = batch([conv.c2s(0, 'S')]);
    assert.throws(() => fm.push({ ...b, count: 5 }), /PacketBatch\.tsUs must be a Float64Array of at least 5 entries/);
    assert.throws(() => fm.push({ ...b, srcAddr: new Uint32Array(1) }), /srcAddr must be a Uint32Array/);
    fm.push(b);
    assert.equal(fm.close().flowsWritten, 1);
    assert.throws(() => fm.push(b), /after close/);
    assert.throws(() => new Flowmeter({ profile: 'nope' }), /unknown flow profile 'nope' \(known: improved, cic-ids2017, cicflowmeter-4/);
    assert.throws(() => new Flowmeter({ flowTimeout: -1 }), /flowTimeout must be a number/);
  });
});

describe('batch reuse', () => {
  it('release() recycles delivered batches without changing any row', async () => {
    const { Flowmeter } = await import('../../lib/flow/flowmeter.js');
    const { toCsv } = await import('../../lib/flow/output.js');
    const { batch } = await import('./synth.js');
    const pkts = Array.from({ length: 40 }, (_, k) => ({ t: k * 0.01, src: `10.1.0.${k + 1}`, dst: S, sp: 1000 + k, dp: 80, flags: 'S', len: k }));
    const run = (release: boolean) => {
      let text = '';
      const seen = new Set<unknown>();
      const fm: InstanceType<typeof Flowmeter> = new Flowmeter({
        batchSize: 4, idleTimeout: 0.05,
        onFlows: (b) => { text += toCsv(b, fm.profile); seen.add(b.features.buffer); if (release) fm.release(b); },
      });
      for (let k = 0; k < pkts.length; k += 5) fm.push(batch(pkts.slice(k, k + 5)));
      fm.close();
      return { text, buffers: seen.size };
    };
    const a = run(false), b = run(true);
    assert.equal(b.text, a.text);
    assert.equal(a.text.split('\n').length - 1, 40);
    assert.ok(b.buffers < a.buffers, `reused ${b.buffers} vs ${a.buffers} buffers`);
  });
});
