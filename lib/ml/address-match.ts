/**
 * A compact matcher for a list of IPv4/IPv6 addresses and CIDR prefixes (`10.0.0.5`,
 * `192.168.1.0/24`, `fd00::/8`), parsed once: IPv4 entries as 32-bit network/mask pairs, IPv6
 * entries as 16 network bytes and a prefix length. Matching an IPv4 address given as a number
 * (flow columns carry them so) touches no strings; text is parsed by char codes into a reused
 * buffer, without allocating.
 *
 * The behaviour rules' trusted sources use it (lib/ml/behaviour-rules.ts); the CLI and the
 * classifier node parse their option with `parseAddressList` so a bad entry is reported by name.
 */

/** A bad entry of an address list; `entry` is the entry as written. */
export class AddressListError extends Error {
  constructor(readonly entry: string, message: string) {
    super(message);
  }
}

const V4 = 4;
const V6 = 6;

/** Address parse scratch: 16 bytes (an IPv4 address in the first 4) and 8 IPv6 words. */
const scratchBytes = new Uint8Array(16);
const scratchWords = new Uint16Array(8);

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const hexValue = (c: number): number => (isDigit(c) ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1);

/** Dotted quad `s[start…end)` into `out[at…at+4)`; false when it is not one. */
function parseV4(s: string, start: number, end: number, out: Uint8Array, at: number): boolean {
  let part = 0, value = 0, digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i < end ? s.charCodeAt(i) : 46; // the end closes the last part like a dot
    if (isDigit(c)) {
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return false;
      continue;
    }
    if (c !== 46 || digits === 0 || part === 4) return false;
    out[at + part++] = value;
    value = 0;
    digits = 0;
  }
  return part === 4;
}

/** IPv6 text `s[start…end)` (`::` shorthand, an optional trailing dotted quad) into `out[0…16)`; false when it is not one. */
function parseV6(s: string, start: number, end: number, out: Uint8Array): boolean {
  const words = scratchWords;
  let n = 0, gap = -1, i = start;
  if (end - start >= 2 && s.charCodeAt(i) === 58 && s.charCodeAt(i + 1) === 58) { gap = 0; i += 2; }
  while (i < end) {
    let j = i, value = 0;
    for (let h; j < end && j - i <= 4 && (h = hexValue(s.charCodeAt(j))) >= 0; j++) value = value * 16 + h;
    if (j < end && s.charCodeAt(j) === 46) {
      // a trailing dotted quad takes the last two words (::ffff:192.0.2.1)
      if (n > 6 || !parseV4(s, i, end, out, 0)) return false;
      words[n++] = (out[0] << 8) | out[1];
      words[n++] = (out[2] << 8) | out[3];
      i = end;
      break;
    }
    if (j === i || j - i > 4 || n === 8) return false;
    words[n++] = value;
    if (j === end) { i = end; break; }
    if (s.charCodeAt(j) !== 58) return false;
    i = j + 1;
    if (i < end && s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = n;
      i++;
    } else if (i === end) {
      return false; // a single trailing colon
    }
  }
  if (gap < 0 ? n !== 8 : n > 7) return false;
  out.fill(0);
  const head = gap < 0 ? n : gap;
  for (let w = 0; w < head; w++) { out[2 * w] = words[w] >>> 8; out[2 * w + 1] = words[w] & 255; }
  for (let w = head, at = 8 - (n - head); w < n; w++, at++) { out[2 * at] = words[w] >>> 8; out[2 * at + 1] = words[w] & 255; }
  return true;
}

/** Parses `s[start…end)` into `out`: V4 (address in out[0…4)), V6 (out[0…16)), or 0 when it is neither. */
function parseAddressBytes(s: string, start: number, end: number, out: Uint8Array): number {
  for (let i = start; i < end; i++) if (s.charCodeAt(i) === 58) return parseV6(s, start, end, out) ? V6 : 0;
  return parseV4(s, start, end, out, 0) ? V4 : 0;
}

const v4Number = (b: Uint8Array, at: number): number => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
const v4Mask = (len: number): number => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);
/** `::ffff:a.b.c.d`: an IPv4 address in IPv6 form, matched by the IPv4 entries too. */
const isV4Mapped = (b: Uint8Array): boolean => {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 255 && b[11] === 255;
};

export class AddressMatcher {
  private readonly v4Net: Uint32Array;
  private readonly v4Mask: Uint32Array;
  /** index into `entries` of each IPv4 prefix (list order) */
  private readonly v4Entry: Uint32Array;
  /** 16 network bytes per IPv6 entry */
  private readonly v6Net: Uint8Array;
  private readonly v6Len: Uint8Array;
  private readonly v6Entry: Uint32Array;

  /** `entries`: the list as written, in order; use parseAddressList to build one. */
  constructor(readonly entries: readonly string[], v4: { net: number[]; mask: number[]; entry: number[] }, v6: { net: number[]; len: number[]; entry: number[] }) {
    this.v4Net = Uint32Array.from(v4.net);
    this.v4Mask = Uint32Array.from(v4.mask);
    this.v4Entry = Uint32Array.from(v4.entry);
    this.v6Net = Uint8Array.from(v6.net);
    this.v6Len = Uint8Array.from(v6.len);
    this.v6Entry = Uint32Array.from(v6.entry);
  }

  get size(): number { return this.entries.length; }

  /** An IPv4 address as an unsigned 32-bit number (192.168.56.1 = 0xc0a83801). */
  matchesV4(addr: number): boolean { return this.v4Index(addr) >= 0; }

  /** An IPv6 address as 16 bytes from `at`. */
  matchesV6(bytes: ArrayLike<number>, at = 0): boolean { return this.v6Index(bytes, at) >= 0; }

  /** Address text (IPv4, IPv6, IPv4-mapped IPv6); anything that is not an address matches nothing. */
  matchesText(s: string): boolean { return this.textIndex(s) >= 0; }

  /** A source key of the stages after the model: an IPv4 address as a number, or address text. */
  matches(key: string | number): boolean {
    return (typeof key === 'number' ? this.v4Index(key >>> 0) : this.textIndex(key)) >= 0;
  }

  /** Index into `entries` of the first entry (in list order) covering this address text, or -1. */
  matchIndex(s: string): number { return this.textIndex(s); }

  /** Lowest entry index covering the IPv4 number, or -1. */
  private v4Index(addr: number): number {
    for (let k = 0; k < this.v4Net.length; k++) if (((addr ^ this.v4Net[k]) & this.v4Mask[k]) === 0) return this.v4Entry[k];
    return -1;
  }

  private v6Index(bytes: ArrayLike<number>, at: number): number {
    const net = this.v6Net;
    for (let k = 0; k < this.v6Len.length; k++) {
      const len = this.v6Len[k], base = k * 16, full = len >>> 3;
      let b = 0;
      while (b < full && bytes[at + b] === net[base + b]) b++;
      if (b < full) continue;
      const rest = len & 7;
      if (rest === 0 || ((bytes[at + full] ^ net[base + full]) & (0xff00 >>> rest) & 255) === 0) return this.v6Entry[k];
    }
    return -1;
  }

  private textIndex(s: string): number {
    const b = scratchBytes;
    const family = parseAddressBytes(s, 0, s.length, b);
    if (family === V4) return this.v4Index(v4Number(b, 0));
    if (family !== V6) return -1;
    const v6 = this.v6Index(b, 0);
    const v4 = isV4Mapped(b) ? this.v4Index(v4Number(b, 12)) : -1;
    return v6 < 0 ? v4 : v4 < 0 ? v6 : Math.min(v4, v6);
  }
}

/** Splits a list written by a person: commas, semicolons, spaces or newlines between entries. */
export function splitAddressList(list: string | readonly string[]): string[] {
  const parts = typeof list === 'string' ? [list] : list;
  return parts.flatMap((p) => p.split(/[\s,;]+/)).filter((x) => x !== '');
}

/**
 * Parses addresses and CIDR prefixes (IPv4 and IPv6; host bits under the prefix are ignored) into a
 * matcher. Throws an AddressListError naming the first bad entry; `what` names the list in the message.
 */
export function parseAddressList(list: string | readonly string[] | undefined, what = 'trusted sources'): AddressMatcher {
  const entries = list === undefined ? [] : splitAddressList(list);
  const v4 = { net: [] as number[], mask: [] as number[], entry: [] as number[] };
  const v6 = { net: [] as number[], len: [] as number[], entry: [] as number[] };
  const b = new Uint8Array(16);
  for (let e = 0; e < entries.length; e++) {
    const entry = entries[e];
    const slash = entry.indexOf('/');
    const family = parseAddressBytes(entry, 0, slash < 0 ? entry.length : slash, b);
    if (family === 0) throw new AddressListError(entry, `${what}: '${entry}' is not an IPv4/IPv6 address or CIDR prefix`);
    const max = family === V4 ? 32 : 128;
    const lenText = slash < 0 ? String(max) : entry.slice(slash + 1);
    const len = Number(lenText);
    if (!/^\d{1,3}$/.test(lenText) || len > max) {
      throw new AddressListError(entry, `${what}: '${entry}' has a bad prefix length (${family === V4 ? 'IPv4' : 'IPv6'}: 0-${max})`);
    }
    if (family === V4 || (len >= 96 && isV4Mapped(b))) {
      // an IPv4 prefix; an IPv4-mapped IPv6 prefix (::ffff:a.b.c.d/96+) covers plain IPv4 addresses too
      const at = family === V4 ? 0 : 12;
      const mask = v4Mask(family === V4 ? len : len - 96);
      v4.mask.push(mask);
      v4.net.push((v4Number(b, at) & mask) >>> 0);
      v4.entry.push(e);
    }
    if (family === V6) {
      for (let i = 0; i < 16; i++) v6.net.push(i < len >>> 3 ? b[i] : i === len >>> 3 ? b[i] & (0xff00 >>> (len & 7)) & 255 : 0);
      v6.len.push(len);
      v6.entry.push(e);
    }
  }
  return new AddressMatcher(Object.freeze([...entries]), v4, v6);
}
