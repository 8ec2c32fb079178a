/**
 * Runs a capture file through our flow meter (lib/flow, lib/capture public API) and returns flow
 * objects keyed by the profile's column names — what `deepmad classify <capture>` and the
 * training-data generator need.
 */
import fs from 'node:fs';
import { CaptureReader } from '../capture/reader.js';
import { Flowmeter } from '../flow/flowmeter.js';
import type { FlowObject } from '../flow/output.js';

export async function meterCapture(file: string, profile: string): Promise<FlowObject[]> {
  if (!fs.existsSync(file)) throw new Error(`no such file: ${file}`);
  const flows: FlowObject[] = [];
  const fm = new Flowmeter({ profile, onFlows: (b) => { for (const f of fm.toObjects(b)) flows.push(f); } });
  for await (const batch of new CaptureReader(file)) fm.push(batch);
  fm.close();
  return flows;
}

/** True when the file starts like a pcap, pcapng or gzip capture. */
export function looksLikeCapture(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(4);
    if (fs.readSync(fd, b, 0, 4, 0) < 4) return false;
    const m = b.readUInt32LE(0);
    return m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1 || m === 0x0a0d0d0a || (b[0] === 0x1f && b[1] === 0x8b);
  } finally {
    fs.closeSync(fd);
  }
}
