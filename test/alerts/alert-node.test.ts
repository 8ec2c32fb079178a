import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useNodeRedHelper, tab, helperNode, collect, recordStatus, errorCalls, catchNode } from '../support/node-helper.js';
import { freePort, mosquittoPath, startMosquitto, startSmtp, subscribe } from './sinks.js';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const mqttNodes = require(require.resolve('@node-red/nodes/core/network/10-mqtt.js', { paths: [path.dirname(require.resolve('node-red/package.json'))] }));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const emailNodes = require('node-red-node-email/61-email.js');

const realFlow: Record<string, unknown> = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'alerts', 'cicflowmeter-sample-flow.json'), 'utf8'))[0];
const attack = (over: Record<string, unknown> = {}) => ({ ...realFlow, label: 'DDoS', confidence: 0.99, probabilities: [0.01, 0.99], model: 'unit', ...over });
const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-alert-node-'));
const lines = (f: string) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

describe('deepmad-alert node', () => {
  const h = useNodeRedHelper();

  it('raises EVE alerts, aggregates repeats, logs every record and sends a digest at end of capture', async () => {
    const dir = tmpDir();
    const logFile = path.join(dir, 'alerts.jsonl');
    await h.load(['alert'], [
      tab(),
      { id: 'a1', z: 't1', type: 'deepmad-alert', windowSec: 60, logFile, emailTo: 'soc@example.org', host: 'sensor1', wires: [['eve'], ['mq'], ['mail']] },
      helperNode('eve'), helperNode('mq'), helperNode('mail'),
    ]);
    const a1 = h.getNode('a1');
    const status = recordStatus(a1);
    const eve = collect(h.getNode('eve'), (_m, all) => all.length === 3);
    const mail = collect(h.getNode('mail'), () => true);
    a1.receive({ topic: 'deepmad/flows', payload: [attack(), attack(), attack({ label: 'BENIGN' }), attack({ 'Src IP': '10.9.9.9', label: 'PortScan' })], source: 'x.pcap' });
    a1.receive({ topic: 'deepmad/flows', payload: attack() });
    a1.receive({ topic: 'deepmad/eof', payload: {}, source: 'x.pcap' });
    const recs = (await eve).map((m) => m.payload);
    assert.deepEqual(recs.map((r) => [r.src_ip, r.deepmad.label, r.deepmad.count, r.deepmad.aggregated]), [
      ['192.168.10.14', 'DDoS', 1, false], ['10.9.9.9', 'PortScan', 1, false], ['192.168.10.14', 'DDoS', 2, true],
    ]);
    assert.equal(recs[0].alert.severity, 1);
    assert.equal(recs[1].alert.severity, 3);
    assert.equal(recs[0].deepmad.source, 'x.pcap');
    const [digest] = await mail;
    assert.equal(digest.topic, '[DeepMAD] 4 malicious flows (3 high, 1 low) on sensor1');
    assert.equal(digest.to, 'soc@example.org');
    assert.equal(digest.reason, 'eof');
    assert.deepEqual(lines(logFile), recs);
    await status.waitFor((s) => s.text === '3 alerts (4 flows)');
  });

  it('flushes open windows to the log on redeploy/close', async () => {
    const dir = tmpDir();
    const logFile = path.join(dir, 'alerts.jsonl');
    await h.load(['alert'], [tab(), { id: 'a1', z: 't1', type: 'deepmad-alert', windowSec: 3600, logFile, wires: [['eve'], [], []] }, helperNode('eve')]);
    const eve = collect(h.getNode('eve'), () => true);
    h.getNode('a1').receive({ payload: Array.from({ length: 10 }, () => attack()) });
    await eve;
    await h.helper.unload();
    assert.deepEqual(lines(logFile).map((r) => r.deepmad.count), [1, 9]);
  });

  it('reports bad input and bad configuration to Catch', async () => {
    await h.load(['alert'], [tab(),
      { id: 'a1', z: 't1', type: 'deepmad-alert', wires: [[], [], []] },
      { id: 'a2', z: 't1', type: 'deepmad-alert', allowlist: '10.0.0.0/99', wires: [[], [], []] },
      catchNode('c1', 'caught'), helperNode('caught')]);
    const caught = collect(h.getNode('caught'), () => true);
    h.getNode('a1').receive({ topic: 'deepmad/flows', payload: 'nope' });
    const [m] = await caught;
    assert.match(m.error.message, /msg\.payload must be a classified flow/);
    assert.match(String(errorCalls(h.getNode('a2'))[0][0]), /10\.0\.0\.0\/99' has a bad prefix length/);
  });
});

describe('deepmad-alert with real MQTT brokers and SMTP', () => {
  const h = useNodeRedHelper();

  async function mqttRoundTrip(port: number, url: string, withEmbedded: boolean) {
    const flow = [
      tab(),
      ...(withEmbedded ? [{ id: 'b1', z: 't1', type: 'deepmad-mqtt-broker', host: '127.0.0.1', port }] : []),
      { id: 'a1', z: 't1', type: 'deepmad-alert', haDiscovery: true, haNodeId: 'lab', mqttPrefix: 'ids', wires: [[], ['out'], []] },
      { id: 'out', z: 't1', type: 'mqtt out', broker: 'cfg', topic: '', qos: '', retain: '' },
      { id: 'in', z: 't1', type: 'mqtt in', broker: 'cfg', topic: 'ids/alerts/#', qos: '1', datatype: 'json', wires: [['got']] },
      helperNode('got'),
      { id: 'cfg', type: 'mqtt-broker', broker: '127.0.0.1', port: String(port), clientid: '', autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true },
    ];
    await h.load(withEmbedded ? ['alert', 'mqtt-broker', mqttNodes] : ['alert', mqttNodes], flow);
    if (withEmbedded) await recordStatus(h.getNode('b1')).waitFor((s) => s.fill === 'green');
    // Wait until both Node-RED MQTT clients are connected before sending.
    await recordStatus(h.getNode('in')).waitFor((s) => s.text === 'node-red:common.status.connected');
    await recordStatus(h.getNode('out')).waitFor((s) => s.text === 'node-red:common.status.connected');
    const sub = await subscribe(url, '#');
    const got = collect(h.getNode('got'), () => true);
    h.getNode('a1').receive({ topic: 'deepmad/flows', payload: [attack({ label: 'Bot' })] });
    const [m] = await got;
    assert.equal(m.topic, 'ids/alerts/high/Bot');
    assert.equal(m.payload.event_type, 'alert');
    assert.equal(m.payload.src_ip, '192.168.10.14');
    await sub.waitFor((msgs) => msgs.some((x) => x.topic === 'ids/lab/alerts_total') && msgs.some((x) => x.topic.startsWith('homeassistant/sensor')));
    const disc = sub.msgs.find((x) => x.topic === 'homeassistant/binary_sensor/deepmad_lab/intrusion/config')!;
    assert.equal(disc.payload.state_topic, 'ids/lab/intrusion');
    assert.equal(sub.msgs.find((x) => x.topic === 'ids/lab/alerts_total')!.payload, 1);
    assert.equal(sub.msgs.find((x) => x.topic === 'ids/lab/intrusion')!.payload, 'ON');
    await sub.end();
    // A late subscriber (Home Assistant starting later) still gets the retained discovery configs.
    const late = await subscribe(url, 'homeassistant/#');
    // (a live re-publish may also arrive, with retain false; the retained copies are what counts)
    await late.waitFor((msgs) => new Set(msgs.filter((x: any) => x.retain).map((x) => x.topic)).size === 2);
    assert.deepEqual([...new Map(late.msgs.filter((x) => x.retain).map((x) => [x.topic, [x.topic, x.retain]])).values()].sort(), [
      ['homeassistant/binary_sensor/deepmad_lab/intrusion/config', true], ['homeassistant/sensor/deepmad_lab/alerts/config', true],
    ]);
    await late.end();
  }

  it('publishes alerts through mqtt out to the embedded aedes broker node', async () => {
    const port = await freePort();
    await mqttRoundTrip(port, `mqtt://127.0.0.1:${port}`, true);
  });

  it('publishes alerts through mqtt out to mosquitto', { skip: !mosquittoPath() && 'mosquitto not installed' }, async () => {
    const mosq = await startMosquitto();
    try {
      await mqttRoundTrip(mosq.port, mosq.url, false);
    } finally {
      await h.helper.unload();
      await mosq.stop();
    }
  });

  describe('e-mail digest', () => {
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    before(async () => { smtp = await startSmtp('ids@example.org', 'secret'); });
    after(async () => { await smtp.close(); });

    it('arrives in a real SMTP server through node-red-node-email', async () => {
      await h.load(['alert', emailNodes], [
        tab(),
        { id: 'a1', z: 't1', type: 'deepmad-alert', emailTo: 'soc@example.org', host: 'sensor1', wires: [[], [], ['mail']] },
        { id: 'mail', z: 't1', type: 'e-mail', server: '127.0.0.1', port: String(smtp.port), secure: false, tls: false, authtype: 'BASIC', name: '' },
      ], { mail: { userid: 'ids@example.org', password: 'secret' } });
      h.getNode('a1').receive({ payload: [attack(), attack({ 'Src IP': '203.0.113.7', label: 'SSH-Patator' })] });
      h.getNode('a1').receive({ topic: 'deepmad/eof', payload: {} });
      const [mail] = await smtp.waitFor(1);
      assert.deepEqual(mail.to, ['soc@example.org']);
      assert.equal(mail.subject, '[DeepMAD] 2 malicious flows (1 high, 1 medium) on sensor1');
      assert.match(mail.text, /203\.0\.113\.7: 1/);
      assert.match(mail.text, /SSH-Patator: 1/);
      assert.match(mail.html, /<h2>DeepMAD alert digest<\/h2>/);
    });
  });
});
