// deepmad-pcap-in under node-red-node-test-helper, on real captures.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { catchNode, collect, helperNode, recordStatus, repoRoot, tab, useNodeRedHelper, type Msg } from '../support/node-helper.js';

// examples/data/wikipedia.pcap = zeek testing/btest/Traces/wikipedia.pcap (BSD-3, see examples/data/README.md).
// Reference values from tshark/capinfos 4.0.17: 136 frames, 121 IPv4, 5 IPv6, 25260 captured bytes.
const WIKI = path.join(repoRoot, 'examples', 'data', 'wikipedia.pcap');
const CORRUPT = path.join(repoRoot, 'test', 'fixtures', 'capture', 'suricata_fuzz_corrupt-record-length.pcap');

function packets(msgs: Msg[]): number {
  return msgs.filter((m) => m.topic === 'deepmad/packets').reduce((n, m) => n + m.payload.count, 0);
}

describe('deepmad-pcap-in', () => {
  const h = useNodeRedHelper();
  const flow = (extra: Record<string, unknown> = {}) => [
    tab(),
    { id: 'in', z: 't1', type: 'deepmad-pcap-in', batchSize: 50, speed: 0, ...extra, wires: [['out']] },
    helperNode('out'),
    catchNode('c', 'caught'),
    helperNode('caught'),
  ];

  it('reads msg.filename into 50-packet batches, then one end-of-file message with exact counts', async () => {
    await h.load(['pcap-in'], flow());
    const status = recordStatus(h.getNode('in'));
    const got = collect(h.getNode('out'), (m) => m.topic === 'deepmad/eof');
    h.getNode('in').receive({ filename: WIKI });
    const msgs = await got;
    assert.deepEqual(msgs.map((m) => [m.topic, m.topic === 'deepmad/packets' ? m.payload.count : null]), [
      ['deepmad/packets', 50], ['deepmad/packets', 50], ['deepmad/packets', 36], ['deepmad/eof', null],
    ]);
    for (const m of msgs) {
      assert.equal(m.source, WIKI);
      assert.equal(m.live, false);
    }
    const first = msgs[0].payload;
    assert.equal(first.tsUs[0], 1300475167096535);
    const eof = msgs[3].payload;
    assert.equal(eof.packets, 136);
    assert.equal(eof.ipv4Packets, 121);
    assert.equal(eof.ipv6Packets, 5);
    assert.equal(eof.bytes, 25260);
    assert.equal(eof.firstTsUs, 1300475167096535);
    assert.equal(eof.lastTsUs, 1300475173475401);
    assert.equal(eof.format, 'pcap');
    assert.equal(eof.complete, true);
    assert.equal(eof.sentPackets, 136);
    const done = await status.waitFor((s) => s.text === 'done: 136 pkts');
    assert.deepEqual(done, { fill: 'green', shape: 'dot', text: 'done: 136 pkts' });
    assert.ok(status.history.some((s) => s.text === 'reading wikipedia.pcap' && s.fill === 'blue'));
  });

  it('reads its configured file on deploy', async () => {
    await h.load(['pcap-in'], flow({ filename: WIKI, readOnDeploy: true, batchSize: 4096 }));
    const msgs = await collect(h.getNode('out'), (m) => m.topic === 'deepmad/eof');
    assert.equal(msgs.length, 2);
    assert.equal(packets(msgs), 136);
  });

  it('queues files and reads them in order, each followed by its end-of-file message', async () => {
    await h.load(['pcap-in'], flow({ batchSize: 4096 }));
    let eofs = 0;
    const got = collect(h.getNode('out'), (m) => m.topic === 'deepmad/eof' && ++eofs === 2);
    h.getNode('in').receive({ payload: WIKI });
    h.getNode('in').receive({ topic: 'deepmad/file', payload: WIKI, filename: CORRUPT });
    const msgs = await got;
    assert.deepEqual(msgs.map((m) => [m.topic, m.source, m.payload.count ?? m.payload.packets]), [
      ['deepmad/packets', WIKI, 136], ['deepmad/eof', WIKI, 136],
      ['deepmad/packets', CORRUPT, 1], ['deepmad/eof', CORRUPT, 1],
    ]);
  });

  it('a damaged file: good packets, end-of-file (complete false, the reason), then a Catch-able error', async () => {
    await h.load(['pcap-in'], flow());
    const status = recordStatus(h.getNode('in'));
    const out = collect(h.getNode('out'), (m) => m.topic === 'deepmad/eof');
    const caught = collect(h.getNode('caught'), () => true);
    h.getNode('in').receive({ filename: CORRUPT });
    const msgs = await out;
    assert.equal(packets(msgs), 1);
    const eof = msgs.at(-1)!.payload;
    assert.equal(eof.complete, false);
    assert.match(eof.errors[0], /at byte 228: packet record claims 1409179648 captured bytes/);
    const [c] = await caught;
    assert.match(c.error.message, /at byte 228: packet record claims 1409179648 captured bytes, more than the maximum 262144/);
    assert.equal(c.error.source.id, 'in');
    await status.waitFor((s) => s.text === 'error after 1 pkts' && s.fill === 'red');
  });

  it('a missing file or no file at all reaches the Catch node with the reason', async () => {
    await h.load(['pcap-in'], flow());
    const caught = collect(h.getNode('caught'), (_m, all) => all.length === 2);
    h.getNode('in').receive({ filename: '/nonexistent/x.pcap' });
    h.getNode('in').receive({ payload: 42 });
    const msgs = await caught;
    const texts = msgs.map((m) => m.error.message).sort();
    assert.deepEqual(texts, [
      "Error: cannot open capture '/nonexistent/x.pcap': no such file",
      "Error: deepmad-pcap-in: no file: set msg.filename (or a string msg.payload) or the node's File",
    ]);
  });

  it('paced replay keeps every packet in timestamp order, sent in several time slices', async () => {
    // 6.38 s of capture at speed 20 → about 0.32 s of replay.
    await h.load(['pcap-in'], flow({ speed: 20, batchSize: 4096 }));
    const got = collect(h.getNode('out'), (m) => m.topic === 'deepmad/eof');
    h.getNode('in').receive({ filename: WIKI });
    const msgs = await got;
    const batches = msgs.filter((m) => m.topic === 'deepmad/packets').map((m) => m.payload);
    assert.ok(batches.length > 3, `expected several slices, got ${batches.length}`);
    const ts: number[] = [];
    for (const b of batches) for (let i = 0; i < b.count; i++) ts.push(b.tsUs[i]);
    assert.equal(ts.length, 136);
    assert.equal(ts[0], 1300475167096535);
    assert.equal(ts[135], 1300475173475401);
    for (let i = 1; i < ts.length; i++) assert.ok(ts[i] >= ts[i - 1], `packet ${i} out of order`);
  });
  it('"stop" during a paced replay ends the file early: eof with complete false, yellow ring', async () => {
    await h.load(['pcap-in'], flow({ speed: 1, batchSize: 4096 }));
    const status = recordStatus(h.getNode('in'));
    let stopped = false;
    const got = collect(h.getNode('out'), (m) => {
      if (m.topic === 'deepmad/packets' && !stopped) { stopped = true; h.getNode('in').receive({ payload: 'stop' }); }
      return m.topic === 'deepmad/eof';
    });
    h.getNode('in').receive({ filename: WIKI });
    const msgs = await got;
    const eof = msgs.at(-1)!.payload;
    assert.equal(eof.complete, false);
    assert.ok(packets(msgs) < 136, `stopped early: ${packets(msgs)} sent`);
    assert.equal(eof.sentPackets, packets(msgs));
    assert.deepEqual(eof.warnings, ['stopped by msg.payload "stop"']);
    await status.waitFor((s) => /^stopped: \d+ pkts$/.test(s.text ?? '') && s.fill === 'yellow' && s.shape === 'ring');
  });
});
