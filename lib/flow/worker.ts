/**
 * FlowmeterWorker: the same flow meter on a worker thread, for a two-stage pipeline (this thread
 * reads and decodes packets, the worker meters them). Packet batches are transferred, so the caller
 * must not touch a batch after push() (readers never reuse one). Finished flows arrive as `flows`
 * events (FlowBatch), exactly as from Flowmeter, in the same order.
 *
 *   const fm = new FlowmeterWorker({ profile: 'improved' });
 *   fm.on('flows', (b) => …);
 *   for await (const b of new CaptureReader(file)) await fm.push(b);   // backpressure: awaits when busy
 *   const summary = await fm.close();
 */
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PacketBatch } from '../capture/packet-batch.js';
import type { FlowSummary } from './engine.js';
import type { FlowBatch } from './flow-batch.js';
import type { FlowmeterOptions } from './flowmeter.js';
import { getProfile } from './profiles/index.js';
import type { FlowProfile } from './profile.js';

/** Options of FlowmeterWorker: those of Flowmeter that can cross a thread (no callbacks, profile by name). */
export type FlowmeterWorkerOptions = Omit<FlowmeterOptions, 'onFlows' | 'outfunc' | 'outfile' | 'offline' | 'profile'> & {
  profile?: string;
  /** Batches in flight before push() makes the caller wait (default 8). */
  maxInFlight?: number;
};

type Out =
  | { type: 'ack' } | { type: 'flows'; batch: FlowBatch } | { type: 'flushed'; summary: FlowSummary }
  | { type: 'closed'; summary: FlowSummary } | { type: 'error'; message: string };

export class FlowmeterWorker extends EventEmitter {
  readonly profile: FlowProfile;
  private readonly worker: Worker;
  private inFlight = 0;
  private readonly maxInFlight: number;
  private waiters: Array<() => void> = [];
  private pendingFlush: Array<(s: FlowSummary) => void> = [];
  private closing: { resolve: (s: FlowSummary) => void; reject: (e: Error) => void } | null = null;
  private failed: Error | null = null;
  private closed = false;

  constructor(opts: FlowmeterWorkerOptions = {}) {
    super();
    this.profile = getProfile(opts.profile); // unknown names fail here, on the caller's thread
    const { maxInFlight = 8, ...rest } = opts;
    this.maxInFlight = Math.max(1, maxInFlight);
    const file = path.join(__dirname, `flow-worker${path.extname(__filename)}`);
    this.worker = path.extname(__filename) === '.ts'
      ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true, workerData: rest })
      : new Worker(file, { workerData: rest });
    this.worker.on('message', (m: Out) => this.onMessage(m));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => { if (!this.closed) this.fail(new Error(`flow meter worker exited (${code})`)); });
  }

  /** Hand a batch to the worker; resolves at once unless maxInFlight batches are still being metered. */
  push(batch: PacketBatch): Promise<void> | void {
    if (this.failed) throw this.failed;
    if (this.closed || this.closing) throw new Error('FlowmeterWorker: push() after close()');
    this.inFlight++;
    this.worker.postMessage({ type: 'push', batch }, [batch.tsUs.buffer as ArrayBuffer, ...otherBuffers(batch)]);
    if (this.inFlight < this.maxInFlight) return;
    return new Promise<void>((res) => this.waiters.push(res));
  }

  /** Write every open flow (end of a source); resolves with the summary once their rows were emitted. */
  flush(): Promise<FlowSummary> {
    return new Promise((res) => { this.pendingFlush.push(res); this.worker.postMessage({ type: 'flush' }); });
  }

  /** Flush, stop the worker, resolve with the final summary. */
  close(): Promise<FlowSummary> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.closing = { resolve, reject };
      this.worker.postMessage({ type: 'close' });
    });
  }

  private onMessage(m: Out): void {
    switch (m.type) {
      case 'ack':
        this.inFlight--;
        this.waiters.shift()?.();
        break;
      case 'flows': this.emit('flows', m.batch); break;
      case 'flushed': this.pendingFlush.shift()?.(m.summary); break;
      case 'closed':
        this.closed = true;
        void this.worker.terminate();
        this.closing?.resolve(m.summary);
        this.emit('close', m.summary);
        break;
      case 'error': this.fail(new Error(m.message)); break;
    }
  }

  private fail(err: Error): void {
    if (this.failed || this.closed) return;
    this.failed = err;
    for (const w of this.waiters.splice(0)) w();
    this.closing?.reject(err);
    if (this.listenerCount('error') > 0) this.emit('error', err);
    void this.worker.terminate();
  }
}

/** Distinct buffers of a batch other than the one holding tsUs (batches from allocBatch have one). */
function otherBuffers(b: PacketBatch): ArrayBuffer[] {
  const first = b.tsUs.buffer;
  const seen = new Set<ArrayBufferLike>([first]);
  const out: ArrayBuffer[] = [];
  for (const v of Object.values(b)) {
    if (ArrayBuffer.isView(v) && !seen.has(v.buffer)) { seen.add(v.buffer); out.push(v.buffer as ArrayBuffer); }
  }
  return out;
}
