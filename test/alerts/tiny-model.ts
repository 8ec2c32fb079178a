/**
 * A small real model for the alert end-to-end tests, trained here with our own trainer on flows
 * metered from real captures: benign web/Android traffic vs a SYN flood ("DoS") and SSH password
 * guessing ("SSH-Patator"). It keeps these tests independent of whichever default model ships.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { meterCapture } from '../../lib/ml/capture-flows.js';
import { datasetFromRecords } from '../../lib/ml/dataset.js';
import { trainModel, writeModel } from '../../lib/ml/train.js';

export const fixtures = path.join(__dirname, '..', 'fixtures', 'alerts');
export const SYN_FLOOD = path.join(fixtures, 'suricata_syn-flood_crafted.pcap'); // 192.0.2.10 → 198.51.100.5:443, 200 flows
export const SSH_GUESS = path.join(fixtures, 'zeek_ssh_sshguess.pcap'); // 192.168.56.1 → 192.168.56.103:22, 11 flows
export const BENIGN = [path.join(fixtures, 'zeek_wikipedia.pcap'), path.join(fixtures, 'nfstream_android.pcap')];

let cached: Promise<string> | undefined;

/** Path of the trained model (.onnx with its .card.json), trained once per test process. */
export function tinyModel(): Promise<string> {
  cached ??= (async () => {
    const rows: Array<Record<string, unknown>> = [];
    const labels: string[] = [];
    const add = async (file: string, label: string) => {
      for (const f of await meterCapture(file, 'improved')) { rows.push(f); labels.push(label); }
    };
    for (const b of BENIGN) await add(b, 'BENIGN');
    await add(SYN_FLOOD, 'DoS');
    await add(SSH_GUESS, 'SSH-Patator');
    const ds = datasetFromRecords(rows, (_r, i) => labels[i], { exclude: ['Dst Port', 'Protocol'] });
    const res = trainModel(ds, { benignLabels: ['BENIGN'], profile: 'improved', folds: 0, name: 'alerts-test-forest', forest: { trees: 15, maxDepth: 12, seed: 7 } });
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-tiny-model-')), 'tiny.onnx');
    writeModel(out, res);
    return out;
  })();
  return cached;
}
