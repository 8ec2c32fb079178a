/**
 * Normalizers turn batches of flow objects into NormalizedBatch rows (uint8, 0..255).
 *
 * How the scaling range is obtained is a *mode*, looked up in a registry so new modes (for example
 * an exact reproduction of the prototype's preprocessing) are added with `registerNormalizeMode`
 * without touching the node or the CLI:
 *   - `scaler`: a fixed, persisted scaler file (fitted by `deepmad fit-scaler`). The default and the
 *     only mode whose output means the same thing from one batch to the next.
 *   - `online`: learns per-column min/max from the flows as they pass (optionally from a saved
 *     starting point), scales each batch with the range known so far and saves the scaler on
 *     request; `freezeAfterRows` stops learning once enough rows were seen.
 *   - `batch`: min-max of each batch on its own, as the prototype did. Values are not comparable
 *     across batches (a column constant within a batch becomes 0); offered only when asked for.
 */
import { chooseFeatureColumns, resolveColumns, toNumber, type ColumnChoice, type FlowRecord } from './columns.js';
import { flowColumnsToObjects, isFlowColumns, type FlowColumns } from './flow-columns.js';
import { columnsSample, extractTrace, traceFromColumns, type NormalizedBatch } from './rows.js';
import { loadScaler, MinMaxAccumulator, saveScaler, scaleSpans, type NonFinite, type Scaler } from './scaler.js';

export interface NormalizeOptions extends ColumnChoice {
  /** Mode name; see the module comment. Default 'scaler'. */
  mode?: string;
  /** `scaler`: file to read (required). `online`: file to start from when present and to save to. */
  scalerFile?: string;
  /** `online`: stop widening the ranges after this many rows (0 or absent: never). */
  freezeAfterRows?: number;
  /** `online`/`batch`: how NaN/±Infinity are mapped (a scaler file carries its own). Default 'zero'. */
  nonFinite?: NonFinite;
  /** Provenance written into scalers this normalizer saves. */
  profile?: string;
}

export interface Normalizer {
  readonly mode: string;
  /** Output column names; null until the first flows fixed them (online/batch without `columns`). */
  readonly columns: readonly string[] | null;
  normalize(flows: readonly FlowRecord[]): NormalizedBatch;
  /**
   * The same for a columnar batch (FlowColumns), read straight from its matrix. Optional for modes
   * registered elsewhere; `normalizeAny` converts to objects for modes without it.
   */
  normalizeColumns?(fc: FlowColumns): NormalizedBatch;
  /** The scaler in use (the learned one for `online`), or null when there is none. */
  scaler(): Scaler | null;
  /** Persists learned state when the mode has any; returns true when a file was written. */
  save(): boolean;
}

export interface NormalizeMode {
  name: string;
  /** One line for help texts and `deepmad fit-scaler --help`. */
  summary: string;
  create(options: NormalizeOptions): Normalizer;
}

const modes = new Map<string, NormalizeMode>();

export function registerNormalizeMode(mode: NormalizeMode): void {
  modes.set(mode.name, mode);
}

export function normalizeModes(): NormalizeMode[] {
  return [...modes.values()];
}

export function createNormalizer(options: NormalizeOptions): Normalizer {
  const name = options.mode || 'scaler';
  const mode = modes.get(name);
  if (!mode) throw new Error(`unknown normalize mode '${name}' (known: ${[...modes.keys()].join(', ')})`);
  return mode.create(options);
}

type RowReader = (f: FlowRecord, m: Float64Array, o: number, num: (v: unknown) => number) => void;
const readers = new Map<string, RowReader>();

/**
 * A reader for one column list, generated once: named property loads (`f["Flow Duration"]`) stay
 * monomorphic when every flow has the same shape, several times faster than `f[keys[i]]` over
 * ~80 keys. Keys enter the source only through JSON.stringify.
 */
function rowReader(keys: readonly string[]): RowReader {
  const id = keys.join('\u0000');
  let r = readers.get(id);
  if (!r) {
    const body = keys.map((k, i) => `v = f[${JSON.stringify(k)}]; m[o + ${i}] = typeof v === 'number' ? v : num(v);`).join('\n');
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    r = new Function('f', 'm', 'o', 'num', `let v;\n${body}`) as RowReader;
    if (readers.size > 64) readers.clear(); // column lists are few; bound the cache anyway
    readers.set(id, r);
  }
  return r;
}

/**
 * Reads the feature values of `flows` into a row-major Float64Array, columns in `keys` order.
 * `keys` are the flow-side property names (already resolved).
 */
export function extractMatrix(flows: readonly FlowRecord[], keys: readonly string[], into?: Float64Array): Float64Array {
  const c = keys.length;
  const m = into && into.length >= flows.length * c ? into.subarray(0, flows.length * c) : new Float64Array(flows.length * c);
  const read = rowReader(keys);
  for (let r = 0; r < flows.length; r++) read(flows[r], m, r * c, toNumber);
  return m;
}

// One scratch matrix reused by every normalize() call (they are synchronous and never nested): the
// raw values only live until they are scaled, so allocating ~0.7 MB per 1000-flow batch is pure GC load.
let scratch = new Float64Array(0);
function scratchMatrix(flows: readonly FlowRecord[], keys: readonly string[]): Float64Array {
  const need = flows.length * keys.length;
  if (scratch.length < need) scratch = new Float64Array(Math.max(need, scratch.length * 2));
  return extractMatrix(flows, keys, scratch);
}

/**
 * Gathers the `keys` columns of a columnar batch into the scratch matrix (numeric columns by index;
 * a text column, e.g. a scaler column the batch holds as strings, through toNumber).
 */
function scratchFromColumns(fc: FlowColumns, keys: readonly string[]): Float64Array {
  const c = keys.length;
  const rows = fc.rows;
  if (scratch.length < rows * c) scratch = new Float64Array(Math.max(rows * c, scratch.length * 2));
  const m = scratch.subarray(0, rows * c);
  const C = fc.columns.length;
  const V = fc.values;
  const idx = Int32Array.from(keys, (k) => fc.columns.indexOf(k));
  if (C === c && idx.every((j, i) => j === i)) { m.set(V.subarray(0, rows * c)); return m; }
  // Wanted columns mostly come in runs of adjacent source columns (a few identity columns dropped):
  // copy run by run, row by row, so both matrices are read and written in memory order.
  const runs: number[] = []; // triples: source column, target column, length
  for (let i = 0; i < c;) {
    if (idx[i] < 0) { i++; continue; }
    let len = 1;
    while (i + len < c && idx[i + len] === idx[i] + len) len++;
    runs.push(idx[i], i, len);
    i += len;
  }
  const R = Int32Array.from(runs);
  for (let r = 0; r < rows; r++) {
    const src = r * C;
    const dst = r * c;
    for (let k = 0; k < R.length; k += 3) {
      const s0 = src + R[k];
      const d0 = dst + R[k + 1];
      const len = R[k + 2];
      for (let x = 0; x < len; x++) m[d0 + x] = V[s0 + x];
    }
  }
  for (let i = 0; i < c; i++) {
    if (idx[i] >= 0) continue;
    const t = fc.text[keys[i]];
    for (let r = 0; r < rows; r++) m[r * c + i] = toNumber(t?.[r]);
  }
  return m;
}

/** What a normalizer reads rows from: flow objects or a columnar batch. */
interface RowSource {
  rows: number;
  /** A flow with the batch's keys (for column choice and name resolution). */
  sample(): FlowRecord;
  /** The `keys` columns as a row-major matrix (scratch memory, valid until the next call). */
  matrix(keys: readonly string[]): Float64Array;
  trace(): NormalizedBatch['trace'];
}

function objectSource(flows: readonly FlowRecord[]): RowSource {
  return { rows: flows.length, sample: () => flows[0], matrix: (keys) => scratchMatrix(flows, keys), trace: () => extractTrace(flows) };
}

function columnSource(fc: FlowColumns): RowSource {
  let s: FlowRecord | null = null;
  return { rows: fc.rows, sample: () => (s ??= columnsSample(fc)), matrix: (keys) => scratchFromColumns(fc, keys), trace: () => traceFromColumns(fc) };
}

/** Normalizes flow objects or a FlowColumns batch with any normalizer. */
export function normalizeAny(n: Normalizer, flows: readonly FlowRecord[] | FlowColumns): NormalizedBatch {
  if (!isFlowColumns(flows)) return n.normalize(flows as readonly FlowRecord[]);
  if (n.normalizeColumns) return n.normalizeColumns(flows);
  return n.normalize(flowColumnsToObjects(flows));
}

/** Scales a row-major matrix with per-column min and max into a new uint8 matrix (`scaleValue`, inlined). */
export function scaleMatrix(m: Float64Array, rows: number, min: ArrayLike<number>, max: ArrayLike<number>, nonFinite: NonFinite = 'zero'): Uint8Array {
  const c = min.length;
  const span = scaleSpans(min, max);
  const lo = Float64Array.from(min as ArrayLike<number>);
  const clamp = nonFinite === 'clamp';
  const out = new Uint8Array(rows * c);
  for (let r = 0; r < rows; r++) {
    const base = r * c;
    for (let i = 0; i < c; i++) {
      let x = m[base + i];
      const sp = span[i];
      if (!(sp > 0)) continue; // constant column: 0
      if (x - x !== 0) {
        // NaN/±Infinity, as scaleValue: 'clamp' saturates the infinities, everything else counts as 0.
        if (clamp && x === Infinity) { out[base + i] = 255; continue; }
        if (clamp && x === -Infinity) continue;
        x = 0;
      }
      const v = ((x - lo[i]) / sp) * 255;
      out[base + i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.floor(v);
    }
  }
  return out;
}

/**
 * Keeps the flow-side property names for a column list, re-resolving only when a batch's flows
 * use other names (a different flow-meter profile).
 */
export class ColumnBinding {
  private keys: string[] | null = null;
  constructor(readonly columns: readonly string[]) {}

  keysFor(sample: FlowRecord): string[] {
    const k = this.keys;
    if (k && k.every((name) => Object.prototype.hasOwnProperty.call(sample, name))) return k;
    this.keys = resolveColumns(this.columns, sample);
    return this.keys;
  }
}

function emptyBatch(mode: string, columns: readonly string[] | null): NormalizedBatch {
  return { columns: columns ? [...columns] : [], rows: 0, data: new Uint8Array(0), trace: extractTrace([]), mode };
}

class ScalerNormalizer implements Normalizer {
  readonly mode = 'scaler';
  private readonly binding: ColumnBinding;
  private readonly min: Float64Array;
  private readonly max: Float64Array;
  constructor(private readonly fixed: Scaler) {
    this.binding = new ColumnBinding(fixed.columns);
    this.min = Float64Array.from(fixed.min);
    this.max = Float64Array.from(fixed.max);
  }
  get columns(): readonly string[] { return this.fixed.columns; }
  normalize(flows: readonly FlowRecord[]): NormalizedBatch { return this.run(objectSource(flows)); }
  normalizeColumns(fc: FlowColumns): NormalizedBatch { return this.run(columnSource(fc)); }
  private run(src: RowSource): NormalizedBatch {
    if (src.rows === 0) return emptyBatch(this.mode, this.fixed.columns);
    const keys = this.binding.keysFor(src.sample());
    const m = src.matrix(keys);
    return {
      columns: [...this.fixed.columns], rows: src.rows, data: scaleMatrix(m, src.rows, this.min, this.max, this.fixed.nonFinite),
      trace: src.trace(), mode: this.mode,
    };
  }
  scaler(): Scaler { return this.fixed; }
  save(): boolean { return false; }
}

class OnlineNormalizer implements Normalizer {
  readonly mode = 'online';
  private acc: MinMaxAccumulator | null = null;
  private binding: ColumnBinding | null = null;
  private dirty = false;
  constructor(private readonly options: NormalizeOptions, start: Scaler | null) {
    if (start) {
      this.acc = MinMaxAccumulator.from(start);
      this.binding = new ColumnBinding(start.columns);
    }
  }
  get columns(): readonly string[] | null { return this.acc ? this.acc.columns : null; }
  normalize(flows: readonly FlowRecord[]): NormalizedBatch { return this.run(objectSource(flows)); }
  normalizeColumns(fc: FlowColumns): NormalizedBatch { return this.run(columnSource(fc)); }
  private run(src: RowSource): NormalizedBatch {
    if (src.rows === 0) return emptyBatch(this.mode, this.columns);
    if (!this.acc || !this.binding) {
      const cols = chooseFeatureColumns(src.sample(), this.options);
      if (cols.length === 0) throw new Error('the flows have no numeric feature columns to normalize');
      this.acc = new MinMaxAccumulator(cols);
      this.binding = new ColumnBinding(cols);
    }
    const acc = this.acc;
    const rows = src.rows;
    const keys = this.binding.keysFor(src.sample());
    const m = src.matrix(keys);
    const limit = this.options.freezeAfterRows ?? 0;
    if (!(limit > 0 && acc.rows >= limit)) {
      const take = limit > 0 ? Math.min(rows, limit - acc.rows) : rows;
      acc.addMatrix(m, take);
      this.dirty = true;
    }
    return {
      columns: [...acc.columns], rows, data: scaleMatrix(m, rows, acc.min, acc.max, this.options.nonFinite),
      trace: src.trace(), mode: this.mode,
    };
  }
  scaler(): Scaler | null {
    return this.acc
      ? this.acc.toScaler({ source: 'learned online by deepmad normalize', profile: this.options.profile, nonFinite: this.options.nonFinite ?? 'zero' })
      : null;
  }
  save(): boolean {
    const file = this.options.scalerFile;
    const s = this.scaler();
    if (!file || !s || !this.dirty) return false;
    saveScaler(file, s);
    this.dirty = false;
    return true;
  }
}

class BatchNormalizer implements Normalizer {
  readonly mode = 'batch';
  private binding: ColumnBinding | null = null;
  constructor(private readonly options: NormalizeOptions) {}
  get columns(): readonly string[] | null { return this.binding ? this.binding.columns : null; }
  normalize(flows: readonly FlowRecord[]): NormalizedBatch { return this.run(objectSource(flows)); }
  normalizeColumns(fc: FlowColumns): NormalizedBatch { return this.run(columnSource(fc)); }
  private run(src: RowSource): NormalizedBatch {
    if (src.rows === 0) return emptyBatch(this.mode, this.columns);
    if (!this.binding) {
      const cols = chooseFeatureColumns(src.sample(), this.options);
      if (cols.length === 0) throw new Error('the flows have no numeric feature columns to normalize');
      this.binding = new ColumnBinding(cols);
    }
    const cols = this.binding.columns;
    const keys = this.binding.keysFor(src.sample());
    const m = src.matrix(keys);
    const acc = new MinMaxAccumulator(cols);
    acc.addMatrix(m, src.rows);
    return {
      columns: [...cols], rows: src.rows, data: scaleMatrix(m, src.rows, acc.min, acc.max, this.options.nonFinite),
      trace: src.trace(), mode: this.mode,
    };
  }
  scaler(): null { return null; }
  save(): boolean { return false; }
}

registerNormalizeMode({
  name: 'scaler',
  summary: 'fixed min/max from a scaler file fitted with `deepmad fit-scaler`',
  create(options) {
    if (!options.scalerFile) throw new Error("mode 'scaler' needs a scaler file (fit one with: deepmad fit-scaler flows.csv -o scaler.json)");
    return new ScalerNormalizer(loadScaler(options.scalerFile));
  },
});

registerNormalizeMode({
  name: 'online',
  summary: 'learns min/max from the flows as they pass and saves them to the scaler file',
  create(options) {
    let start: Scaler | null = null;
    if (options.scalerFile) {
      try {
        start = loadScaler(options.scalerFile);
      } catch (err) {
        // A missing file is the normal first start; anything else (bad JSON) must not be overwritten silently.
        if (!/ENOENT/.test((err as Error).message)) throw err;
      }
    }
    return new OnlineNormalizer(options, start);
  },
});

registerNormalizeMode({
  name: 'batch',
  summary: "min/max of each batch on its own (the prototype's behaviour; values differ from batch to batch)",
  create(options) {
    return new BatchNormalizer(options);
  },
});
