/** What a reader has seen so far; also the payload of the `deepmad/eof` message. Plain JSON-able data. */
export interface CaptureInterface {
  /** Index used in PacketBatch.iface. */
  index: number;
  /** pcapng section (0-based) the interface belongs to; 0 for classic pcap. */
  section: number;
  linkType: number;
  linkTypeName: string;
  /** False when packets of this link type are counted but not decoded (see warnings). */
  decoded: boolean;
  /** 0 when not set. */
  snaplen: number;
  /** Timestamp unit, e.g. "1e-6 s", "1e-9 s", "2^-20 s". */
  tsResolution: string;
  /** pcapng if_name / if_description when present. */
  name?: string;
  packets: number;
}

export interface CaptureStats {
  /** File path, `<stdin>` or `<stream>`. */
  source: string;
  format: 'pcap' | 'pcapng' | null;
  /** Byte order of the file; 'mixed' when pcapng sections differ. */
  byteOrder: 'little-endian' | 'big-endian' | 'mixed' | null;
  compression: 'gzip' | null;
  /** pcapng sections (section header blocks); 1 for classic pcap. */
  sections: number;
  packets: number;
  /** Captured bytes (sum of record captured lengths), like capinfos "Data size". */
  bytes: number;
  /** Sum of original (wire) lengths. */
  wireBytes: number;
  ipv4Packets: number;
  ipv6Packets: number;
  /** Packets cut inside their headers by the snaplen (fields after the cut are 0). */
  truncatedPackets: number;
  interfaces: CaptureInterface[];
  /** Earliest / latest packet timestamp in µs since the epoch (null before the first packet). */
  firstTsUs: number | null;
  lastTsUs: number | null;
  /** Bytes consumed from the source (compressed bytes for gzip input), for progress. */
  bytesRead: number;
  /** Size of the source file when known (compressed size for gzip input). */
  totalBytes: number | null;
  /** True once the whole input was read without error. */
  complete: boolean;
  errors: string[];
  warnings: string[];
}

export function emptyStats(source: string): CaptureStats {
  return {
    source, format: null, byteOrder: null, compression: null, sections: 0,
    packets: 0, bytes: 0, wireBytes: 0, ipv4Packets: 0, ipv6Packets: 0, truncatedPackets: 0,
    interfaces: [], firstTsUs: null, lastTsUs: null, bytesRead: 0, totalBytes: null, complete: false,
    errors: [], warnings: [],
  };
}
