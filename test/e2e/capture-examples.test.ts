// The capture/reader example flows in a real headless Node-RED runtime (our package linked into a
// temporary userDir), deployed unchanged over the admin API and driven like a user would: inject
// buttons, loopback traffic for the live ones. Outputs are read where a user sees them: the Debug
// sidebar feed (/comms), node statuses, the CSV and HDF5 files written.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NodeRedRuntime, readExamples, cmdline, isAlive, packageName, type FlowNode, type RuntimeWatch } from '../support/runtime.js';
import { capSkipReason, dumpcapSkipReason, makeRequests, startHttpServer, type LoopbackServer } from '../support/traffic.js';

const dumpcapSkip = dumpcapSkipReason();
const capSkip = capSkipReason();
const REQUESTS = 5;

const example = (name: string): FlowNode[] => readExamples(`${name}.json`);
const arrays = (w: RuntimeWatch, id: string) => w.debugOf(id).filter((d) => Array.isArray(d.value)).flatMap((d) => d.value);

describe('capture examples in a real Node-RED runtime', () => {
  let rt: NodeRedRuntime;
  let w: RuntimeWatch;
  let server: LoopbackServer;
  before(async () => {
    rt = await NodeRedRuntime.start();
    w = await rt.watch();
    server = await startHttpServer();
  });
  after(async () => {
    w?.close();
    await server?.close();
    if (rt) assert.equal(await rt.stop(), 0);
  });


  it('our node sets load without error', async () => {
    const ours = (await rt.nodeSets()).filter((s) => s.module === packageName);
    const byType = new Map(ours.flatMap((s) => s.types.map((t) => [t, s] as const)));
    for (const t of ['deepmad-dumpcap', 'deepmad-pcap-capture', 'deepmad-pcap-in']) {
      const s = byType.get(t);
      assert.ok(s, `${t} registered`);
      assert.equal(s.err, undefined);
      assert.equal(s.enabled, true);
    }
    const ex = await rt.request('GET', `/library/examples/flows/${packageName}`);
    const names = JSON.stringify(ex.body);
    for (const n of ['pcap in - read a capture file', 'dumpcap capture - live packets', 'libpcap capture - live packets']) assert.ok(names.includes(n), `${n} listed under Import › Examples`);
  });

  it('"pcap in - read a capture file": 136 packets in one batch, then the counts', async () => {
    await rt.deployClean(example('pcap in - read a capture file'));
    await rt.inject('dmx-pcapin-inj');
    const eof = await w.until(() => w.debugOf('dmx-pcapin-eof')[0], 15000, 'end-of-file debug message');
    assert.equal(eof.value.packets, 136);
    assert.equal(eof.value.ipv4Packets, 121);
    assert.equal(eof.value.ipv6Packets, 5);
    assert.equal(eof.value.complete, true);
    assert.ok(eof.value.source.endsWith(path.join('node_modules', packageName, 'examples', 'data', 'wikipedia.pcap')));
    // the first debug node shows payload.count of every message: the batch, then the eof (no count)
    assert.deepEqual(w.debugOf('dmx-pcapin-batches').map((d) => d.value), [136, '(undefined)']);
    assert.deepEqual(w.statusOf('dmx-pcapin-in'), { text: 'done: 136 pkts', fill: 'green', shape: 'dot' });
  });

  it('"pcap in to flowmeter": 34 flows = tshark\'s 10 TCP + 24 UDP conversations', async () => {
    await rt.deployClean(example('pcap in to flowmeter - flows in the debug sidebar'));
    await rt.inject('dmx-pcapflows-inj');
    await w.until(() => w.debugOf('dmx-pcapflows-flows').some((d) => d.value?.packets === 136), 15000, 'eof after the flows');
    const flows = arrays(w, 'dmx-pcapflows-flows');
    assert.equal(flows.length, 34);
    assert.equal(flows.filter((f) => f.Protocol === 6).length, 10);
    assert.equal(flows.filter((f) => f.Protocol === 17).length, 24);
    const http = flows.find((f) => f['Src Port'] === 49996);
    assert.equal(http['Dst IP'], '208.80.152.3');
    assert.equal(http['Dst Port'], 80);
  });

  it('a capture node that cannot start leaves the runtime running', async () => {
    await rt.deploy([
      { id: 'tbad', type: 'tab', label: 'bad' },
      { id: 'bad-dc', z: 'tbad', type: 'deepmad-dumpcap', iface: 'lo', mode: 'stream', autoStart: true, dumpcapPath: '/nonexistent/dumpcap', wires: [[]] },
    ]);
    await w.until(() => w.statusOf('bad-dc')?.text === 'dumpcap not installed', 10000, 'red status');
    await rt.waitForLog(/\[error\] \[deepmad-dumpcap:bad-dc\] CaptureSetupError: dumpcap not found at \/nonexistent\/dumpcap\. Install Wireshark's dumpcap/);
    const state = await rt.request('GET', '/flows/state');
    assert.equal(state.body.state, 'start');
  });

  describe('live examples on lo', { skip: dumpcapSkip && `skipped: ${dumpcapSkip}` }, () => {
    /** Presses start on a live example, makes REQUESTS HTTP requests over lo, presses stop. */
    async function startTrafficStop(prefix: string, nodeId: string): Promise<void> {
      await rt.inject(`${prefix}-start`);
      await w.until(() => w.statusOf(nodeId)?.fill === 'green', 10000, `${nodeId} capturing`);
      await makeRequests(server.port, REQUESTS);
      await new Promise((r) => setTimeout(r, 300)); // let the last packets reach the capture before stopping
      await rt.inject(`${prefix}-stop`);
    }

    it('"dumpcap capture - live packets": start/stop; eof counts what was captured; no dumpcap left', async () => {
      await rt.deployClean(example('dumpcap capture - live packets'));
      // the status arrives over the editor websocket shortly after deploy: wait for it, then check it exactly
      const idle = await w.until(() => w.statusOf('dmx-dumpcap-dc'), 10000, 'dumpcap idle status');
      assert.deepEqual(idle, { text: 'idle: send "start"', fill: 'yellow', shape: 'ring' });
      await startTrafficStop('dmx-dumpcap', 'dmx-dumpcap-dc');
      const eof = await w.until(() => w.debugOf('dmx-dumpcap-eof')[0], 15000, 'capture stopped message');
      // lo also carries the editor's own websocket traffic, so at least our 5 connections × ≥ 7 packets
      assert.ok(eof.value.packets >= REQUESTS * 7, `packets ${eof.value.packets}`);
      assert.equal(eof.value.received, eof.value.packets);
      assert.equal(eof.value.source, 'iface:lo');
      const sum = w.debugOf('dmx-dumpcap-batches').map((d) => d.value).filter((v) => typeof v === 'number').reduce((a, b) => a + b, 0);
      assert.equal(sum, eof.value.packets);
      assert.equal(rt.descendants().filter((p) => /dumpcap$/.test(cmdline(p)[0] ?? '')).length, 0);
    });

    it('redeploying a running dumpcap capture stops its process (no orphan)', async () => {
      const flow = example('dumpcap capture - live packets').map((n) => (n.id === 'dmx-dumpcap-dc' ? { ...n, autoStart: true } : n));
      await rt.deployClean(flow);
      const pid = await rt.waitFor(() => rt.descendants().find((p) => /dumpcap$/.test(cmdline(p)[0] ?? '')), 10000, 'dumpcap child');
      await rt.deployClean(example('pcap in - read a capture file'));
      assert.equal(isAlive(pid), false, `dumpcap ${pid} still running after redeploy`);
    });

    it('"dumpcap to flowmeter - live flows to CSV": one CSV row per HTTP connection', async () => {
      const csv = rt.file('deepmad', 'flows.csv');
      await rt.deployClean(example('dumpcap to flowmeter - live flows to CSV'));
      await startTrafficStop('dmx-livecsv', 'dmx-livecsv-dc');
      await w.until(() => w.debugOf('dmx-livecsv-count').some((d) => d.value?.topic === undefined && typeof d.value?.packets === 'number'), 15000, 'eof through the flow meter');
      // The CSV is written through a file stream: the rows land shortly after the message passes.
      const ourRows = () => {
        const lines = fs.existsSync(csv) ? fs.readFileSync(csv, 'utf8').trim().split('\n') : [''];
        const header = lines[0].split(',').map((h) => h.trim());
        const dst = header.indexOf('Dst Port');
        const src = header.indexOf('Src Port');
        if (dst < 0 || src < 0) return [];
        return lines.slice(1).map((l) => l.split(',')).filter((c) => Number(c[dst]) === server.port || Number(c[src]) === server.port);
      };
      await rt.waitFor(() => ourRows().length >= REQUESTS, 10000, `${REQUESTS} rows in ${csv}`).catch(() => undefined);
      assert.equal(ourRows().length, REQUESTS);
    });

    it('"dumpcap ring buffer to HDF5": capture file → pcap in → flows → normalize → HDF5 rows traced to our connections', async () => {
      // Only our server's packets: unfiltered, lo also carries whatever else runs here (other tests,
      // browsers), which could fill more than one 600 kB file and split flows across files.
      const flow = example('dumpcap ring buffer to HDF5 - the prototype pipeline').map((n) => (n.id === 'dmx-ring-dc' ? { ...n, filter: `tcp port ${server.port}` } : n));
      await rt.deployClean(flow);
      await startTrafficStop('dmx-ring', 'dmx-ring-dc');
      await w.until(() => /^done: \d+ pkts$/.test(w.statusOf('dmx-ring-in')?.text ?? ''), 15000, 'pcap in read the capture file');
      await w.until(() => /rows →/.test(w.statusOf('dmx-ring-h5')?.text ?? ''), 15000, 'rows reached hdf5 out');
      const files = fs.readdirSync(rt.file('deepmad', 'captures'));
      assert.equal(files.length, 1);
      assert.match(files[0], /^data_00001_\d{14}\.pcapng$/);
      // A redeploy closes hdf5 out, which flushes its buffered rows.
      await rt.deployClean([{ id: 'tempty', type: 'tab', label: 'empty' }]);
      const { readHdf5Rows } = await import('../../lib/hdf5/reader.js');
      const rows = await readHdf5Rows(rt.file('deepmad', 'flows.h5'));
      let ours = 0;
      for (let i = 0; i < rows.rows; i++) if (rows.trace.dstPort[i] === server.port || rows.trace.srcPort[i] === server.port) ours++;
      assert.equal(ours, REQUESTS);
      assert.ok(rows.columns.length > 40, `${rows.columns.length} feature columns`);
      assert.equal(rows.data.length, rows.rows * rows.columns.length);
    });

    it('"libpcap capture - live packets": start/stop; eof counts what was captured', { skip: capSkip && `skipped: ${capSkip}` }, async () => {
      await rt.deployClean(example('libpcap capture - live packets'));
      await startTrafficStop('dmx-libpcap', 'dmx-libpcap-pc');
      const eof = await w.until(() => w.debugOf('dmx-libpcap-eof')[0], 15000, 'capture stopped message');
      assert.ok(eof.value.packets >= REQUESTS * 7, `packets ${eof.value.packets}`);
      assert.equal(eof.value.received, eof.value.packets);
      const sum = w.debugOf('dmx-libpcap-batches').map((d) => d.value).filter((v) => typeof v === 'number').reduce((a, b) => a + b, 0);
      assert.equal(sum, eof.value.packets);
    });
  });
});
