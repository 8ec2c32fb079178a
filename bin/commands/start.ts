/**
 * deepmad start — the main job: Node-RED with this package in a project-local user directory
 * (.userdir/, git-ignored), the default IDS flow deployed (replay tab + live tab), the editor on
 * http://127.0.0.1:1880. Node-RED runs as a child process (no shell) from our node_modules; its
 * console is passed through, and we add where the alert log is and how many alerts were raised.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Command } from '../deepmad.js';
import { parseArgs, one, num } from '../../lib/ml/cli-args.js';

const usage = `deepmad start [--port 1880] [--host 127.0.0.1] [--user-dir .userdir] [--mqtt-port 1884]
                [--reset-flows] [--open|--no-open]

Starts Node-RED with DeepMAD and deploys the default IDS flow on first run (later runs keep your
edits; --reset-flows puts the default flow back, saving yours as flows.json.bak). Ctrl-C stops it.`;

type FlowNode = Record<string, unknown> & { id: string; type: string };

/** The package root (holds package.json and examples/), whether running from dist/ or source. */
function packageRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'examples'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error('cannot find the DeepMAD package root (package.json + examples/)');
}

export const REPLAY_EXAMPLE = 'DeepMAD IDS - replay an attack capture.json';
export const LIVE_EXAMPLE = 'DeepMAD IDS - live capture with alerts.json';

/**
 * The default flow: both example tabs, one embedded broker (on `mqttPort`), and the e-mail node
 * replaced by a disabled placeholder when node-red-node-email is not installed (a missing node type
 * would stop Node-RED from starting any flow).
 */
export function defaultFlows(root: string, opts: { mqttPort: number; emailAvailable: boolean }): FlowNode[] {
  const read = (f: string) => JSON.parse(fs.readFileSync(path.join(root, 'examples', f), 'utf8')) as FlowNode[];
  const seen = new Set<string>();
  const out: FlowNode[] = [];
  for (const n of [...read(REPLAY_EXAMPLE), ...read(LIVE_EXAMPLE)]) {
    if (seen.has(n.id)) continue; // the shared mqtt-broker config node
    seen.add(n.id);
    if (n.id === 'dm-broker2') continue; // the live tab uses the replay tab's broker
    const node = { ...n };
    if (node.type === 'deepmad-mqtt-broker') node.port = opts.mqttPort;
    if (node.type === 'mqtt-broker') node.port = String(opts.mqttPort);
    if (node.type === 'e-mail' && !opts.emailAvailable) {
      Object.assign(node, { type: 'comment', name: 'e-mail: install node-red-node-email (Manage palette) and replace this with an e-mail node', info: '' });
      delete node.server;
    }
    out.push(node);
  }
  return out;
}

function settingsJs(port: number, host: string, secret: string): string {
  const s = {
    uiHost: host,
    uiPort: port,
    flowFile: 'flows.json',
    credentialSecret: secret,
    flowFilePretty: true,
    telemetry: { enabled: false },
    diagnostics: { enabled: false },
    runtimeState: { enabled: true, ui: false },
    editorTheme: { projects: { enabled: false }, tours: false, header: { title: 'DeepMAD' } },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    debugMaxLength: 2000,
    // The flow's MQTT client may try before the embedded broker listens; retry quickly.
    mqttReconnectTime: 1000,
    functionExternalModules: false,
  };
  return `// Written by 'deepmad start' on first run; edit freely (port/host are overridden by deepmad start's options).\nmodule.exports = ${JSON.stringify(s, null, 2)};\n`;
}

function linkPackage(userDir: string, name: string, target: string): void {
  const link = path.join(userDir, 'node_modules', ...name.split('/'));
  fs.mkdirSync(path.dirname(link), { recursive: true });
  try {
    const st = fs.lstatSync(link);
    if (st.isSymbolicLink() && path.resolve(path.dirname(link), fs.readlinkSync(link)) === target) return;
    fs.rmSync(link, { recursive: true, force: true });
  } catch { /* not there yet */ }
  fs.symlinkSync(target, link, 'dir');
}

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

function resolveFrom(root: string, id: string): string | undefined {
  try { return require.resolve(id, { paths: [root] }); } catch { return undefined; }
}

export const command: Command = {
  summary: 'start Node-RED with the default IDS flow (editor on http://127.0.0.1:1880)',
  usage,
  async run(argv) {
    const a = parseArgs(argv, { values: ['port', 'host', 'user-dir', 'mqtt-port'], flags: ['reset-flows', 'open', 'no-open'] });
    const root = packageRoot();
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; version: string };
    const port = num(a, 'port', 1880, 1);
    const host = one(a, 'host', '127.0.0.1')!;
    const mqttPort = num(a, 'mqtt-port', 1884, 1);
    const userDir = path.resolve(one(a, 'user-dir') ?? path.join(root, '.userdir'));

    const redJs = resolveFrom(root, 'node-red/red.js');
    if (!redJs) throw new Error("node-red is not installed: run 'npm install' in the DeepMAD folder (node-red is a development dependency)");
    if (!(await portFree(port, host))) throw new Error(`port ${port} on ${host} is in use (another Node-RED?); choose one with --port`);
    if (!(await portFree(mqttPort, '127.0.0.1'))) console.warn(`warning: port ${mqttPort} is in use; the flow's embedded MQTT broker will report "port in use" (choose one with --mqtt-port)`);

    fs.mkdirSync(userDir, { recursive: true });
    const pj = path.join(userDir, 'package.json');
    if (!fs.existsSync(pj)) fs.writeFileSync(pj, JSON.stringify({ name: 'deepmad-userdir', private: true, description: 'Node-RED user directory of deepmad start' }, null, 2));
    linkPackage(userDir, pkg.name, root);
    const emailPkg = resolveFrom(root, 'node-red-node-email/package.json');
    if (emailPkg) linkPackage(userDir, 'node-red-node-email', path.dirname(emailPkg));

    const settingsFile = path.join(userDir, 'settings.js');
    if (!fs.existsSync(settingsFile)) fs.writeFileSync(settingsFile, settingsJs(port, host, crypto.randomBytes(24).toString('hex')));
    const flowsFile = path.join(userDir, 'flows.json');
    const fresh = !fs.existsSync(flowsFile) || a.flags.has('reset-flows');
    if (fresh) {
      if (fs.existsSync(flowsFile)) fs.copyFileSync(flowsFile, `${flowsFile}.bak`);
      fs.writeFileSync(flowsFile, JSON.stringify(defaultFlows(root, { mqttPort, emailAvailable: !!emailPkg }), null, 2));
    }
    const alertLog = path.join(userDir, 'alerts.jsonl');
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    console.log(`DeepMAD ${pkg.version}: starting Node-RED (user directory ${userDir})`);
    console.log(fresh ? 'deploying the default IDS flow (tab "DeepMAD IDS: replay" replays a SYN flood capture, 200 SYNs from 192.0.2.10 to 198.51.100.5:443, 6 s after start)' : 'keeping your flows (deepmad start --reset-flows restores the default IDS flow)');

    // -D overrides settings.js so --port/--host win over an older settings file.
    const child = spawn(process.execPath, [redJs, '-u', userDir, '-s', settingsFile, '-D', `uiPort=${port}`, '-D', `uiHost=${host}`], {
      cwd: userDir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
    });
    let started = false;
    let alertLine = '';
    const onLine = (line: string, err: boolean) => {
      (err ? process.stderr : process.stdout).write(`${line}\n`);
      if (!started && /Started flows/.test(line)) {
        started = true;
        console.log(`\n  DeepMAD is running. Editor: ${url}\n  Alert log (Suricata EVE JSON lines): ${alertLog}\n  Embedded MQTT broker: mqtt://127.0.0.1:${mqttPort} (topics deepmad/alerts/<severity>/<class>)\n  Ctrl-C to stop.\n`);
        if (a.flags.has('open') || (!a.flags.has('no-open') && process.env.DISPLAY && process.stdout.isTTY)) openBrowser(url);
      }
      const m = /alerts: (\d+) records for (\d+) malicious flows so far(?:, log (.*))?$/.exec(line);
      if (m && line !== alertLine) {
        alertLine = line;
        console.log(`\n  DeepMAD: ${m[2]} malicious flows raised ${m[1]} alert records${m[3] ? ` → ${m[3]}` : ''}\n`);
      }
    };
    for (const [stream, isErr] of [[child.stdout!, false], [child.stderr!, true]] as const) {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => {
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) { onLine(buf.slice(0, nl), isErr); buf = buf.slice(nl + 1); }
      });
    }
    let signals = 0;
    const forward = (sig: NodeJS.Signals) => {
      signals++;
      // Node-RED stops its flows on SIGINT (alert windows are written out); a second Ctrl-C kills it.
      child.kill(signals > 1 ? 'SIGKILL' : 'SIGINT');
      if (signals === 1) console.log(`\nstopping Node-RED (${sig}); Ctrl-C again to kill`);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const code = await new Promise<number>((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 0 : 1))));
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    if (fs.existsSync(alertLog)) {
      const n = fs.readFileSync(alertLog, 'utf8').split('\n').filter(Boolean).length;
      console.log(`alert log ${alertLog}: ${n} records`);
    }
    return signals > 0 ? 0 : code;
  },
};

function openBrowser(url: string): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => console.log(`(open ${url} in your browser)`));
  child.unref();
}
