/**
 * A batch of decoded packets in structure-of-arrays form: one typed array per field,
 * indexed 0..count-1. Batches are the unit that moves between the reader, the flow meter
 * and Node-RED messages; nothing is allocated per packet.
 *
 * A batch is immutable once emitted and owned by whoever receives it (readers never
 * reuse a batch), so it may be queued or sent in a Node-RED message safely.
 */
export interface PacketBatch {
  /** Number of packets in the batch. Arrays may be longer (capacity); only [0, count) is valid. */
  count: number;
  /** Capture timestamp in microseconds since the Unix epoch (fraction keeps sub-µs resolution). */
  tsUs: Float64Array;
  /** Original length of the packet on the wire (pcap orig_len). */
  wireLen: Uint32Array;
  /** Bytes actually captured (pcap incl_len). */
  capLen: Uint32Array;
  /** Index into `PacketBatch.linkTypes` / the reader's interface table for this packet. */
  iface: Uint16Array;
  /** 0 = not IP (ARP, LLDP…, still counted), 4 = IPv4, 6 = IPv6. */
  ipVersion: Uint8Array;
  /**
   * Transport protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, …; IPv6: after extension headers).
   * For a non-first IPv4 fragment this is still the IP protocol, but `flags & PKT_L4_ABSENT` is set.
   */
  proto: Uint8Array;
  /**
   * Source / destination address: 4 words per packet (big-endian word order, i.e. the address bytes
   * read as 4 uint32 BE). IPv4 uses word 0 only, words 1..3 are 0.
   */
  srcAddr: Uint32Array;
  dstAddr: Uint32Array;
  /** TCP/UDP ports (0 when absent). ICMP/ICMPv6 leave them 0 and fill icmpType/icmpCode. */
  srcPort: Uint16Array;
  dstPort: Uint16Array;
  icmpType: Uint8Array;
  icmpCode: Uint8Array;
  /** TCP flags byte 13 plus NS in bit 8: FIN=1 SYN=2 RST=4 PSH=8 ACK=16 URG=32 ECE=64 CWR=128 NS=256. */
  tcpFlags: Uint16Array;
  /** Raw (unscaled) TCP window field. */
  tcpWindow: Uint16Array;
  tcpSeq: Uint32Array;
  tcpAck: Uint32Array;
  /** IP header length incl. options / IPv6 extension headers. */
  ipHeaderLen: Uint16Array;
  /** IP total length as stated in the header (IPv4 total length; IPv6 payload length + 40). */
  ipTotalLen: Uint32Array;
  /** L4 header length: TCP data offset × 4, UDP 8, ICMP 8, 0 when absent. */
  l4HeaderLen: Uint16Array;
  /** L4 payload length computed from the IP length fields (Ethernet padding excluded). */
  payloadLen: Uint32Array;
  /** IPv4 TTL / IPv6 hop limit. */
  ttl: Uint8Array;
  /** IPv4 identification (0 for IPv6 unless a fragment header is present). */
  ipId: Uint32Array;
  /** IPv4/IPv6 fragment offset in bytes. */
  fragOffset: Uint32Array;
  /** PKT_* bit set, below. */
  flags: Uint8Array;
  /** Outermost 802.1Q / 802.1ad VLAN id (0 when untagged). Added by the reader. */
  vlanId: Uint16Array;
  /**
   * Payload tells of TCP segments (TELL_* bits of payload-tells.ts; 0 for everything else). Optional: a
   * batch built elsewhere without it is metered without payload signatures.
   */
  tells?: Uint16Array;
  /**
   * Link type (LINKTYPE_* number) of every interface seen so far, indexed by `iface`.
   * Shared snapshot per batch; small. Added by the reader.
   */
  linkTypes: number[];
}

/** More-fragments bit was set. */
export const PKT_MORE_FRAGMENTS = 1;
/** A non-first fragment: no L4 header, ports/flags are 0. */
export const PKT_L4_ABSENT = 2;
/** L4 header was cut by the snaplen (fields after the cut are 0). */
export const PKT_TRUNCATED = 4;
/** IPv4 don't-fragment bit. */
export const PKT_DONT_FRAGMENT = 8;
/** The L3/L4 fields describe the IPv4 packet carried inside an L2TP data tunnel (UDP 1701), as CICFlowMeter does. */
export const PKT_L2TP_INNER = 16;
/** The frame claimed IP (ethertype / link type) but the IP header was invalid or cut: ipVersion is 0. */
export const PKT_BAD_IP = 32;

export const TCP_FIN = 1;
export const TCP_SYN = 2;
export const TCP_RST = 4;
export const TCP_PSH = 8;
export const TCP_ACK = 16;
export const TCP_URG = 32;
export const TCP_ECE = 64;
export const TCP_CWR = 128;
export const TCP_NS = 256;
