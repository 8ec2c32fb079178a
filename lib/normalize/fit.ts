/**
 * Fitting a scaler from flow files: CICFlowMeter-style CSVs (any dialect, streamed line by line so
 * multi-GB files fit in memory) and HDF5 files written by DeepMAD or pandas ("fixed" format).
 */
import fs from 'node:fs';
import readline from 'node:readline';
import { chooseFeatureColumns, columnKey, type ColumnChoice } from './columns.js';
import { MinMaxAccumulator, type Scaler } from './scaler.js';

/** Splits one CSV line (RFC 4180 quoting; a quoted field may not span lines). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  while (i <= n) {
    if (line.charCodeAt(i) === 34 /* " */) {
      let s = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) { s += line.slice(i); i = n; break; }
        s += line.slice(i, q);
        if (line.charCodeAt(q + 1) === 34) { s += '"'; i = q + 2; } else { i = q + 1; break; }
      }
      out.push(s);
      const comma = line.indexOf(',', i);
      i = comma < 0 ? n + 1 : comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      if (comma < 0) { out.push(line.slice(i)); break; }
      out.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
  return out;
}

export interface FitResult {
  scaler: Scaler;
  /** Data rows read (including rows whose cells were all non-finite). */
  rowsRead: number;
  /** Columns whose min equals max (they will scale to 0, or 255 above the constant). */
  constantColumns: string[];
}

/**
 * Fits over one or more CSV files; the first file's header fixes the columns (trimmed names, as
 * flow objects carry them), later files must contain them (matched with `columnKey`).
 */
export async function fitScalerFromCsv(files: readonly string[], choice: ColumnChoice = {}, acc?: MinMaxAccumulator): Promise<MinMaxAccumulator> {
  for (const file of files) {
    if (!fs.existsSync(file)) throw new Error(`${file}: no such file`);
    const input = fs.createReadStream(file, { encoding: 'utf8' });
    const lines = readline.createInterface({ input, crlfDelay: Infinity });
    let header: string[] | null = null;
    let index: number[] | null = null;
    let row: Float64Array | null = null;
    let first = true;
    try {
      for await (const raw of lines) {
        const line = first ? raw.replace(/^\uFEFF/, '') : raw;
        first = false;
        if (line.trim() === '') continue;
        const cells = splitCsvLine(line);
        if (!header) {
          header = cells.map((h) => h.trim());
          if (acc) { index = locate(acc.columns, header, file); row = new Float64Array(index.length); }
          continue;
        }
        if (!acc || !index || !row) {
          // The feature columns come from the header plus the first data row's cell types.
          const sample: Record<string, string> = {};
          header.forEach((h, i) => { sample[h] = cells[i] ?? ''; });
          const cols = chooseFeatureColumns(sample, choice);
          if (cols.length === 0) throw new Error(`${file}: no numeric feature columns found`);
          acc = new MinMaxAccumulator(cols);
          index = locate(acc.columns, header, file);
          row = new Float64Array(index.length);
        }
        addCells(acc, index, row, cells);
      }
    } finally {
      lines.close();
      input.destroy();
    }
    if (!header) throw new Error(`${file}: empty file (no CSV header)`);
  }
  if (!acc) throw new Error('no input files');
  return acc;
}

function locate(columns: readonly string[], header: readonly string[], file: string): number[] {
  const byKey = new Map<string, number>();
  header.forEach((h, i) => { const k = columnKey(h); if (!byKey.has(k)) byKey.set(k, i); });
  const missing: string[] = [];
  const idx = columns.map((c) => {
    const exact = header.indexOf(c);
    if (exact >= 0) return exact;
    const i = byKey.get(columnKey(c));
    if (i === undefined) { missing.push(c); return -1; }
    return i;
  });
  if (missing.length) throw new Error(`${file}: missing column(s) ${missing.slice(0, 5).map((m) => `'${m}'`).join(', ')}`);
  return idx;
}

function addCells(acc: MinMaxAccumulator, index: readonly number[], row: Float64Array, cells: readonly string[]): void {
  for (let i = 0; i < index.length; i++) {
    const cell = cells[index[i]];
    row[i] = cell === undefined || cell.trim() === '' ? NaN : Number(cell);
  }
  acc.addRow(row);
}

export function finishFit(acc: MinMaxAccumulator, source: string, profile?: string): FitResult {
  const scaler = acc.toScaler({ source, profile });
  const constantColumns = scaler.columns.filter((_, i) => scaler.min[i] === scaler.max[i]);
  return { scaler, rowsRead: acc.rows, constantColumns };
}
