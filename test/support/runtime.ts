/**
 * A real, headless Node-RED runtime for end-to-end tests: a temporary userDir with our package
 * symlinked into its node_modules (as `npm link` would), `node-red/red.js` started as a child
 * process on a free loopback port, flows deployed and driven over the admin HTTP API, stdout/stderr
 * captured, and a clean SIGINT shutdown (close handlers run) at the end.
 *
 *   const rt = await NodeRedRuntime.start();
 *   await rt.deploy([tab, ...nodes, ...tapNodes('tap1', 't1', rt.file('out.jsonl'))]);
 *   await rt.inject('inj1');
 *   const rows = await rt.waitForTap(rt.file('out.jsonl'), (r) => r.some((m) => m.topic === 'deepmad/eof'));
 *   await rt.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export type FlowNode = { id: string; type: string; [key: string]: unknown };

export const repoRoot = path.resolve(__dirname, '..', '..');

/** The flows of example files in examples/, concatenated (one deploy can hold several examples). */
export function readExamples(...files: string[]): FlowNode[] {
  return files.flatMap((f) => JSON.parse(fs.readFileSync(path.join(repoRoot, 'examples', f), 'utf8')) as FlowNode[]);
}
const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { name: string };
/** Our npm package name, which is also the module name in /nodes and /library/examples. */
export const packageName: string = pkg.name;

export interface RuntimeOptions {
  /** Flows written to flows.json before start (default: none). */
  flows?: FlowNode[];
  /** Extra settings merged into settings.js (JSON-serialisable values only). */
  settings?: Record<string, unknown>;
  /** Extra environment for the runtime process. */
  env?: Record<string, string>;
  /** Log level of the runtime console logger (default 'info'). */
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** Give up waiting for start after this many ms (default 30000). */
  startTimeoutMs?: number;
}

export interface HttpResult { status: number; body: any; text: string }

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class NodeRedRuntime {
  /** Everything the runtime printed (stdout + stderr), in order. */
  output = '';
  exitCode: number | null = null;
  private exited: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    readonly userDir: string,
    readonly port: number,
  ) {
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => { this.output += d; if (process.env.DEEPMAD_TEST_VERBOSE) process.stdout.write(d); });
    child.stderr!.on('data', (d: string) => { this.output += d; if (process.env.DEEPMAD_TEST_VERBOSE) process.stderr.write(d); });
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => { this.exitCode = code ?? (signal ? 128 : 0); resolve(); }));
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A path inside the temporary userDir (removed on stop). */
  file(...parts: string[]): string {
    return path.join(this.userDir, ...parts);
  }

  static async start(opts: RuntimeOptions = {}): Promise<NodeRedRuntime> {
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-nr-'));
    const port = await freePort();
    fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'deepmad-test-userdir', private: true }));
    // Link the package the way `npm link`/`npm install <dir>` makes it visible to Node-RED's scan.
    const linkDir = path.join(userDir, 'node_modules', ...packageName.split('/'));
    fs.mkdirSync(path.dirname(linkDir), { recursive: true });
    fs.symlinkSync(repoRoot, linkDir, 'dir');
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(opts.flows ?? []));
    const settings = {
      uiHost: '127.0.0.1',
      uiPort: port,
      flowFile: 'flows.json',
      credentialSecret: 'deepmad-test',
      telemetry: { enabled: false },
      diagnostics: { enabled: false },
      runtimeState: { enabled: true, ui: false },
      editorTheme: { tours: false, projects: { enabled: false } },
      externalModules: { palette: { allowInstall: false }, modules: { allowInstall: false } },
      logging: { console: { level: opts.logLevel ?? 'info', metrics: false, audit: false } },
      debugMaxLength: 100000, // debug messages reach watch() whole
      ...opts.settings,
    };
    fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${JSON.stringify(settings, null, 2)};\n`);

    const redJs = require.resolve('node-red/red.js', { paths: [repoRoot] });
    const child = spawn(process.execPath, [redJs, '-u', userDir, '-s', path.join(userDir, 'settings.js')], {
      cwd: userDir,
      env: { ...process.env, NODE_RED_HOME: userDir, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const rt = new NodeRedRuntime(child, userDir, port);
    try {
      await rt.waitUntilStarted(opts.startTimeoutMs ?? 30000);
    } catch (err) {
      await rt.stop();
      throw err;
    }
    return rt;
  }

  private async waitUntilStarted(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exitCode !== null) throw new Error(`Node-RED exited with ${this.exitCode} during start:\n${this.output}`);
      try {
        const r = await this.request('GET', '/flows/state');
        if (r.status === 200 && r.body?.state === 'start') return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`Node-RED did not start within ${timeoutMs} ms:\n${this.output}`);
  }

  /** An admin API request; JSON bodies are sent and parsed automatically. */
  async request(method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
    const res = await fetch(this.baseUrl + urlPath, {
      method,
      headers: { Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let parsed: unknown = text;
    try { parsed = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
    return { status: res.status, body: parsed, text };
  }

  /**
   * Deploys `flows` (full deploy by default) and returns the log written since the deploy started
   * once the runtime reports 'Started flows' (or after `settleMs` for partial deploys).
   */
  async deploy(flows: FlowNode[], type: 'full' | 'nodes' | 'flows' = 'full', settleMs = 15000): Promise<string> {
    const mark = this.output.length;
    const r = await this.request('POST', '/flows', flows, { 'Node-RED-Deployment-Type': type, 'Node-RED-API-Version': 'v1' });
    if (r.status !== 204 && r.status !== 200) throw new Error(`deploy failed: HTTP ${r.status} ${r.text}`);
    await this.waitForLog(/Started (modified )?flows/, settleMs, mark).catch(() => undefined);
    return this.output.slice(mark);
  }

  /** Full deploy that must log no error and no missing type; throws with those lines otherwise. */
  async deployClean(flows: FlowNode[]): Promise<void> {
    const mark = this.output.length;
    await this.deploy(flows);
    const errors = this.errorsSince(mark);
    if (errors.length) throw new Error(`deploy logged errors:\n${errors.join('\n')}`);
  }

  /** Error lines ([error] or "Waiting for missing types") logged since `mark` (an offset in output). */
  errorsSince(mark = 0): string[] {
    return this.output.slice(mark).split('\n').filter((l) => /\[error\]|Waiting for missing types|missing types/i.test(l));
  }

  /** Presses the button of a core inject node. */
  async inject(id: string): Promise<void> {
    const r = await this.request('POST', `/inject/${id}`);
    if (r.status !== 200) throw new Error(`inject ${id} failed: HTTP ${r.status} ${r.text}`);
  }

  /** GET /nodes as JSON: the node sets the runtime loaded (each with module, types, enabled, err). */
  async nodeSets(): Promise<Array<{ id: string; module: string; types: string[]; enabled: boolean; loaded: boolean; err?: string }>> {
    const r = await this.request('GET', '/nodes');
    return r.body;
  }

  /** Resolves when `re` matches the output written after offset `from`. */
  async waitForLog(re: RegExp, timeoutMs = 20000, from = 0): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.output.slice(from).match(re);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} in Node-RED output:\n${this.output.slice(from)}`);
      if (this.exitCode !== null) throw new Error(`Node-RED exited (${this.exitCode}) while waiting for ${re}:\n${this.output.slice(from)}`);
      await sleep(50);
    }
  }

  /** Polls `probe` until it returns a value other than undefined/false. */
  async waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20000, what = 'condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; Node-RED output:\n${this.output.slice(-4000)}`);
      await sleep(50);
    }
  }

  /** Reads a JSON-lines file written by tapNodes() (missing file = no rows yet). */
  readTap(file: string): any[] {
    if (!fs.existsSync(file)) return [];
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
  }

  /** Waits until the tap file's rows satisfy `pred`, and returns them. */
  waitForTap(file: string, pred: (rows: any[]) => boolean, timeoutMs = 20000): Promise<any[]> {
    return this.waitFor(() => { const rows = this.readTap(file); return pred(rows) ? rows : undefined; }, timeoutMs, `tap ${file}`);
  }

  /**
   * Subscribes to the editor's websocket (/comms) like the browser does: every Debug-node message
   * and every node status, as they happen. Close it when done.
   */
  async watch(): Promise<RuntimeWatch> {
    const w = new RuntimeWatch(this.port);
    await w.opened;
    return w;
  }

  /** PIDs of all live descendants of the runtime process (e.g. dumpcap children), from /proc. */
  descendants(): number[] {
    return descendantsOf(this.child.pid!);
  }

  /** SIGINT (Node-RED stops flows and runs close handlers), SIGKILL after `graceMs`; removes userDir. */
  async stop(graceMs = 20000, keepUserDir = false): Promise<number | null> {
    if (this.exitCode === null) {
      this.child.kill('SIGINT');
      const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(t);
    }
    if (!keepUserDir && !process.env.DEEPMAD_KEEP_USERDIR) fs.rmSync(this.userDir, { recursive: true, force: true });
    return this.exitCode;
  }
}

/** All live descendant PIDs of `pid` (Linux /proc). */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      // the ppid is the 2nd field after the parenthesised command name (which may contain spaces)
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(e));
      children.set(ppid, list);
    } catch {
      // process ended while scanning
    }
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length) {
    for (const c of children.get(stack.pop()!) ?? []) { out.push(c); stack.push(c); }
  }
  return out;
}

/** True when process `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The command line of `pid` as an argv array ([] when gone). */
export function cmdline(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * Two nodes that append every message they receive to `file` as one JSON line: a function node that
 * makes a JSON-safe summary (typed arrays → plain arrays cut to `payload.count`, Buffers → length)
 * and a core file node. Wire your node's output to `<id>` and read with rt.readTap(file).
 */
export function tapNodes(id: string, z: string, file: string, x = 600, y = 200): FlowNode[] {
  const func = `
const keep = ['topic', 'source', 'live', 'profile', 'filename', 'error', 'parts', 'label', 'confidence', 'model'];
function safe(v, count) {
  if (v === null || v === undefined) return v;
  if (ArrayBuffer.isView(v)) return Array.from(count >= 0 ? v.subarray(0, count) : v);
  if (Array.isArray(v)) return v.map((e) => safe(e, -1));
  if (typeof v === 'object') {
    const o = {};
    const c = typeof v.count === 'number' ? v.count : -1;
    for (const k of Object.keys(v)) o[k] = safe(v[k], c);
    return o;
  }
  return v;
}
const out = { payload: safe(msg.payload, -1) };
for (const k of keep) if (msg[k] !== undefined) out[k] = safe(msg[k], -1);
msg.payload = JSON.stringify(out);
return msg;`;
  return [
    { id, z, type: 'function', name: `tap ${id}`, func, outputs: 1, noerr: 0, initialize: '', finalize: '', libs: [], x, y, wires: [[`${id}-file`]] },
    { id: `${id}-file`, z, type: 'file', name: `tap file ${id}`, filename: file, filenameType: 'str', appendNewline: true, createDir: true, overwriteFile: 'false', encoding: 'utf8', x: x + 200, y, wires: [[]] },
  ];
}

export interface DebugMessage {
  /** Id of the debug node. */
  id: string;
  name?: string;
  topic?: string;
  property?: string;
  format?: string;
  /** The debug node's text (JSON for objects). */
  msg: string;
  /** `msg` parsed as JSON when it is JSON, else the text. */
  value: any;
}

/** What the editor would see over /comms: debug messages and statuses. */
export class RuntimeWatch {
  readonly debug: DebugMessage[] = [];
  readonly status = new Map<string, Array<{ fill?: string; shape?: string; text?: string }>>();
  readonly opened: Promise<void>;
  private ws: any;
  private listeners: Array<() => void> = [];

  constructor(port: number) {
    // ws is a dependency of node-red (Node 20 has no global WebSocket)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const WS = require(require.resolve('ws', { paths: [path.dirname(require.resolve('node-red/package.json', { paths: [repoRoot] })), repoRoot] }));
    this.ws = new WS(`ws://127.0.0.1:${port}/comms`);
    this.opened = new Promise((resolve, reject) => {
      this.ws.on('open', () => {
        this.ws.send(JSON.stringify({ subscribe: 'debug' }));
        this.ws.send(JSON.stringify({ subscribe: 'status/#' }));
        resolve();
      });
      this.ws.on('error', reject);
    });
    this.ws.on('message', (data: Buffer) => {
      let items: Array<{ topic: string; data: any }>;
      try { items = JSON.parse(data.toString()); } catch { return; }
      for (const it of Array.isArray(items) ? items : [items]) {
        if (it.topic === 'debug') {
          const d = it.data;
          let value: unknown = d.msg;
          try { value = JSON.parse(d.msg); } catch { /* plain text */ }
          this.debug.push({ id: d.id, name: d.name, topic: d.topic, property: d.property, format: d.format, msg: d.msg, value });
        } else if (it.topic.startsWith('status/')) {
          const id = it.topic.slice(7);
          const list = this.status.get(id) ?? [];
          list.push(it.data ?? {});
          this.status.set(id, list);
        }
      }
      for (const l of this.listeners) l();
    });
  }

  /** Debug messages of debug node `id`. */
  debugOf(id: string): DebugMessage[] {
    return this.debug.filter((d) => d.id === id);
  }

  /** Latest status of node `id`. */
  statusOf(id: string): { fill?: string; shape?: string; text?: string } | undefined {
    const l = this.status.get(id);
    return l?.[l.length - 1];
  }

  /** Resolves with `probe()`'s first value other than undefined/false, re-checked on every websocket message. */
  until<T>(probe: () => T | undefined | false, timeoutMs = 20000, what = 'condition'): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = probe();
        if (v !== undefined && v !== false) {
          cleanup();
          resolve(v as T);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}; statuses: ${JSON.stringify([...this.status].map(([k, v]) => [k, v[v.length - 1]]))}; debug: ${JSON.stringify(this.debug.slice(-5))}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
      };
      this.listeners.push(check);
      check();
    });
  }

  close(): void {
    try { this.ws.close(); } catch { /* already closed */ }
  }
}
