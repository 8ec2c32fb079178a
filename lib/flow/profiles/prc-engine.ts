/**
 * The flow engine of the `prc` profile: the Python prototype's flowmeter (prc-flowmeter 0.2.0,
 * ../shared/spec/flow-features.md §9) in its deterministic, sequential reading.
 *
 * PRC keeps every packet of a session in a pandas frame and derives the 84 columns from it when the
 * session ends. All its columns reduce to running aggregates except its "bulk" columns (a 100 ms
 * rolling packet count), which need the packet times of the last 100 ms per direction; those live in a
 * small per-flow ring. Its quirks are reproduced on purpose (see prc.ts for the column list):
 *   - session key = the multiset {protocol, IP a, port a, IP b, port b} (ICMP: {IPs, type, code});
 *     only IPv4 over Ethernet is metered (IPv6, ARP and other link types are ignored);
 *   - forward = packets whose source IP is the session's first source IP; "backward" = packets from
 *     the other IP — with a single sending IP every backward value is forced (`oneSided`);
 *   - a TCP packet with FIN or RST ends the session (packet included); nothing else ever does
 *     (its non-TCP "timeout" compares seconds with 120 000 — kept — and sessions open at the end of
 *     the input are dropped, exactly as the prototype never called its `empty()`);
 *   - sizes are whole frame lengths; times in seconds.
 * Deterministic: packet order is the capture order, there are no worker processes.
 */
import type { PacketBatch } from '../../capture/packet-batch.js';
import { PKT_L4_ABSENT, TCP_FIN, TCP_RST } from '../../capture/packet-batch.js';
import type { EngineOptions, FlowSummary } from '../engine.js';
import { allocFlowBatch, END_EOF, END_FIN, END_REASON_NAMES, END_RST, END_TIMEOUT, type FlowBatch } from '../flow-batch.js';
import { F, NUM_FEATURES } from '../features.js';

/** PRC's "timeout" for non-TCP sessions: 120 000, compared with a span in seconds (§4.1). */
const PRC_NON_TCP_SPAN_S = 120000;
/** pandas rolling('100ms') window, in ns. */
const ROLL_WINDOW_NS = 1e8;
const LINKTYPE_ETHERNET = 1;

// per-flow state, stride NS doubles
const S_IP = 0, D_IP = 1, SPORT0 = 2, DPORT0 = 3, PROTO = 4, L4ABSENT = 5, ICMP_TYPE = 6, ICMP_CODE = 7;
const N_ALL = 8, MIN_V = 9, MAX_V = 10, BASE_NS = 11, ACTIVE_SUM = 12, FIRST_SPORT_B = 13, MIN_IPLEN_F = 14;
const K0 = 15, K1 = 16, K2 = 17, K3 = 18;
const DIR0 = 19;
// per direction (0 fwd, 1 bwd, 2 all)
const D_N = 0, D_BYTES = 1, D_SUMSQ = 2, D_MIN = 3, D_MAX = 4, D_PAYLOAD = 5, D_PREV = 6, D_IATN = 7, D_IATSUM = 8,
  D_IATSQ = 9, D_IATMIN = 10, D_IATMAX = 11, D_ROLL = 12, D_WIN = 13, D_FIRST_TS = 14;
const DIRW = 15;
const FLAGS0 = DIR0 + 3 * DIRW; // fwd F S R P A U C E, then bwd
const NS = FLAGS0 + 16;

/** Bits of the TCP flags byte in PRC's column order flow_fin, syn, rst, psh, ack, urg, cwr, ece. */
const FLAG_BITS = [1, 2, 4, 8, 16, 32, 128, 64];

/** One finished PRC row: numbers in PRC column order (prc.ts) plus the Python type each printed as. */
export interface PrcRows {
  /** count × PRC_NUMERIC values (see PRC_NUMERIC_COLUMNS in prc.ts). */
  values: Float64Array;
  /** per value: 0 = Python int, 1 = float, 2 = Decimal (exact packet time arithmetic) */
  kinds: Uint8Array;
  flow: string[];
  src: string[];
  dst: string[];
  protocol: string[];
}

/** A FlowBatch from the prc engine: canonical features filled where a meaning matches, plus PRC's own rows. */
export interface PrcFlowBatch extends FlowBatch { prc: PrcRows }

export function isPrcBatch(b: FlowBatch): b is PrcFlowBatch {
  return (b as Partial<PrcFlowBatch>).prc !== undefined;
}

/** Number of numeric PRC columns (all 84 except flow, src, dst, protocol, label). */
export const PRC_NUMERIC = 79;

function ipString(w: number): string {
  return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;
}

/** scapy's layer name for what follows the IPv4 header (PRC's `protocol` column). */
function protoName(proto: number, l4Absent: boolean): string {
  if (l4Absent) return 'Raw';
  switch (proto) {
    case 6: return 'TCP';
    case 17: return 'UDP';
    case 1: return 'ICMP';
    case 47: return 'GRE';
    default: return 'Raw';
  }
}

interface RollWindow { buf: Float64Array; head: number; len: number }

export class PrcEngine {
  readonly summary: FlowSummary = {
    packets: 0, flowPackets: 0, nonIpPackets: 0, ipv6Skipped: 0, discardedPackets: 0, flowsCreated: 0,
    flowsWritten: 0, singlePacketSuppressed: 0, flowsEvicted: 0, peakOpenFlows: 0, openFlows: 0,
    endReasons: Object.fromEntries(END_REASON_NAMES.map((n) => [n, 0])),
  };
  lastPacketUs = 0;
  private st = new Float64Array(0);
  private cap = 0;
  private free: number[] = [];
  private used = 0;
  private open = 0;
  private windows: Array<RollWindow | null> = [];
  // open addressing over the key words; 0 = empty, -1 = deleted, else flow + 1
  private tab = new Int32Array(1 << 10);
  private mask = (1 << 10) - 1;
  private tombstones = 0;
  private out: PrcFlowBatch;

  constructor(private readonly o: EngineOptions) {
    this.out = this.newBatch();
  }

  get openFlows(): number { return this.open; }

  private newBatch(): PrcFlowBatch {
    const b = allocFlowBatch(this.o.profile.name, this.o.batchSize) as PrcFlowBatch;
    const cap = this.o.batchSize;
    b.prc = { values: new Float64Array(cap * PRC_NUMERIC), kinds: new Uint8Array(cap * PRC_NUMERIC), flow: [], src: [], dst: [], protocol: [] };
    return b;
  }

  push(b: PacketBatch): void {
    const s = this.summary;
    const n = b.count;
    s.packets += n;
    const { tsUs, ipVersion, proto, srcAddr, dstAddr, srcPort, dstPort, flags, tcpFlags, capLen, iface, linkTypes } = b;
    for (let i = 0; i < n; i++) {
      if (ipVersion[i] !== 4 || linkTypes[iface[i]] !== LINKTYPE_ETHERNET) {
        if (ipVersion[i] === 0) s.nonIpPackets++; else s.ipv6Skipped++;
        continue;
      }
      s.flowPackets++;
      const ts = tsUs[i];
      if (ts > this.lastPacketUs) this.lastPacketUs = ts;
      const l4Absent = (flags[i] & PKT_L4_ABSENT) !== 0;
      const pr = proto[i];
      const sa = srcAddr[i << 2], da = dstAddr[i << 2];
      const isTcp = !l4Absent && pr === 6;
      const hasPorts = !l4Absent && (pr === 6 || pr === 17);
      const isIcmp = !l4Absent && pr === 1;
      const sp = hasPorts ? srcPort[i] : 0, dp = hasPorts ? dstPort[i] : 0;
      // the session key is a multiset: order both IPs and both ports (or ICMP type/code)
      const ka = Math.min(sa, da), kb = Math.max(sa, da);
      let k2: number, k3: number;
      if (hasPorts) { k2 = Math.min(sp, dp) * 65536 + Math.max(sp, dp); k3 = pr; }
      else if (isIcmp) { const t = b.icmpType[i], c = b.icmpCode[i]; k2 = Math.min(t, c) * 256 + Math.max(t, c); k3 = 1000 + 1; }
      else { k2 = 0; k3 = 2000 + (l4Absent ? 256 : pr); }
      let f = this.lookup(ka, kb, k2, k3);
      if (f < 0) f = this.create(ka, kb, k2, k3, sa, da, sp, dp, pr, l4Absent, isIcmp ? b.icmpType[i] : 0, isIcmp ? b.icmpCode[i] : 0);
      this.add(f, i, b, ts, sa, sp, isTcp ? tcpFlags[i] : 0, capLen[i]);
      if (isTcp) {
        const fl = tcpFlags[i];
        if ((fl & (TCP_FIN | TCP_RST)) !== 0) this.finish(f, (fl & TCP_FIN) !== 0 ? END_FIN : END_RST);
      } else {
        const o = f * NS;
        if (this.st[o + MAX_V] - this.st[o + MIN_V] > PRC_NON_TCP_SPAN_S) this.finish(f, END_TIMEOUT);
      }
    }
  }

  private hash(a: number, b: number, c: number, d: number): number {
    let h = Math.imul(a ^ 0x9e3779b1, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 15) ^ (c | 0), 0x27d4eb2d) ^ Math.imul(d + 1, 0x165667b1);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    return (h ^ (h >>> 13)) >>> 0;
  }

  private lookup(a: number, b: number, c: number, d: number): number {
    const st = this.st;
    let idx = this.hash(a, b, c, d) & this.mask;
    for (;;) {
      const e = this.tab[idx];
      if (e === 0) return -1;
      if (e > 0) {
        const o = (e - 1) * NS;
        if (st[o + K0] === a && st[o + K1] === b && st[o + K2] === c && st[o + K3] === d) return e - 1;
      }
      idx = (idx + 1) & this.mask;
    }
  }

  private insertSlot(f: number): void {
    const o = f * NS;
    let idx = this.hash(this.st[o + K0], this.st[o + K1], this.st[o + K2], this.st[o + K3]) & this.mask;
    while (this.tab[idx] > 0) idx = (idx + 1) & this.mask;
    if (this.tab[idx] < 0) this.tombstones--;
    this.tab[idx] = f + 1;
  }

  private rehashIfNeeded(): void {
    if ((this.open + 1 + this.tombstones) * 2 <= this.tab.length) return;
    let size = this.tab.length;
    while ((this.open + 1) * 4 > size) size *= 2;
    this.tab = new Int32Array(size);
    this.mask = size - 1;
    this.tombstones = 0;
    const old = this.live;
    for (const f of old) this.insertSlot(f);
  }

  private live = new Set<number>();

  private create(ka: number, kb: number, k2: number, k3: number, sa: number, da: number, sp: number, dp: number, pr: number, l4Absent: boolean, icmpType: number, icmpCode: number): number {
    if (this.open >= this.o.maxFlows) {
      // PRC has no bound; we keep one: drop the oldest open session (it would never be written anyway
      // unless a FIN/RST came) and count it as evicted.
      const oldest = this.live.values().next().value as number;
      this.discard(oldest);
      this.summary.flowsEvicted++;
    }
    this.rehashIfNeeded();
    let f: number;
    if (this.free.length) f = this.free.pop() as number;
    else {
      f = this.used++;
      if (f >= this.cap) {
        const cap = Math.max(256, this.cap * 2);
        const st = new Float64Array(cap * NS);
        st.set(this.st);
        this.st = st;
        this.cap = cap;
      }
    }
    const st = this.st;
    const o = f * NS;
    st.fill(0, o, o + NS);
    st[o + K0] = ka; st[o + K1] = kb; st[o + K2] = k2; st[o + K3] = k3;
    st[o + S_IP] = sa; st[o + D_IP] = da; st[o + SPORT0] = sp; st[o + DPORT0] = dp; st[o + PROTO] = pr;
    st[o + L4ABSENT] = l4Absent ? 1 : 0; st[o + ICMP_TYPE] = icmpType; st[o + ICMP_CODE] = icmpCode;
    st[o + MIN_V] = Infinity; st[o + MAX_V] = -Infinity; st[o + MIN_IPLEN_F] = Infinity; st[o + FIRST_SPORT_B] = -1;
    for (let d = 0; d < 3; d++) {
      const q = o + DIR0 + d * DIRW;
      st[q + D_MIN] = Infinity; st[q + D_MAX] = -Infinity; st[q + D_IATMIN] = Infinity; st[q + D_IATMAX] = -Infinity;
    }
    this.windows[f * 3] = null; this.windows[f * 3 + 1] = null; this.windows[f * 3 + 2] = null;
    this.insertSlot(f);
    this.live.add(f);
    this.open++;
    this.summary.flowsCreated++;
    if (this.open > this.summary.peakOpenFlows) this.summary.peakOpenFlows = this.open;
    this.summary.openFlows = this.open;
    return f;
  }

  private add(f: number, i: number, b: PacketBatch, ts: number, sa: number, sp: number, tcpFl: number, frameLen: number): void {
    const st = this.st;
    const o = f * NS;
    const v = ts / 1e6; // float seconds, as pandas' astype(float) of the packet time
    const vNs = v * 1e9; // pandas' to_datetime(unit='s') of that float, an integral double
    if (st[o + N_ALL] === 0) st[o + BASE_NS] = vNs;
    const rel = vNs - st[o + BASE_NS];
    const isF = sa === st[o + S_IP];
    const dIp = st[o + D_IP];
    const isB = sa === dIp; // both when the session's two IPs are equal (same host)
    const payload = b.payloadLen[i];
    const win = b.tcpWindow[i];
    if (isF) {
      this.dir(f, 0, ts, ts / 1e6, rel, frameLen, payload, win);
      const ipLen = b.ipTotalLen[i];
      if (ipLen < st[o + MIN_IPLEN_F]) st[o + MIN_IPLEN_F] = ipLen;
      if (tcpFl) for (let k = 0; k < 8; k++) if ((tcpFl & FLAG_BITS[k]) !== 0) st[o + FLAGS0 + k]++;
    }
    if (isB) {
      if (st[o + DIR0 + DIRW + D_N] === 0) st[o + FIRST_SPORT_B] = sp;
      this.dir(f, 1, ts, ts / 1e6, rel, frameLen, payload, win);
      if (tcpFl) for (let k = 0; k < 8; k++) if ((tcpFl & FLAG_BITS[k]) !== 0) st[o + FLAGS0 + 8 + k]++;
    }
    // all packets: the flow IAT uses differences of float seconds; active = Σ(Δ/1e9)
    const q = o + DIR0 + 2 * DIRW;
    if (st[q + D_N] > 0) st[o + ACTIVE_SUM] += (v - st[q + D_PREV]) / 1e9;
    this.dir(f, 2, v, v, rel, frameLen, payload, win);
    st[o + N_ALL]++;
    if (v < st[o + MIN_V]) st[o + MIN_V] = v;
    if (v > st[o + MAX_V]) st[o + MAX_V] = v;
  }

  /** Direction aggregates. `t` is the clock the IATs are taken on, `iatScale` turns its differences to seconds. */
  private dir(f: number, d: number, t: number, _v: number, rel: number, size: number, payload: number, win: number): void {
    const st = this.st;
    const q = f * NS + DIR0 + d * DIRW;
    const n = st[q + D_N];
    if (n === 0) { st[q + D_WIN] = win; st[q + D_FIRST_TS] = t; }
    else {
      const iat = d === 2 ? t - st[q + D_PREV] : (t - st[q + D_PREV]) / 1e6;
      st[q + D_IATN]++;
      st[q + D_IATSUM] += iat;
      st[q + D_IATSQ] += iat * iat;
      if (iat < st[q + D_IATMIN]) st[q + D_IATMIN] = iat;
      if (iat > st[q + D_IATMAX]) st[q + D_IATMAX] = iat;
    }
    st[q + D_PREV] = t;
    st[q + D_N] = n + 1;
    st[q + D_BYTES] += size;
    st[q + D_SUMSQ] += size * size;
    if (size < st[q + D_MIN]) st[q + D_MIN] = size;
    if (size > st[q + D_MAX]) st[q + D_MAX] = size;
    st[q + D_PAYLOAD] += payload;
    st[q + D_ROLL] += this.rollCount(f * 3 + d, rel);
  }

  /** Packets of this direction with time in (t − 100 ms, t], this one included (pandas rolling('100ms').sum()). */
  private rollCount(w: number, t: number): number {
    let r = this.windows[w];
    if (!r) { r = { buf: new Float64Array(8), head: 0, len: 0 }; this.windows[w] = r; }
    while (r.head < r.len && r.buf[r.head] <= t - ROLL_WINDOW_NS) r.head++;
    if (r.len === r.buf.length) {
      const live = r.len - r.head;
      if (r.head > 0 && live < r.buf.length / 2) { r.buf.copyWithin(0, r.head, r.len); }
      else { const nb = new Float64Array(r.buf.length * 2); nb.set(r.buf.subarray(r.head, r.len)); r.buf = nb; }
      r.len = live; r.head = 0;
    }
    r.buf[r.len++] = t;
    return r.len - r.head;
  }

  private remove(f: number): void {
    const st = this.st;
    const o = f * NS;
    let idx = this.hash(st[o + K0], st[o + K1], st[o + K2], st[o + K3]) & this.mask;
    while (this.tab[idx] !== f + 1) idx = (idx + 1) & this.mask;
    this.tab[idx] = -1;
    this.tombstones++;
    this.live.delete(f);
    this.windows[f * 3] = null; this.windows[f * 3 + 1] = null; this.windows[f * 3 + 2] = null;
    this.free.push(f);
    this.open--;
    this.summary.openFlows = this.open;
  }

  private discard(f: number): void { this.remove(f); }

  private finish(f: number, reason: number): void {
    this.emitRow(f, reason);
    this.remove(f);
    if (this.out.count >= this.o.batchSize) this.deliver();
  }

  private emitRow(f: number, reason: number): void {
    const st = this.st;
    const o = f * NS;
    const out = this.out;
    const r = out.count++;
    const P = out.prc;
    const vals = P.values, kinds = P.kinds;
    const base = r * PRC_NUMERIC;
    let c = 0;
    const put = (v: number, kind: number): void => { vals[base + c] = v; kinds[base + c] = kind; c++; };
    const fq = o + DIR0, bq = o + DIR0 + DIRW, aq = o + DIR0 + 2 * DIRW;
    const n = st[o + N_ALL], nF = st[fq + D_N], nB = st[bq + D_N];
    const sIp = st[o + S_IP], dIp = st[o + D_IP];
    const oneSided = sIp === dIp || nB === 0; // PRC's multicast_flag: a single distinct source IP
    const fBytes = st[fq + D_BYTES], bBytes = st[bq + D_BYTES];
    const mean = (sum: number, k: number): number => (k > 0 ? sum / k : 0);
    const sampleVar = (sum: number, sq: number, k: number): number => (k > 1 ? Math.max(0, (sq - (sum * sum) / k) / (k - 1)) : 0);
    const sampleStd = (sum: number, sq: number, k: number): number => Math.sqrt(sampleVar(sum, sq, k));
    const dur = n === 1 ? 1 : (st[o + MAX_V] * 1e9 - st[o + MIN_V] * 1e9) / 1e9;
    const hasL4 = st[o + L4ABSENT] === 0 && (st[o + PROTO] === 6 || st[o + PROTO] === 17);
    const fwdEpoch = st[fq + D_FIRST_TS] / 1e6;
    const roll = (q: number): number => (st[q + D_N] > 0 ? st[q + D_ROLL] / st[q + D_N] : NaN);

    // identity (strings kept beside the numbers)
    const src = ipString(sIp), dst = ipString(dIp);
    const sp0 = hasL4 ? String(st[o + SPORT0]) : 'None';
    const bsp = st[o + FIRST_SPORT_B];
    P.flow[r] = `${src}:${sp0}<->${dst}:${oneSided ? sp0 : hasL4 ? String(bsp) : 'None'}`;
    P.src[r] = src;
    P.dst[r] = dst;
    P.protocol[r] = protoName(st[o + PROTO], st[o + L4ABSENT] === 1);

    put(st[o + SPORT0], 0); // src_port
    put(st[o + DPORT0], 0); // dst_port
    put(0, 0); // timestamp: a string with a blank, turned into 0 by PRC's cleanup
    put(dur, n === 1 ? 0 : 1); // duration
    put(nF, 0); put(nB, 0); // total_fpackets, total_bpackets
    put(fBytes, 0); put(oneSided ? 0 : bBytes, 0); // total_fpktl, total_bpktl
    put(st[fq + D_MIN], 0); put(st[fq + D_MAX], 0); put(mean(fBytes, nF), 1); put(sampleStd(fBytes, st[fq + D_SUMSQ], nF), 1);
    put(oneSided ? 0 : st[bq + D_MIN], 0); put(oneSided ? 0 : st[bq + D_MAX], 0);
    put(mean(bBytes, nB), 1); put(sampleStd(bBytes, st[bq + D_SUMSQ], nB), 1);
    // rates (a 1-packet session has duration 1)
    const bytesForRate = fBytes + (oneSided ? 0 : bBytes);
    if (dur > 0) put(bytesForRate / dur, 1); else put(0, 0); // flowBytesPerSecond
    if (n > 1) { if (dur > 0) put((nB + nF) / dur, 1); else put(0, 0); } else put(1, 0); // flowPktsPerSecond
    // flow IAT over float seconds
    const an = st[aq + D_IATN];
    put(mean(st[aq + D_IATSUM], an), 1);
    put(sampleStd(st[aq + D_IATSUM], st[aq + D_IATSQ], an), 1);
    if (n > 1) { put(st[aq + D_IATMAX], 1); put(st[aq + D_IATMIN], 1); } else { put(0, 0); put(0, 0); }
    // forward IAT (exact packet-time differences in PRC)
    const fn = st[fq + D_IATN];
    if (nF > 1) put(st[fq + D_IATSUM], 2); else put(0, 0); // total_fiat
    put(mean(st[fq + D_IATSUM], fn), 1);
    put(sampleStd(st[fq + D_IATSUM], st[fq + D_IATSQ], fn), 1);
    const maxFiat = nF > 1 ? st[fq + D_IATMAX] : fwdEpoch; // one packet: its absolute time
    put(maxFiat, 2);
    put(nF > 1 ? st[fq + D_IATMIN] : fwdEpoch, 2);
    // backward IAT
    const bn = st[bq + D_IATN];
    if (nB > 1) put(st[bq + D_IATSUM], 2); else put(0, 0); // total_biat
    put(mean(st[bq + D_IATSUM], bn), 1);
    put(sampleStd(st[bq + D_IATSUM], st[bq + D_IATSQ], bn), 1);
    put(maxFiat, 2); // max_biat: PRC copies the forward max
    if (oneSided || nB === 1) put(0, 0); else put(st[bq + D_IATMIN], 2); // min_biat
    // PSH/URG per direction, header lengths (always 0 in PRC)
    put(st[o + FLAGS0 + 3], 0); put(st[o + FLAGS0 + 8 + 3], 0);
    put(st[o + FLAGS0 + 5], 0); put(st[o + FLAGS0 + 8 + 5], 0);
    put(0, 0); put(0, 0);
    // per-direction packet rates
    if (n > 1) { if (dur > 0) { put(nF / dur, 1); put(nB / dur, 1); } else { put(0, 0); put(0, 0); } } else { put(1, 0); put(1, 0); }
    // flow packet lengths
    put(st[aq + D_MIN], 0); put(st[aq + D_MAX], 0); put(mean(st[aq + D_BYTES], n), 1);
    put(sampleStd(st[aq + D_BYTES], st[aq + D_SUMSQ], n), 1); put(sampleVar(st[aq + D_BYTES], st[aq + D_SUMSQ], n), 1);
    // flag counts: forward + backward (a same-host session counts every packet twice)
    for (let k = 0; k < 8; k++) put(st[o + FLAGS0 + k] + st[o + FLAGS0 + 8 + k], 0);
    if (oneSided) put(1, 0); else put(fBytes / bBytes, 1); // downUpRatio
    put(mean(st[aq + D_BYTES], n), 1); // avgPacketSize
    put(mean(st[fq + D_PAYLOAD], nF), 1); put(mean(st[bq + D_PAYLOAD], nB), 1); // segment sizes = L4 payload means
    // "bulk": 100 ms rolling packet counts
    if (oneSided) { put(0, 0); put(0, 0); put(0, 0); } else {
      const rf = roll(fq), ra = roll(aq);
      put(fBytes / rf, 1); put(rf, 1); put(rf / ra, 1);
    }
    put(0, 0); // bAvgBytesPerBulk: always 0 (PRC's flag is flipped by a nested call)
    if (oneSided) { put(0, 0); put(0, 0); } else { const rb = roll(bq), ra = roll(aq); put(rb, 1); put(rb / ra, 1); }
    // subflows = totals (its gap test compares seconds with 1e9)
    put(nF, 1); put(fBytes, 1); put(nB, 1); put(oneSided ? 0 : bBytes, 1);
    put(st[fq + D_WIN], 0); put(nB > 0 ? st[bq + D_WIN] : 0, 0); // init windows (first packet of each side)
    put(nF, 0); // fDataPkts: every forward frame has size > 0
    put(st[o + MIN_IPLEN_F], 0); // fHeaderSizeMin: smallest IPv4 total length
    // active/idle on seconds/1e9: one active period ≈ duration × 1e-9, no idle period
    const act = st[o + ACTIVE_SUM];
    put(act, 1); put(0, 1); put(act, 1); put(0, 1); // min_active_s is PRC's copy of the std
    put(0, 0); put(0, 0); put(0, 0); put(0, 0);

    // canonical features (seconds → µs where the canonical row keeps µs), identity arrays
    const fr = r * NUM_FEATURES;
    const fe = out.features;
    fe[fr + F.flow_duration] = dur * 1e6;
    fe[fr + F.tot_fwd_pkts] = nF; fe[fr + F.tot_bwd_pkts] = nB;
    fe[fr + F.totlen_fwd_pkts] = fBytes; fe[fr + F.totlen_bwd_pkts] = oneSided ? 0 : bBytes;
    out.srcAddr[r * 4] = sIp; out.dstAddr[r * 4] = dIp;
    out.srcPort[r] = st[o + SPORT0]; out.dstPort[r] = st[o + DPORT0];
    out.protocol[r] = st[o + PROTO]; out.ipVersion[r] = 4;
    out.startUs[r] = st[o + MIN_V] * 1e6; out.lastUs[r] = st[o + MAX_V] * 1e6;
    out.endReason[r] = reason;
    this.summary.flowsWritten++;
    this.summary.endReasons[END_REASON_NAMES[reason]]++;
  }

  deliver(): void {
    const out = this.out;
    if (out.count === 0) return;
    this.out = this.newBatch();
    this.o.onBatch(out);
  }

  /** PRC never writes a session on silence; nothing to sweep. */
  sweep(_nowUs: number): number { return 0; }

  /**
   * End of input: PRC drops the sessions still open (its `empty()` is never called), so they are
   * discarded here too and counted in `openFlows` of the summary before the reset.
   */
  flush(): void {
    for (const f of [...this.live]) this.remove(f);
    this.summary.openFlows = 0;
    this.deliver();
    void END_EOF;
  }
}
