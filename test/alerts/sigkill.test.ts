/**
 * SIGKILL in the middle of an alert stream through a real Node-RED runtime: every line of every
 * log file (rotated ones included) is complete JSON, and a restarted runtime appends to the same log.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NodeRedRuntime } from '../support/runtime.js';

// Generates 200 distinct malicious flows per message (window 0: one record each).
const gen = `
const n0 = context.get('n') || 0;
const flows = [];
for (let i = 0; i < 200; i++) {
  const n = n0 + i;
  flows.push({ 'Src IP': '10.' + ((n >> 16) & 255) + '.' + ((n >> 8) & 255) + '.' + (n & 255), 'Src Port': 40000 + (n % 20000),
    'Dst IP': '192.0.2.1', 'Dst Port': 80, Protocol: 6, Timestamp: 1700000000000000 + n, label: 'DDoS', confidence: 0.97, model: 'kill-test',
    pad: 'x'.repeat(300) });
}
context.set('n', n0 + 200);
msg.topic = 'deepmad/flows';
msg.payload = flows;
return msg;`;

function flow(logFile: string, repeat: string) {
  return [
    { id: 't1', type: 'tab', label: 'kill' },
    { id: 'inj', z: 't1', type: 'inject', repeat, once: repeat !== '', onceDelay: 0.1, topic: '', props: [{ p: 'payload' }], payload: '', payloadType: 'date', wires: [['gen']] },
    { id: 'gen', z: 't1', type: 'function', func: gen, outputs: 1, wires: [['al']] },
    { id: 'al', z: 't1', type: 'deepmad-alert', windowSec: 0, logFile, logMaxMB: 0.1, logKeep: 0, wires: [[], [], []] },
  ];
}

function readAll(dir: string): { files: string[]; recs: any[] } {
  const files = [...fs.readdirSync(dir).filter((f) => /^alerts\.jsonl\.\d{6}-/.test(f)).sort(), 'alerts.jsonl'];
  const recs: any[] = [];
  for (const f of files) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    if (text.length) assert.ok(text.endsWith('\n'), `${f} ends mid-line`);
    for (const line of text.split('\n')) if (line) recs.push(JSON.parse(line)); // throws on a torn line
  }
  return { files, recs };
}

describe('alert log under SIGKILL', () => {
  it('keeps every line whole when the runtime is killed, and a restart resumes appending', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-kill-'));
    const logFile = path.join(dir, 'alerts.jsonl');
    const rt = await NodeRedRuntime.start();
    try {
      await rt.deploy(flow(logFile, '0.02'));
      // Kill while alerts are streaming in (well past a few rotations).
      await rt.waitFor(() => fs.readdirSync(dir).length >= 10 || undefined, 30000, 'log rotations');
      rt.child.kill('SIGKILL');
      await rt.waitFor(() => rt.exitCode !== null || undefined, 10000, 'runtime exit');
    } finally {
      await rt.stop();
    }
    const before = readAll(dir);
    assert.ok(before.recs.length >= 800, `only ${before.recs.length} records before the kill`);
    // Records are whole and in order: source addresses count up without gaps.
    const idx = (r: any) => { const [, a, b, c] = r.src_ip.split('.').map(Number); return (a << 16) | (b << 8) | c; };
    assert.deepEqual(before.recs.map(idx), before.recs.map((_, i) => i));
    assert.equal(fs.existsSync(logFile + '.torn'), false);

    const rt2 = await NodeRedRuntime.start();
    try {
      await rt2.deploy(flow(logFile, ''));
      await rt2.inject('inj');
      await rt2.waitFor(() => readAll(dir).recs.length === before.recs.length + 200 || undefined, 20000, '200 more records');
    } finally {
      await rt2.stop();
    }
    const afterKill = readAll(dir);
    assert.deepEqual(afterKill.recs.slice(0, before.recs.length), before.recs);
    assert.equal(afterKill.recs.length, before.recs.length + 200);
    console.log(`# sigkill: ${before.recs.length} whole records in ${before.files.length} files at the kill; restart appended 200`);
  });
});
