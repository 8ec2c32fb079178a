/**
 * Model input rows from a pandas table-format HDF5 file (the prototype's normed_data.h5 /
 * Normalized-data.h5, or what hdf5 out writes in the "pandas table (prototype)" layout), for
 * `deepmad classify` and the classifier's file input. Rows there are already preprocessed.
 */
import fs from 'node:fs';
import { PROTOTYPE_RENAME } from '../normalize/prototype-mode.js';
import { columnAsNumbers, listPandasKeys, readPandasTable, type PandasFrame } from './pandas-table.js';

/** True when the file starts with the HDF5 signature. */
export function isHdf5File(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const b = Buffer.alloc(8);
      fs.readSync(fd, b, 0, 8, 0);
      return b.equals(Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

export interface PandasModelRows {
  key: string;
  /** one Float32Array per row, in `columns` order; NaN (a constant column in the prototype) → 0 */
  rows: Float32Array[];
  /** per row: the frame's non-feature columns (e.g. label) plus `index` */
  extras: Array<Record<string, unknown>>;
  nanCells: number;
}

/**
 * Reads the card's columns from a pandas table. A column is found by its name or, for the prototype's
 * files, by the PRC name it was renamed from (`dst_port` for `Destination Port`).
 */
export async function readPandasModelRows(file: string, columns: readonly string[], key?: string): Promise<PandasModelRows> {
  const keys = await listPandasKeys(file);
  const k = key ?? (keys.includes('data') ? 'data' : keys[0]);
  if (!k) {
    // not a pandas table: a DeepMAD-layout file from hdf5 out (lib/hdf5/reader.ts)
    const { readHdf5Rows } = await import('./reader.js');
    const b = await readHdf5Rows(file);
    const frame: PandasFrame = {
      index: Float64Array.from({ length: b.rows }, (_, i) => i),
      columns: b.columns.map((name, j) => ({ name, dtype: 'uint8' as const, values: Uint8Array.from({ length: b.rows }, (_, r) => b.data[r * b.columns.length + j]) })),
    };
    const out = frameModelRows(frame, columns, file, 'flows');
    out.extras.forEach((e, r) => {
      e['Flow ID'] = b.trace.flowId[r]; e['Src IP'] = b.trace.srcIp[r]; e['Src Port'] = b.trace.srcPort[r];
      e['Dst IP'] = b.trace.dstIp[r]; e['Dst Port'] = b.trace.dstPort[r]; e.Protocol = b.trace.protocol[r]; e.Timestamp = b.trace.timestamp[r];
      if (b.trace.label) e.Label = b.trace.label[r];
    });
    return out;
  }
  const frame = await readPandasTable(file, k);
  return frameModelRows(frame, columns, `${file}:${k}`, k);
}

export function frameModelRows(frame: PandasFrame, columns: readonly string[], where: string, key = 'data'): PandasModelRows {
  const byName = new Map(frame.columns.map((c) => [c.name, c]));
  const reverse = new Map(Object.entries(PROTOTYPE_RENAME).map(([prc, stored]) => [stored, prc]));
  const picked = columns.map((name) => byName.get(name) ?? byName.get(reverse.get(name) ?? '') ?? byName.get(PROTOTYPE_RENAME[name] ?? ''));
  const missing = columns.filter((_, j) => !picked[j]);
  if (missing.length) {
    throw new Error(`${where}: missing ${missing.length} of the model's ${columns.length} columns: ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', …' : ''} (the file has: ${frame.columns.map((c) => c.name).slice(0, 12).join(', ')}${frame.columns.length > 12 ? ', …' : ''})`);
  }
  const n = frame.index.length;
  const F = columns.length;
  const values = picked.map((c) => columnAsNumbers(c!));
  const used = new Set(picked.map((c) => c!.name));
  const extraCols = frame.columns.filter((c) => !used.has(c.name));
  let nanCells = 0;
  const rows: Float32Array[] = new Array(n);
  const extras: Array<Record<string, unknown>> = new Array(n);
  for (let r = 0; r < n; r++) {
    const row = new Float32Array(F);
    for (let j = 0; j < F; j++) {
      const v = values[j][r];
      if (Number.isNaN(v)) nanCells++;
      row[j] = Number.isFinite(v) ? v : 0;
    }
    rows[r] = row;
    const e: Record<string, unknown> = { index: frame.index[r] };
    for (const c of extraCols) e[c.name] = (c.values as ArrayLike<unknown>)[r];
    extras[r] = e;
  }
  return { key, rows, extras, nanCells };
}
