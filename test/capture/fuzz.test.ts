/**
 * Bounded fuzzing of the capture parser with mutated real captures: bit flips, truncations and
 * length-field edits, fed in random chunk sizes. The only acceptable failure is a
 * CaptureFormatError; the carry buffer never exceeds the bytes fed (no allocation from a lying
 * length); every run finishes (a hang would trip the test timeout).
 *
 * Normal run: DEFAULT_ITERATIONS per seed file. Longer: DEEPMAD_FUZZ_ITERATIONS=100000 npm test -- fuzz
 * Reproduce: DEEPMAD_FUZZ_SEED=<seed printed on failure>.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { fixture, readAll } from './helpers.js';
import { CaptureParser } from '../../lib/capture/parser.js';
import { CaptureFormatError } from '../../lib/capture/errors.js';

const DEFAULT_ITERATIONS = 400;
const ITER = Number(process.env.DEEPMAD_FUZZ_ITERATIONS ?? DEFAULT_ITERATIONS);
const SEED = Number(process.env.DEEPMAD_FUZZ_SEED ?? 20260101);

const SEEDS = [
  'zeek_communityid_tcp.pcap', 'tcpdump_pptp_big-endian.pcap', 'tcpdump_tcp-handshake-nano.pcap',
  'zeek_vlan-qinqinq.pcap', 'zeek_nflog-http.pcap', 'zeek_linux_dlt_sll2.pcap', 'zeek_ipv6-fragmented-dns.pcap',
  'le_difficult_test202.pcapng', 'be_difficult_test202.pcapng', 'zeek_pcapng-multi-interface.pcapng', 'le_advanced_test100.pcapng',
];

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { // xorshift32
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

/** Record/block length fields of a capture (offsets of 32-bit length words), for targeted edits. */
function lengthFields(data: Buffer): number[] {
  const out: number[] = [];
  const magic = data.readUInt32LE(0);
  if (magic === 0x0a0d0d0a) {
    let le = true;
    for (let o = 0; o + 12 <= data.length;) {
      if (data.readUInt32LE(o) === 0x0a0d0d0a) le = data.readUInt32LE(o + 8) === 0x1a2b3c4d;
      const len = le ? data.readUInt32LE(o + 4) : data.readUInt32BE(o + 4);
      if (len < 12) break;
      out.push(o + 4, o + len - 4);
      const type = le ? data.readUInt32LE(o) : data.readUInt32BE(o);
      if (type === 6) out.push(o + 20, o + 24);
      o += len;
    }
  } else {
    const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
    out.push(16);
    for (let o = 24; o + 16 <= data.length;) {
      out.push(o + 8, o + 12);
      o += 16 + (le ? data.readUInt32LE(o + 8) : data.readUInt32BE(o + 8));
    }
  }
  return out;
}

function mutate(data: Buffer, r: () => number): Buffer {
  const b = Buffer.from(data);
  const kind = Math.floor(r() * 4);
  if (kind === 0) { // bit flips
    const n = 1 + Math.floor(r() * 8);
    for (let k = 0; k < n; k++) { const i = Math.floor(r() * b.length); b[i] ^= 1 << Math.floor(r() * 8); }
    return b;
  }
  if (kind === 1) return b.subarray(0, Math.floor(r() * b.length)); // truncation
  if (kind === 2) { // length-field edit: tiny, off by a few, or enormous
    const fields = lengthFields(data);
    const o = fields[Math.floor(r() * fields.length)];
    const choices = [0, 1, 11, 13, 0xffffffff, 0x7fffffff, 262145, 16777220, b.readUInt32LE(o) + 4, b.readUInt32LE(o) - 4, Math.floor(r() * 4294967296)];
    b.writeUInt32LE(choices[Math.floor(r() * choices.length)] >>> 0, o);
    if (r() < 0.5) b.writeUInt32BE(b.readUInt32LE(o), o);
    return b;
  }
  // splice: random bytes overwrite a random span
  const at = Math.floor(r() * b.length);
  const len = Math.min(b.length - at, 1 + Math.floor(r() * 64));
  for (let k = 0; k < len; k++) b[at + k] = Math.floor(r() * 256);
  return b;
}

function runParser(input: Buffer, r: () => number): { packets: number; error: unknown } {
  let packets = 0;
  const parser = new CaptureParser({
    source: 'fuzz', batchSize: 1 + Math.floor(r() * 64),
    onBatch: (b) => {
      assert.ok(b.count > 0 && b.tsUs.length >= b.count && b.srcAddr.length >= 4 * b.count);
      for (let i = 0; i < b.count; i++) assert.ok(b.capLen[i] <= input.length && b.iface[i] < b.linkTypes.length);
      packets += b.count;
    },
  });
  const flushOften = r() < 0.5; // live-style short batches (copy path) vs. full batches
  let fed = 0;
  try {
    for (let o = 0; o < input.length;) {
      const size = 1 + Math.floor(r() * (r() < 0.3 ? 16 : 4096));
      parser.push(input.subarray(o, o + size));
      if (flushOften) parser.flush();
      o += size;
      fed = Math.min(o, input.length);
      assert.ok(parser.pendingBytes <= fed, `carry ${parser.pendingBytes} > fed ${fed}`);
    }
    parser.end();
  } catch (err) {
    return { packets, error: err };
  }
  assert.equal(parser.stats.packets, packets);
  return { packets, error: null };
}

test(`fuzz: ${ITER} mutations per seed capture, sync parser, random chunking`, () => {
  const r = rng(SEED);
  let errors = 0, runs = 0;
  for (const name of SEEDS) {
    const data = fs.readFileSync(fixture(name));
    for (let k = 0; k < ITER; k++) {
      const input = mutate(data, r);
      const res = runParser(input, r);
      runs++;
      if (res.error) {
        errors++;
        if (!(res.error instanceof CaptureFormatError)) {
          assert.fail(`seed ${SEED}, ${name}, iteration ${k}: non-format error ${(res.error as Error)?.stack ?? res.error}`);
        }
        assert.ok(res.error.offset <= input.length, `offset ${res.error.offset} beyond input ${input.length}`);
      }
    }
  }
  // Sanity: the mutations do hit errors, and do not all fail.
  assert.ok(errors > runs * 0.05 && errors < runs, `${errors} errors in ${runs} runs`);
});

test('fuzz: async reader over mutated plain and gzip streams', async () => {
  const r = rng(SEED + 1);
  const n = Math.max(20, Math.floor(ITER / 10));
  for (let k = 0; k < n; k++) {
    const data = fs.readFileSync(fixture(SEEDS[k % SEEDS.length]));
    let input = mutate(data, r);
    if (k % 3 === 0) input = mutate(zlib.gzipSync(data), r); // corrupt gzip too
    const parts: Buffer[] = [];
    for (let o = 0; o < input.length;) {
      const size = 1 + Math.floor(r() * 700);
      parts.push(input.subarray(o, o + size));
      o += size;
    }
    const res = await readAll(Readable.from(parts.length ? parts : [Buffer.alloc(0)]));
    if (res.error && !(res.error instanceof CaptureFormatError)) {
      assert.fail(`seed ${SEED + 1}, iteration ${k}: ${res.error.stack}`);
    }
    assert.equal(res.stats.packets, res.rows.length);
  }
});

test('fuzz: decodeFrame on random and half-plausible frames of every link type never throws or reads past the frame', async () => {
  const { decodeFrame } = await import('../../lib/capture/decode.js');
  const { allocBatch } = await import('../../lib/capture/batch-alloc.js');
  const r = rng(SEED + 2);
  const linkTypes = [0, 1, 9, 50, 101, 104, 108, 113, 228, 229, 239, 276, 105];
  // Plausible prefixes steer the random bytes into the deeper decoders.
  const prefixes: number[][] = [[], [0x45], [0x60], [0x46, 0], [0x4f, 0, 0, 0x14], [0x60, 0, 0, 0, 0, 8, 44]];
  const n = ITER * 10;
  const b = allocBatch(1);
  const buf = new Uint8Array(300);
  for (let k = 0; k < n; k++) {
    const lt = linkTypes[k % linkTypes.length];
    const len = Math.floor(r() * 200);
    for (let i = 0; i < len + 40; i++) buf[i] = Math.floor(r() * 256);
    // The frame is buf[10, 10+len); the bytes after it are poison that must never be read as packet data.
    const off = 10;
    const pre = prefixes[Math.floor(r() * prefixes.length)];
    const l2 = lt === 1 ? 14 : lt === 113 ? 16 : lt === 276 ? 20 : lt === 0 || lt === 108 ? 4 : 0;
    if (lt === 1) { buf[off + 12] = r() < 0.5 ? 0x08 : 0x86; buf[off + 13] = buf[off + 12] === 0x08 ? 0 : 0xdd; }
    for (let i = 0; i < pre.length && l2 + i < len; i++) buf[off + l2 + i] = pre[i];
    for (const key of Object.keys(b) as (keyof typeof b)[]) { const v = b[key]; if (ArrayBuffer.isView(v)) (v as Uint8Array).fill(0); }
    const before = buf.slice(off + len, off + len + 40);
    decodeFrame(b, 0, buf, off, len, len + Math.floor(r() * 100), lt);
    assert.ok(b.ipHeaderLen[0] <= 65535 && b.l4HeaderLen[0] <= 60);
    assert.deepEqual(buf.slice(off + len, off + len + 40), before); // decoder never writes the buffer
    // Re-decode with the poison changed: a correct decoder cannot notice.
    const snap = JSON.stringify(Object.fromEntries(Object.entries(b).filter(([, v]) => ArrayBuffer.isView(v)).map(([key, v]) => [key, Array.from((v as Uint8Array).subarray(0, key === 'srcAddr' || key === 'dstAddr' ? 4 : 1))])));
    for (let i = off + len; i < off + len + 40; i++) buf[i] ^= 0xff;
    for (const key of Object.keys(b) as (keyof typeof b)[]) { const v = b[key]; if (ArrayBuffer.isView(v)) (v as Uint8Array).fill(0); }
    decodeFrame(b, 0, buf, off, len, len, lt);
    const snap2 = JSON.stringify(Object.fromEntries(Object.entries(b).filter(([, v]) => ArrayBuffer.isView(v)).map(([key, v]) => [key, Array.from((v as Uint8Array).subarray(0, key === 'srcAddr' || key === 'dstAddr' ? 4 : 1))])));
    if (snap !== snap2) {
      // Only wire-length-derived totals (TSO / jumbogram) may differ between the two calls.
      const a = JSON.parse(snap), c = JSON.parse(snap2);
      for (const key of Object.keys(a)) {
        if (key === 'ipTotalLen' || key === 'payloadLen' || key === 'wireLen') continue;
        assert.deepEqual(c[key], a[key], `seed ${SEED + 2} iteration ${k} link type ${lt}: ${key} depends on bytes beyond the captured length`);
      }
    }
  }
});
