import type { PacketBatch } from './packet-batch.js';

/**
 * A new zero-filled batch with room for `capacity` packets. All arrays are views on one
 * ArrayBuffer (one allocation per batch, none per packet); zero is the "absent" value of
 * every field, so the decoder only writes what it finds.
 */
export function allocBatch(capacity: number, linkTypes: number[] = []): PacketBatch {
  const n = capacity;
  // Bytes per packet, laid out widest first so every view is aligned.
  const bytes = n * (8 + 4 * 4 * 2 + 4 * 9 + 2 * 9 + 1 * 6);
  const ab = new ArrayBuffer(bytes);
  let at = 0;
  const take = <T>(Ctor: new (b: ArrayBuffer, o: number, l: number) => T, each: number, width: number): T => {
    const view = new Ctor(ab, at, n * each);
    at += n * each * width;
    return view;
  };
  const tsUs = take(Float64Array, 1, 8);
  const srcAddr = take(Uint32Array, 4, 4);
  const dstAddr = take(Uint32Array, 4, 4);
  const wireLen = take(Uint32Array, 1, 4);
  const capLen = take(Uint32Array, 1, 4);
  const tcpSeq = take(Uint32Array, 1, 4);
  const tcpAck = take(Uint32Array, 1, 4);
  const ipTotalLen = take(Uint32Array, 1, 4);
  const payloadLen = take(Uint32Array, 1, 4);
  const ipId = take(Uint32Array, 1, 4);
  const fragOffset = take(Uint32Array, 1, 4);
  take(Uint32Array, 1, 4); // spare word keeps the 2-byte block aligned if a 4-byte field is added
  const iface = take(Uint16Array, 1, 2);
  const srcPort = take(Uint16Array, 1, 2);
  const dstPort = take(Uint16Array, 1, 2);
  const tcpFlags = take(Uint16Array, 1, 2);
  const tcpWindow = take(Uint16Array, 1, 2);
  const ipHeaderLen = take(Uint16Array, 1, 2);
  const l4HeaderLen = take(Uint16Array, 1, 2);
  const vlanId = take(Uint16Array, 1, 2);
  const tells = take(Uint16Array, 1, 2);
  const ipVersion = take(Uint8Array, 1, 1);
  const proto = take(Uint8Array, 1, 1);
  const icmpType = take(Uint8Array, 1, 1);
  const icmpCode = take(Uint8Array, 1, 1);
  const ttl = take(Uint8Array, 1, 1);
  const flags = take(Uint8Array, 1, 1);
  return {
    count: 0, tsUs, wireLen, capLen, iface, ipVersion, proto, srcAddr, dstAddr, srcPort, dstPort,
    icmpType, icmpCode, tcpFlags, tcpWindow, tcpSeq, tcpAck, ipHeaderLen, ipTotalLen, l4HeaderLen,
    payloadLen, ttl, ipId, fragOffset, flags, vlanId, tells, linkTypes,
  };
}

type ArrayField = Exclude<keyof PacketBatch, 'count' | 'linkTypes'>;
/** Every per-packet array of a batch, with its elements per packet. */
const FIELDS: [ArrayField, number][] = [
  ['tsUs', 1], ['srcAddr', 4], ['dstAddr', 4], ['wireLen', 1], ['capLen', 1], ['tcpSeq', 1], ['tcpAck', 1],
  ['ipTotalLen', 1], ['payloadLen', 1], ['ipId', 1], ['fragOffset', 1], ['iface', 1], ['srcPort', 1],
  ['dstPort', 1], ['tcpFlags', 1], ['tcpWindow', 1], ['ipHeaderLen', 1], ['l4HeaderLen', 1], ['vlanId', 1], ['tells', 1],
  ['ipVersion', 1], ['proto', 1], ['icmpType', 1], ['icmpCode', 1], ['ttl', 1], ['flags', 1],
];

/** A right-sized copy of rows [0, n) of `src` (used for short batches, so the big one can be reused). */
export function copyBatchRows(src: PacketBatch, n: number): PacketBatch {
  const out = allocBatch(n, src.linkTypes);
  for (const [key, per] of FIELDS) {
    const from = src[key] as Uint8Array | undefined; // `tells` is optional
    if (from) (out[key] as Uint8Array).set(from.subarray(0, n * per));
  }
  out.count = n;
  return out;
}

/** Zero rows [0, n) so a batch can be filled again (the decoder relies on zeroed rows). */
export function clearBatchRows(b: PacketBatch, n: number): void {
  for (const [key, per] of FIELDS) (b[key] as Uint8Array | undefined)?.fill(0, 0, n * per);
  b.count = 0;
}
