/**
 * Traffic lab: generates labelled training traffic between two network namespaces joined by a veth
 * pair (10.77.0.1 server ↔ 10.77.0.2.. clients, 10.77.0.66 attacker), captures it with dumpcap,
 * meters it with our flow meter and writes labelled flows (improved profile CSV). Nothing leaves the
 * machine. Needs root, `ip`, `mount`, `dumpcap`, `ethtool` (segmentation offload off, so packets are
 * wire-sized), `openssl`, OpenSSH (`sshd`, `ssh`, `ssh-keygen`: Debian openssh-server) for the ssh
 * scenarios and `hping3` (Debian hping3) for udpflood. Usage (from the repo root, after
 * `npm run build`); what models/training/lab-flows.csv is made with:
 *
 *   node dist/lib/ml/traffic/lab.js run --out /tmp/lab --seconds 30 --seed 1,2 --only default --max-per-scenario 250
 *
 * (--only a,b reruns some scenarios, with the same per-scenario seeds; --merge old.csv keeps the
 * other scenarios' rows; --reuse-pcaps meters the captures already in --out again without traffic.
 * The committed CSV is the last: captures of one full run plus reruns of the scenarios fixed after
 * it, metered together.)
 *
 * Internally the same file is the server (`serve`) and the client (`client <scenario>`), started
 * inside the namespaces with `ip netns exec`. Scenarios are generic behaviours (web browsing, TLS,
 * DNS-like lookups, interactive and bulk sessions, password logins, scans, floods, slow HTTP, web-app
 * attacks, Heartbleed probes, VNC guessing; see lab-attacks.ts), never replays of the evaluation
 * captures. An interrupted run leaves namespaces behind: `ip netns del dmlab-srv; ip netns del dmlab-cli`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Random } from '../random.js';
import type { FlowObject } from '../../flow/output.js';

import { ASKPASS_SCRIPT, ATTACK_MODULE_SCENARIOS, runAttackModuleScenario, sshAlgorithmOptions } from './lab-attacks.js';
import { ATTACKER_IP, CLIENT_IPS, CLI_NS, SRV_IP, SRV_NS, TLS_PATCHED_IP, TLS_VULNERABLE_IP } from './lab-net.js';
import { LAB_SSH_PASSWORD, LAB_SSH_USER, startRfbResponder, startTlsResponder, webAppHandler } from './lab-services.js';
import { pemToDer } from './tls-records.js';

/** Scenario → label. Benign behaviours first. */
export const SCENARIOS: Record<string, string> = {
  web: 'BENIGN', tls: 'BENIGN', dns: 'BENIGN', interactive: 'BENIGN', bulk: 'BENIGN', udpstream: 'BENIGN', misc: 'BENIGN', ssh: 'BENIGN',
  portscan: 'Portscan', sshbrute: 'SSH-Patator', connflood: 'DDoS', httpflood: 'DoS Hulk', slowloris: 'DoS Slowloris', bruteforce: 'SSH-Patator',
  ...ATTACK_MODULE_SCENARIOS,
};

/**
 * Scenarios used for the default model. Left out: connflood/httpflood (each flow is an ordinary
 * HTTP exchange; only the volume is hostile, which a per-flow model cannot see), bruteforce (a toy
 * login protocol, not SSH) and sshguess/sshpass (OpenSSH password guessing and its benign twin: a
 * failed password login and a successful one with little output differ by a few packets, so with
 * them the model flagged a benign session of zeek_ssh_many-sessions.pcap and still caught only 1 of
 * the 11 sessions of zeek_ssh_sshguess.pcap; the key-based sshbrute stays).
 */
export const DEFAULT_MODEL_SCENARIOS = ['web', 'tls', 'dns', 'interactive', 'bulk', 'udpstream', 'misc', 'ssh', 'datagrams', 'webapp', 'tlsapp', 'vnc',
  'portscan', 'slowloris', 'sshbrute', 'udpflood', 'webbrute', 'sqli', 'xss', 'heartbleed', 'vncscan', 'synflood'];

/** Fixed order that numbers the scenarios' seeds (never reorder: the committed lab flows were generated with it). */
const SEED_ORDER = ['web', 'tls', 'dns', 'interactive', 'bulk', 'udpstream', 'misc', 'ssh', 'datagrams', 'sshpass', 'webapp', 'tlsapp', 'vnc',
  'portscan', 'slowloris', 'sshbrute', 'udpflood', 'sshguess', 'webbrute', 'sqli', 'xss', 'heartbleed', 'vncscan', 'synflood'];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- server (inside SRV_NS)

async function serve(certDir: string): Promise<void> {
  // a real OpenSSH server for the ssh / sshbrute scenarios (config and keys in the private temp dir)
  fs.mkdirSync('/run/sshd', { recursive: true });
  // the lab user for password logins exists only in this process's mount namespace (`ip netns exec`
  // gives each command its own): passwd/shadow copies with the lab user are bind-mounted over /etc
  execFileSync('mount', ['--bind', path.join(certDir, 'passwd'), '/etc/passwd']);
  execFileSync('mount', ['--bind', path.join(certDir, 'shadow'), '/etc/shadow']);
  const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', path.join(certDir, 'sshd_config')], { stdio: 'ignore' });
  process.on('SIGTERM', () => { sshd.kill(); process.exit(0); });
  const body = (n: number): Buffer => Buffer.alloc(n, 0x61);
  const webApp = webAppHandler();
  const handler: http.RequestListener = (req, res) => {
    if (webApp(req, res)) return;
    const m = /size=(\d+)/.exec(req.url ?? '');
    const size = m ? Math.min(Number(m[1]), 4 << 20) : 512;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': size });
    res.end(body(size));
  };
  http.createServer(handler).listen(80, SRV_IP);
  https.createServer({ key: fs.readFileSync(path.join(certDir, 'key.pem')), cert: fs.readFileSync(path.join(certDir, 'cert.pem')) }, handler).listen(443, SRV_IP);
  // line-oriented services: answer every line with a reply of the size it asks for (interactive / bulk / login)
  const lineServer = (port: number, banner: string): void => {
    net.createServer((s) => {
      s.on('error', () => undefined);
      s.write(banner);
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString('latin1');
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          const n = Number(/^(\d+)/.exec(line)?.[1] ?? 32);
          if (line.startsWith('QUIT')) { s.end('bye\n'); return; }
          s.write(body(Math.min(n, 8 << 20)));
          s.write('\n');
        }
      });
    }).listen(port, SRV_IP);
  };
  // synthetic line protocols stay off the well-known SSH/FTP ports: a fake service on port 22 would
  // teach the model that SSH looks like this toy protocol
  lineServer(2222, 'LAB-LINE 1.0\r\n');
  lineServer(2121, '220 lab ready\r\n');
  lineServer(8080, '');
  for (const port of [53, 123, 4433]) {
    const u = dgram.createSocket('udp4');
    u.on('message', (msg, rinfo) => {
      const n = port === 53 ? 40 + (msg.length * 3) % 200 : port === 123 ? 48 : Math.min(1350, msg.length * 4);
      u.send(body(n), rinfo.port, rinfo.address);
    });
    u.bind(port, SRV_IP);
  }
  // record-level TLS responders for the heartbeat scenarios (one emulating a Heartbleed-vulnerable
  // OpenSSL, one patched) and a VNC server
  const certDer = pemToDer(fs.readFileSync(path.join(certDir, 'cert.pem'), 'utf8'));
  startTlsResponder(TLS_VULNERABLE_IP, 443, true, certDer, 11);
  startTlsResponder(TLS_PATCHED_IP, 443, false, certDer, 12);
  startRfbResponder(SRV_IP, 5900, 13);
  await new Promise(() => undefined); // until killed
}

// ---------------------------------------------------------------- clients (inside CLI_NS)

function tcpSession(local: string, port: number, steps: Array<{ send: number; wait: number; expect?: boolean }>, quit = true): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ host: SRV_IP, port, localAddress: local });
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    s.on('data', () => undefined);
    s.on('connect', async () => {
      for (const st of steps) {
        await sleep(st.wait);
        if (s.destroyed) return;
        s.write(`${st.send}\n`);
      }
      await sleep(50);
      if (quit) s.end('QUIT\n');
      else s.end();
    });
  });
}

function httpGet(mod: typeof http | typeof https, local: string, agent: http.Agent, size: number): Promise<void> {
  return new Promise((resolve) => {
    const req = mod.get({ host: SRV_IP, port: mod === https ? 443 : 80, path: `/obj?size=${size}`, localAddress: local, agent, rejectUnauthorized: false } as https.RequestOptions, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve());
      res.on('error', () => resolve());
    });
    req.on('error', () => resolve());
  });
}

function udpExchange(local: string, port: number, sizes: number[], gapMs: number): Promise<void> {
  return new Promise((resolve) => {
    const u = dgram.createSocket('udp4');
    u.on('error', () => { u.close(); resolve(); });
    u.bind(0, local, async () => {
      for (const n of sizes) {
        u.send(Buffer.alloc(n, 0x62), port, SRV_IP);
        await sleep(gapMs);
      }
      await sleep(100);
      u.close();
      resolve();
    });
  });
}

/** One run of the real OpenSSH client (`ssh -b <local>`), resolving when it exits. */
function sshRun(rng: Random, keyDir: string, local: string, args: string[], goodKey: boolean): Promise<void> {
  return new Promise((resolve) => {
    const p = spawn('ssh', ['-b', local, '-p', '22', '-i', path.join(keyDir, goodKey ? 'client' : 'wrong'), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no',
      '-o', `UserKnownHostsFile=${path.join(keyDir, 'known_hosts')}`, '-o', 'ConnectTimeout=5', '-o', 'IdentitiesOnly=yes', ...sshAlgorithmOptions(rng), `root@${SRV_IP}`, ...args], { stdio: 'ignore' });
    p.on('exit', () => resolve());
    p.on('error', () => resolve());
  });
}

async function client(scenario: string, seconds: number, seed: number, keyDir = ''): Promise<void> {
  const rng = new Random(seed);
  const end = Date.now() + seconds * 1000;
  const pick = <T>(a: T[]): T => a[rng.int(a.length)];
  const size = (): number => Math.round(Math.exp(5 + rng.next() * 9)); // ~150 B … 1.2 MB, log-uniform
  const workers = (n: number, fn: (w: number) => Promise<void>): Promise<void[]> => Promise.all(Array.from({ length: n }, (_, w) => fn(w)));
  const loop = async (fn: () => Promise<void>, pauseMs: () => number): Promise<void> => {
    while (Date.now() < end) { await fn(); await sleep(pauseMs()); }
  };
  if (await runAttackModuleScenario(scenario, { rng, end, keyDir, workers, loop })) return;
  switch (scenario) {
    case 'web':
      await workers(4, (w) => loop(async () => {
        const agent = new http.Agent({ keepAlive: rng.next() < 0.7, maxSockets: 2 });
        const n = 1 + rng.int(8);
        for (let i = 0; i < n; i++) { await httpGet(http, CLIENT_IPS[w], agent, size()); await sleep(rng.int(400)); }
        agent.destroy();
      }, () => 100 + rng.int(1500)));
      break;
    case 'tls':
      await workers(3, (w) => loop(async () => {
        const agent = new https.Agent({ keepAlive: rng.next() < 0.8, maxSockets: 2 });
        const n = 1 + rng.int(6);
        for (let i = 0; i < n; i++) { await httpGet(https, CLIENT_IPS[w], agent, size()); await sleep(rng.int(600)); }
        agent.destroy();
      }, () => 200 + rng.int(2000)));
      break;
    case 'dns':
      await workers(4, (w) => loop(() => udpExchange(CLIENT_IPS[w], rng.next() < 0.85 ? 53 : 123, [20 + rng.int(60)], 10), () => 20 + rng.int(400)));
      break;
    case 'interactive':
      await workers(3, (w) => loop(() => tcpSession(CLIENT_IPS[w], pick([2222, 2222, 8080]), Array.from({ length: 5 + rng.int(60) }, () => ({ send: 16 + rng.int(200), wait: rng.int(rng.next() < 0.1 ? 3000 : 400) }))), () => 200 + rng.int(1000)));
      break;
    case 'bulk':
      await workers(2, (w) => loop(() => tcpSession(CLIENT_IPS[w], pick([2121, 2222, 8080]), Array.from({ length: 1 + rng.int(4) }, () => ({ send: size() * 4, wait: rng.int(300) }))), () => 300 + rng.int(2000)));
      break;
    case 'udpstream':
      await workers(2, (w) => loop(() => udpExchange(CLIENT_IPS[w], 4433, Array.from({ length: 10 + rng.int(150) }, () => 60 + rng.int(1200)), 5 + rng.int(40)), () => 300 + rng.int(2000)));
      break;
    case 'misc':
      // one-way datagrams (service discovery, syslog-like) and short request/response TCP exchanges.
      // (A refused connection is left out: as a single flow it is indistinguishable from a scan probe.)
      await workers(2, (w) => loop(async () => {
        if (rng.next() < 0.5) await tcpSession(CLIENT_IPS[w], 8080, [{ send: 40 + rng.int(400), wait: rng.int(50) }]);
        else await udpExchange(CLIENT_IPS[w], 5353 + rng.int(3), [40 + rng.int(300)], 1);
      }, () => 200 + rng.int(1500)));
      break;
    case 'ssh':
      // real OpenSSH sessions: short commands, output of varied size, some idle time
      await workers(3, (w) => loop(() => sshRun(rng, keyDir, CLIENT_IPS[w], [`head -c ${size()} /dev/zero; sleep ${(rng.int(30) / 10).toFixed(1)}; echo done`], true), () => 300 + rng.int(3000)));
      break;
    // ---- attacks, all from ATTACKER_IP
    case 'sshbrute':
      // password-guessing style: many short OpenSSH logins that fail authentication
      await workers(4, () => loop(() => sshRun(rng, keyDir, ATTACKER_IP, ['true'], false), () => rng.int(300)));
      break;
    case 'portscan': {
      const ports = Array.from({ length: 1024 }, (_, i) => i + 1);
      rng.shuffle(ports);
      await workers(8, async (w) => {
        for (let i = w; i < ports.length && Date.now() < end; i += 8) {
          await new Promise<void>((r) => {
            const s = net.connect({ host: SRV_IP, port: ports[i], localAddress: ATTACKER_IP });
            s.setTimeout(500, () => { s.destroy(); r(); });
            s.on('error', () => r());
            s.on('connect', () => { s.destroy(); r(); });
          });
        }
      });
      break;
    }
    case 'connflood':
      await workers(16, () => loop(() => new Promise<void>((r) => {
        const s = net.connect({ host: SRV_IP, port: 80, localAddress: ATTACKER_IP });
        s.on('error', () => r());
        s.on('connect', () => { s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'); s.destroy(); r(); });
      }), () => 0));
      break;
    case 'httpflood':
      await workers(8, () => loop(() => httpGet(http, ATTACKER_IP, new http.Agent({ keepAlive: false }), 200 + rng.int(3000)), () => rng.int(20)));
      break;
    case 'slowloris':
      await workers(40, () => new Promise<void>((resolve) => {
        const s = net.connect({ host: SRV_IP, port: 80, localAddress: ATTACKER_IP });
        s.on('error', () => resolve());
        s.on('close', () => resolve());
        s.on('connect', async () => {
          s.write('GET /?size=100 HTTP/1.1\r\nHost: lab\r\n');
          while (Date.now() < end && !s.destroyed) { await sleep(2000 + rng.int(8000)); s.write(`X-a: ${rng.int(5000)}\r\n`); }
          s.destroy();
        });
      }));
      break;
    case 'bruteforce':
      await workers(4, () => loop(() => tcpSession(ATTACKER_IP, pick([2222, 2121]), Array.from({ length: 2 + rng.int(3) }, () => ({ send: 20 + rng.int(40), wait: 20 + rng.int(150) }))), () => rng.int(200)));
      break;
    default:
      throw new Error(`unknown scenario ${scenario}`);
  }
}

// ---------------------------------------------------------------- orchestration (root namespace)

function sh(cmd: string, args: string[], allowFail = false): void {
  try { execFileSync(cmd, args, { stdio: 'pipe' }); } catch (err) { if (!allowFail) throw new Error(`${cmd} ${args.join(' ')}: ${(err as Error).message}`); }
}

function setupNetwork(): void {
  teardownNetwork();
  sh('ip', ['netns', 'add', SRV_NS]);
  sh('ip', ['netns', 'add', CLI_NS]);
  sh('ip', ['link', 'add', 'dmlab0', 'type', 'veth', 'peer', 'name', 'dmlab1']);
  sh('ip', ['link', 'set', 'dmlab0', 'netns', SRV_NS]);
  sh('ip', ['link', 'set', 'dmlab1', 'netns', CLI_NS]);
  for (const ip of [SRV_IP, TLS_VULNERABLE_IP, TLS_PATCHED_IP]) sh('ip', ['-n', SRV_NS, 'addr', 'add', `${ip}/24`, 'dev', 'dmlab0']);
  for (const ip of [...CLIENT_IPS, ATTACKER_IP]) sh('ip', ['-n', CLI_NS, 'addr', 'add', `${ip}/24`, 'dev', 'dmlab1']);
  for (const [ns, dev] of [[SRV_NS, 'dmlab0'], [CLI_NS, 'dmlab1']]) {
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    // segmentation offload would hand dumpcap 64 KB super-segments; cap segments at one MTU like a wire
    sh('ip', ['netns', 'exec', ns, 'ethtool', '-K', dev, 'tso', 'off', 'gso', 'off', 'gro', 'off', 'tx', 'off'], true);
  }
}

function teardownNetwork(): void {
  sh('ip', ['netns', 'del', SRV_NS], true);
  sh('ip', ['netns', 'del', CLI_NS], true);
}

function stop(p: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((r) => { if (p.exitCode !== null) { r(); return; } p.once('exit', () => r()); p.kill(signal); });
}

/** The client's seed for a scenario: the same whether it runs in a full run or alone (--only), so runs can be merged. */
export function scenarioSeed(seed: number, scenario: string): number {
  const i = SEED_ORDER.indexOf(scenario);
  return seed * 100 + (i >= 0 ? i : 50 + Object.keys(SCENARIOS).indexOf(scenario));
}

/** Keeps at most `max` items, evenly spaced (deterministic), so no scenario swamps the others. */
export function capEvenly<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  return Array.from({ length: max }, (_, i) => items[Math.floor((i * items.length) / max)]);
}

/** Private temp dir with the TLS certificate, ssh keys, sshd config, lab user files and the askpass helper. */
function prepareLabFiles(): string {
  const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dmlab-cert-'));
  sh('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(certDir, 'key.pem'), '-out', path.join(certDir, 'cert.pem'), '-days', '2', '-subj', '/CN=lab']);
  for (const k of ['host', 'client', 'wrong']) sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(certDir, k)]);
  fs.copyFileSync(path.join(certDir, 'client.pub'), path.join(certDir, 'authorized_keys'));
  fs.writeFileSync(path.join(certDir, 'sshd_config'), [
    `ListenAddress ${SRV_IP}`, 'Port 22', `HostKey ${path.join(certDir, 'host')}`, `PidFile ${path.join(certDir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${path.join(certDir, 'authorized_keys')}`, 'PasswordAuthentication yes', 'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes', 'PermitRootLogin prohibit-password', 'StrictModes no', 'UsePAM no', 'MaxStartups 200', 'MaxAuthTries 6', 'LogLevel ERROR',
  ].join('\n') + '\n');
  // password logins: a lab user (home = this temp dir) in copies of passwd/shadow that only the
  // server process mounts; the shadow copy holds nothing but the lab user's hash
  const hash = execFileSync('openssl', ['passwd', '-6', '-salt', 'dmlabsalt', LAB_SSH_PASSWORD], { encoding: 'utf8' }).trim();
  fs.writeFileSync(path.join(certDir, 'passwd'), `${fs.readFileSync('/etc/passwd', 'utf8').trimEnd()}\n${LAB_SSH_USER}:x:4242:4242:traffic lab:${certDir}:/bin/sh\n`);
  // root stays (password '*': none) so the key-based ssh scenarios can log in: sshd treats an account without a shadow entry as locked
  fs.writeFileSync(path.join(certDir, 'shadow'), `root:*:19000:0:99999:7:::\n${LAB_SSH_USER}:${hash}:19000:0:99999:7:::\n`, { mode: 0o640 });
  fs.writeFileSync(path.join(certDir, 'askpass.sh'), ASKPASS_SCRIPT, { mode: 0o755 });
  fs.chmodSync(certDir, 0o755); // the lab user's shell starts in its home
  return certDir;
}

/**
 * Benign flows as captures started in the middle of the traffic see them: the pcap cut at `cuts`
 * seeded points, each part metered again, keeping the TCP flows that began before the cut (no SYN) —
 * one-packet remnants and handshake-less connections that every real capture holds at its start.
 */
async function midstreamFlows(pcap: string, seed: number, cuts = 6): Promise<FlowObject[]> {
  const { meterCapture } = await import('../capture-flows.js');
  const [, first, last] = execFileSync('capinfos', ['-S', '-a', '-e', '-T', '-r', pcap], { encoding: 'utf8' }).trim().split('\t').map(Number);
  if (!(last > first)) return [];
  const rng = new Random(seed);
  const out: FlowObject[] = [];
  const part = `${pcap}.cut.pcap`;
  try {
    for (let c = 0; c < cuts; c++) {
      const cut = first + ((c + 0.2 + rng.next() * 0.6) / cuts) * (last - first);
      execFileSync('editcap', ['-A', cut.toFixed(6), pcap, part]);
      out.push(...(await meterCapture(part, 'improved')).filter((f) => Number(f.Protocol) === 6 && Number(f['SYN Flag Count']) === 0));
    }
  } finally {
    fs.rmSync(part, { force: true });
  }
  return out;
}

async function run(outDir: string, seconds: number, seeds: number[], only: string[], maxPerScenario: number, mergeFrom: string, reusePcaps: boolean): Promise<void> {
  if (process.getuid?.() !== 0 && !reusePcaps) throw new Error('the traffic lab needs root (network namespaces)');
  fs.mkdirSync(outDir, { recursive: true });
  const certDir = reusePcaps ? '' : prepareLabFiles();
  if (!reusePcaps) setupNetwork();
  const self = __filename;
  const { meterCapture } = await import('../capture-flows.js');
  const rows: string[] = [];
  let header: string[] | null = null;
  const toRow = (f: FlowObject, label: string, sc: string): string =>
    [...header!.map((h) => String(f[h] ?? '')), label, sc].map((v) => (/[",]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(',');
  try {
    const server = reusePcaps ? null : spawn('ip', ['netns', 'exec', SRV_NS, process.execPath, self, 'serve', certDir], { stdio: 'inherit' });
    await sleep(reusePcaps ? 0 : 800);
    const scenarios = only.length === 1 && only[0] === 'default' ? DEFAULT_MODEL_SCENARIOS : only.length ? only : Object.keys(SCENARIOS);
    for (const seed of seeds) {
      for (const sc of scenarios) {
        const pcap = path.join(outDir, `${sc}-seed${seed}.pcap`);
        if (!reusePcaps) {
          const cap = spawn('ip', ['netns', 'exec', SRV_NS, 'dumpcap', '-q', '-P', '-i', 'dmlab0', '-w', pcap], { stdio: 'ignore' });
          await sleep(1000);
          execFileSync('ip', ['netns', 'exec', CLI_NS, process.execPath, self, 'client', sc, String(seconds), String(scenarioSeed(seed, sc)), certDir], { stdio: 'inherit' });
          await sleep(1500);
          await stop(cap, 'SIGINT');
        }
        const flows = await meterCapture(pcap, 'improved');
        header ??= Object.keys(flows[0] ?? {}).filter((h) => h !== 'Label');
        const label = SCENARIOS[sc];
        // attacks come only from ATTACKER_IP (either direction) or from spoofed IPv4 sources outside the
        // lab subnet; anything else in an attack run is left out, and so are ICMP flows there (the
        // victim's port-unreachable replies, not attacker behaviour)
        const attackerFlow = (f: FlowObject): boolean => f['Src IP'] === ATTACKER_IP || f['Dst IP'] === ATTACKER_IP || (/^\d+\.\d+\.\d+\.\d+$/.test(String(f['Src IP'])) && !String(f['Src IP']).startsWith('10.77.0.'));
        const kept = label === 'BENIGN' ? flows : flows.filter((f) => attackerFlow(f) && Number(f.Protocol) !== 1);
        const capped = capEvenly(kept, maxPerScenario);
        for (const f of capped) rows.push(toRow(f, label, sc));
        const mid = label === 'BENIGN' ? capEvenly(await midstreamFlows(pcap, scenarioSeed(seed, sc)), Math.ceil(maxPerScenario / 2)) : [];
        for (const f of mid) rows.push(toRow(f, label, `${sc}+midstream`));
        console.log(`seed ${seed} ${sc}: ${flows.length} flows, ${kept.length} labelled ${label}, ${capped.length} kept${mid.length ? `, ${mid.length} mid-stream` : ''}`);
      }
    }
    if (server) await stop(server);
  } finally {
    if (!reusePcaps) {
      teardownNetwork();
      fs.rmSync(certDir, { recursive: true, force: true });
    }
  }
  if (mergeFrom) {
    // keep the earlier run's rows of every scenario not rerun now (its last column is the scenario)
    const rerun = new Set(rows.map((r) => r.slice(r.lastIndexOf(',') + 1)));
    const old = fs.readFileSync(mergeFrom, 'utf8').split('\n').slice(1).filter((l) => l && !rerun.has(l.slice(l.lastIndexOf(',') + 1)));
    rows.unshift(...old);
  }
  fs.writeFileSync(path.join(outDir, 'lab-flows.csv'), `${[...(header ?? []), 'Label', 'Scenario'].join(',')}\n${rows.join('\n')}\n`);
  console.log(`wrote ${rows.length} labelled flows to ${path.join(outDir, 'lab-flows.csv')}`);
}

if (require.main === module) {
  const [mode, ...rest] = process.argv.slice(2);
  const opt = (name: string, d: string): string => { const i = rest.indexOf(`--${name}`); return i >= 0 ? rest[i + 1] : d; };
  const main = async (): Promise<void> => {
    if (mode === 'serve') return serve(rest[0]);
    if (mode === 'client') return client(rest[0], Number(rest[1]), Number(rest[2]), rest[3]);
    if (mode === 'run') return run(opt('out', 'models/training/lab'), Number(opt('seconds', '20')), opt('seed', '1').split(',').map(Number), opt('only', '').split(',').filter(Boolean), Number(opt('max-per-scenario', '2500')), opt('merge', ''), rest.includes('--reuse-pcaps'));
    console.error('usage: lab.js run --out DIR [--seconds 20] [--seed 1[,2…]] [--only a,b | --only default] [--max-per-scenario N] [--merge earlier-lab-flows.csv] [--reuse-pcaps]');
    process.exitCode = 2;
  };
  main().catch((err: unknown) => { console.error(`lab: ${(err as Error).message}`); process.exitCode = 1; });
}
