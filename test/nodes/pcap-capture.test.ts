// deepmad-pcap-capture (libpcap through `cap`) under node-red-node-test-helper.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import Module from 'node:module';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { after, before, describe, it } from 'node:test';
import { catchNode, collect, errorCalls, helperNode, recordStatus, tab, useNodeRedHelper, type Msg } from '../support/node-helper.js';
import { assertLoopbackHttpFlows, capSkipReason, countTcp, makeRequests, startHttpServer, type LoopbackServer } from '../support/traffic.js';

const liveSkip = capSkipReason();
const REQUESTS = 5;

/** A full garbage collection in this process (the moment cap 0.2.1 handles used to segfault). */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

describe('deepmad-pcap-capture', () => {
  const h = useNodeRedHelper();
  const flow = (cfg: Record<string, unknown>) => [
    tab(),
    { id: 'pc', z: 't1', type: 'deepmad-pcap-capture', iface: 'lo', autoStart: true, ...cfg, wires: [['out']] },
    helperNode('out'),
    catchNode('c', 'caught'),
    helperNode('caught'),
  ];

  it('without the cap module: red status and an error saying how to build it (this test hides cap)', async () => {
    // Make `require('cap')` fail the way it does when the optional dependency did not build.
    const M = Module as unknown as { _resolveFilename: (req: string, ...rest: unknown[]) => string };
    const real = M._resolveFilename;
    M._resolveFilename = function (req: string, ...rest: unknown[]) {
      if (req === 'cap') throw Object.assign(new Error("Cannot find module 'cap'"), { code: 'MODULE_NOT_FOUND' });
      return real.call(this, req, ...rest);
    };
    try {
      await h.load(['pcap-capture'], flow({}));
      const status = recordStatus(h.getNode('pc'));
      await status.waitFor((s) => s.text === 'cap module missing' && s.fill === 'red');
      const [[err, msg]] = errorCalls(h.getNode('pc'));
      assert.match(String(err), /libpcap capture is unavailable: the "cap" module could not be loaded\. The optional "cap" module .* "sudo apt-get install libpcap-dev build-essential python3", then reinstall this package/);
      assert.deepEqual(msg!.error, { code: 'CAP_MISSING' });
      const res = await h.request().get('/deepmad/pcap-capture/interfaces').expect(200);
      assert.equal(res.body.available, false);
      assert.match(res.body.error, /libpcap-dev build-essential/);
    } finally {
      M._resolveFilename = real;
    }
  });

  describe('live on lo', { skip: liveSkip && `skipped: ${liveSkip}` }, () => {
    let server: LoopbackServer;
    before(async () => { server = await startHttpServer(); });
    after(() => server.close());

    it('lists interfaces through the admin endpoint', async () => {
      await h.load(['pcap-capture'], flow({ autoStart: false }));
      const res = await h.request().get('/deepmad/pcap-capture/interfaces').expect(200);
      assert.equal(res.body.available, true);
      const lo = res.body.interfaces.find((i: { name: string }) => i.name === 'lo');
      assert.deepEqual(lo, { name: 'lo', description: '', addresses: ['127.0.0.1', '::1'], loopback: true });
    });

    it(`${REQUESTS} HTTP requests become exactly ${REQUESTS} client SYNs; stop sends the eof with counts`, async () => {
      await h.load(['pcap-capture'], flow({ filter: `tcp port ${server.port}`, batchSize: 16 }));
      const pc = h.getNode('pc');
      const status = recordStatus(pc);
      await status.waitFor((s) => s.fill === 'green' && s.text === 'lo: 0 pkts');
      const batches: Msg[] = [];
      const seenAll = collect(h.getNode('out'), (m) => {
        if (m.topic === 'deepmad/packets') batches.push(m.payload);
        return countTcp(batches, server.port).serverFin === REQUESTS;
      });
      await makeRequests(server.port, REQUESTS);
      await seenAll;
      const eofP = collect(h.getNode('out'), (m) => {
        if (m.topic === 'deepmad/packets') batches.push(m.payload);
        return m.topic === 'deepmad/eof';
      });
      pc.receive({ payload: 'stop' });
      const eof = (await eofP).at(-1)!;
      const counts = countTcp(batches, server.port);
      assert.equal(counts.clientSyn, REQUESTS);
      assert.equal(counts.serverSynAck, REQUESTS);
      assert.equal(counts.serverFin, REQUESTS);
      assert.equal(eof.source, 'iface:lo');
      assert.equal(eof.payload.received, counts.total);
      assert.equal(eof.payload.packets, counts.total);
      assert.equal(eof.payload.ipv4Packets, counts.total);
      assert.equal(eof.payload.dropped, 0);
      assert.equal(eof.payload.complete, true);
      assert.equal(eof.payload.interfaces[0].linkTypeName, 'ETHERNET');
      for (const b of batches) assert.ok(b.count <= 16);
      await status.waitFor((s) => s.text === `stopped: ${counts.total} pkts`);
    });

    it('a bad filter or interface is reported with the fix', async () => {
      await h.load(['pcap-capture'], flow({ filter: 'tcp port (', iface: 'lo' }));
      const status = recordStatus(h.getNode('pc'));
      await status.waitFor((s) => s.text === 'bad capture filter');
      assert.match(String(errorCalls(h.getNode('pc'))[0][0]), /invalid capture filter: .*syntax error/);
      await h.helper.unload();
      await h.load(['pcap-capture'], flow({ iface: 'nosuch0' }));
      const st2 = recordStatus(h.getNode('pc'));
      await st2.waitFor((s) => s.text === 'no such interface' && s.fill === 'red');
      assert.equal(String(errorCalls(h.getNode('pc'))[0][0]), 'CaptureSetupError: there is no interface "nosuch0". Pick an interface from the list in the edit dialog');
    });

    it(`capture → flowmeter: the ${REQUESTS} HTTP connections become exactly ${REQUESTS} flows client → server`, async () => {
      await h.load(['pcap-capture', 'flowmeter'], [
        tab(),
        { id: 'pc', z: 't1', type: 'deepmad-pcap-capture', iface: 'lo', mode: 'stream', autoStart: true, filter: `tcp port ${server.port}`, wires: [['fm']] },
        { id: 'fm', z: 't1', type: 'deepmad-flowmeter', profile: 'improved', output: 'batch', batchFlows: 1000, batchMs: 1000, flushOnEof: true, wires: [['out']] },
        helperNode('out'),
      ]);
      const status = recordStatus(h.getNode('pc'));
      await status.waitFor((s) => s.fill === 'green');
      await makeRequests(server.port, REQUESTS);
      await new Promise((r) => setTimeout(r, 300)); // let the last packets reach the capture
      const got = collect(h.getNode('out'), (m) => m.topic === 'deepmad/eof', 20000);
      h.getNode('pc').receive({ payload: 'stop' });
      const flows = (await got).filter((m) => m.topic === 'deepmad/flows').flatMap((m) => (Array.isArray(m.payload) ? m.payload : [m.payload]));
      assertLoopbackHttpFlows(flows, server.port, REQUESTS);
    });

    it('redeploys with a bad filter, a missing interface and a live capture under traffic, then a GC: no crash', async () => {
      // The helper loads the built nodes (dist/), which have their own copy of the capture module.
      const built = require(path.resolve(__dirname, '../../dist/lib/capture/live-libpcap.js')) as typeof import('../../lib/capture/live-libpcap.js');
      const pollHandles = () => (process.report.getReport() as unknown as { libuv: Array<{ type: string }> }).libuv.filter((x) => x.type === 'poll').length;
      const retainedBefore = built.retainedHandleCount();
      const pollBefore = pollHandles();
      for (let i = 0; i < 3; i++) {
        await h.load(['pcap-capture'], flow({ filter: 'tcp port (' }));
        await recordStatus(h.getNode('pc')).waitFor((s) => s.text === 'bad capture filter');
        await h.helper.unload();
        await h.load(['pcap-capture'], flow({ iface: 'nosuch0' }));
        await recordStatus(h.getNode('pc')).waitFor((s) => s.text === 'no such interface');
        await h.helper.unload();
        await h.load(['pcap-capture'], flow({ filter: `tcp port ${server.port}`, batchSize: 4 }));
        await recordStatus(h.getNode('pc')).waitFor((s) => s.fill === 'green');
        const traffic = makeRequests(server.port, 2);
        await h.helper.unload(); // redeploy while the requests are still on the wire
        await traffic;
      }
      collectGarbage();
      collectGarbage();
      // Bad filters are rejected by the child-process probe before any handle exists here.
      assert.equal(built.retainedHandleCount() - retainedBefore, 6, 'all 6 handles (3 failed opens, 3 closed) stay reachable');
      assert.equal(pollHandles() - pollBefore, 3, 'the 3 closed handles are still valid entries in the event loop (a handle walk survives)');
    });

    it('a child process churning captures (failed opens, close in the packet callback, close under load, GC, handle walk) exits normally', () => {
      const cycles = 5;
      const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(__dirname, 'pcap-capture-churn.ts'), String(cycles)], {
        cwd: path.resolve(__dirname, '../..'), encoding: 'utf8', timeout: 60000,
      });
      assert.equal(r.signal, null, `the child died with ${r.signal} (${r.stderr})`);
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.deepEqual(out.errors, Array.from({ length: cycles }, () => ['BAD_FILTER', 'NO_SUCH_INTERFACE']).flat());
      assert.deepEqual(out.received, Array(2 * cycles).fill(10), 'closed from inside the callback after exactly 10 datagrams');
      assert.deepEqual(out.closedUnderLoad, Array(cycles).fill(1));
      assert.equal(out.retained, 3 * cycles, 'every handle, failed or closed, stays reachable (bad filters never reach this process)');
      assert.equal(out.leakedPacketSockets, 0, 'no packet socket left open by a bad filter');
      assert.equal(out.pollHandles, 2 * cycles, 'the closed handles are still valid entries in the loop');
    });
  });
});
