/**
 * The flow engine: a struct-of-arrays flow table with running aggregates, fed packet batches.
 *
 * - Flow state: NS doubles per flow in paged Float64Arrays (pages never move, so the table grows
 *   without copying hundreds of MB); keys in a growable Uint32Array; an open-addressing hash
 *   (linear probing, backward-shift deletion) over a symmetric hash of the two endpoints, so
 *   both directions of a conversation land on one entry without string keys.
 * - Every feature is a running aggregate (count, shifted sum and sum of squares, min, max) or a
 *   small state machine (bulk, active/idle, subflow), so nothing is stored per packet.
 * - Profile switches (profile.ts) are copied into fields once, the per-packet path only branches.
 * - Finished flows are written as canonical feature rows into FlowBatch objects (flow-batch.ts).
 *
 * Semantics: ../shared/spec/flow-features.md (§ numbers in comments refer to it).
 */
import {
  PKT_L4_ABSENT, TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG,
  type PacketBatch,
} from '../capture/packet-batch.js';
import { allocBatch } from '../capture/batch-alloc.js';
import { flowSignatures, mergeTells } from '../capture/payload-tells.js';
import { F, NUM_FEATURES } from './features.js';
import {
  allocFlowBatch, END_EOF, END_EVICTED, END_FIN, END_IDLE, END_REASON_NAMES, END_RST, END_SYN, END_TIMEOUT,
  type FlowBatch,
} from './flow-batch.js';
import type { FlowProfile } from './profile.js';

// ---- per-flow state layout (offsets into the flow's NS doubles) ----
// Fields every packet touches come first and sit together (about 10 of the 13 cache lines a flow
// occupies); those only some packets or the end of the flow need are at the back.
const T_FIRST = 0, T_LAST = 1, T_FWD_LAST = 2, T_BWD_LAST = 3, N_FWD = 4, N_BWD = 5, REFERENCED = 6, TERMINATED = 7;
const ACT_START = 8, ACT_END = 9, SF_COUNT = 10, SF_LAST = 11, N_ALL_LEN = 12, RETX_POS = 13, RETX_POS_BWD = 14, FIN_FWD = 15;
// A running statistic occupies 5 slots: shift K (first value), Σ(x−K), Σ(x−K)², min, max.
const ST_K = 0, ST_S = 1, ST_SS = 2, ST_MIN = 3, ST_MAX = 4;
const S_FLOW_IAT = 16, S_ALL_LEN = 21, S_FWD_LEN = 26, S_BWD_LEN = 31, S_FWD_IAT = 36, S_BWD_IAT = 41;
const FWD_BYTES = 46, BWD_BYTES = 47, FWD_HDR = 48, BWD_HDR = 49, SEG_MIN_FWD = 50, SEG_MIN_BWD = 51;
const ACT_FWD = 52, ACT_BWD = 53, INIT_WIN_FWD = 54, INIT_WIN_BWD = 55, INIT_BWD_SET = 56;
const FLAG_BASE = 57; // FIN SYN RST PSH ACK URG CWR ECE counts: 57..64
// Bulk tracker: 8 slots per direction.
const B_START = 0, B_CNT_H = 1, B_SIZE_H = 2, B_LAST = 3, B_STATES = 4, B_PKTS = 5, B_BYTES = 6, B_DUR = 7;
const BULK_FWD = 65, BULK_BWD = 73;
const FWD_PSH = 81, BWD_PSH = 82, FWD_URG = 83, BWD_URG = 84, FWD_RST = 85, BWD_RST = 86;
const ICMP_TYPE = 87, ICMP_CODE = 88, RETX_FWD = 89, RETX_BWD = 90;
const N_ACTIVE = 91, S_ACTIVE = 92, N_IDLE = 97, S_IDLE = 98;
const TELLS = 103; // payload tells: forward bits 0-15, backward 16-31 (payload-tells.ts mergeTells)
const NS = 104;
// initState relies on the statistics being the only fields in [S_FLOW_IAT, FWD_BYTES) and after N_ACTIVE (but N_IDLE and TELLS).

// ---- key layout (Uint32 words per slot) ----
const KW = 12; // src[4] dst[4] srcPort dstPort protoWord hash
const K_SPORT = 8, K_DPORT = 9, K_PROTO = 10, K_HASH = 11;
const RETX_WORDS = 16; // 8 recent segment signatures per direction

const PAGE_BITS = 14;
const PAGE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE - 1;

/** Bytes of table memory per flow slot (state + key + hash + lists + retransmission ring). */
export const BYTES_PER_FLOW = NS * 8 + KW * 4 + 2 * 4 * 2 + 4 * 2 + RETX_WORDS * 4;
/** Default concurrent-flow cap: keeps the table itself under about 500 MB. */
export const DEFAULT_MAX_FLOWS = Math.floor((500 * 1024 * 1024) / (BYTES_PER_FLOW + 64));

const BULK_GAP_US = 1e6; // §6.12 clump timeout 1 s
const SUBFLOW_GAP_US = 1e6; // §6.13

export interface EngineOptions {
  profile: FlowProfile;
  flowTimeoutUs: number;
  activityTimeoutUs: number;
  /** Flows silent for longer than this are written by sweep(); ≥ flowTimeoutUs keeps offline output identical to the references. */
  idleTimeoutUs: number;
  ipv4Only: boolean;
  maxFlows: number;
  /** Rows per emitted FlowBatch. */
  batchSize: number;
  /** Direction by source IP only (every Java tool). false = IP and port (fixes same-host traffic, §3.1). */
  directionByIpOnly: boolean;
  onBatch: (b: FlowBatch) => void;
}

export interface FlowSummary {
  packets: number;
  /** Packets turned into flow packets. */
  flowPackets: number;
  /** Not IP (ARP, LLDP …) or a broken IP header. */
  nonIpPackets: number;
  /** IPv6 packets skipped because ipv4Only is set. */
  ipv6Skipped: number;
  /** Packets the profile drops on purpose (J-master's second forward FIN). */
  discardedPackets: number;
  flowsCreated: number;
  flowsWritten: number;
  /** Single-packet flows not written (J-2018, J-master). */
  singlePacketSuppressed: number;
  /** Flows ended because the table was full (written if the profile writes them). */
  flowsEvicted: number;
  peakOpenFlows: number;
  openFlows: number;
  /** Written flows by end reason. */
  endReasons: Record<string, number>;
}

export class FlowEngine {
  readonly profile: FlowProfile;
  private readonly o: EngineOptions;
  // behaviour switches, copied once
  private readonly closeMode: number; // 0 none, 1 first-fin, 2 cic4, 3 mark-until-syn, 4 first-fin-or-rst
  private readonly frameLen: boolean;
  private readonly emitSingle: boolean;
  private readonly restartForward: boolean;
  private readonly synAckReverse: boolean;
  private readonly sameHostSplit: boolean;
  private readonly icmpKeeps: boolean;
  private readonly flagsFirstOnly: boolean;
  private readonly pshUrgFirstOnly: boolean;
  private readonly lenFirstTwice: boolean;
  private readonly actSkipFirst: boolean;
  private readonly bwdWinLast: boolean;
  private readonly winDefault: number;
  private readonly closingSkipsActIdle: boolean;
  private readonly bulkMode: number; // 0 off, 1 per direction, 2 mixed into bwd
  private readonly subflowMode: number; // 0 totals, 1 integer, 2 float
  private readonly downUpInt: boolean;
  private readonly rateMinusOne: boolean;
  private readonly capPayload: boolean;
  private readonly retx: boolean;
  private readonly ipOnlyDir: boolean;
  // numeric options as fields (the per-packet path reads no options object)
  private readonly flowTimeoutUs: number;
  private readonly activityTimeoutUs: number;
  private readonly maxFlows: number;
  private readonly batchSize: number;

  // table
  private pages: Float64Array[] = [];
  private keys = new Uint32Array(0);
  private retxRing = new Uint32Array(0);
  private prev = new Int32Array(0); // creation-order list (oldest first), used by eviction and flush
  private next = new Int32Array(0);
  private head = -1;
  private tail = -1;
  private capacity = 0; // slots allocated
  private used = 0; // high-water mark of slot indices handed out
  private freeList = new Int32Array(0);
  private freeCount = 0;
  private open = 0;
  private hashTab = new Int32Array(1 << 12);
  private hashMask = (1 << 12) - 1;

  // output
  private out: FlowBatch;
  private readonly pool: FlowBatch[] = [];
  readonly summary: FlowSummary = {
    packets: 0, flowPackets: 0, nonIpPackets: 0, ipv6Skipped: 0, discardedPackets: 0, flowsCreated: 0,
    flowsWritten: 0, singlePacketSuppressed: 0, flowsEvicted: 0, peakOpenFlows: 0, openFlows: 0,
    endReasons: Object.fromEntries(END_REASON_NAMES.map((n) => [n, 0])),
  };
  private readonly endCounts = new Float64Array(END_REASON_NAMES.length);
  /** Latest packet time seen (µs), the clock of offline sweeps. */
  lastPacketUs = 0;

  constructor(opts: EngineOptions) {
    this.o = opts;
    const p = opts.profile;
    const b = p.behaviour;
    this.profile = p;
    this.closeMode = { none: 0, 'first-fin': 1, 'cicflowmeter-4': 2, 'mark-until-syn': 3, 'first-fin-or-rst': 4 }[b.tcpClose];
    this.frameLen = b.lengthSource === 'frame';
    this.emitSingle = b.emitSinglePacketFlows;
    this.restartForward = b.timeoutRestartCountsForward;
    this.synAckReverse = b.synAckReversesDirection;
    this.sameHostSplit = b.sameHostSplit;
    this.icmpKeeps = b.icmpKeepsProtocol;
    this.flagsFirstOnly = b.flagCountsFirstPacketOnly;
    this.pshUrgFirstOnly = b.pshUrgFirstPacketOnly;
    this.lenFirstTwice = b.flowLengthFirstPacketTwice;
    this.actSkipFirst = b.actDataSkipsFirstPacket;
    this.bwdWinLast = b.initBwdWindow === 'last';
    this.winDefault = b.initWindowDefault;
    this.closingSkipsActIdle = b.closingPacketSkipsActiveIdle;
    this.bulkMode = { off: 0, 'per-direction': 1, 'mixed-into-bwd': 2 }[b.bulk];
    this.subflowMode = { totals: 0, 'gaps-integer': 1, 'gaps-float': 2 }[b.subflow];
    this.downUpInt = b.downUpInteger;
    this.rateMinusOne = b.zeroDurationFlowRate === 'minus-one';
    this.capPayload = b.payloadFromCapturedBytes;
    this.retx = b.countRetransmissions;
    this.ipOnlyDir = opts.directionByIpOnly;
    if (!(opts.maxFlows >= 1)) throw new RangeError('maxFlows must be at least 1');
    this.flowTimeoutUs = opts.flowTimeoutUs;
    this.activityTimeoutUs = opts.activityTimeoutUs;
    this.maxFlows = opts.maxFlows;
    this.batchSize = opts.batchSize;
    this.out = allocFlowBatch(p.name, opts.batchSize);
    if (!primedProfiles.has(p)) { primedProfiles.add(p); primeEngine(opts); }
  }

  get openFlows(): number { return this.open; }

  // ------------------------------------------------------------------ packets

  /** Meter every packet of a batch. */
  push(b: PacketBatch): void {
    const n = b.count;
    const s = this.summary;
    s.packets += n;
    const { tsUs, ipVersion, proto, srcAddr, dstAddr, srcPort, dstPort, flags } = b;
    const ipv4Only = this.o.ipv4Only; // once per batch
    const icmpKeeps = this.icmpKeeps;
    for (let i = 0; i < n; i++) {
      const ver = ipVersion[i];
      if (ver !== 4) {
        if (ver === 0) { s.nonIpPackets++; continue; }
        if (ipv4Only) { s.ipv6Skipped++; continue; }
      }
      // Normalise the L4 view the CIC tools have (§2): TCP/UDP keep ports, ICMP optionally keeps
      // its protocol, everything else (and non-first fragments) is "protocol 0" without ports.
      let pr = proto[i];
      let l4 = 0; // 0 other, 1 tcp, 2 udp, 3 icmp
      if ((flags[i] & PKT_L4_ABSENT) !== 0) pr = 0;
      else if (pr === 6) l4 = 1;
      else if (pr === 17) l4 = 2;
      else if ((pr === 1 || pr === 58) && icmpKeeps) l4 = 3;
      else pr = 0;
      const a4 = i << 2;
      const sa0 = srcAddr[a4], sa1 = srcAddr[a4 + 1], sa2 = srcAddr[a4 + 2], sa3 = srcAddr[a4 + 3];
      const da0 = dstAddr[a4], da1 = dstAddr[a4 + 1], da2 = dstAddr[a4 + 2], da3 = dstAddr[a4 + 3];
      const sp = l4 === 1 || l4 === 2 ? srcPort[i] : 0;
      const dp = l4 === 1 || l4 === 2 ? dstPort[i] : 0;
      const protoWord = pr | (ver << 8);
      // Symmetric hash: the two endpoint hashes are added, so both directions collide on purpose.
      let ha = Math.imul((sa0 ^ Math.imul(sa1, 0x85ebca6b) ^ Math.imul(sa2, 0xc2b2ae35) ^ sa3) + sp, 0x9e3779b1);
      ha ^= ha >>> 15;
      let hb = Math.imul((da0 ^ Math.imul(da1, 0x85ebca6b) ^ Math.imul(da2, 0xc2b2ae35) ^ da3) + dp, 0x9e3779b1);
      hb ^= hb >>> 15;
      let h = (ha + hb) ^ Math.imul(protoWord, 0x27d4eb2d);
      h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
      h = (h ^ (h >>> 13)) >>> 0;
      const sameIp = sa0 === da0 && sa1 === da1 && sa2 === da2 && sa3 === da3;

      s.flowPackets++;
      const ts = tsUs[i];
      if (ts > this.lastPacketUs) this.lastPacketUs = ts;

      // lookup
      const keys = this.keys;
      const tab = this.hashTab;
      const mask = this.hashMask;
      let idx = h & mask;
      let slot = -1;
      let fwd = true;
      for (;;) {
        const e = tab[idx];
        if (e === 0) break;
        const k = (e - 1) * KW;
        if (keys[k + K_HASH] === h && keys[k + K_PROTO] === protoWord) {
          if (keys[k] === sa0 && keys[k + 1] === sa1 && keys[k + 2] === sa2 && keys[k + 3] === sa3 &&
              keys[k + 4] === da0 && keys[k + 5] === da1 && keys[k + 6] === da2 && keys[k + 7] === da3 &&
              keys[k + K_SPORT] === sp && keys[k + K_DPORT] === dp) {
            slot = e - 1; fwd = true; break;
          }
          if (keys[k] === da0 && keys[k + 1] === da1 && keys[k + 2] === da2 && keys[k + 3] === da3 &&
              keys[k + 4] === sa0 && keys[k + 5] === sa1 && keys[k + 6] === sa2 && keys[k + 7] === sa3 &&
              keys[k + K_SPORT] === dp && keys[k + K_DPORT] === sp && !(sameIp && this.sameHostSplit)) {
            // Java classes a packet forward iff its source IP is the flow's source IP (§3.1).
            slot = e - 1; fwd = sameIp && this.ipOnlyDir; break;
          }
        }
        idx = (idx + 1) & mask;
      }

      if (slot < 0) {
        this.createFlow(b, i, l4, h, protoWord, sp, dp, ts);
        continue;
      }
      const st = this.pages[slot >>> PAGE_BITS];
      const o = (slot & PAGE_MASK) * NS;
      st[o + REFERENCED] = 1; // CLOCK bit for eviction

      // Flow timeout, measured from the flow's first packet (§4.1).
      if (ts - st[o + T_FIRST] > this.flowTimeoutUs) {
        this.finish(slot, END_TIMEOUT, false);
        this.listRemove(slot); this.listAppend(slot); // the list stays ordered by flow start (see sweep)
        // The next flow keeps the old orientation; J-master/J-2018 count this packet forward.
        this.initState(st, o); this.clearRetx(slot);
        this.addPacket(b, i, l4, slot, st, o, this.restartForward ? true : fwd, true, false);
        continue;
      }

      const tf = l4 === 1 ? b.tcpFlags[i] : 0;
      let closing = 0; // END_* code when this packet ends the flow
      const mode = this.closeMode;
      if (l4 === 1 && mode !== 0) {
        if (mode === 1) {
          if ((tf & TCP_FIN) !== 0) closing = END_FIN;
        } else if (mode === 4) {
          if ((tf & (TCP_FIN | TCP_RST)) !== 0) closing = (tf & TCP_RST) !== 0 ? END_RST : END_FIN;
        } else if (mode === 2) {
          if ((tf & TCP_RST) !== 0) closing = END_RST;
          else if ((tf & TCP_FIN) !== 0) {
            if (fwd) {
              if (st[o + FIN_FWD] > 0) { s.discardedPackets++; continue; } // second forward FIN is dropped
              st[o + FIN_FWD] = 1;
            } else {
              closing = END_FIN; // the `bwd+bwd` slip: the first backward FIN always ends the flow
            }
          }
        } else {
          if (st[o + TERMINATED] !== 0 && (tf & TCP_SYN) !== 0) {
            // Port reuse after FIN/RST: write the old flow, this SYN starts the next one (§4.2 engelen).
            this.finish(slot, END_SYN, false);
            this.listRemove(slot); this.listAppend(slot);
            this.initState(st, o); this.clearRetx(slot);
            this.orient(slot, b, i, tf);
            const k = slot * KW;
            const f2 = this.keys[k] === sa0 && this.keys[k + 1] === sa1 && this.keys[k + 2] === sa2 && this.keys[k + 3] === sa3;
            this.addPacket(b, i, l4, slot, st, o, f2, true, false);
            continue;
          }
          if ((tf & (TCP_FIN | TCP_RST)) !== 0) st[o + TERMINATED] = (tf & TCP_RST) !== 0 ? END_RST : END_FIN;
        }
      }
      this.addPacket(b, i, l4, slot, st, o, fwd, false, closing !== 0);
      if (closing !== 0) this.finish(slot, closing, true);
    }
    const open = this.open;
    if (open > s.peakOpenFlows) s.peakOpenFlows = open;
    s.openFlows = open;
  }

  /** Start a flow with packet i (new key). */
  private createFlow(b: PacketBatch, i: number, l4: number, h: number, protoWord: number, sp: number, dp: number, ts: number): void {
    if (this.open >= this.maxFlows) this.evictOne();
    const slot = this.allocSlot();
    const k = slot * KW;
    const keys = this.keys;
    const a4 = i << 2;
    let reverse = false;
    if (l4 === 1 && this.synAckReverse) {
      const tf = b.tcpFlags[i];
      reverse = (tf & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
    }
    const src = reverse ? b.dstAddr : b.srcAddr;
    const dst = reverse ? b.srcAddr : b.dstAddr;
    keys[k] = src[a4]; keys[k + 1] = src[a4 + 1]; keys[k + 2] = src[a4 + 2]; keys[k + 3] = src[a4 + 3];
    keys[k + 4] = dst[a4]; keys[k + 5] = dst[a4 + 1]; keys[k + 6] = dst[a4 + 2]; keys[k + 7] = dst[a4 + 3];
    keys[k + K_SPORT] = reverse ? dp : sp;
    keys[k + K_DPORT] = reverse ? sp : dp;
    keys[k + K_PROTO] = protoWord;
    keys[k + K_HASH] = h;
    this.hashInsert(slot, h);
    this.listAppend(slot);
    this.open++;
    this.summary.flowsCreated++;
    const st = this.pages[slot >>> PAGE_BITS];
    const o = (slot & PAGE_MASK) * NS;
    this.initState(st, o);
    this.addPacket(b, i, l4, slot, st, o, !reverse, true, false);
  }

  /** Re-orient an existing slot from packet i (J-engelen SYN restart; SYN-ACK reversal applies). */
  private orient(slot: number, b: PacketBatch, i: number, tf: number): void {
    const reverse = this.synAckReverse && (tf & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
    const k = slot * KW;
    const keys = this.keys;
    const a4 = i << 2;
    const src = reverse ? b.dstAddr : b.srcAddr;
    const dst = reverse ? b.srcAddr : b.dstAddr;
    keys[k] = src[a4]; keys[k + 1] = src[a4 + 1]; keys[k + 2] = src[a4 + 2]; keys[k + 3] = src[a4 + 3];
    keys[k + 4] = dst[a4]; keys[k + 5] = dst[a4 + 1]; keys[k + 6] = dst[a4 + 2]; keys[k + 7] = dst[a4 + 3];
    keys[k + K_SPORT] = reverse ? b.dstPort[i] : b.srcPort[i];
    keys[k + K_DPORT] = reverse ? b.srcPort[i] : b.dstPort[i];
  }

  private clearRetx(slot: number): void {
    if (this.retx) this.retxRing.fill(0, slot * RETX_WORDS, slot * RETX_WORDS + RETX_WORDS);
  }

  private initState(st: Float64Array, o: number): void {
    // Zero what accumulates or is read before it is set. The running statistics need no zeroing: statAdd's
    // first value sets all five slots and nothing reads a statistic with count 0. Skipping them saves
    // stores into cache lines a reused slot no longer holds (this loop was the engine's top line).
    // Plain loops: TypedArray#fill with a range is several times slower for so few elements.
    for (let j = o, e = o + S_FLOW_IAT; j < e; j++) st[j] = 0;
    for (let j = o + FWD_BYTES, e = o + S_ACTIVE; j < e; j++) st[j] = 0;
    st[o + N_IDLE] = 0;
    st[o + TELLS] = 0;
    st[o + INIT_WIN_FWD] = this.winDefault;
    st[o + INIT_WIN_BWD] = this.winDefault;
  }

  /** Add packet i to a flow (§6, per-feature quirks from the profile switches). */
  private addPacket(
    b: PacketBatch, i: number, l4: number, slot: number, st: Float64Array, o: number,
    fwd: boolean, first: boolean, closing: boolean,
  ): void {
    const ts = b.tsUs[i];
    let len = 0;
    let hdr = 0;
    if (l4 === 1 || l4 === 2) {
      len = b.payloadLen[i];
      hdr = b.l4HeaderLen[i];
      if (this.capPayload && b.capLen[i] < b.wireLen[i]) {
        // Java reads payload and header from the captured bytes: a snaplen cut shortens the payload
        // first, then the L4 header (a SYN's options). Ethernet minimum-size padding is cut before either.
        let missing = b.wireLen[i] - b.capLen[i];
        if (b.wireLen[i] <= 64) { const pad = 60 - 14 - b.ipTotalLen[i]; if (pad > 0) missing -= pad; }
        if (missing > 0) {
          if (missing >= len) { const cut = missing - len; len = 0; hdr = cut >= hdr ? 0 : hdr - cut; }
          else len -= missing;
        }
      }
    }
    if (this.frameLen) len = b.wireLen[i];
    const tf = l4 === 1 ? b.tcpFlags[i] : 0;
    const win = l4 === 1 ? b.tcpWindow[i] : this.winDefault;

    if (first) {
      st[o + T_FIRST] = ts;
      st[o + ACT_START] = ts;
      st[o + ACT_END] = ts;
      st[o + SF_LAST] = ts;
      if (l4 === 3) { st[o + ICMP_TYPE] = b.icmpType[i]; st[o + ICMP_CODE] = b.icmpCode[i]; }
      else { st[o + ICMP_TYPE] = -1; st[o + ICMP_CODE] = -1; }
    } else {
      // Active/idle periods (§4.5, §6.16), before the packet is added.
      if (!(closing && this.closingSkipsActIdle)) this.activeIdle(st, o, ts);
      // Flow IAT between consecutive added packets, whatever the direction.
      const nIat = st[o + N_FWD] + st[o + N_BWD];
      statAdd(st, o + S_FLOW_IAT, nIat, ts - st[o + T_LAST]);
      // Subflows: gaps > 1 s between consecutive packets (§6.13).
      if (ts - st[o + SF_LAST] > SUBFLOW_GAP_US) st[o + SF_COUNT] += 1;
      st[o + SF_LAST] = ts;
    }
    st[o + T_LAST] = ts;

    // Per-direction counters and statistics: one call site each (offsets chosen by direction), so the
    // small helpers stay within the optimiser's inlining budget (a call that is not inlined boxes its
    // double arguments: garbage on every packet).
    const nOff = fwd ? N_FWD : N_BWD;
    const lastOff = fwd ? T_FWD_LAST : T_BWD_LAST;
    const nd = st[o + nOff] + 1;
    st[o + nOff] = nd;
    if (nd > 1) statAdd(st, o + (fwd ? S_FWD_IAT : S_BWD_IAT), nd - 1, ts - st[o + lastOff]);
    st[o + lastOff] = ts;
    statAdd(st, o + (fwd ? S_FWD_LEN : S_BWD_LEN), nd, len);
    st[o + (fwd ? FWD_BYTES : BWD_BYTES)] += len;
    st[o + (fwd ? FWD_HDR : BWD_HDR)] += hdr;
    if (fwd) {
      // Like their backward twins, the forward minimum header and initial window are only initialised by
      // the flow's first packet (Java firstPacket): a flow that starts backward (SYN-ACK reversal) keeps 0.
      if (first) { st[o + SEG_MIN_FWD] = hdr; st[o + INIT_WIN_FWD] = win; }
      else if (hdr < st[o + SEG_MIN_FWD]) st[o + SEG_MIN_FWD] = hdr;
      if (len >= 1 && !(first && this.actSkipFirst)) st[o + ACT_FWD] += 1;
      if (tf !== 0 && (first || !this.pshUrgFirstOnly)) {
        if ((tf & TCP_PSH) !== 0) st[o + FWD_PSH] += 1;
        if ((tf & TCP_URG) !== 0) st[o + FWD_URG] += 1;
      }
      if ((tf & TCP_RST) !== 0) st[o + FWD_RST] += 1;
    } else {
      // J-engelen's Bwd Seg Size Min is only ever set when the flow's first packet is backward (SYN-ACK
      // reversal); otherwise it stays 0. (No other profile prints it.)
      if (first) st[o + SEG_MIN_BWD] = hdr; else if (hdr < st[o + SEG_MIN_BWD]) st[o + SEG_MIN_BWD] = hdr;
      if (this.bwdWinLast) { st[o + INIT_WIN_BWD] = win; }
      else if (st[o + INIT_BWD_SET] === 0 && win !== 0) { st[o + INIT_BWD_SET] = 1; st[o + INIT_WIN_BWD] = win; }
      if (len >= 1) st[o + ACT_BWD] += 1;
      if (tf !== 0 && (first || !this.pshUrgFirstOnly)) {
        if ((tf & TCP_PSH) !== 0) st[o + BWD_PSH] += 1;
        if ((tf & TCP_URG) !== 0) st[o + BWD_URG] += 1;
      }
      if ((tf & TCP_RST) !== 0) st[o + BWD_RST] += 1;
    }

    // Flow-level length statistic; J-2018/J-master insert the first packet twice (§6.5).
    let nl = st[o + N_ALL_LEN] + 1;
    statAdd(st, o + S_ALL_LEN, nl, len);
    if (first && this.lenFirstTwice) { nl++; statAdd(st, o + S_ALL_LEN, nl, len); }
    st[o + N_ALL_LEN] = nl;

    if (tf !== 0 && (first || !this.flagsFirstOnly)) {
      if ((tf & TCP_FIN) !== 0) st[o + FLAG_BASE] += 1;
      if ((tf & TCP_SYN) !== 0) st[o + FLAG_BASE + 1] += 1;
      if ((tf & TCP_RST) !== 0) st[o + FLAG_BASE + 2] += 1;
      if ((tf & TCP_PSH) !== 0) st[o + FLAG_BASE + 3] += 1;
      if ((tf & TCP_ACK) !== 0) st[o + FLAG_BASE + 4] += 1;
      if ((tf & TCP_URG) !== 0) st[o + FLAG_BASE + 5] += 1;
      if ((tf & TCP_CWR) !== 0) st[o + FLAG_BASE + 6] += 1;
      if ((tf & TCP_ECE) !== 0) st[o + FLAG_BASE + 7] += 1;
    }

    const bm = this.bulkMode;
    if (bm === 1) {
      bulkAdd(st, o + (fwd ? BULK_FWD : BULK_BWD), st[o + (fwd ? BULK_BWD : BULK_FWD) + B_LAST], ts, len);
    } else if (bm === 2) {
      // J-master: every packet goes to the backward tracker (§6.12).
      bulkAdd(st, o + BULK_BWD, st[o + BULK_FWD + B_LAST], ts, len);
    }

    if (this.retx && l4 === 1) this.retransmission(b, i, slot, st, o, fwd, len);
    if (l4 === 1) {
      const tells = b.tells;
      if (tells !== undefined) {
        const t = tells[i];
        if (t !== 0) st[o + TELLS] = mergeTells(st[o + TELLS], t, fwd, st[o + N_FWD] + st[o + N_BWD] - 1);
      }
    }
  }

  /** J-engelen retransmission counters: a TCP segment whose (seq, ack, payload length, window) repeats one
   * of the last 8 segments of its direction (flags are not compared: a FIN/ACK repeating an ACK counts).
   * The fork keeps an unbounded set per flow; 8 recent ones keep the state O(1). */
  private retransmission(b: PacketBatch, i: number, slot: number, st: Float64Array, o: number, fwd: boolean, len: number): void {
    let sig = Math.imul(b.tcpSeq[i] ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(b.tcpAck[i] + len, 0x85ebca6b) ^
      Math.imul(b.tcpWindow[i] + 0x10001 * len, 0xc2b2ae35);
    sig = (sig ^ (sig >>> 15)) | 1; // never 0, 0 marks an empty ring entry
    const ring = this.retxRing;
    const base = slot * RETX_WORDS + (fwd ? 0 : 8);
    const u = sig >>> 0;
    for (let j = 0; j < 8; j++) {
      if (ring[base + j] === u) { st[o + (fwd ? RETX_FWD : RETX_BWD)] += 1; return; }
    }
    // next write position per direction, as a count of inserts (ring index = count & 7)
    const pOff = o + (fwd ? RETX_POS : RETX_POS_BWD);
    const p = st[pOff];
    ring[base + (p & 7)] = u;
    st[pOff] = p + 1;
  }

  private activeIdle(st: Float64Array, o: number, ts: number): void {
    const end = st[o + ACT_END];
    if (ts - end > this.activityTimeoutUs) {
      const act = end - st[o + ACT_START];
      if (act > 0) { const n = st[o + N_ACTIVE] + 1; st[o + N_ACTIVE] = n; statAdd(st, o + S_ACTIVE, n, act); }
      const n = st[o + N_IDLE] + 1;
      st[o + N_IDLE] = n;
      statAdd(st, o + S_IDLE, n, ts - end);
      st[o + ACT_START] = ts;
    }
    st[o + ACT_END] = ts;
  }

  // ------------------------------------------------------------------ ending flows

  /**
   * Write a flow's row (unless it is a suppressed single-packet flow). With `remove` the slot is
   * freed; otherwise the caller re-initialises it for the next flow on the same key.
   */
  private finish(slot: number, reason: number, remove: boolean): void {
    const st = this.pages[slot >>> PAGE_BITS];
    const o = (slot & PAGE_MASK) * NS;
    const s = this.summary;
    if (reason === END_EVICTED) s.flowsEvicted++;
    const pkts = st[o + N_FWD] + st[o + N_BWD];
    if (pkts <= 1 && !this.emitSingle) {
      s.singlePacketSuppressed++;
    } else {
      this.writeRow(slot, st, o, reason);
    }
    if (remove) this.removeSlot(slot);
  }

  private writeRow(slot: number, st: Float64Array, o: number, reason: number): void {
    let out = this.out;
    if (out.count === this.batchSize) { this.deliver(); out = this.out; }
    const r = out.count++;
    const k = slot * KW;
    const keys = this.keys;
    for (let j = 0; j < 4; j++) { out.srcAddr[r * 4 + j] = keys[k + j]; out.dstAddr[r * 4 + j] = keys[k + 4 + j]; }
    out.srcPort[r] = keys[k + K_SPORT];
    out.dstPort[r] = keys[k + K_DPORT];
    out.protocol[r] = keys[k + K_PROTO] & 0xff;
    out.ipVersion[r] = keys[k + K_PROTO] >>> 8;
    out.startUs[r] = st[o + T_FIRST];
    out.lastUs[r] = st[o + T_LAST];
    out.endReason[r] = reason;
    out.signatures[r] = flowSignatures(st[o + TELLS]);
    this.endCounts[reason]++;
    this.summary.flowsWritten++;
    this.computeFeatures(st, o, out.features, r * NUM_FEATURES, keys[k + K_PROTO] & 0xff);
  }

  /** Canonical feature row from the running aggregates (§6). */
  private computeFeatures(st: Float64Array, o: number, f: Float64Array, r: number, proto: number): void {
    const nf = st[o + N_FWD], nb = st[o + N_BWD], n = nf + nb;
    const dur = st[o + T_LAST] - st[o + T_FIRST];
    const fb = st[o + FWD_BYTES], bb = st[o + BWD_BYTES];
    f[r + F.flow_duration] = dur;
    f[r + F.tot_fwd_pkts] = nf;
    f[r + F.tot_bwd_pkts] = nb;
    f[r + F.totlen_fwd_pkts] = fb;
    f[r + F.totlen_bwd_pkts] = bb;
    statOut(st, o + S_FWD_LEN, nf, f, r + F.fwd_pkt_len_max);
    statOut(st, o + S_BWD_LEN, nb, f, r + F.bwd_pkt_len_max);
    const secs = dur / 1e6;
    if (dur === 0) {
      if (this.rateMinusOne) { f[r + F.flow_byts_s] = -1; f[r + F.flow_pkts_s] = -1; }
      else { f[r + F.flow_byts_s] = (fb + bb) / 0; f[r + F.flow_pkts_s] = n / 0; }
      f[r + F.fwd_pkts_s] = 0;
      f[r + F.bwd_pkts_s] = 0;
    } else {
      f[r + F.flow_byts_s] = (fb + bb) / secs;
      f[r + F.flow_pkts_s] = n / secs;
      f[r + F.fwd_pkts_s] = nf / secs;
      f[r + F.bwd_pkts_s] = nb / secs;
    }
    // Flow IAT: mean/std/max/min (no total); 0 when there is none.
    {
      const m = n - 1;
      const b0 = o + S_FLOW_IAT;
      if (m >= 1) {
        f[r + F.flow_iat_mean] = st[b0 + ST_K] + st[b0 + ST_S] / m;
        f[r + F.flow_iat_std] = stdOf(st, b0, m);
        f[r + F.flow_iat_max] = st[b0 + ST_MAX];
        f[r + F.flow_iat_min] = st[b0 + ST_MIN];
      } else {
        f[r + F.flow_iat_mean] = 0; f[r + F.flow_iat_std] = 0; f[r + F.flow_iat_max] = 0; f[r + F.flow_iat_min] = 0;
      }
    }
    iatOut(st, o + S_FWD_IAT, nf - 1, f, r + F.fwd_iat_tot);
    iatOut(st, o + S_BWD_IAT, nb - 1, f, r + F.bwd_iat_tot);
    f[r + F.fwd_psh_flags] = st[o + FWD_PSH];
    f[r + F.bwd_psh_flags] = st[o + BWD_PSH];
    f[r + F.fwd_urg_flags] = st[o + FWD_URG];
    f[r + F.bwd_urg_flags] = st[o + BWD_URG];
    f[r + F.fwd_rst_flags] = st[o + FWD_RST];
    f[r + F.bwd_rst_flags] = st[o + BWD_RST];
    f[r + F.fwd_header_len] = st[o + FWD_HDR];
    f[r + F.bwd_header_len] = st[o + BWD_HDR];
    {
      const nl = st[o + N_ALL_LEN];
      const b0 = o + S_ALL_LEN;
      if (nl >= 1) {
        f[r + F.pkt_len_min] = st[b0 + ST_MIN];
        f[r + F.pkt_len_max] = st[b0 + ST_MAX];
        f[r + F.pkt_len_mean] = st[b0 + ST_K] + st[b0 + ST_S] / nl;
        const v = varOf(st, b0, nl);
        f[r + F.pkt_len_std] = Math.sqrt(v);
        f[r + F.pkt_len_var] = v;
        // Average Packet Size = sum of the same statistic / real packet count (§6.5).
        f[r + F.pkt_size_avg] = n > 0 ? (st[b0 + ST_K] * nl + st[b0 + ST_S]) / n : 0;
      } else {
        f[r + F.pkt_len_min] = 0; f[r + F.pkt_len_max] = 0; f[r + F.pkt_len_mean] = 0;
        f[r + F.pkt_len_std] = 0; f[r + F.pkt_len_var] = 0; f[r + F.pkt_size_avg] = 0;
      }
    }
    f[r + F.fin_flag_cnt] = st[o + FLAG_BASE];
    f[r + F.syn_flag_cnt] = st[o + FLAG_BASE + 1];
    f[r + F.rst_flag_cnt] = st[o + FLAG_BASE + 2];
    f[r + F.psh_flag_cnt] = st[o + FLAG_BASE + 3];
    f[r + F.ack_flag_cnt] = st[o + FLAG_BASE + 4];
    f[r + F.urg_flag_cnt] = st[o + FLAG_BASE + 5];
    f[r + F.cwr_flag_cnt] = st[o + FLAG_BASE + 6];
    f[r + F.ece_flag_cnt] = st[o + FLAG_BASE + 7];
    f[r + F.down_up_ratio] = nf > 0 ? (this.downUpInt ? Math.floor(nb / nf) : nb / nf) : 0;
    f[r + F.fwd_seg_size_avg] = nf > 0 ? fb / nf : 0;
    f[r + F.bwd_seg_size_avg] = nb > 0 ? bb / nb : 0;
    const intBulk = this.bulkMode === 2;
    bulkOut(st, o + BULK_FWD, f, r + F.fwd_byts_b_avg, intBulk);
    bulkOut(st, o + BULK_BWD, f, r + F.bwd_byts_b_avg, intBulk);
    const sm = this.subflowMode;
    if (sm === 0) {
      f[r + F.subflow_fwd_pkts] = nf; f[r + F.subflow_fwd_byts] = fb;
      f[r + F.subflow_bwd_pkts] = nb; f[r + F.subflow_bwd_byts] = bb;
    } else {
      const sf = st[o + SF_COUNT];
      const fl = sm === 1;
      f[r + F.subflow_fwd_pkts] = sf > 0 ? (fl ? Math.floor(nf / sf) : nf / sf) : 0;
      f[r + F.subflow_fwd_byts] = sf > 0 ? (fl ? Math.floor(fb / sf) : fb / sf) : 0;
      f[r + F.subflow_bwd_pkts] = sf > 0 ? (fl ? Math.floor(nb / sf) : nb / sf) : 0;
      f[r + F.subflow_bwd_byts] = sf > 0 ? (fl ? Math.floor(bb / sf) : bb / sf) : 0;
    }
    f[r + F.init_fwd_win_byts] = st[o + INIT_WIN_FWD];
    f[r + F.init_bwd_win_byts] = st[o + INIT_WIN_BWD];
    f[r + F.fwd_act_data_pkts] = st[o + ACT_FWD];
    f[r + F.bwd_act_data_pkts] = st[o + ACT_BWD];
    f[r + F.fwd_seg_size_min] = st[o + SEG_MIN_FWD];
    f[r + F.bwd_seg_size_min] = st[o + SEG_MIN_BWD];
    periodOut(st, o + S_ACTIVE, st[o + N_ACTIVE], f, r + F.active_mean);
    periodOut(st, o + S_IDLE, st[o + N_IDLE], f, r + F.idle_mean);
    f[r + F.icmp_code] = st[o + ICMP_CODE];
    f[r + F.icmp_type] = st[o + ICMP_TYPE];
    f[r + F.fwd_tcp_retrans_cnt] = st[o + RETX_FWD];
    f[r + F.bwd_tcp_retrans_cnt] = st[o + RETX_BWD];
    f[r + F.tot_tcp_retrans_cnt] = st[o + RETX_FWD] + st[o + RETX_BWD];
    f[r + F.total_connection_flow_time] = proto === 6 || proto === 17 ? dur : 0;
  }

  /** Hand the current output batch to the consumer (if it has rows) and start a new one. */
  deliver(): void {
    const out = this.out;
    if (out.count === 0) return;
    const reused = this.pool.pop();
    if (reused) { reused.count = 0; this.out = reused; } else this.out = allocFlowBatch(this.profile.name, this.o.batchSize);
    this.syncReasons();
    this.o.onBatch(out);
  }

  /**
   * Give a delivered batch back for reuse (optional). Only for consumers that are completely done with
   * it (e.g. after writing its CSV text): reusing memory avoids page-faulting fresh buffers per batch.
   */
  release(b: FlowBatch): void {
    if (b.features.length === this.o.batchSize * NUM_FEATURES && b.profile === this.profile.name && this.pool.length < 4 && b !== this.out) {
      this.pool.push(b);
    }
  }

  private syncReasons(): void {
    END_REASON_NAMES.forEach((nm, j) => { this.summary.endReasons[nm] = this.endCounts[j]; });
  }

  /**
   * Write every flow whose last packet is older than `nowUs − idleTimeout` (END_IDLE). Offline the
   * clock is packet time (lastPacketUs), live it is the wall clock. Flows silent for longer than the
   * flow timeout can only end by timeout in the reference tools, so offline results do not change.
   */
  sweep(nowUs: number): number {
    const limit = nowUs - this.o.idleTimeoutUs;
    let n = 0;
    let s = this.head;
    while (s >= 0) {
      const nx = this.next[s];
      const st = this.pages[s >>> PAGE_BITS];
      const o = (s & PAGE_MASK) * NS;
      // The list is in order of flow start (restarts move to the young end), so once flows started
      // after the limit, none of the rest can have been silent that long.
      if (st[o + T_FIRST] >= limit) break;
      if (st[o + T_LAST] < limit) { this.finish(s, END_IDLE, true); n++; }
      s = nx;
    }
    this.summary.openFlows = this.open;
    return n;
  }

  /** Write every open flow (end of input), oldest first, then deliver the partial batch. */
  flush(): void {
    while (this.head >= 0) this.finish(this.head, END_EOF, true);
    this.summary.openFlows = 0;
    this.deliver();
    this.syncReasons();
  }

  /**
   * Table full: end the oldest flow, with a second chance (CLOCK): a flow that received a packet since
   * it was last considered is moved to the young end instead, so a flood of one-packet flows cannot
   * push out a busy real connection. At most 64 flows are skipped per eviction.
   */
  private evictOne(): void {
    for (let tries = 0; tries < 64 && this.head >= 0 && this.head !== this.tail; tries++) {
      const s = this.head;
      const st = this.pages[s >>> PAGE_BITS];
      const o = (s & PAGE_MASK) * NS;
      if (st[o + REFERENCED] === 0) break;
      st[o + REFERENCED] = 0;
      this.listRemove(s);
      this.listAppend(s);
    }
    if (this.head >= 0) this.finish(this.head, END_EVICTED, true);
  }

  // ------------------------------------------------------------------ slots, lists, hash

  private allocSlot(): number {
    if (this.freeCount > 0) return this.freeList[--this.freeCount];
    if (this.used === this.capacity) this.grow();
    return this.used++;
  }

  private grow(): void {
    const cap = this.capacity === 0 ? 1024 : Math.min(this.capacity * 2, Math.ceil(this.o.maxFlows / PAGE) * PAGE + PAGE);
    const pagesNeeded = Math.ceil(cap / PAGE);
    while (this.pages.length < pagesNeeded) this.pages.push(new Float64Array(PAGE * NS));
    const grow32 = (a: Uint32Array, w: number) => { const b = new Uint32Array(cap * w); b.set(a); return b; };
    const growI = (a: Int32Array, w: number) => { const b = new Int32Array(cap * w); b.set(a); return b; };
    this.keys = grow32(this.keys, KW);
    if (this.retx) this.retxRing = grow32(this.retxRing, RETX_WORDS);
    this.prev = growI(this.prev, 1);
    this.next = growI(this.next, 1);
    this.freeList = growI(this.freeList, 1);
    this.capacity = cap;
    // keep the hash at most half full
    if (cap * 2 > this.hashTab.length) this.rehash(1 << Math.ceil(Math.log2(cap * 2)));
  }

  private rehash(size: number): void {
    const tab = new Int32Array(size);
    const mask = size - 1;
    for (let s = this.head; s >= 0; s = this.next[s]) {
      let idx = this.keys[s * KW + K_HASH] & mask;
      while (tab[idx] !== 0) idx = (idx + 1) & mask;
      tab[idx] = s + 1;
    }
    this.hashTab = tab;
    this.hashMask = mask;
  }

  private hashInsert(slot: number, h: number): void {
    const tab = this.hashTab;
    const mask = this.hashMask;
    let idx = h & mask;
    while (tab[idx] !== 0) idx = (idx + 1) & mask;
    tab[idx] = slot + 1;
  }

  private removeSlot(slot: number): void {
    // backward-shift deletion keeps linear probing free of tombstones
    const tab = this.hashTab;
    const mask = this.hashMask;
    const keys = this.keys;
    let i = keys[slot * KW + K_HASH] & mask;
    while (tab[i] !== slot + 1) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const e = tab[j];
      if (e === 0) break;
      const home = keys[(e - 1) * KW + K_HASH] & mask;
      const stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (stays) continue;
      tab[i] = e;
      i = j;
    }
    tab[i] = 0;
    this.listRemove(slot);
    if (this.retx) this.retxRing.fill(0, slot * RETX_WORDS, slot * RETX_WORDS + RETX_WORDS);
    this.freeList[this.freeCount++] = slot;
    this.open--;
  }

  private listAppend(s: number): void {
    this.prev[s] = this.tail;
    this.next[s] = -1;
    if (this.tail >= 0) this.next[this.tail] = s; else this.head = s;
    this.tail = s;
  }

  private listRemove(s: number): void {
    const p = this.prev[s], n = this.next[s];
    if (p >= 0) this.next[p] = n; else this.head = n;
    if (n >= 0) this.prev[n] = p; else this.tail = p;
  }
}

// ---------------------------------------------------------------------- statistics helpers

/** Add x as the n-th value (n ≥ 1) of the statistic at b. Shifted sums keep the variance exact for equal values. */
function statAdd(st: Float64Array, b: number, n: number, x: number): void {
  if (n === 1) {
    st[b + ST_K] = x; st[b + ST_S] = 0; st[b + ST_SS] = 0; st[b + ST_MIN] = x; st[b + ST_MAX] = x;
    return;
  }
  const d = x - st[b + ST_K];
  st[b + ST_S] += d;
  st[b + ST_SS] += d * d;
  if (x < st[b + ST_MIN]) st[b + ST_MIN] = x;
  if (x > st[b + ST_MAX]) st[b + ST_MAX] = x;
}

/** Sample variance (n−1), 0 for n ≤ 1, as commons-math SummaryStatistics. */
function varOf(st: Float64Array, b: number, n: number): number {
  if (n <= 1) return 0;
  const s = st[b + ST_S];
  const v = (st[b + ST_SS] - (s * s) / n) / (n - 1);
  return v > 0 ? v : 0;
}
function stdOf(st: Float64Array, b: number, n: number): number { return Math.sqrt(varOf(st, b, n)); }

/** max, min, mean, std of a length statistic; all 0 for an empty direction. */
function statOut(st: Float64Array, b: number, n: number, f: Float64Array, r: number): void {
  if (n < 1) { f[r] = 0; f[r + 1] = 0; f[r + 2] = 0; f[r + 3] = 0; return; }
  f[r] = st[b + ST_MAX];
  f[r + 1] = st[b + ST_MIN];
  f[r + 2] = st[b + ST_K] + st[b + ST_S] / n;
  f[r + 3] = stdOf(st, b, n);
}

/** total, mean, std, max, min of a per-direction IAT statistic (0 when the direction has ≤ 1 packet). */
function iatOut(st: Float64Array, b: number, n: number, f: Float64Array, r: number): void {
  if (n < 1) { f[r] = 0; f[r + 1] = 0; f[r + 2] = 0; f[r + 3] = 0; f[r + 4] = 0; return; }
  const total = st[b + ST_K] * n + st[b + ST_S];
  f[r] = total;
  f[r + 1] = total / n;
  f[r + 2] = stdOf(st, b, n);
  f[r + 3] = st[b + ST_MAX];
  f[r + 4] = st[b + ST_MIN];
}

/** mean, std, max, min of active or idle periods (0 when none). */
function periodOut(st: Float64Array, b: number, n: number, f: Float64Array, r: number): void {
  if (n < 1) { f[r] = 0; f[r + 1] = 0; f[r + 2] = 0; f[r + 3] = 0; return; }
  f[r] = st[b + ST_K] + st[b + ST_S] / n;
  f[r + 1] = stdOf(st, b, n);
  f[r + 2] = st[b + ST_MAX];
  f[r + 3] = st[b + ST_MIN];
}

/** CIC bulk state machine for one direction (§6.12): runs of ≥ 4 payload packets, gaps ≤ 1 s. */
function bulkAdd(st: Float64Array, b: number, otherLast: number, ts: number, size: number): void {
  if (otherLast > st[b + B_START]) st[b + B_START] = 0;
  if (size <= 0) return;
  if (st[b + B_START] === 0 || ts - st[b + B_LAST] > BULK_GAP_US) {
    st[b + B_START] = ts; st[b + B_LAST] = ts; st[b + B_CNT_H] = 1; st[b + B_SIZE_H] = size;
    return;
  }
  const c = st[b + B_CNT_H] + 1;
  st[b + B_CNT_H] = c;
  st[b + B_SIZE_H] += size;
  if (c === 4) {
    st[b + B_STATES] += 1; st[b + B_PKTS] += c; st[b + B_BYTES] += st[b + B_SIZE_H]; st[b + B_DUR] += ts - st[b + B_START];
  } else if (c > 4) {
    st[b + B_PKTS] += 1; st[b + B_BYTES] += size; st[b + B_DUR] += ts - st[b + B_LAST];
  }
  st[b + B_LAST] = ts;
}

/** Avg bytes/bulk, packets/bulk, bulk rate (bytes/s); J-master prints Java longs (integer division). */
function bulkOut(st: Float64Array, b: number, f: Float64Array, r: number, integer: boolean): void {
  const states = st[b + B_STATES];
  if (states <= 0) { f[r] = 0; f[r + 1] = 0; f[r + 2] = 0; return; }
  const bytes = st[b + B_BYTES], pkts = st[b + B_PKTS], dur = st[b + B_DUR];
  const rate = dur > 0 ? bytes / (dur / 1e6) : 0;
  if (integer) { f[r] = Math.floor(bytes / states); f[r + 1] = Math.floor(pkts / states); f[r + 2] = Math.trunc(rate); }
  else { f[r] = bytes / states; f[r + 1] = pkts / states; f[r + 2] = rate; }
}

// ---------------------------------------------------------------------- JIT priming

const primedProfiles = new WeakSet<FlowProfile>();

/**
 * Run a few dozen synthetic packets through a throwaway engine of the same profile, once per profile and
 * process. It only fills the type feedback of every branch of the per-packet path (both directions, FIN,
 * RST, SYN reuse, timeouts, activity gaps, bulks, retransmissions, ICMP, UDP, IPv6, eviction, rows):
 * without it the optimising compiler sees branches the first real packets have not taken yet, and the
 * first FIN, timeout or finished flow throws the optimised code away (measured: several deopt and
 * recompile rounds of push/addPacket in the first 0.2 s of a fresh process). Nothing of it is kept.
 */
function primeEngine(opts: EngineOptions): void {
  const e = new FlowEngine({ ...opts, maxFlows: 6, batchSize: 4, onBatch: () => { /* discarded */ } });
  const b = allocBatch(64);
  let n = 0;
  const T0 = 1.6e15;
  const add = (dt: number, v: number, pr: number, src: number, dst: number, sp: number, dp: number, tf: number, len: number, fl = 0): void => {
    const i = n++;
    b.tsUs[i] = T0 + dt; b.ipVersion[i] = v; b.proto[i] = pr; b.flags[i] = fl;
    b.srcAddr[i * 4] = src; b.dstAddr[i * 4] = dst;
    if (v === 6) { b.srcAddr[i * 4 + 3] = 1; b.dstAddr[i * 4 + 3] = 2; }
    b.srcPort[i] = sp; b.dstPort[i] = dp; b.tcpFlags[i] = tf; b.tcpWindow[i] = 1000 + i;
    b.tcpSeq[i] = 100 + (i >> 1); b.tcpAck[i] = 7; b.payloadLen[i] = len;
    b.l4HeaderLen[i] = pr === 6 ? 20 : pr === 0 ? 0 : 8; b.ipHeaderLen[i] = v === 6 ? 40 : 20;
    b.ipTotalLen[i] = b.ipHeaderLen[i] + b.l4HeaderLen[i] + len;
    b.wireLen[i] = b.ipTotalLen[i] + 14; b.capLen[i] = len > 100 ? b.wireLen[i] - 50 : b.wireLen[i];
    b.icmpType[i] = pr === 1 ? 8 : 0;
  };
  const A = 0x0a000001, B = 0x0a000002;
  const S = TCP_SYN, SA = TCP_SYN | TCP_ACK, AK = TCP_ACK, PA = TCP_PSH | TCP_ACK;
  add(0, 4, 6, A, B, 1000, 80, S, 0);
  add(1e3, 4, 6, B, A, 80, 1000, SA, 0);
  add(2e3, 4, 6, A, B, 1000, 80, AK, 0);
  for (let k = 0; k < 5; k++) add(3e3 + k, 4, 6, A, B, 1000, 80, PA, 200);
  for (let k = 0; k < 5; k++) add(4e3 + k, 4, 6, B, A, 80, 1000, PA | TCP_URG | TCP_CWR | TCP_ECE, 300);
  add(4e3 + 9, 4, 6, B, A, 80, 1000, PA, 300); // retransmission
  add(7e6, 4, 6, A, B, 1000, 80, PA, 10); // after an activity gap
  add(7e6 + 1, 4, 6, A, B, 1000, 80, TCP_FIN | AK, 0);
  add(7e6 + 2, 4, 6, B, A, 80, 1000, TCP_FIN | AK, 0);
  add(7e6 + 3, 4, 6, B, A, 80, 1000, TCP_RST, 0);
  add(7e6 + 4, 4, 6, A, B, 1000, 80, S, 0); // port reuse after FIN/RST
  add(7e6 + 5, 4, 6, A, B, 1001, 80, TCP_RST | AK, 0);
  add(7e6 + 6, 4, 6, B, A, 81, 1002, SA, 0); // starts with a SYN-ACK
  add(7e6 + 7, 4, 6, A, B, 1002, 81, AK, 5);
  add(7e6 + 8, 4, 17, A, B, 5353, 53, 0, 40);
  add(7e6 + 9, 4, 17, B, A, 53, 5353, 0, 80);
  add(7e6 + 10, 4, 1, A, B, 0, 0, 0, 56);
  add(7e6 + 11, 4, 47, A, B, 0, 0, 0, 30);
  add(7e6 + 12, 4, 17, A, B, 0, 0, 0, 500, PKT_L4_ABSENT);
  add(7e6 + 13, 6, 6, A, B, 2000, 443, S, 0);
  add(7e6 + 14, 6, 6, B, A, 443, 2000, SA, 0);
  add(7e6 + 15, 4, 6, A, A, 3000, 3001, S, 0); // same host
  add(7e6 + 16, 4, 6, A, A, 3001, 3000, SA, 0);
  add(7e6 + 17, 0, 0, 0, 0, 0, 0, 0, 0); // not IP
  for (let k = 0; k < 6; k++) add(7e6 + 20 + k, 4, 17, A + 10 + k, B, 4000 + k, 53, 0, 20); // fills the table: evictions
  add(200e6, 4, 17, A, B, 5353, 53, 0, 40); // after the flow timeout
  add(200e6 + 1, 4, 17, B, A, 53, 5353, 0, 40);
  b.count = n;
  e.push(b);
  for (let i = 0; i < n; i++) b.tsUs[i] += 500e6;
  e.push(b); // again, later: open flows restart by timeout
  e.sweep(T0 + 900e6);
  e.push(b);
  e.flush();
}

export { END_EOF, END_FIN, END_RST, END_TIMEOUT, END_IDLE, END_EVICTED, END_SYN };
