import type { PacketBatch } from './packet-batch.js';

/**
 * A new zero-filled batch with room for `capacity` packets. All arrays are views on one
 * ArrayBuffer (one allocation per batch, none per packet); zero is the "absent" value of
 * every field, so the decoder only writes what it finds.
 */
export function allocBatch(capacity: number, linkTypes: number[] = []): PacketBatch {
  const n = capacity;
  // Bytes per packet, laid out widest first so every view is aligned.
  const bytes = n * (8 + 4 * 4 * 2 + 4 * 9 + 2 * 8 + 1 * 6);
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
  const ipVersion = take(Uint8Array, 1, 1);
  const proto = take(Uint8Array, 1, 1);
  const icmpType = take(Uint8Array, 1, 1);
  const icmpCode = take(Uint8Array, 1, 1);
  const ttl = take(Uint8Array, 1, 1);
  const flags = take(Uint8Array, 1, 1);
  return {
    count: 0, tsUs, wireLen, capLen, iface, ipVersion, proto, srcAddr, dstAddr, srcPort, dstPort,
    icmpType, icmpCode, tcpFlags, tcpWindow, tcpSeq, tcpAck, ipHeaderLen, ipTotalLen, l4HeaderLen,
    payloadLen, ttl, ipId, fragOffset, flags, vlanId, linkTypes,
  };
}
