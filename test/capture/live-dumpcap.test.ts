// lib/capture/live-dumpcap: dumpcap's argument array, its interface list, error classification,
// batch slicing. No capture needed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CaptureSetupError } from '../../lib/capture/capture-errors.js';
import { classifyDumpcapFailure, dumpcapArgs, parseDumpcapStats, parseInterfaceList } from '../../lib/capture/live-dumpcap.js';
import { allocBatch } from '../../lib/capture/batch-alloc.js';
import { sliceBatch } from '../../lib/capture/batch-slice.js';
import { capLinkType } from '../../lib/capture/live-libpcap.js';
import { isAlive, repoRoot } from '../support/runtime.js';
import { dumpcapSkipReason } from '../support/traffic.js';

describe('dumpcapArgs', () => {
  it('stream mode: one argument per value, pcapng to stdout', () => {
    assert.deepEqual(
      dumpcapArgs({ mode: 'stream', iface: 'eth0', filter: 'tcp port 80 and host 10.0.0.1', snaplen: 128, promiscuous: false, bufferMiB: 16, autostop: { duration: 60, packets: 1000 } }),
      ['-q', '-i', 'eth0', '-f', 'tcp port 80 and host 10.0.0.1', '-s', '128', '-p', '-B', '16', '-a', 'duration:60', '-a', 'packets:1000', '-w', '-'],
    );
  });

  it("files mode: the prototype's ring buffer, file names printed when each file is closed", () => {
    assert.deepEqual(
      dumpcapArgs({ mode: 'files', iface: 'wlp1s0', outputDir: '/data/pcapF', filePrefix: 'data', ring: { filesize: 600, files: 10 } }),
      ['-q', '-i', 'wlp1s0', '-b', 'filesize:600', '-b', 'files:10', '-b', 'printname:stdout', '-w', '/data/pcapF/data.pcapng'],
    );
    assert.deepEqual(
      dumpcapArgs({ mode: 'files', iface: 'lo', outputDir: '/tmp/x', format: 'pcap', autostop: { files: 3 }, ring: { duration: 30 } }),
      ['-q', '-i', 'lo', '-a', 'files:3', '-b', 'duration:30', '-b', 'printname:stdout', '-w', '/tmp/x/deepmad.pcap', '-P'],
    );
  });

  it('a hostile filter stays one argument (no shell ever sees it)', () => {
    const args = dumpcapArgs({ mode: 'stream', iface: 'lo', filter: 'tcp; rm -rf / $(reboot)' });
    assert.equal(args[args.indexOf('-f') + 1], 'tcp; rm -rf / $(reboot)');
  });

  it('refuses what dumpcap would misread, with the reason', () => {
    const bad = (o: Parameters<typeof dumpcapArgs>[0], re: RegExp) => assert.throws(() => dumpcapArgs(o), (e: unknown) => e instanceof CaptureSetupError && e.code === 'BAD_OPTION' && re.test(e.message));
    bad({ mode: 'stream', iface: '' }, /no capture interface selected/);
    bad({ mode: 'stream', iface: '-w/etc/passwd' }, /is not an interface name/);
    bad({ mode: 'stream', iface: 'lo', snaplen: 1.5 }, /snaplen must be a whole number above 0 \(got 1.5\)/);
    bad({ mode: 'stream', iface: 'lo', ring: { filesize: 600 } }, /ring buffer options need files mode/);
    bad({ mode: 'files', iface: 'lo', filePrefix: '../evil' }, /must be a plain file name/);
    bad({ mode: 'nope' as 'stream', iface: 'lo' }, /unknown mode "nope"/);
  });
});

describe('dumpcap output parsing', () => {
  it('parses `dumpcap -D -M` (dumpcap 4.0 on this machine)', () => {
    const text = '1. eth0\t\t\t0\t192.0.2.2,fd00::2,fe80::fc:ff:fe00:1\tnetwork\t\n2. any\t\t\t0\t\tnetwork\t\n3. lo\t\tLoopback\t0\t127.0.0.1,::1\tloopback\t\n';
    assert.deepEqual(parseInterfaceList(text), [
      { index: 1, name: 'eth0', description: '', addresses: ['192.0.2.2', 'fd00::2', 'fe80::fc:ff:fe00:1'], kind: 'network' },
      { index: 2, name: 'any', description: '', addresses: [], kind: 'network' },
      { index: 3, name: 'lo', description: 'Loopback', addresses: ['127.0.0.1', '::1'], kind: 'loopback' },
    ]);
  });

  it('reads the final counters', () => {
    assert.deepEqual(parseDumpcapStats("Capturing on 'Loopback: lo'\nFile: -\nPackets captured: 30\nPackets received/dropped on interface 'Loopback: lo': 30/2 (pcap:0/dumpcap:0/flushed:0/ps_ifdrop:0) (93.8%)\n"), { received: 30, dropped: 2 });
    assert.equal(parseDumpcapStats('nothing'), undefined);
  });

  it("classifies dumpcap's own error messages (texts from dumpcap 4.0)", () => {
    const c = (stderr: string) => classifyDumpcapFailure(stderr, 'eth9', 1);
    assert.equal(c("Capturing on 'nosuch'\ndumpcap: There is no device named \"nosuch\".\n(No such device exists)\n").code, 'NO_SUCH_INTERFACE');
    const perm = c("Capturing on 'eth9'\ndumpcap: You don't have permission to capture on that device (socket: Operation not permitted)\n");
    assert.equal(perm.code, 'NO_PERMISSION');
    assert.match(perm.message, /sudo usermod -aG wireshark /);
    const filt = c("Capturing on 'Loopback: lo'\ndumpcap: Invalid capture filter \"bad filter (\" for interface 'lo'.\n\nThat string isn't a valid capture filter (can't parse filter expression: syntax error).\nSee the User's Guide for a description of the capture filter syntax.\n");
    assert.equal(filt.code, 'BAD_FILTER');
    assert.match(filt.message, /^Invalid capture filter "bad filter \(" for interface 'lo'\. That string isn't a valid capture filter/);
    assert.equal(c('dumpcap: something else broke\n').message, 'dumpcap failed (exit code 1): dumpcap: something else broke');
  });
});

describe('sliceBatch and cap link types', () => {
  it('slices every column (4 address words per packet) without copying', () => {
    const b = allocBatch(8, [1]);
    for (let i = 0; i < 8; i++) { b.tsUs[i] = 1000 + i; b.srcAddr[i * 4] = 0x0a000000 + i; b.dstPort[i] = 80 + i; }
    b.count = 8;
    const s = sliceBatch(b, 2, 5);
    assert.equal(s.count, 3);
    assert.deepEqual(Array.from(s.tsUs), [1002, 1003, 1004]);
    assert.deepEqual(Array.from(s.srcAddr), [0x0a000002, 0, 0, 0, 0x0a000003, 0, 0, 0, 0x0a000004, 0, 0, 0]);
    assert.deepEqual(Array.from(s.dstPort), [82, 83, 84]);
    assert.equal(s.tsUs.buffer, b.tsUs.buffer);
    assert.deepEqual(s.linkTypes, [1]);
    assert.deepEqual(Object.keys(s).sort(), Object.keys(b).sort());
  });

  it("maps cap's link-type words to LINKTYPE numbers", () => {
    assert.deepEqual(['ETHERNET', 'NULL', 'RAW', 'LINKTYPE_LINUX_SLL', 'IEEE802_11_RADIO', 'Unknown linktype 276', 'Unknown linktype 12', '??'].map(capLinkType), [1, 0, 101, 113, 127, 276, 101, -1]);
  });
});

describe('no orphan dumpcap when the runtime process exits', { skip: dumpcapSkipReason() && `skipped: ${dumpcapSkipReason()}` }, () => {
  it('a process that exits without stopping its capture takes dumpcap down with it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-exit-'));
    const script = `
      const { DumpcapCapture } = require(${JSON.stringify(path.join(repoRoot, 'dist', 'lib', 'capture', 'live-dumpcap.js'))});
      const c = new DumpcapCapture({ mode: 'files', iface: 'lo', outputDir: ${JSON.stringify(dir)} });
      c.start().then(() => { console.log(c.pid); process.exit(3); });`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 3, r.stderr);
    const pid = Number(r.stdout.trim());
    assert.ok(pid > 0);
    const deadline = Date.now() + 5000;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    assert.equal(isAlive(pid), false, `dumpcap ${pid} outlived its parent`);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
