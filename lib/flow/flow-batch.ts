import { NUM_FEATURES } from './features.js';

/** Why a flow was written. */
export const END_EOF = 0;      // end of input / flush()
export const END_FIN = 1;      // TCP FIN rule of the profile
export const END_RST = 2;      // TCP RST rule of the profile
export const END_TIMEOUT = 3;  // a packet arrived after the flow timeout (flow restarted)
export const END_IDLE = 4;     // idle sweeper (packet time offline, wall clock live)
export const END_EVICTED = 5;  // the table was full and this was the oldest flow
export const END_SYN = 6;      // J-engelen: SYN on a FIN/RST-marked flow (port reuse)
export const END_REASON_NAMES = ['eof', 'fin', 'rst', 'timeout', 'idle', 'evicted', 'syn'] as const;
export type EndReasonName = (typeof END_REASON_NAMES)[number];

/**
 * Finished flows in structure-of-arrays form: `features` holds `count` rows of NUM_FEATURES
 * canonical values (features.ts order; time spans in µs). Identity columns sit beside it.
 * Owned by the receiver once emitted (the meter never reuses a batch).
 */
export interface FlowBatch {
  /** Profile name the values were computed with. */
  profile: string;
  count: number;
  /** count × NUM_FEATURES, row-major. */
  features: Float64Array;
  /** Flow source / destination address, 4 words per flow (IPv4: word 0). Source = the flow's forward side. */
  srcAddr: Uint32Array;
  dstAddr: Uint32Array;
  srcPort: Uint16Array;
  dstPort: Uint16Array;
  /** Protocol as the profile reports it (0 for "other" in the CIC profiles). */
  protocol: Uint8Array;
  ipVersion: Uint8Array;
  /** First and last packet time (µs since the epoch). */
  startUs: Float64Array;
  lastUs: Float64Array;
  /** END_* code. */
  endReason: Uint8Array;
}

export function allocFlowBatch(profile: string, capacity: number): FlowBatch {
  return {
    profile,
    count: 0,
    features: new Float64Array(capacity * NUM_FEATURES),
    srcAddr: new Uint32Array(capacity * 4),
    dstAddr: new Uint32Array(capacity * 4),
    srcPort: new Uint16Array(capacity),
    dstPort: new Uint16Array(capacity),
    protocol: new Uint8Array(capacity),
    ipVersion: new Uint8Array(capacity),
    startUs: new Float64Array(capacity),
    lastUs: new Float64Array(capacity),
    endReason: new Uint8Array(capacity),
  };
}

/** A copy trimmed to `count` rows (so a partly filled batch does not pin its full capacity). */
export function trimFlowBatch(b: FlowBatch): FlowBatch {
  const n = b.count;
  return {
    profile: b.profile,
    count: n,
    features: b.features.slice(0, n * NUM_FEATURES),
    srcAddr: b.srcAddr.slice(0, n * 4),
    dstAddr: b.dstAddr.slice(0, n * 4),
    srcPort: b.srcPort.slice(0, n),
    dstPort: b.dstPort.slice(0, n),
    protocol: b.protocol.slice(0, n),
    ipVersion: b.ipVersion.slice(0, n),
    startUs: b.startUs.slice(0, n),
    lastUs: b.lastUs.slice(0, n),
    endReason: b.endReason.slice(0, n),
  };
}
