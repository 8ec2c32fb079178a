/**
 * Row writer for the "pandas table (prototype)" HDF5 layout: NormalizedBatch rows appended to a
 * pandas `to_hdf(key='data', format='table')` file (pandas-table.ts), the layout the Python prototype
 * wrote and read. Same surface as Hdf5RowWriter (append / flush / close → finished files), so the
 * hdf5 out node can use either.
 *
 * Rows are buffered and written on flush()/close() (the node flushes on a timer and at end of source).
 * Batches from normalize mode 'prototype' keep their constant columns as float64 NaN, as pandas did;
 * when a later batch needs other dtypes than the file holds (a column constant in one batch and not
 * in the next), it goes to a new numbered file `<stem>-<n><ext>`, because a pandas table cannot change
 * a column's dtype.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { NormalizedBatch } from '../normalize/rows.js';
import { batchToPandasFrame } from './pandas-layout.js';
import { loadPandasH5, readPandasTableWith, writePandasTableWith, type PandasFrame } from './pandas-table.js';
import type { Hdf5FileSummary } from './writer.js';

export interface PandasWriterOptions {
  file: string;
  /** When `file` exists at start: append rows (columns and dtypes must match), overwrite it, or fail. */
  existing?: 'append' | 'overwrite' | 'error';
  /** pandas key (default 'data', as the prototype). */
  key?: string;
  /** Also store flow id, addresses, ports, protocol, timestamp as extra columns (default false: the prototype had none). */
  trace?: boolean;
}

type H5 = Awaited<ReturnType<typeof loadPandasH5>>;

export class PandasTableWriter {
  private pending: PandasFrame[] = [];
  private pendingRows = 0;
  private file: string;
  private seq = 0;
  private rowsInFile = 0;
  private signature: string | null = null;
  private readonly finished: Hdf5FileSummary[] = [];
  private closed = false;

  private constructor(private readonly h5: H5, private readonly opts: PandasWriterOptions) {
    this.file = path.resolve(opts.file);
  }

  static async create(opts: PandasWriterOptions): Promise<PandasTableWriter> {
    if (!opts.file) throw new Error('no HDF5 output file given');
    const abs = path.resolve(opts.file);
    const existing = opts.existing ?? 'append';
    const h5 = await loadPandasH5();
    const w = new PandasTableWriter(h5, opts);
    if (fs.existsSync(abs)) {
      if (existing === 'error') throw new Error(`${abs} exists (set "existing" to append or overwrite)`);
      if (existing === 'overwrite') fs.rmSync(abs);
      else {
        const f = readPandasTableWith(h5, abs, opts.key ?? 'data');
        w.rowsInFile = f.index.length;
        w.signature = signatureOf(f);
      }
    }
    return w;
  }

  get currentFile(): string { return this.file; }
  get rows(): number { return this.rowsInFile + this.pendingRows; }
  get finishedFiles(): readonly Hdf5FileSummary[] { return this.finished; }

  append(batch: NormalizedBatch): Hdf5FileSummary[] {
    // after close() (end of a capture) more rows append to the same file again, like Hdf5RowWriter
    this.closed = false;
    if (batch.rows === 0) return [];
    // the index continues after the rows already stored or pending, so it stays unique per file
    this.pending.push(batchToPandasFrame(batch, { indexOffset: this.rowsInFile + this.pendingRows, withTrace: !!this.opts.trace }));
    this.pendingRows += batch.rows;
    return [];
  }

  /** Writes pending rows; returns files that were finished because the dtypes changed. */
  flush(): Hdf5FileSummary[] {
    const done: Hdf5FileSummary[] = [];
    for (const frame of this.pending) {
      const sig = signatureOf(frame);
      if (this.signature !== null && sig !== this.signature) {
        done.push(this.summary());
        this.seq++;
        const ext = path.extname(this.opts.file) || '.h5';
        const stem = path.resolve(this.opts.file).slice(0, -ext.length || undefined);
        this.file = `${stem}-${this.seq}${ext}`;
        if (fs.existsSync(this.file)) fs.rmSync(this.file);
        this.rowsInFile = 0;
        this.signature = null;
        // re-number this frame's index for the new file
        const base = frame.index[0] ?? 0;
        for (let i = 0; i < frame.index.length; i++) frame.index[i] -= base;
      }
      const r = writePandasTableWith(this.h5, this.file, frame, { key: this.opts.key ?? 'data', mode: this.signature === null ? 'w' : 'a', minItemsize: this.opts.trace ? 100 : undefined });
      this.rowsInFile = r.totalRows;
      this.signature = sig;
    }
    this.pending = [];
    this.pendingRows = 0;
    this.finished.push(...done);
    return done;
  }

  close(): Hdf5FileSummary[] {
    if (this.closed) return [];
    const done = this.flush();
    this.closed = true;
    if (this.signature !== null && !done.some((d) => d.file === this.file)) {
      const s = this.summary();
      this.finished.push(s);
      done.push(s);
    }
    return done;
  }

  private summary(): Hdf5FileSummary {
    return { file: this.file, rows: this.rowsInFile, bytes: fs.existsSync(this.file) ? fs.statSync(this.file).size : 0 };
  }
}

function signatureOf(f: PandasFrame): string {
  return f.columns.map((c) => `${c.name}:${c.dtype}`).join('|');
}
