/**
 * Inference back ends behind one interface: a worker thread (default: the caller's event loop never
 * waits on native inference) or in-process (CLI batch runs, where blocking does not matter).
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { OrtSession, type RunRequest, type RunResult, type TensorInfo } from './ort-session.js';

export interface InferenceBackend {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /**
   * Runs one batch. `recycle` gets the input matrix back once the backend is done with it (from
   * the worker, its transferred buffer returned), so the caller can fill it again.
   */
  run(req: RunRequest, recycle?: (data: Float32Array | Uint8Array) => void): Promise<Record<string, RunResult>>;
  close(): Promise<void>;
}

export async function createBackend(bytes: Uint8Array, opts: { worker?: boolean; threads?: number } = {}): Promise<InferenceBackend> {
  if (opts.worker === false) {
    const s = await OrtSession.create(bytes, { threads: opts.threads });
    return {
      inputs: s.inputs, outputs: s.outputs, close: () => s.release(),
      run: async (r, recycle) => { const res = await s.run(r); recycle?.(r.data); return res; },
    };
  }
  return WorkerBackend.start(bytes, opts.threads);
}

interface Pending {
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: Error) => void;
}

class WorkerBackend implements InferenceBackend {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | null = null;
  inputs: TensorInfo[] = [];
  outputs: TensorInfo[] = [];

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: { id: number; ok: boolean; error?: string } & Record<string, unknown>) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m);
      else p.reject(new Error(m.error));
    });
    const failAll = (err: Error): void => {
      this.failure = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) => failAll(err));
    worker.on('exit', (code) => failAll(new Error(`inference worker exited (code ${code})`)));
  }

  static async start(bytes: Uint8Array, threads?: number): Promise<WorkerBackend> {
    // the worker is the compiled .js beside this file, or the .ts source when running under tsx
    const file = path.join(__dirname, `inference-worker${path.extname(__filename)}`);
    // under tsx (tests) the worker needs tsx's require hook to load the .ts source
    const worker = file.endsWith('.ts')
      ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true })
      : new Worker(file);
    const b = new WorkerBackend(worker);
    try {
      const reply = await b.request({ type: 'load', bytes, threads });
      b.inputs = reply.inputs as TensorInfo[];
      b.outputs = reply.outputs as TensorInfo[];
    } catch (err) {
      await b.worker.terminate();
      throw err;
    }
    return b;
  }

  private request(msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Record<string, unknown>> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  async run(req: RunRequest, recycle?: (data: Float32Array | Uint8Array) => void): Promise<Record<string, RunResult>> {
    // transfer only a buffer the request owns whole; a view into a larger buffer is copied first
    const data = req.data.byteOffset === 0 && req.data.byteLength === req.data.buffer.byteLength ? req.data : req.data.slice();
    const reply = await this.request({ type: 'run', ...req, data }, [data.buffer as ArrayBuffer]);
    if (recycle && ArrayBuffer.isView(reply.input)) recycle(reply.input as Float32Array | Uint8Array);
    return reply.results as Record<string, RunResult>;
  }

  async close(): Promise<void> {
    if (!this.failure) {
      try { await this.request({ type: 'close' }); } catch { /* worker already gone */ }
    }
    this.failure = new Error('classifier closed');
    await this.worker.terminate();
  }
}
