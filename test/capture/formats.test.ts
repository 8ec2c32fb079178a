/**
 * Container formats: classic pcap (both byte orders, µs/ns, old 2.x length order), pcapng
 * (both byte orders, several sections, IDB options, EPB/SPB, unknown blocks), gzip, and every
 * kind of source (path, stream, stdin-like pipe in odd chunk sizes). Expected values were
 * cross-checked with tshark 4.0 (`-T fields -e frame.time_epoch -e ip.src …`) on the same fixtures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { fixture, pick, readAll, row } from './helpers.js';
import { bytes, epb, ether, idb, ipv4, pcapHeader, pcapRecord, shb, spb, udp, block } from './craft.js';
import { parseCaptureBuffer, readCaptureFileSync } from '../../lib/capture/reader.js';
import type { PacketBatch } from '../../lib/capture/packet-batch.js';

const L4 = ['ipVersion', 'proto', 'src', 'dst', 'srcPort', 'dstPort'] as const;

test('classic pcap, little-endian, nanosecond timestamps (Linux SLL TCP handshake)', async () => {
  const r = await readAll(fixture('tcpdump_tcp-handshake-nano.pcap'));
  assert.equal(r.error, null);
  assert.equal(r.rows.length, 3);
  // tshark: 1418145369.924505488, .052027262, .052115157
  assert.deepEqual(r.rows.map((x) => x.tsUs), [
    1418145369e6 + 924505488 / 1000, 1418145370e6 + 52027262 / 1000, 1418145370e6 + 52115157 / 1000,
  ]);
  assert.deepEqual(r.rows[1], {
    tsUs: 1418145370e6 + 52027262 / 1000, capLen: 76, wireLen: 76, iface: 0, ipVersion: 4, proto: 6,
    src: '137.116.81.94', dst: '131.155.215.69', srcPort: 80, dstPort: 46656, icmpType: 0, icmpCode: 0,
    tcpFlags: 0x12, tcpWindow: 8192, tcpSeq: 3078856592, tcpAck: 797190860, ipHeaderLen: 20, ipTotalLen: 60,
    l4HeaderLen: 40, payloadLen: 0, ttl: 117, ipId: 7236, fragOffset: 0, flags: 8, vlanId: 0,
  });
  assert.equal(r.stats.format, 'pcap');
  assert.equal(r.stats.byteOrder, 'little-endian');
  assert.equal(r.stats.interfaces[0].tsResolution, '1e-9 s');
  assert.equal(r.stats.interfaces[0].linkType, 113);
  assert.equal(r.stats.bytes, 220);
  assert.equal(r.stats.complete, true);
});

test('classic pcap, big-endian', async () => {
  const r = await readAll(fixture('tcpdump_pptp_big-endian.pcap'));
  assert.equal(r.error, null);
  assert.equal(r.rows.length, 23);
  assert.equal(r.stats.byteOrder, 'big-endian');
  assert.deepEqual(pick(r.rows[0], ['tsUs', 'capLen', ...L4, 'tcpFlags', 'tcpWindow', 'tcpSeq', 'l4HeaderLen', 'ttl', 'ipId']), {
    tsUs: 954147395148077, capLen: 62, ipVersion: 4, proto: 6, src: '10.1.1.11', dst: '10.1.1.10', srcPort: 3025,
    dstPort: 1723, tcpFlags: 2, tcpWindow: 16384, tcpSeq: 3648253419, l4HeaderLen: 28, ttl: 128, ipId: 951,
  });
  assert.equal(r.stats.firstTsUs, 954147395148077);
  assert.equal(r.stats.lastTsUs, 954147396347775);
});

test('crafted pcap: µs/ns × both byte orders give the same packets', () => {
  const frame = ether(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, payload: udp(1234, 53, Buffer.from('hello')), ttl: 9, id: 77 }));
  for (const le of [true, false]) {
    for (const nano of [false, true]) {
      const file = bytes(pcapHeader({ le, nano }), pcapRecord(frame, 1700000000, nano ? 123456789 : 123456, { le }));
      const got: PacketBatch[] = [];
      const st = parseCaptureBuffer(file, { onBatch: (b) => got.push(b) });
      assert.equal(st.packets, 1);
      assert.equal(got[0].tsUs[0], nano ? 1700000000e6 + 123456.789 : 1700000000123456);
      assert.equal(got[0].srcPort[0], 1234);
      assert.equal(got[0].payloadLen[0], 5);
      assert.equal(st.byteOrder, le ? 'little-endian' : 'big-endian');
    }
  }
});

test('pcap 2.0-2.2 stores the lengths in the other order (libpcap rule); 2.3 swaps when incl > orig', () => {
  const frame = ether(0x0800, ipv4({ src: '1.2.3.4', dst: '5.6.7.8', proto: 17, payload: udp(1, 2, Buffer.alloc(10)) }));
  // Version 2.2, lengths written as (orig, incl) = (1500, frame.length).
  const old = bytes(pcapHeader({ minor: 2 }), pcapRecord(frame, 1, 0, { capLen: 1500, wireLen: frame.length }));
  const got: PacketBatch[] = [];
  parseCaptureBuffer(old, { onBatch: (b) => got.push(b) });
  assert.equal(got[0].capLen[0], frame.length);
  assert.equal(got[0].wireLen[0], 1500);
  const v23 = bytes(pcapHeader({ minor: 3 }), pcapRecord(frame, 1, 0, { capLen: 1500, wireLen: frame.length }));
  got.length = 0;
  parseCaptureBuffer(v23, { onBatch: (b) => got.push(b) });
  assert.equal(got[0].capLen[0], frame.length);
});

test('Kuznetzov "modified pcap" (24-byte record headers) reads like the original', async () => {
  const orig = await readAll(fixture('zeek_communityid_tcp.pcap'));
  const mod = await readAll(fixture('zeek_communityid_tcp.modpcap'));
  assert.equal(mod.error, null);
  assert.equal(mod.rows.length, 12);
  assert.deepEqual(mod.rows, orig.rows);
});

test('pcapng, little-endian, two interfaces with different if_tsresol and names', async () => {
  const r = await readAll(fixture('zeek_pcapng-multi-interface.pcapng'));
  assert.equal(r.error, null);
  assert.equal(r.rows.length, 6);
  assert.equal(r.stats.format, 'pcapng');
  assert.deepEqual(r.stats.interfaces.map((i) => [i.linkType, i.tsResolution, i.name, i.packets]), [
    [1, '1e-9 s', 'eth0', 2],
    [1, '1e-6 s', '\\Device\\NPF_{5AE6EDB4-EFF9-46B3-A3C2-EE50C688A9E6}', 4],
  ]);
  // tshark: 1767663089.500330543 (ns interface) and 1767663437.111897 (µs interface)
  assert.equal(r.rows[0].tsUs, 1767663089500330.543);
  assert.equal(r.rows[2].tsUs, 1767663437111897);
  assert.deepEqual(r.rows.map((x) => x.iface), [0, 0, 1, 1, 1, 1]);
  assert.deepEqual(r.batches[0].linkTypes, [1, 1]);
  assert.deepEqual(pick(r.rows[2], [...L4, 'payloadLen', 'ttl']), {
    ipVersion: 4, proto: 17, src: '10.0.0.4', dst: '1.1.1.1', srcPort: 56351, dstPort: 53, payloadLen: 28, ttl: 128,
  });
});

test('pcapng, big-endian (and its little-endian twin decode identically)', async () => {
  const be = await readAll(fixture('nfstream_dhcp_big_endian.pcapng'));
  const le = await readAll(fixture('nfstream_dhcp_little_endian.pcapng'));
  assert.equal(be.error, null);
  assert.equal(be.stats.byteOrder, 'big-endian');
  assert.equal(le.stats.byteOrder, 'little-endian');
  assert.equal(be.rows.length, 4);
  assert.deepEqual(be.rows, le.rows);
  // The file really stores µs ticks that land in year 151991 (capinfos agrees): kept as read.
  assert.equal(be.rows[0].tsUs, 4734231571822539464 / 1);
  assert.deepEqual(pick(be.rows[1], [...L4, 'payloadLen', 'capLen']), {
    ipVersion: 4, proto: 17, src: '192.168.0.1', dst: '192.168.0.10', srcPort: 67, dstPort: 68, payloadLen: 300, capLen: 342,
  });
});

test('pcapng conformance: three sections of mixed byte order, SPB/EPB, NRB/ISB/custom blocks skipped', async () => {
  for (const name of ['le_difficult_test202.pcapng', 'be_difficult_test202.pcapng']) {
    const r = await readAll(fixture(name));
    assert.equal(r.error, null, name);
    assert.equal(r.rows.length, 8);
    assert.equal(r.stats.sections, 3);
    assert.equal(r.stats.byteOrder, 'mixed');
    assert.equal(r.stats.interfaces.length, 5);
    assert.deepEqual(r.stats.interfaces.map((i) => [i.section, i.linkType, i.snaplen]), [[0, 1, 96], [0, 0, 0], [1, 1, 128], [2, 1, 96], [2, 0, 0]]);
    assert.deepEqual(r.stats.interfaces.map((i) => i.packets), [2, 1, 4, 0, 1]);
    // EPB capped at the snaplen: 96 captured of 314 on the wire
    assert.deepEqual(pick(r.rows[0], ['capLen', 'wireLen', 'srcPort', 'dstPort', 'payloadLen']), { capLen: 96, wireLen: 314, srcPort: 68, dstPort: 67, payloadLen: 272 });
    assert.deepEqual(pick(r.rows[2], ['iface', 'src', 'dst', 'srcPort']), { iface: 1, src: '192.168.1.139', dst: '255.255.255.255', srcPort: 17500 });
    assert.equal(r.stats.bytes, 1040);
    assert.equal(r.stats.wireBytes, 2304);
  }
});

test('pcapng simple packet blocks: no timestamp (previous packet time, 0 before any), interface 0', async () => {
  const r = await readAll(fixture('le_basic_test010.pcapng'));
  assert.equal(r.rows.length, 4);
  assert.deepEqual(r.rows.map((x) => x.tsUs), [0, 0, 0, 0]);
  assert.deepEqual(r.rows.map((x) => x.capLen), [314, 342, 314, 342]);
  const frame = ether(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, payload: udp(5, 6, Buffer.alloc(3)) }));
  const file = bytes(shb(), idb(1, { snaplen: 20 }), epb(0, 5000000n, frame), spb(frame));
  const got: PacketBatch[] = [];
  parseCaptureBuffer(file, { onBatch: (b) => got.push(b) });
  assert.equal(got[0].count, 2);
  assert.equal(got[0].tsUs[1], 5000000);
  assert.equal(got[0].capLen[1], 20); // SPB captured length = min(original, snaplen)
  assert.equal(got[0].wireLen[1], frame.length);
});

test('pcapng if_tsresol: decimal, non-decimal (2^-k) and if_tsoffset', () => {
  const frame = ether(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, payload: udp(5, 6, Buffer.alloc(0)) }));
  const cases: [Parameters<typeof idb>[1], bigint, number, string][] = [
    [{ tsresol: 3 }, 1700000000123n, 1700000000123000, '1e-3 s'],
    [{ tsresol: 9 }, 1700000000123456789n, 1700000000123456.789, '1e-9 s'],
    [{ tsresol: 0x80 | 10 }, 1700000000n * 1024n + 512n, 1700000000500000, '2^-10 s'],
    [{ tsresol: 0x80 | 20 }, 3n * 1048576n + 262144n, 3250000, '2^-20 s'],
    [{ tsresol: 6, tsoffset: 1000 }, 5n, 1000000005, '1e-6 s'],
  ];
  for (const le of [true, false]) {
    for (const [opts, ticks, us, res] of cases) {
      const file = bytes(shb(le), idb(1, { ...opts, le }), epb(0, ticks, frame, { le }));
      const got: PacketBatch[] = [];
      const st = parseCaptureBuffer(file, { onBatch: (b) => got.push(b) });
      assert.equal(got[0].tsUs[0], us, `${res} ${le}`);
      assert.equal(st.interfaces[0].tsResolution, res);
    }
  }
});

test('pcapng unknown and custom blocks are skipped, not errors', () => {
  const frame = ether(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, payload: udp(5, 6, Buffer.alloc(0)) }));
  const file = bytes(shb(), block(0x12345678, Buffer.alloc(20, 7)), idb(1), block(0x00000bad, Buffer.alloc(9, 1)), epb(0, 1n, frame), block(5, Buffer.alloc(16)));
  const st = parseCaptureBuffer(file, { onBatch: () => {} });
  assert.equal(st.packets, 1);
  assert.deepEqual(st.errors, []);
});

test('gzip-wrapped pcap and pcapng are detected by magic, not by name', async () => {
  const plain = await readAll(fixture('zeek_communityid_tcp.pcap'));
  const gz = await readAll(fixture('zeek_communityid_tcp.pcap.gz'));
  assert.equal(gz.error, null);
  assert.equal(gz.stats.compression, 'gzip');
  assert.equal(gz.rows.length, 12);
  assert.deepEqual(gz.rows, plain.rows);
  assert.equal(gz.stats.totalBytes, fs.statSync(fixture('zeek_communityid_tcp.pcap.gz')).size);
  const ng = await readAll(fixture('zeek_pcapng-multi-interface.pcapng.gz'));
  assert.equal(ng.stats.format, 'pcapng');
  assert.equal(ng.rows.length, 6);
  // Same bytes under a name that says nothing, through a stream.
  const s = await readAll(fs.createReadStream(fixture('zeek_communityid_tcp.pcap.gz')));
  assert.deepEqual(s.rows, plain.rows);
  // And synchronously.
  let n = 0;
  parseCaptureBuffer(fs.readFileSync(fixture('zeek_communityid_tcp.pcap.gz')), { onBatch: (b) => { n += b.count; } });
  assert.equal(n, 12);
});

test('streams in any chunking (1 byte, odd sizes) give exactly the file result; batches respect batchSize', async () => {
  for (const name of ['zeek_communityid_icmp6.pcap', 'le_difficult_test202.pcapng', 'zeek_nflog-http.pcap']) {
    const data = fs.readFileSync(fixture(name));
    const ref = await readAll(fixture(name));
    for (const size of [1, 3, 7, 64, 1000]) {
      const parts: Buffer[] = [];
      for (let o = 0; o < data.length; o += size) parts.push(data.subarray(o, o + size));
      // batchSize 5: full batches handed over; 4096: short per-chunk batches copied out right-sized.
      for (const batchSize of [5, 4096]) {
        const r = await readAll(Readable.from(parts), { batchSize });
        assert.equal(r.error, null, `${name} ${size}`);
        assert.deepEqual(r.rows, ref.rows, `${name} chunk ${size} batch ${batchSize}`);
        assert.ok(r.batches.every((b) => b.count <= batchSize && b.count > 0));
        assert.deepEqual(r.batches[r.batches.length - 1].linkTypes, ref.stats.interfaces.map((i) => i.linkType));
        assert.equal(r.stats.source, '<stream>');
        assert.equal(r.stats.packets, ref.rows.length);
      }
    }
  }
});

test('batches: full batches of batchSize from a file, then the rest; a new batch object each time', async () => {
  const r = await readAll(fixture('zeek_communityid_icmp6.pcap'), { batchSize: 16 });
  assert.deepEqual(r.batches.map((b) => b.count), [16, 16, 16, 1]);
  assert.equal(new Set(r.batches.map((b) => b.tsUs.buffer)).size, 4);
  let n = 0;
  const st = readCaptureFileSync(fixture('zeek_communityid_icmp6.pcap'), { batchSize: 16, onBatch: (b) => { n += b.count; } });
  assert.equal(n, 49);
  assert.equal(st.ipv6Packets, 49);
});

test('release(): recycled batches and reused read buffers give exactly the rows of a plain read', async () => {
  const { CaptureReader } = await import('../../lib/capture/reader.js');
  // small chunks: many reads through the reused read buffers, records straddling chunk boundaries
  for (const name of ['zeek_mixed-vlan-mpls.pcap', 'le_difficult_test202.pcapng', 'zeek_communityid_tcp.pcap.gz']) {
    const ref = await readAll(fixture(name), { batchSize: 2 });
    const reader = new CaptureReader(fixture(name), { batchSize: 2, chunkSize: 512 });
    const rows = [];
    const buffers = new Set<ArrayBufferLike>();
    let batches = 0;
    for await (const b of reader) {
      for (let i = 0; i < b.count; i++) rows.push(row(b, i));
      buffers.add(b.tsUs.buffer);
      batches++;
      reader.release(b);
      reader.release(b); // a second release of the same batch is ignored
    }
    assert.deepEqual(rows, ref.rows, name);
    assert.deepEqual(reader.stats.packets, ref.stats.packets);
    // 48 packets in 512-byte chunks: 24 batches share 4 buffers (a small file unzipped in one chunk has no chance to)
    if (name === 'zeek_mixed-vlan-mpls.pcap') assert.ok(batches === 24 && buffers.size <= 4, `${batches} batches in ${buffers.size} buffers`);
  }
});

test('forEachBatch resolves to the final stats', async () => {
  const { CaptureReader } = await import('../../lib/capture/reader.js');
  let n = 0;
  const st = await new CaptureReader(fixture('zeek_q-in-q.pcap')).forEachBatch((b) => { n += b.count; });
  assert.equal(n, 5);
  assert.equal(st.packets, 5);
  assert.equal(st.complete, true);
  assert.equal(st.firstTsUs, 1363900699548138);
  assert.equal(st.lastTsUs, 1363900699553625);
});

test('empty captures: header only is fine, zero packets', async () => {
  for (const name of ['zeek_empty.pcap', 'tcpdump_empty.pcapng']) {
    const r = await readAll(fixture(name));
    assert.equal(r.error, null, name);
    assert.equal(r.rows.length, 0);
    assert.equal(r.stats.firstTsUs, null);
    assert.equal(r.stats.complete, true);
  }
});

test('records longer than the snaplen are read in full (as libpcap allows), with one warning', () => {
  const frame = ether(0x0800, ipv4({ src: '1.2.3.4', dst: '5.6.7.8', proto: 17, payload: udp(1, 2, Buffer.alloc(10)) }));
  const file = bytes(pcapHeader({ snaplen: 20 }), pcapRecord(frame, 1, 0), pcapRecord(frame, 2, 0));
  const got: PacketBatch[] = [];
  const st = parseCaptureBuffer(file, { onBatch: (b) => got.push(b) });
  assert.equal(st.packets, 2);
  assert.equal(got[0].capLen[1], frame.length);
  assert.equal(got[0].dstPort[1], 2);
  assert.deepEqual(st.warnings, ["some records are longer than the file's snaplen (20); read in full"]);
});

test('file reads with read-ahead: any chunk size (tiny, exact multiple of the file size) gives the same packets', async () => {
  const { CaptureReader } = await import('../../lib/capture/reader.js');
  const file = fixture('zeek_communityid_icmp6.pcap');
  const size = fs.statSync(file).size; // 5356 = 4 × 1339
  const ref = await readAll(file);
  for (const chunkSize of [1, 13, 1339, size, size + 1]) {
    const r = await readAll(file, { chunkSize });
    assert.equal(r.error, null);
    assert.deepEqual(r.rows, ref.rows, `chunk ${chunkSize}`);
    assert.equal(r.stats.bytesRead, size);
  }
  // Early exit closes the file without waiting for the whole read-ahead to be consumed.
  const reader = new CaptureReader(file, { chunkSize: 100, batchSize: 1 });
  for await (const b of reader) { assert.equal(b.count, 1); break; }
});
