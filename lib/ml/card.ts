/**
 * Model cards: everything the classifier needs to feed a model correctly. Stored as
 * `<model>.card.json` beside the model file, or as the JSON value of ONNX metadata key `deepmad.card`.
 */
import fs from 'node:fs';

export type Preprocessing =
  | { kind: 'none' }
  /** x' = clamp((x - min) / (max - min) * scale, 0, scale) rounded down to an integer (uint8 when scale ≤ 255) */
  | { kind: 'minmax-uint8'; min: number[]; max: number[]; scale?: number }
  /** x' = (x - mean) / std  (scikit-learn StandardScaler) */
  | { kind: 'standard'; mean: number[]; std: number[] }
  /** x' = (x - center) / scale  (scikit-learn RobustScaler) */
  | { kind: 'robust'; center: number[]; scale: number[] };

/** One layer of a Keras Sequential model, for weights-only files (`save_weights`) whose architecture is not stored. */
export type KerasLayerSpec =
  | { type: 'Dense'; units: number; activation?: string; useBias?: boolean; name?: string }
  | { type: 'Dropout'; rate?: number; name?: string }
  | { type: 'BatchNormalization'; epsilon?: number; name?: string }
  | { type: 'Activation'; activation: string; name?: string };

export interface ModelCard {
  /** fixed marker so a stray JSON file is not mistaken for a card */
  format: 'deepmad-model-card';
  version: 1;
  name: string;
  description?: string;
  /** flow-meter profile whose column names and semantics the model expects (e.g. 'improved') */
  profile: string;
  /** feature columns in model-input order (names as the profile's CSV header, trimmed) */
  columns: string[];
  preprocessing: Preprocessing;
  /**
   * where a column's value comes from when the model's name differs from the profile's
   * (e.g. {"Avg Packet Size": "Average Packet Size"}); flows are read by the mapped name
   */
  columnAliases?: Record<string, string>;
  /**
   * The model takes rows made by this normalize mode (e.g. 'prototype': the DeepMAD prototype's per-batch
   * scaling, which no fixed preprocessing can express); the classifier then accepts those rows although
   * `preprocessing` is 'none'.
   */
  normalizeMode?: string;
  /** how NaN/±Infinity in raw flows are mapped before preprocessing: 'zero' (default) or 'clamp' (±float32 max, NaN → 0) */
  nonFinite?: 'zero' | 'clamp';
  /** class labels in the order of the model's probability output */
  labels: string[];
  /** labels that count as benign; every other label is an attack */
  benignLabels: string[];
  /** a flow is malicious when P(attack) = 1 − Σ P(benign labels) ≥ threshold */
  threshold: number;
  /** model input element type; the classifier casts to it (default float32) */
  inputType?: 'float32' | 'uint8';
  /** Keras weights-only files: the layer stack after the input (Dense/Dropout/BatchNormalization/Activation) */
  kerasArchitecture?: KerasLayerSpec[];
  /** how the model was made: data, command, seed, code version */
  provenance?: Record<string, unknown>;
  /** held-out evaluation (cross-validation) summary */
  metrics?: Record<string, unknown>;
}

export class CardError extends Error {}

function isNumArray(v: unknown, len: number): v is number[] {
  return Array.isArray(v) && v.length === len && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/** Validates a parsed card; throws CardError naming the first problem. */
export function validateCard(raw: unknown, source = 'model card'): ModelCard {
  const fail = (msg: string): never => { throw new CardError(`${source}: ${msg}`); };
  if (!raw || typeof raw !== 'object') fail('not a JSON object');
  const c = raw as Record<string, unknown>;
  if (c.format !== 'deepmad-model-card') fail(`"format" must be "deepmad-model-card"`);
  if (typeof c.profile !== 'string' || !c.profile) fail('"profile" (flow-meter profile name) is missing');
  if (!Array.isArray(c.columns) || c.columns.length === 0 || !c.columns.every((x) => typeof x === 'string')) fail('"columns" must be a non-empty array of column names');
  const cols = c.columns as string[];
  const dup = cols.find((x, i) => cols.indexOf(x) !== i);
  if (dup !== undefined) fail(`column "${dup}" is listed twice`);
  if (!Array.isArray(c.labels) || c.labels.length < 2) fail('"labels" must list at least two class labels');
  const labels = (c.labels as unknown[]).map(String);
  if (labels.includes('__proto__')) fail('"__proto__" cannot be a class label');
  const dupLabel = labels.find((x, i) => labels.indexOf(x) !== i);
  if (dupLabel !== undefined) fail(`label "${dupLabel}" is listed twice`);
  if (!Array.isArray(c.benignLabels)) fail('"benignLabels" must be an array');
  for (const b of c.benignLabels as unknown[]) if (!labels.includes(String(b))) fail(`benign label "${String(b)}" is not one of the labels`);
  if (typeof c.threshold !== 'number' || !(c.threshold > 0 && c.threshold <= 1)) fail('"threshold" must be a number in (0, 1]');
  const p = c.preprocessing as Record<string, unknown> | undefined;
  if (!p || typeof p !== 'object') fail('"preprocessing" is missing');
  const F = cols.length;
  switch (p!.kind) {
    case 'none': break;
    case 'minmax-uint8':
      if (!isNumArray(p!.min, F) || !isNumArray(p!.max, F)) fail(`minmax-uint8 needs "min" and "max" arrays of ${F} numbers`);
      break;
    case 'standard':
      if (!isNumArray(p!.mean, F) || !isNumArray(p!.std, F)) fail(`standard needs "mean" and "std" arrays of ${F} numbers`);
      break;
    case 'robust':
      if (!isNumArray(p!.center, F) || !isNumArray(p!.scale, F)) fail(`robust needs "center" and "scale" arrays of ${F} numbers`);
      break;
    default: fail(`unknown preprocessing kind "${String(p!.kind)}" (none, minmax-uint8, standard, robust)`);
  }
  if (c.inputType !== undefined && c.inputType !== 'float32' && c.inputType !== 'uint8') fail('"inputType" must be float32 or uint8');
  if (c.columnAliases !== undefined && (typeof c.columnAliases !== 'object' || Array.isArray(c.columnAliases) || !Object.values(c.columnAliases as object).every((v) => typeof v === 'string'))) fail('"columnAliases" must map column names to flow column names');
  if (c.kerasArchitecture !== undefined && !Array.isArray(c.kerasArchitecture)) fail('"kerasArchitecture" must be an array of layers');
  return { ...(c as unknown as ModelCard), labels, name: typeof c.name === 'string' ? c.name : 'model', version: 1 };
}

export function cardPathFor(modelPath: string): string {
  return `${modelPath}.card.json`;
}

export function readCardFile(file: string): ModelCard {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CardError(`${file}: ${(err as Error).message}`);
  }
  return validateCard(raw, file);
}

/**
 * Turns preprocessing parameters into per-feature affine maps x' = (x - a) * b (+ clamp for uint8).
 * Precomputed once so the hot loop is two typed-array reads per value.
 */
export interface CompiledPreprocessing {
  offset: Float64Array;
  factor: Float64Array;
  /** min-max: per-column span (max − min); the value is ((x − min) / span) · scale, as lib/normalize computes it */
  span: Float64Array | null;
  /** clamp to [0, clampMax] and floor (minmax-uint8) */
  clampMax: number;
  nonFinite: 'zero' | 'clamp';
}

export function compilePreprocessing(card: ModelCard): CompiledPreprocessing {
  const F = card.columns.length;
  const offset = new Float64Array(F);
  const factor = new Float64Array(F).fill(1);
  const span = card.preprocessing.kind === 'minmax-uint8' ? new Float64Array(F) : null;
  let clampMax = 0;
  const p = card.preprocessing;
  for (let f = 0; f < F; f++) {
    switch (p.kind) {
      case 'none': break;
      case 'minmax-uint8': {
        const scale = p.scale ?? 255;
        const range = p.max[f] - p.min[f];
        offset[f] = p.min[f];
        factor[f] = scale;
        span![f] = range > 0 ? range : 0;
        clampMax = scale;
        break;
      }
      case 'standard':
        offset[f] = p.mean[f];
        factor[f] = p.std[f] !== 0 ? 1 / p.std[f] : 1; // sklearn leaves zero-variance features unscaled
        break;
      case 'robust':
        offset[f] = p.center[f];
        factor[f] = p.scale[f] !== 0 ? 1 / p.scale[f] : 1;
        break;
    }
  }
  return { offset, factor, span, clampMax, nonFinite: card.nonFinite ?? 'zero' };
}

const F32_MAX = 3.4028234663852886e38;

/** Maps one raw value (already numeric) of feature f through the preprocessing. */
export function preprocessValue(pp: CompiledPreprocessing, f: number, v: number): number {
  if (!Number.isFinite(v)) {
    if (pp.nonFinite === 'clamp' && !Number.isNaN(v)) v = v > 0 ? F32_MAX : -F32_MAX;
    else v = 0;
  }
  if (pp.span) {
    const s = pp.span[f];
    if (!(s > 0)) return 0; // constant column
    const r = ((v - pp.offset[f]) / s) * pp.factor[f];
    return r <= 0 ? 0 : r >= pp.clampMax ? pp.clampMax : Math.floor(r);
  }
  return (v - pp.offset[f]) * pp.factor[f];
}

/** The flow-object key each model column is read from (aliases applied). */
export function sourceColumns(card: ModelCard): string[] {
  return card.columns.map((c) => card.columnAliases?.[c] ?? c);
}
