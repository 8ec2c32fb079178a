/**
 * Appends NormalizedBatch rows to HDF5 files (layout in ./layout.ts).
 *
 * Rows are buffered and written one block at a time (block = chunk rows): one-row appends through
 * h5wasm are hundreds of times slower. `flush()` writes a partial block too, `close()` writes
 * everything buffered, so a redeploy or shutdown loses nothing that reached `append()`.
 * Files rotate by size and/or age; rotated files are named `<stem>-<UTC time>-<n><ext>`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { NormalizedBatch } from '../normalize/rows.js';
import { IDENT_FIELDS, identOf, lazyIntact, type FlowIdent } from '../normalize/flow-columns.js';
import { loadH5wasm, type H5Dataset, type H5File, type H5Module } from './h5wasm.js';
import { writeTraceCell, type TraceCellField } from './trace-cells.js';
import {
  FORMAT_NAME, FORMAT_VERSION, FRAME_GROUP, PANDAS_FRAME_STRING_ATTRS, TRACE_GROUP, TRACE_STRINGS, VALUES,
} from './layout.js';

export interface Hdf5WriterOptions {
  /** Output file; with rotation, the base name the rotated names are derived from. */
  file: string;
  /** What to do when `file` exists (no rotation): append rows (columns must match), overwrite, or fail. */
  existing?: 'append' | 'overwrite' | 'error';
  /** Rows per block = chunk rows (default 4096). */
  blockRows?: number;
  /** gzip level 1..9, 0 = none (default). */
  compression?: number;
  /** Start a new file once the current one reaches this many bytes (0 = never). */
  rotateBytes?: number;
  /** Start a new file once the current one is this many seconds old (0 = never). */
  rotateSeconds?: number;
  /** Write the /trace datasets (default true). */
  trace?: boolean;
  /** Extra string attributes for /flows (e.g. the scaler JSON). */
  attributes?: Record<string, string>;
  /** Clock in ms (tests); default Date.now. */
  now?: () => number;
}

export interface Hdf5FileSummary {
  file: string;
  rows: number;
  bytes: number;
}

interface OpenFile {
  path: string;
  h5: H5File;
  values: H5Dataset;
  index: H5Dataset;
  trace: Map<string, H5Dataset> | null;
  rows: number;
  openedAt: number;
}

const TRACE_NUMBERS = { src_port: Uint16Array, dst_port: Uint16Array, protocol: Uint8Array } as const;

export class Hdf5RowWriter {
  private readonly blockRows: number;
  private readonly now: () => number;
  private columns: string[] | null = null;
  private current: OpenFile | null = null;
  private seq = 0;
  private totalRows = 0;
  private readonly closed: Hdf5FileSummary[] = [];
  // The block buffer: values row-major, trace fields column-wise.
  private buf = new Uint8Array(0);
  private bufRows = 0;
  private readonly bufStr: Record<keyof typeof TRACE_STRINGS, string[]>;
  private readonly bufNum: { src_port: Uint16Array; dst_port: Uint16Array; protocol: Uint8Array };
  private sawLabel = false;
  private mode = '';
  // Rows whose identity cells are printed from numbers (FlowIdent): the ident and its row, per buffered row.
  private readonly bufIdent: Array<FlowIdent | null>;
  private readonly bufIdentRow: Int32Array;
  private identRows = 0;

  private constructor(private readonly h5: H5Module, private readonly opts: Hdf5WriterOptions) {
    this.blockRows = Math.max(1, Math.floor(opts.blockRows ?? 4096));
    this.now = opts.now ?? Date.now;
    const n = this.blockRows;
    this.bufStr = { flow_id: new Array(n), timestamp: new Array(n), src_ip: new Array(n), dst_ip: new Array(n), label: new Array(n) };
    this.bufNum = { src_port: new Uint16Array(n), dst_port: new Uint16Array(n), protocol: new Uint8Array(n) };
    this.bufIdent = new Array<FlowIdent | null>(n).fill(null);
    this.bufIdentRow = new Int32Array(n);
  }

  static async create(opts: Hdf5WriterOptions): Promise<Hdf5RowWriter> {
    if (!opts.file) throw new Error('no HDF5 output file given');
    const c = opts.compression ?? 0;
    if (!(Number.isInteger(c) && c >= 0 && c <= 9)) throw new Error(`gzip level must be 0..9 (got ${c})`);
    return new Hdf5RowWriter(await loadH5wasm(), opts);
  }

  /** Rows written to disk plus rows still buffered. */
  get rows(): number { return this.totalRows + this.bufRows; }
  get bufferedRows(): number { return this.bufRows; }
  get currentFile(): string | null { return this.current?.path ?? null; }
  get rowsInCurrentFile(): number { return (this.current?.rows ?? 0) + this.bufRows; }
  /** Files finished so far (rotated or closed). */
  get finishedFiles(): readonly Hdf5FileSummary[] { return this.closed; }

  /** Buffers a batch; writes every full block. Returns the files finished by rotation meanwhile. */
  append(batch: NormalizedBatch): Hdf5FileSummary[] {
    const done: Hdf5FileSummary[] = [];
    if (batch.rows === 0) return done;
    this.setColumns(batch.columns);
    if (!this.mode) this.mode = batch.mode;
    const c = batch.columns.length;
    const t = batch.trace;
    if (t.label) this.sawLabel = true;
    // A trace whose identity fields are still a columnar batch's lazy columns carries their numbers (FlowIdent).
    const ident = identOf(t);
    const id = ident && IDENT_FIELDS.every((f) => lazyIntact(t, f, ident)) ? ident : null;
    // Copy runs of rows up to the end of the block buffer at once.
    let r = 0;
    while (r < batch.rows) {
      const at = this.bufRows;
      const n = Math.min(batch.rows - r, this.blockRows - at);
      this.buf.set(batch.data.subarray(r * c, (r + n) * c), at * c);
      const s = this.bufStr;
      if (id) {
        // Identity cells are printed from the numbers at write time; the strings are never touched.
        // (Locals: a trace with accessors is a slow-mode object, so no property loads in the loop.)
        const ids = this.bufIdent;
        const rowsOf = this.bufIdentRow;
        const labels = t.label;
        const lab = s.label;
        ids.fill(id, at, at + n);
        for (let k = 0; k < n; k++) {
          rowsOf[at + k] = r + k;
          lab[at + k] = labels ? labels[r + k] ?? '' : '';
        }
        this.identRows += n;
      } else {
        for (let k = 0; k < n; k++) {
          const i = at + k;
          const j = r + k;
          s.flow_id[i] = t.flowId[j] ?? '';
          s.timestamp[i] = t.timestamp[j] ?? '';
          s.src_ip[i] = t.srcIp[j] ?? '';
          s.dst_ip[i] = t.dstIp[j] ?? '';
          s.label[i] = t.label ? t.label[j] ?? '' : '';
          this.bufIdent[i] = null;
        }
      }
      copyNumbers(t.srcPort, r, n, this.bufNum.src_port, at);
      copyNumbers(t.dstPort, r, n, this.bufNum.dst_port, at);
      copyNumbers(t.protocol, r, n, this.bufNum.protocol, at);
      this.bufRows = at + n;
      r += n;
      if (this.bufRows === this.blockRows) {
        const f = this.writeBuffered();
        if (f) done.push(f);
      }
    }
    const aged = this.rotateIfOld();
    if (aged) done.push(aged);
    return done;
  }

  /**
   * Writes buffered rows (a partial block too) and flushes the file to disk; rotates by age.
   * Call it from a timer so slow sources still reach the disk.
   */
  flush(): Hdf5FileSummary[] {
    const done: Hdf5FileSummary[] = [];
    if (this.bufRows > 0) {
      const f = this.writeBuffered();
      if (f) done.push(f);
    }
    this.current?.h5.flush();
    const aged = this.rotateIfOld();
    if (aged) done.push(aged);
    return done;
  }

  /** Writes everything buffered and closes the file. The writer may be used again afterwards. */
  close(): Hdf5FileSummary[] {
    const done: Hdf5FileSummary[] = [];
    if (this.bufRows > 0) {
      const f = this.writeBuffered();
      if (f) done.push(f);
    }
    const last = this.finishFile();
    if (last) done.push(last);
    return done;
  }

  private setColumns(columns: readonly string[]): void {
    if (!this.columns) {
      if (columns.length === 0) throw new Error('rows have no columns');
      this.columns = [...columns];
      this.buf = new Uint8Array(this.blockRows * columns.length);
      return;
    }
    if (columns.length !== this.columns.length || columns.some((c, i) => c !== this.columns![i])) {
      throw new Error(`rows changed columns (${columns.length} now, ${this.columns.length} before, first difference at ` +
        `'${columns.find((c, i) => c !== this.columns![i]) ?? ''}'); one HDF5 file holds one column set`);
    }
  }

  private rotateIfOld(): Hdf5FileSummary | null {
    const limit = this.opts.rotateSeconds ?? 0;
    const f = this.current;
    if (!(limit > 0) || !f || this.now() - f.openedAt < limit * 1000) return null;
    if (this.bufRows > 0) this.appendToFile(f);
    return this.finishFile();
  }

  /** Writes the buffer to the current file (opening one if needed); returns a file finished by size. */
  private writeBuffered(): Hdf5FileSummary | null {
    const f = this.current ?? (this.current = this.openFile());
    this.appendToFile(f);
    const limit = this.opts.rotateBytes ?? 0;
    if (limit > 0) {
      f.h5.flush();
      if (fs.statSync(f.path).size >= limit) return this.finishFile();
    }
    return null;
  }

  private appendToFile(f: OpenFile): void {
    const n = this.bufRows;
    const c = (this.columns as string[]).length;
    const from = f.rows;
    const to = from + n;
    f.values.resize([to, c]);
    f.values.write_slice([[from, to], [0, c]], this.buf.subarray(0, n * c));
    f.index.resize([to]);
    const idx = new BigInt64Array(n);
    for (let i = 0; i < n; i++) idx[i] = BigInt(from + i);
    f.index.write_slice([[from, to]], idx);
    if (f.trace) {
      if (this.sawLabel && !f.trace.has('label')) f.trace.set('label', this.createTraceString(f.h5, 'label', from));
      for (const [name, ds] of f.trace) {
        ds.resize([to]);
        if (name in TRACE_NUMBERS) {
          ds.write_slice([[from, to]], this.bufNum[name as keyof typeof TRACE_NUMBERS].subarray(0, n));
        } else {
          const width = TRACE_STRINGS[name as keyof typeof TRACE_STRINGS];
          this.writeStrings(ds, from, n, width, this.bufStr[name as keyof typeof TRACE_STRINGS], name !== 'label',
            name === 'label' || this.identRows === 0 ? null : name as TraceCellField);
        }
      }
    }
    f.rows = to;
    this.totalRows += n;
    this.bufRows = 0;
    if (this.identRows > 0) { this.bufIdent.fill(null, 0, n); this.identRows = 0; }
  }

  /**
   * Writes n fixed-width strings at row `from` of a 1-D string dataset already resized to hold them.
   * The cells are packed straight into wasm memory (h5wasm's write_slice encodes string by string).
   */
  private writeStrings(ds: H5Dataset, from: number, n: number, width: number, src: readonly string[], ascii: boolean, field: TraceCellField | null = null): void {
    const M = this.h5.Module;
    const len = n * width;
    const ptr = M._malloc(len);
    if (ptr === 0) throw new Error(`out of wasm memory writing ${len} bytes`);
    try {
      const cells = Buffer.from(M.HEAPU8.buffer, ptr, len);
      cells.fill(0);
      if (ascii) {
        // Flow ids, addresses and timestamps are ASCII by construction: one native write per cell
        // (latin1Write skips Buffer#write's encoding dispatch).
        const raw = cells as Buffer & { latin1Write?: (s: string, offset: number, length: number) => number };
        if (field) {
          const ids = this.bufIdent;
          const rows = this.bufIdentRow;
          for (let i = 0; i < n; i++) {
            const id = ids[i];
            if (id) writeTraceCell(cells, i * width, width, field, id, rows[i]);
            else { const s = src[i]; if (s) cells.write(s, i * width, width, 'latin1'); }
          }
        } else if (typeof raw.latin1Write === 'function') {
          for (let i = 0; i < n; i++) { const s = src[i]; if (s) raw.latin1Write(s, i * width, width); }
        } else {
          for (let i = 0; i < n; i++) { const s = src[i]; if (s) cells.write(s, i * width, width, 'latin1'); }
        }
      } else {
        packAscii(src, n, width, cells);
      }
      M.set_dataset_data(ds.file_id, ds.path, [BigInt(n)], [BigInt(from)], [1n], BigInt(ptr));
    } finally {
      M._free(ptr);
    }
  }

  private targetPath(): string {
    const base = this.opts.file;
    if (!((this.opts.rotateBytes ?? 0) > 0 || (this.opts.rotateSeconds ?? 0) > 0)) return base;
    const ext = path.extname(base) || '.h5';
    const stem = base.slice(0, base.length - path.extname(base).length);
    const stamp = new Date(this.now()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    for (;;) {
      const p = `${stem}-${stamp}-${String(++this.seq).padStart(4, '0')}${ext}`;
      if (!fs.existsSync(p)) return p;
    }
  }

  private openFile(): OpenFile {
    const h5 = this.h5;
    const file = this.targetPath();
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const exists = fs.existsSync(file);
    const policy = this.opts.existing ?? 'append';
    if (exists && policy === 'error') throw new Error(`${file} already exists`);
    if (exists && policy === 'append') return this.reopen(file);
    const f = new h5.File(file, 'w');
    if (f.file_id < 0n) throw new Error(`cannot create HDF5 file ${file}`);
    try {
      return this.initFile(f, file);
    } catch (err) {
      f.close();
      throw err;
    }
  }

  private initFile(f: H5File, file: string): OpenFile {
    const columns = this.columns as string[];
    const c = columns.length;
    const gzip = this.opts.compression ?? 0;
    const chunkRows = this.blockRows;
    const comp = gzip > 0 ? { compression: gzip } : {};
    f.create_attribute('deepmad_format', FORMAT_NAME, null, `S${FORMAT_NAME.length}`);
    f.create_attribute('deepmad_version', FORMAT_VERSION, null, '<i8');
    const created = new Date(this.now()).toISOString();
    f.create_attribute('created', created, null, `S${created.length}`);

    const g = f.create_group(FRAME_GROUP);
    for (const [k, v] of PANDAS_FRAME_STRING_ATTRS) g.create_attribute(k, v, null, `S${v.length}`);
    g.create_attribute('nblocks', 1, null, '<i8');
    g.create_attribute('ndim', 2, null, '<i8');
    g.create_attribute('columns', columns);
    if (this.mode) g.create_attribute('normalize_mode', this.mode, null, `S${Math.max(1, this.mode.length)}`);
    for (const [k, v] of Object.entries(this.opts.attributes ?? {})) g.create_attribute(k, v);
    const nameWidth = Math.max(1, ...columns.map((s) => Buffer.byteLength(s)));
    for (const name of ['axis0', 'block0_items']) {
      const ds = g.create_dataset({ name, data: columns, dtype: `S${nameWidth}` });
      ds.create_attribute('kind', 'string', null, 'S6');
    }
    const index = g.create_dataset({ name: 'axis1', data: new BigInt64Array(0), shape: [0], maxshape: [null], chunks: [chunkRows] });
    index.create_attribute('kind', 'integer', null, 'S7');
    const values = g.create_dataset({
      name: VALUES, data: new Uint8Array(0), shape: [0, c], maxshape: [null, c], chunks: [chunkRows, c], ...comp,
    });
    // pandas stores a block transposed; this flag tells it our [rows, columns] layout is that form.
    values.create_attribute('transposed', 1, null, '<i8');

    let trace: Map<string, H5Dataset> | null = null;
    if (this.opts.trace !== false) {
      trace = new Map();
      const tg = f.create_group(TRACE_GROUP);
      for (const name of ['flow_id', 'timestamp', 'src_ip', 'dst_ip'] as const) {
        trace.set(name, tg.create_dataset({
          name, data: new Uint8Array(0), shape: [0], maxshape: [null], chunks: [chunkRows], dtype: `S${TRACE_STRINGS[name]}`, ...comp,
        }));
      }
      for (const [name, Ctor] of Object.entries(TRACE_NUMBERS)) {
        trace.set(name, tg.create_dataset({ name, data: new Ctor(0), shape: [0], maxshape: [null], chunks: [chunkRows], ...comp }));
      }
      if (this.sawLabel) trace.set('label', this.createTraceString(f, 'label', 0));
    }
    return { path: file, h5: f, values, index, trace, rows: 0, openedAt: this.now() };
  }

  private createTraceString(f: H5File, name: 'label', rows: number): H5Dataset {
    const gzip = this.opts.compression ?? 0;
    const tg = f.get(TRACE_GROUP) as InstanceType<H5Module['Group']>;
    const ds = tg.create_dataset({
      name, data: new Uint8Array(0), shape: [0], maxshape: [null], chunks: [this.blockRows], dtype: `S${TRACE_STRINGS[name]}`,
      ...(gzip > 0 ? { compression: gzip } : {}),
    });
    if (rows > 0) ds.resize([rows]); // earlier rows had no label: fixed-length strings fill with ''
    return ds;
  }

  private reopen(file: string): OpenFile {
    const f = new this.h5.File(file, 'a');
    if (f.file_id < 0n) throw new Error(`cannot open ${file} for appending (not an HDF5 file?)`);
    try {
      const values = f.get(`${FRAME_GROUP}/${VALUES}`);
      const index = f.get(`${FRAME_GROUP}/axis1`);
      if (!(values instanceof this.h5.Dataset) || !(index instanceof this.h5.Dataset)) {
        throw new Error(`${file} exists but is not a DeepMAD flows file (no /${FRAME_GROUP}/${VALUES}); choose another file or overwrite`);
      }
      const have = (f.get(`${FRAME_GROUP}/axis0`) as H5Dataset).value as string[];
      const want = this.columns as string[];
      if (have.length !== want.length || have.some((c, i) => c !== want[i])) {
        throw new Error(`${file} holds other columns (${have.length}) than these rows (${want.length}); choose another file or overwrite`);
      }
      const rows = (values.shape as number[])[0];
      let trace: Map<string, H5Dataset> | null = null;
      const tg = f.get(TRACE_GROUP);
      if (tg instanceof this.h5.Group && this.opts.trace !== false) {
        trace = new Map();
        for (const name of tg.keys()) trace.set(name, tg.get(name) as H5Dataset);
      }
      return { path: file, h5: f, values, index, trace, rows, openedAt: this.now() };
    } catch (err) {
      f.close();
      throw err;
    }
  }

  private finishFile(): Hdf5FileSummary | null {
    const f = this.current;
    if (!f) return null;
    this.current = null;
    f.h5.flush();
    f.h5.close();
    const summary = { file: f.path, rows: f.rows, bytes: fs.statSync(f.path).size };
    this.closed.push(summary);
    return summary;
  }
}

/** Copies n numbers from src[from…] to dst[at…]; typed arrays in one call, plain arrays (a cloned msg) by loop. */
function copyNumbers(src: ArrayLike<number>, from: number, n: number, dst: Uint16Array | Uint8Array, at: number): void {
  if (ArrayBuffer.isView(src)) {
    dst.set((src as Int32Array).subarray(from, from + n), at);
    return;
  }
  for (let k = 0; k < n; k++) dst[at + k] = src[from + k] ?? 0;
}

/**
 * Packs strings into zeroed fixed-width cells as ASCII: other characters become '?', longer strings
 * are cut (for free-text cells such as labels).
 */
function packAscii(src: readonly string[], n: number, width: number, cells: Uint8Array): void {
  for (let i = 0; i < n; i++) {
    const s = src[i];
    // A run of equal cells (one label for a whole batch) is copied from the cell before.
    if (i > 0 && s === src[i - 1]) { cells.copyWithin(i * width, (i - 1) * width, i * width); continue; }
    const len = Math.min(s.length, width);
    const base = i * width;
    for (let k = 0; k < len; k++) {
      const c = s.charCodeAt(k);
      cells[base + k] = c < 128 ? c : 63;
    }
  }
}
