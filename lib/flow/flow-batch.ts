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
  /** Payload signatures of the flow (SIG_* bits of lib/capture/payload-tells.ts; 0 = none). */
  signatures: Uint8Array;
}

export function allocFlowBatch(profile: string, capacity: number): FlowBatch {
  // One ArrayBuffer for every column (one allocation per batch; one buffer to transfer to/from a worker),
  // widest element type first so every view is aligned.
  const n = capacity;
  const ab = new ArrayBuffer(n * (8 * (NUM_FEATURES + 2) + 4 * 8 + 2 * 2 + 4));
  let at = 0;
  const take = <T>(Ctor: new (b: ArrayBuffer, o: number, l: number) => T, len: number, width: number): T => {
    const v = new Ctor(ab, at, len);
    at += len * width;
    return v;
  };
  return {
    profile,
    count: 0,
    features: take(Float64Array, n * NUM_FEATURES, 8),
    startUs: take(Float64Array, n, 8),
    lastUs: take(Float64Array, n, 8),
    srcAddr: take(Uint32Array, n * 4, 4),
    dstAddr: take(Uint32Array, n * 4, 4),
    srcPort: take(Uint16Array, n, 2),
    dstPort: take(Uint16Array, n, 2),
    protocol: take(Uint8Array, n, 1),
    ipVersion: take(Uint8Array, n, 1),
    endReason: take(Uint8Array, n, 1),
    signatures: take(Uint8Array, n, 1),
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
    signatures: b.signatures.slice(0, n),
  };
}
