// The example "DeepMAD prototype pipeline" in a real headless Node-RED runtime: both tabs import and
// deploy unchanged; the from-file tab runs end to end (bundled SSH capture → prc flows → prototype
// scaling → pandas-table HDF5 + MNAD-DNN classifier → alert log). The model is GPL-2.0 and not shipped:
// it is copied from ../shared into the userDir as a user would; without it the run is skipped.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NodeRedRuntime, packageName, type FlowNode, type RuntimeWatch } from '../support/runtime.js';
import { readPandasTable } from '../../lib/hdf5/pandas-table.js';

const EXAMPLE = path.resolve(__dirname, '..', '..', 'examples', 'DeepMAD prototype pipeline.json');
const model = path.resolve(__dirname, '..', '..', '..', 'shared', 'data', 'seed', 'MNAD-DNN.h5');
const modelSkip = fs.existsSync(model) ? false : `prototype model absent (${model})`;
const py = ['/usr/bin/python3', 'python3'].find((p) => { try { execFileSync(p, ['-c', 'import pandas, tables'], { stdio: 'ignore' }); return true; } catch { return false; } });

describe('example "DeepMAD prototype pipeline" in a real Node-RED runtime', () => {
  let rt: NodeRedRuntime;
  let w: RuntimeWatch;
  before(async () => {
    rt = await NodeRedRuntime.start();
    w = await rt.watch();
    if (!modelSkip) fs.copyFileSync(model, rt.file('MNAD-DNN.h5'));
  });
  after(async () => {
    w?.close();
    if (rt) assert.equal(await rt.stop(), 0);
  });

  it('is listed under Import › Examples and deploys both tabs without errors', { skip: modelSkip }, async () => {
    const ex = await rt.request('GET', `/library/examples/flows/${packageName}`);
    assert.ok(JSON.stringify(ex.body).includes('DeepMAD prototype pipeline'));
    const flow = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')) as FlowNode[];
    const mark = rt.output.length;
    await rt.deploy(flow);
    assert.deepEqual(rt.errorsSince(mark), []);
    await w.until(() => w.statusOf('dmp-file-clf')?.text === 'MNAD-DNN: ready', 30000, 'MNAD-DNN loaded from the weights-only file + card');
    await w.until(() => w.statusOf('dmp-live-clf')?.text === 'MNAD-DNN: ready', 30000, 'live tab classifier loaded');
  });

  it('from a file: 22 prc flows → 22 prototype rows in a pandas table, every row classified', { skip: modelSkip }, async () => {
    await rt.inject('dmp-file-inj');
    const done = await w.until(() => w.debugOf('dmp-file-files').find((d) => (d.value as { rows?: number })?.rows !== undefined), 30000, 'the HDF5 file');
    const file = rt.file('deepmad', 'normed_data.h5');
    assert.equal((done.value as { file: string; rows: number }).rows, 22);
    const f = await readPandasTable(file);
    assert.equal(f.index.length, 22);
    assert.equal(f.columns.length, 55);
    assert.equal(f.columns[0].name, 'Destination Port');
    // PRC's header lengths are always 0 → constant in every batch → the prototype's all-NaN float64 column
    const fhl = f.columns.find((c) => c.name === 'Fwd Header Length')!;
    assert.equal(fhl.dtype, 'float64');
    assert.ok((fhl.values as Float64Array).every(Number.isNaN));
    assert.equal(f.columns[0].dtype, 'uint8');
    if (py) {
      const r = execFileSync(py, ['-c', 'import sys, pandas as pd; d=pd.read_hdf(sys.argv[1], "data"); print(d.shape)', file], { encoding: 'utf8' }).trim();
      assert.equal(r, '(22, 55)');
    }
    // every row went out of the classifier, benign or to the alert node
    await w.until(() => {
      const s = w.statusOf('dmp-file-clf')?.text ?? '';
      return /\/ 22 flows$/.test(s) ? s : undefined;
    }, 30000, 'the classifier status after 22 rows');
  });
});
