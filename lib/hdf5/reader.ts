/**
 * Reads DeepMAD flow HDF5 files back (and any pandas "fixed"-format frame: `df.to_hdf(f, key)` with
 * the default format): column names, the value matrix, and the row trace when present.
 */
import fs from 'node:fs';
import { emptyTrace, type NormalizedBatch, type RowTrace } from '../normalize/rows.js';
import { loadH5wasm, type H5Dataset, type H5File, type H5Module } from './h5wasm.js';
import { FRAME_GROUP, TRACE_GROUP, VALUES } from './layout.js';

export interface Hdf5Matrix {
  columns: string[];
  rows: number;
  /** Row-major values as stored (Uint8Array for DeepMAD files; other typed arrays for pandas frames). */
  values: ArrayLike<number>;
  dtype: string;
}

export interface Hdf5ReadOptions {
  /** Frame group; default 'flows', or the only pandas frame in the file. */
  group?: string;
  /** Row range [start, end); default all rows. */
  start?: number;
  end?: number;
}

export interface Hdf5FileInfo {
  file: string;
  group: string;
  rows: number;
  columns: string[];
  dtype: string;
  chunks: number[] | null;
  compression: string | null;
  hasTrace: boolean;
  hasLabel: boolean;
  attributes: Record<string, unknown>;
}

function openRead(h5: H5Module, file: string): H5File {
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file`);
  const f = new h5.File(file, 'r');
  if (f.file_id < 0n) throw new Error(`${file}: not an HDF5 file`);
  return f;
}

/** Finds the frame group: the requested one, 'flows', or the only group that pandas would read. */
function frameGroup(h5: H5Module, f: H5File, file: string, wanted?: string): string {
  const candidates = wanted ? [wanted] : [FRAME_GROUP];
  if (!wanted) {
    for (const k of f.keys()) {
      const g = f.get(k);
      if (g instanceof h5.Group && k !== FRAME_GROUP && g.get(VALUES) instanceof h5.Dataset) candidates.push(k);
    }
  }
  for (const c of candidates) {
    const g = f.get(c);
    if (g instanceof h5.Group && g.get(VALUES) instanceof h5.Dataset && g.get('axis0') instanceof h5.Dataset) return c;
  }
  throw new Error(`${file}: no frame group ${wanted ? `'${wanted}' ` : ''}with ${VALUES} and axis0 (written by DeepMAD hdf5 out or pandas to_hdf(format='fixed'))`);
}

function names(ds: H5Dataset): string[] {
  const v = ds.value;
  const arr = Array.isArray(v) ? v : [v];
  return arr.map((x) => (x instanceof Uint8Array ? Buffer.from(x).toString('utf8') : String(x)).replace(/\0+$/, ''));
}

function range(rows: number, opts: Hdf5ReadOptions): [number, number] {
  const start = Math.max(0, Math.min(rows, opts.start ?? 0));
  const end = Math.max(start, Math.min(rows, opts.end ?? rows));
  return [start, end];
}

export async function hdf5Info(file: string, group?: string): Promise<Hdf5FileInfo> {
  const h5 = await loadH5wasm();
  const f = openRead(h5, file);
  try {
    const g = frameGroup(h5, f, file, group);
    const values = f.get(`${g}/${VALUES}`) as H5Dataset;
    const shape = values.shape ?? [0, 0];
    const meta = values.metadata as { chunks?: number[] | null };
    const trace = f.get(TRACE_GROUP);
    const attributes: Record<string, unknown> = {};
    const grp = f.get(g) as InstanceType<H5Module['Group']>;
    for (const [k, a] of Object.entries(grp.attrs)) attributes[k] = a.value;
    return {
      file, group: g, rows: shape[0] ?? 0, columns: names(f.get(`${g}/axis0`) as H5Dataset),
      dtype: String(values.dtype), chunks: meta.chunks ?? null,
      compression: values.filters.some((x) => x.id === 1) ? 'gzip' : null,
      hasTrace: trace instanceof h5.Group, hasLabel: trace instanceof h5.Group && trace.keys().includes('label'),
      attributes,
    };
  } finally {
    f.close();
  }
}

/** Reads the value matrix of a frame (any numeric dtype). */
export async function readHdf5Matrix(file: string, opts: Hdf5ReadOptions = {}): Promise<Hdf5Matrix> {
  const h5 = await loadH5wasm();
  const f = openRead(h5, file);
  try {
    const g = frameGroup(h5, f, file, opts.group);
    const ds = f.get(`${g}/${VALUES}`) as H5Dataset;
    const shape = ds.shape ?? [0, 0];
    const columns = names(f.get(`${g}/axis0`) as H5Dataset);
    const [start, end] = range(shape[0] ?? 0, opts);
    const transposed = ds.attrs.transposed ? Number(ds.attrs.transposed.value) : 1;
    if (shape.length !== 2 || shape[1] !== columns.length || !transposed) {
      throw new Error(`${file}: ${g}/${VALUES} has shape [${shape}] for ${columns.length} columns; only row-major frames are supported`);
    }
    const values = end > start ? (ds.slice([[start, end], []]) as unknown as ArrayLike<number>) : new Uint8Array(0);
    if (typeof values !== 'object' || typeof (values as ArrayLike<number>).length !== 'number') {
      throw new Error(`${file}: ${g}/${VALUES} is not numeric (dtype ${String(ds.dtype)})`);
    }
    return { columns, rows: end - start, values, dtype: String(ds.dtype) };
  } finally {
    f.close();
  }
}

/** Reads rows of a DeepMAD flows file as a NormalizedBatch (uint8 values plus the trace). */
export async function readHdf5Rows(file: string, opts: Hdf5ReadOptions = {}): Promise<NormalizedBatch> {
  const m = await readHdf5Matrix(file, opts);
  if (!(m.values instanceof Uint8Array)) throw new Error(`${file}: values are ${m.dtype}, not uint8; normalize them first`);
  const h5 = await loadH5wasm();
  const f = openRead(h5, file);
  let trace: RowTrace;
  try {
    trace = readTrace(h5, f, m.rows, opts.start ?? 0);
  } finally {
    f.close();
  }
  let mode = 'unknown';
  try {
    const info = await hdf5Info(file, opts.group);
    if (typeof info.attributes.normalize_mode === 'string') mode = info.attributes.normalize_mode;
  } catch { /* attributes are optional */ }
  return { columns: m.columns, rows: m.rows, data: m.values, trace, mode };
}

function readTrace(h5: H5Module, f: H5File, rows: number, start: number): RowTrace {
  const t = emptyTrace(rows);
  const g = f.get(TRACE_GROUP);
  if (!(g instanceof h5.Group) || rows === 0) return t;
  const sl = (name: string): unknown => {
    const ds = g.get(name);
    return ds instanceof h5.Dataset ? ds.slice([[start, start + rows]]) : null;
  };
  const strs = (name: string): string[] | null => {
    const v = sl(name);
    return Array.isArray(v) ? v.map((x) => String(x)) : typeof v === 'string' ? [v] : null;
  };
  t.flowId = strs('flow_id') ?? t.flowId;
  t.timestamp = strs('timestamp') ?? t.timestamp;
  t.srcIp = strs('src_ip') ?? t.srcIp;
  t.dstIp = strs('dst_ip') ?? t.dstIp;
  t.label = strs('label');
  for (const [name, key] of [['src_port', 'srcPort'], ['dst_port', 'dstPort'], ['protocol', 'protocol']] as const) {
    const v = sl(name) as ArrayLike<number> | null;
    if (v && typeof v === 'object') t[key].set(Array.from(v));
  }
  return t;
}
