/**
 * Read and write the HDF5 layout of pandas `DataFrame.to_hdf(path, key, format='table')`
 * (a PyTables "appendable_frame" table), with h5wasm.
 *
 * This is the layout the Python DeepMAD prototype wrote (`Normalized-data.h5`, `normed_data.h5`):
 *   /                 attrs CLASS='GROUP', PYTABLES_FORMAT_VERSION='2.1', VERSION='1.0' (+ empty TITLEs)
 *   /<key>            group; pandas attrs: pandas_type='frame_table', pandas_version='0.15.2',
 *                     table_type='appendable_frame', levels=1 (int64), nan_rep, encoding, errors, and
 *                     pickled (protocol 0) index_cols, values_cols, non_index_axes, data_columns, info
 *   /<key>/table      1-D compound dataset, one row per frame row: field `index` (int64) and one field
 *                     `values_block_N` per dtype, an array member holding that block's columns;
 *                     attrs CLASS='TABLE', VERSION='2.7', NROWS, FIELD_i_NAME/FILL, index_kind,
 *                     values_block_N_dtype, values_block_N_kind (pickled column list), _meta (pickled None)
 * pandas restores the column order from `non_index_axes`. pandas also builds a PyTables index
 * (`/<key>/_i_table`); it is an optional search accelerator and we do not write it. Nor do we write
 * the empty TITLE attributes (stored with a null dataspace, which h5wasm cannot create); PyTables
 * treats a missing TITLE as ''.
 *
 * h5wasm's high-level writer cannot prepare array members inside a compound, so rows are packed here
 * and handed to its low-level create/set calls as raw bytes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isDict, isTuple, looksPickled, pickle0, pyDict, pyTuple, unpickle, type PyValue } from './pickle0.js';

type H5 = typeof import('h5wasm/node', { with: { 'resolution-mode': 'import' } });
type H5File = InstanceType<H5['File']>;

let h5Promise: Promise<H5> | undefined;
async function loadH5(): Promise<H5> {
  h5Promise ??= (async () => {
    const h5 = await import('h5wasm/node');
    await h5.ready;
    return h5;
  })();
  return h5Promise;
}

/** Column dtypes we store; names are numpy's. `bytes` = fixed-width UTF-8 strings (pandas object columns). */
export type PandasDtype = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'int64' | 'float32' | 'float64' | 'bytes';

export type ColumnValues = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array | Array<string | null>;

/** One frame column. int64 columns are held as Float64Array (exact up to 2^53). Strings: null = NaN. */
export interface PandasColumn { name: string; dtype: PandasDtype; values: ColumnValues }

/** A frame as pandas holds it: row index (int64, as numbers) and columns in display order. */
export interface PandasFrame { index: Float64Array; columns: PandasColumn[] }

export interface WritePandasOptions {
  /** HDF5 group, pandas' `key` (default 'data'). */
  key?: string;
  /** 'w' = new file (replaces an existing one); 'a' = append rows to the table at `key`, creating it when absent. */
  mode?: 'w' | 'a';
  /** Minimum byte width of string columns (pandas' `min_itemsize`); strings longer than the stored width fail on append. */
  minItemsize?: number;
}

interface DtypeInfo { size: number; h5: string; fill: PyValue; pandasName: string }
const DTYPES: Record<PandasDtype, DtypeInfo> = {
  uint8: { size: 1, h5: '<B', fill: 0, pandasName: 'uint8' },
  int8: { size: 1, h5: '<b', fill: 0, pandasName: 'int8' },
  uint16: { size: 2, h5: '<H', fill: 0, pandasName: 'uint16' },
  int16: { size: 2, h5: '<h', fill: 0, pandasName: 'int16' },
  uint32: { size: 4, h5: '<I', fill: 0, pandasName: 'uint32' },
  int32: { size: 4, h5: '<i', fill: 0, pandasName: 'int32' },
  int64: { size: 8, h5: '<q', fill: 0, pandasName: 'int64' },
  float32: { size: 4, h5: '<f', fill: 0, pandasName: 'float32' },
  float64: { size: 8, h5: '<d', fill: 0, pandasName: 'float64' },
  bytes: { size: 0, h5: 'S', fill: '', pandasName: 'object' },
};

export class PandasTableError extends Error {}

// ---------------------------------------------------------------- reading

/**
 * Read `key` of a pandas table-format HDF5 file as pandas.read_hdf(path, key) would: rows in stored
 * order, the stored int64 index, columns in `non_index_axes` order with their stored dtypes.
 */
export async function readPandasTable(file: string, key = 'data'): Promise<PandasFrame> {
  return readPandasTableWith(await loadH5(), file, key);
}

/** readPandasTable with an already loaded h5wasm module: synchronous. */
export function readPandasTableWith(h5: H5, file: string, key = 'data'): PandasFrame {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new PandasTableError(`HDF5 file not found: ${abs}`);
  const f = new h5.File(abs, 'r');
  if (f.file_id < 0n) throw new PandasTableError(`cannot open ${abs} as HDF5`);
  try {
    return readFrame(h5, f, key.replace(/^\/+/, ''), abs);
  } finally {
    f.close();
  }
}

/** List the pandas table-format keys (groups with pandas_type='frame_table') in a file. */
export async function listPandasKeys(file: string): Promise<string[]> {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new PandasTableError(`HDF5 file not found: ${abs}`);
  const h5 = await loadH5();
  const f = new h5.File(abs, 'r');
  if (f.file_id < 0n) throw new PandasTableError(`cannot open ${abs} as HDF5`);
  try {
    const out: string[] = [];
    const walk = (groupPath: string): void => {
      const g = groupPath === '' ? f : f.get(groupPath);
      if (!g || !(g instanceof h5.Group)) return;
      if (groupPath !== '' && attrString(h5, f, '/' + groupPath, 'pandas_type') === 'frame_table') { out.push(groupPath); return; }
      for (const k of g.keys()) if (!k.startsWith('_i_')) walk(groupPath === '' ? k : `${groupPath}/${k}`);
    };
    walk('');
    return out;
  } finally {
    f.close();
  }
}

function readFrame(h5: H5, f: H5File, key: string, abs: string): PandasFrame {
  const gpath = '/' + key;
  const group = f.get(key);
  if (!group || !(group instanceof h5.Group)) throw new PandasTableError(`${abs}: no group '${key}'`);
  const pandasType = attrString(h5, f, gpath, 'pandas_type');
  if (pandasType !== 'frame_table') {
    throw new PandasTableError(`${abs}:${gpath} is not a pandas table-format frame (pandas_type=${String(pandasType)}); ` +
      'only to_hdf(..., format="table") files are supported here');
  }
  const nanRep = attrString(h5, f, gpath, 'nan_rep') ?? 'nan';
  const valuesCols = attrPickled(h5, f, gpath, 'values_cols');
  const nonIndexAxes = attrPickled(h5, f, gpath, 'non_index_axes');
  if (!Array.isArray(valuesCols) || !Array.isArray(nonIndexAxes) || nonIndexAxes.length !== 1 || !isTuple(nonIndexAxes[0])) {
    throw new PandasTableError(`${abs}:${gpath}: unexpected pandas attributes (values_cols/non_index_axes)`);
  }
  const order = nonIndexAxes[0].tuple[1];
  if (!Array.isArray(order)) throw new PandasTableError(`${abs}:${gpath}: non_index_axes without a column list`);
  const columnOrder = order.map((c) => String(c));

  const tpath = gpath + '/table';
  const table = f.get(key + '/table');
  if (!table || !(table instanceof h5.Dataset)) throw new PandasTableError(`${abs}: no dataset ${tpath}`);
  const meta = table.metadata;
  const T = h5.Module.H5T_class_t;
  if (meta.type !== T.H5T_COMPOUND.value || !meta.compound_type || !meta.shape || meta.shape.length !== 1) {
    throw new PandasTableError(`${abs}:${tpath} is not a 1-D compound table`);
  }
  const nrows = Number(meta.shape[0]);
  const raw = readRaw(h5, f, tpath, nrows, meta.size);
  const members = new Map(meta.compound_type.members.map((m) => [m.name, m]));

  const indexMember = members.get('index');
  if (!indexMember) throw new PandasTableError(`${abs}:${tpath}: no 'index' field (multi-index tables are not supported)`);
  const index = new Float64Array(nrows);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  decodeNumeric(h5, indexMember, view, meta.size, nrows, 0, (r, v) => { index[r] = v; });

  const byName = new Map<string, PandasColumn>();
  for (const vcRaw of valuesCols) {
    const vc = String(vcRaw);
    const m = members.get(vc);
    if (!m) throw new PandasTableError(`${abs}:${tpath}: field ${vc} missing`);
    const kind = attrPickled(h5, f, tpath, `${vc}_kind`, true);
    const names = Array.isArray(kind) ? kind.map(String) : [vc];
    const base = m.type === T.H5T_ARRAY.value ? (m.array_type as typeof m) : m;
    const width = m.type === T.H5T_ARRAY.value ? (base.shape ?? [1]).reduce((a, b) => a * b, 1) : 1;
    if (width !== names.length) throw new PandasTableError(`${abs}:${tpath}: ${vc} holds ${width} values but names ${names.length} columns`);
    const dtype = dtypeOf(h5, base);
    names.forEach((name, j) => {
      const values = allocColumn(dtype, nrows);
      if (dtype === 'bytes') {
        const arr = values as Array<string | null>;
        const dec = new TextDecoder('utf-8');
        for (let r = 0; r < nrows; r++) {
          const start = r * meta.size + m.offset + j * base.size;
          let end = start + base.size;
          while (end > start && (raw[end - 1] === 0 || (base.strpad === 2 && raw[end - 1] === 0x20))) end--;
          const s = dec.decode(raw.subarray(start, end));
          arr[r] = s === nanRep ? null : s;
        }
      } else {
        const out = values as Exclude<ColumnValues, Array<string | null>>;
        decodeNumeric(h5, base, view, meta.size, nrows, m.offset + j * base.size, (r, v) => { out[r] = v; });
      }
      byName.set(name, { name, dtype, values });
    });
  }
  const columns = columnOrder.map((name) => {
    const c = byName.get(name);
    if (!c) throw new PandasTableError(`${abs}:${gpath}: column '${name}' listed in non_index_axes but not stored`);
    return c;
  });
  return { index, columns };
}

type Member = { type: number; size: number; signed: boolean; littleEndian: boolean; strpad?: number };

function dtypeOf(h5: H5, m: Member): PandasDtype {
  const T = h5.Module.H5T_class_t;
  if (m.type === T.H5T_STRING.value) return 'bytes';
  if (m.type === T.H5T_FLOAT.value) {
    if (m.size === 8) return 'float64';
    if (m.size === 4) return 'float32';
  }
  if (m.type === T.H5T_INTEGER.value) {
    const key = `${m.signed ? 'int' : 'uint'}${m.size * 8}`;
    if (key in DTYPES && key !== 'uint64') return key as PandasDtype;
  }
  throw new PandasTableError(`unsupported column type (HDF5 class ${m.type}, size ${m.size}${m.signed ? ', signed' : ''})`);
}

function decodeNumeric(h5: H5, m: Member, view: DataView, rowSize: number, nrows: number, offset: number, set: (r: number, v: number) => void): void {
  const dtype = dtypeOf(h5, m);
  const le = m.littleEndian;
  for (let r = 0, p = offset; r < nrows; r++, p += rowSize) {
    let v: number;
    switch (dtype) {
      case 'uint8': v = view.getUint8(p); break;
      case 'int8': v = view.getInt8(p); break;
      case 'uint16': v = view.getUint16(p, le); break;
      case 'int16': v = view.getInt16(p, le); break;
      case 'uint32': v = view.getUint32(p, le); break;
      case 'int32': v = view.getInt32(p, le); break;
      case 'int64': v = Number(view.getBigInt64(p, le)); break;
      case 'float32': v = view.getFloat32(p, le); break;
      case 'float64': v = view.getFloat64(p, le); break;
      default: throw new PandasTableError('string column decoded as number');
    }
    set(r, v);
  }
}

function allocColumn(dtype: PandasDtype, n: number): ColumnValues {
  switch (dtype) {
    case 'uint8': return new Uint8Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint16': return new Uint16Array(n);
    case 'int16': return new Int16Array(n);
    case 'uint32': return new Uint32Array(n);
    case 'int32': return new Int32Array(n);
    case 'int64': return new Float64Array(n);
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'bytes': return new Array<string | null>(n).fill(null);
  }
}

function readRaw(h5: H5, f: H5File, dsPath: string, nrows: number, rowSize: number): Uint8Array {
  const nbytes = nrows * rowSize;
  if (nbytes === 0) return new Uint8Array(0);
  const M = h5.Module;
  const ptr = M._malloc(nbytes);
  if (ptr === 0) throw new PandasTableError(`cannot allocate ${nbytes} bytes to read ${dsPath}`);
  try {
    const st = M.get_dataset_data(f.file_id, dsPath, [BigInt(nrows)], [0n], [1n], BigInt(ptr));
    if (st < 0) throw new PandasTableError(`reading ${dsPath} failed (${st})`);
    return M.HEAPU8.slice(ptr, ptr + nbytes);
  } finally {
    M._free(ptr);
  }
}

/** A string attribute's raw bytes (trailing NULs removed), or undefined when absent / not a fixed string. */
function attrBytes(h5: H5, f: H5File, objPath: string, name: string): Uint8Array | undefined {
  const M = h5.Module;
  const names = M.get_attribute_names(f.file_id, objPath) as string[];
  if (!names.includes(name)) return undefined;
  const meta = M.get_attribute_metadata(f.file_id, objPath, name);
  if (!meta.shape || meta.type !== M.H5T_class_t.H5T_STRING.value || meta.vlen) return undefined;
  const nbytes = meta.size * meta.total_size;
  const ptr = M._malloc(Math.max(1, nbytes));
  try {
    M.get_attribute_data(f.file_id, objPath, name, BigInt(ptr));
    let bytes = M.HEAPU8.slice(ptr, ptr + nbytes);
    let end = bytes.length;
    while (end > 0 && bytes[end - 1] === 0) end--;
    bytes = bytes.subarray(0, end);
    return bytes;
  } finally {
    M._free(ptr);
  }
}

function attrString(h5: H5, f: H5File, objPath: string, name: string): string | undefined {
  const b = attrBytes(h5, f, objPath, name);
  return b === undefined ? undefined : Buffer.from(b).toString('utf8');
}

function attrPickled(h5: H5, f: H5File, objPath: string, name: string, optional = false): PyValue | undefined {
  const b = attrBytes(h5, f, objPath, name);
  if (b === undefined) {
    if (optional) return undefined;
    throw new PandasTableError(`${objPath}: attribute ${name} missing`);
  }
  if (!looksPickled(b)) return Buffer.from(b).toString('utf8');
  return unpickle(b);
}

// ---------------------------------------------------------------- writing

interface Block { name: string; dtype: PandasDtype; columns: PandasColumn[]; itemsize: number }
interface Layout { blocks: Block[]; rowSize: number; members: Array<{ name: string; offset: number; size: number; dtype: PandasDtype | 'index'; width: number; itemsize: number }> }

/**
 * Write (or append) a frame so that `pandas.read_hdf(file, key)` returns it: same columns, order,
 * dtypes, values and index. Columns are grouped into one values block per dtype as pandas does.
 */
export async function writePandasTable(file: string, frame: PandasFrame, options: WritePandasOptions = {}): Promise<{ rows: number; totalRows: number }> {
  return writePandasTableWith(await loadH5(), file, frame, options);
}

/** The h5wasm module, loaded once (for callers that then write synchronously). */
export async function loadPandasH5(): Promise<H5> { return loadH5(); }

/** writePandasTable with an already loaded h5wasm module: synchronous. */
export function writePandasTableWith(h5: H5, file: string, frame: PandasFrame, options: WritePandasOptions = {}): { rows: number; totalRows: number } {
  const key = (options.key ?? 'data').replace(/^\/+|\/+$/g, '');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new PandasTableError(`invalid key '${key}': use a simple identifier such as 'data'`);
  const mode = options.mode ?? 'w';
  const nrows = frame.index.length;
  validateFrame(frame);
  const abs = path.resolve(file);
  const exists = fs.existsSync(abs);
  if (mode === 'w' && exists) fs.rmSync(abs);
  const f = new h5.File(abs, mode === 'a' && exists ? 'a' : 'w');
  if (f.file_id < 0n) throw new PandasTableError(`cannot open ${abs} for writing`);
  try {
    const tpath = `/${key}/table`;
    const existing = mode === 'a' && exists ? f.get(key + '/table') : null;
    if (existing) {
      const old = readLayoutOf(h5, f, key);
      const layout = planLayout(frame.columns, options.minItemsize, old);
      const start = Number((existing as InstanceType<H5['Dataset']>).shape?.[0] ?? 0);
      if (nrows > 0) {
        const bytes = packRows(frame, layout);
        checkStatus(h5.Module.resize_dataset(f.file_id, tpath, [BigInt(start + nrows)]), `resize ${tpath}`);
        writeRaw(h5, bytes, (ptr) => h5.Module.set_dataset_data(f.file_id, tpath, [BigInt(nrows)], [BigInt(start)], [1n], BigInt(ptr)));
      }
      setAttr(h5, f, tpath, 'NROWS', { int64: start + nrows });
      f.flush();
      return { rows: nrows, totalRows: start + nrows };
    }
    const layout = planLayout(frame.columns, options.minItemsize);
    if (!f.get(key)) f.create_group(key);
    writeRootAttrs(h5, f);
    writeGroupAttrs(h5, f, '/' + key, frame, layout);
    createTable(h5, f, tpath, layout, packRows(frame, layout), nrows);
    writeTableAttrs(h5, f, tpath, layout, nrows);
    f.flush();
    return { rows: nrows, totalRows: nrows };
  } finally {
    f.close();
  }
}

function validateFrame(frame: PandasFrame): void {
  const n = frame.index.length;
  const seen = new Set<string>();
  if (frame.columns.length === 0) throw new PandasTableError('a frame needs at least one column');
  for (const c of frame.columns) {
    if (!(c.dtype in DTYPES)) throw new PandasTableError(`column ${c.name}: unsupported dtype ${String(c.dtype)}`);
    if (c.values.length !== n) throw new PandasTableError(`column ${c.name} has ${c.values.length} values for ${n} index rows`);
    if (seen.has(c.name)) throw new PandasTableError(`duplicate column name ${c.name}`);
    seen.add(c.name);
  }
  for (let i = 0; i < n; i++) if (!Number.isSafeInteger(frame.index[i])) throw new PandasTableError(`index value ${frame.index[i]} is not an integer`);
}

/** pandas orders its consolidated blocks by dtype name; values_block_N follow that order. */
function planLayout(columns: PandasColumn[], minItemsize: number | undefined, fixed?: Layout): Layout {
  if (fixed) {
    // Appending: the stored blocks decide; our columns must match them exactly.
    const want = fixed.blocks.flatMap((b) => b.columns.map((c) => `${c.name}:${b.dtype}`)).sort().join(',');
    const got = columns.map((c) => `${c.name}:${c.dtype}`).sort().join(',');
    if (want !== got) throw new PandasTableError(`cannot append: stored columns/dtypes differ (stored ${want}; given ${got})`);
    const byName = new Map(columns.map((c) => [c.name, c]));
    const blocks = fixed.blocks.map((b) => ({ ...b, columns: b.columns.map((c) => byName.get(c.name) as PandasColumn) }));
    for (const b of blocks) if (b.dtype === 'bytes') {
      const need = maxUtf8(b.columns);
      if (need > b.itemsize) throw new PandasTableError(`cannot append: a string of ${need} bytes exceeds the stored width ${b.itemsize} of ${b.name}`);
    }
    return { ...fixed, blocks };
  }
  const groups = new Map<PandasDtype, PandasColumn[]>();
  for (const c of columns) {
    const g = groups.get(c.dtype);
    if (g) g.push(c); else groups.set(c.dtype, [c]);
  }
  const dtypes = [...groups.keys()].sort((a, b) => (DTYPES[a].pandasName < DTYPES[b].pandasName ? -1 : DTYPES[a].pandasName > DTYPES[b].pandasName ? 1 : 0));
  // One block per column (a scalar field each): h5wasm cannot create the array members pandas would
  // use for a multi-column block, and pandas reads single-column blocks as 1-D fields just the same.
  const blocks: Block[] = [];
  for (const dtype of dtypes) {
    for (const col of groups.get(dtype) as PandasColumn[]) {
      const itemsize = dtype === 'bytes' ? Math.max(1, minItemsize ?? 0, maxUtf8([col])) : DTYPES[dtype].size;
      blocks.push({ name: `values_block_${blocks.length}`, dtype, columns: [col], itemsize });
    }
  }
  return layoutFromBlocks(blocks);
}

function layoutFromBlocks(blocks: Block[]): Layout {
  const members: Layout['members'] = [{ name: 'index', offset: 0, size: 8, dtype: 'index', width: 1, itemsize: 8 }];
  let offset = 8;
  for (const b of blocks) {
    const size = b.itemsize * b.columns.length;
    members.push({ name: b.name, offset, size, dtype: b.dtype, width: b.columns.length, itemsize: b.itemsize });
    offset += size;
  }
  return { blocks, rowSize: offset, members };
}

function maxUtf8(cols: PandasColumn[]): number {
  let m = 0;
  for (const c of cols) for (const s of c.values as Array<string | null>) m = Math.max(m, Buffer.byteLength(s ?? 'nan', 'utf8'));
  return m;
}

function readLayoutOf(h5: H5, f: H5File, key: string): Layout {
  const gpath = '/' + key;
  const tpath = gpath + '/table';
  const valuesCols = attrPickled(h5, f, gpath, 'values_cols');
  if (!Array.isArray(valuesCols)) throw new PandasTableError(`${gpath}: not a pandas table (no values_cols)`);
  const ds = f.get(key + '/table') as InstanceType<H5['Dataset']>;
  const meta = ds.metadata;
  const T = h5.Module.H5T_class_t;
  const members = new Map((meta.compound_type?.members ?? []).map((m) => [m.name, m]));
  const blocks: Block[] = valuesCols.map((vcRaw) => {
    const vc = String(vcRaw);
    const m = members.get(vc);
    if (!m) throw new PandasTableError(`${tpath}: field ${vc} missing`);
    const base = m.type === T.H5T_ARRAY.value ? (m.array_type as typeof m) : m;
    const kind = attrPickled(h5, f, tpath, `${vc}_kind`, true);
    const names = Array.isArray(kind) ? kind.map(String) : [vc];
    const dtype = dtypeOf(h5, base);
    return { name: vc, dtype, itemsize: base.size, columns: names.map((name) => ({ name, dtype, values: [] })) };
  });
  const layout = layoutFromBlocks(blocks);
  if (layout.rowSize !== meta.size) throw new PandasTableError(`${tpath}: stored row layout is not the packed pandas layout; cannot append`);
  return layout;
}

function packRows(frame: PandasFrame, layout: Layout): Uint8Array {
  const n = frame.index.length;
  const out = new Uint8Array(n * layout.rowSize);
  const view = new DataView(out.buffer);
  for (let r = 0; r < n; r++) view.setBigInt64(r * layout.rowSize, BigInt(frame.index[r]), true);
  const enc = new TextEncoder();
  layout.blocks.forEach((b, bi) => {
    const mem = layout.members[bi + 1];
    b.columns.forEach((c, j) => {
      const base = mem.offset + j * b.itemsize;
      if (b.dtype === 'bytes') {
        const vals = c.values as Array<string | null>;
        for (let r = 0; r < n; r++) {
          const bytes = enc.encode(vals[r] ?? 'nan');
          out.set(bytes.subarray(0, b.itemsize), r * layout.rowSize + base);
        }
        return;
      }
      const vals = c.values as ArrayLike<number>;
      for (let r = 0, p = base; r < n; r++, p += layout.rowSize) {
        const v = vals[r];
        switch (b.dtype) {
          case 'uint8': view.setUint8(p, v); break;
          case 'int8': view.setInt8(p, v); break;
          case 'uint16': view.setUint16(p, v, true); break;
          case 'int16': view.setInt16(p, v, true); break;
          case 'uint32': view.setUint32(p, v, true); break;
          case 'int32': view.setInt32(p, v, true); break;
          case 'int64':
            if (!Number.isSafeInteger(v)) throw new PandasTableError(`column ${c.name}: ${v} is not an int64 value`);
            view.setBigInt64(p, BigInt(v), true); break;
          case 'float32': view.setFloat32(p, v, true); break;
          case 'float64': view.setFloat64(p, v, true); break;
        }
      }
    });
  });
  return out;
}

function compoundDtype(layout: Layout): Array<[string, string] | [string, string, number[]]> {
  return layout.members.map((m) => {
    if (m.dtype === 'index') return ['index', '<q'];
    const base = m.dtype === 'bytes' ? `S${m.itemsize}` : DTYPES[m.dtype].h5;
    if (m.width !== 1) throw new PandasTableError('multi-column blocks cannot be written with h5wasm');
    return [m.name, base];
  });
}

function createTable(h5: H5, f: H5File, tpath: string, layout: Layout, bytes: Uint8Array, nrows: number): void {
  const meta = h5.dtype_to_metadata(compoundDtype(layout) as Parameters<H5['dtype_to_metadata']>[0]);
  for (const m of meta.compound_type?.members ?? []) {
    const base = (m.array_type ?? m) as typeof m;
    if (base.type === h5.Module.H5T_class_t.H5T_STRING.value) base.cset = 0; // C string (NULLTERM, ASCII) as PyTables stores S columns
  }
  // PyTables' default chunk: as many rows as fit in 64 KiB.
  const chunkRows = Math.max(1, Math.floor(65536 / layout.rowSize));
  const dsMeta = {
    ...meta,
    shape: [BigInt(nrows)],
    maxshape: [18446744073709551615n],
    chunks: [BigInt(chunkRows)],
    compression: 0,
    compression_opts: [] as number[],
    track_order: false,
  };
  writeRaw(h5, bytes, (ptr) => h5.Module.create_dataset(f.file_id, tpath, BigInt(ptr), dsMeta as never));
}

function writeRaw(h5: H5, bytes: Uint8Array, call: (ptr: number) => number): void {
  const M = h5.Module;
  const ptr = M._malloc(Math.max(1, bytes.length));
  if (ptr === 0) throw new PandasTableError(`cannot allocate ${bytes.length} bytes`);
  try {
    M.HEAPU8.set(bytes, ptr);
    checkStatus(call(ptr), 'HDF5 write');
  } finally {
    M._free(ptr);
  }
}

function checkStatus(st: number, what: string): void {
  if (st < 0) throw new PandasTableError(`${what} failed (HDF5 status ${st})`);
}

type AttrValue = string | Buffer | { int64: number } | { uint8: number } | { float64: number } | { int32: number } | { uint32: number } | { uint64: number };

/** Scalar attribute written the way PyTables writes it: fixed-length NUL-padded bytes or a typed scalar. */
function setAttr(h5: H5, f: H5File, objPath: string, name: string, value: AttrValue): void {
  const M = h5.Module;
  const names = M.get_attribute_names(f.file_id, objPath) as string[];
  if (names.includes(name)) M.delete_attribute(f.file_id, objPath, name);
  let bytes: Uint8Array;
  let dtype: string;
  if (typeof value === 'string' || Buffer.isBuffer(value)) {
    bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    if (bytes.length === 0) throw new PandasTableError(`empty string attribute ${name}`);
    dtype = `S${bytes.length}`;
  } else {
    const [k, v] = Object.entries(value)[0] as [string, number];
    const ab = new ArrayBuffer(8);
    const dv = new DataView(ab);
    switch (k) {
      case 'int64': dv.setBigInt64(0, BigInt(v), true); bytes = new Uint8Array(ab, 0, 8); dtype = '<q'; break;
      case 'uint64': dv.setBigUint64(0, BigInt(v), true); bytes = new Uint8Array(ab, 0, 8); dtype = '<Q'; break;
      case 'int32': dv.setInt32(0, v, true); bytes = new Uint8Array(ab, 0, 4); dtype = '<i'; break;
      case 'uint32': dv.setUint32(0, v, true); bytes = new Uint8Array(ab, 0, 4); dtype = '<I'; break;
      case 'uint8': dv.setUint8(0, v); bytes = new Uint8Array(ab, 0, 1); dtype = '<B'; break;
      default: dv.setFloat64(0, v, true); bytes = new Uint8Array(ab, 0, 8); dtype = '<d'; break;
    }
  }
  const meta = h5.dtype_to_metadata(dtype);
  // PyTables stores str attributes as UTF-8 (read back as str) and pickles as ASCII byte strings.
  if (meta.type === M.H5T_class_t.H5T_STRING.value) meta.cset = typeof value === 'string' ? 1 : 0;
  const attrMeta = { ...meta, shape: [] as bigint[], maxshape: [] as bigint[] };
  writeRaw(h5, bytes, (ptr) => M.create_attribute(f.file_id, objPath, name, BigInt(ptr), attrMeta as never));
}

function writeRootAttrs(h5: H5, f: H5File): void {
  const names = h5.Module.get_attribute_names(f.file_id, '/') as string[];
  if (names.includes('PYTABLES_FORMAT_VERSION')) return;
  setAttr(h5, f, '/', 'CLASS', 'GROUP');
  setAttr(h5, f, '/', 'PYTABLES_FORMAT_VERSION', '2.1');
  setAttr(h5, f, '/', 'VERSION', '1.0');
}

function writeGroupAttrs(h5: H5, f: H5File, gpath: string, frame: PandasFrame, layout: Layout): void {
  const set = (n: string, v: AttrValue): void => setAttr(h5, f, gpath, n, v);
  set('CLASS', 'GROUP');
  set('VERSION', '1.0');
  set('pandas_type', 'frame_table');
  set('pandas_version', '0.15.2');
  set('table_type', 'appendable_frame');
  set('index_cols', pickle0([pyTuple(0, 'index')]));
  set('values_cols', pickle0(layout.blocks.map((b) => b.name)));
  set('non_index_axes', pickle0([pyTuple(1, frame.columns.map((c) => c.name))]));
  set('data_columns', pickle0([]));
  set('nan_rep', 'nan');
  set('encoding', 'UTF-8');
  set('errors', 'strict');
  set('levels', { int64: 1 });
  set('info', pickle0(pyDict([
    [1, pyDict([['names', [null]], ['type', 'Index']])],
    ['index', pyDict([])],
    ...layout.blocks.map((b): [PyValue, PyValue] => [b.name, pyDict([])]),
  ])));
}

function writeTableAttrs(h5: H5, f: H5File, tpath: string, layout: Layout, nrows: number): void {
  const set = (n: string, v: AttrValue): void => setAttr(h5, f, tpath, n, v);
  set('CLASS', 'TABLE');
  set('VERSION', '2.7');
  set('NROWS', { int64: nrows });
  set('FIELD_0_NAME', 'index');
  set('FIELD_0_FILL', { int64: 0 });
  layout.blocks.forEach((b, i) => {
    set(`FIELD_${i + 1}_NAME`, b.name);
    set(`FIELD_${i + 1}_FILL`, fillAttr(b.dtype));
  });
  set('index_kind', 'integer');
  for (const b of layout.blocks) {
    set(`${b.name}_dtype`, b.dtype === 'bytes' ? `bytes${b.itemsize * 8}` : b.dtype);
    set(`${b.name}_kind`, pickle0(b.columns.map((c) => c.name)));
    set(`${b.name}_meta`, pickle0(null));
  }
}

function fillAttr(dtype: PandasDtype): AttrValue {
  switch (dtype) {
    case 'bytes': return Buffer.from([0]); // b'' as PyTables writes it
    case 'float32': case 'float64': return { float64: 0 };
    case 'uint8': return { uint8: 0 };
    case 'int32': return { int32: 0 };
    case 'uint32': return { uint32: 0 };
    default: return { int64: 0 };
  }
}

// ---------------------------------------------------------------- helpers for callers

/** A column's values as numbers (NaN for missing strings or non-numeric strings). */
export function columnAsNumbers(c: PandasColumn): Float64Array {
  const out = new Float64Array(c.values.length);
  if (c.dtype === 'bytes') {
    (c.values as Array<string | null>).forEach((s, i) => { out[i] = s === null || s.trim() === '' ? NaN : Number(s); });
  } else out.set(c.values as ArrayLike<number>);
  return out;
}

/** Row-major float32 matrix of the named columns (all numeric columns when omitted), NaN kept. */
export function frameToMatrix(frame: PandasFrame, columnNames?: string[]): { data: Float32Array; rows: number; cols: number; columns: string[] } {
  const cols = columnNames
    ? columnNames.map((n) => {
      const c = frame.columns.find((x) => x.name === n);
      if (!c) throw new PandasTableError(`column '${n}' not in frame (have: ${frame.columns.map((x) => x.name).join(', ')})`);
      return c;
    })
    : frame.columns.filter((c) => c.dtype !== 'bytes');
  const rows = frame.index.length;
  const data = new Float32Array(rows * cols.length);
  cols.forEach((c, j) => {
    const v = columnAsNumbers(c);
    for (let r = 0; r < rows; r++) data[r * cols.length + j] = v[r];
  });
  return { data, rows, cols: cols.length, columns: cols.map((c) => c.name) };
}
