// deepmad-dumpcap under node-red-node-test-helper: set-up errors (always) and live capture on lo
// (root / capture rights only; skipped with the reason otherwise).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { catchNode, collect, errorCalls, helperNode, recordStatus, tab, useNodeRedHelper, type Msg } from '../support/node-helper.js';
import { assertLoopbackHttpFlows, countTcp, dumpcapSkipReason, makeRequests, startHttpServer, type LoopbackServer } from '../support/traffic.js';
import { cmdline, descendantsOf, isAlive } from '../support/runtime.js';

const liveSkip = dumpcapSkipReason();
const REQUESTS = 5;

/** A stand-in dumpcap (a shell script run by spawn, no shell in our code) that lists interfaces and then fails like an unprivileged dumpcap. */
function fakeDumpcap(dir: string): string {
  const p = path.join(dir, 'dumpcap');
  fs.writeFileSync(p, [
    '#!/bin/sh',
    'if [ "$1" = "-D" ]; then printf \'1. eth9\\t\\t\\t0\\t\\tnetwork\\t\\n2. lo\\t\\tLoopback\\t0\\t127.0.0.1\\tloopback\\t\\n\'; exit 0; fi',
    'echo "Capturing on \'eth9\'" >&2',
    'echo "dumpcap: You don\'t have permission to capture on that device (socket: Operation not permitted)" >&2',
    'exit 1',
    '',
  ].join('\n'), { mode: 0o755 });
  return p;
}

describe('deepmad-dumpcap', () => {
  const h = useNodeRedHelper();
  let tmp: string;
  before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-dumpcap-')); });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const flow = (cfg: Record<string, unknown>) => [
    tab(),
    { id: 'dc', z: 't1', type: 'deepmad-dumpcap', iface: 'lo', mode: 'stream', autoStart: true, ...cfg, wires: [['out']] },
    helperNode('out'),
    catchNode('c', 'caught'),
    helperNode('caught'),
  ];

  it('missing dumpcap: red status and a Catch-able error that says how to install it', async () => {
    await h.load(['dumpcap'], flow({ dumpcapPath: path.join(tmp, 'no-such-dumpcap') }));
    const status = recordStatus(h.getNode('dc'));
    // This failure is found before any process runs, i.e. during load, before a listener could be
    // attached to the Catch output: read it from the node.error spy (msg given = Catch-able).
    await status.waitFor((s) => s.text === 'dumpcap not installed' && s.fill === 'red' && s.shape === 'ring');
    const [[err, msg]] = errorCalls(h.getNode('dc'));
    assert.match(String(err), /dumpcap not found at .*no-such-dumpcap\. Install Wireshark's dumpcap: on Debian\/Ubuntu\/Raspberry Pi OS run "sudo apt-get install tshark"/);
    assert.equal(typeof msg, 'object');
    assert.deepEqual(msg!.error, { code: 'DUMPCAP_MISSING' });
  });

  it('no capture permission: red status and the wireshark-group recipe', async () => {
    await h.load(['dumpcap'], flow({ dumpcapPath: fakeDumpcap(tmp), iface: 'eth9' }));
    const status = recordStatus(h.getNode('dc'));
    const [c] = await collect(h.getNode('caught'), () => true);
    assert.match(c.error.message, /dumpcap may not capture on "eth9"\. Allow non-root capture: run "sudo dpkg-reconfigure wireshark-common" and answer Yes .* then "sudo usermod -aG wireshark \S+" and restart Node-RED/);
    await status.waitFor((s) => s.text === 'no capture permission' && s.fill === 'red');
  });

  it('dumpcap not executable by this user (EACCES): the same recipe', async () => {
    const p = path.join(tmp, 'dumpcap-noexec');
    fs.writeFileSync(p, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    await h.load(['dumpcap'], flow({ dumpcapPath: p }));
    const [c] = await collect(h.getNode('caught'), () => true);
    // `dumpcap -D` runs first, so the EACCES comes from the interface check.
    assert.match(c.error.message, /this user may not run .*dumpcap-noexec \(permission denied\)\. Allow non-root capture/);
  });

  it('an interface dumpcap -D does not list is refused, naming the ones it does', async () => {
    await h.load(['dumpcap'], flow({ dumpcapPath: fakeDumpcap(tmp), iface: 'wlan7' }));
    const [c] = await collect(h.getNode('caught'), () => true);
    assert.equal(c.error.message, 'CaptureSetupError: dumpcap cannot capture on "wlan7". Pick one of: eth9, lo');
  });

  it('bad options and bad commands are reported, not thrown', async () => {
    await h.load(['dumpcap'], flow({ dumpcapPath: fakeDumpcap(tmp), autoStart: false, snaplen: 'lots' }));
    const status = recordStatus(h.getNode('dc'));
    assert.deepEqual(status.history[0], { fill: 'yellow', shape: 'ring', text: 'idle: send "start"' });
    const caught = collect(h.getNode('caught'), (_m, all) => all.length === 2);
    h.getNode('dc').receive({ payload: 'begin' });
    h.getNode('dc').receive({ payload: 'start' });
    const texts = (await caught).map((m) => m.error.message).sort();
    assert.deepEqual(texts, [
      'CaptureSetupError: snaplen must be a whole number ≥ 0 (got "lots")',
      'Error: deepmad-dumpcap: msg.payload must be "start" or "stop" (got "begin")',
    ]);
  });

  it('GET /deepmad/dumpcap/interfaces lists what dumpcap -D lists', async () => {
    await h.load(['dumpcap'], flow({ dumpcapPath: fakeDumpcap(tmp), autoStart: false }));
    const res = await h.request().get('/deepmad/dumpcap/interfaces').query({ dumpcap: fakeDumpcap(tmp) }).expect(200);
    assert.deepEqual(res.body.interfaces, [
      { index: 1, name: 'eth9', description: '', addresses: [], kind: 'network' },
      { index: 2, name: 'lo', description: 'Loopback', addresses: ['127.0.0.1'], kind: 'loopback' },
    ]);
    const missing = await h.request().get('/deepmad/dumpcap/interfaces').query({ dumpcap: '/nonexistent/dumpcap' }).expect(200);
    assert.equal(missing.body.dumpcap, null);
    assert.match(missing.body.error, /dumpcap not found at \/nonexistent\/dumpcap/);
    const other = await h.request().get('/deepmad/dumpcap/interfaces').query({ dumpcap: '/bin/sh' }).expect(200);
    assert.deepEqual(other.body, { dumpcap: null, interfaces: [], error: '/bin/sh is not a dumpcap executable (the file must be named dumpcap)' });
  });

  describe('live on lo', { skip: liveSkip && `skipped: ${liveSkip}` }, () => {
    let server: LoopbackServer;
    before(async () => { server = await startHttpServer(); });
    after(() => server.close());

    it(`stream mode: ${REQUESTS} HTTP requests become exactly ${REQUESTS} client SYNs, then an eof with dumpcap's counters`, async () => {
      await h.load(['dumpcap'], flow({ filter: `tcp port ${server.port}`, batchSize: 64 }));
      const dc = h.getNode('dc');
      const status = recordStatus(dc);
      await status.waitFor((s) => s.fill === 'green' && s.text === 'lo: 0 pkts');
      const kids = descendantsOf(process.pid).filter((pid) => /dumpcap$/.test(cmdline(pid)[0] ?? ''));
      assert.equal(kids.length, 1, 'one dumpcap runs as a child process');
      assert.deepEqual(cmdline(kids[0]).slice(1), ['-q', '-i', 'lo', '-f', `tcp port ${server.port}`, '-w', '-']);
      const batches: Msg[] = [];
      const seenAll = collect(h.getNode('out'), (m) => {
        if (m.topic === 'deepmad/packets') batches.push(m.payload);
        return countTcp(batches, server.port).serverFin === REQUESTS;
      });
      const bodies = await makeRequests(server.port, REQUESTS);
      assert.equal(bodies.length, REQUESTS);
      await seenAll;
      const eofP = collect(h.getNode('out'), (m) => {
        if (m.topic === 'deepmad/packets') batches.push(m.payload);
        return m.topic === 'deepmad/eof';
      });
      dc.receive({ payload: 'stop' });
      const eof = (await eofP).at(-1)!;
      const counts = countTcp(batches, server.port);
      assert.equal(counts.clientSyn, REQUESTS);
      assert.equal(counts.serverSynAck, REQUESTS);
      assert.equal(counts.serverFin, REQUESTS);
      assert.equal(eof.source, 'iface:lo');
      assert.equal(eof.live, true);
      assert.equal(eof.payload.packets, counts.total, 'the filter let only this server\'s packets through');
      assert.equal(eof.payload.received, counts.total);
      assert.equal(eof.payload.dropped, 0);
      assert.equal(eof.payload.format, 'pcapng');
      await status.waitFor((s) => s.text === `stopped: ${counts.total} pkts` && s.fill === 'yellow');
      for (const pid of kids) assert.equal(isAlive(pid), false, `dumpcap ${pid} exited`);
      for (const m of batches) assert.equal(m.linkTypes[0], 1, 'lo is Ethernet-framed');
    });

    it('files mode: each completed file is announced once; the files hold all the packets', async () => {
      const dir = path.join(tmp, 'caps');
      await h.load(['dumpcap'], flow({ mode: 'files', outputDir: dir, filePrefix: 'lo', ringFilesize: 1, filter: `tcp port ${server.port}` }));
      const status = recordStatus(h.getNode('dc'));
      await status.waitFor((s) => s.fill === 'green');
      const files: string[] = [];
      h.getNode('out').on('input', (m: Msg) => files.push(m.filename));
      await makeRequests(server.port, REQUESTS);
      await new Promise((r) => setTimeout(r, 300)); // let dumpcap write the last packets before the stop
      h.getNode('dc').receive({ payload: 'stop' });
      await status.waitFor((s) => /^stopped: \d+ files?$/.test(s.text ?? ''));
      const onDisk = fs.readdirSync(dir).filter((f) => /^lo_\d{5}_\d{14}\.pcapng$/.test(f)).map((f) => path.join(dir, f)).sort();
      assert.ok(onDisk.length >= 2, `1 kB files should rotate; got ${onDisk.length}`);
      assert.deepEqual([...files].sort(), onDisk);
      const { readCaptureFileSync } = await import('../../lib/capture/reader.js');
      const batches: Msg[] = [];
      for (const f of onDisk) readCaptureFileSync(f, { onBatch: (b) => batches.push(b as unknown as Msg) });
      const counts = countTcp(batches, server.port);
      assert.equal(counts.clientSyn, REQUESTS);
      assert.equal(counts.serverFin, REQUESTS);
    });

    it('stream mode under load: every packet dumpcap captured reaches the flow as a batch (20 000 UDP datagrams)', async () => {
      const dgram = await import('node:dgram');
      const sink = dgram.createSocket('udp4');
      await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
      const port = (sink.address() as { port: number }).port;
      await h.load(['dumpcap'], flow({ filter: `udp port ${port}`, batchSize: 1024 }));
      const dc = h.getNode('dc');
      const status = recordStatus(dc);
      await status.waitFor((s) => s.fill === 'green');
      let received = 0;
      sink.on('message', () => { received++; });
      const out = collect(h.getNode('out'), (m) => m.topic === 'deepmad/eof', 60000);
      const tx = dgram.createSocket('udp4');
      const payload = Buffer.alloc(64);
      const N = 20000;
      for (let i = 0; i < N; i += 500) {
        await Promise.all(Array.from({ length: Math.min(500, N - i) }, () => new Promise<void>((r) => tx.send(payload, port, '127.0.0.1', () => r()))));
      }
      tx.close();
      await new Promise((r) => setTimeout(r, 500));
      dc.receive({ payload: 'stop' });
      const msgs = await out;
      sink.close();
      const eof = msgs.at(-1)!.payload;
      const inBatches = msgs.filter((m) => m.topic === 'deepmad/packets').reduce((n, m) => n + m.payload.count, 0);
      assert.equal(inBatches, eof.packets);
      // What dumpcap says it received is what we parsed (all N), unless packets were dropped before dumpcap wrote them.
      if (eof.dropped === 0) {
        assert.equal(eof.packets, eof.received);
        assert.equal(eof.packets, N);
      } else {
        assert.ok(eof.packets <= eof.received, `${eof.packets} parsed, ${eof.received} received, ${eof.dropped} dropped`);
      }
      assert.ok(received > 0);
      assert.ok(msgs.filter((m) => m.topic === 'deepmad/packets').every((m) => m.payload.count <= 1024));
    });

    it(`capture → flowmeter: the ${REQUESTS} HTTP connections become exactly ${REQUESTS} flows client → server`, async () => {
      await h.load(['dumpcap', 'flowmeter'], [
        tab(),
        { id: 'dc', z: 't1', type: 'deepmad-dumpcap', iface: 'lo', mode: 'stream', autoStart: true, filter: `tcp port ${server.port}`, wires: [['fm']] },
        { id: 'fm', z: 't1', type: 'deepmad-flowmeter', profile: 'improved', output: 'batch', batchFlows: 1000, batchMs: 1000, flushOnEof: true, wires: [['out']] },
        helperNode('out'),
      ]);
      const status = recordStatus(h.getNode('dc'));
      await status.waitFor((s) => s.fill === 'green');
      await makeRequests(server.port, REQUESTS);
      await new Promise((r) => setTimeout(r, 300)); // let the last packets reach the capture
      const got = collect(h.getNode('out'), (m) => m.topic === 'deepmad/eof', 20000);
      h.getNode('dc').receive({ payload: 'stop' });
      const flows = (await got).filter((m) => m.topic === 'deepmad/flows').flatMap((m) => (Array.isArray(m.payload) ? m.payload : [m.payload]));
      assertLoopbackHttpFlows(flows, server.port, REQUESTS);
    });
  });
});
