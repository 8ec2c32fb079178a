/**
 * deepmad-flowmeter under node-red-node-test-helper with real captures through deepmad-pcap-in:
 * exact flow counts and feature values (the corrected CICFlowMeter's reference row for
 * google_ssl.pcap), arrays vs one message per flow, IPv4-only, CSV output, eof ordering, status
 * texts, errors reaching a Catch node, open flows written on close.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { catchNode, collect, helperNode, nextMessage, recordStatus, repoRoot, tab, useNodeRedHelper, type Msg } from '../support/node-helper.js';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'flowmeter');
const googleSsl = path.join(fixtures, 'nfstream_google_ssl.pcap'); // 28 packets, one TLS flow
const wikipedia = path.join(fixtures, 'zeek_wikipedia.pcap'); // 136 packets, 34 flows (31 IPv4)
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-flowmeter-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function pipeline(fm: Record<string, unknown>) {
  return [
    tab(),
    { id: 'in', z: 't1', type: 'deepmad-pcap-in', wires: [['fm']] },
    { id: 'fm', z: 't1', type: 'deepmad-flowmeter', ...fm, wires: [['out']] },
    helperNode('out'),
    catchNode('c1', 'caught'), helperNode('caught'),
  ];
}

const untilEof = (m: Msg) => m.topic === 'deepmad/eof';

describe('deepmad-flowmeter node', () => {
  const h = useNodeRedHelper();

  it('meters google_ssl.pcap into the reference flow and passes eof on after it', async () => {
    await h.load(['pcap-in', 'flowmeter'], pipeline({ profile: 'improved' }));
    const status = recordStatus(h.getNode('fm'));
    await status.waitFor((s) => s.text === 'improved: waiting' && s.fill === 'yellow');
    const msgs = collect(h.getNode('out'), untilEof);
    h.getNode('in').receive({ filename: googleSsl });
    const all = await msgs;
    assert.deepEqual(all.map((m) => m.topic), ['deepmad/flows', 'deepmad/eof']);
    const [flows, eof] = all;
    assert.deepEqual([flows.profile, flows.source, flows.live, flows.payload.length], ['improved', googleSsl, false, 1]);
    const f = flows.payload[0];
    // Values from ../shared/reference/cicflowmeter-java-engelen/nfstream_google_ssl.csv
    assert.deepEqual(
      [f['Flow ID'], f['Src IP'], f['Src Port'], f['Dst IP'], f['Dst Port'], f.Protocol, f.Timestamp],
      ['172.31.3.224-216.58.212.100-42835-443-6', '172.31.3.224', 42835, '216.58.212.100', 443, 6, '2015-06-16 08:29:54.683939'],
    );
    assert.deepEqual(
      [f['Flow Duration'], f['Total Fwd Packet'], f['Total Bwd packets'], f['Total Length of Fwd Packet'], f['Total Length of Bwd Packet'],
        f['Flow IAT Max'], f['FIN Flag Count'], f['ACK Flag Count'], f['FWD Init Win Bytes'], f['Bwd Init Win Bytes'], f['Idle Max']],
      [6669871, 16, 12, 644, 6924, 994991, 2, 27, 5840, 42900, 0],
    );
    assert.ok(Math.abs(f['Flow IAT Mean'] - 247032.25925925927) < 1e-6);
    assert.ok(Math.abs(f['Flow Bytes/s'] - 1134.6546282529303) < 1e-9);
    assert.ok(Math.abs(f['Packet Length Std'] - 500.70504788103045) < 1e-9);
    assert.equal(eof.flowSummary.packets, 28);
    assert.equal(eof.flowSummary.flowsWritten, 1);
    assert.equal(eof.flowSummary.openFlows, 0);
    await status.waitFor((s) => s.text === '1 flows, 0 open' || /pkt\/s, 0 open$/.test(s.text ?? ''));
  });

  it('sends arrays of N flows, one message per flow, and IPv4-only counts as the reference', async () => {
    await h.load(['pcap-in', 'flowmeter'], [
      ...pipeline({ profile: 'improved', output: 'batch', batchFlows: 10, batchMs: 60000 }),
      { id: 'in2', z: 't1', type: 'deepmad-pcap-in', wires: [['fm2']] },
      { id: 'fm2', z: 't1', type: 'deepmad-flowmeter', profile: 'improved', output: 'flow', ipv4Only: true, endReason: true, wires: [['out2']] },
      helperNode('out2'),
    ]);
    const a = collect(h.getNode('out'), untilEof);
    const b = collect(h.getNode('out2'), untilEof);
    h.getNode('in').receive({ filename: wikipedia });
    h.getNode('in2').receive({ filename: wikipedia });
    const batches = (await a).filter((m) => m.topic === 'deepmad/flows');
    assert.deepEqual(batches.map((m) => m.payload.length), [10, 10, 10, 4]);
    const single = (await b).filter((m) => m.topic === 'deepmad/flows');
    assert.equal(single.length, 31); // ../shared/reference/cicflowmeter-java-engelen/zeek_wikipedia.csv has 31 rows
    assert.ok(single.every((m) => !Array.isArray(m.payload) && typeof m.payload['Flow ID'] === 'string' && !m.payload['Src IP'].includes(':')));
    const ends = new Map<string, number>();
    for (const m of single) ends.set(m.payload['Flow End'], (ends.get(m.payload['Flow End']) ?? 0) + 1);
    assert.equal([...ends.values()].reduce((x, y) => x + y, 0), 31);
    assert.ok(ends.has('eof'));
  });

  it('format columns: batches of N flows as FlowColumns with the objects\' cells; normalize gives the same rows as from objects', async () => {
    await h.load(['pcap-in', 'flowmeter', 'normalize'], [
      ...pipeline({ profile: 'improved', output: 'batch', format: 'columns', batchFlows: 10, batchMs: 60000, endReason: true }),
      { id: 'in2', z: 't1', type: 'deepmad-pcap-in', wires: [['fm2']] },
      { id: 'fm2', z: 't1', type: 'deepmad-flowmeter', profile: 'improved', output: 'batch', batchFlows: 10, batchMs: 60000, endReason: true, wires: [['out2']] },
      helperNode('out2'),
      { id: 'in3', z: 't1', type: 'deepmad-pcap-in', wires: [['fm3']] },
      { id: 'fm3', z: 't1', type: 'deepmad-flowmeter', profile: 'improved', output: 'batch', format: 'columns', batchFlows: 10, batchMs: 60000, wires: [['n3']] },
      { id: 'n3', z: 't1', type: 'deepmad-normalize', mode: 'batch', keepFlows: false, wires: [['out3']] }, helperNode('out3'),
      { id: 'in4', z: 't1', type: 'deepmad-pcap-in', wires: [['fm4']] },
      { id: 'fm4', z: 't1', type: 'deepmad-flowmeter', profile: 'improved', output: 'batch', batchFlows: 10, batchMs: 60000, wires: [['n4']] },
      { id: 'n4', z: 't1', type: 'deepmad-normalize', mode: 'batch', keepFlows: false, wires: [['out4']] }, helperNode('out4'),
    ]);
    const got = [h.getNode('out'), h.getNode('out2'), h.getNode('out3'), h.getNode('out4')].map((n) => collect(n, untilEof));
    for (const id of ['in', 'in2', 'in3', 'in4']) h.getNode(id).receive({ filename: wikipedia });
    const [cols, objs, rowsCols, rowsObjs] = (await Promise.all(got)).map((a) => a.filter((m) => m.topic !== 'deepmad/eof'));
    assert.deepEqual(cols.map((m) => [m.topic, m.profile, m.payload.format, m.payload.rows]),
      [10, 10, 10, 4].map((n) => ['deepmad/flows', 'improved', 'deepmad/flow-columns', n]));
    const { flowColumnsToObjects } = await import('../../lib/normalize/flow-columns.js');
    assert.deepStrictEqual(cols.flatMap((m) => flowColumnsToObjects(m.payload)), objs.flatMap((m) => m.payload));
    const first = cols[0].payload;
    assert.ok(first.values instanceof Float64Array && first.values.length === 10 * first.columns.length);
    assert.equal(first.text['Flow ID'][0], objs[0].payload[0]['Flow ID']);
    assert.equal(first.values[first.columns.indexOf('Flow Duration')], objs[0].payload[0]['Flow Duration']);
    assert.deepEqual(rowsCols.map((m) => m.topic), ['deepmad/rows', 'deepmad/rows', 'deepmad/rows', 'deepmad/rows']);
    assert.deepStrictEqual(rowsCols.map((m) => [m.columns, Array.from(m.payload.data), m.payload.trace]), rowsObjs.map((m) => [m.columns, Array.from(m.payload.data), m.payload.trace]));
  });

  it('writes the CSV file with the profile header, and open flows on close (redeploy)', async () => {
    const csvFile = path.join(tmp, 'csv', 'flows.csv');
    await h.load(['pcap-in', 'flowmeter'], pipeline({ profile: 'improved', csvFile, flushOnEof: false }));
    const eof = nextMessage(h.getNode('out'), untilEof);
    h.getNode('in').receive({ filename: wikipedia });
    const m = await eof;
    assert.equal(m.flowSummary.flowsWritten < 34, true); // no flush at eof: some flows still open
    await h.helper.unload(); // close writes the rest
    const lines = fs.readFileSync(csvFile, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 1 + 34);
    assert.ok(lines[0].startsWith('Flow ID,Src IP,Src Port,Dst IP,Dst Port,Protocol,Timestamp,Flow Duration,Total Fwd Packet,'));
    assert.equal(lines.filter((l) => l.startsWith('141.142.220.118-208.80.152.2-35642-80-6,')).length, 1);
  });

  it('live input (msg.live): the idle sweeper writes silent flows without an end of capture', async () => {
    await h.load(['flowmeter'], [tab(), { id: 'fm', z: 't1', type: 'deepmad-flowmeter', profile: 'improved', idleTimeout: 1, batchMs: 0, wires: [['out']] }, helperNode('out')]);
    const { CaptureReader } = await import('../../lib/capture/reader.js');
    const got = nextMessage(h.getNode('out'));
    // 2015 packets are long silent on the wall clock: the first sweep (about 1 s) writes the flow.
    for await (const b of new CaptureReader(googleSsl)) h.getNode('fm').receive({ topic: 'deepmad/packets', payload: b, live: true, source: 'iface:test' });
    const m = await got;
    assert.deepEqual([m.topic, m.live, m.source, m.payload.length, m.payload[0]['Total Fwd Packet']], ['deepmad/flows', true, 'iface:test', 1, 16]);
  });

  it('reports bad input and bad settings to a Catch node with a red status', async () => {
    await h.load(['flowmeter'], [
      tab(),
      { id: 'fm', z: 't1', type: 'deepmad-flowmeter', profile: 'improved', wires: [['out']] },
      { id: 'bad', z: 't1', type: 'deepmad-flowmeter', profile: 'no-such-profile', wires: [['out']] },
      { id: 'neg', z: 't1', type: 'deepmad-flowmeter', profile: 'improved', flowTimeout: -1, wires: [['out']] },
      helperNode('out'), catchNode('c1', 'caught'), helperNode('caught'),
    ]);
    await recordStatus(h.getNode('bad')).waitFor((s) => s.fill === 'red' && /^unknown flow profile 'no-such-profile'/.test(s.text ?? ''));
    await recordStatus(h.getNode('neg')).waitFor((s) => s.fill === 'red' && /flowTimeout must be a number/.test(s.text ?? ''));
    const caught = collect(h.getNode('caught'), (_m, all) => all.length === 3);
    h.getNode('fm').receive({ topic: 'deepmad/packets', payload: [1, 2, 3] });
    h.getNode('bad').receive({ topic: 'deepmad/packets', payload: {} });
    h.getNode('neg').receive({ topic: 'deepmad/packets', payload: {} });
    const byNode = new Map((await caught).map((m) => [m.error.source.id, m.error.message]));
    assert.match(byNode.get('fm') ?? '', /msg\.payload is not a packet batch/);
    assert.match(byNode.get('bad') ?? '', /unknown flow profile 'no-such-profile' \(known: improved, /);
    assert.match(byNode.get('neg') ?? '', /flowTimeout must be a number ≥ 0/);
  });
});
