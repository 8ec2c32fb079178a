/** deepmad h5 — look into, dump and convert pandas table-format HDF5 files (the Python prototype's layout). */
import fs from 'node:fs';
import type { Command } from '../deepmad.js';

const usage = `deepmad h5 <file.h5> [--key data] [--head N] [--csv out.csv] [--to-pandas out.h5]

Without options: the pandas keys of the file, its rows, and every column with its dtype.
  --head N         print the first N rows as CSV (index first)
  --csv out.csv    write every row as CSV (index first; NaN as empty cells)
  --to-pandas out  write the frame as a pandas table (to_hdf key 'data', format 'table'), the layout the
                   Python prototype read; the input may also be a DeepMAD-layout file from hdf5 out
Reads the prototype's Normalized-data.h5 / normed_data.h5 exactly as pandas.read_hdf(file, 'data') does.`;

function csvCell(v: unknown): string {
  if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const command: Command = {
  summary: "inspect, dump or convert pandas table-format HDF5 files (the Python prototype's Normalized-data.h5)",
  usage,
  async run(argv) {
    let file: string | undefined;
    let key: string | undefined;
    let head = 0;
    let csv: string | undefined;
    let toPandas: string | undefined;
    for (let i = 0; i < argv.length; i++) {
      const t = argv[i];
      const next = (): string => {
        const v = argv[++i];
        if (v === undefined) throw new Error(`${t} needs a value`);
        return v;
      };
      if (t === '--key') key = next();
      else if (t === '--head') { head = Number(next()); if (!Number.isInteger(head) || head < 0) { console.error('--head needs a whole number'); return 2; } }
      else if (t === '--csv') csv = next();
      else if (t === '--to-pandas') toPandas = next();
      else if (t.startsWith('-')) { console.error(`deepmad h5: unknown option ${t}\n\nusage: ${usage}`); return 2; }
      else if (!file) file = t;
      else { console.error(`deepmad h5: one file at a time\n\nusage: ${usage}`); return 2; }
    }
    if (!file) { console.error(`usage: ${usage}`); return 2; }
    if (!fs.existsSync(file)) { console.error(`deepmad h5: ${file}: no such file`); return 1; }
    const { listPandasKeys, readPandasTable, writePandasTable } = await import('../../lib/hdf5/pandas-table.js');
    const keys = await listPandasKeys(file);
    let frame;
    let k = key ?? (keys.includes('data') ? 'data' : keys[0]);
    if (k) frame = await readPandasTable(file, k);
    else {
      const { readHdf5Rows } = await import('../../lib/hdf5/reader.js');
      const b = await readHdf5Rows(file);
      k = 'flows';
      frame = {
        index: Float64Array.from({ length: b.rows }, (_, i) => i),
        columns: b.columns.map((name, j) => ({ name, dtype: 'uint8' as const, values: Uint8Array.from({ length: b.rows }, (_, r) => b.data[r * b.columns.length + j]) })),
      };
    }
    const n = frame.index.length;
    const rowCells = (r: number): string => [frame.index[r], ...frame.columns.map((c) => (c.values as ArrayLike<unknown>)[r])].map(csvCell).join(',');
    const header = ['index', ...frame.columns.map((c) => c.name)].map(csvCell).join(',');
    let acted = false;
    if (csv) {
      const fd = fs.openSync(csv, 'w');
      try {
        fs.writeSync(fd, header + '\n');
        for (let r = 0; r < n; r++) fs.writeSync(fd, rowCells(r) + '\n');
      } finally {
        fs.closeSync(fd);
      }
      console.error(`${csv}: ${n} rows`);
      acted = true;
    }
    if (toPandas) {
      await writePandasTable(toPandas, frame);
      console.error(`${toPandas}: ${n} rows (pandas table, key 'data')`);
      acted = true;
    }
    if (head > 0) {
      console.log(header);
      for (let r = 0; r < Math.min(n, head); r++) console.log(rowCells(r));
      acted = true;
    }
    if (!acted) {
      console.log(`${file}: key '${k}'${keys.length > 1 ? ` (keys: ${keys.join(', ')})` : ''}, ${n} rows, ${frame.columns.length} columns`);
      for (const c of frame.columns) {
        const v = c.values as ArrayLike<number | string | null>;
        let nan = 0;
        for (let r = 0; r < n; r++) if (v[r] === null || (typeof v[r] === 'number' && Number.isNaN(v[r] as number))) nan++;
        console.log(`  ${c.name}  ${c.dtype === 'bytes' ? 'object' : c.dtype}${nan ? `  (${nan} NaN)` : ''}`);
      }
    }
    return 0;
  },
};
