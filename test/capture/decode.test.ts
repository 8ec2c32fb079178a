/**
 * Decoding: every supported link type on a real capture, plus crafted frames for what no shared
 * capture shows (IPv4 options, IPv6 extension chains, BSD null in both byte orders, L2TP…).
 * Real-capture values were cross-checked with tshark 4.0 on the same files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, pick, readAll, row, type Row } from './helpers.js';
import {
  bytes, ether, ext6, frag6, icmp, ipv4, ipv6, pcapHeader, pcapRecord, tcp, u16, u32, udp,
} from './craft.js';
import { parseCaptureBuffer } from '../../lib/capture/reader.js';
import type { PacketBatch } from '../../lib/capture/packet-batch.js';
import {
  PKT_BAD_IP, PKT_DONT_FRAGMENT, PKT_L2TP_INNER, PKT_L4_ABSENT, PKT_MORE_FRAGMENTS, PKT_TRUNCATED,
  TCP_ACK, TCP_NS, TCP_PSH, TCP_SYN,
} from '../../lib/capture/packet-batch.js';

const L4 = ['ipVersion', 'proto', 'src', 'dst', 'srcPort', 'dstPort'] as const;

/** One crafted frame in a pcap of the given link type → its decoded row (+ stats). */
function decodeOne(linkType: number, frame: Buffer, opts: { snaplen?: number; wireLen?: number } = {}) {
  const cap = opts.snaplen !== undefined ? frame.subarray(0, opts.snaplen) : frame;
  const file = bytes(pcapHeader({ linkType }), pcapRecord(cap, 100, 0, { wireLen: opts.wireLen ?? frame.length }));
  const got: PacketBatch[] = [];
  const stats = parseCaptureBuffer(file, { onBatch: (b) => got.push(b) });
  return { r: row(got[0], 0) as Row, stats };
}

test('Ethernet 802.1Q single tag and 802.1ad QinQ (outer VLAN id kept)', async () => {
  const q = await readAll(fixture('zeek_q-in-q.pcap'));
  assert.equal(q.rows.length, 5);
  assert.deepEqual(pick(q.rows[0], [...L4, 'vlanId', 'payloadLen', 'ipTotalLen', 'ttl', 'ipId']), {
    ipVersion: 4, proto: 17, src: '172.19.51.37', dst: '172.19.51.63', srcPort: 47808, dstPort: 47808,
    vlanId: 13, payloadLen: 18, ipTotalLen: 46, ttl: 64, ipId: 18326,
  });
  const t = await readAll(fixture('zeek_vlan-qinqinq.pcap'));
  assert.equal(t.rows.length, 14);
  assert.deepEqual(pick(t.rows[0], [...L4, 'vlanId', 'tcpFlags', 'tcpSeq', 'l4HeaderLen']), {
    ipVersion: 4, proto: 6, src: '141.142.228.5', dst: '192.150.187.43', srcPort: 59856, dstPort: 80,
    vlanId: 30, tcpFlags: TCP_SYN, tcpSeq: 4263588410, l4HeaderLen: 44,
  });
  // Crafted: 0x88a8 outer + 0x8100 inner, and the old 0x9100 QinQ TPID.
  const inner = ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, payload: udp(7, 8, Buffer.alloc(4)) });
  for (const tpid of [0x88a8, 0x9100]) {
    const { r } = decodeOne(1, ether(0x0800, inner, [{ tpid, vid: 0x123 }, { tpid: 0x8100, vid: 0x2005 }]));
    assert.deepEqual(pick(r, ['src', 'dstPort', 'vlanId', 'payloadLen']), { src: '1.1.1.1', dstPort: 8, vlanId: 0x123, payloadLen: 4 });
  }
});

test('MPLS label stacks are looked through', async () => {
  const r = await readAll(fixture('zeek_mixed-vlan-mpls.pcap'));
  assert.equal(r.rows.length, 47);
  assert.equal(r.stats.ipv4Packets, 47);
  assert.deepEqual(pick(r.rows[2], [...L4, 'tcpFlags', 'payloadLen']), {
    ipVersion: 4, proto: 6, src: '10.1.2.1', dst: '10.34.0.1', srcPort: 11001, dstPort: 23, tcpFlags: TCP_PSH | TCP_ACK, payloadLen: 9,
  });
});

test('Linux cooked SLL (ARP: counted, not IP) and SLL2 (ICMP and IPv6)', async () => {
  const sll = await readAll(fixture('zeek_linuxsll-arp.pcap'));
  assert.equal(sll.rows.length, 12);
  assert.equal(sll.stats.ipv4Packets + sll.stats.ipv6Packets, 0);
  assert.deepEqual(pick(sll.rows[0], ['ipVersion', 'flags', 'capLen']), { ipVersion: 0, flags: 0, capLen: 62 });
  const sll2 = await readAll(fixture('zeek_linux_dlt_sll2.pcap'));
  assert.equal(sll2.rows.length, 6);
  assert.equal(sll2.stats.ipv4Packets, 2);
  assert.equal(sll2.stats.ipv6Packets, 2);
  assert.deepEqual(pick(sll2.rows[0], [...L4, 'icmpType', 'icmpCode', 'l4HeaderLen', 'payloadLen', 'ipId']), {
    ipVersion: 4, proto: 1, src: '192.0.2.1', dst: '192.0.2.1', srcPort: 0, dstPort: 0, icmpType: 8, icmpCode: 0,
    l4HeaderLen: 8, payloadLen: 56, ipId: 44940,
  });
});

test('raw IP: LINKTYPE_RAW (101) v4 and v6, LINKTYPE_IPV4 (228), LINKTYPE_IPV6 (229) and a v4 packet mislabelled 229', async () => {
  const v4 = await readAll(fixture('tcpdump_LINKTYPE_RAW_ipv4.pcap'));
  assert.deepEqual(pick(v4.rows[0], [...L4, 'payloadLen', 'ipTotalLen']), {
    ipVersion: 4, proto: 17, src: '192.168.1.100', dst: '9.9.9.9', srcPort: 12345, dstPort: 53, payloadLen: 29, ipTotalLen: 57,
  });
  const v6 = await readAll(fixture('tcpdump_LINKTYPE_RAW_ipv6.pcap'));
  const expected6 = { ipVersion: 6, proto: 17, src: '2001:db8::1', dst: '2620:fe::9', srcPort: 12345, dstPort: 53, payloadLen: 29, ipTotalLen: 77 };
  assert.deepEqual(pick(v6.rows[0], [...L4, 'payloadLen', 'ipTotalLen']), expected6);
  const l229 = await readAll(fixture('tcpdump_LINKTYPE_IPV6.pcap'));
  assert.deepEqual(pick(l229.rows[0], [...L4, 'payloadLen', 'ipTotalLen']), expected6);
  const bad = await readAll(fixture('tcpdump_LINKTYPE_IPV6_invalid.pcap'));
  assert.deepEqual(pick(bad.rows[0], ['ipVersion', 'flags']), { ipVersion: 0, flags: PKT_BAD_IP });
  const l228 = await readAll(fixture('suricata_linktype-228_rawipv4.pcap'));
  assert.equal(l228.rows.length, 7);
  assert.deepEqual(pick(l228.rows[1], [...L4, 'tcpFlags', 'tcpSeq', 'tcpAck', 'tcpWindow']), {
    ipVersion: 4, proto: 6, src: '192.168.0.1', dst: '192.168.0.2', srcPort: 443, dstPort: 15057,
    tcpFlags: 0x12, tcpSeq: 100, tcpAck: 11, tcpWindow: 8192,
  });
});

test('BSD null (0) in both byte orders of the family, and OpenBSD loop (108)', () => {
  const p4 = ipv4({ src: '127.0.0.1', dst: '127.0.0.2', proto: 6, payload: tcp({ sport: 1, dport: 2, flags: TCP_SYN }) });
  const p6 = ipv6({ src: '::1', dst: '::2', next: 17, payload: udp(3, 4, Buffer.alloc(2)) });
  const cases: [number, Buffer, Buffer, number][] = [
    [0, u32(2, true), p4, 4], [0, u32(2, false), p4, 4],
    [0, u32(30, true), p6, 6], [0, u32(24, false), p6, 6], [0, u32(28, true), p6, 6],
    [108, u32(2, false), p4, 4], [108, u32(24, false), p6, 6],
  ];
  for (const [lt, fam, pkt, v] of cases) {
    const { r } = decodeOne(lt, bytes(fam, pkt));
    assert.equal(r.ipVersion, v, `${lt} ${fam.toString('hex')}`);
    assert.equal(r.dst, v === 4 ? '127.0.0.2' : '::2');
  }
  const { r } = decodeOne(0, bytes(u32(7, true), p4));
  assert.equal(r.ipVersion, 0); // unknown family: counted, not IP
});

test('NFLOG (239): the packet TLV is found among the others', async () => {
  const r = await readAll(fixture('zeek_nflog-http.pcap'));
  assert.equal(r.rows.length, 13);
  assert.equal(r.stats.ipv4Packets, 13);
  assert.deepEqual(pick(r.rows[0], [...L4, 'tcpFlags', 'tcpWindow', 'tcpSeq', 'l4HeaderLen', 'capLen']), {
    ipVersion: 4, proto: 6, src: '10.0.2.15', dst: '93.184.216.34', srcPort: 49762, dstPort: 80,
    tcpFlags: TCP_SYN, tcpWindow: 29200, tcpSeq: 1060289233, l4HeaderLen: 40, capLen: 108,
  });
});

test('PPP (9)', async () => {
  const r = await readAll(fixture('nfstream_dlt_ppp.pcap'));
  assert.deepEqual(pick(r.rows[0], [...L4, 'payloadLen', 'tsUs']), {
    ipVersion: 4, proto: 17, src: '193.167.0.252', dst: '193.167.100.100', srcPort: 44083, dstPort: 443, payloadLen: 1200, tsUs: 1031048,
  });
});

test('unsupported link type: one clear warning naming it, packets counted, no crash', async () => {
  const warnings: string[] = [];
  const r = await readAll(fixture('tcpdump_kday6_linktype182.pcap'), { onWarning: (w) => warnings.push(w) });
  assert.equal(r.error, null);
  assert.equal(r.rows.length, 1);
  assert.equal(r.rows[0].ipVersion, 0);
  assert.deepEqual(warnings, ['link type 182 (unknown link type 182) is not decoded: its packets are counted, but carry no IP fields']);
  assert.deepEqual(r.stats.warnings, warnings);
  assert.equal(r.stats.interfaces[0].decoded, false);
  // Twice the packets, still one warning.
  const f = bytes(pcapHeader({ linkType: 105 }), pcapRecord(Buffer.alloc(30), 1, 0), pcapRecord(Buffer.alloc(30), 2, 0));
  const st = parseCaptureBuffer(f, { onBatch: () => {} });
  assert.equal(st.packets, 2);
  assert.deepEqual(st.warnings, ['link type 105 (IEEE802_11 (Wi-Fi)) is not decoded: its packets are counted, but carry no IP fields']);
});

test('IPv4 with options: header length, payload from the IP total length (Ethernet padding excluded)', () => {
  const payload = tcp({ sport: 40000, dport: 80, seq: 0xfffffff0, ack: 7, flags: TCP_ACK | TCP_PSH | TCP_NS, window: 1234, payload: Buffer.from('abc') });
  const pkt = ipv4({ src: '192.0.2.1', dst: '198.51.100.2', proto: 6, payload, options: Buffer.from([0x94, 4, 0, 0, 1, 0, 0, 0]), ttl: 3, id: 0xbeef, df: true });
  const frame = bytes(ether(0x0800, pkt), Buffer.alloc(12)); // padding to a 60+ byte frame
  const { r } = decodeOne(1, frame);
  assert.deepEqual(r, {
    tsUs: 100e6, capLen: frame.length, wireLen: frame.length, iface: 0, ipVersion: 4, proto: 6,
    src: '192.0.2.1', dst: '198.51.100.2', srcPort: 40000, dstPort: 80, icmpType: 0, icmpCode: 0,
    tcpFlags: TCP_ACK | TCP_PSH | TCP_NS, tcpWindow: 1234, tcpSeq: 0xfffffff0, tcpAck: 7, ipHeaderLen: 28,
    ipTotalLen: 28 + 23, l4HeaderLen: 20, payloadLen: 3, ttl: 3, ipId: 0xbeef, fragOffset: 0, flags: PKT_DONT_FRAGMENT, vlanId: 0,
  });
});

test('TCP options in the header length; UDP; ICMP type/code', () => {
  const opts = Buffer.from([2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]);
  const { r } = decodeOne(1, ether(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, payload: tcp({ sport: 1, dport: 2, flags: TCP_SYN, window: 64240, options: opts }) })));
  assert.deepEqual(pick(r, ['l4HeaderLen', 'payloadLen', 'tcpWindow', 'tcpFlags']), { l4HeaderLen: 40, payloadLen: 0, tcpWindow: 64240, tcpFlags: TCP_SYN });
  const u = decodeOne(1, ether(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, payload: udp(5353, 5353, Buffer.alloc(100)) }))).r;
  assert.deepEqual(pick(u, ['l4HeaderLen', 'payloadLen', 'srcPort']), { l4HeaderLen: 8, payloadLen: 100, srcPort: 5353 });
  const i = decodeOne(1, ether(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 1, payload: icmp(3, 3, Buffer.alloc(28)) }))).r;
  assert.deepEqual(pick(i, ['icmpType', 'icmpCode', 'l4HeaderLen', 'payloadLen', 'srcPort']), { icmpType: 3, icmpCode: 3, l4HeaderLen: 8, payloadLen: 28, srcPort: 0 });
  // Other protocols (GRE): no L4 header, the IP payload counts as payload.
  const g = decodeOne(1, ether(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 47, payload: Buffer.alloc(40) }))).r;
  assert.deepEqual(pick(g, ['proto', 'l4HeaderLen', 'payloadLen']), { proto: 47, l4HeaderLen: 0, payloadLen: 40 });
});

test('ICMP and ICMPv6 on real captures', async () => {
  const r = await readAll(fixture('zeek_communityid_icmp.pcap'));
  assert.equal(r.rows.length, 12);
  assert.deepEqual(pick(r.rows[0], [...L4, 'icmpType', 'payloadLen', 'ttl']), {
    ipVersion: 4, proto: 1, src: '192.168.0.89', dst: '192.168.0.1', srcPort: 0, dstPort: 0, icmpType: 8, payloadLen: 32, ttl: 128,
  });
  const r6 = await readAll(fixture('zeek_communityid_icmp6.pcap'));
  assert.equal(r6.rows.length, 49);
  assert.deepEqual(pick(r6.rows[1], [...L4, 'icmpType', 'payloadLen', 'ttl', 'ipHeaderLen', 'ipTotalLen']), {
    ipVersion: 6, proto: 58, src: 'fe80::260:97ff:fe07:69ea', dst: 'fe80::200:86ff:fe05:80da', srcPort: 0, dstPort: 0,
    icmpType: 136, payloadLen: 16, ttl: 255, ipHeaderLen: 40, ipTotalLen: 64,
  });
});

test('IPv4 fragments: only the first carries ports (real capture)', async () => {
  const r = await readAll(fixture('zeek_ipv4_fragmented-syn.pcap'));
  assert.deepEqual(pick(r.rows[0], ['srcPort', 'dstPort', 'tcpFlags', 'fragOffset', 'flags', 'ipId']), {
    srcPort: 12345, dstPort: 80, tcpFlags: TCP_SYN, fragOffset: 0, flags: PKT_MORE_FRAGMENTS, ipId: 1,
  });
  assert.deepEqual(pick(r.rows[1], ['proto', 'srcPort', 'dstPort', 'tcpFlags', 'fragOffset', 'flags', 'payloadLen', 'l4HeaderLen']), {
    proto: 6, srcPort: 0, dstPort: 0, tcpFlags: 0, fragOffset: 24, flags: PKT_L4_ABSENT, payloadLen: 16, l4HeaderLen: 0,
  });
});

test('IPv6 extension headers (hop-by-hop, routing, destination, AH) and the fragment header', () => {
  const l4 = udp(1000, 2000, Buffer.alloc(10));
  // hop-by-hop(0) → routing(43) → dest opts(60, 16 bytes) → AH(51, 12 bytes: len field 1) → UDP
  const ah = Buffer.alloc(12); ah[0] = 17; ah[1] = 1;
  const chain = bytes(ext6(43), ext6(60), ext6(51, 2), ah, l4);
  const { r } = decodeOne(1, ether(0x86dd, ipv6({ src: '2001:db8::a', dst: '2001:db8::b', next: 0, payload: chain, hopLimit: 7 })));
  assert.deepEqual(pick(r, [...L4, 'ipHeaderLen', 'ipTotalLen', 'payloadLen', 'l4HeaderLen', 'ttl']), {
    ipVersion: 6, proto: 17, src: '2001:db8::a', dst: '2001:db8::b', srcPort: 1000, dstPort: 2000,
    ipHeaderLen: 40 + 8 + 8 + 16 + 12, ipTotalLen: 40 + chain.length, payloadLen: 10, l4HeaderLen: 8, ttl: 7,
  });
  const first = decodeOne(1, ether(0x86dd, ipv6({ src: '::1', dst: '::2', next: 44, payload: bytes(frag6(6, 0, true, 0xabcdef01), tcp({ sport: 9, dport: 10, flags: TCP_SYN })) }))).r;
  assert.deepEqual(pick(first, ['proto', 'srcPort', 'fragOffset', 'ipId', 'flags', 'ipHeaderLen']), {
    proto: 6, srcPort: 9, fragOffset: 0, ipId: 0xabcdef01, flags: PKT_MORE_FRAGMENTS, ipHeaderLen: 48,
  });
  const later = decodeOne(1, ether(0x86dd, ipv6({ src: '::1', dst: '::2', next: 44, payload: bytes(frag6(6, 1448, false, 5), Buffer.alloc(100)) }))).r;
  assert.deepEqual(pick(later, ['proto', 'srcPort', 'fragOffset', 'ipId', 'flags', 'payloadLen']), {
    proto: 6, srcPort: 0, fragOffset: 1448, ipId: 5, flags: PKT_L4_ABSENT, payloadLen: 100,
  });
});

test('IPv6 fragments on a real capture', async () => {
  const r = await readAll(fixture('zeek_ipv6-fragmented-dns.pcap'));
  assert.equal(r.rows.length, 8);
  assert.deepEqual(pick(r.rows[5], ['proto', 'srcPort', 'dstPort', 'fragOffset', 'flags', 'ipHeaderLen']), {
    proto: 17, srcPort: 53, dstPort: 51851, fragOffset: 0, flags: PKT_MORE_FRAGMENTS, ipHeaderLen: 48,
  });
  assert.deepEqual(pick(r.rows[6], ['proto', 'srcPort', 'fragOffset', 'flags', 'ipId']), { proto: 17, srcPort: 0, fragOffset: 1432, flags: PKT_L4_ABSENT | PKT_MORE_FRAGMENTS, ipId: 2 });
  // tshark -o ipv6.defragment:FALSE: frame 8 offset 2864, last fragment
  assert.deepEqual(pick(r.rows[7], ['proto', 'srcPort', 'fragOffset', 'flags']), { proto: 17, srcPort: 0, fragOffset: 2864, flags: PKT_L4_ABSENT });
});

test('snaplen cuts: TCP fields before the cut survive, the row is marked truncated', async () => {
  const seg = tcp({ sport: 1111, dport: 2222, seq: 42, ack: 43, flags: TCP_ACK, window: 500, payload: Buffer.alloc(100) });
  const frame = ether(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, payload: seg }));
  const { r, stats } = decodeOne(1, frame, { snaplen: 14 + 20 + 10 });
  assert.deepEqual(pick(r, ['srcPort', 'dstPort', 'tcpSeq', 'tcpAck', 'tcpFlags', 'payloadLen', 'flags', 'capLen', 'wireLen']), {
    srcPort: 1111, dstPort: 2222, tcpSeq: 42, tcpAck: 0, tcpFlags: 0, payloadLen: 0, flags: PKT_TRUNCATED, capLen: 44, wireLen: frame.length,
  });
  assert.equal(stats.truncatedPackets, 1);
  const cutIp = decodeOne(1, frame, { snaplen: 14 + 10 }).r;
  assert.deepEqual(pick(cutIp, ['ipVersion', 'flags']), { ipVersion: 0, flags: PKT_TRUNCATED | PKT_BAD_IP });
  // Real capture with a snaplen of 68: payload still comes from the IP length.
  const z = await readAll(fixture('zeek_tcp_truncated-header.pcap'));
  assert.equal(z.rows.length, 24);
  assert.deepEqual(pick(z.rows[0], ['capLen', 'wireLen', 'l4HeaderLen', 'tcpFlags', 'payloadLen']), { capLen: 68, wireLen: 74, l4HeaderLen: 40, tcpFlags: 194, payloadLen: 0 });
});

test('L2TP data messages carrying PPP/IPv4 are unwrapped (as CICFlowMeter does); control messages are not', () => {
  const innerTcp = tcp({ sport: 5555, dport: 80, flags: TCP_SYN, window: 999 });
  const inner = ipv4({ src: '172.16.0.1', dst: '172.16.0.2', proto: 6, payload: innerTcp, ttl: 33 });
  // L2TPv2 header with the length bit: flags/version 0x4002, length, tunnel 1, session 2; then PPP ff03 0021.
  const l2tp = bytes(u16(0x4002), u16(0), u16(1), u16(2), [0xff, 0x03], u16(0x0021), inner);
  const outer = ipv4({ src: '203.0.113.1', dst: '203.0.113.2', proto: 17, payload: udp(1701, 1701, l2tp), ttl: 60 });
  const { r } = decodeOne(1, ether(0x0800, outer));
  assert.deepEqual(pick(r, [...L4, 'tcpFlags', 'tcpWindow', 'ttl', 'flags', 'l4HeaderLen', 'payloadLen']), {
    ipVersion: 4, proto: 6, src: '172.16.0.1', dst: '172.16.0.2', srcPort: 5555, dstPort: 80, tcpFlags: TCP_SYN,
    tcpWindow: 999, ttl: 33, flags: PKT_L2TP_INNER, l4HeaderLen: 20, payloadLen: 0,
  });
  const control = bytes(u16(0xc802), u16(12), u16(1), u16(0), u16(0), u16(0));
  const c = decodeOne(1, ether(0x0800, ipv4({ src: '203.0.113.1', dst: '203.0.113.2', proto: 17, payload: udp(1701, 1701, control) }))).r;
  assert.deepEqual(pick(c, ['src', 'srcPort', 'flags']), { src: '203.0.113.1', srcPort: 1701, flags: 0 });
});

test('PPPoE session frames reach the IP inside', () => {
  const pkt = ipv4({ src: '100.64.0.1', dst: '100.64.0.2', proto: 17, payload: udp(1, 2, Buffer.alloc(0)) });
  const pppoe = bytes([0x11, 0x00], u16(1), u16(pkt.length + 2), u16(0x0021), pkt);
  const { r } = decodeOne(1, ether(0x8864, pppoe));
  assert.deepEqual(pick(r, ['ipVersion', 'src', 'dstPort']), { ipVersion: 4, src: '100.64.0.1', dstPort: 2 });
});

test('802.3 + LLC/SNAP frames carrying IPv4 are decoded; other LLC frames are counted as non-IP', () => {
  const pkt = ipv4({ src: '10.9.8.7', dst: '10.9.8.6', proto: 17, payload: udp(11, 12, Buffer.alloc(2)) });
  const snap = bytes([0xaa, 0xaa, 0x03, 0, 0, 0], u16(0x0800), pkt);
  const { r } = decodeOne(1, ether(snap.length, snap));
  assert.deepEqual(pick(r, ['ipVersion', 'src', 'srcPort', 'payloadLen']), { ipVersion: 4, src: '10.9.8.7', srcPort: 11, payloadLen: 2 });
  const stp = bytes([0x42, 0x42, 0x03], Buffer.alloc(35));
  assert.equal(decodeOne(1, ether(stp.length, stp)).r.ipVersion, 0);
});

test('NFLOG written by a big-endian host (TLV lengths in network order)', () => {
  const pkt = ipv4({ src: '10.1.1.1', dst: '10.1.1.2', proto: 17, payload: udp(53, 5353, Buffer.alloc(6)) });
  const tlv = (type: number, value: Buffer, le: boolean): Buffer => {
    const padded = Buffer.concat([value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
    const h = Buffer.alloc(4);
    if (le) { h.writeUInt16LE(4 + value.length, 0); h.writeUInt16LE(type, 2); } else { h.writeUInt16BE(4 + value.length, 0); h.writeUInt16BE(type, 2); }
    return Buffer.concat([h, padded]);
  };
  for (const le of [true, false]) {
    const frame = bytes([2, 0], u16(0), tlv(1, Buffer.alloc(4, 9), le), tlv(10, Buffer.from('prefix'), le), tlv(9, pkt, le));
    const { r } = decodeOne(239, frame);
    assert.deepEqual(pick(r, ['ipVersion', 'src', 'dstPort', 'payloadLen']), { ipVersion: 4, src: '10.1.1.1', dstPort: 5353, payloadLen: 6 }, `le=${le}`);
  }
});

test('IPv4 total length 0 (TCP segmentation offload) takes the frame length', () => {
  const seg = tcp({ sport: 1, dport: 2, flags: TCP_ACK, payload: Buffer.alloc(3000) });
  const frame = ether(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, payload: seg, totalLen: 0 }));
  const { r } = decodeOne(1, frame, { snaplen: 96 });
  assert.deepEqual(pick(r, ['ipTotalLen', 'payloadLen', 'capLen', 'wireLen']), { ipTotalLen: 20 + 20 + 3000, payloadLen: 3000, capLen: 96, wireLen: frame.length });
});
