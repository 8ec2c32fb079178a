/**
 * Real sinks for alert tests: an in-process SMTP server (smtp-server + mailparser) and a mosquitto
 * child process on a free loopback port with a temporary config.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

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

export interface ReceivedMail { from: string; to: string[]; subject: string; text: string; html: string }

export async function startSmtp(user = 'ids', pass = 'secret'): Promise<{ port: number; mails: ReceivedMail[]; waitFor(n: number, ms?: number): Promise<ReceivedMail[]>; close(): Promise<void> }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { SMTPServer } = require('smtp-server');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { simpleParser } = require('mailparser');
  const mails: ReceivedMail[] = [];
  const waiters: Array<() => void> = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth: any, _s: unknown, cb: (e: Error | null, r?: unknown) => void) {
      if (auth.username === user && auth.password === pass) cb(null, { user });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream: NodeJS.ReadableStream, session: any, cb: (e?: Error | null) => void) {
      simpleParser(stream).then((m: any) => {
        mails.push({
          from: session.envelope.mailFrom?.address ?? '', to: session.envelope.rcptTo.map((r: any) => r.address),
          subject: m.subject ?? '', text: m.text ?? '', html: typeof m.html === 'string' ? m.html : '',
        });
        for (const w of waiters.splice(0)) w();
        cb();
      }, cb);
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = server.server.address().port as number;
  return {
    port,
    mails,
    waitFor(n, ms = 20000) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${n} mails, got ${mails.length}`)), ms);
        const check = () => { if (mails.length >= n) { clearTimeout(t); resolve(mails); } else waiters.push(check); };
        check();
      });
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export function mosquittoPath(): string | undefined {
  for (const p of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto']) if (fs.existsSync(p)) return p;
  const r = spawnSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/** mosquitto 2.x on a free loopback port: anonymous allowed, no persistence. */
export async function startMosquitto(): Promise<{ port: number; url: string; stop(): Promise<void> }> {
  const bin = mosquittoPath();
  if (!bin) throw new Error('mosquitto is not installed');
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-mosq-'));
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const child: ChildProcess = spawn(bin, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // Ready when the port accepts connections.
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); r(true); });
      s.once('error', () => r(false));
    });
    if (ok) break;
    if (child.exitCode !== null) throw new Error(`mosquitto exited: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Subscribe with mqtt.js and collect messages (payload parsed as JSON when it is JSON). */
export async function subscribe(url: string, filter: string): Promise<{ msgs: Array<{ topic: string; payload: any; retain: boolean }>; waitFor(pred: (m: Array<{ topic: string; payload: any }>) => boolean, ms?: number): Promise<void>; end(): Promise<void> }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mqtt = require('mqtt');
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, clientId: `deepmad-test-${process.pid}-${Math.random().toString(16).slice(2)}` });
  const msgs: Array<{ topic: string; payload: any; retain: boolean }> = [];
  const waiters: Array<() => void> = [];
  client.on('message', (topic: string, buf: Buffer, packet: any) => {
    let payload: any = buf.toString();
    try { payload = JSON.parse(payload); } catch { /* plain text */ }
    msgs.push({ topic, payload, retain: !!packet.retain });
    for (const w of waiters.splice(0)) w();
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return {
    msgs,
    waitFor(pred, ms = 20000) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out on MQTT ${filter}; got ${msgs.length}: ${msgs.slice(-3).map((m) => m.topic).join(', ')}`)), ms);
        const check = () => { if (pred(msgs)) { clearTimeout(t); resolve(); } else waiters.push(check); };
        check();
      });
    },
    end: () => client.endAsync(),
  };
}
