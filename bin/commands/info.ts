/** deepmad info — what the capture reader sees in a capture, like capinfos. */
import type { Command } from '../deepmad.js';
import { CaptureReader } from '../../lib/capture/reader.js';
import type { CaptureStats } from '../../lib/capture/stats.js';

const usage = `deepmad info <capture|-> [...] [--json]

Reads each capture (pcap or pcapng, either one gzip-compressed; '-' reads standard input) and prints
packets, bytes, link types, first and last packet time, warnings and errors. A broken capture still
reports everything read before the problem, then the error (file, byte offset, what is wrong), and
the exit status is 1. --json prints one JSON object per capture (one per line).`;

/** µs since the epoch → "YYYY-MM-DD HH:MM:SS.ffffff UTC" (raw seconds when outside Date's range). */
export function formatTimestamp(us: number | null): string {
  if (us === null) return 'n/a';
  const sec = Math.floor(us / 1e6);
  const frac = Math.round(us - sec * 1e6);
  const d = new Date(sec * 1000);
  if (!Number.isFinite(d.getTime())) return `${(us / 1e6).toFixed(6)} s since 1970`;
  const carry = frac === 1e6;
  const base = carry ? new Date((sec + 1) * 1000) : d;
  const iso = base.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ, or ±YYYYYY-… for far years
  return `${iso.slice(0, iso.indexOf('T'))} ${iso.slice(iso.indexOf('T') + 1, iso.indexOf('.'))}.${String(carry ? 0 : frac).padStart(6, '0')} UTC`;
}

const num = (n: number): string => n.toLocaleString('en-US');

export function formatStats(st: CaptureStats): string {
  const lines: [string, string][] = [];
  const fmt = st.format === null ? 'unknown'
    : `${st.format}${st.byteOrder ? ` (${st.byteOrder === 'mixed' ? 'mixed byte orders' : st.byteOrder})` : ''}` +
      `${st.compression ? `, ${st.compression}-compressed` : ''}`;
  lines.push(['File name', st.source]);
  lines.push(['File type', fmt]);
  if (st.totalBytes !== null) lines.push(['File size', `${num(st.totalBytes)} bytes`]);
  if (st.format === 'pcapng') lines.push(['Sections', String(st.sections)]);
  const kinds = [...new Set(st.interfaces.map((i) => `${i.linkTypeName} (${i.linkType})`))];
  lines.push(['Link types', kinds.length ? kinds.join(', ') : 'none']);
  for (const i of st.interfaces) {
    const parts = [`${i.linkTypeName} (${i.linkType})`, `snaplen ${i.snaplen || 'not set'}`, `resolution ${i.tsResolution}`, `${num(i.packets)} packets`];
    if (i.name) parts.splice(1, 0, `'${i.name}'`);
    if (!i.decoded) parts.push('not decoded');
    lines.push([`Interface #${i.index}`, parts.join(', ')]);
  }
  lines.push(['Number of packets', num(st.packets)]);
  lines.push(['IPv4 / IPv6 packets', `${num(st.ipv4Packets)} / ${num(st.ipv6Packets)}`]);
  if (st.truncatedPackets) lines.push(['Cut in their headers', `${num(st.truncatedPackets)} packets (snaplen)`]);
  lines.push(['Data size', `${num(st.bytes)} bytes captured, ${num(st.wireBytes)} bytes on the wire`]);
  lines.push(['First packet time', formatTimestamp(st.firstTsUs)]);
  lines.push(['Last packet time', formatTimestamp(st.lastTsUs)]);
  if (st.firstTsUs !== null && st.lastTsUs !== null) lines.push(['Capture duration', `${((st.lastTsUs - st.firstTsUs) / 1e6).toFixed(6)} seconds`]);
  for (const w of st.warnings) lines.push(['Warning', w]);
  for (const e of st.errors) lines.push(['Error', e]);
  lines.push(['Complete', st.complete ? 'yes' : 'no']);
  const width = Math.max(...lines.map(([k]) => k.length)) + 2;
  return lines.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`).join('\n');
}

export const command: Command = {
  summary: 'Show what is in a capture file (packets, bytes, link types, time span, errors), like capinfos',
  usage,
  async run(args: string[]): Promise<number> {
    const json = args.includes('--json');
    const unknown = args.filter((a) => a.startsWith('-') && a !== '-' && a !== '--json');
    if (unknown.length) { console.error(`deepmad info: unknown option ${unknown[0]}\n\nusage: ${usage}`); return 2; }
    const inputs = args.filter((a) => a === '-' || !a.startsWith('-'));
    if (inputs.length === 0) { console.error(`usage: ${usage}`); return 2; }
    let status = 0;
    for (let k = 0; k < inputs.length; k++) {
      const input = inputs[k];
      const reader = new CaptureReader(input === '-' ? process.stdin : input);
      try {
        for await (const batch of reader) void batch; // the reader's stats are what we report
      } catch (err) {
        status = 1;
        // Open errors are not recorded by the parser; format errors already are.
        const msg = err instanceof Error ? err.message : String(err);
        if (!reader.stats.errors.includes(msg)) reader.stats.errors.push(msg);
      }
      const st = reader.stats;
      if (json) {
        process.stdout.write(`${JSON.stringify({ ...st, firstTime: st.firstTsUs === null ? null : formatTimestamp(st.firstTsUs), lastTime: st.lastTsUs === null ? null : formatTimestamp(st.lastTsUs) })}\n`);
      } else {
        process.stdout.write(`${k > 0 ? '\n' : ''}${formatStats(st)}\n`);
      }
      if (st.errors.length && !json) process.stderr.write(`deepmad info: ${st.errors[st.errors.length - 1]}\n`);
    }
    return status;
  },
};
