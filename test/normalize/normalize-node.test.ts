/**
 * deepmad-normalize and deepmad-hdf5-out under node-red-node-test-helper: exact rows out, status
 * texts, errors reaching a Catch node, eof pass-through, online scaler saved on close, rows buffered
 * in hdf5 out written on close (redeploy) and readable afterwards.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { catchNode, collect, errorCalls, helperNode, nextMessage, recordStatus, tab, useNodeRedHelper } from '../support/node-helper.js';
import { saveScaler, loadScaler } from '../../lib/normalize/scaler.js';
import { readHdf5Rows, hdf5Info } from '../../lib/hdf5/reader.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-nodes-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const flows = Array.from({ length: 6 }, (_, i) => ({
  'Flow ID': `10.0.0.1-10.0.0.2-${5000 + i}-80-6`, 'Src IP': '10.0.0.1', 'Src Port': 5000 + i, 'Dst IP': '10.0.0.2', 'Dst Port': 80,
  Protocol: 6, Timestamp: `2026-11-26 22:00:0${i}.0`, 'Flow Duration': i * 1000, 'Total Fwd Packet': i, Label: i === 5 ? 'DDoS' : 'BENIGN',
}));

describe('deepmad-normalize node', () => {
  const h = useNodeRedHelper();
  const scalerFile = path.join(tmp, 'scaler.json');
  saveScaler(scalerFile, {
    format: 'deepmad-scaler', version: 1, method: 'minmax', range: [0, 255], columns: ['Flow Duration', 'Total Fwd Packet'],
    min: [0, 0], max: [4000, 10], rows: 6,
  });

  it('scales flows with the scaler file and keeps trace, flows and other msg properties', async () => {
    await h.load(['normalize'], [tab(), { id: 'n1', z: 't1', type: 'deepmad-normalize', mode: 'scaler', scalerFile, wires: [['out']] }, helperNode('out')]);
    const n1 = h.getNode('n1');
    const status = recordStatus(n1);
    await status.waitFor((s) => s.text === 'scaler: 2 columns' && s.fill === 'yellow');
    const got = nextMessage(h.getNode('out'));
    n1.receive({ topic: 'deepmad/flows', payload: flows, source: 'x.pcap', profile: 'improved' });
    const m = await got;
    assert.equal(m.topic, 'deepmad/rows');
    assert.deepEqual([m.source, m.profile, m.columns], ['x.pcap', 'improved', ['Flow Duration', 'Total Fwd Packet']]);
    assert.deepEqual(Array.from(m.payload.data), [0, 0, 63, 25, 127, 51, 191, 76, 255, 102, 255, 127]);
    assert.deepEqual(m.payload.trace.label, ['BENIGN', 'BENIGN', 'BENIGN', 'BENIGN', 'BENIGN', 'DDoS']);
    assert.equal(m.payload.trace.srcPort[2], 5002);
    assert.equal(m.flows, flows);
    await status.waitFor((s) => s.text === '6 rows, 2 cols' && s.fill === 'green' && s.shape === 'dot');
  });

  it('outputs plain objects when asked, one flow object in gives one row', async () => {
    await h.load(['normalize'], [tab(), { id: 'n1', z: 't1', type: 'deepmad-normalize', mode: 'scaler', scalerFile, output: 'objects', keepFlows: false, wires: [['out']] }, helperNode('out')]);
    const got = nextMessage(h.getNode('out'));
    h.getNode('n1').receive({ payload: flows[2] });
    const m = await got;
    assert.deepEqual(m.payload, [{ 'Flow Duration': 127, 'Total Fwd Packet': 51 }]);
    assert.equal(m.flows, undefined);
  });

  it('reports bad input and a missing scaler file to a Catch node with a red status', async () => {
    await h.load(['normalize'], [
      tab(),
      { id: 'n1', z: 't1', type: 'deepmad-normalize', mode: 'scaler', scalerFile: path.join(tmp, 'absent.json'), wires: [['out']] },
      { id: 'n2', z: 't1', type: 'deepmad-normalize', mode: 'scaler', scalerFile, wires: [['out']] },
      helperNode('out'), catchNode('c1', 'caught'), helperNode('caught'),
    ]);
    const s1 = recordStatus(h.getNode('n1'));
    await s1.waitFor((s) => s.fill === 'red' && s.shape === 'ring' && /^cannot read scaler file/.test(s.text ?? ''));
    const caught = collect(h.getNode('caught'), (_m, all) => all.length === 2);
    h.getNode('n1').receive({ payload: flows });
    h.getNode('n2').receive({ payload: 'not a flow' });
    const [a, b] = await caught;
    assert.match(a.error.message, /cannot read scaler file .*absent\.json: ENOENT/);
    assert.equal(a.error.source.id, 'n1');
    assert.match(b.error.message, /msg\.payload must be a flow object or an array of flow objects/);
    assert.equal(b.error.source.id, 'n2');
    assert.ok(errorCalls(h.getNode('n1')).length >= 2); // at deploy and per message
  });

  it('online mode passes eof through, saves the learned scaler on eof and on close', async () => {
    const learned = path.join(tmp, 'learned.json');
    await h.load(['normalize'], [tab(), { id: 'n1', z: 't1', type: 'deepmad-normalize', mode: 'online', scalerFile: learned, saveEvery: 0, wires: [['out']] }, helperNode('out')]);
    const n1 = h.getNode('n1');
    const out = collect(h.getNode('out'), (m) => m.topic === 'deepmad/eof');
    n1.receive({ topic: 'deepmad/flows', payload: flows.slice(0, 3) });
    n1.receive({ topic: 'deepmad/eof', payload: { packets: 9 } });
    const msgs = await out;
    assert.deepEqual(msgs.map((m) => m.topic), ['deepmad/rows', 'deepmad/eof']);
    assert.deepEqual(msgs[1].payload, { packets: 9 });
    const s = loadScaler(learned);
    assert.deepEqual([s.columns, s.min, s.max, s.rows], [['Dst Port', 'Protocol', 'Flow Duration', 'Total Fwd Packet'], [80, 6, 0, 0], [80, 6, 2000, 2], 3]);
    n1.receive({ topic: 'deepmad/flows', payload: flows.slice(3) });
    await nextMessage(h.getNode('out'));
    await h.helper.unload(); // close saves
    assert.deepEqual(loadScaler(learned).max, [80, 6, 5000, 5]);
  });
});

describe('deepmad-hdf5-out node', () => {
  const h = useNodeRedHelper();
  const scalerFile = path.join(tmp, 'scaler2.json');
  saveScaler(scalerFile, {
    format: 'deepmad-scaler', version: 1, method: 'minmax', range: [0, 255], columns: ['Flow Duration', 'Total Fwd Packet'],
    min: [0, 0], max: [5000, 5], rows: 6,
  });

  it('normalize → hdf5 out: buffered rows reach the file on eof and on close, with trace and labels', async () => {
    const file = path.join(tmp, 'h5', 'rows.h5');
    await h.load(['normalize', 'hdf5-out'], [
      tab(),
      { id: 'n1', z: 't1', type: 'deepmad-normalize', mode: 'scaler', scalerFile, wires: [['w']] },
      { id: 'w', z: 't1', type: 'deepmad-hdf5-out', file, blockRows: 4096, flushSeconds: 0, closeOnEof: true, wires: [['out']] },
      helperNode('out'),
    ]);
    const w = h.getNode('w');
    const status = recordStatus(w);
    const done = nextMessage(h.getNode('out'));
    h.getNode('n1').receive({ topic: 'deepmad/flows', payload: flows, source: 'cap.pcap' });
    h.getNode('n1').receive({ topic: 'deepmad/eof', payload: {}, source: 'cap.pcap' });
    const m = await done;
    assert.deepEqual([m.topic, m.filename, m.payload.rows, m.source], ['deepmad/hdf5', file, 6, 'cap.pcap']);
    await status.waitFor((s) => s.text === '6 rows → rows.h5' && s.fill === 'green');
    const back = await readHdf5Rows(file);
    assert.deepEqual(Array.from(back.data), [0, 0, 51, 51, 102, 102, 153, 153, 204, 204, 255, 255]);
    assert.deepEqual(back.trace.label, ['BENIGN', 'BENIGN', 'BENIGN', 'BENIGN', 'BENIGN', 'DDoS']);
    assert.equal(back.trace.flowId[4], '10.0.0.1-10.0.0.2-5004-80-6');
    // More rows after the file was closed reopen it and append; closing the flow (redeploy) writes them.
    h.getNode('n1').receive({ topic: 'deepmad/flows', payload: flows.slice(0, 2) });
    await status.waitFor((s) => s.text === '8 rows → rows.h5');
    await h.helper.unload();
    assert.equal((await hdf5Info(file)).rows, 8);
  });

  it('sends a Catch-able error for input that is not a row batch, and for a missing file setting', async () => {
    await h.load(['hdf5-out'], [
      tab(),
      { id: 'w', z: 't1', type: 'deepmad-hdf5-out', file: path.join(tmp, 'x.h5'), wires: [[]] },
      { id: 'w2', z: 't1', type: 'deepmad-hdf5-out', file: '', wires: [[]] },
      catchNode('c1', 'caught'), helperNode('caught'),
    ]);
    await recordStatus(h.getNode('w2')).waitFor((s) => s.fill === 'red' && s.text === 'no output file configured');
    const caught = collect(h.getNode('caught'), (_m, all) => all.length === 2);
    h.getNode('w').receive({ payload: flows });
    h.getNode('w2').receive({ payload: flows });
    const errs = (await caught).map((m) => [m.error.source.id, m.error.message]);
    errs.sort();
    assert.match(errs[0][1], /msg\.payload is not a row batch/);
    assert.match(errs[1][1], /no output file configured/);
    assert.equal(fs.existsSync(path.join(tmp, 'x.h5')), false); // nothing written, no empty file left
  });
});
