/** Reader section: capture reading with full decoding (link layer → L4 fields into PacketBatches). */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { CaptureReader, readCaptureFileSync } from '../lib/capture/reader.js';
import type { BenchSection } from './harness.js';
import { floorOnce } from './harness.js';

/** The same capture as pcapng (made once with editcap when Wireshark's tools are installed). */
function pcapngTwin(pcap: string): string | null {
  const out = pcap.replace(/\.pcap$/, '') + '.pcapng';
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= fs.statSync(pcap).mtimeMs) return out;
  try {
    execFileSync('editcap', ['-F', 'pcapng', pcap, out], { stdio: 'ignore' });
    return out;
  } catch {
    return null;
  }
}

export const readerSection: BenchSection = {
  name: 'reader',
  describe: 'CaptureReader (async iteration) and readCaptureFileSync, full decode, 1 MiB chunks',
  async run(ctx) {
    let checksum = 0;
    const consume = (b: { count: number; srcPort: Uint16Array; payloadLen: Uint32Array }): void => {
      // Touch decoded fields so nothing is optimised away.
      checksum = (checksum + b.count + b.srcPort[0] + b.payloadLen[b.count - 1]) | 0;
    };
    await ctx.measure('reader', 'CaptureReader for-await (file)', async () => {
      let n = 0;
      for await (const b of new CaptureReader(ctx.pcap)) { n += b.count; consume(b); }
      return n;
    }, () => `RSS ${Math.round(process.memoryUsage().rss / 1048576)} MiB`);
    await ctx.measure('reader', 'readCaptureFileSync (file)', () => {
      let n = 0;
      readCaptureFileSync(ctx.pcap, { onBatch: (b) => { n += b.count; consume(b); } });
      return n;
    });
    // A pipe (stdin, `dumpcap -w -`): 64 KiB chunks; live latency bound on (timer-flushed short batches when idle).
    await ctx.measure('reader', 'CaptureReader (stream, 64 KiB chunks, ≤100 ms latency)', async () => {
      let n = 0;
      for await (const b of new CaptureReader(fs.createReadStream(ctx.pcap, { highWaterMark: 65536 }))) { n += b.count; consume(b); }
      return n;
    });
    const ng = pcapngTwin(ctx.pcap);
    if (ng) {
      await ctx.measure('reader', 'CaptureReader for-await (same capture as pcapng)', async () => {
        let n = 0;
        for await (const b of new CaptureReader(ng)) { n += b.count; consume(b); }
        return n;
      });
    } else {
      console.log('reader: pcapng row skipped (editcap not installed)');
    }
    if (checksum === 42) console.log('');
    // Untimed: the decoded IPv4 5-tuples fold to the same checksum floor.mjs computes.
    let acc = 0;
    readCaptureFileSync(ctx.pcap, { onBatch: (b) => {
      for (let i = 0; i < b.count; i++) {
        if (b.ipVersion[i] !== 4) continue;
        acc = (acc + (b.srcAddr[i * 4] ^ b.dstAddr[i * 4] ^ ((b.srcPort[i] << 16) | b.dstPort[i]) ^ b.proto[i])) | 0;
      }
    } });
    const f = floorOnce(ctx.pcap);
    console.log(`reader: 5-tuple checksum ${acc} ${acc === f.acc ? 'equals' : `DIFFERS from`} floor.mjs's ${f.acc}`);
  },
};
