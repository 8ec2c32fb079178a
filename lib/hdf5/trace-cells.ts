/**
 * Prints trace cells (addresses, `src-dst-sport-dport-proto` flow ids, ISO timestamps) as ASCII
 * bytes straight from a FlowIdent's numbers into fixed-width cells, byte for byte what lib/flow's
 * formatIp / timestampIso / the dash flow id print, without making (and flattening) a JS string per
 * cell. IPv6 addresses and non-ISO timestamps, rare or profile-specific, go through the formatter.
 */
import { formatIp } from '../flow/format.js';
import type { FlowIdent } from '../normalize/flow-columns.js';

/** Writes the decimal digits of a non-negative integer at `at`; returns the position after them. */
function digits(cells: Uint8Array, at: number, v: number): number {
  if (v < 10) { cells[at] = 48 + v; return at + 1; }
  let len = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) len++;
  for (let k = len - 1, x = v; k >= 0; k--, x = Math.floor(x / 10)) cells[at + k] = 48 + (x % 10);
  return at + len;
}

/** ASCII text at `at`, cut at `end`. */
function ascii(cells: Uint8Array, at: number, end: number, s: string): number {
  const n = Math.min(s.length, end - at);
  for (let k = 0; k < n; k++) cells[at + k] = s.charCodeAt(k) & 0x7f;
  return at + n;
}

/** Dotted IPv4 (word 0) or RFC 5952 IPv6 (via formatIp) at `at`. */
function address(cells: Uint8Array, at: number, end: number, words: Uint32Array, off: number, version: number): number {
  if (version === 6) return ascii(cells, at, end, formatIp(words, off, 6));
  if (end - at < 15) return ascii(cells, at, end, formatIp(words, off, 4));
  const w = words[off] >>> 0;
  at = digits(cells, at, w >>> 24); cells[at++] = 46;
  at = digits(cells, at, (w >>> 16) & 255); cells[at++] = 46;
  at = digits(cells, at, (w >>> 8) & 255); cells[at++] = 46;
  return digits(cells, at, w & 255);
}

export type TraceCellField = 'flow_id' | 'src_ip' | 'dst_ip' | 'timestamp';

/** Per-second cache of `yyyy-MM-dd HH:mm:ss.` (timestamps of one capture share few seconds). */
let isoSecond = NaN;
let isoPrefix = new Uint8Array(0);

function isoTimestamp(cells: Uint8Array, at: number, end: number, us: number): number {
  if (end - at < 27) return ascii(cells, at, end, isoFallback(us));
  const sec = Math.floor(us / 1e6);
  if (sec !== isoSecond) {
    const d = new Date(sec * 1000);
    const p2 = (n: number) => (n < 10 ? `0${n}` : String(n));
    const s = `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.`;
    isoPrefix = Uint8Array.from(s, (ch) => ch.charCodeAt(0));
    isoSecond = sec;
  }
  cells.set(isoPrefix, at);
  at += isoPrefix.length;
  // Microseconds, six digits with trailing zeros dropped ('0' when all are zero), as timestampIso.
  let frac = Math.floor(us - sec * 1e6);
  if (frac === 0) { cells[at] = 48; return at + 1; }
  let len = 6;
  while (frac % 10 === 0) { frac = Math.floor(frac / 10); len--; }
  for (let k = len - 1; k >= 0; k--, frac = Math.floor(frac / 10)) cells[at + k] = 48 + (frac % 10);
  return at + len;
}

let isoFallback: (us: number) => string = String;

/** Prints row `r` of `id` as the `field` cell at `at` (cell width `width`; the cell is zeroed). */
export function writeTraceCell(cells: Uint8Array, at: number, width: number, field: TraceCellField, id: FlowIdent, r: number): void {
  const end = at + width;
  switch (field) {
    case 'src_ip': address(cells, at, end, id.srcAddr, r * 4, id.ipVersion[r]); return;
    case 'dst_ip': address(cells, at, end, id.dstAddr, r * 4, id.ipVersion[r]); return;
    case 'timestamp':
      if (id.isoTime) { isoFallback = id.formatTimestamp; isoTimestamp(cells, at, end, id.startUs[r]); } else ascii(cells, at, end, id.formatTimestamp(id.startUs[r]));
      return;
    default: {
      if (end - at < 100) { ascii(cells, at, end, `${formatIp(id.srcAddr, r * 4, id.ipVersion[r])}-${formatIp(id.dstAddr, r * 4, id.ipVersion[r])}-${id.srcPort[r]}-${id.dstPort[r]}-${id.protocol[r]}`); return; }
      let p = address(cells, at, end, id.srcAddr, r * 4, id.ipVersion[r]); cells[p++] = 45;
      p = address(cells, p, end, id.dstAddr, r * 4, id.ipVersion[r]); cells[p++] = 45;
      p = digits(cells, p, id.srcPort[r]); cells[p++] = 45;
      p = digits(cells, p, id.dstPort[r]); cells[p++] = 45;
      digits(cells, p, id.protocol[r]);
    }
  }
}
