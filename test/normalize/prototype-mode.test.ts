/**
 * Normalize mode 'prototype' reproduces the Python prototype's preprocessing exactly: from its
 * flowmeter CSV (csvs/merged_data.csv) we get its stored HDF5 (hdf5/normed_data.h5) value for value,
 * and, written in the pandas table layout, a file pandas reads as a frame equal to the prototype's.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createNormalizer, normalizeModes } from '../../lib/normalize/index.js';
import { PROTOTYPE_DROPPED_COLUMNS, PROTOTYPE_FEATURE_COLUMNS, PROTOTYPE_MODEL_COLUMNS, prototypeNormalize, type PrototypeNormalizedBatch } from '../../lib/normalize/prototype-mode.js';
import { readPandasTable, writePandasTable } from '../../lib/hdf5/pandas-table.js';
import { batchToPandasFrame } from '../../lib/hdf5/pandas-layout.js';

const seed = path.resolve(__dirname, '..', '..', '..', 'shared', 'data', 'seed');
const seedSkip = fs.existsSync(path.join(seed, 'csvs', 'merged_data.csv')) ? false : `prototype files absent (${seed})`;
const py = ['/usr/bin/python3', 'python3'].find((p) => { try { execFileSync(p, ['-c', 'import pandas, tables'], { stdio: 'ignore' }); return true; } catch { return false; } });
const pySkip = py ? false : 'python3 with pandas and tables not found';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-proto-norm-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** pandas.read_csv-like: numbers parsed, empty cells NaN, other cells strings. */
function readCsv(file: string): Record<string, unknown>[] {
  const lines = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.length > 0);
  const head = lines[0].split(',');
  return lines.slice(1).map((l) => {
    const cells = l.split(',');
    const o: Record<string, unknown> = {};
    head.forEach((h, i) => {
      const s = cells[i] ?? '';
      o[h] = s === '' ? NaN : /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s) ? Number(s) : s;
    });
    return o;
  });
}

/** A PRC flow row with every column 0 except the given ones. */
function prcRow(over: Record<string, number | string>): Record<string, unknown> {
  const o: Record<string, unknown> = { flow: 'a:1<->b:2', src: 'a', dst: 'b', protocol: 'TCP', timestamp: 0, label: 'None' };
  for (const c of PROTOTYPE_FEATURE_COLUMNS) o[c] = 0;
  for (const c of PROTOTYPE_DROPPED_COLUMNS) if (!(c in o)) o[c] = 0;
  return { ...o, ...over };
}

describe("normalize mode 'prototype'", () => {
  it('is registered next to the scaler modes and keeps 55 of the 84 PRC columns', () => {
    assert.ok(normalizeModes().some((m) => m.name === 'prototype' && /225/.test(m.summary)));
    assert.equal(PROTOTYPE_FEATURE_COLUMNS.length, 55);
    assert.equal(PROTOTYPE_DROPPED_COLUMNS.length, 29);
    assert.equal(new Set([...PROTOTYPE_FEATURE_COLUMNS, ...PROTOTYPE_DROPPED_COLUMNS]).size, 84);
    assert.equal(createNormalizer({ mode: 'prototype' }).columns?.[0], 'Destination Port');
  });

  it('scales per batch by (x-min)/(max-min)*225, truncates to uint8, flags constant columns, drops NaN/inf rows', () => {
    const rows = [
      prcRow({ dst_port: 443, duration: 1, total_fpktl: 54 }),
      prcRow({ dst_port: 80, duration: 0.5, total_fpktl: 1514 }),
      prcRow({ dst_port: 53, duration: Infinity }),
      prcRow({ dst_port: 22, duration: 0.25, total_fpktl: 60 }),
    ];
    const b = createNormalizer({ mode: 'prototype' }).normalize(rows) as PrototypeNormalizedBatch;
    assert.equal(b.rows, 3);
    assert.equal(b.droppedRows, 1);
    assert.deepEqual(b.sourceRows, [0, 1, 3]);
    const col = (name: string): number[] => { const j = b.columns.indexOf(name); return [0, 1, 2].map((r) => b.data[r * 55 + j]); };
    // dst_port: min 22, max 443 → (443-22)/421*225 = 225, (80-22)/421*225 = 30.99… → 30, 0
    assert.deepEqual(col('Destination Port'), [225, 30, 0]);
    assert.deepEqual(col('Duration'), [225, 75, 0]);
    assert.deepEqual(col('Total Length of Fwd Packets'), [0, 225, 0]); // (60-54)/1460*225 = 0.92 → 0
    assert.equal(b.constantColumns[b.columns.indexOf('Idle Min')], true);
    assert.deepEqual(col('Idle Min'), [0, 0, 0]);
    assert.equal(b.constantColumns.filter(Boolean).length, 52);
    assert.deepEqual(b.trace.srcIp, ['a', 'a', 'a']);
  });

  it('says which profile it needs when the flows lack PRC columns', () => {
    assert.throws(() => prototypeNormalize([{ 'Flow Duration': 1, 'Dst Port': 80 }]), /needs flows from the 'prc' flow-meter profile; missing 55/);
  });

  it("reproduces the prototype's normed_data.h5 from its merged_data.csv, every value", { skip: seedSkip }, async () => {
    const flows = readCsv(path.join(seed, 'csvs', 'merged_data.csv'));
    assert.equal(flows.length, 90);
    const b = prototypeNormalize(flows);
    assert.equal(b.rows, 87); // the 3 git conflict-marker lines in that CSV are all-NaN rows
    const want = await readPandasTable(path.join(seed, 'hdf5', 'normed_data.h5'));
    assert.deepEqual(want.columns.map((c) => c.name), [...PROTOTYPE_MODEL_COLUMNS]);
    assert.deepEqual(Array.from(want.index), b.sourceRows);
    const got = batchToPandasFrame(b);
    assert.deepEqual(got.columns.map((c) => [c.name, c.dtype]), want.columns.map((c) => [c.name, c.dtype]));
    got.columns.forEach((c, j) => assert.deepEqual(Array.from(c.values as ArrayLike<number>), Array.from(want.columns[j].values as ArrayLike<number>), c.name));
  });

  it('written in the pandas table layout, pandas reads a frame equal to normed_data.h5', { skip: seedSkip || pySkip }, async () => {
    const b = prototypeNormalize(readCsv(path.join(seed, 'csvs', 'merged_data.csv')));
    const out = path.join(tmp, 'normed_data.h5');
    await writePandasTable(out, batchToPandasFrame(b));
    const r = execFileSync(py as string, ['-c',
      'import sys, pandas as pd; a=pd.read_hdf(sys.argv[1],"data"); b=pd.read_hdf(sys.argv[2],"data"); print(a.equals(b), (a.dtypes==b.dtypes).all(), list(a.index)==list(b.index))',
      path.join(seed, 'hdf5', 'normed_data.h5'), out], { encoding: 'utf8' }).trim();
    assert.equal(r, 'True True True');
  });
});
