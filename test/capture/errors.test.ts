/**
 * Bad input: every case yields all good packets first, then one CaptureFormatError naming the
 * file, the byte offset and the problem. Policy: reading stops at the first structural error
 * (no resynchronisation). Also: follow mode on a growing file, abort, stop().
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fixture, readAll } from './helpers.js';
import { block, bytes, epb, ether, idb, ipv4, pcapHeader, pcapRecord, shb, u32, udp } from './craft.js';
import { CaptureFormatError } from '../../lib/capture/errors.js';
import { CaptureReader, parseCaptureBuffer } from '../../lib/capture/reader.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-capture-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
function tmpFile(name: string, data: Buffer): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, data);
  return p;
}
/** Packets zlib still releases from the gzip fixture cut 12 bytes short (the 8-byte trailer and 4 data bytes). */
const GZ_CUT_ROWS = 11;
const frame = ether(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, payload: udp(1, 2, Buffer.alloc(20)) }));

function assertCaptureError(err: Error | null, file: string, offset: number, reason: RegExp): void {
  assert.ok(err instanceof CaptureFormatError, `expected CaptureFormatError, got ${err}`);
  assert.equal(err.file, file);
  assert.equal(err.offset, offset);
  assert.match(err.reason, reason);
  assert.ok(err.message.startsWith(offset >= 0 ? `${file}: at byte ${offset}: ` : `${file}: `));
}

/** Offsets of every record header in a classic little-endian pcap. */
function recordOffsets(data: Buffer): number[] {
  const out: number[] = [];
  for (let o = 24; o + 16 <= data.length; o += 16 + data.readUInt32LE(o + 8)) out.push(o);
  return out;
}

test('truncated last record: all earlier packets, then an error at the record start', async () => {
  const data = fs.readFileSync(fixture('zeek_communityid_tcp.pcap'));
  const offs = recordOffsets(data);
  assert.equal(offs.length, 12);
  const cut = tmpFile('cut.pcap', data.subarray(0, data.length - 5));
  const r = await readAll(cut);
  assert.equal(r.rows.length, 11);
  assertCaptureError(r.error, cut, offs[11], /^input ends inside a packet record: \d+ of \d+ bytes present \(truncated capture\)$/);
  assert.equal(r.stats.complete, false);
  assert.deepEqual(r.stats.errors, [r.error!.message]);
  // Cut inside the 16-byte record header.
  const cut2 = tmpFile('cut2.pcap', data.subarray(0, offs[11] + 7));
  const r2 = await readAll(cut2);
  assert.equal(r2.rows.length, 11);
  assertCaptureError(r2.error, cut2, offs[11], /7 of 16 bytes present/);
  // Real fuzzer file cut short mid-packet (also: pcap 2.0 length order, BSD null, ns).
  const r3 = await readAll(fixture('ndpi_fuzz-2021-10-13_cut-short.pcap'));
  assert.equal(r3.rows.length, 1);
  assert.equal(r3.rows[0].capLen, 197);
  assertCaptureError(r3.error, fixture('ndpi_fuzz-2021-10-13_cut-short.pcap'), 237, /2 of 16 bytes present/);
});

test('impossible record length: real fuzzed file, and a length beyond the file is never allocated', async () => {
  const f = fixture('suricata_fuzz_corrupt-record-length.pcap');
  const r = await readAll(f);
  assert.equal(r.rows.length, 1);
  assertCaptureError(r.error, f, 228, /^packet record claims 1409179648 captured bytes, more than the maximum 262144 \(snaplen 65535\): corrupt record header$/);
  // 200000 bytes claimed (plausible under the limit) but only 10 present: a truncation, found at the end.
  const data = bytes(pcapHeader(), pcapRecord(frame, 1, 0), u32(2, true), u32(0, true), u32(200000, true), u32(200000, true), Buffer.alloc(10));
  const p = tmpFile('long.pcap', data);
  const before = process.memoryUsage().arrayBuffers;
  const r2 = await readAll(p);
  assert.equal(r2.rows.length, 1);
  assertCaptureError(r2.error, p, 24 + 16 + frame.length, /^input ends inside a packet record: 26 of 200016 bytes present \(truncated capture\)$/);
  assert.ok(process.memoryUsage().arrayBuffers - before < 50e6);
});

test('garbage after the header, empty file, non-capture file, unsupported version', async () => {
  const g = tmpFile('garbage.pcap', bytes(pcapHeader(), Buffer.alloc(64, 0xee)));
  const r = await readAll(g);
  assert.equal(r.rows.length, 0);
  assertCaptureError(r.error, g, 24, /claims 4008636142 captured bytes/);
  const e = tmpFile('empty.pcap', Buffer.alloc(0));
  assertCaptureError((await readAll(e)).error, e, 0, /^empty input \(0 bytes\): not a capture file$/);
  const t = tmpFile('notes.txt', Buffer.from('this is not a capture\n'));
  assertCaptureError((await readAll(t)).error, t, 0, /^not a capture file: unknown magic number 74 68 69 73 \(expected pcap, pcapng or gzip\)$/);
  const s = tmpFile('short.pcap', Buffer.from([0xd4, 0xc3]));
  assertCaptureError((await readAll(s)).error, s, 0, /only 2 byte\(s\)/);
  const h = tmpFile('half-header.pcap', pcapHeader().subarray(0, 20));
  assertCaptureError((await readAll(h)).error, h, 0, /inside a pcap file header \(24 bytes\): 20 of 24/);
  const v = pcapHeader(); v.writeUInt16LE(3, 4);
  const vf = tmpFile('v3.pcap', v);
  assertCaptureError((await readAll(vf)).error, vf, 4, /unsupported pcap version 3\.4/);
});

test('pcapng: corrupt block (length mismatch), impossible length, bad byte-order magic, unknown interface', async () => {
  const good = bytes(shb(), idb(1), epb(0, 1n, frame));
  const goodLen = good.length;
  // Trailing length differs from the leading one.
  const bad1 = bytes(good, epb(0, 2n, frame));
  bad1.writeUInt32LE(12345 * 4, bad1.length - 4);
  const p1 = tmpFile('mismatch.pcapng', bad1);
  const r1 = await readAll(p1);
  assert.equal(r1.rows.length, 1);
  assertCaptureError(r1.error, p1, bad1.length - 4, /block \(type 0x6\) is corrupt: total length \d+ at its start but 49380 at its end/);
  // Length not a multiple of 4.
  const bad2 = bytes(good, block(6, Buffer.alloc(40)));
  bad2.writeUInt32LE(53, goodLen + 4);
  const p2 = tmpFile('len.pcapng', bad2);
  const r2 = await readAll(p2);
  assert.equal(r2.rows.length, 1);
  assertCaptureError(r2.error, p2, goodLen + 4, /impossible total length 53 \(must be ≥ 12 and a multiple of 4\)/);
  // Huge length: refused at once, not buffered.
  const bad3 = bytes(good, u32(6, true), u32(0x7ffffff0, true), Buffer.alloc(100));
  const r3 = await readAll(tmpFile('huge.pcapng', bad3));
  assert.equal(r3.rows.length, 1);
  assert.match(r3.error!.message, /impossible total length 2147483632 \(limit 16777216\)/);
  // Byte-order magic wrong.
  const bad4 = shb(); bad4.writeUInt32LE(0x11223344, 8);
  assertCaptureError((await readAll(tmpFile('bom.pcapng', bad4))).error, path.join(tmp, 'bom.pcapng'), 8, /invalid byte-order magic/);
  // EPB naming an interface the section does not define.
  const bad5 = bytes(good, epb(3, 2n, frame));
  const r5 = await readAll(tmpFile('iface.pcapng', bad5));
  assert.equal(r5.rows.length, 1);
  assertCaptureError(r5.error, path.join(tmp, 'iface.pcapng'), goodLen + 8, /refers to interface 3, but the section defines 1 interface/);
  // Truncated block at the end.
  const r6 = await readAll(tmpFile('cutng.pcapng', bytes(good, epb(0, 2n, frame)).subarray(0, goodLen + 30)));
  assert.equal(r6.rows.length, 1);
  assertCaptureError(r6.error, path.join(tmp, 'cutng.pcapng'), goodLen, /input ends inside a pcapng block: 30 of \d+ bytes present/);
});

test('gzip: truncated or corrupt compressed data gives a gzip error after the good packets', async () => {
  const gz = fs.readFileSync(fixture('zeek_communityid_tcp.pcap.gz'));
  const p = tmpFile('cut.pcap.gz', gz.subarray(0, gz.length - 12));
  const r = await readAll(p);
  assert.ok(r.error instanceof CaptureFormatError);
  assert.match(r.error.message, /^.*cut\.pcap\.gz: gzip data is corrupt or truncated \(unexpected end of file\)/);
  assert.equal(r.rows.length, GZ_CUT_ROWS);
  const bad = Buffer.from(gz);
  bad[20] ^= 0xff;
  const r2 = await readAll(tmpFile('bad.pcap.gz', bad));
  assert.ok(r2.error instanceof CaptureFormatError);
  assert.match(r2.error.message, /gzip data is corrupt or truncated/);
  assert.throws(() => parseCaptureBuffer(gz.subarray(0, 30), { onBatch: () => {} }), /gzip data is corrupt or truncated/);
});

test('a missing file or a directory: a plain, clear error', async () => {
  const r = await readAll(path.join(tmp, 'nope.pcap'));
  assert.equal(r.error?.message, `cannot open capture '${path.join(tmp, 'nope.pcap')}': no such file`);
  const d = await readAll(tmp);
  assert.equal(d.error?.message, `cannot open capture '${tmp}': it is a directory`);
});

test('streams name themselves in errors (<stream>, or a label)', async () => {
  const data = fs.readFileSync(fixture('suricata_fuzz_corrupt-record-length.pcap'));
  const r = await readAll(Readable.from([data.subarray(0, 100), data.subarray(100)]), { label: '<dumpcap>' });
  assert.equal(r.rows.length, 1);
  assertCaptureError(r.error, '<dumpcap>', 228, /corrupt record header/);
  const r2 = await readAll(Readable.from([Buffer.alloc(0)]));
  assertCaptureError(r2.error, '<stream>', 0, /empty input/);
});

test('follow mode: packets appended by a writer are read until stop(); a half-written record is only a warning', async () => {
  const p = path.join(tmp, 'growing.pcap');
  fs.writeFileSync(p, pcapHeader());
  const reader = new CaptureReader(p, { follow: true, pollMs: 10 });
  const seen: number[] = [];
  const done = (async () => {
    for await (const b of reader) for (let i = 0; i < b.count; i++) seen.push(b.tsUs[i]);
  })();
  const wait = async (n: number): Promise<void> => {
    for (let k = 0; k < 500 && seen.length < n; k++) await new Promise((res) => setTimeout(res, 10));
  };
  fs.appendFileSync(p, pcapRecord(frame, 1, 0));
  await wait(1);
  assert.deepEqual(seen, [1e6]);
  const rec = pcapRecord(frame, 2, 0);
  fs.appendFileSync(p, rec.subarray(0, 30)); // writer mid-record
  await new Promise((res) => setTimeout(res, 50));
  assert.equal(seen.length, 1);
  fs.appendFileSync(p, bytes(rec.subarray(30), pcapRecord(frame, 3, 0), pcapRecord(frame, 4, 0).subarray(0, 20)));
  await wait(3);
  assert.deepEqual(seen, [1e6, 2e6, 3e6]);
  reader.stop();
  await done;
  assert.equal(reader.stats.packets, 3);
  assert.deepEqual(reader.stats.errors, []);
  assert.equal(reader.stats.warnings.length, 1);
  assert.deepEqual(reader.stats.warnings, [`input ends inside a packet record: 20 of ${16 + frame.length} bytes present (truncated capture)`]);
  assert.equal(reader.stats.complete, false);
});

test('follow mode waits for the file to appear; an AbortSignal ends it quietly', async () => {
  const p = path.join(tmp, 'later.pcap');
  const ac = new AbortController();
  const reader = new CaptureReader(p, { follow: true, pollMs: 10, signal: ac.signal });
  let n = 0;
  const done = (async () => { for await (const b of reader) n += b.count; })();
  await new Promise((res) => setTimeout(res, 40));
  fs.writeFileSync(p, bytes(pcapHeader(), pcapRecord(frame, 7, 0), pcapRecord(frame, 8, 0)));
  for (let k = 0; k < 300 && n < 2; k++) await new Promise((res) => setTimeout(res, 10));
  ac.abort();
  await done;
  assert.equal(n, 2);
  assert.equal(reader.stats.packets, 2);
  assert.deepEqual(reader.stats.errors, []);
});

test('abort while reading a plain file stops early without an error', async () => {
  const data = bytes(pcapHeader(), ...Array.from({ length: 2000 }, (_, k) => pcapRecord(frame, k, 0)));
  const p = tmpFile('many.pcap', data);
  const ac = new AbortController();
  const reader = new CaptureReader(p, { signal: ac.signal, chunkSize: 4096, batchSize: 10 });
  let n = 0;
  for await (const b of reader) { n += b.count; if (n >= 50) ac.abort(); }
  assert.ok(n >= 50 && n < 2000, `${n}`);
  assert.equal(reader.stats.complete, false);
  assert.deepEqual(reader.stats.errors, []);
});

test('follow mode stopped before the capture wrote anything: a warning, not an error', async () => {
  const p = tmpFile('empty-growing.pcap', Buffer.alloc(0));
  const reader = new CaptureReader(p, { follow: true, pollMs: 10 });
  const done = (async () => { let n = 0; for await (const b of reader) n += b.count; return n; })();
  await new Promise((res) => setTimeout(res, 30));
  reader.stop();
  assert.equal(await done, 0);
  assert.deepEqual(reader.stats.errors, []);
  assert.deepEqual(reader.stats.warnings, ['stopped before any capture data was read']);
  assert.equal(reader.stats.complete, false);
});

test('live stream: a quiet source still gets its short batch within maxLatencyMs, and abort ends an idle read', async () => {
  const { PassThrough } = await import('node:stream');
  const src = new PassThrough();
  const ac = new AbortController();
  const reader = new CaptureReader(src, { signal: ac.signal, maxLatencyMs: 30 });
  const got: number[] = [];
  const done = (async () => { for await (const b of reader) got.push(b.count); })();
  src.write(bytes(pcapHeader(), pcapRecord(frame, 1, 0), pcapRecord(frame, 2, 0)));
  for (let k = 0; k < 200 && got.length === 0; k++) await new Promise((res) => setTimeout(res, 5));
  assert.deepEqual(got, [2]); // emitted by the latency timer: the stream is still open
  src.write(pcapRecord(frame, 3, 0));
  for (let k = 0; k < 200 && got.length < 2; k++) await new Promise((res) => setTimeout(res, 5));
  assert.deepEqual(got, [2, 1]);
  ac.abort(); // nothing more arrives: the abort alone must end the iteration
  await done;
  assert.equal(reader.stats.packets, 3);
  assert.deepEqual(reader.stats.errors, []);
  assert.equal(reader.stats.complete, false);
  assert.equal(src.destroyed, true);
});

test('stream with maxLatencyMs 0 waits for full batches (offline stdin)', async () => {
  const data = bytes(pcapHeader(), ...Array.from({ length: 300 }, (_, k) => pcapRecord(frame, k, 0)));
  const parts: Buffer[] = [];
  for (let o = 0; o < data.length; o += 1000) parts.push(data.subarray(o, o + 1000));
  const r = await readAll(Readable.from(parts), { maxLatencyMs: 0, batchSize: 128 });
  assert.deepEqual(r.batches.map((b) => b.count), [128, 128, 44]);
  const f = await readAll(Readable.from(parts), { flushEachChunk: true, batchSize: 128 });
  assert.equal(f.batches.length, parts.length); // every 1000-byte chunk completes at least one record
});
