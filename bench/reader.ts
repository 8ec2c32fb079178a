/** Reader section: capture reading with full decoding (link layer → L4 fields into PacketBatches). */
import { CaptureReader, readCaptureFileSync } from '../lib/capture/reader.js';
import type { BenchSection } from './harness.js';
import { timeRuns } from './harness.js';

export const readerSection: BenchSection = {
  name: 'reader',
  describe: 'CaptureReader (async iteration) and readCaptureFileSync, full decode, 1 MiB chunks',
  async run(ctx) {
    let checksum = 0;
    const consume = (b: { count: number; srcPort: Uint16Array; payloadLen: Uint32Array }): void => {
      // Touch decoded fields so nothing is optimised away.
      checksum = (checksum + b.count + b.srcPort[0] + b.payloadLen[b.count - 1]) | 0;
    };
    const asyncRun = await timeRuns(ctx.runs, async () => {
      let n = 0;
      for await (const b of new CaptureReader(ctx.pcap)) { n += b.count; consume(b); }
      return n;
    });
    ctx.report({ section: 'reader', name: 'CaptureReader for-await (file)', ...asyncRun, note: `RSS ${Math.round(process.memoryUsage().rss / 1048576)} MiB` });
    const syncRun = await timeRuns(ctx.runs, () => {
      let n = 0;
      readCaptureFileSync(ctx.pcap, { onBatch: (b) => { n += b.count; consume(b); } });
      return n;
    });
    ctx.report({ section: 'reader', name: 'readCaptureFileSync (file)', ...syncRun });
    if (checksum === 42) console.log('');
  },
};
