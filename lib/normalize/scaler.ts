/**
 * The persisted min-max scaler: per column, the minimum and maximum seen when fitting, and the
 * column order. A value x of column i becomes
 *
 *     u = floor((x - min[i]) / (max[i] - min[i]) * 255), clipped to 0..255
 *
 * (floor, like numpy's `astype(uint8)` on non-negative floats; dividing first makes x == max give
 * exactly 255, which multiplying by a precomputed 255 / span does not always do). A column that was constant while
 * fitting (max == min) carries no information and maps to 0. Non-finite inputs follow `nonFinite`:
 * 'zero' (default) treats NaN and ±Infinity as 0 before scaling; 'clamp' sends +Infinity to 255 and
 * -Infinity/NaN to 0.
 *
 * This is the model card's `minmax-uint8` preprocessing (lib/ml/card.ts); a scaler converts to a
 * card with `scalerToPreprocessing`.
 *
 * The JSON file is deliberately small and tool-neutral so a model card can point at it:
 *   { "format": "deepmad-scaler", "version": 1, "method": "minmax", "range": [0, 255],
 *     "nonFinite": "zero", "columns": [...], "min": [...], "max": [...], "rows": 12345, ... }
 */
import fs from 'node:fs';
import path from 'node:path';

export const SCALER_FORMAT = 'deepmad-scaler';
export const SCALER_VERSION = 1;

export type NonFinite = 'zero' | 'clamp';

export interface Scaler {
  format: typeof SCALER_FORMAT;
  version: number;
  method: 'minmax';
  /** Output range; always [0, 255] in version 1 (uint8). */
  range: [number, number];
  /** Feature column names in model input order. */
  columns: string[];
  /** Per-column minimum and maximum of the finite values seen while fitting. */
  min: number[];
  max: number[];
  /** How NaN/±Infinity inputs are mapped (see the module comment); absent = 'zero'. */
  nonFinite?: NonFinite;
  /** Number of rows the scaler was fitted on. */
  rows: number;
  /** Free-form provenance: where the rows came from, which flow-meter profile, when. */
  source?: string;
  profile?: string;
  created?: string;
}

/** Per-column span max - min (0 for a constant column), precomputed once per scaler. */
export function scaleSpans(min: ArrayLike<number>, max: ArrayLike<number>): Float64Array {
  const s = new Float64Array(min.length);
  for (let i = 0; i < s.length; i++) s[i] = Math.max(0, max[i] - min[i]);
  return s;
}

/** Scales one value of a column with its min and span (see `scaleSpans` and the module comment). */
export function scaleValue(x: number, min: number, span: number, nonFinite: NonFinite = 'zero'): number {
  if (!(x - x === 0)) {
    // NaN or ±Infinity
    x = nonFinite === 'clamp' && x === Infinity ? Number.MAX_VALUE : nonFinite === 'clamp' && x === -Infinity ? -Number.MAX_VALUE : 0;
  }
  if (!(span > 0)) return 0;
  const v = ((x - min) / span) * 255;
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.floor(v);
}

/** The model-card preprocessing (lib/ml/card.ts `minmax-uint8`) equivalent to a scaler. */
export function scalerToPreprocessing(s: Scaler): { kind: 'minmax-uint8'; min: number[]; max: number[]; scale: number } {
  return { kind: 'minmax-uint8', min: [...s.min], max: [...s.max], scale: 255 };
}

/** Accumulates per-column min/max over rows; the fitting half of the scaler. */
export class MinMaxAccumulator {
  readonly columns: string[];
  readonly min: Float64Array;
  readonly max: Float64Array;
  rows = 0;

  constructor(columns: readonly string[]) {
    this.columns = [...columns];
    this.min = new Float64Array(columns.length).fill(Infinity);
    this.max = new Float64Array(columns.length).fill(-Infinity);
  }

  /** Adds one row of values in column order; non-finite values do not move the range. */
  addRow(values: ArrayLike<number>): void {
    const { min, max } = this;
    for (let i = 0; i < min.length; i++) {
      const x = values[i];
      if (x === Infinity || x === -Infinity || !(x === x)) continue;
      if (x < min[i]) min[i] = x;
      if (x > max[i]) max[i] = x;
    }
    this.rows++;
  }

  /** Adds `rows` rows of a row-major matrix (the hot path of online fitting: no per-row work beyond compares). */
  addMatrix(data: ArrayLike<number>, rows: number): void {
    const { min, max } = this;
    const n = min.length;
    for (let r = 0; r < rows; r++) {
      const base = r * n;
      for (let i = 0; i < n; i++) {
        const x = data[base + i];
        // x - x === 0 is false for NaN and ±Infinity: they never move the range.
        if (x - x !== 0) continue;
        if (x < min[i]) min[i] = x;
        if (x > max[i]) max[i] = x;
      }
    }
    this.rows += rows;
  }

  /** Starts from an existing scaler (to keep learning online after a restart). */
  static from(scaler: Scaler): MinMaxAccumulator {
    const acc = new MinMaxAccumulator(scaler.columns);
    acc.min.set(scaler.min);
    acc.max.set(scaler.max);
    acc.rows = scaler.rows;
    return acc;
  }

  toScaler(extra: Pick<Scaler, 'source' | 'profile' | 'nonFinite'> = {}): Scaler {
    const fix = (v: number) => (Number.isFinite(v) ? v : 0); // a column with no finite value
    return {
      format: SCALER_FORMAT,
      version: SCALER_VERSION,
      method: 'minmax',
      range: [0, 255],
      nonFinite: 'zero',
      columns: [...this.columns],
      min: Array.from(this.min, fix),
      max: Array.from(this.max, fix),
      rows: this.rows,
      ...extra,
      created: new Date().toISOString(),
    };
  }
}

/** Checks a parsed JSON value is a usable scaler; throws a message naming the first problem. */
export function validateScaler(v: unknown, where = 'scaler'): Scaler {
  const fail = (why: string): never => { throw new Error(`${where}: ${why}`); };
  if (typeof v !== 'object' || v === null) fail('not a JSON object');
  const s = v as Record<string, unknown>;
  if (s.format !== SCALER_FORMAT) fail(`"format" must be "${SCALER_FORMAT}" (got ${JSON.stringify(s.format)})`);
  if (s.version !== SCALER_VERSION) fail(`unsupported version ${JSON.stringify(s.version)} (this DeepMAD reads version ${SCALER_VERSION})`);
  if (s.method !== 'minmax') fail(`unsupported method ${JSON.stringify(s.method)}`);
  const cols = s.columns;
  if (!Array.isArray(cols) || cols.length === 0 || !cols.every((c) => typeof c === 'string')) fail('"columns" must be a non-empty array of names');
  const n = (cols as string[]).length;
  for (const k of ['min', 'max'] as const) {
    const a = s[k];
    if (!Array.isArray(a) || a.length !== n || !a.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      fail(`"${k}" must be an array of ${n} finite numbers, one per column`);
    }
  }
  const min = s.min as number[];
  const max = s.max as number[];
  for (let i = 0; i < n; i++) if (max[i] < min[i]) fail(`column '${(cols as string[])[i]}' has max < min`);
  if (s.nonFinite !== undefined && s.nonFinite !== 'zero' && s.nonFinite !== 'clamp') fail('"nonFinite" must be "zero" or "clamp"');
  return {
    ...(s as unknown as Scaler),
    range: [0, 255],
    rows: typeof s.rows === 'number' ? s.rows : 0,
  };
}

export function loadScaler(file: string): Scaler {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read scaler file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`scaler file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  return validateScaler(json, `scaler file ${file}`);
}

/** Writes the scaler atomically (temp file + rename) so a crash never leaves half a file. */
export function saveScaler(file: string, scaler: Scaler): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  // One line per key: the arrays stay readable side by side and diff well.
  const body = Object.entries(scaler).filter(([, v]) => v !== undefined).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n');
  fs.writeFileSync(tmp, `{\n${body}\n}\n`);
  fs.renameSync(tmp, file);
}
