/**
 * Alert storm: 200 000 malicious flows (a spoofed-source DDoS plus a multi-host scan) through the
 * alert node yield a bounded number of records and one e-mail, memory stays bounded, and the log
 * rotates many times with every flow accounted for across the files.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { useNodeRedHelper, tab, helperNode, collect } from '../support/node-helper.js';
import { startSmtp } from './sinks.js';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const emailNodes = require('node-red-node-email/61-email.js');
const realFlow: Record<string, unknown> = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'alerts', 'cicflowmeter-sample-flow.json'), 'utf8'))[0];

// A real GC to measure retained memory, not garbage (the runner starts node without --expose-gc).
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const TOTAL = 200_000;
const BATCH = 1000;

function batch(b: number): Array<Record<string, unknown>> {
  const out = [];
  for (let i = 0; i < BATCH; i++) {
    const n = b * BATCH + i;
    // 3 of 4 flows: DDoS from spoofed sources at one target; 1 of 4: 20 scanners sweeping 50 hosts.
    const scan = n % 4 === 3;
    out.push({
      ...realFlow,
      'Src IP': scan ? `198.51.100.${n % 20}` : `${11 + ((n >> 16) & 63)}.${(n >> 8) & 255}.${n & 255}.${n % 7}`,
      'Dst IP': scan ? `10.0.0.${n % 50}` : '10.0.0.80',
      'Dst Port': scan ? n % 1024 : 80,
      label: scan ? 'PortScan' : 'DDoS',
      confidence: 0.9,
      model: 'storm',
    });
  }
  return out;
}

describe('alert storm', () => {
  const h = useNodeRedHelper();
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  before(async () => { smtp = await startSmtp('ids@example.org', 'pw'); });
  after(async () => { await smtp.close(); });

  it('200k malicious flows → bounded records and e-mails, bounded memory, every flow in the rotated log', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-storm-'));
    const logFile = path.join(dir, 'alerts.jsonl');
    await h.load(['alert', emailNodes], [
      tab(),
      { id: 'a1', z: 't1', type: 'deepmad-alert', windowSec: 3600, maxNewKeys: 500, logFile, logMaxMB: 0.25, logKeep: 0, emailTo: 'soc@example.org', wires: [['eve'], [], ['mail']] },
      helperNode('eve'),
      { id: 'mail', z: 't1', type: 'e-mail', server: '127.0.0.1', port: String(smtp.port), secure: false, tls: false, authtype: 'BASIC', name: '' },
    ], { mail: { userid: 'ids@example.org', password: 'pw' } });
    const a1 = h.getNode('a1');
    let eveMsgs = 0;
    h.getNode('eve').on('input', () => { eveMsgs++; });
    // node-red-node-test-helper records every Node method call (sinon spies keep the messages);
    // clearing that history keeps the measurement about the alert node.
    const resetSpies = () => (h.helper as any)._sandbox.resetHistory();
    resetSpies();
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    for (let b = 0; b < TOTAL / BATCH; b++) {
      a1.receive({ topic: 'deepmad/flows', payload: batch(b) });
      // Let the node drain each batch so the test measures the node, not a queue of our own making.
      await new Promise((r) => setImmediate(r));
      if (b % 20 === 19) {
        resetSpies();
        gc();
        heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      }
    }
    const done = collect(h.getNode('eve'), (m) => m.payload.deepmad.overflow === true && m.payload.deepmad.label === 'DDoS');
    a1.receive({ topic: 'deepmad/eof', payload: {} });
    await done;
    const [mail] = await smtp.waitFor(1);
    await h.helper.unload(); // close: log fsynced and closed

    const files = [...fs.readdirSync(dir).filter((f) => /^alerts\.jsonl\.\d{6}-/.test(f)).sort(), 'alerts.jsonl'];
    let records = 0;
    let flows = 0;
    const byLabel: Record<string, number> = {};
    for (const f of files) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      assert.ok(text.endsWith('\n'));
      assert.ok(Buffer.byteLength(text) <= 0.25 * 1024 * 1024, `${f} exceeds the size limit`);
      for (const line of text.split('\n')) {
        if (!line) continue;
        const r = JSON.parse(line);
        records++;
        flows += r.deepmad.count;
        byLabel[r.deepmad.label] = (byLabel[r.deepmad.label] ?? 0) + r.deepmad.count;
      }
    }
    assert.equal(flows, TOTAL, 'every malicious flow is counted exactly once across the rotated files');
    assert.deepEqual(byLabel, { DDoS: 150_000, PortScan: 50_000 });
    // 500 first sightings (budget) + one aggregate per repeating key among them + one overflow per class.
    assert.ok(records <= 2 * 500 + 2, `records ${records}`);
    assert.equal(records, eveMsgs);
    assert.ok(files.length >= 3, `log rotated ${files.length - 1} times`);
    assert.equal(smtp.mails.length, 1);
    assert.match(mail.subject, /^\[DeepMAD\] 200000 malicious flows \(150000 high, 50000 low\)/);
    // The node holds at most the keys of one window; the heap does not grow with the flood.
    assert.ok(heapPeak - heapBefore < 48 * 1024 * 1024, `heap grew ${(heapPeak - heapBefore) >> 20} MB`);
    console.log(`# storm: ${TOTAL} flows → ${records} records in ${files.length} files, 1 e-mail, heap +${(heapPeak - heapBefore) >> 20} MB`);
  });
});
