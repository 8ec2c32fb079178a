/** Test helpers for the capture reader: read a whole capture, turn batch rows into plain objects. */
import path from 'node:path';
import fs from 'node:fs';
import type { PacketBatch } from '../../lib/capture/packet-batch.js';
import { CaptureReader, type CaptureReaderOptions } from '../../lib/capture/reader.js';
import type { CaptureStats } from '../../lib/capture/stats.js';

export const FIXTURES = path.resolve(__dirname, '../fixtures/capture');
export const SHARED = path.resolve(__dirname, '../../../shared');
export const fixture = (name: string): string => path.join(FIXTURES, name);
export const sharedAvailable = (): boolean => fs.existsSync(path.join(SHARED, 'data', 'pcaps'));

export function ipv4(x: number): string {
  return `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;
}

/** RFC 5952 text form (longest run of ≥ 2 zero groups compressed). */
export function ipv6(words: Uint32Array, o: number): string {
  const g: number[] = [];
  for (let k = 0; k < 4; k++) g.push(words[o + k] >>> 16, words[o + k] & 0xffff);
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export interface Row {
  tsUs: number; capLen: number; wireLen: number; iface: number; ipVersion: number; proto: number;
  src: string; dst: string; srcPort: number; dstPort: number; icmpType: number; icmpCode: number;
  tcpFlags: number; tcpWindow: number; tcpSeq: number; tcpAck: number; ipHeaderLen: number; ipTotalLen: number;
  l4HeaderLen: number; payloadLen: number; ttl: number; ipId: number; fragOffset: number; flags: number; vlanId: number;
}

export function row(b: PacketBatch, i: number): Row {
  const v = b.ipVersion[i];
  const addr = (w: Uint32Array): string => (v === 4 ? ipv4(w[i * 4]) : v === 6 ? ipv6(w, i * 4) : '');
  return {
    tsUs: b.tsUs[i], capLen: b.capLen[i], wireLen: b.wireLen[i], iface: b.iface[i], ipVersion: v, proto: b.proto[i],
    src: addr(b.srcAddr), dst: addr(b.dstAddr), srcPort: b.srcPort[i], dstPort: b.dstPort[i],
    icmpType: b.icmpType[i], icmpCode: b.icmpCode[i], tcpFlags: b.tcpFlags[i], tcpWindow: b.tcpWindow[i],
    tcpSeq: b.tcpSeq[i], tcpAck: b.tcpAck[i], ipHeaderLen: b.ipHeaderLen[i], ipTotalLen: b.ipTotalLen[i],
    l4HeaderLen: b.l4HeaderLen[i], payloadLen: b.payloadLen[i], ttl: b.ttl[i], ipId: b.ipId[i],
    fragOffset: b.fragOffset[i], flags: b.flags[i], vlanId: b.vlanId[i],
  };
}

export interface ReadResult {
  rows: Row[];
  batches: PacketBatch[];
  stats: CaptureStats;
  error: Error | null;
}

/** Read everything, keeping the error (if any) instead of throwing. */
export async function readAll(source: string | NodeJS.ReadableStream, opts: CaptureReaderOptions = {}): Promise<ReadResult> {
  const reader = new CaptureReader(source, opts);
  const rows: Row[] = [];
  const batches: PacketBatch[] = [];
  let error: Error | null = null;
  try {
    for await (const b of reader) {
      batches.push(b);
      for (let i = 0; i < b.count; i++) rows.push(row(b, i));
    }
  } catch (err) {
    error = err as Error;
  }
  return { rows, batches, stats: reader.stats, error };
}

/** Only the fields a test names, for compact exact comparisons. */
export function pick<K extends keyof Row>(r: Row, keys: K[]): Pick<Row, K> {
  const out = {} as Pick<Row, K>;
  for (const k of keys) out[k] = r[k];
  return out;
}
