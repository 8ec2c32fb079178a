/**
 * Worker thread that owns the onnxruntime session. onnxruntime-node's run() is synchronous native
 * code behind a Promise, so running it here keeps the caller's event loop free.
 * Protocol (all replies carry the request id):
 *   {type:'load', bytes, threads}            → {ok, inputs, outputs}
 *   {type:'run', data, rows, cols, dtype, outputs} → {ok, results: {name: {data, dims, type}}, input}
 * Buffers are transferred, not copied: the input matrix to the worker and back (`input`, for
 * reuse), each result's data to the caller.
 */
import { parentPort } from 'node:worker_threads';
import { OrtSession, type RunRequest } from './ort-session.js';

let session: OrtSession | null = null;

parentPort!.on('message', (msg: { id: number; type: string } & Record<string, unknown>) => {
  void handle(msg).then(
    ({ reply, transfer }) => parentPort!.postMessage({ id: msg.id, ok: true, ...reply }, transfer),
    (err: unknown) => parentPort!.postMessage({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});

async function handle(msg: { type: string } & Record<string, unknown>): Promise<{ reply: Record<string, unknown>; transfer: ArrayBuffer[] }> {
  if (msg.type === 'load') {
    session = await OrtSession.create(msg.bytes as Uint8Array, { threads: msg.threads as number | undefined });
    return { reply: { inputs: session.inputs, outputs: session.outputs }, transfer: [] };
  }
  if (msg.type === 'run') {
    if (!session) throw new Error('no model loaded');
    const req = msg as unknown as RunRequest;
    const results = await session.run(req);
    const transfer: ArrayBuffer[] = [];
    for (const r of Object.values(results)) if (ArrayBuffer.isView(r.data)) transfer.push(r.data.buffer as ArrayBuffer);
    // the input matrix goes back to the caller, which fills it again for a later batch
    if (ArrayBuffer.isView(req.data)) transfer.push(req.data.buffer as ArrayBuffer);
    return { reply: { results, input: req.data }, transfer };
  }
  if (msg.type === 'close') {
    await session?.release();
    session = null;
    return { reply: {}, transfer: [] };
  }
  throw new Error(`unknown request ${msg.type}`);
}
