/**
 * Classifier: model + card → verdicts for flows. Accepts raw flow objects keyed by the profile's
 * column names (the card's preprocessing is applied here) or rows already preprocessed (numeric
 * arrays / typed arrays in card column order, or objects when `normalized` is set).
 * Work is cut into batches; each batch is built on the caller's thread between yields and run in
 * the inference worker, so a large input never blocks the event loop for long.
 */
import path from 'node:path';
import { compilePreprocessing, preprocessValue, sourceColumns, type CompiledPreprocessing, type ModelCard } from './card.js';
import { createBackend, type InferenceBackend } from './inference.js';
import { openModelFile } from './model-file.js';
import type { TensorInfo } from './ort-session.js';
import { toFeatureValue } from './dataset.js';

export interface Verdict {
  label: string;
  /** probability of `label` */
  confidence: number;
  /** P(label) per class label */
  probabilities: Record<string, number>;
  /** 1 − Σ P(benign labels) */
  attackProbability: number;
  malicious: boolean;
}

export type FlowInput = Record<string, unknown> | ArrayLike<number>;

export interface ClassifierOptions {
  card?: ModelCard | string;
  /** run inference in a worker thread (default true) */
  worker?: boolean;
  threads?: number;
  /** rows per inference call (default 1024) */
  batchSize?: number;
  /** override the card's threshold */
  threshold?: number;
  /**
   * rows handled on the caller's thread between two yields to the event loop, both when turning
   * flows into the input matrix and when turning probabilities into verdicts (default 256: a few
   * milliseconds at most, so timers and I/O keep running while a 100k-flow call is classified)
   */
  sliceRows?: number;
}

export class ColumnMismatchError extends Error {
  constructor(readonly expected: string[], readonly missing: string[], context: string) {
    super(`${context}: missing ${missing.length} of the ${expected.length} feature column(s) the model expects: ${missing.slice(0, 12).join(', ')}${missing.length > 12 ? ', …' : ''}. Expected columns (in order): ${expected.join(', ')}`);
  }
}

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

export class Classifier {
  readonly columns: string[];
  /** flow keys the columns are read from (the card's aliases applied) */
  readonly sources: string[];
  readonly labels: string[];
  readonly name: string;
  threshold: number;
  private readonly pp: CompiledPreprocessing;
  private readonly benign: Uint8Array;
  private readonly dtype: 'float32' | 'uint8';
  private readonly probName: string;
  private readonly probWidth: number;
  private readonly batchSize: number;
  private readonly sliceRows: number;
  /** builds a per-flow probabilities object from one object literal (fixed shape, one allocation) */
  private readonly makeProbabilities: (p: ArrayLike<number>, o: number) => Record<string, number>;

  private constructor(readonly card: ModelCard, private readonly backend: InferenceBackend, readonly modelPath: string, readonly notes: string[], opts: ClassifierOptions) {
    this.columns = card.columns;
    this.sources = sourceColumns(card);
    this.labels = card.labels;
    this.name = card.name || path.basename(modelPath);
    this.threshold = opts.threshold ?? card.threshold;
    this.pp = compilePreprocessing(card);
    this.benign = new Uint8Array(card.labels.length);
    for (const b of card.benignLabels) this.benign[card.labels.indexOf(b)] = 1;
    this.batchSize = Math.max(1, opts.batchSize ?? 1024);
    this.sliceRows = Math.max(1, Math.floor(opts.sliceRows ?? 256));
    // JSON.stringify makes each label a safe string literal
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    this.makeProbabilities = new Function('p', 'o', `return { ${card.labels.map((l, i) => `${JSON.stringify(l)}: p[o + ${i}]`).join(', ')} };`) as (p: ArrayLike<number>, o: number) => Record<string, number>;
    const input = backend.inputs[0];
    if (!input) throw new Error(`${modelPath}: the model has no inputs`);
    const width = input.shape[input.shape.length - 1];
    if (typeof width === 'number' && width > 0 && width !== card.columns.length) {
      throw new Error(`${modelPath}: the model takes ${width} features but its card lists ${card.columns.length} columns (${card.columns.slice(0, 6).join(', ')}, …)`);
    }
    this.dtype = card.inputType ?? (input.type === 'uint8' ? 'uint8' : 'float32');
    const out = pickProbabilities(backend.outputs, card.labels.length);
    if (!out) {
      throw new Error(`${modelPath}: no float probability output of width ${card.labels.length} (the card's label count); outputs: ${backend.outputs.map((o) => `${o.name} ${o.type}[${o.shape.join(',')}]`).join('; ')}`);
    }
    this.probName = out.name;
    this.probWidth = out.width;
  }

  static async open(modelPath: string, opts: ClassifierOptions = {}): Promise<Classifier> {
    const mf = await openModelFile(modelPath, { card: opts.card });
    const backend = await createBackend(mf.onnx, { worker: opts.worker, threads: opts.threads });
    try {
      return new Classifier(mf.card, backend, mf.path, mf.notes, opts);
    } catch (err) {
      await backend.close();
      throw err;
    }
  }

  /** Throws ColumnMismatchError when a flow object lacks any of the card's columns. */
  checkColumns(flow: FlowInput, context = 'incoming flows'): void {
    if (isNumericRow(flow)) {
      if (flow.length !== this.columns.length) throw new Error(`${context}: a preprocessed row has ${flow.length} values, the model expects ${this.columns.length} (${this.columns.join(', ')})`);
      return;
    }
    const missing = this.sources.filter((c) => !(c in flow));
    if (missing.length) throw new ColumnMismatchError(this.sources, missing, context);
  }

  /** Classifies flows; `normalized` marks objects whose values are already preprocessed. */
  async classify(flows: FlowInput[], opts: { normalized?: boolean } = {}): Promise<Verdict[]> {
    const C = this.labels.length;
    const out: Verdict[] = new Array(flows.length);
    // verdicts are built slice by slice as each batch's probabilities arrive
    await this.forEachBatch(flows, opts.normalized ?? false, (start, p, from, to) => {
      for (let i = from; i < to; i++) out[start + i] = this.verdict(p, i * C); // an offset, not a subarray view per row
    });
    return out;
  }

  /** Class probabilities, row-major [flows × labels]. */
  async probabilities(flows: FlowInput[], opts: { normalized?: boolean } = {}): Promise<Float32Array> {
    const C = this.labels.length;
    const out = new Float32Array(flows.length * C);
    await this.forEachBatch(flows, opts.normalized ?? false, (start, p, from, to) => out.set(p.subarray(from * C, to * C), (start + from) * C));
    return out;
  }

  /**
   * Runs `flows` through the model batch by batch. The caller's thread only ever works on one slice
   * of `sliceRows` rows (filling the matrix, or handing rows from..to of a batch's probabilities to
   * `onRows`) before yielding to the event loop; inference itself runs in the backend (worker),
   * with at most two batches in flight so building the next overlaps running the previous one.
   */
  private async forEachBatch(flows: FlowInput[], normalized: boolean, onRows: (start: number, p: Float32Array, from: number, to: number) => void): Promise<void> {
    if (flows.length === 0) return;
    this.checkColumns(flows[0]);
    const slice = this.sliceRows;
    const inFlight: Array<{ start: number; rows: number; probs: Promise<Float32Array> }> = [];
    const finish = async (b: { start: number; rows: number; probs: Promise<Float32Array> }): Promise<void> => {
      const p = await b.probs;
      for (let from = 0; from < b.rows; from += slice) {
        await yieldToLoop();
        onRows(b.start, p, from, Math.min(b.rows, from + slice));
      }
    };
    try {
      for (let start = 0; start < flows.length; start += this.batchSize) {
        const end = Math.min(flows.length, start + this.batchSize);
        const x = this.dtype === 'uint8' ? new Uint8Array((end - start) * this.columns.length) : new Float32Array((end - start) * this.columns.length);
        for (let s = start; s < end; s += slice) {
          if (s > 0) await yieldToLoop();
          this.fillMatrix(x, flows, start, s, Math.min(end, s + slice), normalized);
        }
        const probs = this.runBatch(x, end - start);
        probs.catch(() => undefined); // awaited in order below; avoid an unhandled rejection meanwhile
        inFlight.push({ start, rows: end - start, probs });
        if (inFlight.length >= 2) await finish(inFlight.shift()!);
      }
      while (inFlight.length) await finish(inFlight.shift()!);
    } finally {
      // a failed batch: let the others settle before reporting (their rejections are already caught)
      await Promise.allSettled(inFlight.map((b) => b.probs));
    }
  }

  /** Probabilities for an already-preprocessed row-major matrix. */
  async runMatrix(x: Float32Array | Uint8Array, rows: number): Promise<Float32Array> {
    const C = this.labels.length;
    const out = new Float32Array(rows * C);
    const F = this.columns.length;
    for (let start = 0; start < rows; start += this.batchSize) {
      const end = Math.min(rows, start + this.batchSize);
      const chunk = this.dtype === 'uint8' ? Uint8Array.from(x.subarray(start * F, end * F)) : Float32Array.from(x.subarray(start * F, end * F));
      out.set(await this.runBatch(chunk, end - start), start * C);
    }
    return out;
  }

  /** The verdict for the class probabilities at p[o … o + labels − 1]. */
  verdict(p: Float32Array | number[], o = 0): Verdict {
    const C = this.labels.length;
    let pBenign = 0;
    let bestB = -1;
    let bestA = -1;
    for (let c = 0; c < C; c++) {
      if (this.benign[c]) { pBenign += p[o + c]; if (bestB < 0 || p[o + c] > p[o + bestB]) bestB = c; }
      else if (bestA < 0 || p[o + c] > p[o + bestA]) bestA = c;
    }
    const attackProbability = Math.max(0, Math.min(1, 1 - pBenign));
    const malicious = bestA >= 0 && (bestB < 0 || attackProbability >= this.threshold);
    const k = malicious ? bestA : bestB;
    const probabilities = this.makeProbabilities(p, o);
    return { label: this.labels[k], confidence: p[o + k], probabilities, attackProbability, malicious };
  }

  isBenignLabel(label: string): boolean {
    const k = this.labels.indexOf(label);
    return k >= 0 && this.benign[k] === 1;
  }

  async close(): Promise<void> {
    await this.backend.close();
  }

  /** Fills rows from..to of `flows` into `x`, the matrix of the batch starting at `batchStart`. */
  private fillMatrix(x: Float32Array | Uint8Array, flows: FlowInput[], batchStart: number, from: number, to: number, normalized: boolean): void {
    const F = this.columns.length;
    const nf = this.pp.nonFinite;
    for (let r = from; r < to; r++) {
      const flow = flows[r];
      const o = (r - batchStart) * F;
      if (isNumericRow(flow)) {
        if (flow.length !== F) throw new Error(`row ${r}: ${flow.length} values, the model expects ${F}`);
        for (let f = 0; f < F; f++) x[o + f] = flow[f];
        continue;
      }
      for (let f = 0; f < F; f++) {
        const name = this.sources[f];
        if (!(name in flow)) throw new ColumnMismatchError(this.sources, this.sources.filter((c) => !(c in flow)), `flow ${r}`);
        const v = toFeatureValue(flow[name], nf);
        x[o + f] = normalized ? v : preprocessValue(this.pp, f, v);
      }
    }
  }

  private async runBatch(x: Float32Array | Uint8Array, rows: number): Promise<Float32Array> {
    const F = this.columns.length;
    const res = await this.backend.run({ data: x, rows, cols: F, dtype: this.dtype, outputs: [this.probName] });
    const r = res[this.probName];
    const data = r.data as Float32Array;
    const C = this.labels.length;
    if (this.probWidth === C) return data;
    // single sigmoid output for a two-class card: [1 − p, p]
    const out = new Float32Array(rows * 2);
    for (let i = 0; i < rows; i++) { out[i * 2] = 1 - data[i]; out[i * 2 + 1] = data[i]; }
    return out;
  }
}

function isNumericRow(v: FlowInput): v is ArrayLike<number> {
  return ArrayBuffer.isView(v) || (Array.isArray(v) && (v.length === 0 || typeof v[0] === 'number'));
}

function pickProbabilities(outputs: TensorInfo[], classes: number): { name: string; width: number } | null {
  const floats = outputs.filter((o) => o.isTensor && (o.type === 'float32' || o.type === 'float64'));
  const widthOf = (o: TensorInfo): number | string | undefined => (o.shape.length >= 2 ? o.shape[o.shape.length - 1] : o.shape.length === 1 ? 1 : undefined);
  const named = floats.find((o) => /prob/i.test(o.name) && (widthOf(o) === classes || typeof widthOf(o) === 'string'));
  if (named) return { name: named.name, width: classes };
  const exact = floats.find((o) => widthOf(o) === classes);
  if (exact) return { name: exact.name, width: classes };
  if (classes === 2) {
    const single = floats.find((o) => widthOf(o) === 1);
    if (single) return { name: single.name, width: 1 };
  }
  const symbolic = floats.find((o) => typeof widthOf(o) === 'string' || o.shape.length === 0);
  return symbolic ? { name: symbolic.name, width: classes } : null;
}
