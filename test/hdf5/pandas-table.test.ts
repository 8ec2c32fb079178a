/**
 * pandas `to_hdf(key='data', format='table')` layout: we read the prototype's own files to the values
 * pandas reads, and pandas reads the files we write exactly as we meant them.
 * The pandas side runs Debian's python3-pandas/python3-tables in a subprocess (skipped with a message
 * when absent); the prototype's files come from ../shared (skipped with a message when absent).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { readPandasTable, writePandasTable, listPandasKeys, frameToMatrix, type PandasFrame } from '../../lib/hdf5/pandas-table.js';
import { pickle0, unpickle, pyDict, pyTuple } from '../../lib/hdf5/pickle0.js';

const shared = path.resolve(__dirname, '..', '..', '..', 'shared');
const seedH5 = path.join(shared, 'data', 'seed', 'hdf5');
const haveSeed = fs.existsSync(path.join(seedH5, 'normed_data.h5'));
const seedSkip = haveSeed ? false : `prototype files absent (${seedH5})`;

/** A python3 that has pandas + PyTables (Debian's /usr/bin/python3 first: a pyenv shim may shadow it). */
function findPandasPython(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(py, ['-c', 'import pandas, tables'], { stdio: 'ignore' });
      return py;
    } catch { /* try next */ }
  }
  return undefined;
}
const py = findPandasPython();
const pySkip = py ? false : 'python3 with pandas and tables (apt python3-pandas python3-tables) not found';

/** What pandas.read_hdf returns, as JSON: index, column names, dtype names, values (NaN -> null). */
const PANDAS_DUMP = `
import sys, json, math, pandas as pd
df = pd.read_hdf(sys.argv[1], sys.argv[2])
def cell(v):
    if isinstance(v, bytes): v = v.decode()
    if isinstance(v, float) and math.isnan(v): return None
    if hasattr(v, 'item'): v = v.item()
    if isinstance(v, float) and math.isnan(v): return None
    return v
print(json.dumps({'index': [int(i) for i in df.index], 'columns': [str(c) for c in df.columns],
  'dtypes': [str(t) for t in df.dtypes],
  'values': [[cell(v) for v in df[c].tolist()] for c in df.columns]}))
`;
function pandasRead(file: string, key = 'data'): { index: number[]; columns: string[]; dtypes: string[]; values: Array<Array<number | string | null>> } {
  return JSON.parse(execFileSync(py as string, ['-c', PANDAS_DUMP, file, key], { encoding: 'utf8', maxBuffer: 64 << 20 }));
}

function asJson(frame: PandasFrame): ReturnType<typeof pandasRead> {
  return {
    index: Array.from(frame.index),
    columns: frame.columns.map((c) => c.name),
    dtypes: frame.columns.map((c) => (c.dtype === 'bytes' ? 'object' : c.dtype)),
    values: frame.columns.map((c) => Array.from(c.values as ArrayLike<number | string | null>, (v) => (typeof v === 'number' && Number.isNaN(v) ? null : v))),
  };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-pandas-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('pandas table: the prototype files', () => {
  it('reads normed_data.h5 (55 CIC-named columns, float64 + uint8 blocks, gaps in the index)', { skip: seedSkip }, async () => {
    const file = path.join(seedH5, 'normed_data.h5');
    assert.deepEqual(await listPandasKeys(file), ['data']);
    const f = await readPandasTable(file);
    assert.equal(f.index.length, 87);
    assert.equal(f.columns.length, 55);
    assert.deepEqual(Array.from(f.index.slice(0, 5)), [0, 1, 3, 4, 5]);
    assert.equal(f.columns[0].name, 'Destination Port');
    assert.equal(f.columns[54].name, 'Idle Min');
    assert.equal(f.columns.filter((c) => c.dtype === 'float64').map((c) => c.name).join('|'),
      'Fwd Header Length|URG Flag Count|Idle Mean|Idle Std|Idle Max|Idle Min');
    // row 0 as pandas prints it (float64 columns are all-NaN: constant in the batch, 0/0 in the scaling)
    const m = frameToMatrix(f);
    assert.deepEqual(Array.from(m.data.slice(0, 12)), [186, 225, 0, 0, 47, 225, 55, 154, 0, 0, 0, 0]);
    assert.ok(Number.isNaN(m.data[26])); // Fwd Header Length
  });

  it('reads Normalized-data.h5 (63 uint8 columns + a string label column)', { skip: seedSkip }, async () => {
    const f = await readPandasTable(path.join(seedH5, 'Normalized-data.h5'));
    assert.equal(f.index.length, 540);
    assert.equal(f.columns.length, 64);
    assert.equal(f.columns[63].name, 'label');
    assert.equal(f.columns[63].dtype, 'bytes');
    assert.ok((f.columns[63].values as string[]).every((v) => v === 'None'));
    assert.deepEqual(Array.from(f.columns[0].values as Uint8Array).slice(0, 3), [1, 206, 1]);
  });

  for (const name of ['normed_data.h5', 'Normalized-data.h5']) {
    it(`${name}: every value equals what pandas.read_hdf returns`, { skip: seedSkip || pySkip }, async () => {
      const file = path.join(seedH5, name);
      assert.deepEqual(asJson(await readPandasTable(file)), pandasRead(file));
    });
    it(`${name}: re-written by us, pandas reads a frame equal to the original (DataFrame.equals)`, { skip: seedSkip || pySkip }, async () => {
      const src = path.join(seedH5, name);
      const out = path.join(tmp, `rewritten-${name}`);
      await writePandasTable(out, await readPandasTable(src));
      const r = execFileSync(py as string, ['-c',
        'import sys, pandas as pd; a=pd.read_hdf(sys.argv[1],"data"); b=pd.read_hdf(sys.argv[2],"data"); ' +
        'print(a.equals(b), list(a.columns)==list(b.columns), (a.dtypes==b.dtypes).all(), list(a.index)==list(b.index))',
        src, out], { encoding: 'utf8' }).trim();
      assert.equal(r, 'True True True True');
    });
  }
});

describe('pandas table: files we write', () => {
  const frame: PandasFrame = {
    index: new Float64Array([0, 1, 2]),
    columns: [
      { name: 'Destination Port', dtype: 'uint8', values: new Uint8Array([186, 0, 225]) },
      { name: 'Flow IAT Std', dtype: 'float64', values: new Float64Array([NaN, 0.5, -1.25]) },
      { name: 'Init_Win_bytes_forward', dtype: 'int64', values: new Float64Array([65535, -1, 2 ** 40]) },
      { name: 'label', dtype: 'bytes', values: ['None', null, 'DoS é'] },
      { name: 'Flow Bytes/s', dtype: 'float32', values: new Float32Array([1.5, 2, 3]) },
    ],
  };

  it('round-trips through our reader exactly', async () => {
    const out = path.join(tmp, 'ours.h5');
    const r = await writePandasTable(out, frame);
    assert.deepEqual(r, { rows: 3, totalRows: 3 });
    assert.deepEqual(asJson(await readPandasTable(out)), asJson(frame));
  });

  it('pandas.read_hdf(path, "data") returns the same frame, dtypes included', { skip: pySkip }, async () => {
    const out = path.join(tmp, 'ours-pd.h5');
    await writePandasTable(out, frame);
    assert.deepEqual(pandasRead(out), asJson(frame));
  });

  it('appends batches (mode "a"); pandas sees all rows in order', { skip: pySkip }, async () => {
    const out = path.join(tmp, 'append.h5');
    await writePandasTable(out, frame);
    const more: PandasFrame = {
      index: new Float64Array([3]),
      columns: frame.columns.map((c) => ({ ...c, values: c.dtype === 'bytes' ? ['x'] : c.dtype === 'uint8' ? new Uint8Array([7]) : new Float64Array([8]) })),
    };
    (more.columns[4] as { values: unknown }).values = new Float32Array([9]);
    assert.deepEqual(await writePandasTable(out, more, { mode: 'a' }), { rows: 1, totalRows: 4 });
    const got = pandasRead(out);
    assert.deepEqual(got.index, [0, 1, 2, 3]);
    assert.deepEqual(got.values[0], [186, 0, 225, 7]);
    assert.deepEqual(got.values[3], ['None', null, 'DoS é', 'x']);
    assert.deepEqual(got.values[4], [1.5, 2, 3, 9]);
  });

  it('refuses appends that do not fit the stored table, with clear messages', async () => {
    const out = path.join(tmp, 'append-bad.h5');
    await writePandasTable(out, frame);
    await assert.rejects(writePandasTable(out, { index: new Float64Array([9]), columns: [{ name: 'x', dtype: 'uint8', values: new Uint8Array([1]) }] }, { mode: 'a' }),
      /cannot append: stored columns\/dtypes differ/);
    const longer = { index: new Float64Array([9]), columns: frame.columns.map((c) => ({ ...c, values: c.dtype === 'bytes' ? ['a much longer label'] : c.dtype === 'uint8' ? new Uint8Array(1) : c.dtype === 'float32' ? new Float32Array(1) : new Float64Array(1) })) };
    await assert.rejects(writePandasTable(out, longer, { mode: 'a' }), /a string of 19 bytes exceeds the stored width 6/);
  });

  it('rejects bad input and missing files clearly', async () => {
    await assert.rejects(readPandasTable(path.join(tmp, 'nope.h5')), /HDF5 file not found/);
    await assert.rejects(writePandasTable(path.join(tmp, 'x.h5'), { index: new Float64Array([0, 1]), columns: [{ name: 'a', dtype: 'uint8', values: new Uint8Array(1) }] }),
      /column a has 1 values for 2 index rows/);
    await assert.rejects(writePandasTable(path.join(tmp, 'x.h5'), frame, { key: '../etc' }), /invalid key/);
  });
});

describe('pickle protocol 0 (PyTables attribute values)', () => {
  // Bytes exactly as PyTables stored them in the prototype's Normalized-data.h5.
  const protoAttrs = {
    index_cols: '(lp0\n(I0\nVindex\np1\ntp2\na.',
    values_cols: '(lp0\nVvalues_block_0\np1\naVvalues_block_1\np2\na.',
    info: '(dp0\nI1\n(dp1\nVnames\np2\n(lp3\nNasVtype\np4\nVIndex\np5\nssVindex\np6\n(dp7\nsVvalues_block_0\np8\n(dp9\nsVvalues_block_1\np10\n(dp11\ns.',
    data_columns: '(lp0\n.',
    meta: 'N.',
  };
  it('decodes the prototype attributes to the Python values', () => {
    assert.deepEqual(unpickle(protoAttrs.index_cols), [pyTuple(0, 'index')]);
    assert.deepEqual(unpickle(protoAttrs.values_cols), ['values_block_0', 'values_block_1']);
    assert.deepEqual(unpickle(protoAttrs.info), pyDict([
      [1, pyDict([['names', [null]], ['type', 'Index']])], ['index', pyDict([])], ['values_block_0', pyDict([])], ['values_block_1', pyDict([])],
    ]));
    assert.equal(unpickle(protoAttrs.meta), null);
  });
  it('encodes them back byte for byte as Python pickle.dumps(v, 0) does', () => {
    for (const s of Object.values(protoAttrs)) assert.equal(pickle0(unpickle(s)).toString('latin1'), s);
  });
  it('escapes non-ASCII and newlines as raw-unicode-escape, and rejects class pickles', () => {
    assert.equal(pickle0(['a\nb\\c', 'é€']).toString('latin1'), '(lp0\nVa\\u000ab\\u005cc\np1\naV\xe9\\u20ac\np2\na.');
    assert.deepEqual(unpickle(pickle0(['a\nb\\c', 'é€'])), ['a\nb\\c', 'é€']);
    assert.throws(() => unpickle("cos\nsystem\n(S'ls'\ntR."), /unsupported pickle opcode .* \('c'\)/);
  });
});
