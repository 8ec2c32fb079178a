/** deepmad fit-scaler — fits the min-max uint8 scaler (lib/normalize/scaler.ts) over flow CSVs or HDF5 files. */
import path from 'node:path';
import type { Command } from '../deepmad.js';
import { chooseFeatureColumns, columnKey } from '../../lib/normalize/columns.js';
import { finishFit, fitScalerFromCsv } from '../../lib/normalize/fit.js';
import { MinMaxAccumulator, saveScaler } from '../../lib/normalize/scaler.js';
import { expandDataFiles } from '../util/data-files.js';

const usage = `deepmad fit-scaler <flows.csv|flows.h5|dir> [...] -o scaler.json
  [--columns "col,col,…"] [--drop "col,…"] [--keep-identity] [--profile NAME] [--non-finite zero|clamp]

Reads flows (CSV from the flowmeter or CICFlowMeter, any column dialect; or HDF5 written by the
hdf5 out node or pandas to_hdf) and writes each feature column's min and max, in column order, as
a small JSON file for the normalize node (mode "fixed scaler file") and model cards.
Default columns: every numeric column except identity columns (Flow ID, addresses, Src Port,
Timestamp, Label); --columns fixes the list and order. A directory means every *.csv/*.h5 in it.`;

interface Args { inputs: string[]; out?: string; columns: string[]; drop: string[]; keepIdentity: boolean; profile?: string; nonFinite: 'zero' | 'clamp' }

function parse(argv: string[]): Args {
  const a: Args = { inputs: [], columns: [], drop: [], keepIdentity: false, nonFinite: 'zero' };
  const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${k} needs a value`);
      return v;
    };
    if (k === '-o' || k === '--out') a.out = next();
    else if (k === '--columns') a.columns = list(next());
    else if (k === '--drop') a.drop = list(next());
    else if (k === '--keep-identity') a.keepIdentity = true;
    else if (k === '--profile') a.profile = next();
    else if (k === '--non-finite') {
      const v = next();
      if (v !== 'zero' && v !== 'clamp') throw new Error('--non-finite must be zero or clamp');
      a.nonFinite = v;
    } else if (k.startsWith('-')) throw new Error(`unknown option ${k}`);
    else a.inputs.push(k);
  }
  return a;
}

const isH5 = (f: string) => /\.(h5|hdf5)$/i.test(f);

export const command: Command = {
  summary: 'fit the normalize scaler (per-column min/max → scaler.json) from flow CSV or HDF5 files',
  usage,
  async run(argv) {
    const a = parse(argv);
    if (a.inputs.length === 0 || !a.out) {
      console.error(`usage: ${usage}`);
      return 2;
    }
    const files = expandDataFiles(a.inputs);
    const choice = { columns: a.columns, drop: a.drop, keepIdentity: a.keepIdentity };
    let acc: MinMaxAccumulator | undefined;
    for (const f of files) {
      if (!isH5(f)) {
        acc = await fitScalerFromCsv([f], choice, acc);
        continue;
      }
      const { readHdf5Matrix } = await import('../../lib/hdf5/reader.js');
      const m = await readHdf5Matrix(f);
      if (!acc) {
        const sample: Record<string, number> = {};
        for (const c of m.columns) sample[c] = 0;
        acc = new MinMaxAccumulator(chooseFeatureColumns(sample, choice));
      }
      const idx = acc.columns.map((c) => {
        const i = m.columns.findIndex((x) => x === c || columnKey(x) === columnKey(c));
        if (i < 0) throw new Error(`${f}: missing column '${c}'`);
        return i;
      });
      const row = new Float64Array(idx.length);
      const w = m.columns.length;
      for (let r = 0; r < m.rows; r++) {
        for (let i = 0; i < idx.length; i++) row[i] = Number(m.values[r * w + idx[i]]);
        acc.addRow(row);
      }
    }
    if (!acc) throw new Error('no input rows');
    const result = finishFit(acc, files.map((f) => path.basename(f)).join(', '), a.profile);
    result.scaler.nonFinite = a.nonFinite;
    saveScaler(a.out, result.scaler);
    console.log(`fit-scaler: ${result.rowsRead} rows, ${result.scaler.columns.length} columns → ${a.out}`);
    if (result.constantColumns.length) {
      console.log(`fit-scaler: ${result.constantColumns.length} constant column(s) will always scale to 0: ${result.constantColumns.join(', ')}`);
    }
    return 0;
  },
};
