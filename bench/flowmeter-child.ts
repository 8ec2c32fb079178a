/**
 * One flow-meter measurement in a fresh process, so peak RSS (getrusage maxRSS) is the meter's own.
 * argv: <mode> <pcap|count> <profile>. Modes: `meter` (rows counted), `csv` (rows formatted as CSV and
 * discarded), `flood` (<count> spoofed SYNs built as packet batches, default flow cap). Prints one
 * JSON line (`worker`: reading and decoding here, metering on a worker thread): packets, flows, secs (read + meter + flush, like floor.mjs's timing), cpuSecs (user + system, all threads, same span), maxRssMB, summary.
 */
import { CaptureReader } from '../lib/capture/reader.js';
import { allocBatch } from '../lib/capture/batch-alloc.js';
import { Flowmeter } from '../lib/flow/flowmeter.js';
import { toCsv } from '../lib/flow/output.js';
import { FlowmeterWorker } from '../lib/flow/worker.js';

async function main(): Promise<void> {
  const [mode, input, profile = 'improved'] = process.argv.slice(2);
  let flows = 0;
  let chars = 0;
  const fm = new Flowmeter({
    profile,
    // the batch is not kept, so it goes back for reuse (as the CLI does)
    onFlows: (b) => { flows += b.count; if (mode === 'csv') chars += toCsv(b, fm.profile).length; fm.release(b); },
  });
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const cpuSecs = (): number => { const c = process.cpuUsage(c0); return (c.user + c.system) / 1e6; };
  let packets = 0;
  if (mode === 'flood') {
    const total = Number(input);
    const B = 4096;
    for (let done = 0; done < total; done += B) {
      const n = Math.min(B, total - done);
      const b = allocBatch(n);
      for (let i = 0; i < n; i++) {
        const k = done + i;
        b.tsUs[i] = 1.7e15 + k; b.ipVersion[i] = 4; b.proto[i] = 6;
        b.srcAddr[i * 4] = (0x0b000000 + k) >>> 0; b.dstAddr[i * 4] = 0x0a000002;
        b.srcPort[i] = 1024 + (k % 60000); b.dstPort[i] = 80; b.tcpFlags[i] = 2; b.tcpWindow[i] = 1024;
        b.ipHeaderLen[i] = 20; b.l4HeaderLen[i] = 20; b.ipTotalLen[i] = 40; b.wireLen[i] = 54; b.capLen[i] = 54;
      }
      b.count = n;
      fm.push(b);
      packets += n;
    }
  } else if (mode === 'worker') {
    const w = new FlowmeterWorker({ profile });
    w.on('flows', (b) => { flows += b.count; });
    for await (const b of new CaptureReader(input)) { packets += b.count; await w.push(b); }
    const ws = await w.close();
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const maxRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
    console.log(JSON.stringify({ packets, flows, secs, cpuSecs: cpuSecs(), maxRssMB, chars, evicted: ws.flowsEvicted, peakOpen: ws.peakOpenFlows }));
    return;
  } else {
    // push() is synchronous and keeps nothing of the batch: hand it back for reuse (as the CLI does)
    const reader = new CaptureReader(input);
    for await (const b of reader) { fm.push(b); packets += b.count; reader.release(b); }
  }
  const summary = fm.close();
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const maxRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(JSON.stringify({ packets, flows, secs, cpuSecs: cpuSecs(), maxRssMB, chars, evicted: summary.flowsEvicted, peakOpen: summary.peakOpenFlows }));
}

main().catch((err) => { console.error(err); process.exit(1); });
