/**
 * Node-RED section: the benchmark capture through pcap in → flowmeter → normalize → hdf5 out inside
 * the Node-RED runtime (node-red-node-test-helper, in this process), next to the bare flow meter
 * (CaptureReader → Flowmeter) and the same pipeline as plain library calls. The nodes must keep at
 * least half of the bare flow meter's packets/s; the row notes say whether they do.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaptureReader } from '../lib/capture/reader.js';
import { Flowmeter } from '../lib/flow/flowmeter.js';
import { Hdf5RowWriter } from '../lib/hdf5/writer.js';
import { createNormalizer } from '../lib/normalize/normalizer.js';
import { fastFlowObjects } from '../nodes/flowmeter/flow-objects.js';
import type { BenchSection } from './harness.js';
import { measurePaired } from './harness.js';

interface HelperNode { receive(msg: object): void; on(ev: 'input', cb: (msg: Record<string, any>) => void): void; removeListener(ev: 'input', cb: (msg: Record<string, any>) => void): void }
interface TestHelper {
  init(nodeRedPath: string): void;
  load(fns: unknown[], flow: object[]): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): HelperNode;
}

const repoRoot = path.resolve(__dirname, '..', '..');

function nodeModule(name: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(path.join(repoRoot, 'dist', 'nodes', name, `${name}.js`));
  return mod && typeof mod === 'object' && 'default' in mod ? mod.default : mod;
}

export const nodesSection: BenchSection = {
  name: 'nodes',
  describe: 'pcap in → flowmeter → normalize → hdf5 out in Node-RED vs the bare flow meter',
  async run(ctx) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-bench-nodes-'));
    try {
      let flows = 0;
      const bare = await measurePaired(ctx.pcap, ctx.runs, async () => {
        let n = 0;
        flows = 0;
        const fm = new Flowmeter({ profile: 'improved', onFlows: (b) => { flows += b.count; } });
        for await (const b of new CaptureReader(ctx.pcap)) { fm.push(b); n += b.count; }
        fm.close();
        return n;
      });
      ctx.report({ section: 'nodes', name: 'bare flow meter (reader + Flowmeter)', ...bare, note: `${flows.toLocaleString('en-US')} flows` });

      const libFile = path.join(tmp, 'lib.h5');
      const lib = await measurePaired(ctx.pcap, ctx.runs, async () => {
        let n = 0;
        const norm = createNormalizer({ mode: 'online' });
        const w = await Hdf5RowWriter.create({ file: libFile, existing: 'overwrite' });
        const fm = new Flowmeter({ profile: 'improved', batchSize: 1000, onFlows: (b) => { w.append(norm.normalize(fastFlowObjects(b, fm.profile))); } });
        for await (const b of new CaptureReader(ctx.pcap)) { fm.push(b); n += b.count; }
        fm.close();
        w.close();
        return n;
      });
      ctx.report({ section: 'nodes', name: 'same pipeline as library calls', ...lib, note: `${(lib.ratio / bare.ratio).toFixed(2)} × bare meter` });

      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const helper: TestHelper = require('node-red-node-test-helper');
      helper.init(require.resolve('node-red'));
      const h5 = path.join(tmp, 'nodes.h5');
      await helper.load(['pcap-in', 'flowmeter', 'normalize', 'hdf5-out'].map(nodeModule), [
        { id: 't1', type: 'tab', label: 'bench' },
        { id: 'in', z: 't1', type: 'deepmad-pcap-in', wires: [['fm']] },
        { id: 'fm', z: 't1', type: 'deepmad-flowmeter', profile: 'improved', output: 'batch', batchFlows: 1000, batchMs: 1000, wires: [['norm']] },
        { id: 'norm', z: 't1', type: 'deepmad-normalize', mode: 'online', keepFlows: false, wires: [['h5']] },
        { id: 'h5', z: 't1', type: 'deepmad-hdf5-out', file: h5, existing: 'overwrite', closeOnEof: true, flushSeconds: 0, wires: [['out']] },
        { id: 'out', z: 't1', type: 'helper' },
      ]);
      // The helper wraps Node.prototype.send/status/… in sinon spies that keep every message ever
      // sent (fine for tests, a heavy GC load for a million packets); the runtime itself is the real
      // one, so put the original methods back to time Node-RED rather than sinon.
      const proto = (helper as unknown as { _NodePrototype?: Record<string, { wrappedMethod?: unknown }> })._NodePrototype;
      for (const m of ['log', 'status', 'warn', 'error', 'debug', 'trace', 'send']) {
        const wrapped = proto?.[m]?.wrappedMethod;
        if (proto && typeof wrapped === 'function') proto[m] = wrapped as { wrappedMethod?: unknown };
      }
      const log = (helper as unknown as { _log?: Record<string, { wrappedMethod?: unknown }> })._log;
      if (log && typeof log.log?.wrappedMethod === 'function') log.log = log.log.wrappedMethod as { wrappedMethod?: unknown };
      let rows = 0;
      try {
        const red = await measurePaired(ctx.pcap, ctx.runs, () => new Promise<number>((resolve, reject) => {
          const out = helper.getNode('out');
          const timer = setTimeout(() => reject(new Error('Node-RED pipeline did not finish within 10 minutes')), 600_000);
          const onMsg = (msg: Record<string, any>) => {
            if (msg.topic !== 'deepmad/hdf5') return;
            clearTimeout(timer);
            out.removeListener('input', onMsg);
            rows = msg.payload.rows;
            resolve(bare.packets); // the same capture: every packet went through the pipeline
          };
          out.on('input', onMsg);
          helper.getNode('in').receive({ filename: ctx.pcap });
        }));
        // Both rows are floor-normalised pairs, so their quotient is robust to load changes.
        const ratio = red.ratio / bare.ratio;
        ctx.report({
          section: 'nodes', name: 'Node-RED: pcap in → flowmeter → normalize → hdf5', ...red,
          note: `${rows.toLocaleString('en-US')} rows, ${ratio.toFixed(2)} × bare meter (${ratio >= 0.5 ? 'meets' : 'MISSES'} the ≥ 0.5 goal)`,
        });
      } finally {
        await helper.unload();
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  },
};
