/**
 * Payload signatures on our own traffic-lab captures (test/fixtures/signatures, provenance in
 * test/fixtures/README.md): each fixture is a few whole TCP sessions of one lab scenario, with the lab's
 * label of every flow beside it (lab-<scenario>-seed1.labels.csv, keyed by the 5-tuple). Metered with
 * the project's reader + Flowmeter (improved profile), every fixture must give exactly the pinned number
 * of flows per signature, every signature must sit on a flow the lab labelled as the matching attack,
 * and the benign look-alikes (web app users, TLS sessions offering the heartbeat extension, VNC users
 * who log in) must carry none.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { SIGNATURE_FIELD, SIGNATURE_LABELS, signatureText } from '../../lib/capture/payload-tells.js';
import { CaptureReader } from '../../lib/capture/reader.js';
import { Flowmeter } from '../../lib/flow/flowmeter.js';

const DIR = path.resolve(__dirname, '../fixtures/signatures');

/** Signature label → the lab label (lib/ml/traffic/lab-attacks.ts) of the attack it belongs to. */
const ATTACK_OF_SIGNATURE: Record<string, string> = {
  Heartbleed: 'Heartbleed',
  'Web Attack - SQL Injection': 'Web Attack - SQL Injection',
  'Web Attack - XSS': 'Web Attack - XSS',
  'VNC Authentication Failure': 'VNC brute force',
  // no lab scenario sends path traversal or JNDI lookups: any such signature here is a false alarm
};

interface Expect {
  label: string;
  flows: number;
  /** Flows per signature text; flows without a signature are not counted here. */
  signatures: Record<string, number>;
  /** Source ports of the attack flows that carry no signature (why: in the comment). */
  unsigned: number[];
}

const FIXTURES: Record<string, Expect> = {
  // 1' (a lone quote, an error probe) passes the SQLi rules; the stacked query and the numeric boolean probe do not
  sqli: { label: 'Web Attack - SQL Injection', flows: 12, signatures: { 'Web Attack - SQL Injection': 11 }, unsigned: [40351] },
  xss: { label: 'Web Attack - XSS', flows: 10, signatures: { 'Web Attack - XSS': 10 }, unsigned: [] },
  // the three probes that completed the handshake first (ChangeCipherSpec, then the heartbeat): not cleartext
  heartbleed: { label: 'Heartbleed', flows: 9, signatures: { Heartbleed: 6 }, unsigned: [35263, 39189, 46251] },
  // banner grabs: the scanner closes after the server's RFB version, no authentication attempted
  vncscan: { label: 'VNC brute force', flows: 14, signatures: { 'VNC Authentication Failure': 10 }, unsigned: [36643, 42897, 43907, 45233] },
  // login-form password guessing: no payload signature exists for it
  webbrute: { label: 'Web Attack - Brute Force', flows: 7, signatures: {}, unsigned: [35297, 36191, 38259, 42007, 42063, 44625, 44713] },
  webapp: { label: 'BENIGN', flows: 3, signatures: {}, unsigned: [] },
  tlsapp: { label: 'BENIGN', flows: 4, signatures: {}, unsigned: [] },
  vnc: { label: 'BENIGN', flows: 1, signatures: {}, unsigned: [] },
  web: { label: 'BENIGN', flows: 8, signatures: {}, unsigned: [] },
  tls: { label: 'BENIGN', flows: 4, signatures: {}, unsigned: [] },
};

interface MeteredFlow { key: string; srcPort: number; sigs: number; text: string }

/** 5-tuple key → lab label, from the labels CSV beside the capture. */
function readLabels(scenario: string): Map<string, string> {
  const lines = fs.readFileSync(path.join(DIR, `lab-${scenario}-seed1.labels.csv`), 'utf8').trimEnd().split('\n');
  assert.equal(lines[0], 'Src IP,Src Port,Dst IP,Dst Port,Protocol,Label,Scenario');
  const out = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const c = line.split(',');
    assert.equal(c.length, 7, line);
    assert.equal(c[6], scenario, line);
    const key = c.slice(0, 5).join(',');
    assert.ok(!out.has(key), `duplicate flow key ${key}`);
    out.set(key, c[5]);
  }
  return out;
}

/** The capture's flows with their FlowBatch.signatures bits and the objects' signature field. */
async function meter(scenario: string, batchSize?: number): Promise<MeteredFlow[]> {
  const flows: MeteredFlow[] = [];
  const fm = new Flowmeter({
    profile: 'improved',
    onFlows: (b) => {
      const objs = fm.toObjects(b);
      for (let r = 0; r < b.count; r++) {
        const o = objs[r];
        const text = o[SIGNATURE_FIELD];
        // the field is present exactly on the flows with signature bits, and spells them
        assert.equal(text, b.signatures[r] === 0 ? undefined : signatureText(b.signatures[r]));
        flows.push({
          key: [o['Src IP'], o['Src Port'], o['Dst IP'], o['Dst Port'], o.Protocol].map(String).join(','),
          srcPort: Number(o['Src Port']),
          sigs: b.signatures[r],
          text: typeof text === 'string' ? text : '',
        });
      }
    },
  });
  for await (const b of new CaptureReader(path.join(DIR, `lab-${scenario}-seed1.pcap`), batchSize ? { batchSize } : {})) fm.push(b);
  fm.close();
  return flows;
}

describe('payload signatures on traffic-lab captures', () => {
  for (const [scenario, want] of Object.entries(FIXTURES)) {
    it(`${scenario}: ${want.flows} flows, signatures ${JSON.stringify(want.signatures)}, all on ${want.label} flows`, async () => {
      const labels = readLabels(scenario);
      const flows = await meter(scenario);
      assert.equal(flows.length, want.flows);
      assert.equal(labels.size, want.flows);
      const counts: Record<string, number> = {};
      const unsigned: number[] = [];
      for (const f of flows) {
        const label = labels.get(f.key);
        assert.equal(label, want.label, `lab label of ${f.key}`);
        if (f.sigs === 0) {
          if (label !== 'BENIGN') unsigned.push(f.srcPort);
          continue;
        }
        counts[f.text] = (counts[f.text] ?? 0) + 1;
        for (const [bit, sigLabel] of SIGNATURE_LABELS) {
          if ((f.sigs & bit) !== 0) assert.equal(label, ATTACK_OF_SIGNATURE[sigLabel], `${sigLabel} on ${f.key}, labelled ${label}`);
        }
      }
      assert.deepEqual(counts, want.signatures);
      assert.deepEqual(unsigned.sort((a, b) => a - b), want.unsigned);
      if (want.label === 'BENIGN') assert.equal(flows.filter((f) => f.sigs !== 0).length, 0, 'a benign flow with a signature');
    });
  }

  it('the same signatures when the reader hands the meter 7 packets at a time', async () => {
    for (const scenario of Object.keys(FIXTURES)) {
      const whole = (await meter(scenario)).map((f) => `${f.key} ${f.sigs}`).sort();
      const sliced = (await meter(scenario, 7)).map((f) => `${f.key} ${f.sigs}`).sort();
      assert.deepEqual(sliced, whole, scenario);
    }
  });
});
