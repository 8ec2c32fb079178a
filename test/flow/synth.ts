/**
 * Synthetic packet batches for flow-meter unit tests: every packet is spelled out as a small
 * object and written straight into a PacketBatch (the reader's contract), so a test states exactly
 * what goes in and asserts exact feature values coming out.
 */
import { allocBatch } from '../../lib/capture/batch-alloc.js';
import {
  PKT_L4_ABSENT, TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG, type PacketBatch,
} from '../../lib/capture/packet-batch.js';
import { Flowmeter, type FlowmeterOptions } from '../../lib/flow/flowmeter.js';
import { toObjects, type FlowObject } from '../../lib/flow/output.js';
import { featureIndex, NUM_FEATURES } from '../../lib/flow/features.js';
import type { FlowBatch } from '../../lib/flow/flow-batch.js';

export interface Pkt {
  /** Seconds (relative to T0). */
  t: number;
  src: string;
  dst: string;
  sp?: number;
  dp?: number;
  /** 'tcp' (default), 'udp', 'icmp', or a protocol number. */
  proto?: 'tcp' | 'udp' | 'icmp' | number;
  /** TCP flags as letters: S A F R P U E C. */
  flags?: string;
  /** L4 payload bytes. */
  len?: number;
  /** TCP header length (default 20; UDP 8). */
  hdr?: number;
  win?: number;
  seq?: number;
  ack?: number;
  icmpType?: number;
  icmpCode?: number;
  /** Non-first IP fragment. */
  fragment?: boolean;
  /** Bytes missing at the end of the frame (snaplen cut). */
  cut?: number;
}

/** A fixed epoch so timestamps print predictably: 2024-01-02 03:04:05 UTC. */
export const T0_US = Date.UTC(2024, 0, 2, 3, 4, 5) * 1000;

const FLAG_BITS: Record<string, number> = { S: TCP_SYN, A: TCP_ACK, F: TCP_FIN, R: TCP_RST, P: TCP_PSH, U: TCP_URG, E: TCP_ECE, C: TCP_CWR };

function addrWords(s: string): number[] {
  if (s.includes(':')) {
    const [a, b] = s.split('::');
    const A = a ? a.split(':') : [];
    const B = b !== undefined && b ? b.split(':') : [];
    const g = b !== undefined ? [...A, ...Array(8 - A.length - B.length).fill('0'), ...B] : A;
    const n = g.map((x) => parseInt(x, 16));
    return [0, 1, 2, 3].map((j) => ((n[2 * j] << 16) | n[2 * j + 1]) >>> 0);
  }
  const p = s.split('.').map(Number);
  return [((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0, 0, 0, 0];
}

export function batch(pkts: Pkt[]): PacketBatch {
  const b = allocBatch(Math.max(1, pkts.length), [1]);
  pkts.forEach((p, i) => {
    const proto = p.proto === undefined || p.proto === 'tcp' ? 6 : p.proto === 'udp' ? 17 : p.proto === 'icmp' ? (p.src.includes(':') ? 58 : 1) : p.proto;
    const v6 = p.src.includes(':');
    const len = p.len ?? 0;
    const hdr = proto === 6 ? p.hdr ?? 20 : proto === 17 || proto === 1 || proto === 58 ? 8 : 0;
    const ipHdr = v6 ? 40 : 20;
    b.tsUs[i] = T0_US + Math.round(p.t * 1e6);
    b.ipVersion[i] = v6 ? 6 : 4;
    b.proto[i] = proto;
    const s = addrWords(p.src), d = addrWords(p.dst);
    for (let j = 0; j < 4; j++) { b.srcAddr[i * 4 + j] = s[j]; b.dstAddr[i * 4 + j] = d[j]; }
    if (proto === 6 || proto === 17) { b.srcPort[i] = p.sp ?? 0; b.dstPort[i] = p.dp ?? 0; }
    if (proto === 1 || proto === 58) { b.icmpType[i] = p.icmpType ?? 8; b.icmpCode[i] = p.icmpCode ?? 0; }
    let f = 0;
    for (const ch of p.flags ?? '') f |= FLAG_BITS[ch] ?? 0;
    b.tcpFlags[i] = proto === 6 ? f : 0;
    b.tcpWindow[i] = proto === 6 ? p.win ?? 0 : 0;
    b.tcpSeq[i] = p.seq ?? 0;
    b.tcpAck[i] = p.ack ?? 0;
    b.ipHeaderLen[i] = ipHdr;
    b.l4HeaderLen[i] = p.fragment ? 0 : hdr;
    b.payloadLen[i] = p.fragment ? 0 : len;
    b.ipTotalLen[i] = ipHdr + (p.fragment ? len : hdr + len);
    b.wireLen[i] = 14 + b.ipTotalLen[i];
    b.capLen[i] = b.wireLen[i] - (p.cut ?? 0);
    b.ttl[i] = 64;
    if (p.fragment) { b.flags[i] = PKT_L4_ABSENT; b.fragOffset[i] = 1480; }
  });
  b.count = pkts.length;
  return b;
}

/** Meter packets (one batch, or several when given nested arrays) and return the flow objects in emission order. */
export function meter(pkts: Pkt[] | Pkt[][], opts: FlowmeterOptions = {}): FlowObject[] {
  const out: FlowObject[] = [];
  const fm = new Flowmeter({ ...opts, onFlows: (b) => { out.push(...toObjects(b, fm.profile, { includeEndReason: true })); } });
  const groups = Array.isArray(pkts[0]) ? (pkts as Pkt[][]) : [pkts as Pkt[]];
  for (const g of groups) fm.push(batch(g));
  fm.close();
  return out;
}

/** Canonical feature values of every flow (µs units), keyed by canonical name. */
export function meterCanonical(pkts: Pkt[], opts: FlowmeterOptions = {}): Array<Record<string, number>> {
  const rows: Array<Record<string, number>> = [];
  const fm = new Flowmeter({
    ...opts,
    onFlows: (b: FlowBatch) => {
      for (let r = 0; r < b.count; r++) {
        const o: Record<string, number> = {};
        for (const n of CANON) o[n] = b.features[r * NUM_FEATURES + featureIndex(n)];
        rows.push(o);
      }
    },
  });
  fm.push(batch(pkts));
  fm.close();
  return rows;
}

import { FEATURE_NAMES } from '../../lib/flow/features.js';
const CANON: readonly string[] = FEATURE_NAMES;

/** A TCP conversation helper: client c:cp talks to server s:sp. */
export function tcp(c: string, cp: number, s: string, sp: number) {
  return {
    c2s: (t: number, flags: string, len = 0, extra: Partial<Pkt> = {}): Pkt => ({ t, src: c, dst: s, sp: cp, dp: sp, flags, len, ...extra }),
    s2c: (t: number, flags: string, len = 0, extra: Partial<Pkt> = {}): Pkt => ({ t, src: s, dst: c, sp, dp: cp, flags, len, ...extra }),
  };
}
