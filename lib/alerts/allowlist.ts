/**
 * Allowlist of addresses and CIDR prefixes (IPv4 and IPv6) for the alert engine: the address-list
 * matcher the behaviour rules' trusted sources use (lib/ml/address-match.ts), plus what people write
 * in an allowlist file — `# comments`, `[v6]` brackets, `%zone` suffixes. An IPv4 entry also matches
 * the IPv4-mapped IPv6 form of the same address, and an IPv4-mapped IPv6 prefix plain IPv4.
 */
import { AddressListError, AddressMatcher, parseAddressList } from '../ml/address-match.js';

/** A bad allowlist entry (the shared address-list error; `entry` names it). */
export { AddressListError as AddressParseError };

/** `[fe80::1%eth0]/64` → `fe80::1/64`: brackets and a zone are not part of the address. */
function bare(text: string): string {
  if (!text.includes('[') && !text.includes('%')) return text;
  const slash = text.indexOf('/');
  let addr = slash >= 0 ? text.slice(0, slash) : text;
  if (addr.startsWith('[') && addr.endsWith(']')) addr = addr.slice(1, -1);
  const zone = addr.indexOf('%');
  if (zone >= 0) addr = addr.slice(0, zone);
  return slash >= 0 ? addr + text.slice(slash) : addr;
}

export class Allowlist {
  private readonly matcher: AddressMatcher;
  /** the entries as written, in the matcher's order (brackets and zones kept) */
  private readonly written: string[];

  /** Entries: `10.0.0.5`, `192.168.0.0/16`, `2001:db8::/32`, `fe80::1`; comments after `#`. */
  constructor(entries: Iterable<string> = []) {
    this.written = [...entries].map((raw) => raw.replace(/#.*/, '').trim()).filter((t) => t !== '');
    this.matcher = parseAddressList(this.written.map(bare), 'allowlist');
  }

  /** Parse a comma, space or newline separated list. Throws AddressParseError naming a bad entry. */
  static parse(list: string | string[] | undefined): Allowlist {
    if (!list) return new Allowlist();
    const items = Array.isArray(list) ? list : list.split('\n').flatMap((line) => line.replace(/#.*/, '').split(/[\s,;]+/));
    return new Allowlist(items.filter((x) => x.trim() !== ''));
  }

  get size(): number { return this.written.length; }

  /** The entry that covers this address, or undefined (also for text that is not an address). */
  match(address: string | undefined): string | undefined {
    if (!address || this.written.length === 0) return undefined;
    const i = this.matcher.matchIndex(bare(address.trim()));
    return i < 0 ? undefined : this.written[i];
  }
}
