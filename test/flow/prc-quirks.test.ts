/**
 * Profile `prc`: the prototype flowmeter's rules on synthetic packets, each with exact values
 * (spec §9): what ends a session, the multiset key, one-sided sessions, same-host double counting,
 * the 100 ms rolling "bulk", the seconds/1e9 active time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { meter, type Pkt } from './synth.js';

const prc = (pkts: Pkt[] | Pkt[][]) => meter(pkts, { profile: 'prc' });
const A = '10.0.0.1', B = '10.0.0.2';

describe("profile 'prc' rules", () => {
  it('writes a session only at a TCP FIN or RST (packet included); UDP, ICMP and open TCP never', () => {
    const out = prc([
      { t: 0, src: A, dst: B, sp: 5000, dp: 80, flags: 'S', win: 1000 },
      { t: 0.01, src: B, dst: A, sp: 80, dp: 5000, flags: 'SA', win: 2000 },
      { t: 0.02, src: A, dst: B, sp: 5000, dp: 80, flags: 'PA', len: 100 },
      { t: 0.03, src: B, dst: A, sp: 80, dp: 5000, flags: 'RA' },
      { t: 0.04, src: A, dst: B, sp: 5000, dp: 80, flags: 'A' }, // after the RST: a new session, never ended
      { t: 0, src: A, dst: B, sp: 53000, dp: 53, proto: 'udp', len: 30 },
      { t: 0.1, src: B, dst: A, sp: 53, dp: 53000, proto: 'udp', len: 90 },
      { t: 0.2, src: A, dst: B, proto: 'icmp' },
      { t: 0.3, src: A, dst: B, sp: 6000, dp: 443, flags: 'S' },
    ]);
    assert.equal(out.length, 1);
    const f = out[0];
    assert.equal(f['Flow End'], 'rst');
    assert.equal(f.flow, '10.0.0.1:5000<->10.0.0.2:80');
    assert.deepEqual([f.total_fpackets, f.total_bpackets, f.total_fpktl, f.total_bpktl], [2, 2, 54 + 154, 54 + 54]);
    assert.deepEqual([f.flow_syn, f.flow_rst, f.flow_psh, f.flow_ack, f.fpsh_cnt, f.bpsh_cnt], [2, 1, 1, 3, 1, 0]);
    assert.deepEqual([f.fInitWinSize, f.bInitWinSize, f.fHeaderSizeMin, f.fDataPkts], [1000, 2000, 40, 2]);
    assert.equal(f.downUpRatio, 208 / 108);
    assert.equal(f.fAvgSegmentSize, 50);
    assert.equal(f.timestamp, 0);
    assert.equal(f.label, 'None');
  });

  it('keys sessions by the multiset of addresses and ports (a.b:80→c:8080 and a.b:8080→c:80 share one)', () => {
    const out = prc([
      { t: 0, src: A, dst: B, sp: 80, dp: 8080, flags: 'S' },
      { t: 1, src: A, dst: B, sp: 8080, dp: 80, flags: 'F' },
    ]);
    assert.equal(out.length, 1);
    assert.equal(out[0].total_fpackets, 2);
    assert.equal(out[0].src_port, 80);
  });

  it('one-sided session (a lone FIN): duration 1, rates 1, absolute times in the IAT columns, backward forced', () => {
    const [f] = prc([{ t: 2.5, src: B, dst: A, sp: 443, dp: 40000, flags: 'FA', len: 34, win: 501 }]);
    const t = 1704164645 + 2.5; // T0 = 2024-01-02 03:04:05 UTC
    assert.equal(f.flow, '10.0.0.2:443<->10.0.0.1:443');
    assert.deepEqual([f.duration, f.flowPktsPerSecond, f.fPktsPerSecond, f.bPktsPerSecond, f.flowBytesPerSecond], [1, 1, 1, 1, 88]);
    assert.deepEqual([f.max_fiat, f.min_fiat, f.max_biat, f.min_biat], [t, t, t, 0]);
    assert.deepEqual([f.downUpRatio, f.fAvgPacketsPerBulk, f.bAvgBulkRate, f.bInitWinSize, f.fSubFlowAvgPkts], [1, 0, 0, 0, 1]);
    assert.deepEqual([f.mean_active_s, f.std_active_s, f.max_active_s, f.min_active_s, f.mean_idle_s], [0, 0, 0, 0, 0]);
  });

  it('same-host session: every packet is both forward and backward (double counts, as PRC)', () => {
    const [f] = prc([
      { t: 0, src: A, dst: A, sp: 1000, dp: 2000, flags: 'S' },
      { t: 0.5, src: A, dst: A, sp: 2000, dp: 1000, flags: 'SA' },
      { t: 1, src: A, dst: A, sp: 1000, dp: 2000, flags: 'FA' },
    ]);
    assert.deepEqual([f.total_fpackets, f.total_bpackets, f.total_bpktl, f.flow_syn, f.flow_fin], [3, 3, 0, 4, 2]);
    assert.equal(f.flowPktsPerSecond, 6);
    assert.equal(f.flow, '10.0.0.1:1000<->10.0.0.1:1000');
  });

  it('bulk columns: mean over packets of the packets in the last 100 ms (pandas rolling("100ms"))', () => {
    // forward packets at 0, 50, 99, 200 ms: windows hold 1, 2, 3, 1 → mean 1.75
    const [f] = prc([
      { t: 0, src: A, dst: B, sp: 1, dp: 2, flags: 'S' },
      { t: 0.05, src: A, dst: B, sp: 1, dp: 2, flags: 'A' },
      { t: 0.06, src: B, dst: A, sp: 2, dp: 1, flags: 'A' },
      { t: 0.099, src: A, dst: B, sp: 1, dp: 2, flags: 'A' },
      { t: 0.2, src: A, dst: B, sp: 1, dp: 2, flags: 'F' },
    ]);
    assert.equal(f.fAvgPacketsPerBulk, 1.75);
    // all packets at 0, 50, 60, 99, 200 ms: 1, 2, 3, 4, 1 → 2.2
    assert.equal(f.fAvgBulkRate, 1.75 / 2.2);
    assert.equal(f.bAvgPacketsPerBulk, 1);
    assert.equal(f.bAvgBytesPerBulk, 0);
    assert.equal(f.fAvgBytesPerBulk, (4 * 54) / 1.75);
  });
});
