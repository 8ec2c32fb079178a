/**
 * lib/hdf5 writer/reader: block appends, reopen-and-append, late labels, rotation by size and age,
 * and the proof that the files open in h5py and pandas.read_hdf (Debian's python3-h5py/pandas,
 * skipped with a message when absent).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { hdf5Info, Hdf5RowWriter, readHdf5Matrix, readHdf5Rows } from '../../lib/hdf5/index.js';
import { emptyTrace, type NormalizedBatch } from '../../lib/normalize/rows.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-hdf5-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function findPython(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(py, ['-c', 'import h5py, pandas, tables'], { stdio: 'ignore' });
      return py;
    } catch { /* next */ }
  }
  return undefined;
}
const py = findPython();
const pySkip = py ? false : 'python3 with h5py, pandas and tables not found (apt install python3-h5py python3-pandas python3-tables)';

const COLUMNS = ['Dst Port', 'Protocol', 'Flow Duration', 'Flow Bytes/s', 'Total Fwd Packet'];

/** Rows start..start+n with deterministic values; labels when asked. */
function batch(start: number, n: number, labels = false): NormalizedBatch {
  const c = COLUMNS.length;
  const data = new Uint8Array(n * c);
  for (let r = 0; r < n; r++) for (let i = 0; i < c; i++) data[r * c + i] = ((start + r) * (i + 3) + i) & 255;
  const t = emptyTrace(n);
  for (let r = 0; r < n; r++) {
    const k = start + r;
    t.flowId[r] = `192.168.0.${k % 250}-10.0.0.1-${40000 + (k % 20000)}-443-6`;
    t.timestamp[r] = `2026-11-26 22:00:${String(k % 60).padStart(2, '0')}.${k}`;
    t.srcIp[r] = k % 7 === 0 ? `2001:db8::${k.toString(16)}` : `192.168.0.${k % 250}`;
    t.dstIp[r] = '10.0.0.1';
    t.srcPort[r] = 40000 + (k % 20000);
    t.dstPort[r] = 443;
    t.protocol[r] = k % 3 === 0 ? 17 : 6;
  }
  if (labels) t.label = Array.from({ length: n }, (_, r) => ((start + r) % 5 === 0 ? 'DDoS' : 'BENIGN'));
  return { columns: [...COLUMNS], rows: n, data, trace: t, mode: 'scaler' };
}

function expectedValue(row: number, col: number): number {
  return (row * (col + 3) + col) & 255;
}

describe('HDF5 writer and reader', () => {
  const file = path.join(tmp, 'out', 'flows.h5');

  it('writes blocks, flushes partial blocks on close, and reads back every value and trace field', async () => {
    const w = await Hdf5RowWriter.create({ file, blockRows: 1000, compression: 4 });
    let sent = 0;
    for (const n of [1, 999, 1500, 777, 2223]) { w.append(batch(sent, n)); sent += n; }
    assert.equal(sent, 5500);
    assert.equal(w.bufferedRows, 500); // 5 full blocks written, the rest waits for a full block
    const done = w.close();
    assert.equal(done.length, 1);
    assert.deepEqual([done[0].file, done[0].rows], [file, 5500]);
    const info = await hdf5Info(file);
    assert.deepEqual([info.rows, info.columns, info.dtype, info.chunks, info.compression, info.hasTrace, info.hasLabel],
      [5500, COLUMNS, '<B', [1000, 5], 'gzip', true, false]);
    assert.equal(info.attributes.normalize_mode, 'scaler');
    const back = await readHdf5Rows(file);
    assert.equal(back.rows, 5500);
    for (let r = 0; r < 5500; r += 137) for (let i = 0; i < 5; i++) assert.equal(back.data[r * 5 + i], expectedValue(r, i));
    assert.equal(back.trace.flowId[4321], '192.168.0.71-10.0.0.1-44321-443-6');
    assert.equal(back.trace.srcIp[4319], '2001:db8::10df');
    assert.deepEqual([back.trace.srcPort[4321], back.trace.dstPort[4321], back.trace.protocol[4320], back.trace.protocol[4321]], [44321, 443, 17, 6]);
    assert.equal(back.trace.timestamp[61], '2026-11-26 22:00:01.61');
    assert.equal(back.trace.label, null);
    const part = await readHdf5Rows(file, { start: 999, end: 1002 });
    assert.deepEqual(Array.from(part.data), [999, 1000, 1001].flatMap((r) => [0, 1, 2, 3, 4].map((i) => expectedValue(r, i))));
    assert.deepEqual(part.trace.srcPort, Int32Array.from([40999, 41000, 41001]));
  });

  it('appends to an existing file, backfills labels that appear later, refuses other columns', async () => {
    const w = await Hdf5RowWriter.create({ file, blockRows: 1000 });
    w.append(batch(5500, 100, true));
    assert.deepEqual(w.close().map((f) => f.rows), [5600]);
    const back = await readHdf5Rows(file, { start: 5495, end: 5505 });
    assert.deepEqual(back.trace.label, ['', '', '', '', '', 'BENIGN', 'BENIGN', 'BENIGN', 'BENIGN', 'BENIGN'].map((l, i) => (i === 5 ? 'DDoS' : l)));
    const other = await Hdf5RowWriter.create({ file });
    assert.throws(() => { other.append({ ...batch(0, 1), columns: ['a', 'b', 'c', 'd', 'e'] }); other.close(); }, /holds other columns/);
    const strict = await Hdf5RowWriter.create({ file, existing: 'error' });
    assert.throws(() => { strict.append(batch(0, 1)); strict.close(); }, /already exists/);
    fs.writeFileSync(path.join(tmp, 'not.h5'), 'plain text');
    const bad = await Hdf5RowWriter.create({ file: path.join(tmp, 'not.h5') });
    assert.throws(() => { bad.append(batch(0, 1)); bad.close(); }, /cannot open .*not\.h5 for appending|not a DeepMAD flows file/);
    const w2 = await Hdf5RowWriter.create({ file: path.join(tmp, 'other.h5') });
    w2.append(batch(0, 3));
    assert.throws(() => w2.append({ ...batch(0, 1), columns: ['x'] }), /rows changed columns/);
    w2.close();
  });

  it('opens in h5py and pandas.read_hdf with the same columns, values, chunks and trace', { skip: pySkip }, () => {
    const script = `
import sys, json, h5py, numpy as np, pandas as pd
df = pd.read_hdf(sys.argv[1])
f = h5py.File(sys.argv[1], 'r')
v = f['flows/block0_values']
t = f['trace']
print(json.dumps({
  'shape': list(df.shape), 'columns': list(df.columns), 'dtypes': sorted(set(str(d) for d in df.dtypes)),
  'sum': int(df.values.astype(np.int64).sum()), 'row4321': [int(x) for x in df.iloc[4321]],
  'index_last': int(df.index[-1]), 'chunks': list(v.chunks), 'compression': v.compression,
  'attr_columns': [str(c) for c in f['flows'].attrs['columns']], 'mode': f['flows'].attrs['normalize_mode'].decode(),
  'format': f.attrs['deepmad_format'].decode(),
  'trace': sorted(t.keys()), 'flow_id': t['flow_id'][4321].decode(), 'src_port': int(t['src_port'][4321]),
  'label': [x.decode() for x in t['label'][5499:5501]], 'trace_len': len(t['dst_ip']),
}))
`;
    const out = JSON.parse(execFileSync(py as string, ['-c', script, file], { encoding: 'utf8' }));
    let sum = 0;
    for (let r = 0; r < 5600; r++) for (let i = 0; i < 5; i++) sum += expectedValue(r, i);
    assert.deepEqual(out, {
      shape: [5600, 5], columns: COLUMNS, dtypes: ['uint8'], sum, row4321: [0, 1, 2, 3, 4].map((i) => expectedValue(4321, i)),
      index_last: 5599, chunks: [1000, 5], compression: 'gzip', attr_columns: COLUMNS, mode: 'scaler', format: 'deepmad-flows',
      trace: ['dst_ip', 'dst_port', 'flow_id', 'label', 'protocol', 'src_ip', 'src_port', 'timestamp'],
      flow_id: '192.168.0.71-10.0.0.1-44321-443-6', src_port: 44321, label: ['', 'DDoS'], trace_len: 5600,
    });
  });

  it('rotates by size into time-stamped files that each hold whole blocks', async () => {
    const base = path.join(tmp, 'rot', 'cap.h5');
    const w = await Hdf5RowWriter.create({ file: base, blockRows: 512, rotateBytes: 20_000, now: () => Date.UTC(2026, 10, 26, 22, 30, 5) });
    const done = [...w.append(batch(0, 4000)), ...w.close()];
    assert.ok(done.length >= 3, `expected several files, got ${done.length}`);
    assert.equal(done.reduce((s, f) => s + f.rows, 0), 4000);
    for (const [i, f] of done.entries()) {
      assert.equal(path.basename(f.file), `cap-20261126T223005Z-${String(i + 1).padStart(4, '0')}.h5`);
      if (i < done.length - 1) assert.equal(f.rows % 512, 0);
    }
    let row = 0;
    for (const f of done) {
      const m = await readHdf5Matrix(f.file);
      assert.equal(m.values[0], expectedValue(row, 0));
      row += m.rows;
    }
  });

  it('rotates by age on flush, with an injected clock', async () => {
    let now = Date.UTC(2026, 10, 26, 23, 0, 0);
    const w = await Hdf5RowWriter.create({ file: path.join(tmp, 'age', 'a.h5'), rotateSeconds: 60, now: () => now });
    w.append(batch(0, 10));
    assert.deepEqual(w.flush(), []);
    now += 61_000;
    const aged = w.append(batch(10, 5)); // the age check writes them into the old file and closes it
    assert.deepEqual(aged.map((f) => [path.basename(f.file), f.rows]), [['a-20261126T230000Z-0001.h5', 15]]);
    w.append(batch(15, 2));
    assert.deepEqual(w.close().map((f) => [path.basename(f.file), f.rows]), [['a-20261126T230101Z-0002.h5', 2]]);
  });
});
