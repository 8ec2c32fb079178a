/**
 * Worker side of FlowmeterWorker (worker.ts): owns one Flowmeter. Receives packet batches (their
 * ArrayBuffer transferred, not copied), answers each with an ack and posts finished FlowBatches back
 * with their buffers transferred.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { PacketBatch } from '../capture/packet-batch.js';
import type { FlowBatch } from './flow-batch.js';
import { Flowmeter, type FlowmeterOptions } from './flowmeter.js';

type In = { type: 'push'; batch: PacketBatch } | { type: 'flush' } | { type: 'close' };

function transferList(b: FlowBatch): ArrayBuffer[] {
  const all = [b.features, b.srcAddr, b.dstAddr, b.srcPort, b.dstPort, b.protocol, b.ipVersion, b.startUs, b.lastUs, b.endReason, b.signatures];
  return [...new Set(all.map((a) => a.buffer as ArrayBuffer))];
}

const port = parentPort!;
const fm = new Flowmeter({
  ...(workerData as FlowmeterOptions),
  onFlows: (b) => port.postMessage({ type: 'flows', batch: b }, transferList(b)),
});

port.on('message', (m: In) => {
  try {
    if (m.type === 'push') { fm.push(m.batch); port.postMessage({ type: 'ack' }); }
    else if (m.type === 'flush') { fm.flush(); port.postMessage({ type: 'flushed', summary: fm.summary }); }
    else { const summary = fm.close(); port.postMessage({ type: 'closed', summary }); port.close(); }
  } catch (err) {
    port.postMessage({ type: 'error', message: (err as Error).message });
  }
});
