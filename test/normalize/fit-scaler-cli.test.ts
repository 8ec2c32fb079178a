/** `deepmad fit-scaler` end to end (the built CLI): CSV and HDF5 inputs, usage errors. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Hdf5RowWriter } from '../../lib/hdf5/writer.js';
import { loadScaler } from '../../lib/normalize/scaler.js';
import { emptyTrace } from '../../lib/normalize/rows.js';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'bin', 'deepmad.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-fit-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(...args: string[]) {
  return spawnSync(process.execPath, [cli, 'fit-scaler', ...args], { encoding: 'utf8', cwd: tmp });
}

describe('deepmad fit-scaler', () => {
  it('fits CSV files into a scaler file and reports constant columns', () => {
    fs.writeFileSync(path.join(tmp, 'a.csv'), 'Flow ID,Src IP,Dst Port,Flow Duration,Fwd PSH Flags,Label\nf,1.2.3.4,80,10,0,BENIGN\ng,1.2.3.5,443,30,0,DoS\n');
    const r = run('a.csv', '-o', 'out/scaler.json', '--profile', 'improved');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'fit-scaler: 2 rows, 3 columns → out/scaler.json\nfit-scaler: 1 constant column(s) will always scale to 0: Fwd PSH Flags\n');
    const s = loadScaler(path.join(tmp, 'out', 'scaler.json'));
    assert.deepEqual([s.columns, s.min, s.max, s.rows, s.profile, s.source], [['Dst Port', 'Flow Duration', 'Fwd PSH Flags'], [80, 10, 0], [443, 30, 0], 2, 'improved', 'a.csv']);
    const text = fs.readFileSync(path.join(tmp, 'out', 'scaler.json'), 'utf8');
    assert.match(text, /^ {2}"columns": \["Dst Port","Flow Duration","Fwd PSH Flags"\],$/m);
  });

  it('fits an HDF5 file written by hdf5 out, with an explicit column list', async () => {
    const w = await Hdf5RowWriter.create({ file: path.join(tmp, 'rows.h5') });
    w.append({ columns: ['a', 'b'], rows: 3, data: Uint8Array.from([1, 9, 5, 7, 3, 200]), trace: emptyTrace(3), mode: 'scaler' });
    w.close();
    const r = run('rows.h5', '-o', 'h5.json', '--columns', 'b');
    assert.equal(r.status, 0, r.stderr);
    const s = loadScaler(path.join(tmp, 'h5.json'));
    assert.deepEqual([s.columns, s.min, s.max, s.rows], [['b'], [7], [200], 3]);
  });

  it('explains usage and bad input', () => {
    const u = run('a.csv');
    assert.equal(u.status, 2);
    assert.match(u.stderr, /^usage: deepmad fit-scaler/);
    const m = run('missing.csv', '-o', 'x.json');
    assert.equal(m.status, 1);
    assert.match(m.stderr, /deepmad: no such file or directory: missing\.csv/);
    const o = run('a.csv', '-o', 'x.json', '--bogus');
    assert.match(o.stderr, /unknown option --bogus/);
  });
});
