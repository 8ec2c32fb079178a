/**
 * Byte builders for crafted captures: classic pcap and pcapng containers, and Ethernet/IP/TCP/UDP
 * frames. Used where no real capture exercises a case (e.g. non-decimal if_tsresol, BSD null in
 * both byte orders, IPv6 extension chains, L2TP); every value is spelled out in the test.
 */
export const bytes = (...parts: (number[] | Uint8Array | Buffer)[]): Buffer =>
  Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p as ArrayLike<number>))));

export function u16(v: number, le = false): Buffer {
  const b = Buffer.alloc(2);
  if (le) b.writeUInt16LE(v); else b.writeUInt16BE(v);
  return b;
}
export function u32(v: number, le = false): Buffer {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(v >>> 0); else b.writeUInt32BE(v >>> 0);
  return b;
}
const ip4 = (s: string): Buffer => Buffer.from(s.split('.').map(Number));
function ip6(s: string): Buffer {
  const [a, b] = s.split('::');
  const A = a ? a.split(':') : [];
  const B = b !== undefined && b ? b.split(':') : [];
  const groups = b !== undefined ? [...A, ...Array(8 - A.length - B.length).fill('0'), ...B] : A;
  return Buffer.concat(groups.map((g) => u16(parseInt(g, 16))));
}

// ---------------------------------------------------------------- containers

export interface PcapOpts { le?: boolean; nano?: boolean; linkType?: number; snaplen?: number; minor?: number }
export function pcapHeader(o: PcapOpts = {}): Buffer {
  const le = o.le ?? true;
  const magic = o.nano ? 0xa1b23c4d : 0xa1b2c3d4;
  return bytes(u32(magic, le), u16(2, le), u16(o.minor ?? 4, le), u32(0, le), u32(0, le), u32(o.snaplen ?? 65535, le), u32(o.linkType ?? 1, le));
}
export function pcapRecord(frame: Buffer, sec: number, frac: number, o: { le?: boolean; wireLen?: number; capLen?: number } = {}): Buffer {
  const le = o.le ?? true;
  return bytes(u32(sec, le), u32(frac, le), u32(o.capLen ?? frame.length, le), u32(o.wireLen ?? frame.length, le), frame);
}

const pad4 = (b: Buffer): Buffer => (b.length % 4 ? Buffer.concat([b, Buffer.alloc(4 - (b.length % 4))]) : b);
export function block(type: number, body: Buffer, le = true): Buffer {
  const body4 = pad4(body);
  const len = 12 + body4.length;
  return bytes(u32(type, le), u32(len, le), body4, u32(len, le));
}
export function option(code: number, value: Buffer, le = true): Buffer {
  return bytes(u16(code, le), u16(value.length, le), pad4(value));
}
export const endOfOptions = (le = true): Buffer => bytes(u16(0, le), u16(0, le));
export function shb(le = true, options: Buffer[] = []): Buffer {
  return block(0x0a0d0d0a, bytes(u32(0x1a2b3c4d, le), u16(1, le), u16(0, le), Buffer.alloc(8, 0xff),
    ...(options.length ? [...options, endOfOptions(le)] : [])), le);
}
export function idb(linkType: number, o: { le?: boolean; snaplen?: number; tsresol?: number; tsoffset?: number; name?: string } = {}): Buffer {
  const le = o.le ?? true;
  const opts: Buffer[] = [];
  if (o.name !== undefined) opts.push(option(2, Buffer.from(o.name), le));
  if (o.tsresol !== undefined) opts.push(option(9, Buffer.from([o.tsresol]), le));
  if (o.tsoffset !== undefined) {
    const v = Buffer.alloc(8);
    if (le) v.writeBigInt64LE(BigInt(o.tsoffset)); else v.writeBigInt64BE(BigInt(o.tsoffset));
    opts.push(option(14, v, le));
  }
  if (opts.length) opts.push(endOfOptions(le));
  return block(1, bytes(u16(linkType, le), u16(0, le), u32(o.snaplen ?? 0, le), ...opts), le);
}
/** Enhanced packet block; `ticks` is the 64-bit timestamp in the interface's units. */
export function epb(ifId: number, ticks: bigint, frame: Buffer, o: { le?: boolean; wireLen?: number } = {}): Buffer {
  const le = o.le ?? true;
  return block(6, bytes(u32(ifId, le), u32(Number(ticks >> 32n), le), u32(Number(ticks & 0xffffffffn), le),
    u32(frame.length, le), u32(o.wireLen ?? frame.length, le), frame), le);
}
export function spb(frame: Buffer, o: { le?: boolean; wireLen?: number } = {}): Buffer {
  const le = o.le ?? true;
  return block(3, bytes(u32(o.wireLen ?? frame.length, le), frame), le);
}

// ---------------------------------------------------------------- frames

export function ether(type: number, payload: Buffer, vlans: { tpid: number; vid: number }[] = []): Buffer {
  const mac = Buffer.from([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
  // Each tag is TPID + TCI; the next tag's TPID (or the real ethertype) follows the TCI.
  const parts: Buffer[] = [mac];
  if (vlans.length === 0) parts.push(u16(type));
  else {
    parts.push(u16(vlans[0].tpid));
    for (let k = 0; k < vlans.length; k++) {
      parts.push(u16(vlans[k].vid));
      parts.push(u16(k + 1 < vlans.length ? vlans[k + 1].tpid : type));
    }
  }
  parts.push(payload);
  return Buffer.concat(parts);
}

export interface Ipv4Opts {
  src: string; dst: string; proto: number; payload: Buffer; ttl?: number; id?: number;
  df?: boolean; mf?: boolean; fragOffset?: number; options?: Buffer; totalLen?: number;
}
export function ipv4(o: Ipv4Opts): Buffer {
  const opts = o.options ? pad4(o.options) : Buffer.alloc(0);
  const ihl = 20 + opts.length;
  const total = o.totalLen ?? ihl + o.payload.length;
  const ff = (o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | ((o.fragOffset ?? 0) >> 3);
  return bytes([0x40 | (ihl >> 2), 0], u16(total), u16(o.id ?? 0), u16(ff), [o.ttl ?? 64, o.proto], u16(0),
    ip4(o.src), ip4(o.dst), opts, o.payload);
}

export interface Ipv6Opts { src: string; dst: string; next: number; payload: Buffer; hopLimit?: number; payloadLen?: number }
export function ipv6(o: Ipv6Opts): Buffer {
  return bytes([0x60, 0, 0, 0], u16(o.payloadLen ?? o.payload.length), [o.next, o.hopLimit ?? 64], ip6(o.src), ip6(o.dst), o.payload);
}
/** Generic IPv6 extension header (hop-by-hop, routing, destination options): 8-byte units. */
export function ext6(next: number, units = 1): Buffer {
  const b = Buffer.alloc(units * 8);
  b[0] = next;
  b[1] = units - 1;
  return b;
}
export function frag6(next: number, offset: number, more: boolean, id: number): Buffer {
  return bytes([next, 0], u16(offset | (more ? 1 : 0)), u32(id));
}

export interface TcpOpts { sport: number; dport: number; seq?: number; ack?: number; flags: number; window?: number; options?: Buffer; payload?: Buffer }
export function tcp(o: TcpOpts): Buffer {
  const opts = o.options ? pad4(o.options) : Buffer.alloc(0);
  const hl = 20 + opts.length;
  return bytes(u16(o.sport), u16(o.dport), u32(o.seq ?? 0), u32(o.ack ?? 0),
    [((hl >> 2) << 4) | ((o.flags >> 8) & 1), o.flags & 0xff], u16(o.window ?? 0), u16(0), u16(0), opts, o.payload ?? Buffer.alloc(0));
}
export function udp(sport: number, dport: number, payload: Buffer): Buffer {
  return bytes(u16(sport), u16(dport), u16(8 + payload.length), u16(0), payload);
}
export function icmp(type: number, code: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  return bytes([type, code], u16(0), u32(0), payload);
}
