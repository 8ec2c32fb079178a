/**
 * Alerts section: the alert engine on 200 000 classified flows (a spoofed-source flood plus a
 * multi-host scan: the storm test's mix), alone and with the JSON-lines log. Rows count flows,
 * so the ratio compares flows/s with the floor's packets/s (an alert stage must keep far ahead of
 * the packet rate: a flow is many packets).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AlertEngine, JsonlLog } from '../lib/alerts/index.js';
import type { BenchSection } from './harness.js';

const FLOWS = 200_000;

function stormFlows(): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (let n = 0; n < FLOWS; n++) {
    const scan = n % 4 === 3;
    out.push({
      'Src IP': scan ? `198.51.100.${n % 20}` : `${11 + ((n >> 16) & 63)}.${(n >> 8) & 255}.${n & 255}.${n % 7}`,
      'Src Port': 1024 + (n % 60000), 'Dst IP': scan ? `10.0.0.${n % 50}` : '10.0.0.80', 'Dst Port': scan ? n % 1024 : 80,
      Protocol: 6, Timestamp: 1_700_000_000_000_000 + n * 10, 'Flow Duration': 1000, 'Total Fwd Packet': 2, 'Total Bwd packets': 1,
      label: scan ? 'Portscan' : 'DDoS', confidence: 0.97, model: 'bench',
    });
  }
  return out;
}

export const alertsSection: BenchSection = {
  name: 'alerts',
  describe: 'alert engine: 200k classified flows (storm mix) → bounded EVE records, with and without the JSON-lines log',
  async run(ctx) {
    const flows = stormFlows();
    let records = 0;
    await ctx.measure('alerts', 'engine, 200k flows in 1k batches (flows/s)', () => {
      const e = new AlertEngine({ windowMs: 60_000, maxNewKeysPerWindow: 1000, now: () => 0 });
      records = 0;
      for (let i = 0; i < FLOWS; i += 1000) records += e.process(flows.slice(i, i + 1000)).length;
      records += e.flush().length;
      return FLOWS;
    }, () => `${records} records`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-bench-alerts-'));
    await ctx.measure('alerts', 'engine + log, window 0 (every flow a record, 1 MB rotation) (flows/s)', () => {
      fs.rmSync(dir, { recursive: true, force: true });
      const e = new AlertEngine({ windowMs: 0, includeFeatures: false });
      const log = new JsonlLog({ path: path.join(dir, 'alerts.jsonl'), maxBytes: 1 << 20 });
      for (let i = 0; i < FLOWS; i += 1000) log.write(e.process(flows.slice(i, i + 1000)));
      log.close();
      return FLOWS;
    }, () => `${fs.readdirSync(dir).length} files`);
    fs.rmSync(dir, { recursive: true, force: true });
  },
};
