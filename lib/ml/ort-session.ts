/**
 * Thin wrapper over an onnxruntime-node InferenceSession (lazy-loaded): metadata as plain data and
 * a run() that returns copies safe to post between threads.
 */

export interface TensorInfo {
  name: string;
  isTensor: boolean;
  type: string;
  shape: Array<number | string>;
}

export interface RunRequest {
  data: Float32Array | Uint8Array;
  rows: number;
  cols: number;
  dtype: 'float32' | 'uint8';
  /** output names to fetch */
  outputs: string[];
}

export interface RunResult {
  data: Float32Array | string[] | number[];
  dims: number[];
  type: string;
}

type Ort = typeof import('onnxruntime-node');
let ortPromise: Promise<Ort> | null = null;

export function loadOrt(): Promise<Ort> {
  if (!ortPromise) {
    ortPromise = import('onnxruntime-node').catch((err: unknown) => {
      ortPromise = null;
      throw new Error(`onnxruntime-node is not available (${(err as Error).message}); install it with: ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node`);
    });
  }
  return ortPromise;
}

export class OrtSession {
  private constructor(
    private readonly ort: Ort,
    private readonly session: import('onnxruntime-node').InferenceSession,
    readonly inputs: TensorInfo[],
    readonly outputs: TensorInfo[],
  ) {}

  static async create(bytes: Uint8Array, opts: { threads?: number } = {}): Promise<OrtSession> {
    const ort = await loadOrt();
    let session: import('onnxruntime-node').InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: opts.threads ?? 1, interOpNumThreads: 1, executionMode: 'sequential',
        graphOptimizationLevel: 'all', executionProviders: ['cpu'], logSeverityLevel: 3,
      });
    } catch (err) {
      throw new Error(`onnxruntime could not load the model: ${(err as Error).message}`);
    }
    const meta = (list: readonly unknown[]): TensorInfo[] => list.map((m) => {
      const v = m as { name: string; isTensor: boolean; type?: string; shape?: Array<number | string> };
      return { name: v.name, isTensor: v.isTensor, type: v.type ?? '', shape: [...(v.shape ?? [])] };
    });
    return new OrtSession(ort, session, meta(session.inputMetadata), meta(session.outputMetadata));
  }

  async run(req: RunRequest): Promise<Record<string, RunResult>> {
    const tensor = new this.ort.Tensor(req.dtype, req.data, [req.rows, req.cols]);
    const out = await this.session.run({ [this.inputs[0].name]: tensor }, req.outputs);
    const results: Record<string, RunResult> = {};
    for (const name of req.outputs) {
      const t = out[name];
      const d = t.data as unknown;
      let data: Float32Array | string[] | number[];
      if (d instanceof Float32Array) data = d.slice();
      else if (d instanceof Float64Array || d instanceof Int32Array || d instanceof Uint8Array) data = Float32Array.from(d);
      else if (d instanceof BigInt64Array) data = Array.from(d, (v) => Number(v));
      else data = (d as string[]).slice();
      results[name] = { data, dims: t.dims.slice(), type: t.type };
      t.dispose?.();
    }
    return results;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
