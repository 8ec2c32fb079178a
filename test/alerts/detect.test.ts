/**
 * `deepmad detect` end to end as a user runs it: the built CLI as a child process on real captures,
 * with a trained model, writing EVE JSON lines and publishing to a real MQTT broker (aedes).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../lib/alerts/mqtt-broker.js';
import { subscribe } from './sinks.js';
import { tinyModel, SYN_FLOOD, SSH_GUESS, BENIGN } from './tiny-model.js';

const cli = path.join(__dirname, '..', '..', 'dist', 'bin', 'deepmad.js');
const run = promisify(execFile);
const lines = (f: string) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-detect-'));

describe('deepmad detect', () => {
  let model: string;
  let broker: EmbeddedBroker;
  before(async () => { model = await tinyModel(); broker = await startEmbeddedBroker({ port: 0 }); });
  after(async () => { await broker.close(); });

  it('finds the SYN flood source, writes EVE records and publishes them on MQTT', async () => {
    const dir = tmp();
    const alerts = path.join(dir, 'alerts.jsonl');
    const sub = await subscribe(broker.url, 'deepmad/#');
    const { stdout } = await run(process.execPath, [cli, 'detect', SYN_FLOOD, '--model', model, '--alerts', alerts, '--mqtt', broker.url, '--json']);
    const s = JSON.parse(stdout);
    assert.deepEqual(s, {
      source: SYN_FLOOD, packets: 200, flows: 200, maliciousFlows: 200, alertRecords: 2, byClass: { DoS: 200 },
      bySeverity: { high: 200, medium: 0, low: 0 }, topSources: [{ ip: '192.0.2.10', flows: 200 }], alertLog: alerts,
      mqtt: { url: broker.url, published: 2 }, model: 'alerts-test-forest',
    });
    const recs = lines(alerts);
    assert.deepEqual(recs.map((r) => [r.event_type, r.src_ip, r.dest_ip, r.dest_port, r.proto, r.alert.signature, r.alert.severity, r.deepmad.count]), [
      ['alert', '192.0.2.10', '198.51.100.5', 443, 'TCP', 'DeepMAD ML DoS', 1, 1],
      ['alert', '192.0.2.10', '198.51.100.5', 443, 'TCP', 'DeepMAD ML DoS', 1, 199],
    ]);
    await sub.waitFor((m) => m.length === 2);
    assert.deepEqual(sub.msgs.map((m) => [m.topic, m.payload.src_ip, m.payload.deepmad.count]), [
      ['deepmad/alerts/high/DoS', '192.0.2.10', 1], ['deepmad/alerts/high/DoS', '192.0.2.10', 199],
    ]);
    await sub.end();
  });

  it('reads a capture from stdin, appends to an existing log, and raises nothing on benign traffic', async () => {
    const dir = tmp();
    const alerts = path.join(dir, 'alerts.jsonl');
    const feed = (file: string, args: string[]) => new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [cli, 'detect', '-', '--model', model, '--alerts', alerts, '--window', '0', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
      fs.createReadStream(file).pipe(child.stdin);
    });
    const ssh = await feed(SSH_GUESS, []);
    assert.match(ssh, /^<stdin>: 431 packets, 11 flows, 11 malicious/m);
    assert.match(ssh, /by class: SSH-Patator 11/);
    assert.match(ssh, /top sources: 192\.168\.56\.1 \(11\)/);
    const benign = await feed(BENIGN[0], ['--json']);
    assert.equal(JSON.parse(benign).maliciousFlows, 0);
    const recs = lines(alerts);
    assert.equal(recs.length, 11);
    assert.ok(recs.every((r) => r.src_ip === '192.168.56.1' && r.dest_port === 22 && r.alert.severity === 2));
  });

  it('rejects bad arguments with a clear message', async () => {
    await assert.rejects(run(process.execPath, [cli, 'detect', '/nonexistent.pcap']), (e: any) => /no such capture file: \/nonexistent\.pcap/.test(e.stderr));
    await assert.rejects(run(process.execPath, [cli, 'detect', SYN_FLOOD, '--model', model, '--allowlist', '10.0.0.0/40']), (e: any) => /bad prefix length/.test(e.stderr));
    await assert.rejects(run(process.execPath, [cli, 'detect', SYN_FLOOD, '--model', model, '--mqtt', 'http://x']), (e: any) => /must start with mqtt:\/\//.test(e.stderr));
  });

  it('captures live on loopback through dumpcap until SIGINT, then flushes and summarises', { skip: !fs.existsSync('/usr/bin/dumpcap') && 'dumpcap not installed' }, async () => {
    const server = net.createServer((s) => s.end('hello\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const child = spawn(process.execPath, [cli, 'detect', '--live', 'lo', '--filter', `tcp port ${port}`, '--model', model, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    try {
      for (let i = 0; i < 200 && !/capturing on lo/.test(err); i++) await new Promise((r) => setTimeout(r, 50));
      assert.match(err, /capturing on lo/);
      for (let i = 0; i < 5; i++) {
        await new Promise<void>((resolve, reject) => {
          const c = net.connect(port, '127.0.0.1');
          c.on('data', () => undefined);
          c.on('end', () => { c.end(); resolve(); });
          c.on('error', reject);
        });
      }
      await new Promise((r) => setTimeout(r, 700)); // dumpcap's stream reaches the reader in ≤ 250 ms chunks
      child.kill('SIGINT');
      assert.equal(await exited, 0, err);
      const s = JSON.parse(out);
      assert.equal(s.source, 'iface:lo');
      assert.equal(s.flows, 5, `5 TCP connections → 5 flows flushed on Ctrl-C (${err})`);
      assert.ok(s.packets >= 5 * 8, `packets ${s.packets}`);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      server.close();
    }
  });
});
