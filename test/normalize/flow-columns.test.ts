/**
 * The columnar flow batch (lib/normalize/flow-columns.ts) holds exactly the cells of lib/flow's flow
 * objects, for every registered profile on real captures, and normalizes to exactly the rows and
 * trace the objects give (every mode), including batches split across builder boundaries.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CaptureReader } from '../../lib/capture/reader.js';
import type { FlowBatch } from '../../lib/flow/flow-batch.js';
import { Flowmeter } from '../../lib/flow/flowmeter.js';
import { toObjects } from '../../lib/flow/output.js';
import { getProfile, profileNames } from '../../lib/flow/profiles/index.js';
import {
  FlowColumnsBuilder, flowColumnsFromBatch, flowColumnsFromObjects, flowColumnsToObjects, isFlowColumns, type FlowColumns,
} from '../../lib/normalize/flow-columns.js';
import { createNormalizer, normalizeAny } from '../../lib/normalize/normalizer.js';
import { identOf } from '../../lib/normalize/flow-columns.js';
import { Hdf5RowWriter } from '../../lib/hdf5/writer.js';
import { readHdf5Rows } from '../../lib/hdf5/reader.js';
import { repoRoot } from '../support/node-helper.js';

const captures = ['flowmeter/zeek_wikipedia.pcap', 'flowmeter/nfstream_google_ssl.pcap', 'capture/zeek_communityid_icmp6.pcap']
  .map((f) => path.join(repoRoot, 'test', 'fixtures', f));

async function meter(profile: string, batchSize: number): Promise<FlowBatch[]> {
  const batches: FlowBatch[] = [];
  const fm = new Flowmeter({ profile, batchSize, onFlows: (b) => batches.push(b) });
  for (const c of captures) for await (const b of new CaptureReader(c)) fm.push(b);
  fm.close();
  return batches;
}

describe('FlowColumns', () => {
  for (const name of profileNames()) {
    it(`holds the same cells as toObjects for profile ${name}`, async () => {
      const p = getProfile(name);
      const batches = await meter(name, 7);
      let n = 0;
      for (const b of batches) {
        const fc = flowColumnsFromBatch(b, p, true);
        assert.ok(isFlowColumns(fc));
        assert.equal(fc.rows, b.count);
        const objs = toObjects(b, p, { includeEndReason: true });
        const back = flowColumnsToObjects(fc);
        assert.deepStrictEqual(back, objs);
        assert.deepStrictEqual(back.map((o) => Object.keys(o)), objs.map((o) => Object.keys(o)));
        assert.deepStrictEqual(flowColumnsToObjects(flowColumnsFromBatch(b, p)), toObjects(b, p));
        n += b.count;
      }
      assert.ok(n > 0, 'no flows');
    });
  }

  it('improved profile: numeric matrix, text columns and exact cells of a known flow', async () => {
    const p = getProfile('improved');
    const [b] = await meter('improved', 100000);
    const fc = flowColumnsFromBatch(b, p);
    assert.deepEqual(Object.keys(fc.text).sort(), Object.keys(toObjects(b, p)[0]).filter((k) => typeof toObjects(b, p)[0][k] === 'string').sort());
    assert.ok(['Flow ID', 'Src IP', 'Dst IP', 'Timestamp'].every((k) => k in fc.text));
    assert.ok(fc.columns.includes('Flow Duration') && fc.columns.includes('Dst Port') && !fc.columns.includes('Src IP'));
    assert.equal(fc.values.length, fc.rows * fc.columns.length);
    const objs = toObjects(b, p);
    const r = Math.floor(fc.rows / 2);
    const c = fc.columns.indexOf('Total Fwd Packet') >= 0 ? 'Total Fwd Packet' : fc.columns[5];
    assert.equal(fc.values[r * fc.columns.length + fc.columns.indexOf(c)], objs[r][c]);
    assert.equal(fc.text['Flow ID'][r], objs[r]['Flow ID']);
    // Identity columns are built on first read; JSON (the debug sidebar) and copies see plain arrays.
    const fresh = flowColumnsFromBatch(b, p);
    assert.ok(isFlowColumns(fresh));
    const json = JSON.parse(JSON.stringify(fresh.text)) as Record<string, string[]>;
    assert.deepEqual(json['Src IP'], objs.map((o) => o['Src IP']));
    assert.deepEqual({ ...flowColumnsFromBatch(b, p).text }.Timestamp, objs.map((o) => o.Timestamp));
  });

  it('a builder splits batches at its capacity and keeps every row in order', async () => {
    const p = getProfile('improved');
    const batches = await meter('improved', 7);
    const all = batches.flatMap((b) => toObjects(b, p));
    const builder = new FlowColumnsBuilder(p, 5);
    const out: FlowColumns[] = [];
    for (const b of batches) {
      for (let r = 0; r < b.count;) {
        r = builder.append(b, r);
        if (builder.full) out.push(builder.take());
      }
    }
    if (builder.count > 0) out.push(builder.take());
    assert.ok(out.slice(0, -1).every((x) => x.rows === 5 && x.values.length === 5 * x.columns.length));
    assert.deepStrictEqual(out.flatMap(flowColumnsToObjects), all);
  });

  for (const mode of ['online', 'batch']) {
    it(`normalizes (${mode}) to the same rows and trace as the flow objects`, async () => {
      const p = getProfile('improved');
      const batches = await meter('improved', 50);
      const viaObjects = createNormalizer({ mode });
      const viaColumns = createNormalizer({ mode });
      let rows = 0;
      for (const b of batches) {
        const a = viaObjects.normalize(toObjects(b, p));
        const c = normalizeAny(viaColumns, flowColumnsFromBatch(b, p));
        assert.deepStrictEqual(c, a);
        rows += c.rows;
      }
      assert.ok(rows > 0);
      // Same learned ranges (the scalers differ only in their creation time).
      assert.deepStrictEqual({ ...viaColumns.scaler(), created: '' }, { ...viaObjects.scaler(), created: '' });
    });
  }

  it('scaler mode reads scaler columns by name from a columnar batch, objects converted back agree', async () => {
    const p = getProfile('cic-ids2017');
    const [b] = await meter('cic-ids2017', 100000);
    const objs = toObjects(b, p);
    const fit = createNormalizer({ mode: 'online' });
    fit.normalize(objs);
    const scaler = fit.scaler()!;
    const file = path.join(os.tmpdir(), `deepmad-fc-${process.pid}.json`);
    fs.writeFileSync(file, JSON.stringify({ ...scaler, columns: [...scaler.columns].reverse(), min: [...scaler.min].reverse(), max: [...scaler.max].reverse() }));
    try {
      const n = createNormalizer({ mode: 'scaler', scalerFile: file });
      const fromCols = normalizeAny(n, flowColumnsFromBatch(b, p));
      assert.deepStrictEqual(fromCols, n.normalize(objs));
      assert.deepStrictEqual(normalizeAny(n, flowColumnsFromObjects(objs, p.name)), fromCols);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it('profiles whose flow id is not src-dst-sport-dport-proto (cic-ids2017 orders the ends) keep string cells', async () => {
    const [b] = await meter('cic-ids2017', 100000);
    assert.equal(identOf(flowColumnsFromBatch(b, getProfile('cic-ids2017'))), undefined);
    assert.ok(identOf(flowColumnsFromBatch((await meter('improved', 100000))[0], getProfile('improved'))));
  });

  // improved: ISO timestamps printed from the numbers; cicflowmeter-4: its own timestamp formatter.
  for (const name of ['improved', 'cicflowmeter-4']) {
    it(`hdf5 trace cells printed from the numbers equal the strings (${name}, IPv4 + IPv6, mixed blocks)`, async () => {
      const p = getProfile(name);
      const batches = await meter(name, 9);
      const norm = createNormalizer({ mode: 'online' });
      const file = path.join(os.tmpdir(), `deepmad-fc-${process.pid}-${name}.h5`);
      const w = await Hdf5RowWriter.create({ file, existing: 'overwrite', blockRows: 64 });
      const want = { flowId: [] as string[], srcIp: [] as string[], dstIp: [] as string[], timestamp: [] as string[] };
      try {
        batches.forEach((b, k) => {
          const rows = normalizeAny(norm, flowColumnsFromBatch(b, p));
          assert.ok(identOf(rows.trace), 'the trace carries the numeric identity');
          // Every third batch loses it (as a cloned message would): blocks mix both kinds of rows.
          const batch = k % 3 === 2 ? { ...rows, trace: { ...rows.trace } } : rows;
          assert.equal(!!identOf(batch.trace), k % 3 !== 2);
          w.append(batch);
          for (const o of toObjects(b, p)) {
            want.flowId.push(String(o['Flow ID'])); want.srcIp.push(String(o['Src IP'])); want.dstIp.push(String(o['Dst IP'])); want.timestamp.push(String(o.Timestamp));
          }
        });
        w.close();
        const back = await readHdf5Rows(file);
        assert.ok(want.srcIp.some((a) => a.includes(':')) && want.srcIp.some((a) => a.includes('.')), 'IPv6 and IPv4 flows');
        assert.deepStrictEqual([back.trace.flowId, back.trace.srcIp, back.trace.dstIp, back.trace.timestamp], [want.flowId, want.srcIp, want.dstIp, want.timestamp]);
      } finally {
        fs.rmSync(file, { force: true });
      }
    });
  }
});
