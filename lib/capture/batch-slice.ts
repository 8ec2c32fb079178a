import type { PacketBatch } from './packet-batch.js';

/**
 * Rows [from, to) of `b` as a new batch whose arrays are views on the same memory (no copy).
 * Used by paced replay to send a batch in time-ordered pieces; batches are immutable once
 * emitted, so sharing the memory is safe.
 */
export function sliceBatch(b: PacketBatch, from: number, to: number): PacketBatch {
  const out = { count: to - from, linkTypes: b.linkTypes } as PacketBatch;
  for (const key of Object.keys(b) as Array<keyof PacketBatch>) {
    const v = b[key];
    if (ArrayBuffer.isView(v)) {
      const per = key === 'srcAddr' || key === 'dstAddr' ? 4 : 1; // 4 address words per packet
      (out as unknown as Record<string, unknown>)[key] = (v as Uint32Array).subarray(from * per, to * per);
    }
  }
  return out;
}
