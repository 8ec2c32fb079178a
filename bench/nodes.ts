/**
 * Node-RED section: the benchmark capture through pcap in → flowmeter → normalize → hdf5 out inside
 * the Node-RED runtime (node-red-node-test-helper, in this process), next to the bare flow meter
 * (CaptureReader → Flowmeter) and the same pipeline as plain library calls. The pipeline passes
 * columnar flow batches (flowmeter "format: columns", lib/normalize/flow-columns.ts); the default
 * flow-object form is measured too, for reference. The nodes must keep at
 * least half of the bare flow meter's packets/s; the row notes say whether they do.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaptureReader } from '../lib/capture/reader.js';
import { Flowmeter } from '../lib/flow/flowmeter.js';
import { Hdf5RowWriter } from '../lib/hdf5/writer.js';
import { createNormalizer } from '../lib/normalize/normalizer.js';
import { FlowColumnsBuilder } from '../lib/normalize/flow-columns.js';
import type { BenchContext, BenchSection } from './harness.js';
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
        const fm: Flowmeter = new Flowmeter({ profile: 'improved', onFlows: (b) => { flows += b.count; fm.release(b); } });
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
        let cols: FlowColumnsBuilder | null = null;
        const fm: Flowmeter = new Flowmeter({
          profile: 'improved', batchSize: 1000,
          onFlows: (b) => {
            cols ??= new FlowColumnsBuilder(fm.profile, 1000);
            for (let r = 0; r < b.count;) {
              r = cols.append(b, r);
              if (cols.full) w.append(norm.normalizeColumns!(cols.take()));
            }
            fm.release(b);
          },
        });
        for await (const b of new CaptureReader(ctx.pcap)) { fm.push(b); n += b.count; }
        fm.close();
        if (cols && (cols as FlowColumnsBuilder).count > 0) w.append(norm.normalizeColumns!((cols as FlowColumnsBuilder).take()));
        w.close();
        return n;
      });
      ctx.report({ section: 'nodes', name: 'same pipeline as library calls (flow columns)', ...lib, note: `${(lib.ratio / bare.ratio).toFixed(2)} × bare meter` });

      const h5 = path.join(tmp, 'nodes.h5');
      const meterOnly = await runInNodeRed(ctx, ['pcap-in', 'flowmeter'], [
        { id: 'in', z: 't1', type: 'deepmad-pcap-in', wires: [['fm']] },
        { id: 'fm', z: 't1', type: 'deepmad-flowmeter', profile: 'improved', output: 'batch', format: 'columns', batchFlows: 1000, batchMs: 1000, wires: [['out']] },
      ], 'deepmad/eof', bare.packets);
      const r1 = meterOnly.ratio / bare.ratio;
      ctx.report({ section: 'nodes', name: 'Node-RED: pcap in → flowmeter (flow columns out)', ...meterOnly, note: `${r1.toFixed(2)} × bare meter` });

      const h5objects = path.join(tmp, 'objects.h5');
      const objects = await runInNodeRed(ctx, ['pcap-in', 'flowmeter', 'normalize', 'hdf5-out'], [
        { id: 'in', z: 't1', type: 'deepmad-pcap-in', wires: [['fm']] },
        { id: 'fm', z: 't1', type: 'deepmad-flowmeter', profile: 'improved', output: 'batch', format: 'objects', batchFlows: 1000, batchMs: 1000, wires: [['norm']] },
        { id: 'norm', z: 't1', type: 'deepmad-normalize', mode: 'online', keepFlows: false, wires: [['h5']] },
        { id: 'h5', z: 't1', type: 'deepmad-hdf5-out', file: h5objects, existing: 'overwrite', closeOnEof: true, flushSeconds: 0, wires: [['out']] },
      ], 'deepmad/hdf5', bare.packets);
      ctx.report({
        section: 'nodes', name: 'Node-RED: same pipeline, flow objects (default)', ...objects,
        note: `${(objects.ratio / bare.ratio).toFixed(2)} × bare meter`,
      });

      let rows = 0;
      const full = await runInNodeRed(ctx, ['pcap-in', 'flowmeter', 'normalize', 'hdf5-out'], [
        { id: 'in', z: 't1', type: 'deepmad-pcap-in', wires: [['fm']] },
        { id: 'fm', z: 't1', type: 'deepmad-flowmeter', profile: 'improved', output: 'batch', format: 'columns', batchFlows: 1000, batchMs: 1000, wires: [['norm']] },
        { id: 'norm', z: 't1', type: 'deepmad-normalize', mode: 'online', keepFlows: false, wires: [['h5']] },
        { id: 'h5', z: 't1', type: 'deepmad-hdf5-out', file: h5, existing: 'overwrite', closeOnEof: true, flushSeconds: 0, wires: [['out']] },
      ], 'deepmad/hdf5', bare.packets, (m) => { rows = m.payload.rows; });
      // Both rows are floor-normalised pairs, so their quotient is robust to load changes.
      const ratio = full.ratio / bare.ratio;
      ctx.report({
        section: 'nodes', name: 'Node-RED: pcap in → flowmeter → normalize → hdf5 (columns)', ...full,
        note: `${rows.toLocaleString('en-US')} rows, ${ratio.toFixed(2)} × bare meter (${ratio >= 0.5 ? 'meets' : 'MISSES'} the ≥ 0.5 goal)`,
      });
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  },
};

let helperReady = false;

/**
 * Loads `flow` (plus a tab and a helper sink 'out') into the Node-RED runtime of
 * node-red-node-test-helper, then times reading the capture through it until `doneTopic` reaches 'out'.
 */
async function runInNodeRed(
  ctx: BenchContext, nodes: string[], flow: Array<Record<string, unknown>>, doneTopic: string, packets: number,
  onDone?: (msg: Record<string, any>) => void,
): Promise<{ packets: number; secs: number; ratio: number }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const helper: TestHelper = require('node-red-node-test-helper');
  if (!helperReady) { helper.init(require.resolve('node-red')); helperReady = true; }
  await helper.load(nodes.map(nodeModule), [{ id: 't1', type: 'tab', label: 'bench' }, ...flow, { id: 'out', z: 't1', type: 'helper' }]);
  unspy(helper, [...flow.map((n) => String(n.id)), 'out']);
  try {
    return await measurePaired(ctx.pcap, ctx.runs, () => new Promise<number>((resolve, reject) => {
      const out = helper.getNode('out');
      const timer = setTimeout(() => reject(new Error('Node-RED pipeline did not finish within 10 minutes')), 600_000);
      const onMsg = (msg: Record<string, any>) => {
        if (msg.topic !== doneTopic) return;
        clearTimeout(timer);
        out.removeListener('input', onMsg);
        onDone?.(msg);
        resolve(packets); // the same capture: every packet went through the pipeline
      };
      out.on('input', onMsg);
      helper.getNode('in').receive({ filename: ctx.pcap });
    }));
  } finally {
    await helper.unload();
  }
}

/**
 * The helper wraps Node.prototype.send/status/… (and, seen for send, per-instance copies) and the
 * logger in sinon spies that keep every message ever sent: fine for tests, a heavy GC load for a
 * million packets. The runtime itself is the real one, so put the original methods back to time
 * Node-RED rather than sinon.
 */
function unspy(helper: TestHelper, ids: string[]): void {
  type Spied = Record<string, { wrappedMethod?: unknown }>;
  const methods = ['log', 'status', 'warn', 'error', 'debug', 'trace', 'send'];
  const h = helper as unknown as { _NodePrototype?: Spied; _log?: Spied };
  const restore = (o: Spied | undefined, m: string, ownOnly: boolean) => {
    if (!o || (ownOnly && !Object.prototype.hasOwnProperty.call(o, m))) return;
    const w = o[m]?.wrappedMethod;
    if (typeof w === 'function') o[m] = w as { wrappedMethod?: unknown };
  };
  for (const m of methods) restore(h._NodePrototype, m, false);
  for (const id of ids) for (const m of methods) restore(helper.getNode(id) as unknown as Spied, m, true);
  restore(h._log, 'log', false);
}
