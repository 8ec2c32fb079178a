/**
 * The main job end to end through a real Node-RED runtime: `deepmad start` (the built CLI, as
 * `npm start` runs it) deploys the default IDS flow, which replays the bundled SYN flood capture
 * (examples/captures/syn-flood.pcap) through pcap in → flow meter → classifier (default model) → alert.
 * The attacker's address shows up in the EVE log, on the flow's embedded MQTT broker, and, once an
 * e-mail node is wired to the digest output, in a real SMTP server.
 *
 * Counts are the capture's, not the model's: its 200 flows are identical in every model feature, so a
 * model that flags the flood flags all 200 with one class, and the alert node's aggregation makes exactly
 * two records per replay (the first flow at once, the other 199 when the capture ends). Only the class
 * name (today Portscan) and its severity are left to the shipped model.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startSmtp, subscribe } from './sinks.js';

const root = path.join(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'bin', 'deepmad.js');
const hasDefaultModel = fs.existsSync(path.join(root, 'models', 'deepmad-default.onnx'));
const ATTACKER = '192.0.2.10';
const TARGET = '198.51.100.5';
const FLOWS = 200;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(probe: () => T | undefined | false, what: string, ms = 30000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
const readLog = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

describe('deepmad start (main job)', { skip: !hasDefaultModel && 'models/deepmad-default.onnx not present' }, () => {
  let child: ChildProcess;
  let out = '';
  let userDir: string;
  let port: number;
  let mqttPort: number;
  let exited: Promise<number | null>;
  const api = async (method: string, p: string, reqBody?: unknown): Promise<{ status: number; body: any }> => {
    const r = await fetch(`http://127.0.0.1:${port}${p}`, {
      method, headers: { 'content-type': 'application/json', 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' },
      body: reqBody === undefined ? undefined : JSON.stringify(reqBody),
    });
    const text = await r.text();
    let body: any;
    try { body = text ? JSON.parse(text) : undefined; } catch { body = text; }
    return { status: r.status, body };
  };

  before(async () => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-start-'));
    port = await freePort();
    mqttPort = await freePort();
    child = spawn(process.execPath, [cli, 'start', '--user-dir', userDir, '--port', String(port), '--mqtt-port', String(mqttPort), '--no-open'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => { out += d; });
    child.stderr!.on('data', (d) => { out += d; });
    exited = new Promise((r) => child.on('exit', (c) => r(c)));
    await until(() => /DeepMAD is running/.test(out), 'Node-RED to start');
  });
  after(async () => {
    if (child.exitCode === null) { child.kill('SIGKILL'); await exited; }
    if (!process.env.DEEPMAD_KEEP_USERDIR) fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('deploys the default flow, replays the attack and logs EVE alerts naming the attacker', async () => {
    assert.match(out, new RegExp(`Editor: http://127\\.0\\.0\\.1:${port}`));
    assert.match(out, new RegExp(`Alert log \\(Suricata EVE JSON lines\\): ${userDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/alerts\\.jsonl`));
    const flows = (await api('GET', '/flows')).body.flows as Array<Record<string, any>>;
    assert.deepEqual(flows.filter((n) => n.type === 'tab').map((n) => n.label), ['DeepMAD IDS: replay', 'DeepMAD IDS: live']);
    const log = path.join(userDir, 'alerts.jsonl');
    const recs = await until(() => { const r = readLog(log); return r.reduce((s, x) => s + x.deepmad.count, 0) === FLOWS && r; }, `${FLOWS} alerted flows in the log`);
    // one key (attacker, target, class): the first flow at once, the other 199 as one aggregate
    assert.deepEqual(recs.map((r) => r.deepmad.count), [1, FLOWS - 1]);
    for (const r of recs) {
      assert.equal(r.event_type, 'alert');
      assert.equal(r.src_ip, ATTACKER);
      assert.equal(r.dest_ip, TARGET);
      assert.equal(r.dest_port, 443);
      assert.equal(r.proto, 'TCP');
      // The class name depends on the shipped model (today: Portscan); the attacker must not.
      assert.match(r.alert.signature, /^DeepMAD ML \S/);
      assert.equal(r.alert.signature, recs[0].alert.signature);
      assert.ok(r.alert.model.length > 0);
    }
    await until(() => new RegExp(`DeepMAD: ${FLOWS} malicious flows raised 2 alert records → .*alerts\\.jsonl`).test(out), 'the console alert summary');
    assert.equal(/\[error\]/.test(out), false, out);
  });

  it('publishes the alerts on the embedded MQTT broker when the capture is replayed', async () => {
    const sub = await subscribe(`mqtt://127.0.0.1:${mqttPort}`, 'deepmad/alerts/#');
    assert.equal((await api('POST', '/inject/dm-inj-replay')).status, 200);
    await sub.waitFor((m) => m.reduce((s, x) => s + x.payload.deepmad.count, 0) >= FLOWS, 30000);
    assert.deepEqual(sub.msgs.map((m) => m.payload.deepmad.count), [1, FLOWS - 1]);
    assert.ok(sub.msgs.every((m) => /^deepmad\/alerts\/(high|medium|low)\/[^/]+$/.test(m.topic) && m.payload.src_ip === ATTACKER && m.payload.dest_ip === TARGET));
    await sub.end();
  });

  it('sends the digest through node-red-node-email to a real SMTP server', async () => {
    const smtp = await startSmtp('ids@example.org', 'pw');
    try {
      const cur = await api('GET', '/flows');
      const flows = cur.body.flows as Array<Record<string, any>>;
      const alertNode = flows.find((n) => n.id === 'dm-alert')!;
      alertNode.emailTo = 'soc@example.org';
      alertNode.wires[2].push('e2e-mail');
      flows.push({ id: 'e2e-mail', type: 'e-mail', z: 'dm-tab-replay', name: '', server: '127.0.0.1', port: String(smtp.port), authtype: 'BASIC', secure: false, tls: false, x: 1200, y: 220, wires: [], credentials: { userid: 'ids@example.org', password: 'pw' } });
      // Replay on request instead of 6 s after the deploy.
      flows.find((n) => n.id === 'dm-inj-replay')!.once = false;
      assert.equal((await api('POST', '/flows', { flows, rev: cur.body.rev })).status, 200);
      await until(() => /Started flows/.test(out.slice(out.lastIndexOf('Stopping flows'))), 'redeploy');
      assert.equal((await api('POST', '/inject/dm-inj-replay')).status, 200);
      // The digest follows the end of the capture.
      const [mail] = await smtp.waitFor(1, 40000);
      assert.deepEqual(mail.to, ['soc@example.org']);
      assert.match(mail.subject, new RegExp(`^\\[DeepMAD\\] ${FLOWS} malicious flows \\(${FLOWS} (high|medium|low)\\)`));
      assert.match(mail.text, new RegExp(`${ATTACKER.replace(/\./g, '\\.')}: ${FLOWS}\\b`));
    } finally {
      await smtp.close();
    }
  });

  it('stops cleanly on Ctrl-C, with every log line whole', async () => {
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.match(out, /alert log .*alerts\.jsonl: \d+ records/);
    const text = fs.readFileSync(path.join(userDir, 'alerts.jsonl'), 'utf8');
    assert.ok(text.endsWith('\n'));
    assert.ok(readLog(path.join(userDir, 'alerts.jsonl')).every((r) => r.src_ip === ATTACKER));
  });
});
