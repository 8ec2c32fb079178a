import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  Allowlist, AlertEngine, AlertDigest, ClassPolicy, JsonlLog, digestEmailMessage, eveTimestamp, haDiscoveryMessages,
  haStateMessages, parseFlowTimestamp, alertMessage, TopK,
} from '../../lib/alerts/index.js';

const fixture = path.join(__dirname, '..', 'fixtures', 'alerts', 'cicflowmeter-sample-flow.json');
// CICFlowMeter's own output row for one CIC-IDS2017 flow (provenance: test/fixtures/README.md).
const realFlow: Record<string, unknown> = JSON.parse(fs.readFileSync(fixture, 'utf8'))[0];

function classified(over: Record<string, unknown> = {}) {
  return { ...realFlow, label: 'DoS Hulk', confidence: 0.9731, probabilities: { BENIGN: 0.0269, 'DoS Hulk': 0.9731 }, model: 'test-rf', ...over };
}

describe('allowlist', () => {
  it('matches IPv4/IPv6 addresses and CIDRs, including IPv4-mapped IPv6', () => {
    const a = Allowlist.parse('10.0.0.0/8, 192.168.1.7\n2001:db8::/32 # lab\nfe80::1 ::ffff:172.16.0.0/108');
    assert.equal(a.size, 5);
    assert.equal(a.match('10.255.1.2'), '10.0.0.0/8');
    assert.equal(a.match('11.0.0.1'), undefined);
    assert.equal(a.match('192.168.1.7'), '192.168.1.7');
    assert.equal(a.match('192.168.1.8'), undefined);
    assert.equal(a.match('2001:db8:ffff::1'), '2001:db8::/32');
    assert.equal(a.match('2001:db9::1'), undefined);
    assert.equal(a.match('FE80:0:0:0:0:0:0:1'), 'fe80::1');
    assert.equal(a.match('::ffff:10.1.2.3'), '10.0.0.0/8');
    assert.equal(a.match('172.16.5.5'), '::ffff:172.16.0.0/108');
    assert.equal(a.match('not an ip'), undefined);
    assert.equal(new Allowlist(['0.0.0.0/0']).match('8.8.8.8'), '0.0.0.0/0');
    assert.equal(new Allowlist(['0.0.0.0/0']).match('2001:db8::1'), undefined);
    assert.throws(() => Allowlist.parse('10.0.0.0/33'), /bad prefix length/);
    assert.throws(() => Allowlist.parse('300.1.1.1'), /not an IPv4\/IPv6 address/);
    assert.throws(() => Allowlist.parse('1::2::3'), /not an IPv4\/IPv6/);
  });
});

describe('timestamps and classes', () => {
  it('reads CICFlowMeter, epoch and ISO timestamps and writes EVE time', () => {
    assert.equal(eveTimestamp(parseFlowTimestamp('05/07/2017 07:46:12 PM')!), '2017-07-05T19:46:12.000000+0000');
    assert.equal(eveTimestamp(parseFlowTimestamp('05/07/2017 12:01:02 AM')!), '2017-07-05T00:01:02.000000+0000');
    assert.equal(eveTimestamp(parseFlowTimestamp(1499283972123456)!), '2017-07-05T19:46:12.123456+0000');
    assert.equal(eveTimestamp(parseFlowTimestamp(1499283972)!), '2017-07-05T19:46:12.000000+0000');
    assert.equal(eveTimestamp(parseFlowTimestamp('2017-07-05T19:46:12.5Z')!), '2017-07-05T19:46:12.500000+0000');
    assert.equal(parseFlowTimestamp('garbage'), undefined);
  });
  it('maps classes to Suricata severities and categories, with overrides', () => {
    const p = new ClassPolicy({ severities: { PortScan: 'high', 'Web Attack*': 3 } });
    assert.equal(p.isBenign('BENIGN'), true);
    assert.equal(p.isBenign('DDoS'), false);
    assert.equal(p.severity('DDoS'), 1);
    assert.equal(p.category('DDoS'), 'Attempted Denial of Service');
    assert.equal(p.severity('PortScan'), 1);
    assert.equal(p.category('PortScan'), 'Detection of a Network Scan');
    assert.equal(p.severity('Web Attack – XSS'), 3);
    assert.equal(p.severity('SSH-Patator'), 2);
    assert.equal(p.severity('Infiltration - Portscan'), 2);
    assert.equal(p.category('Infiltration - Portscan'), 'Detection of a Network Scan');
    assert.equal(p.severity('Infiltration'), 1);
    assert.equal(p.severity('Something new'), 2);
    // the payload-signature labels of the rules stage
    assert.equal(p.category('Heartbleed'), 'Attempted Administrator Privilege Gain');
    assert.equal(p.category('Log4Shell JNDI Lookup'), 'Attempted Administrator Privilege Gain');
    assert.equal(p.category('Web Attack - Path Traversal'), 'Web Application Attack');
    assert.equal(p.category('VNC Authentication Failure'), 'Attempted User Privilege Gain');
    assert.equal(p.severity('VNC Authentication Failure'), 3);
    assert.equal(p.signatureId('DDoS'), p.signatureId('ddos'));
    assert.ok(p.signatureId('DDoS') >= 9_200_000 && p.signatureId('DDoS') < 9_300_000);
    assert.throws(() => new ClassPolicy({ severities: { X: 7 } }), /severity for class 'X'/);
  });
});

describe('alert engine', () => {
  it('turns a classified real flow into a Suricata EVE alert record', () => {
    const e = new AlertEngine({ host: 'sensor1' });
    const [rec] = e.process(classified(), 'iface:eth0');
    assert.equal(rec.timestamp, '2017-07-05T19:46:12.000000+0000');
    assert.equal(rec.event_type, 'alert');
    assert.equal(rec.src_ip, '192.168.10.14');
    assert.equal(rec.src_port, 49545);
    assert.equal(rec.dest_ip, '40.83.143.209');
    assert.equal(rec.dest_port, 443);
    assert.equal(rec.proto, 'TCP');
    assert.equal(rec.host, 'sensor1');
    assert.equal(rec.in_iface, 'eth0');
    assert.ok(Number.isSafeInteger(rec.flow_id) && rec.flow_id > 0);
    assert.deepEqual(rec.alert, {
      action: 'allowed', gid: 1, signature_id: new ClassPolicy().signatureId('DoS Hulk'), rev: 1, signature: 'DeepMAD ML DoS Hulk',
      category: 'Attempted Denial of Service', severity: 1, confidence: 0.9731, model: 'test-rf',
    });
    assert.deepEqual(rec.flow, {
      pkts_toserver: 17, pkts_toclient: 16, bytes_toserver: 22125, bytes_toclient: 5528,
      start: '2017-07-05T19:46:12.000000+0000', end: '2017-07-05T19:47:52.764600+0000',
    });
    assert.equal(rec.deepmad.count, 1);
    assert.equal(rec.deepmad.features!['Flow IAT Min'], realFlow['Flow IAT Min']);
    assert.equal(rec.deepmad.features!.label, undefined);
    assert.deepEqual(rec.deepmad.probabilities, { BENIGN: 0.0269, 'DoS Hulk': 0.9731 });
    // deepmad detect's flows also carry `malicious`: a verdict key, not a feature
    const [fromDetect] = new AlertEngine({}).process(classified({ malicious: true }));
    assert.deepEqual([fromDetect.deepmad.features!.malicious, fromDetect.deepmad.features!['Flow IAT Min']], [undefined, realFlow['Flow IAT Min']]);
    assert.deepEqual(JSON.parse(JSON.stringify(rec)), rec);
    assert.equal(rec.deepmad.escalated, undefined);
    assert.equal(rec.deepmad.payload_signature, undefined);
  });

  it('names a verdict of the rules stage a rule, with its reason and the payload signature', () => {
    const e = new AlertEngine({});
    const [rec] = e.process(classified({
      label: 'Web Attack - SQL Injection', confidence: 1, escalated: 'payload signature: Web Attack - SQL Injection',
      'Payload Signature': 'Web Attack - SQL Injection',
    }));
    assert.equal(rec.alert.signature, 'DeepMAD rule Web Attack - SQL Injection');
    assert.equal(rec.alert.category, 'Web Application Attack');
    assert.equal(rec.deepmad.escalated, 'payload signature: Web Attack - SQL Injection');
    assert.equal(rec.deepmad.payload_signature, 'Web Attack - SQL Injection');
    assert.equal(rec.deepmad.features!.escalated, undefined);
    assert.equal(rec.deepmad.features!['Payload Signature'], 'Web Attack - SQL Injection');
    // a flow the model flags itself keeps "ML" but still shows its signature
    const [own] = e.process(classified({ 'Src Port': 49546, 'Payload Signature': 'Web Attack - SQL Injection' }));
    assert.equal(own.alert.signature, 'DeepMAD ML DoS Hulk');
    assert.equal(own.deepmad.payload_signature, 'Web Attack - SQL Injection');
  });

  it('names a model alert the rules stage relabelled after its payload signature a rule: the signature\'s class, the model\'s label and confidence', () => {
    const e = new AlertEngine({});
    const sqli = 'Web Attack - SQL Injection';
    const [rec] = e.process(classified({
      'Src Port': 49547, label: sqli, modelLabel: 'DoS Hulk', relabelled: `payload signature: ${sqli}`, 'Payload Signature': sqli,
    }));
    assert.deepEqual(rec.alert, {
      action: 'allowed', gid: 1, signature_id: e.policy.signatureId(sqli), rev: 1, signature: `DeepMAD rule ${sqli}`,
      category: 'Web Application Attack', severity: 2, confidence: 0.9731, model: 'test-rf',
    });
    assert.notEqual(rec.alert.signature_id, e.policy.signatureId('DoS Hulk'));
    assert.deepEqual([rec.deepmad.label, rec.deepmad.model_label, rec.deepmad.relabelled, rec.deepmad.escalated, rec.deepmad.payload_signature],
      [sqli, 'DoS Hulk', `payload signature: ${sqli}`, undefined, sqli]);
    assert.deepEqual(rec.deepmad.probabilities, { BENIGN: 0.0269, 'DoS Hulk': 0.9731 });
    assert.deepEqual(['modelLabel', 'relabelled', 'label'].map((k) => k in rec.deepmad.features!), [false, false, false]);
    assert.equal(rec.deepmad.features!['Payload Signature'], sqli);
    // the keys follow escalated, in this order, and survive JSON
    assert.deepEqual(Object.keys(rec.deepmad).slice(5, 9), ['model_label', 'relabelled', 'payload_signature', 'probabilities']);
    assert.deepEqual(JSON.parse(JSON.stringify(rec)), rec);
  });

  it('skips benign, low-confidence, allowlisted and unlabeled flows and counts them', () => {
    const e = new AlertEngine({ allowlist: '40.83.0.0/16', minConfidence: 0.5 });
    const out = e.process([
      classified({ label: 'BENIGN' }), classified(), classified({ 'Dst IP': '8.8.8.8', confidence: 0.4 }),
      classified({ 'Dst IP': '8.8.8.8' }), { foo: 1 } as never,
    ]);
    assert.equal(out.length, 1);
    assert.equal(out[0].dest_ip, '8.8.8.8');
    assert.deepEqual({ ...e.stats, byClass: undefined }, {
      flows: 5, benign: 1, allowlisted: 1, lowConfidence: 1, invalid: 1, alerted: 1, records: 1, aggregates: 0, overflowFlows: 0, pendingKeys: 1, byClass: undefined,
    });
  });

  it('aggregates repeats per (src, dst, class) inside the window and reports the count when it closes', () => {
    let now = 1_000_000;
    const e = new AlertEngine({ windowMs: 60_000, now: () => now });
    assert.equal(e.process(classified()).length, 1);
    assert.equal(e.process([classified(), classified(), classified({ label: 'PortScan' })]).length, 1);
    now += 30_000;
    assert.equal(e.process(Array.from({ length: 5 }, () => classified())).length, 0);
    assert.equal(e.tick().length, 0);
    now += 30_000;
    const closed = e.tick();
    assert.equal(closed.length, 1);
    assert.equal(closed[0].deepmad.count, 7);
    assert.equal(closed[0].deepmad.aggregated, true);
    assert.equal(closed[0].deepmad.features, undefined);
    assert.equal(closed[0].src_ip, '192.168.10.14');
    const rest = e.flush();
    assert.equal(rest.length, 0); // the PortScan key had no repeats
    assert.equal(e.stats.alerted, 9);
  });

  it('keeps records bounded under a spoofed flood and accounts for every flow', () => {
    const e = new AlertEngine({ windowMs: 60_000, maxNewKeysPerWindow: 100, maxKeys: 50, now: () => 5 });
    const recs = [];
    for (let b = 0; b < 20; b++) {
      const batch = [];
      for (let i = 0; i < 1000; i++) {
        const n = b * 1000 + i;
        batch.push(classified({ 'Src IP': `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, label: n % 3 ? 'DDoS' : 'PortScan' }));
      }
      recs.push(...e.process(batch));
    }
    recs.push(...e.flush());
    const total = recs.reduce((s, r) => s + r.deepmad.count, 0);
    assert.equal(total, 20_000);
    assert.equal(e.stats.alerted, 20_000);
    assert.equal(e.stats.overflowFlows, 19_900);
    assert.equal(recs.length, 102); // 100 first sightings + one overflow record per class
    const ddos = recs.find((r) => r.deepmad.overflow && r.deepmad.label === 'DDoS')!;
    assert.equal(ddos.deepmad.top_targets![0].ip, '40.83.143.209');
    assert.equal(ddos.deepmad.top_sources!.length, 10);
  });
});

describe('digest, MQTT and Home Assistant shapes', () => {
  it('summarises a period into an e-mail for node-red-node-email', () => {
    let now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const e = new AlertEngine({ windowMs: 0 });
    const d = new AlertDigest({ now: () => now, host: 'h1' });
    d.add(e.process([classified(), classified({ label: 'PortScan', 'Src IP': '10.0.0.9' }), classified()]));
    now += 300_000;
    const s = d.take()!;
    assert.equal(s.records, 3);
    assert.equal(s.flows, 3);
    assert.deepEqual(s.byClass, { 'DoS Hulk': 2, PortScan: 1 });
    assert.deepEqual(s.bySeverity, { high: 2, medium: 0, low: 1 });
    assert.deepEqual(s.topSources, [{ ip: '192.168.10.14', count: 2 }, { ip: '10.0.0.9', count: 1 }]);
    assert.equal(s.from, '2026-01-01T12:00:00.000Z');
    assert.equal(s.to, '2026-01-01T12:05:00.000Z');
    const m = digestEmailMessage(s, { to: 'soc@example.org' });
    assert.equal(m.topic, '[DeepMAD] 3 malicious flows (2 high, 1 low) on h1');
    assert.equal(m.to, 'soc@example.org');
    assert.match(m.payload, /<td>192\.168\.10\.14<\/td><td>2<\/td>/);
    assert.match(m.plaintext!, /DoS Hulk: 2/);
    assert.equal(d.take(), undefined);
  });

  it('builds per-severity/class topics and Home Assistant discovery', () => {
    const [rec] = new AlertEngine().process(classified({ label: 'Web Attack / XSS' }));
    assert.deepEqual(alertMessage('deepmad', rec), { topic: 'deepmad/alerts/medium/Web_Attack___XSS', payload: rec, qos: 1, retain: false });
    const ha = haDiscoveryMessages({ prefix: 'deepmad', nodeId: 'lab', version: '0.1.0' });
    assert.equal(ha[0].topic, 'homeassistant/binary_sensor/deepmad_lab/intrusion/config');
    assert.equal((ha[0].payload as any).state_topic, 'deepmad/lab/intrusion');
    assert.equal((ha[0].payload as any).device_class, 'problem');
    assert.equal(ha[1].topic, 'homeassistant/sensor/deepmad_lab/alerts/config');
    assert.equal((ha[1].payload as any).state_class, 'total_increasing');
    assert.ok(ha.every((m) => m.retain));
    const st = haStateMessages({ prefix: 'deepmad', nodeId: 'lab' }, 42, rec);
    assert.deepEqual(st.map((m) => [m.topic, typeof m.payload === 'string' ? m.payload : 'obj']), [
      ['deepmad/lab/intrusion', 'ON'], ['deepmad/lab/alerts_total', '42'], ['deepmad/lab/last_alert', 'obj'],
    ]);
  });

  it('TopK keeps heavy hitters within a fixed size', () => {
    const t = new TopK(3);
    for (let i = 0; i < 1000; i++) t.add(`x${i}`);
    for (let i = 0; i < 50; i++) t.add('heavy');
    assert.equal(t.size, 3);
    assert.equal(t.top(1)[0].key, 'heavy');
  });
});

describe('JSON-lines log', () => {
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-log-'));
  const readLines = (f: string) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

  it('rotates by size without splitting lines, keeps N files, and resumes appending', () => {
    const dir = tmp();
    const file = path.join(dir, 'alerts.jsonl');
    const log = new JsonlLog({ path: file, maxBytes: 200, keep: 0 });
    const recs = Array.from({ length: 50 }, (_, i) => ({ i, pad: 'x'.repeat(20) }));
    for (let i = 0; i < 50; i += 7) log.write(recs.slice(i, i + 7));
    log.close();
    const files = log.allFiles();
    assert.ok(files.length > 5);
    const seen = files.flatMap(readLines).map((r) => r.i);
    assert.deepEqual(seen, recs.map((r) => r.i));
    for (const f of files) assert.ok(fs.statSync(f).size <= 200);
    const again = new JsonlLog({ path: file, maxBytes: 200, keep: 2 });
    again.write([{ i: 50 }]);
    again.rotate();
    again.close();
    assert.equal(again.rotatedFiles().length, 2);
    const names = again.rotatedFiles().map((f) => path.basename(f));
    assert.match(names[1], /^alerts\.jsonl\.\d{6}-\d{8}T\d{6}Z$/);
  });

  it('rotates by time', () => {
    let now = 0;
    const dir = tmp();
    const log = new JsonlLog({ path: path.join(dir, 'a.jsonl'), rotateEveryMs: 1000, now: () => now });
    log.write([{ a: 1 }]);
    now = 999; log.write([{ a: 2 }]);
    now = 1000; log.write([{ a: 3 }]);
    log.close();
    assert.deepEqual(log.allFiles().map((f) => readLines(f).map((r) => r.a)), [[1, 2], [3]]);
  });

  it('repairs a torn last line on open and keeps the fragment aside', () => {
    const dir = tmp();
    const file = path.join(dir, 'alerts.jsonl');
    fs.writeFileSync(file, '{"a":1}\n{"a":2}\n{"a":3,"sig');
    const log = new JsonlLog({ path: file });
    assert.deepEqual(log.repaired, { bytes: 11, savedTo: file + '.torn' });
    log.write([{ a: 4 }]);
    log.close();
    assert.deepEqual(readLines(file), [{ a: 1 }, { a: 2 }, { a: 4 }]);
    assert.equal(fs.readFileSync(file + '.torn', 'utf8'), '{"a":3,"sig\n');
    fs.writeFileSync(file, '{"a":1}\n{"a":2}');
    const ok = new JsonlLog({ path: file });
    assert.equal(ok.repaired, undefined);
    ok.close();
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\n{"a":2}\n');
  });
});
