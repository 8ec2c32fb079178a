/**
 * Classifier section: the packaged default model through the Classifier (worker-thread inference,
 * as the Node-RED node runs it) on real flow rows (improved CIC-IDS2017 sample when ../shared is
 * present, else flows metered from test fixtures), at batch sizes 1, 64 and 1024 (flows/s), and the
 * longest event-loop stall seen by a 1 ms timer while 100k flows are classified in one go: by the
 * library (verdict columns, and Verdict objects), and by the deepmad-classifier node in the Node-RED
 * runtime (flow objects in and out; flow columns in and out; 100 messages of 1000 flows; one 100k
 * message while 2 busy-loop processes per core saturate the box, one line per run). Each stall is
 * printed beside the same timer's longest stall on an idle loop for as long (what the machine's load
 * alone costs), when in the run it started, the number of V8 GC pauses and the longest one, the load
 * average and the threads runnable. Two rows time Node-RED's deep copy of the node's largest output
 * message: what every extra wire on one output costs, inside send().
 * Rows count flows; the ratio compares flows/s with the floor's packets/s.
 * DEEPMAD_BENCH_CLASSIFIER=node runs the node rows only; DEEPMAD_BENCH_CONTEXT=off runs the node
 * without its lone-flow context stage (one synchronous pass over a message's rows, measured apart).
 * The node's flow-object rows send objects made per message like the flow meter's (the node
 * annotates them in place).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { Classifier } from '../lib/ml/classifier.js';
import { readCsvFile } from '../lib/ml/csv-table.js';
import { defaultModelPath } from '../lib/ml/default-model.js';
import { meterCapture } from '../lib/ml/capture-flows.js';
import { flowColumnsFromObjects } from '../lib/normalize/flow-columns.js';
import { SHARED, type BenchContext, type BenchSection } from './harness.js';

async function sampleFlows(): Promise<Array<Record<string, unknown>>> {
  const dir = path.join(SHARED, 'data', 'flows', 'improved-cicids2017-rnd2500');
  if (fs.existsSync(dir)) {
    const out: Array<Record<string, unknown>> = [];
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.csv')).sort()) {
      const t = readCsvFile(path.join(dir, f));
      for (const r of t.rows) out.push(Object.fromEntries(t.header.map((h, j) => [h, Number.isFinite(Number(r[j])) ? Number(r[j]) : r[j]])));
    }
    return out;
  }
  const fx = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'alerts');
  const out: Array<Record<string, unknown>> = [];
  for (const f of fs.readdirSync(fx).filter((x) => /\.pcap$/.test(x))) out.push(...(await meterCapture(path.join(fx, f), 'improved')));
  return out;
}

interface Stall { worst: number; worstWaiting: number; worstAt: number; gcs: number; worstGc: number }

/**
 * Time the main thread has spent runnable but waiting for a CPU (ms), from Linux schedstat: read
 * into a reused buffer (no allocation per tick); NaN elsewhere.
 */
function runQueueClock(): () => number {
  let fd = -1;
  try { fd = fs.openSync(`/proc/self/task/${process.pid}/schedstat`, 'r'); } catch { return () => NaN; }
  const buf = Buffer.alloc(128);
  return () => {
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    // "<on-cpu ns> <run-queue ns> <slices>": the second number
    let i = 0;
    while (i < n && buf[i] !== 32) i++;
    let ns = 0;
    for (i++; i < n && buf[i] >= 48 && buf[i] <= 57; i++) ns = ns * 10 + (buf[i] - 48);
    return ns / 1e6;
  };
}
const runQueueMs = runQueueClock();

/**
 * Longest gap between 1 ms timer ticks while `work` runs (how long the event loop was blocked), the
 * part of that gap the thread spent waiting for a CPU (the machine's load, not our work), and the
 * GC pauses meanwhile.
 */
async function longestStall(work: () => Promise<unknown>): Promise<Stall> {
  let gcs = 0;
  let worstGc = 0;
  const obs = new PerformanceObserver((list) => { for (const e of list.getEntries()) { gcs++; worstGc = Math.max(worstGc, e.duration); } });
  obs.observe({ entryTypes: ['gc'] });
  const t0 = performance.now();
  let last = t0;
  let lastRq = runQueueMs();
  let worst = 0;
  let worstWaiting = 0;
  let worstAt = 0;
  const tick = (): void => {
    const now = performance.now();
    const rq = runQueueMs();
    if (now - last > worst) { worst = now - last; worstWaiting = rq - lastRq; worstAt = last - t0; }
    last = now;
    lastRq = rq;
  };
  const t = setInterval(tick, 1);
  await work();
  clearInterval(t);
  tick();
  await new Promise((r) => setImmediate(r)); // deliver the last GC entries
  obs.disconnect();
  return { worst, worstWaiting, worstAt, gcs, worstGc };
}

/** Threads runnable on the machine right now (/proc/loadavg's 4th field, this one included; '?' elsewhere). */
function runnable(): string {
  try { return fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[3].split('/')[0]; } catch { return '?'; }
}

/** Times one 100k-flow run, then an idle loop for as long, and reports both stalls. */
async function reportStall(ctx: BenchContext, name: string, flows: number, run: () => Promise<unknown>, nice: boolean): Promise<void> {
  const load = os.loadavg()[0];
  // start from a clean heap (as ctx.measure does): garbage left by the set-up is not the call's
  (globalThis as { gc?: () => void }).gc?.();
  // ...and let that full GC's concurrent sweeping finish (a loaded box starves the sweeper threads,
  // and the run's first allocations would then sweep on the main thread: a stall no real message sees)
  await new Promise((r) => setTimeout(r, 300));
  const t0 = performance.now();
  const s = await longestStall(run);
  const secs = (performance.now() - t0) / 1000;
  const idle = await longestStall(() => new Promise((r) => setTimeout(r, secs * 1000)));
  ctx.report({
    section: 'classifier', name, packets: flows, secs,
    note: `longest event-loop stall ${s.worst.toFixed(1)} ms (${s.worstWaiting.toFixed(1)} ms of it waiting for a CPU, from ${(s.worstAt / 1000).toFixed(2)} s); idle loop, same length: ${idle.worst.toFixed(1)} ms (${idle.worstWaiting.toFixed(1)} waiting); ${s.gcs} GC pauses, longest ${s.worstGc.toFixed(1)} ms; load ${load.toFixed(1)}, ${runnable()} runnable${nice ? '; nice -10' : ''}`,
  });
}

/** Sets the priority of every thread of this process (Linux: /proc/self/task); false when not permitted. */
function setProcessPriority(prio: number): boolean {
  let tids: number[] = [0];
  try { tids = fs.readdirSync('/proc/self/task').map(Number); } catch { /* not Linux: the calling thread (the process elsewhere) */ }
  try {
    for (const tid of tids) os.setPriority(tid, prio);
    return true;
  } catch {
    return false; // not permitted: measured at normal priority
  }
}

interface HelperNode { receive(msg: object): void; on(ev: 'input', cb: (msg: Record<string, any>) => void): void; removeListener(ev: 'input', cb: (msg: Record<string, any>) => void): void }
interface TestHelper { init(nodeRedPath: string): void; load(fns: unknown[], flow: object[]): Promise<void>; unload(): Promise<void>; getNode(id: string): HelperNode }

/**
 * node-red-node-test-helper wraps Node.prototype's send/status/log… in sinon spies that keep every
 * message: put the originals back so the runtime, not sinon, is measured (as bench/nodes.ts does).
 * Its spy on the runtime's log keeps an Error (call stack) per call, whose frames hold the messages
 * being delivered: 100k classified flows stayed reachable after every run (+130 MB of heap a run,
 * and full GCs of hundreds of ms later on), so it is put back too.
 */
function restoreNodeMethods(helper: TestHelper, nodes: HelperNode[]): void {
  (helper as unknown as { _logSpy?: { restore?: () => void } })._logSpy?.restore?.();
  const proto = (helper as unknown as { _NodePrototype?: Record<string, { wrappedMethod?: unknown }> })._NodePrototype;
  for (const m of ['log', 'status', 'warn', 'error', 'debug', 'trace', 'send']) {
    const w = proto?.[m]?.wrappedMethod;
    if (proto && typeof w === 'function') proto[m] = w as { wrappedMethod?: unknown };
  }
  // Node-RED copies Node.prototype.send onto each node when it is created (wired nodes), i.e. the
  // spy: give the nodes the original too, or the spy keeps every message sent
  for (const n of nodes) if (proto && Object.prototype.hasOwnProperty.call(n, 'send')) (n as unknown as Record<string, unknown>).send = proto.send;
}

function nodeModule(name: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(path.resolve(__dirname, '..', 'nodes', name, `${name}.js`));
  return mod && typeof mod === 'object' && 'default' in mod ? mod.default : mod;
}

export const classifierSection: BenchSection = {
  name: 'classifier',
  describe: 'default model via Classifier (worker thread): flows/s at batch 1, 64, 1024; event-loop stall on 100k flows (library and node)',
  async run(ctx) {
    const pool = await sampleFlows();
    const many = (n: number): Array<Record<string, unknown>> => Array.from({ length: n }, (_, i) => pool[i % pool.length]);
    const model = defaultModelPath();
    const name = path.basename(model);
    // DEEPMAD_BENCH_CLASSIFIER=node: the node rows only (the library rows take most of the time)
    const nodeOnly = process.env.DEEPMAD_BENCH_CLASSIFIER === 'node';
    for (const [batch, total] of nodeOnly ? [] : [[1, 3000], [64, 64 * 400], [1024, 1024 * 100]] as const) {
      const clf = await Classifier.open(model, { batchSize: 1024 });
      const flows = many(total);
      await clf.classifyColumns(flows.slice(0, batch)); // warm-up
      let flagged = 0;
      await ctx.measure('classifier', `${name}, batch ${batch} (flows/s)`, async () => {
        flagged = 0;
        for (let i = 0; i < total; i += batch) flagged += (await clf.classifyColumns(flows.slice(i, i + batch))).detections;
        return total;
      }, () => `${flagged}/${total} flagged; load ${os.loadavg()[0].toFixed(1)}`);
      await clf.close();
    }
    const big = many(100_000);
    // the stall figure is about our main-thread work, not the other jobs on a shared box: raise this
    // process's priority while measuring when allowed (root), and say which was used. On Linux a
    // priority is per thread: every thread of the process is raised (V8's GC helper threads too,
    // which the main thread waits for in a GC pause), and worker threads started later inherit it.
    const prio = os.getPriority();
    const raised = setProcessPriority(-10);
    try {
      for (const worker of nodeOnly ? [] : [true, false]) {
        const clf = await Classifier.open(model, { worker, batchSize: 1024 });
        await clf.classifyColumns(big.slice(0, 1024));
        await reportStall(ctx, `100k flows in one call, ${worker ? 'worker thread' : 'in-process'} (flows/s)`, big.length, () => clf.classifyColumns(big), raised);
        if (worker) await reportStall(ctx, '100k flows, one call, Verdict objects (flows/s)', big.length, () => clf.classify(big), raised);
        await clf.close();
      }
      await nodeStalls(ctx, model, big, raised, () => { if (raised) setProcessPriority(prio); }, () => { if (raised) setProcessPriority(-10); });
    } finally {
      if (raised) setProcessPriority(prio);
    }
  },
};

/**
 * A CPU hog for one row: `n` child processes busy-looping (no I/O, no network), each ending by
 * itself after `maxSecs` even if this process dies; `stop()` kills them at once.
 */
function startHog(n: number, maxSecs: number): { stop: () => void } {
  const kids: ChildProcess[] = [];
  const code = `const end = Date.now() + ${Math.round(maxSecs * 1000)}; let x = 0; while (Date.now() < end) x++;`;
  for (let k = 0; k < n; k++) kids.push(spawn(process.execPath, ['-e', code], { stdio: 'ignore' }));
  return { stop: () => { for (const c of kids) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL'); } };
}

/**
 * What Node-RED does synchronously when one output is wired to several nodes: every extra wire gets
 * RED.util.cloneMessage(msg), a deep copy made inside send(). Timed once on the node's largest
 * output message of the 100k-flow run.
 */
function reportClone(ctx: BenchContext, output: string, msg: Record<string, any>, rows: number): void {
  if (!rows) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { util } = require('@node-red/util') as { util: { cloneMessage: (m: unknown) => unknown } };
  const t0 = performance.now();
  util.cloneMessage(msg);
  const secs = (performance.now() - t0) / 1000;
  ctx.report({
    section: 'classifier', name: `Node-RED deep copy of one ${output} output message (flows/s)`, packets: rows, secs,
    note: `RED.util.cloneMessage, what each extra wire on one output costs: one synchronous ${(secs * 1000).toFixed(0)} ms stall`,
  });
}

/** The deepmad-classifier node in the Node-RED runtime: one message of 100k flows, as objects and as flow columns. */
async function nodeStalls(ctx: BenchContext, model: string, big: Array<Record<string, unknown>>, nice: boolean, lower: () => void, raise: () => void): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const helper: TestHelper = require('node-red-node-test-helper');
  if (!(helper as unknown as { _RED?: unknown })._RED) helper.init(require.resolve('node-red'));
  const columns = flowColumnsFromObjects(big.slice(0, 1024 * 4));
  const bigColumns = flowColumnsFromObjects(big);
  // flow objects as the flow meter sends them: distinct per row and per message, made by keyed
  // stores as lib/flow/output.ts toObjects makes them. The node annotates an array payload's flow
  // objects in place, so each message gets objects of its own (made before its timed run).
  const fresh = (n = big.length): Array<Record<string, unknown>> => Array.from({ length: n }, (_, i) => {
    const f = big[i];
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(f)) o[k] = f[k];
    return o;
  });
  for (const output of ['objects', 'columns'] as const) {
    await helper.load([nodeModule('classifier')], [
      { id: 't1', type: 'tab', label: 'bench' },
      { id: 'c', z: 't1', type: 'deepmad-classifier', model, output, context: process.env.DEEPMAD_BENCH_CONTEXT !== 'off', wires: [['out'], ['out']] },
      { id: 'out', z: 't1', type: 'helper' },
    ]);
    try {
      const c = helper.getNode('c');
      const out = helper.getNode('out');
      restoreNodeMethods(helper, [c, out]);
      // messages in; resolves when every row has come out (one message per output used)
      let largest: { msg: Record<string, any>; rows: number } = { msg: {}, rows: 0 };
      const classify = (payloads: unknown[], rows: number): Promise<void> => new Promise((resolve) => {
        let seen = 0;
        const onMsg = (m: Record<string, any>): void => {
          const n = Array.isArray(m.payload) ? m.payload.length : m.payload.rows;
          seen += n;
          if (n > largest.rows) largest = { msg: m, rows: n };
          if (seen < rows) return;
          out.removeListener('input', onMsg);
          resolve();
        };
        out.on('input', onMsg);
        for (const payload of payloads) c.receive({ topic: 'deepmad/flows', payload });
      });
      if (output === 'objects') {
        await classify([fresh(4096)], 4096); // loads the model, warms up
        let input = fresh();
        await reportStall(ctx, 'node: 100k flow objects → objects (flows/s)', big.length, () => classify([input], big.length), nice);
        // as the flow meter sends them: batches of 1000 flows (its default), all queued at once
        input = fresh();
        const batches = Array.from({ length: big.length / 1000 }, (_, k) => input.slice(k * 1000, (k + 1) * 1000));
        await reportStall(ctx, 'node: 100 messages of 1000 flow objects (flows/s)', big.length, () => classify(batches, big.length), nice);
        batches.length = 0;
        // a CPU-saturated box: 2 busy-loop processes per core, this process at normal priority as the
        // hogs; each run is printed (the spread is the point), with an idle loop under the same hog
        const hogs = 2 * os.availableParallelism();
        lower();
        const hog = startHog(hogs, 60 + ctx.runs * 30);
        try {
          await new Promise((r) => setTimeout(r, 1000)); // let the hogs get going
          for (let k = 0; k < ctx.runs; k++) {
            input = fresh();
            await reportStall(ctx, `node: 100k flow objects, ${hogs} busy-loop hogs (flows/s)`, big.length, () => classify([input], big.length), false);
          }
        } finally {
          hog.stop();
          raise();
        }
      } else {
        await classify([columns], columns.rows);
        await reportStall(ctx, 'node: 100k flows as flow columns → columns (flows/s)', big.length, () => classify([bigColumns], bigColumns.rows), nice);
      }
      reportClone(ctx, output, largest.msg, largest.rows);
      largest = { msg: {}, rows: 0 };
    } finally {
      await helper.unload();
    }
  }
}
