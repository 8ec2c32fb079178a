/**
 * Keras Sequential models (Dense / Dropout / BatchNormalization / Activation) → ONNX, read with
 * h5wasm. Layouts: Keras 2 full-model .h5 (`model_config` + `model_weights/<layer>/<weight_name>`),
 * Keras 3 legacy .h5 (same, weight names without `:0`), Keras 3 `.keras` zip (`config.json` +
 * `model.weights.h5` with `layers/<layer>/vars/<i>`), and weights-only files (`save_weights`: Keras 2
 * root `layer_names`, or Keras 3 `.weights.h5`) whose layer stack comes from the card's `kerasArchitecture`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { KerasLayerSpec, ModelCard } from './card.js';
import { attr, DataType, encodeModel, type OnnxInitializer, type OnnxNode } from './onnx.js';

/** Minimal view of the h5wasm API we use (ESM-only package, loaded with import()). */
interface H5Attr { value: unknown }
interface H5Obj { attrs: Record<string, H5Attr>; keys?: () => string[]; value?: unknown; shape?: number[] }
interface H5File extends H5Obj { file_id: bigint; get(p: string): H5Obj | null; close(): void }
interface H5Module { ready: Promise<unknown>; File: new (p: string, mode: string) => H5File }

let h5Promise: Promise<H5Module> | null = null;
async function loadH5(): Promise<H5Module> {
  if (!h5Promise) {
    h5Promise = (import('h5wasm/node') as Promise<unknown>).then(async (m) => {
      const mod = m as H5Module;
      await mod.ready;
      return mod;
    });
  }
  return h5Promise;
}

export const SUPPORTED_ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax', 'elu', 'selu', 'softplus', 'softsign'];

export type KerasLayer =
  | { kind: 'dense'; name: string; inputs: number; units: number; kernel: Float32Array; bias: Float32Array | null; activation: string }
  | { kind: 'scale'; name: string; scale: Float32Array; shift: Float32Array }
  | { kind: 'activation'; name: string; activation: string };

export class KerasError extends Error {}

interface LayerConfig { class_name: string; config: Record<string, unknown> }

function activationOf(a: unknown, layer: string): string {
  const name = typeof a === 'string' ? a : a && typeof a === 'object' ? String((a as { class_name?: unknown; config?: { name?: unknown } }).config?.name ?? (a as { class_name?: unknown }).class_name) : 'linear';
  const n = name.toLowerCase();
  if (!SUPPORTED_ACTIVATIONS.includes(n)) throw new KerasError(`layer "${layer}": activation "${name}" is not supported (supported: ${SUPPORTED_ACTIVATIONS.join(', ')})`);
  return n;
}

function stripSuffix(n: string): string {
  return n.replace(/:0$/, '').split('/').pop()!;
}

function asStrings(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  const arr = Array.isArray(v) ? v : typeof v === 'string' ? [v] : Array.from(v as ArrayLike<unknown>);
  return arr.map((x) => (x instanceof Uint8Array ? Buffer.from(x).toString('utf8') : String(x)));
}

function f32(v: unknown, what: string): Float32Array {
  if (v instanceof Float32Array) return v;
  if (v instanceof Float64Array || Array.isArray(v)) return Float32Array.from(v as ArrayLike<number>);
  throw new KerasError(`${what}: not a float dataset`);
}

/** A weight store: named weights per layer, in file order. */
interface WeightSource {
  /** weights of a layer by short name (kernel, bias, gamma, beta, moving_mean, moving_variance) or index */
  layer(name: string): { byName: Map<string, { data: Float32Array; shape: number[] }>; list: Array<{ data: Float32Array; shape: number[] }> } | null;
  /** names of layers that carry weights, in file order */
  weightedLayers(): string[];
}

function legacyWeights(file: H5File, root: string): WeightSource {
  const base = root ? file.get(root) : file;
  if (!base) throw new KerasError(`no "${root}" group`);
  const names = asStrings(base.attrs['layer_names']?.value);
  return {
    weightedLayers: () => names.filter((n) => asStrings(file.get(root ? `${root}/${n}` : n)?.attrs['weight_names']?.value).length > 0),
    layer(name) {
      const g = file.get(root ? `${root}/${name}` : name);
      if (!g) return null;
      const byName = new Map<string, { data: Float32Array; shape: number[] }>();
      const list: Array<{ data: Float32Array; shape: number[] }> = [];
      for (const wn of asStrings(g.attrs['weight_names']?.value)) {
        const ds = file.get(`${root ? `${root}/` : ''}${name}/${wn}`);
        if (!ds) throw new KerasError(`layer "${name}": weight "${wn}" listed but not stored`);
        const w = { data: f32(ds.value, `${name}/${wn}`), shape: ds.shape ?? [] };
        byName.set(stripSuffix(wn), w);
        list.push(w);
      }
      return { byName, list };
    },
  };
}

function keras3Weights(file: H5File): WeightSource {
  const layers = file.get('layers');
  const natural = (a: string, b: string): number => {
    const m = (s: string): [string, number] => { const r = /^(.*?)(?:_(\d+))?$/.exec(s)!; return [r[1], r[2] ? Number(r[2]) : 0]; };
    const [pa, na] = m(a); const [pb, nb] = m(b);
    return pa < pb ? -1 : pa > pb ? 1 : na - nb;
  };
  const names = layers?.keys ? layers.keys() : [];
  const read = (name: string): Array<{ data: Float32Array; shape: number[] }> => {
    const vars = file.get(`layers/${name}/vars`);
    const keys = vars?.keys ? vars.keys().sort((a, b) => Number(a) - Number(b)) : [];
    return keys.map((k) => { const ds = file.get(`layers/${name}/vars/${k}`)!; return { data: f32(ds.value, `${name}/vars/${k}`), shape: ds.shape ?? [] }; });
  };
  return {
    weightedLayers: () => names.filter((n) => read(n).length > 0).sort(natural),
    layer(name) {
      if (!file.get(`layers/${name}`)) return null;
      const list = read(name);
      return { byName: new Map(), list };
    },
  };
}

const SUPPORTED_LAYERS = new Set(['InputLayer', 'Dropout', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'Flatten', 'Activation', 'ReLU', 'Softmax', 'Dense', 'BatchNormalization']);

/**
 * Which stored layer holds the weights of a weighted config layer. With a model config the names
 * match. Weights-only files: a name given in the card wins; otherwise Keras 2 files list their layers
 * in order (root `layer_names`), and Keras 3 files are matched per type (dense, dense_1, … in order).
 */
function weightResolver(weights: WeightSource, byName: boolean, keras3: boolean): (lc: LayerConfig, named: boolean) => string | undefined {
  if (byName) return (lc) => String(lc.config.name);
  const order = weights.weightedLayers();
  let next = 0;
  const used = new Set<string>();
  return (lc, named) => {
    if (named) { used.add(String(lc.config.name)); return String(lc.config.name); }
    if (!keras3) { while (next < order.length && used.has(order[next])) next++; return order[next++]; }
    const prefix = lc.class_name === 'Dense' ? 'dense' : 'batch_normalization';
    const found = order.find((n) => !used.has(n) && new RegExp(`^${prefix}(_\\d+)?$`).test(n));
    if (found) used.add(found);
    return found;
  };
}

/** Builds the layer list from Keras layer configs and a weight source. */
function buildLayers(configs: LayerConfig[], weightOf: (lc: LayerConfig, named: boolean) => string | undefined, weights: WeightSource, inputs: number, namedInCard: boolean[] = []): KerasLayer[] {
  for (const lc of configs) {
    if (!SUPPORTED_LAYERS.has(lc.class_name)) {
      throw new KerasError(`layer "${String(lc.config?.name ?? lc.class_name)}" of type ${lc.class_name} is not supported (supported: Dense, Dropout, BatchNormalization, Activation, ReLU, Softmax, InputLayer, Flatten)`);
    }
  }
  const out: KerasLayer[] = [];
  let width = inputs;
  for (const [li, lc] of configs.entries()) {
    const cfg = lc.config ?? {};
    const name = String(cfg.name ?? lc.class_name);
    switch (lc.class_name) {
      case 'InputLayer': case 'Dropout': case 'GaussianNoise': case 'GaussianDropout': case 'AlphaDropout':
        break;
      case 'Flatten': case 'Reshape':
        if (lc.class_name === 'Reshape') throw new KerasError(`layer "${name}" (Reshape) is not supported`);
        break; // inputs are already flat [N, F]
      case 'Activation': case 'ReLU': case 'Softmax': {
        const a = lc.class_name === 'Activation' ? activationOf(cfg.activation, name) : lc.class_name === 'ReLU' ? 'relu' : 'softmax';
        out.push({ kind: 'activation', name, activation: a });
        break;
      }
      case 'Dense': {
        const wname = weightOf(lc, !!namedInCard[li]);
        const w = wname ? weights.layer(wname) : null;
        if (!w) throw new KerasError(`layer "${name}" (Dense): no weights found in the file`);
        const kernel = w.byName.get('kernel') ?? w.list[0];
        const useBias = cfg.use_bias !== false;
        const bias = useBias ? (w.byName.get('bias') ?? w.list[1] ?? null) : null;
        const units = Number(cfg.units ?? kernel.shape[1]);
        if (!kernel || kernel.shape.length !== 2) throw new KerasError(`layer "${name}" (Dense): kernel is not a 2-D matrix`);
        if (kernel.shape[0] !== width) throw new KerasError(`layer "${name}" (Dense): kernel expects ${kernel.shape[0]} inputs but the previous layer gives ${width}`);
        if (kernel.shape[1] !== units) throw new KerasError(`layer "${name}" (Dense): kernel has ${kernel.shape[1]} units, config says ${units}`);
        out.push({ kind: 'dense', name, inputs: width, units, kernel: kernel.data, bias: bias ? bias.data : null, activation: activationOf(cfg.activation ?? 'linear', name) });
        width = units;
        break;
      }
      case 'BatchNormalization': {
        const wname = weightOf(lc, !!namedInCard[li]);
        const w = wname ? weights.layer(wname) : null;
        if (!w) throw new KerasError(`layer "${name}" (BatchNormalization): no weights found in the file`);
        const center = cfg.center !== false;
        const scaleOn = cfg.scale !== false;
        const eps = Number(cfg.epsilon ?? 1e-3);
        // file order: [gamma] [beta] moving_mean moving_variance
        const list = [...w.list];
        const gamma = w.byName.get('gamma')?.data ?? (scaleOn ? list.shift()!.data : null);
        if (!w.byName.has('gamma') && scaleOn) { /* consumed above */ }
        const beta = w.byName.get('beta')?.data ?? (center ? list.shift()!.data : null);
        const mean = w.byName.get('moving_mean')?.data ?? list.shift()?.data;
        const variance = w.byName.get('moving_variance')?.data ?? list.shift()?.data;
        if (!mean || !variance || mean.length !== width) throw new KerasError(`layer "${name}" (BatchNormalization): moving mean/variance missing or not of width ${width}`);
        const scale = new Float32Array(width);
        const shift = new Float32Array(width);
        for (let i = 0; i < width; i++) {
          const s = (gamma ? gamma[i] : 1) / Math.sqrt(variance[i] + eps);
          scale[i] = s;
          shift[i] = (beta ? beta[i] : 0) - mean[i] * s;
        }
        out.push({ kind: 'scale', name, scale, shift });
        break;
      }
      default:
        throw new KerasError(`layer "${name}" of type ${lc.class_name} is not supported (supported: Dense, Dropout, BatchNormalization, Activation, ReLU, Softmax, InputLayer, Flatten)`);
    }
  }
  if (out.length === 0) throw new KerasError('the model has no Dense layers');
  return out;
}

function specToConfigs(spec: KerasLayerSpec[]): LayerConfig[] {
  return spec.map((l) => {
    switch (l.type) {
      case 'Dense': return { class_name: 'Dense', config: { name: l.name ?? 'dense', units: l.units, activation: l.activation ?? 'linear', use_bias: l.useBias ?? true } };
      case 'Dropout': return { class_name: 'Dropout', config: { name: l.name ?? 'dropout', rate: l.rate ?? 0 } };
      case 'BatchNormalization': return { class_name: 'BatchNormalization', config: { name: l.name ?? 'batch_normalization', epsilon: l.epsilon ?? 1e-3 } };
      case 'Activation': return { class_name: 'Activation', config: { name: l.name ?? 'activation', activation: l.activation } };
      default: throw new KerasError(`kerasArchitecture: layer type "${(l as { type: string }).type}" is not supported`);
    }
  });
}

function sequentialLayers(modelConfig: string, what: string): LayerConfig[] {
  let cfg: { class_name?: string; config?: { layers?: LayerConfig[] } | LayerConfig[] };
  try { cfg = JSON.parse(modelConfig); } catch (err) { throw new KerasError(`${what}: model config is not JSON (${(err as Error).message})`); }
  if (cfg.class_name !== 'Sequential') throw new KerasError(`${what}: only Sequential models are supported, this is a ${cfg.class_name ?? 'unknown'} model`);
  const layers = Array.isArray(cfg.config) ? cfg.config : cfg.config?.layers;
  if (!Array.isArray(layers)) throw new KerasError(`${what}: model config has no layer list`);
  return layers;
}

/** Reads a stored file entry from a zip (stored or deflated), enough for `.keras` archives. */
function readZipEntry(buf: Buffer, name: string): Buffer | null {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  if (eocd < 0) throw new KerasError('not a zip archive (.keras files are zip archives)');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new KerasError('corrupt zip central directory');
    const method = buf.readUInt16LE(p + 10);
    const csize = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const entry = buf.toString('utf8', p + 46, p + 46 + nameLen);
    if (entry === name) {
      const dataStart = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
      const data = buf.subarray(dataStart, dataStart + csize);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return zlib.inflateRawSync(data);
      throw new KerasError(`zip entry ${name}: compression method ${method} not supported`);
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  return null;
}

/** Reads a Keras file into layers. `card` provides the input width and, for weights-only files, the architecture. */
export async function readKeras(file: string, card: Pick<ModelCard, 'columns' | 'kerasArchitecture'>): Promise<KerasLayer[]> {
  if (!fs.existsSync(file)) throw new KerasError(`no such file: ${file}`);
  const h5 = await loadH5();
  const inputs = card.columns.length;
  const head = Buffer.alloc(4);
  const fd = fs.openSync(file, 'r');
  fs.readSync(fd, head, 0, 4, 0);
  fs.closeSync(fd);
  let h5path = file;
  let tmpDir: string | null = null;
  let zipConfig: string | null = null;
  if (head.readUInt32LE(0) === 0x04034b50) {
    const zip = fs.readFileSync(file);
    const config = readZipEntry(zip, 'config.json');
    const weights = readZipEntry(zip, 'model.weights.h5');
    if (!config || !weights) throw new KerasError(`${file}: .keras archive lacks config.json or model.weights.h5`);
    zipConfig = config.toString('utf8');
    // h5wasm's node build opens host paths only, so the weights go to a private temp file
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-keras-'));
    h5path = path.join(tmpDir, 'model.weights.h5');
    fs.writeFileSync(h5path, weights);
  }
  const f = new h5.File(h5path, 'r');
  try {
    if (f.file_id < 0n) throw new KerasError(`${file}: not an HDF5 file`);
    const modelConfig = zipConfig ?? (f.attrs['model_config'] ? String(f.attrs['model_config'].value) : null);
    const keras3Vars = !!f.get('layers');
    if (modelConfig) {
      const configs = sequentialLayers(modelConfig, file);
      const weights = keras3Vars ? keras3Weights(f) : legacyWeights(f, 'model_weights');
      return buildLayers(configs, weightResolver(weights, true, keras3Vars), weights, inputs);
    }
    if (!card.kerasArchitecture) {
      throw new KerasError(`${file}: weights-only Keras file (no model_config); give the layer stack in the card's "kerasArchitecture" (e.g. [{"type":"Dense","units":28,"activation":"relu"},{"type":"Dropout"},…])`);
    }
    const configs = specToConfigs(card.kerasArchitecture);
    // weights are matched to the card's weighted layers in file order
    const weights = keras3Vars ? keras3Weights(f) : legacyWeights(f, '');
    return buildLayers(configs, weightResolver(weights, false, keras3Vars), weights, inputs, card.kerasArchitecture.map((l) => !!l.name));
  } finally {
    f.close();
    if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

/** Layers → ONNX graph: MatMul/Add per Dense, Mul/Add per folded BatchNormalization, activation ops. */
export function layersToOnnx(layers: KerasLayer[], inputs: number, metadata: Record<string, string> = {}): Uint8Array {
  const nodes: OnnxNode[] = [];
  const inits: OnnxInitializer[] = [];
  let cur = 'input';
  let width = inputs;
  let n = 0;
  const next = (): string => `t${n++}`;
  const activation = (a: string, layer: string): void => {
    if (a === 'linear') return;
    const out = next();
    const op = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh', softmax: 'Softmax', elu: 'Elu', selu: 'Selu', softplus: 'Softplus', softsign: 'Softsign' }[a];
    if (!op) throw new KerasError(`layer "${layer}": activation "${a}" is not supported`);
    nodes.push({ op, inputs: [cur], outputs: [out], attrs: op === 'Softmax' ? [attr.int('axis', -1)] : op === 'Selu' ? [attr.float('alpha', 1.6732632423543772), attr.float('gamma', 1.0507009873554805)] : [] });
    cur = out;
  };
  for (const [li, layer] of layers.entries()) {
    // initializer names must be unique even when card-given layers share a name
    const l = { ...layer, name: `l${li}_${layer.name}` } as KerasLayer;
    if (l.kind === 'dense') {
      inits.push({ name: `${l.name}_kernel`, dims: [l.inputs, l.units], data: l.kernel });
      let out = next();
      nodes.push({ op: 'MatMul', inputs: [cur, `${l.name}_kernel`], outputs: [out] });
      cur = out;
      if (l.bias) {
        inits.push({ name: `${l.name}_bias`, dims: [l.units], data: l.bias });
        out = next();
        nodes.push({ op: 'Add', inputs: [cur, `${l.name}_bias`], outputs: [out] });
        cur = out;
      }
      width = l.units;
      activation(l.activation, l.name);
    } else if (l.kind === 'scale') {
      inits.push({ name: `${l.name}_scale`, dims: [width], data: l.scale }, { name: `${l.name}_shift`, dims: [width], data: l.shift });
      const m = next();
      nodes.push({ op: 'Mul', inputs: [cur, `${l.name}_scale`], outputs: [m] });
      const a = next();
      nodes.push({ op: 'Add', inputs: [m, `${l.name}_shift`], outputs: [a] });
      cur = a;
    } else {
      activation(l.activation, l.name);
    }
  }
  nodes.push({ op: 'Identity', inputs: [cur], outputs: ['probabilities'] });
  return encodeModel({
    graphName: 'keras_sequential', producer: 'deepmad-keras',
    inputs: [{ name: 'input', elemType: DataType.FLOAT, shape: ['N', inputs] }],
    outputs: [{ name: 'probabilities', elemType: DataType.FLOAT, shape: ['N', width] }],
    nodes, initializers: inits, opsets: [{ domain: '', version: 17 }], metadata,
  });
}

/** Reference forward pass in TS (float64), used to check the ONNX conversion. */
export function forwardPass(layers: KerasLayer[], x: Float32Array, rows: number, inputs: number): Float64Array {
  let cur = Float64Array.from(x);
  let width = inputs;
  const act = (v: Float64Array, w: number, a: string): void => {
    for (let r = 0; r < rows; r++) {
      const row = v.subarray(r * w, r * w + w);
      if (a === 'softmax') {
        let m = -Infinity; for (const y of row) m = Math.max(m, y);
        let s = 0; for (let i = 0; i < w; i++) { row[i] = Math.exp(row[i] - m); s += row[i]; }
        for (let i = 0; i < w; i++) row[i] /= s;
      } else for (let i = 0; i < w; i++) {
        const y = row[i];
        row[i] = a === 'relu' ? Math.max(0, y) : a === 'sigmoid' ? 1 / (1 + Math.exp(-y)) : a === 'tanh' ? Math.tanh(y) : a === 'elu' ? (y > 0 ? y : Math.expm1(y))
          : a === 'selu' ? 1.0507009873554805 * (y > 0 ? y : 1.6732632423543772 * Math.expm1(y)) : a === 'softplus' ? Math.log1p(Math.exp(y)) : a === 'softsign' ? y / (1 + Math.abs(y)) : y;
      }
    }
  };
  for (const l of layers) {
    if (l.kind === 'dense') {
      const out = new Float64Array(rows * l.units);
      for (let r = 0; r < rows; r++) for (let j = 0; j < l.units; j++) {
        let s = l.bias ? l.bias[j] : 0;
        for (let i = 0; i < l.inputs; i++) s += cur[r * l.inputs + i] * l.kernel[i * l.units + j];
        out[r * l.units + j] = s;
      }
      cur = out; width = l.units;
      act(cur, width, l.activation);
    } else if (l.kind === 'scale') {
      for (let r = 0; r < rows; r++) for (let i = 0; i < width; i++) cur[r * width + i] = cur[r * width + i] * l.scale[i] + l.shift[i];
    } else act(cur, width, l.activation);
  }
  return cur;
}

export async function kerasToOnnx(file: string, card: ModelCard): Promise<Uint8Array> {
  const layers = await readKeras(file, card);
  return layersToOnnx(layers, card.columns.length);
}
