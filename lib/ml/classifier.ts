/**
 * Classifier: model + card → verdicts for flows. Accepts raw flow objects keyed by the profile's
 * column names (the card's preprocessing is applied here), a columnar batch (FlowColumns, the
 * flow meter's "columns" format) or rows already preprocessed (numeric arrays / typed arrays in
 * card column order, or objects when `normalized` is set).
 * Work is cut into batches; each batch is built on the caller's thread between yields and run in
 * the inference worker, so a large input never blocks the event loop for long.
 * `classifyColumns` returns the verdicts as typed arrays, flow objects are read by constant-name
 * property loads, and input matrices come back from the worker to be refilled: a 100k-flow call
 * allocates almost nothing on the caller's thread, so no GC pause lands in it (per-flow verdict
 * objects and boxed doubles used to cost 10–15 young-generation GCs per 100k flows, 20–90 ms each
 * on a loaded machine). `classify` builds per-flow Verdict objects from the columns, a slice at a
 * time, for callers that want objects.
 */
import path from 'node:path';
import { compilePreprocessing, preprocessValue, sourceColumns, type CompiledPreprocessing, type ModelCard } from './card.js';
import { createBackend, type InferenceBackend } from './inference.js';
import { openModelFile } from './model-file.js';
import type { TensorInfo } from './ort-session.js';
import { toFeatureValue } from './dataset.js';
import { isFlowColumns, type FlowColumns } from '../normalize/flow-columns.js';
import { LARGE_ROWS } from './allocation-sites.js';

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

/** Verdicts of one call as columns: row i of every array is flow i (no per-flow objects). */
export interface VerdictColumns {
  rows: number;
  /** the card's class labels; `label` holds indexes into it */
  labels: string[];
  /** index into `labels` of each row's verdict label */
  label: Uint8Array | Uint16Array;
  /** probability of the verdict label (the model's float32 output) */
  confidence: Float32Array;
  /** 1 − Σ P(benign labels) */
  attackProbability: Float64Array;
  /** 1 when the row is malicious (the card's benign labels and threshold), else 0 */
  malicious: Uint8Array;
  /** rows × labels.length class probabilities, row-major */
  probabilities: Float32Array;
  /** how many rows are malicious */
  detections: number;
}

/**
 * Rows already preprocessed, as deepmad-normalize's NormalizedBatch: `columns` names the columns
 * of the row-major `data` (any order, extra columns allowed; they are picked by the card's names).
 */
export interface NormalizedRows { columns: string[]; rows: number; data: ArrayLike<number> }

export type ClassifierInput = FlowInput[] | FlowColumns | NormalizedRows;

function isNormalizedRows(x: ClassifierInput): x is NormalizedRows {
  return !Array.isArray(x) && !isFlowColumns(x) && Array.isArray((x as NormalizedRows).columns) && typeof (x as NormalizedRows).rows === 'number' && !!(x as NormalizedRows).data;
}

/** Fills rows from..to (absolute row numbers) of the input into `x`, the matrix of the batch starting at `batchStart`. */
type RowFiller = (x: Float32Array | Uint8Array, batchStart: number, from: number, to: number) => void;

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
  /** input matrices the backend is done with, ready to be filled again */
  private readonly freeMatrices: Array<Float32Array | Uint8Array> = [];
  /**
   * copies a flow object's model columns into `row` when all are numbers (else returns false):
   * one property read per column by a constant name. A loop of `flow[name]` reads is a megamorphic
   * keyed load that boxes every double it returns — ~700 bytes of garbage per flow, the young-GC
   * churn behind long event-loop stalls on a loaded machine.
   */
  private readonly readNumbers: (flow: Record<string, unknown>, row: Float64Array) => boolean;
  /** builds a per-flow probabilities object from one object literal (fixed shape, one allocation) */
  private readonly makeProbabilities: (p: ArrayLike<number>, o: number) => Record<string, number>;
  private readonly probabilitiesLiteral: string;
  /** for the verdicts of a call of at least LARGE_ROWS rows: a builder of their own (allocation-sites.ts) */
  private readonly largeMakers = new WeakMap<VerdictColumns, (p: ArrayLike<number>, o: number) => Record<string, number>>();

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
    this.probabilitiesLiteral = `return { ${card.labels.map((l, i) => `${JSON.stringify(l)}: p[o + ${i}]`).join(', ')} };`;
    this.makeProbabilities = new Function('p', 'o', this.probabilitiesLiteral) as (p: ArrayLike<number>, o: number) => Record<string, number>;
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    this.readNumbers = new Function('f', 'row', `let v;\n${this.sources.map((c, i) => `v = f[${JSON.stringify(c)}]; if (typeof v !== 'number') return false; row[${i}] = v;`).join('\n')}\nreturn true;`) as (flow: Record<string, unknown>, row: Float64Array) => boolean;
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

  /**
   * Classifies flows into verdict columns: typed arrays only, no per-flow objects on the caller's
   * thread. `normalized` marks objects whose values are already preprocessed.
   */
  async classifyColumns(flows: ClassifierInput, opts: { normalized?: boolean } = {}): Promise<VerdictColumns> {
    const C = this.labels.length;
    const { rows, fill } = this.filler(flows, opts.normalized ?? false);
    const v: VerdictColumns = {
      rows, labels: this.labels,
      label: C <= 256 ? new Uint8Array(rows) : new Uint16Array(rows),
      confidence: new Float32Array(rows), attackProbability: new Float64Array(rows), malicious: new Uint8Array(rows),
      probabilities: new Float32Array(rows * C), detections: 0,
    };
    // a batch's verdicts are a few arithmetic operations per row into typed arrays: well under a
    // millisecond for 1024 rows, so they are computed as each batch arrives, without yielding
    await this.forEachBatch(rows, fill, (start, p, n) => {
      v.probabilities.set(p.length === n * C ? p : p.subarray(0, n * C), start * C);
      for (let i = start; i < start + n; i++) v.detections += this.decide(v.probabilities, i, v);
    });
    return v;
  }

  /**
   * Classifies flows into one Verdict object per flow (objects are built from the verdict columns
   * `sliceRows` at a time, with a yield between slices). Prefer `classifyColumns` for large inputs.
   */
  async classify(flows: ClassifierInput, opts: { normalized?: boolean } = {}): Promise<Verdict[]> {
    const v = await this.classifyColumns(flows, opts);
    const out: Verdict[] = new Array(v.rows);
    // a large call: Verdict objects from a literal of its own (allocation-sites.ts), same keys as verdictAt's
    const make = v.rows >= LARGE_ROWS
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      ? new Function('v', 'i', 'probabilities', 'return { label: v.labels[v.label[i]], confidence: v.confidence[i], probabilities: probabilities, attackProbability: v.attackProbability[i], malicious: v.malicious[i] === 1 };') as (v: VerdictColumns, i: number, p: Record<string, number>) => Verdict
      : null;
    for (let from = 0; from < v.rows; from += this.sliceRows) {
      if (from > 0) await yieldToLoop();
      const to = Math.min(v.rows, from + this.sliceRows);
      for (let i = from; i < to; i++) out[i] = make ? make(v, i, this.probabilitiesAt(v, i)) : this.verdictAt(v, i);
    }
    return out;
  }

  /** Row i of verdict columns as a Verdict object (with its own probabilities object). */
  verdictAt(v: VerdictColumns, i: number): Verdict {
    return {
      label: v.labels[v.label[i]], confidence: v.confidence[i], probabilities: this.probabilitiesAt(v, i),
      attackProbability: v.attackProbability[i], malicious: v.malicious[i] === 1,
    };
  }

  /** Row i's class probabilities as an object {label: P} in card label order. */
  probabilitiesAt(v: VerdictColumns, i: number): Record<string, number> {
    let make = this.makeProbabilities;
    if (v.rows >= LARGE_ROWS) {
      make = this.largeMakers.get(v) ?? make;
      if (make === this.makeProbabilities) {
        // eslint-disable-next-line @typescript-eslint/no-implied-eval
        make = new Function('p', 'o', this.probabilitiesLiteral) as (p: ArrayLike<number>, o: number) => Record<string, number>;
        this.largeMakers.set(v, make);
      }
    }
    return make(v.probabilities, i * this.labels.length);
  }

  /** Class probabilities, row-major [flows × labels]. */
  async probabilities(flows: ClassifierInput, opts: { normalized?: boolean } = {}): Promise<Float32Array> {
    const C = this.labels.length;
    const { rows, fill } = this.filler(flows, opts.normalized ?? false);
    const out = new Float32Array(rows * C);
    await this.forEachBatch(rows, fill, (start, p, n) => out.set(p.subarray(0, n * C), start * C));
    return out;
  }

  /**
   * Runs `rows` input rows through the model batch by batch. The caller's thread only ever fills
   * `sliceRows` rows of the input matrix before yielding to the event loop; inference itself runs
   * in the backend (worker), with at most two batches in flight so building the next overlaps
   * running the previous one. `onBatch` gets each batch's probabilities in input order.
   */
  private async forEachBatch(rows: number, fill: RowFiller, onBatch: (start: number, p: Float32Array, rows: number) => void): Promise<void> {
    if (rows === 0) return;
    const slice = this.sliceRows;
    const F = this.columns.length;
    const inFlight: Array<{ start: number; rows: number; probs: Promise<Float32Array> }> = [];
    const finish = async (b: { start: number; rows: number; probs: Promise<Float32Array> }): Promise<void> => {
      onBatch(b.start, await b.probs, b.rows);
    };
    try {
      for (let start = 0; start < rows; start += this.batchSize) {
        const end = Math.min(rows, start + this.batchSize);
        const x = this.takeMatrix((end - start) * F);
        for (let s = start; s < end; s += slice) {
          if (s > 0) await yieldToLoop();
          fill(x, start, s, Math.min(end, s + slice));
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
    const probs = Float32Array.from({ length: C }, (_, c) => p[o + c]);
    const one: VerdictColumns = {
      rows: 1, labels: this.labels, label: new Uint16Array(1), confidence: new Float32Array(1), attackProbability: new Float64Array(1),
      malicious: new Uint8Array(1), probabilities: probs, detections: 0,
    };
    this.decide(probs, 0, one);
    return this.verdictAt(one, 0);
  }

  /** Decides row i from its class probabilities p[i·C …] into the verdict columns; returns 1 when malicious. */
  private decide(p: Float32Array, i: number, v: VerdictColumns): number {
    const C = this.labels.length;
    const o = i * C;
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
    v.label[i] = k;
    v.confidence[i] = p[o + k];
    v.attackProbability[i] = attackProbability;
    v.malicious[i] = malicious ? 1 : 0;
    return malicious ? 1 : 0;
  }

  isBenignLabel(label: string): boolean {
    const k = this.labels.indexOf(label);
    return k >= 0 && this.benign[k] === 1;
  }

  async close(): Promise<void> {
    await this.backend.close();
  }

  private filler(flows: ClassifierInput, normalized: boolean): { rows: number; fill: RowFiller } {
    if (isFlowColumns(flows)) return { rows: flows.rows, fill: this.columnsFiller(flows, normalized) };
    if (isNormalizedRows(flows)) return { rows: flows.rows, fill: this.normalizedRowsFiller(flows) };
    return { rows: flows.length, fill: this.objectsFiller(flows, normalized) };
  }

  /** Fills matrix rows from a NormalizedBatch-shaped matrix, picking the card's columns by name. */
  private normalizedRowsFiller(b: NormalizedRows): RowFiller {
    const F = this.columns.length;
    const W = b.columns.length;
    const idx = Int32Array.from(this.columns, (c) => b.columns.indexOf(c));
    const missing = this.columns.filter((_, f) => idx[f] < 0);
    if (missing.length) throw new Error(`normalized rows lack ${missing.length} column(s) the model expects: ${missing.join(', ')}. Expected: ${this.columns.join(', ')}`);
    if (b.data.length < b.rows * W) throw new Error(`normalized rows: ${b.data.length} values for ${b.rows} rows of ${W} columns`);
    const data = b.data;
    return (x, batchStart, from, to) => {
      for (let r = from; r < to; r++) {
        const o = (r - batchStart) * F;
        for (let f = 0; f < F; f++) x[o + f] = Number(data[r * W + idx[f]]);
      }
    };
  }

  /** Fills matrix rows from flow objects or numeric rows (checked against the card's columns). */
  private objectsFiller(flows: FlowInput[], normalized: boolean): RowFiller {
    if (flows.length > 0) this.checkColumns(flows[0]);
    const F = this.columns.length;
    const nf = this.pp.nonFinite;
    const row = new Float64Array(F);
    return (x, batchStart, from, to) => {
      for (let r = from; r < to; r++) {
        const flow = flows[r];
        const o = (r - batchStart) * F;
        if (isNumericRow(flow)) {
          if (flow.length !== F) throw new Error(`row ${r}: ${flow.length} values, the model expects ${F}`);
          for (let f = 0; f < F; f++) x[o + f] = flow[f];
          continue;
        }
        if (!this.readNumbers(flow, row)) {
          // some cell is not a plain number (a string from a CSV, a missing column): the general path
          for (let f = 0; f < F; f++) {
            const name = this.sources[f];
            if (!(name in flow)) throw new ColumnMismatchError(this.sources, this.sources.filter((c) => !(c in flow)), `flow ${r}`);
            row[f] = toFeatureValue(flow[name], nf);
          }
        }
        for (let f = 0; f < F; f++) x[o + f] = normalized ? toFeatureValue(row[f], nf) : preprocessValue(this.pp, f, row[f]);
      }
    };
  }

  /**
   * Fills matrix rows straight from a FlowColumns batch: each model column is looked up once (a
   * numeric column of the matrix, else a text column), then rows are read by index.
   */
  private columnsFiller(fc: FlowColumns, normalized: boolean): RowFiller {
    const F = this.columns.length;
    const W = fc.columns.length;
    const nf = this.pp.nonFinite;
    const numeric = new Int32Array(F).fill(-1);
    const text: Array<string[] | null> = new Array(F).fill(null);
    const missing: string[] = [];
    const position = new Map(fc.columns.map((c, j) => [c, j]));
    for (let f = 0; f < F; f++) {
      const j = position.get(this.sources[f]);
      if (j !== undefined) numeric[f] = j;
      else if (Object.prototype.hasOwnProperty.call(fc.text, this.sources[f])) text[f] = fc.text[this.sources[f]];
      else missing.push(this.sources[f]);
    }
    if (missing.length) throw new ColumnMismatchError(this.sources, missing, 'incoming flow columns');
    const values = fc.values;
    return (x, batchStart, from, to) => {
      for (let r = from; r < to; r++) {
        const o = (r - batchStart) * F;
        const row = r * W;
        for (let f = 0; f < F; f++) {
          const j = numeric[f];
          const v = toFeatureValue(j >= 0 ? values[row + j] : text[f]![r], nf);
          x[o + f] = normalized ? v : preprocessValue(this.pp, f, v);
        }
      }
    };
  }

  /**
   * An input matrix of `length` values: one the backend has handed back when there is one of that
   * size (a call of full batches reuses two or three matrices instead of allocating one per batch),
   * else a new one. Every value is overwritten before the matrix is sent.
   */
  private takeMatrix(length: number): Float32Array | Uint8Array {
    const k = this.freeMatrices.findIndex((m) => m.length === length);
    if (k >= 0) return this.freeMatrices.splice(k, 1)[0];
    return this.dtype === 'uint8' ? new Uint8Array(length) : new Float32Array(length);
  }

  private readonly recycleMatrix = (m: Float32Array | Uint8Array): void => {
    if (this.freeMatrices.length >= 4) this.freeMatrices.shift();
    this.freeMatrices.push(m);
  };

  private async runBatch(x: Float32Array | Uint8Array, rows: number): Promise<Float32Array> {
    const F = this.columns.length;
    const res = await this.backend.run({ data: x, rows, cols: F, dtype: this.dtype, outputs: [this.probName] }, this.recycleMatrix);
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
