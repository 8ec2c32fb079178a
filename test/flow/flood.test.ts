/**
 * Bounded memory under a SYN flood: a generated classic pcap with one spoofed source per packet
 * (DEEPMAD_FLOOD_PACKETS, default 200 000; the bench runs millions) through the real reader and
 * meter with a small flow cap. The oldest flows are written early and marked evicted, the table never
 * exceeds the cap, and a busy real connection in the middle of the flood survives in one piece.
 * Also: the live idle sweeper (wall clock) and the offline packet-time sweep.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CaptureReader } from '../../lib/capture/reader.js';
import { Flowmeter } from '../../lib/flow/flowmeter.js';
import { toObjects, type FlowObject } from '../../lib/flow/output.js';
import { batch, T0_US, tcp } from './synth.js';

const N = Number(process.env.DEEPMAD_FLOOD_PACKETS ?? 200_000);

/** Ethernet/IPv4/TCP frame (54 bytes, no payload) with the given addresses, ports and flags. */
function frame(src: number, dst: number, sp: number, dp: number, flags: number, seq: number): Buffer {
  const f = Buffer.alloc(54);
  f.writeUInt16BE(0x0800, 12);
  f[14] = 0x45; f.writeUInt16BE(40, 16); f[22] = 64; f[23] = 6;
  f.writeUInt32BE(src >>> 0, 26); f.writeUInt32BE(dst >>> 0, 30);
  f.writeUInt16BE(sp, 34); f.writeUInt16BE(dp, 36); f.writeUInt32BE(seq >>> 0, 38);
  f[46] = 0x50; f[47] = flags; f.writeUInt16BE(1024, 48);
  return f;
}

/** A SYN flood pcap: N spoofed sources → 10.0.0.2:80, 1 µs apart; every 1000th packet is from one real connection. */
function writeFlood(file: string): number {
  const fd = fs.openSync(file, 'w');
  const gh = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0); gh.writeUInt16LE(2, 4); gh.writeUInt16LE(4, 6); gh.writeUInt32LE(65535, 16); gh.writeUInt32LE(1, 20);
  fs.writeSync(fd, gh);
  const chunk: Buffer[] = [];
  let real = 0;
  let k = 0;
  const t0 = 1_700_000_000;
  for (let i = 0; i < N; i++) {
    let f: Buffer;
    if (i % 1000 === 500) {
      // the real client 192.168.1.10:5555 ↔ 10.0.0.2:80, alternating directions
      f = real % 2 === 0 ? frame(0xc0a8010a, 0x0a000002, 5555, 80, 0x18, real) : frame(0x0a000002, 0xc0a8010a, 80, 5555, 0x10, real);
      real++;
    } else {
      // every spoofed SYN has its own source address (11.x.y.z), so each is a new flow
      k++;
      f = frame(0x0b000000 + k, 0x0a000002, 1024 + (k % 60000), 80, 0x02, Math.imul(k, 2654435761));
    }
    const rh = Buffer.alloc(16);
    const us = i; // 1 µs apart
    rh.writeUInt32LE(t0 + Math.floor(us / 1e6), 0); rh.writeUInt32LE(us % 1e6, 4); rh.writeUInt32LE(54, 8); rh.writeUInt32LE(54, 12);
    chunk.push(rh, f);
    if (chunk.length >= 8192) { fs.writeSync(fd, Buffer.concat(chunk)); chunk.length = 0; }
  }
  if (chunk.length) fs.writeSync(fd, Buffer.concat(chunk));
  fs.closeSync(fd);
  return real;
}

describe('SYN flood with spoofed sources: bounded table, oldest flows evicted', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-flood-'));
  const file = path.join(dir, 'flood.pcap');
  const realPackets = writeFlood(file);
  const CAP = 10_000;

  it(`improved: ${N} packets, cap ${CAP}: evicted flows are written and counted, the real connection survives`, async () => {
    let written = 0;
    let real: FlowObject | null = null;
    let maxOpen = 0;
    const fm = new Flowmeter({
      maxFlows: CAP,
      onFlows: (b) => {
        written += b.count;
        for (const o of toObjects(b, fm.profile, { includeEndReason: true })) {
          if (o['Src IP'] === '192.168.1.10') real = o;
        }
      },
    });
    for await (const b of new CaptureReader(file)) { fm.push(b); maxOpen = Math.max(maxOpen, fm.openFlows); }
    const s = fm.close();
    const spoofed = N - realPackets;
    assert.equal(s.packets, N);
    assert.ok(maxOpen <= CAP, `open flows ${maxOpen} > cap`);
    assert.equal(s.peakOpenFlows, CAP);
    assert.equal(s.flowsCreated, spoofed + 1);
    assert.equal(s.flowsEvicted, s.flowsCreated - CAP);
    assert.equal(written, s.flowsCreated);
    assert.equal(s.endReasons.evicted, s.flowsEvicted);
    assert.equal(s.endReasons.eof, CAP);
    assert.ok(real, 'the real connection was written');
    const r = real as FlowObject;
    assert.deepEqual([r['Total Fwd Packet'], r['Total Bwd packets'], r['Flow End']], [Math.ceil(realPackets / 2), Math.floor(realPackets / 2), 'eof']);
  });

  it('cicflowmeter-4: the same flood writes nothing (single-packet flows) but still evicts and counts', async () => {
    const fm = new Flowmeter({ maxFlows: CAP, profile: 'cicflowmeter-4' });
    let written = 0;
    fm.on('flows', (b) => { written += b.count; });
    for await (const b of new CaptureReader(file)) fm.push(b);
    const s = fm.close();
    assert.equal(written, 1); // only the real connection
    assert.equal(s.singlePacketSuppressed, s.flowsCreated - 1);
    assert.equal(s.flowsEvicted, s.flowsCreated - CAP);
  });

  it('cleanup', () => { if (!process.env.KEEP) fs.rmSync(dir, { recursive: true, force: true }); });
});

describe('sweepers', () => {
  const c = tcp('10.1.1.1', 1111, '10.2.2.2', 22);
  it('offline: packet time only — a flow silent for longer than the idle timeout is written when later packets arrive', () => {
    const out: FlowObject[] = [];
    const fm = new Flowmeter({ idleTimeout: 30, onFlows: (b) => out.push(...toObjects(b, fm.profile, { includeEndReason: true })) });
    fm.push(batch([c.c2s(0, 'PA', 5), c.s2c(1, 'A')]));
    const other = tcp('10.3.3.3', 3333, '10.2.2.2', 22);
    fm.push(batch([other.c2s(20, 'A')]));
    assert.equal(out.length, 0);
    fm.push(batch([other.c2s(45, 'A')])); // packet clock 45 s: the first flow is 44 s silent
    assert.deepEqual(out.map((o) => [o['Src IP'], o['Flow End']]), [['10.1.1.1', 'idle']]);
    fm.close();
  });
  it('live: the wall-clock sweeper writes silent flows without any further packet', () => {
    const out: FlowObject[] = [];
    const fm = new Flowmeter({ live: true, idleTimeout: 10, onFlows: (b) => out.push(...toObjects(b, fm.profile, { includeEndReason: true })) });
    fm.push(batch([c.c2s(0, 'PA', 5), c.s2c(1, 'A')]));
    assert.equal(out.length, 0);
    fm.sweepNow(T0_US + 5e6);
    assert.equal(out.length, 0);
    fm.sweepNow(T0_US + 12e6); // last packet at 1 s, 11 s silent
    assert.deepEqual(out.map((o) => [o['Total Fwd Packet'], o['Flow End']]), [[1, 'idle']]);
    fm.close();
  });
});
