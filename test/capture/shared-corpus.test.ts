/**
 * Reads EVERY capture under ../shared/data/pcaps/ (benign, attack, edge, pcapng conformance suite)
 * and checks the packet count against capinfos's count in ../shared/data/MANIFEST.md. The genuinely
 * broken files must give their good packets and then a clear CaptureFormatError.
 * Skips (with a message) when ../shared is not present.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SHARED, readAll, sharedAvailable } from './helpers.js';
import { CaptureFormatError } from '../../lib/capture/errors.js';

const PCAPS = path.join(SHARED, 'data', 'pcaps');
const SIDECAR = /\.(out|csv|json|log|txt)$/;

/**
 * Files capinfos cannot fully read. `manifest` is the MANIFEST's text for them (checked, so a changed
 * manifest is noticed); `packets` / `error` are what we deliver.
 */
const BROKEN: Record<string, { manifest: string; packets: number; error: RegExp | null; why: string }> = {
  'edge/ndpi_fuzz-2021-10-13_cut-short.pcap': {
    manifest: '1 readable pkt', packets: 1, error: /at byte 237: input ends inside a packet record/,
    why: 'file cut short mid-record',
  },
  'edge/suricata_fuzz_corrupt-record-length.pcap': {
    manifest: '2 readable pkts then corrupt record', packets: 1,
    error: /at byte 228: packet record claims 1409179648 captured bytes/,
    // Wireshark reaches a 2nd packet only by re-guessing the file as a 24-byte-record "modified pcap"
    // variant; with the standard magic we read the standard layout, so record 2 is already the corrupt one.
    why: 'fuzzed record header',
  },
  'edge/suricata_tls_DER-incomplete-header_corrupt.pcap': {
    manifest: '6 readable pkts then corrupt record', packets: 6,
    error: /at byte 5035: packet record claims 4325376 captured bytes/, why: 'corrupt record header',
  },
  'edge/tcpdump_kday6_linktype182.pcap': {
    manifest: 'n/a (capinfos: linktype 182 unsupported)', packets: 1, error: null,
    why: 'unsupported link type: counted with a warning',
  },
};

function manifestCounts(): Map<string, string> {
  const text = fs.readFileSync(path.join(SHARED, 'data', 'MANIFEST.md'), 'utf8');
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^\| `([^`]+)` \| [\d,]+ \| ([^|]*)\|/gm)) out.set(m[1], m[2].trim());
  return out;
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]);
}

test('every shared capture reads completely (capinfos counts) or fails clearly', { skip: !sharedAvailable() && 'skipped: ../shared/data/pcaps not present (shared test data lives beside the repo)' }, async () => {
  const counts = manifestCounts();
  const files = walk(PCAPS).filter((f) => !SIDECAR.test(f)).sort();
  assert.ok(files.length >= 150, `only ${files.length} captures found`);
  const problems: string[] = [];
  let total = 0;
  for (const file of files) {
    const rel = path.relative(PCAPS, file).split(path.sep).join('/');
    const key = rel.startsWith('edge/pcapng-test-suite/') ? path.basename(rel) : rel;
    const desc = counts.get(key);
    if (desc === undefined) { problems.push(`${rel}: not in MANIFEST.md`); continue; }
    const r = await readAll(file);
    total += r.rows.length;
    const broken = BROKEN[rel];
    if (broken) {
      if (!desc.startsWith(broken.manifest)) problems.push(`${rel}: MANIFEST now says "${desc}"`);
      if (r.rows.length !== broken.packets) problems.push(`${rel}: ${r.rows.length} packets, expected ${broken.packets}`);
      if (broken.error === null && r.error) problems.push(`${rel}: unexpected error ${r.error.message}`);
      if (broken.error && !(r.error instanceof CaptureFormatError && broken.error.test(r.error.message))) {
        problems.push(`${rel}: expected error ${broken.error}, got ${r.error?.message}`);
      }
      continue;
    }
    const m = /^(\d+) pkts/.exec(desc);
    if (!m) { problems.push(`${rel}: MANIFEST count unreadable: ${desc}`); continue; }
    if (r.error) problems.push(`${rel}: ${r.error.message}`);
    if (r.rows.length !== Number(m[1])) problems.push(`${rel}: ${r.rows.length} packets, capinfos ${m[1]}`);
    if (r.stats.packets !== r.rows.length) problems.push(`${rel}: stats.packets ${r.stats.packets} ≠ ${r.rows.length}`);
  }
  assert.deepEqual(problems, []);
  assert.ok(total > 30000, `read ${total} packets`);
});
