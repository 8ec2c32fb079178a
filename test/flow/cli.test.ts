/**
 * `deepmad flows` (the built CLI) and the library on a real capture kept in test/fixtures (no
 * ../shared needed): zeek_ssh_sshguess.pcap, 11 SSH connections, 431 packets. Connection
 * 192.168.56.1:55472 has 37 packets, 22 from the client (checked with tshark; reference README):
 * improved 22/15, cicflowmeter-4 21/15 (client's last ACK dropped), cic-ids2017 21/14 + a 1/1 appendix.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Flowmeter } from '../../lib/flow/flowmeter.js';
import { csvHeader } from '../../lib/flow/output.js';
import { getProfile } from '../../lib/flow/profiles/index.js';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'dist', 'bin', 'deepmad.js');
const PCAP = path.join(ROOT, 'test', 'fixtures', 'flow', 'zeek_ssh_sshguess.pcap');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-flows-cli-'));

function run(args: string[], input?: Buffer) {
  return spawnSync(process.execPath, [BIN, 'flows', ...args], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
}
function csvRows(text: string): string[][] {
  return text.trim().split('\n').map((l) => l.split(','));
}

describe('deepmad flows', () => {
  it('improved (default): 11 flows, CSV header of the reference, the 55472 connection 22/15', () => {
    const out = path.join(tmp, 'ssh.csv');
    const r = run([PCAP, '-o', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /431 packets \(0 not IP\), 11 flows written \[improved\]/);
    const rows = csvRows(fs.readFileSync(out, 'utf8'));
    assert.equal(rows[0].join(','), csvHeader(getProfile('improved')));
    assert.equal(rows.length, 12);
    const h = rows[0];
    const row = rows.find((x) => x[h.indexOf('Src Port')] === '55472')!;
    assert.deepEqual([row[h.indexOf('Total Fwd Packet')], row[h.indexOf('Total Bwd packets')]], ['22', '15']);
    assert.equal(row[h.indexOf('Timestamp')], '2015-03-30 14:45:03.853755'); // as J-engelen prints it
  });

  it('--profile cicflowmeter-4 and cic-ids2017 (V3 header with leading blanks and the duplicate column)', () => {
    const m = csvRows(run([PCAP, '--profile', 'cicflowmeter-4']).stdout);
    const hm = m[0];
    const rm = m.filter((x) => x[hm.indexOf('Src Port')] === '55472');
    assert.deepEqual(rm.map((x) => [x[hm.indexOf('Total Fwd Packet')], x[hm.indexOf('Total Bwd packets')]]), [['21', '15']]);
    const l = run([PCAP, '--profile', 'cic-ids2017']);
    const rows = csvRows(l.stdout);
    const h = rows[0];
    assert.equal(h.length, 85);
    assert.equal(h.filter((x) => x === ' Fwd Header Length').length, 2);
    assert.equal(h[1], ' Source IP');
    const mine = rows.slice(1).filter((x) => x[h.indexOf(' Source Port')] === '55472' || x[h.indexOf(' Destination Port')] === '55472');
    assert.deepEqual(mine.map((x) => [x[h.indexOf(' Total Fwd Packets')], x[h.indexOf(' Total Backward Packets')]]), [['21', '14'], ['1', '1']]);
    assert.equal(rows.length - 1, 22);
  });

  it('--format jsonl from stdin (-): one JSON object per flow with the profile keys', () => {
    const r = run(['-', '--format', 'jsonl', '--quiet'], fs.readFileSync(PCAP));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    const objs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(objs.length, 11);
    assert.equal(objs.reduce((s, o) => s + o['Total Fwd Packet'] + o['Total Bwd packets'], 0), 431);
    assert.equal(objs[0].Label, 'NeedManualLabel');
  });

  it('--flow-timeout / --max-flows / --ipv4-only are applied', () => {
    const r = run([PCAP, '--flow-timeout', '1', '--max-flows', '2', '--ipv4-only', '--format', 'jsonl']);
    assert.equal(r.status, 0, r.stderr);
    const objs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(objs.length > 11);
    assert.ok(objs.every((o) => o['Flow Duration'] <= 1e6));
    assert.match(r.stderr, /flows evicted \(table full at 2\)/);
  });

  it('bad usage exits 2 with a message; a missing file exits 1; a truncated capture writes its flows then exits 1', () => {
    for (const args of [[], ['--profile', 'nope', PCAP], ['--format', 'xml', PCAP], ['--flow-timeout', '-3', PCAP], ['--bogus', PCAP]]) {
      const r = run(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /deepmad flows: .+\nusage: deepmad flows/);
    }
    const missing = run([path.join(tmp, 'nope.pcap')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no such file/);
    const cut = path.join(tmp, 'cut.pcap');
    const buf = fs.readFileSync(PCAP);
    fs.writeFileSync(cut, buf.subarray(0, Math.floor(buf.length / 2)));
    const r = run([cut, '--format', 'jsonl']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cut\.pcap/);
    assert.ok(r.stdout.trim().split('\n').length >= 5, 'flows of the good packets are written');
  });
});

describe('library on the fixture', () => {
  it('prototype shape: new Flowmeter({ offline, outfunc, outfile }).run()', async () => {
    const chunks: string[] = [];
    const outfile = path.join(tmp, 'proto.csv');
    const s = await new Flowmeter({ offline: PCAP, outfunc: (c) => chunks.push(c), outfile }).run();
    assert.equal(s.flowsWritten, 11);
    const file = fs.readFileSync(outfile, 'utf8');
    assert.equal(file, `${csvHeader(getProfile('improved'))}\n${chunks.join('')}`);
  });
  it('--threads 2 (worker pipeline) writes the same rows', () => {
    const one = execFileSync(process.execPath, [BIN, 'flows', PCAP, '--quiet'], { encoding: 'utf8' });
    const two = execFileSync(process.execPath, [BIN, 'flows', PCAP, '--quiet', '--threads', '2'], { encoding: 'utf8' });
    assert.equal(two, one);
  });
  it('the CLI writes the same rows as the library', () => {
    const lib = path.join(tmp, 'proto.csv');
    const cli = execFileSync(process.execPath, [BIN, 'flows', PCAP, '--quiet'], { encoding: 'utf8' });
    assert.equal(cli, fs.readFileSync(lib, 'utf8'));
  });
});
