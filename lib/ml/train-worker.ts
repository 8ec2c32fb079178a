/**
 * Training off the caller's thread (the Node-RED train node): a forest on 25k rows takes seconds
 * of pure CPU, which must not freeze the runtime. `trainInWorker` posts the dataset (buffers
 * transferred) and resolves with the trained model.
 */
import path from 'node:path';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import type { Dataset } from './dataset.js';
import { trainModel, type TrainOptions, type TrainResult } from './train.js';

type WorkerOptions = Omit<TrainOptions, 'log'>;

export function trainInWorker(ds: Dataset, opts: WorkerOptions, onLog?: (line: string) => void): Promise<TrainResult> {
  const file = path.join(__dirname, `train-worker${path.extname(__filename)}`);
  const worker = file.endsWith('.ts')
    ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true })
    : new Worker(file);
  return new Promise((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: { type: string; line?: string; result?: TrainResult; error?: string }) => {
      if (m.type === 'log') onLog?.(m.line!);
      else if (m.type === 'done') { settled = true; resolve(m.result!); void worker.terminate(); }
      else if (m.type === 'error') { settled = true; reject(new Error(m.error)); void worker.terminate(); }
    });
    worker.on('error', (err) => { if (!settled) { settled = true; reject(err); } });
    worker.on('exit', (code) => { if (!settled) { settled = true; reject(new Error(`training worker exited (code ${code})`)); } });
    const x = ds.x.slice();
    const y = ds.y.slice();
    worker.postMessage({ ds: { ...ds, x, y }, opts }, [x.buffer, y.buffer]);
  });
}

if (!isMainThread && parentPort) {
  parentPort.once('message', (m: { ds: Dataset; opts: WorkerOptions }) => {
    try {
      const result = trainModel(m.ds, { ...m.opts, log: (line) => parentPort!.postMessage({ type: 'log', line }) });
      parentPort!.postMessage({ type: 'done', result }, [result.onnx.buffer as ArrayBuffer]);
    } catch (err) {
      parentPort!.postMessage({ type: 'error', error: err instanceof Error ? err.message : String(err) });
    }
  });
}
