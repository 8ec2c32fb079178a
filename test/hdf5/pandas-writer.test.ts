/**
 * The hdf5 out node's "pandas table (prototype)" layout: normalize (mode prototype) → hdf5 out writes
 * the prototype's layout; pandas reads it as the prototype read its normed_data.h5.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { helperNode, nextMessage, recordStatus, tab, useNodeRedHelper } from '../support/node-helper.js';
import { PandasTableWriter } from '../../lib/hdf5/pandas-writer.js';
import { readPandasTable } from '../../lib/hdf5/pandas-table.js';
import { prototypeNormalize, PROTOTYPE_DROPPED_COLUMNS, PROTOTYPE_FEATURE_COLUMNS } from '../../lib/normalize/prototype-mode.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-pandas-writer-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const py = ['/usr/bin/python3', 'python3'].find((p) => { try { execFileSync(p, ['-c', 'import pandas, tables'], { stdio: 'ignore' }); return true; } catch { return false; } });
const pySkip = py ? false : 'python3 with pandas and tables not found';

/** PRC-profile flow objects: every column 0 except the given ones. */
function prcFlows(rows: Array<Record<string, number>>): Record<string, unknown>[] {
  return rows.map((over, i) => {
    const o: Record<string, unknown> = { flow: `10.0.0.1:${1000 + i}<->10.0.0.2:80`, src: '10.0.0.1', dst: '10.0.0.2', protocol: 'TCP', timestamp: 0, label: 'None' };
    for (const c of [...PROTOTYPE_FEATURE_COLUMNS, ...PROTOTYPE_DROPPED_COLUMNS]) if (!(c in o)) o[c] = 0;
    o.src_port = 1000 + i;
    return { ...o, ...over };
  });
}

describe('PandasTableWriter', () => {
  it('appends prototype batches to one file while the dtypes match, starts <name>-1.h5 when they change', async () => {
    const file = path.join(tmp, 'w.h5');
    const w = await PandasTableWriter.create({ file, existing: 'overwrite' });
    const a = prototypeNormalize(prcFlows([{ dst_port: 80, duration: 1 }, { dst_port: 443, duration: 2 }]));
    const b = prototypeNormalize(prcFlows([{ dst_port: 22, duration: 3 }, { dst_port: 53, duration: 1 }]));
    const c = prototypeNormalize(prcFlows([{ dst_port: 22, duration: 3, flow_urg: 1 }, { dst_port: 53, duration: 1 }]));
    assert.deepEqual(w.append(a), []);
    assert.deepEqual(w.append(b), []);
    assert.deepEqual(w.flush(), []);
    const first = await readPandasTable(file);
    assert.deepEqual(Array.from(first.index), [0, 1, 2, 3]);
    assert.deepEqual(Array.from(first.columns[0].values as Uint8Array), [0, 225, 0, 225]); // Destination Port per batch
    assert.equal(first.columns.find((x) => x.name === 'URG Flag Count')?.dtype, 'float64');
    w.append(c); // URG Flag Count is not constant here → uint8 → a new file
    const rotated = w.flush();
    assert.deepEqual(rotated.map((s) => [path.basename(s.file), s.rows]), [['w.h5', 4]]);
    const closed = w.close();
    assert.deepEqual(closed.map((s) => [path.basename(s.file), s.rows]), [['w-1.h5', 2]]);
    const second = await readPandasTable(path.join(tmp, 'w-1.h5'));
    assert.equal(second.columns.find((x) => x.name === 'URG Flag Count')?.dtype, 'uint8');
    assert.deepEqual(Array.from(second.index), [0, 1]);
    // rows after close() (the next capture) append to the same file
    w.append(c);
    assert.deepEqual(w.close().map((s) => [path.basename(s.file), s.rows]), [['w-1.h5', 4]]);
    assert.deepEqual(Array.from((await readPandasTable(path.join(tmp, 'w-1.h5'))).index), [0, 1, 2, 3]);
  });
});

describe('deepmad-hdf5-out, layout "pandas table (prototype)"', () => {
  const h = useNodeRedHelper();
  it('normalize (DeepMAD prototype) → hdf5 out writes a file pandas.read_hdf reads like the prototype', async () => {
    const file = path.join(tmp, 'node', 'Normalized-data.h5');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await h.load(['normalize', 'hdf5-out'], [
      tab(),
      { id: 'n1', z: 't1', type: 'deepmad-normalize', mode: 'prototype', wires: [['w']] },
      { id: 'w', z: 't1', type: 'deepmad-hdf5-out', file, layout: 'pandas-table', existing: 'overwrite', trace: false, flushSeconds: 0, closeOnEof: true, wires: [['out']] },
      helperNode('out'),
    ]);
    const status = recordStatus(h.getNode('w'));
    const done = nextMessage(h.getNode('out'));
    h.getNode('n1').receive({ topic: 'deepmad/flows', payload: prcFlows([{ dst_port: 443, duration: 0.5, total_fpktl: 54 }, { dst_port: 80, duration: 1, total_fpktl: 1514 }, { dst_port: 22, duration: 0.25, total_fpktl: 60 }]), profile: 'prc', source: 'data1.pcap' });
    h.getNode('n1').receive({ topic: 'deepmad/eof', payload: {}, source: 'data1.pcap' });
    const m = await done;
    assert.deepEqual([m.topic, m.filename, m.payload.rows, m.source], ['deepmad/hdf5', file, 3, 'data1.pcap']);
    await status.waitFor((s) => s.fill === 'green' && s.text === '3 rows → Normalized-data.h5');
    const f = await readPandasTable(file);
    assert.equal(f.columns.length, 55);
    assert.deepEqual(Array.from(f.columns[0].values as Uint8Array), [225, 30, 0]);
    assert.deepEqual(Array.from(f.columns[1].values as Uint8Array), [75, 225, 0]);
    if (!pySkip) {
      const r = execFileSync(py as string, ['-c', 'import sys, pandas as pd; d=pd.read_hdf(sys.argv[1], "data"); print(d.shape, d["Destination Port"].tolist(), str(d["Idle Min"].dtype), d["Idle Min"].isna().all())', file], { encoding: 'utf8' }).trim();
      assert.equal(r, '(3, 55) [225, 30, 0] float64 True');
    }
  });
});
