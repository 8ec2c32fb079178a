/**
 * Frame decoding for the flow meter: link layer → IPv4/IPv6 → TCP/UDP/ICMP, straight from the
 * capture buffer into one row of a PacketBatch. No allocation; every read is bounds-checked against
 * the captured length, so a lying length field can only make a packet look truncated, never crash.
 *
 * Semantics follow ../shared/spec/flow-features.md §1–§2: payload length comes from the IP length
 * fields (Ethernet padding excluded), L4 header length is TCP data offset × 4 / 8 for UDP and ICMP,
 * non-first fragments carry no L4 header, and L2TP-encapsulated IPv4 is unwrapped like CICFlowMeter.
 */
import {
  PKT_BAD_IP, PKT_DONT_FRAGMENT, PKT_L2TP_INNER, PKT_L4_ABSENT, PKT_MORE_FRAGMENTS, PKT_TRUNCATED,
  type PacketBatch,
} from './packet-batch.js';
import { inspectTcpPayload } from './payload-tells.js';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;
const ETHERTYPE_QINQ_OLD2 = 0x9200;
const ETHERTYPE_MPLS = 0x8847;
const ETHERTYPE_MPLS_MC = 0x8848;
const ETHERTYPE_PPPOE = 0x8864;
const L2TP_PORT = 1701;
/** IPv6 extension headers walked before giving up (a loop of headers is a malformed packet). */
const MAX_IPV6_EXT = 12;

/**
 * Decode one frame of `capLen` captured bytes at `buf[off]` into row `i` of `b`.
 * The row must be zero (fresh batch); tsUs/wireLen/capLen/iface are the caller's.
 * Returns false when the link type is not one we decode (the row stays "not IP").
 */
export function decodeFrame(
  b: PacketBatch, i: number, buf: Uint8Array, off: number, capLen: number, wireLen: number, linkType: number,
): boolean {
  const end = off + capLen;
  let p = off;
  let et = 0;
  switch (linkType) {
    case 1: { // Ethernet II, any number of 802.1Q / 802.1ad tags
      if (capLen < 14) { b.flags[i] = PKT_TRUNCATED; return true; }
      et = (buf[off + 12] << 8) | buf[off + 13];
      p = off + 14;
      if (et === ETHERTYPE_VLAN || et === ETHERTYPE_QINQ || et === ETHERTYPE_QINQ_OLD || et === ETHERTYPE_QINQ_OLD2) {
        if (p + 4 > end) { b.flags[i] = PKT_TRUNCATED; return true; }
        b.vlanId[i] = ((buf[p] & 0x0f) << 8) | buf[p + 1];
        return decodeVlanTail(b, i, buf, p, end, off + wireLen);
      }
      break;
    }
    case 113: // Linux cooked v1: 16-byte header, protocol last
      if (capLen < 16) { b.flags[i] = PKT_TRUNCATED; return true; }
      et = (buf[off + 14] << 8) | buf[off + 15];
      p = off + 16;
      if (et === ETHERTYPE_VLAN || et === ETHERTYPE_QINQ) {
        if (p + 4 > end) { b.flags[i] = PKT_TRUNCATED; return true; }
        b.vlanId[i] = ((buf[p] & 0x0f) << 8) | buf[p + 1];
        return decodeVlanTail(b, i, buf, p, end, off + wireLen);
      }
      break;
    case 276: // Linux cooked v2: 20-byte header, protocol first
      if (capLen < 20) { b.flags[i] = PKT_TRUNCATED; return true; }
      et = (buf[off] << 8) | buf[off + 1];
      p = off + 20;
      break;
    case 101: case 228: case 229: { // raw IP: 101 may hold either version (nibble decides), 228/229 only one
      if (capLen < 1) { b.flags[i] = PKT_TRUNCATED; return true; }
      const v = buf[off] >> 4;
      et = v === 4 && linkType !== 229 ? ETHERTYPE_IPV4 : v === 6 && linkType !== 228 ? ETHERTYPE_IPV6 : 0;
      if (et === 0) { b.flags[i] = PKT_BAD_IP; return true; }
      break;
    }
    case 0: { // BSD null: 4-byte address family in the capturing host's byte order
      if (capLen < 4) { b.flags[i] = PKT_TRUNCATED; return true; }
      let fam = buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24);
      if ((fam & 0xffff0000) !== 0) fam = ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
      et = familyToEthertype(fam);
      p = off + 4;
      break;
    }
    case 108: { // OpenBSD loop: same family field, always network byte order
      if (capLen < 4) { b.flags[i] = PKT_TRUNCATED; return true; }
      et = familyToEthertype(((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0);
      p = off + 4;
      break;
    }
    case 9: case 50: case 104: { // PPP / PPP in HDLC framing / Cisco HDLC: [address control] protocol
      if (capLen < 4) { b.flags[i] = PKT_TRUNCATED; return true; }
      p = off;
      if (buf[p] === 0xff && buf[p + 1] === 0x03) p += 2;
      else if (linkType === 104) p += 2; // Cisco HDLC: address 0x0f/0x8f, control 0; protocol is an ethertype
      if (linkType === 104) {
        et = (buf[p] << 8) | buf[p + 1];
        p += 2;
      } else if (buf[p] & 1) { // protocol-field compression: one byte
        et = pppToEthertype(buf[p]);
        p += 1;
      } else {
        et = pppToEthertype((buf[p] << 8) | buf[p + 1]);
        p += 2;
      }
      break;
    }
    case 239: { // NFLOG: 4-byte header then TLVs (host byte order lengths); type 9 is the packet
      if (capLen < 4) { b.flags[i] = PKT_TRUNCATED; return true; }
      const fam = buf[off];
      let q = off + 4;
      let found = -1;
      let payloadEnd = end;
      while (q + 4 <= end) {
        let len = buf[q] | (buf[q + 1] << 8);
        let type = buf[q + 2] | (buf[q + 3] << 8);
        if (len < 4 || q + len > end) { // maybe a big-endian host wrote it
          const lenBe = (buf[q] << 8) | buf[q + 1];
          if (lenBe >= 4 && q + lenBe <= end) {
            len = lenBe;
            type = (buf[q + 2] << 8) | buf[q + 3];
          }
        }
        if (len < 4) break;
        if ((type & 0x7fff) === 9) { found = q + 4; payloadEnd = Math.min(end, q + len); break; }
        q += (len + 3) & ~3;
      }
      if (found < 0) { b.flags[i] = PKT_TRUNCATED; return true; }
      p = found;
      et = fam === 2 ? ETHERTYPE_IPV4 : fam === 10 ? ETHERTYPE_IPV6 : 0;
      return decodeEthertype(b, i, buf, p, payloadEnd, et, payloadEnd);
    }
    default:
      return false;
  }
  return decodeEthertype(b, i, buf, p, end, et, off + wireLen);
}

/** Continue after the first VLAN tag at `p` (its TCI already recorded): further tags, then the payload. */
function decodeVlanTail(b: PacketBatch, i: number, buf: Uint8Array, p: number, end: number, wireEnd: number): boolean {
  let et = (buf[p + 2] << 8) | buf[p + 3];
  p += 4;
  while (et === ETHERTYPE_VLAN || et === ETHERTYPE_QINQ || et === ETHERTYPE_QINQ_OLD || et === ETHERTYPE_QINQ_OLD2) {
    if (p + 4 > end) { b.flags[i] = PKT_TRUNCATED; return true; }
    et = (buf[p + 2] << 8) | buf[p + 3];
    p += 4;
  }
  return decodeEthertype(b, i, buf, p, end, et, wireEnd);
}

function familyToEthertype(fam: number): number {
  if (fam === 2) return ETHERTYPE_IPV4;
  // AF_INET6 differs per BSD: 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS); 10 on Linux.
  if (fam === 24 || fam === 28 || fam === 30 || fam === 10) return ETHERTYPE_IPV6;
  return 0;
}

function pppToEthertype(proto: number): number {
  if (proto === 0x21) return ETHERTYPE_IPV4;
  if (proto === 0x57) return ETHERTYPE_IPV6;
  return 0;
}

/** Dispatch on an ethertype at `p`; MPLS label stacks, PPPoE sessions and 802.2 SNAP are looked through. */
function decodeEthertype(
  b: PacketBatch, i: number, buf: Uint8Array, p: number, end: number, et: number, wireEnd: number,
): boolean {
  if (et === ETHERTYPE_IPV4) { decodeIPv4(b, i, buf, p, end, wireEnd, 0); return true; }
  if (et <= 1500) { // 802.3 length field: only LLC/SNAP with a zero OUI carries an ethertype
    if (p + 8 <= end && buf[p] === 0xaa && buf[p + 1] === 0xaa && buf[p + 2] === 0x03 &&
        buf[p + 3] === 0 && buf[p + 4] === 0 && buf[p + 5] === 0) {
      const inner = (buf[p + 6] << 8) | buf[p + 7];
      if (inner === ETHERTYPE_IPV4 || inner === ETHERTYPE_IPV6) return decodeEthertype(b, i, buf, p + 8, end, inner, wireEnd);
    }
    return true;
  }
  if (et === ETHERTYPE_IPV6) { decodeIPv6(b, i, buf, p, end, wireEnd); return true; }
  if (et === ETHERTYPE_MPLS || et === ETHERTYPE_MPLS_MC) {
    for (;;) { // pop labels to bottom of stack, then guess IP by the version nibble
      if (p + 4 > end) { b.flags[i] = PKT_TRUNCATED; return true; }
      const bos = buf[p + 2] & 1;
      p += 4;
      if (bos) break;
    }
    if (p >= end) return true;
    const v = buf[p] >> 4;
    if (v === 4) decodeIPv4(b, i, buf, p, end, wireEnd, 0);
    else if (v === 6) decodeIPv6(b, i, buf, p, end, wireEnd);
    return true;
  }
  if (et === ETHERTYPE_PPPOE) {
    if (p + 8 > end) { b.flags[i] = PKT_TRUNCATED; return true; }
    const pppProto = (buf[p + 6] << 8) | buf[p + 7];
    const inner = pppToEthertype(pppProto);
    if (inner !== 0) return decodeEthertype(b, i, buf, p + 8, end, inner, wireEnd);
  }
  return true;
}

function decodeIPv4(
  b: PacketBatch, i: number, buf: Uint8Array, p: number, end: number, wireEnd: number, depth: number,
): void {
  if (p + 20 > end) { b.flags[i] |= PKT_TRUNCATED | PKT_BAD_IP; return; }
  const vihl = buf[p];
  const ihl = (vihl & 15) << 2;
  if ((vihl >> 4) !== 4 || ihl < 20) { b.flags[i] |= PKT_BAD_IP; return; }
  let total = (buf[p + 2] << 8) | buf[p + 3];
  // Total length 0 is what TCP segmentation offload leaves in captures: use the frame instead.
  if (total === 0) total = wireEnd > p ? wireEnd - p : 0;
  const fragField = (buf[p + 6] << 8) | buf[p + 7];
  const fragOff = (fragField & 0x1fff) << 3;
  const proto = buf[p + 9];
  const i4 = i << 2;
  b.ipVersion[i] = 4;
  b.proto[i] = proto;
  b.ttl[i] = buf[p + 8];
  b.ipId[i] = (buf[p + 4] << 8) | buf[p + 5];
  b.fragOffset[i] = fragOff;
  b.ipHeaderLen[i] = ihl;
  b.ipTotalLen[i] = total;
  b.srcAddr[i4] = ((buf[p + 12] << 24) | (buf[p + 13] << 16) | (buf[p + 14] << 8) | buf[p + 15]) >>> 0;
  b.dstAddr[i4] = ((buf[p + 16] << 24) | (buf[p + 17] << 16) | (buf[p + 18] << 8) | buf[p + 19]) >>> 0;
  let fl = b.flags[i];
  if (fragField & 0x2000) fl |= PKT_MORE_FRAGMENTS;
  if (fragField & 0x4000) fl |= PKT_DONT_FRAGMENT;
  const l4len = total > ihl ? total - ihl : 0;
  if (fragOff !== 0) {
    b.flags[i] = fl | PKT_L4_ABSENT;
    b.payloadLen[i] = l4len;
    return;
  }
  b.flags[i] = fl;
  decodeL4(b, i, buf, p + ihl, end, proto, l4len, depth);
}

function decodeIPv6(b: PacketBatch, i: number, buf: Uint8Array, p: number, end: number, wireEnd: number): void {
  if (p + 40 > end) { b.flags[i] |= PKT_TRUNCATED | PKT_BAD_IP; return; }
  if ((buf[p] >> 4) !== 6) { b.flags[i] |= PKT_BAD_IP; return; }
  const plen = (buf[p + 4] << 8) | buf[p + 5];
  let nh = buf[p + 6];
  // Payload length 0 means a jumbogram or TSO: take the frame.
  const total = plen === 0 ? (wireEnd > p + 40 ? wireEnd - p : 40) : plen + 40;
  const i4 = i << 2;
  b.ipVersion[i] = 6;
  b.ttl[i] = buf[p + 7];
  b.ipTotalLen[i] = total;
  for (let k = 0; k < 4; k++) {
    const s = p + 8 + (k << 2);
    const d = s + 16;
    b.srcAddr[i4 + k] = ((buf[s] << 24) | (buf[s + 1] << 16) | (buf[s + 2] << 8) | buf[s + 3]) >>> 0;
    b.dstAddr[i4 + k] = ((buf[d] << 24) | (buf[d + 1] << 16) | (buf[d + 2] << 8) | buf[d + 3]) >>> 0;
  }
  let q = p + 40;
  let l4Absent = false;
  for (let k = 0; k < MAX_IPV6_EXT; k++) {
    if (nh === 0 || nh === 43 || nh === 60 || nh === 135 || nh === 139 || nh === 140) {
      if (q + 2 > end) { b.flags[i] |= PKT_TRUNCATED; b.proto[i] = nh; b.ipHeaderLen[i] = q - p; return; }
      const next = buf[q];
      q += (buf[q + 1] + 1) << 3;
      nh = next;
    } else if (nh === 44) { // fragment header
      if (q + 8 > end) { b.flags[i] |= PKT_TRUNCATED; b.proto[i] = nh; b.ipHeaderLen[i] = q - p; return; }
      const fo = ((buf[q + 2] << 8) | buf[q + 3]) & 0xfff8;
      b.fragOffset[i] = fo;
      b.ipId[i] = ((buf[q + 4] << 24) | (buf[q + 5] << 16) | (buf[q + 6] << 8) | buf[q + 7]) >>> 0;
      if (buf[q + 3] & 1) b.flags[i] |= PKT_MORE_FRAGMENTS;
      if (fo !== 0) l4Absent = true;
      nh = buf[q];
      q += 8;
    } else if (nh === 51) { // authentication header: length in 4-byte units minus 2
      if (q + 2 > end) { b.flags[i] |= PKT_TRUNCATED; b.proto[i] = nh; b.ipHeaderLen[i] = q - p; return; }
      const next = buf[q];
      q += (buf[q + 1] + 2) << 2;
      nh = next;
    } else {
      break;
    }
  }
  const hdr = q - p;
  b.proto[i] = nh;
  b.ipHeaderLen[i] = hdr;
  const l4len = total > hdr ? total - hdr : 0;
  if (l4Absent) {
    b.flags[i] |= PKT_L4_ABSENT;
    b.payloadLen[i] = l4len;
    return;
  }
  decodeL4(b, i, buf, q, end, nh, l4len, 1);
}

function decodeL4(
  b: PacketBatch, i: number, buf: Uint8Array, q: number, end: number, proto: number, l4len: number, depth: number,
): void {
  const avail = end - q;
  if (proto === 6) {
    if (avail >= 20) {
      b.srcPort[i] = (buf[q] << 8) | buf[q + 1];
      b.dstPort[i] = (buf[q + 2] << 8) | buf[q + 3];
      b.tcpSeq[i] = ((buf[q + 4] << 24) | (buf[q + 5] << 16) | (buf[q + 6] << 8) | buf[q + 7]) >>> 0;
      b.tcpAck[i] = ((buf[q + 8] << 24) | (buf[q + 9] << 16) | (buf[q + 10] << 8) | buf[q + 11]) >>> 0;
      const doff = (buf[q + 12] >> 4) << 2;
      b.tcpFlags[i] = buf[q + 13] | ((buf[q + 12] & 1) << 8);
      b.tcpWindow[i] = (buf[q + 14] << 8) | buf[q + 15];
      b.l4HeaderLen[i] = doff;
      const plen = l4len > doff ? l4len - doff : 0;
      b.payloadLen[i] = plen;
      // Payload tells need the bytes now: a batch keeps none (payload-tells.ts).
      if (plen > 0) {
        const at = q + doff;
        const inCapture = end - at;
        if (inCapture > 0) {
          const tells = b.tells;
          if (tells !== undefined) tells[i] = inspectTcpPayload(buf, at, inCapture < plen ? inCapture : plen, plen);
        }
      }
    } else {
      decodeTcpPartial(b, i, buf, q, avail, l4len);
    }
    return;
  }
  if (proto === 17) {
    b.l4HeaderLen[i] = 8;
    b.payloadLen[i] = l4len > 8 ? l4len - 8 : 0;
    if (avail < 4) { b.flags[i] |= PKT_TRUNCATED; return; }
    const sport = (buf[q] << 8) | buf[q + 1];
    const dport = (buf[q + 2] << 8) | buf[q + 3];
    b.srcPort[i] = sport;
    b.dstPort[i] = dport;
    if (avail < 8) { b.flags[i] |= PKT_TRUNCATED; return; }
    if ((sport === L2TP_PORT || dport === L2TP_PORT) && depth === 0) unwrapL2tp(b, i, buf, q + 8, end);
    return;
  }
  if (proto === 1 || proto === 58) {
    b.l4HeaderLen[i] = 8;
    b.payloadLen[i] = l4len > 8 ? l4len - 8 : 0;
    if (avail < 2) { b.flags[i] |= PKT_TRUNCATED; return; }
    b.icmpType[i] = buf[q];
    b.icmpCode[i] = buf[q + 1];
    if (avail < 8) b.flags[i] |= PKT_TRUNCATED;
    return;
  }
  // Other protocols: no L4 header is decoded, all of the IP payload counts as payload.
  b.payloadLen[i] = l4len;
}

/** TCP header cut by the snaplen: keep every field that was captured whole. */
function decodeTcpPartial(b: PacketBatch, i: number, buf: Uint8Array, q: number, avail: number, l4len: number): void {
  b.flags[i] |= PKT_TRUNCATED;
  if (avail >= 4) {
    b.srcPort[i] = (buf[q] << 8) | buf[q + 1];
    b.dstPort[i] = (buf[q + 2] << 8) | buf[q + 3];
  }
  if (avail >= 8) b.tcpSeq[i] = ((buf[q + 4] << 24) | (buf[q + 5] << 16) | (buf[q + 6] << 8) | buf[q + 7]) >>> 0;
  if (avail >= 12) b.tcpAck[i] = ((buf[q + 8] << 24) | (buf[q + 9] << 16) | (buf[q + 10] << 8) | buf[q + 11]) >>> 0;
  if (avail >= 14) {
    const doff = (buf[q + 12] >> 4) << 2;
    b.tcpFlags[i] = buf[q + 13] | ((buf[q + 12] & 1) << 8);
    b.l4HeaderLen[i] = doff;
    b.payloadLen[i] = l4len > doff ? l4len - doff : 0;
  }
  if (avail >= 16) b.tcpWindow[i] = (buf[q + 14] << 8) | buf[q + 15];
}

/**
 * L2TPv2 data message (RFC 2661) carrying PPP-framed IPv4: re-decode the row as the inner packet.
 * Control messages, other PPP protocols and anything malformed leave the outer UDP row untouched.
 */
function unwrapL2tp(b: PacketBatch, i: number, buf: Uint8Array, r: number, end: number): void {
  if (r + 6 > end) return;
  const h = (buf[r] << 8) | buf[r + 1];
  if ((h & 0x8000) !== 0 || (h & 0x000f) !== 2) return;
  let q = r + 2;
  if (h & 0x4000) q += 2; // length
  q += 4; // tunnel id, session id
  if (h & 0x0800) q += 4; // Ns, Nr
  if (h & 0x0200) { // offset size + padding
    if (q + 2 > end) return;
    q += 2 + ((buf[q] << 8) | buf[q + 1]);
  }
  if (q + 2 > end) return;
  if (buf[q] === 0xff && buf[q + 1] === 0x03) q += 2;
  if (q + 2 > end) return;
  let pppProto: number;
  if (buf[q] & 1) { pppProto = buf[q]; q += 1; } else { pppProto = (buf[q] << 8) | buf[q + 1]; q += 2; }
  if (pppProto !== 0x21 || q + 20 > end || (buf[q] >> 4) !== 4) return;
  // Reset every field the outer decode wrote, keep link-layer ones (vlanId).
  const i4 = i << 2;
  b.proto[i] = 0; b.srcPort[i] = 0; b.dstPort[i] = 0; b.l4HeaderLen[i] = 0; b.payloadLen[i] = 0;
  b.ipId[i] = 0; b.fragOffset[i] = 0; b.ttl[i] = 0;
  for (let k = 1; k < 4; k++) { b.srcAddr[i4 + k] = 0; b.dstAddr[i4 + k] = 0; }
  b.flags[i] = PKT_L2TP_INNER;
  decodeIPv4(b, i, buf, q, end, end, 1);
}
