/** LINKTYPE_* numbers (tcpdump.org/linktypes.html) the decoder understands, and names for reports. */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_PPP = 9;
export const LINKTYPE_PPP_HDLC = 50;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_C_HDLC = 104;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_NFLOG = 239;
export const LINKTYPE_LINUX_SLL2 = 276;

const NAMES: Record<number, string> = {
  0: 'NULL (BSD loopback)',
  1: 'ETHERNET',
  6: 'IEEE802_5 (token ring)',
  8: 'SLIP',
  9: 'PPP',
  10: 'FDDI',
  50: 'PPP_HDLC',
  51: 'PPP_ETHER',
  101: 'RAW (IP)',
  104: 'C_HDLC (Cisco HDLC)',
  105: 'IEEE802_11 (Wi-Fi)',
  107: 'FRELAY',
  108: 'LOOP (OpenBSD loopback)',
  113: 'LINUX_SLL (Linux cooked v1)',
  119: 'IEEE802_11_PRISM',
  127: 'IEEE802_11_RADIOTAP',
  143: 'DOCSIS',
  147: 'USER0',
  163: 'IEEE802_11_AVS',
  189: 'USB_LINUX',
  192: 'PPI',
  195: 'IEEE802_15_4_WITHFCS',
  201: 'BLUETOOTH_HCI_H4_WITH_PHDR',
  220: 'USB_LINUX_MMAPPED',
  228: 'IPV4',
  229: 'IPV6',
  239: 'NFLOG',
  249: 'USBPCAP',
  252: 'WIRESHARK_UPPER_PDU',
  276: 'LINUX_SLL2 (Linux cooked v2)',
};

const DECODED = new Set([
  LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_PPP, LINKTYPE_PPP_HDLC, LINKTYPE_RAW, LINKTYPE_C_HDLC,
  LINKTYPE_LOOP, LINKTYPE_LINUX_SLL, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_NFLOG, LINKTYPE_LINUX_SLL2,
]);

export function linkTypeName(linkType: number): string {
  return NAMES[linkType] ?? `unknown link type ${linkType}`;
}

/** True when decodeFrame() extracts IP fields for this link type (others are counted only). */
export function isDecodedLinkType(linkType: number): boolean {
  return DECODED.has(linkType);
}
