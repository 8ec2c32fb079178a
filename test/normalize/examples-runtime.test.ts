/**
 * The flowmeter, normalize and hdf5 out example flows in a real headless Node-RED runtime (temporary
 * userDir, package linked in): they deploy without errors, and after pressing their inject buttons
 * the expected outputs appear — a CSV with one line per flow, a saved scaler, an HDF5 file whose rows
 * read back with their trace.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NodeRedRuntime, readExamples, repoRoot, type RuntimeWatch } from '../support/runtime.js';
import { loadScaler } from '../../lib/normalize/scaler.js';
import { readHdf5Rows } from '../../lib/hdf5/reader.js';

const examples = ['flowmeter - flows to a CSV file.json', 'normalize - learn a scaler and scale flows.json', 'hdf5 out - store normalized flows.json'];

describe('flowmeter / normalize / hdf5 out examples in a real runtime', () => {
  let rt: NodeRedRuntime;
  let watch: RuntimeWatch;
  before(async () => {
    rt = await NodeRedRuntime.start();
    await rt.deployClean(readExamples(...examples));
    watch = await rt.watch();
    await watch.opened;
  });
  after(async () => {
    watch?.close();
    await rt?.stop();
  });

  const debugWithTopic = (id: string, topic: string) => watch.until(() => watch.debugOf(id).find((d) => d.topic === topic), 30000, `${topic} at ${id}`);

  it('flowmeter example: 34 flows in deepmad/flows.csv and the summary in the sidebar', async () => {
    await rt.inject('dmx-fmcsv-inj');
    const sum = await debugWithTopic('dmx-fmcsv-sum', 'deepmad/eof');
    assert.equal(sum.value.flowsWritten, 34);
    assert.equal(sum.value.packets, 136);
    const csv = rt.file('deepmad/flows.csv');
    const lines = await watch.until(() => {
      const t = fs.existsSync(csv) ? fs.readFileSync(csv, 'utf8').trimEnd().split('\n') : [];
      return t.length === 35 ? t : undefined;
    }, 10000, 'CSV lines');
    assert.ok(lines[0].startsWith('Flow ID,Src IP,Src Port,Dst IP,Dst Port,Protocol,Timestamp,'));
  });

  it('normalize example: rows as objects, scaler saved to deepmad/scaler.json at the end of the capture', async () => {
    await rt.inject('dmx-norm-inj');
    await debugWithTopic('dmx-norm-dbg', 'deepmad/eof');
    const rows = watch.debugOf('dmx-norm-dbg').filter((d) => d.topic === 'deepmad/rows');
    assert.ok(rows.length >= 1);
    const s = loadScaler(rt.file('deepmad/scaler.json'));
    assert.equal(s.rows, 34);
    assert.ok(s.columns.includes('Dst Port') && s.columns.includes('Flow Duration'));
    assert.ok(!s.columns.some((c) => ['Flow ID', 'Src IP', 'Src Port', 'Dst IP', 'Timestamp', 'Label'].includes(c)));
  });

  it('hdf5 out example: the finished file is announced and holds 34 traceable rows', async () => {
    await rt.inject('dmx-h5-inj');
    const done = await debugWithTopic('dmx-h5-dbg', 'deepmad/hdf5');
    assert.equal(done.value.rows, 34);
    const file = rt.file('deepmad/flows.h5');
    assert.equal(done.value.file, file);
    const back = await readHdf5Rows(file);
    assert.equal(back.rows, 34);
    assert.equal(back.mode, 'online');
    assert.ok(back.trace.flowId.every((id) => /-\d+-\d+-\d+$/.test(id)));
    assert.equal(back.trace.srcIp.filter((ip) => ip.includes(':')).length, 3); // the capture's IPv6 flows
  });
});
