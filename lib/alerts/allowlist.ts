/**
 * Allowlist of addresses and CIDR prefixes (IPv4 and IPv6). Addresses are parsed to 128-bit
 * bigints (IPv4 mapped into ::ffff:0:0/96) so one comparison covers both families, and an
 * IPv4 entry also matches the IPv4-mapped IPv6 form of the same address.
 */
export class AddressParseError extends Error {}

const V4_MAPPED = 0xffffn << 32n;

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(s: string): bigint | undefined {
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  let tail: bigint | undefined;
  let tailWords = 0;
  // An embedded dotted quad takes the last two words (::ffff:1.2.3.4).
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.') && lastColon >= 0) {
    tail = parseV4(s.slice(lastColon + 1));
    if (tail === undefined) return undefined;
    const head = s.slice(0, lastColon + 1);
    s = head.endsWith('::') ? head : head.slice(0, -1);
    tailWords = 2;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const words = (h: string) => (h === '' ? [] : h.split(':'));
  const head = words(halves[0]);
  const rest = halves.length === 2 ? words(halves[1]) : [];
  const total = head.length + rest.length + tailWords;
  if (halves.length === 1 && total !== 8) return undefined;
  if (halves.length === 2 && total > 7) return undefined;
  const all = [...head, ...Array(8 - total).fill('0'), ...rest];
  let v = 0n;
  for (const w of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(w)) return undefined;
    v = (v << 16n) | BigInt(parseInt(w, 16));
  }
  if (tail !== undefined) v = (v << 32n) | tail;
  return v;
}

/** 128-bit value of an IPv4 or IPv6 address (IPv4 as ::ffff:a.b.c.d), or undefined if not an address. */
export function parseAddress(s: string): bigint | undefined {
  s = s.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (s.includes(':')) return parseV6(s);
  const v4 = parseV4(s);
  return v4 === undefined ? undefined : V4_MAPPED | v4;
}

interface Prefix { net: bigint; mask: bigint; text: string }

export class Allowlist {
  private readonly prefixes: Prefix[] = [];

  /** Entries: `10.0.0.5`, `192.168.0.0/16`, `2001:db8::/32`, `fe80::1`; comments after `#`. */
  constructor(entries: Iterable<string> = []) {
    for (const raw of entries) {
      const text = raw.replace(/#.*/, '').trim();
      if (text) this.add(text);
    }
  }

  /** Parse a comma, space or newline separated list. Throws AddressParseError naming a bad entry. */
  static parse(list: string | string[] | undefined): Allowlist {
    if (!list) return new Allowlist();
    const items = Array.isArray(list) ? list : list.split('\n').flatMap((line) => line.replace(/#.*/, '').split(/[\s,;]+/));
    return new Allowlist(items.filter((x) => x.trim() !== ''));
  }

  add(entry: string): void {
    const slash = entry.indexOf('/');
    const addrText = slash >= 0 ? entry.slice(0, slash) : entry;
    const addr = parseAddress(addrText);
    if (addr === undefined) throw new AddressParseError(`allowlist: '${entry}' is not an IPv4/IPv6 address or CIDR`);
    const isV4 = !addrText.includes(':');
    const maxLen = isV4 ? 32 : 128;
    let len = maxLen;
    if (slash >= 0) {
      const lenText = entry.slice(slash + 1);
      len = Number(lenText);
      if (!/^\d{1,3}$/.test(lenText) || len > maxLen) {
        throw new AddressParseError(`allowlist: '${entry}' has a bad prefix length (0-${maxLen})`);
      }
    }
    const bits = BigInt((isV4 ? 96 : 0) + len);
    const mask = bits === 0n ? 0n : (((1n << bits) - 1n) << (128n - bits));
    this.prefixes.push({ net: addr & mask, mask, text: entry });
  }

  get size(): number { return this.prefixes.length; }

  /** The entry that covers this address, or undefined (also for text that is not an address). */
  match(address: string | undefined): string | undefined {
    if (!address || this.prefixes.length === 0) return undefined;
    const v = parseAddress(address);
    if (v === undefined) return undefined;
    for (const p of this.prefixes) if ((v & p.mask) === p.net) return p.text;
    return undefined;
  }
}
