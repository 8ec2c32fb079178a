/** `deepmad info`: capinfos-like report, JSON mode, stdin, and exit status 1 after reporting a broken file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fixture } from './helpers.js';
import { formatTimestamp } from '../../bin/commands/info.js';

const root = path.resolve(__dirname, '../..');
function deepmad(args: string[], input?: Buffer) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'bin', 'deepmad.ts'), ...args], {
    cwd: root, input, encoding: 'utf8', timeout: 60000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('timestamps print in UTC with microseconds; far-future years and absence are handled', () => {
  assert.equal(formatTimestamp(1363900699548138), '2013-03-21 21:18:19.548138 UTC');
  assert.equal(formatTimestamp(0), '1970-01-01 00:00:00.000000 UTC');
  assert.equal(formatTimestamp(1999999.9999), '1970-01-01 00:00:02.000000 UTC');
  assert.equal(formatTimestamp(null), 'n/a');
  assert.equal(formatTimestamp(1e22), '10000000000000000.000000 s since 1970');
});

test('deepmad info: text report of a multi-section pcapng and a broken pcap (exit 1, error after the counts)', () => {
  const r = deepmad(['info', fixture('le_difficult_test202.pcapng'), fixture('suricata_fuzz_corrupt-record-length.pcap')]);
  assert.equal(r.code, 1);
  const blocks = r.out.split('\n\n');
  assert.equal(blocks.length, 2);
  assert.match(blocks[0], /^File type: +pcapng \(mixed byte orders\)$/m);
  assert.match(blocks[0], /^Sections: +3$/m);
  assert.match(blocks[0], /^Link types: +ETHERNET \(1\), NULL \(BSD loopback\) \(0\)$/m);
  assert.match(blocks[0], /^Interface #2: +ETHERNET \(1\), 'silly ethernet interface 2', snaplen 128, resolution 1e-6 s, 4 packets$/m);
  assert.match(blocks[0], /^Number of packets: +8$/m);
  assert.match(blocks[0], /^Data size: +1,040 bytes captured, 2,304 bytes on the wire$/m);
  // capinfos -a -e: 2012-06-29 07:28:25.298858 / 07:28:25.301858
  assert.match(blocks[0], /^First packet time: +2012-06-29 07:28:25\.298858 UTC$/m);
  assert.match(blocks[0], /^Last packet time: +2012-06-29 07:28:25\.301858 UTC$/m);
  assert.match(blocks[0], /^Complete: +yes$/m);
  assert.match(blocks[1], /^Number of packets: +1$/m);
  assert.match(blocks[1], /^Error: +.*suricata_fuzz_corrupt-record-length\.pcap: at byte 228: packet record claims 1409179648 captured bytes/m);
  assert.match(blocks[1], /^Complete: +no$/m);
  assert.match(r.err, /deepmad info: .*at byte 228/);
});

test('deepmad info - --json reads gzip from stdin', () => {
  const r = deepmad(['info', '-', '--json'], fs.readFileSync(fixture('zeek_communityid_tcp.pcap.gz')));
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.source, '<stdin>');
  assert.equal(j.format, 'pcap');
  assert.equal(j.compression, 'gzip');
  assert.equal(j.packets, 12);
  assert.equal(j.bytes, 898);
  assert.equal(j.wireBytes, 3035);
  assert.equal(j.firstTsUs, 1071580904891921);
  assert.equal(j.firstTime, '2003-12-16 13:21:44.891921 UTC');
  assert.deepEqual(j.interfaces.map((i: { linkType: number; snaplen: number }) => [i.linkType, i.snaplen]), [[1, 96]]);
  assert.equal(j.complete, true);
});

test('deepmad info: missing file and non-capture give exit 1 with a clear message; bad usage exits 2', () => {
  const m = deepmad(['info', '/nonexistent/x.pcap']);
  assert.equal(m.code, 1);
  assert.match(m.err, /cannot open capture '\/nonexistent\/x\.pcap': no such file/);
  const t = deepmad(['info', path.join(__dirname, 'helpers.ts'), '--json']);
  assert.equal(t.code, 1);
  assert.match(JSON.parse(t.out).errors[0], /not a capture file: unknown magic number 2f 2a 2a 20/);
  assert.equal(deepmad(['info']).code, 2);
  assert.equal(deepmad(['info', '--bogus', 'x']).code, 2);
});
