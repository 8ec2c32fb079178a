/**
 * node:test + node-red-node-test-helper, wired to our compiled nodes in dist/.
 *
 * `npm test` builds dist/ before any test runs, so tests load exactly what Node-RED would load.
 * Typical use (see test/support/README.md):
 *
 *   const h = useNodeRedHelper();                    // registers before/afterEach/after hooks
 *   it('…', async () => {
 *     await h.load(['pcap-in'], [tab(), { id: 'n1', z: 't1', type: 'deepmad-pcap-in', wires: [['out']] }, helperNode('out')]);
 *     const msgs = await collect(h.getNode('out'), (m) => m.topic === 'deepmad/eof');
 *   });
 */
import { after, afterEach, before } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';

// node-red-node-test-helper ships no types; this is the part of its API we use.
export interface RuntimeNode {
  id: string;
  type: string;
  on(event: string, listener: (...args: any[]) => void): void;
  removeListener(event: string, listener: (...args: any[]) => void): void;
  receive(msg: Record<string, unknown>): void;
  [key: string]: any;
}
export interface NodeTestHelper {
  init(runtimePath?: string, userSettings?: Record<string, unknown>): void;
  settings(userSettings: Record<string, unknown>): Record<string, unknown>;
  load(nodes: unknown, flow: FlowNode[], credentials?: Record<string, unknown>): Promise<void>;
  unload(): Promise<void>;
  setFlows(flow: FlowNode[], type?: 'full' | 'flows' | 'nodes', credentials?: Record<string, unknown>): Promise<void>;
  getNode(id: string): RuntimeNode;
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
  request(): any; // supertest agent on the admin app (for httpAdmin endpoints)
  url(): string;
  log(): any;
}
export type FlowNode = { id: string; type: string; [key: string]: unknown };
export type Msg = Record<string, any>;

export const repoRoot = path.resolve(__dirname, '..', '..');
/** The shared read-only material (real pcaps, reference CSVs), or undefined when not present. */
export const sharedDir: string | undefined = (() => {
  const d = path.resolve(repoRoot, '..', 'shared');
  return fs.existsSync(d) ? d : undefined;
})();

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const helper: NodeTestHelper = require('node-red-node-test-helper');
helper.init(require.resolve('node-red'));

/** The register function of dist/nodes/<name>/<name>.js (the compiled node, as Node-RED loads it). */
export function nodeModule(name: string): unknown {
  const file = path.join(repoRoot, 'dist', 'nodes', name, `${name}.js`);
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist: is nodes/${name}/${name}.ts built? (npm test builds first)`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(file);
  return mod && typeof mod === 'object' && 'default' in mod ? mod.default : mod;
}

/**
 * Registers the usual hooks on the current node:test suite: start the helper's HTTP server once
 * (needed for Catch/Status nodes and httpAdmin endpoints), unload the flow after every test, stop at
 * the end. Returns an object whose `load` accepts node names (folders under nodes/) or register
 * functions.
 */
export function useNodeRedHelper(settings?: Record<string, unknown>) {
  before(async () => {
    if (settings) helper.settings(settings);
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
  });
  after(async () => {
    await helper.stopServer();
  });
  return {
    helper,
    load(nodes: Array<string | unknown>, flow: FlowNode[], credentials?: Record<string, unknown>) {
      const fns = nodes.map((n) => (typeof n === 'string' ? nodeModule(n) : n));
      return helper.load(fns, flow, credentials);
    },
    getNode: (id: string) => helper.getNode(id),
    request: () => helper.request(),
  };
}

/** A flow tab; Catch and Status nodes only work when nodes carry `z` of a tab. */
export function tab(id = 't1'): FlowNode {
  return { id, type: 'tab', label: 'test' };
}
/** A `helper` sink node that tests listen on for 'input'. */
export function helperNode(id: string, z = 't1'): FlowNode {
  return { id, z, type: 'helper' };
}
/** A core Catch node (scope all) wired to `to`. */
export function catchNode(id: string, to: string, z = 't1'): FlowNode {
  return { id, z, type: 'catch', scope: null, uncaught: false, wires: [[to]] };
}
/** A core Status node (scope all) wired to `to`. */
export function statusNode(id: string, to: string, z = 't1'): FlowNode {
  return { id, z, type: 'status', scope: null, wires: [[to]] };
}

/**
 * Resolves with the first message reaching `node` that satisfies `pred`. Rejects after `timeoutMs`
 * (a safety net so a broken node fails the test instead of hanging it, not a timing assertion).
 */
export function nextMessage(node: RuntimeNode, pred: (m: Msg) => boolean = () => true, timeoutMs = 20000): Promise<Msg> {
  return collect(node, pred, timeoutMs).then((all) => all[all.length - 1]);
}

/**
 * Collects every message reaching `node` until one satisfies `until` (that message is included).
 */
export function collect(node: RuntimeNode, until: (m: Msg, all: Msg[]) => boolean, timeoutMs = 20000): Promise<Msg[]> {
  return new Promise((resolve, reject) => {
    const all: Msg[] = [];
    const timer = setTimeout(() => {
      node.removeListener('input', onInput);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for a message on ${node.id}; got ${all.length}: ${summarize(all)}`));
    }, timeoutMs);
    function onInput(msg: Msg) {
      all.push(msg);
      let done = false;
      try {
        done = until(msg, all);
      } catch (err) {
        clearTimeout(timer);
        node.removeListener('input', onInput);
        reject(err);
        return;
      }
      if (done) {
        clearTimeout(timer);
        node.removeListener('input', onInput);
        resolve(all);
      }
    }
    node.on('input', onInput);
  });
}

function summarize(msgs: Msg[]): string {
  return msgs.slice(-5).map((m) => JSON.stringify({ topic: m.topic, payload: typeof m.payload === 'object' ? '[object]' : m.payload })).join(', ');
}

export interface NodeStatus { fill?: string; shape?: string; text?: string }
interface SpyCall { thisValue: unknown; args: any[]; callId: number }
function protoSpyCalls(method: string, node: RuntimeNode): SpyCall[] {
  // The helper replaces Node.prototype.<method> with a sinon spy shared by every node.
  const spy = Object.getPrototypeOf(node)[method] as { getCalls?: () => SpyCall[] };
  return spy.getCalls ? spy.getCalls().filter((c) => c.thisValue === node) : [];
}

/**
 * Records every status the node sets, including those set in its constructor during load (read back
 * from the helper's spy), then live ones via its 'call:status' events. `history` keeps growing.
 */
export function recordStatus(node: RuntimeNode): { history: NodeStatus[]; waitFor(pred: (s: NodeStatus) => boolean, timeoutMs?: number): Promise<NodeStatus> } {
  const history: NodeStatus[] = [];
  const seen = new Set<number>(); // sinon call ids (call objects are re-created by getCalls())
  const waiters: Array<{ pred: (s: NodeStatus) => boolean; resolve: (s: NodeStatus) => void }> = [];
  const add = (call: SpyCall) => {
    if (seen.has(call.callId)) return;
    seen.add(call.callId);
    const s: NodeStatus = call.args[0] ?? {};
    history.push(s);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].pred(s)) {
        waiters[i].resolve(s);
        waiters.splice(i, 1);
      }
    }
  };
  for (const c of protoSpyCalls('status', node)) add(c);
  node.on('call:status', add);
  return {
    history,
    waitFor(pred, timeoutMs = 20000) {
      const found = history.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (s: NodeStatus) => { clearTimeout(t); resolve(s); } };
        const t = setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error(`timed out waiting for a status on ${node.id}; history: ${JSON.stringify(history)}`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
  };
}

/** This node's node.error(…) calls so far, as [errorOrText, msg] pairs. */
export function errorCalls(node: RuntimeNode): Array<[unknown, Msg | undefined]> {
  return protoSpyCalls('error', node).map((c) => [c.args[0], c.args[1]]);
}
/** This node's node.warn(…) calls so far. */
export function warnCalls(node: RuntimeNode): unknown[] {
  return protoSpyCalls('warn', node).map((c) => c.args[0]);
}
