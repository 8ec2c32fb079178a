/**
 * Incremental, synchronous capture parser: feed it byte chunks in order (`push`), then `end()`.
 * It detects classic pcap / pcapng by magic, walks records straight out of each chunk, decodes
 * every frame into preallocated batch rows, and hands full batches to `onBatch`.
 *
 * Records that straddle two chunks are assembled in a small carry buffer that only ever grows
 * with bytes actually received, so a lying length field cannot trigger a huge allocation.
 *
 * Error policy: STOP. The first structural error (impossible length, corrupt block, truncated
 * record at end of input, …) flushes every good packet decoded before it, then throws a
 * CaptureFormatError naming the byte offset. We do not resynchronise: guessing the next record
 * boundary in pcap yields garbage packets that would poison flow features, and libpcap/Wireshark
 * stop too. Unknown pcapng blocks are skipped (that is the format's own rule, not a resync).
 */
import { allocBatch, clearBatchRows, copyBatchRows } from './batch-alloc.js';
import { decodeFrame } from './decode.js';
import { CaptureFormatError } from './errors.js';
import { isDecodedLinkType, linkTypeName } from './link-types.js';
import { PKT_TRUNCATED, type PacketBatch } from './packet-batch.js';
import { emptyStats, type CaptureInterface, type CaptureStats } from './stats.js';

export const DEFAULT_BATCH_SIZE = 4096;
/** libpcap's largest snaplen for ordinary link types; larger records are refused unless the snaplen says so. */
const MAX_STANDARD_RECORD = 262144;
/** Upper bound for any record or pcapng block (libpcap uses 16 MiB for pcapng blocks). */
const MAX_BLOCK = 16 * 1024 * 1024;

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAP_MAGIC_US_SWAPPED = 0xd4c3b2a1;
const PCAP_MAGIC_NS_SWAPPED = 0x4d3cb2a1;
const PCAP_MAGIC_KUZNETZOV = 0xa1b2cd34;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;

const enum State { Magic, PcapHeader, PcapRecords, Pcapng, Done, Failed }

/** Per-interface timestamp conversion: ticks (hi:lo, 64 bit) → µs since the epoch. */
interface TsConv {
  /** 0: multiply by `mul`; 1: integer divisor split (hi*q0 + (hi*r0+lo)/div); 2: divide by `div` in floating point. */
  mode: number;
  mul: number;
  div: number;
  q0: number;
  r0: number;
  offsetUs: number;
}

export interface ParserOptions {
  /** Name used in errors and stats (file path, `<stdin>`…). */
  source: string;
  batchSize?: number;
  onBatch: (batch: PacketBatch) => void;
  onWarning?: (message: string) => void;
}

const u32le = (b: Uint8Array, o: number): number => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
const u32be = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const u16le = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8);
const u16be = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];

export class CaptureParser {
  readonly stats: CaptureStats;
  private readonly batchSize: number;
  private readonly onBatch: (batch: PacketBatch) => void;
  private readonly onWarning?: (message: string) => void;
  private state = State.Magic;
  /** Absolute offset (in the uncompressed capture) of the next byte not yet consumed. */
  private consumed = 0;
  // A Buffer like the chunks read from files, so the decoder's call sites see one receiver map.
  private carry: Uint8Array = Buffer.alloc(0);
  private carryLen = 0;
  private batch: PacketBatch;
  private n = 0;
  /** Full-size batches handed back through recycle(), zeroed again when taken. */
  private readonly spare: PacketBatch[] = [];
  private readonly warned = new Set<string>();
  // Interfaces: global table and the current pcapng section's local id → global index.
  private linkTypes: number[] = [];
  private linkTypesDirty = false;
  private readonly tsConv: TsConv[] = [];
  private readonly ifSnap: number[] = [];
  private section: number[] = [];
  private sectionCount = 0;
  // Classic pcap header values.
  private le = true;
  private nano = false;
  private snaplen = 0;
  private maxRecord = MAX_STANDARD_RECORD;
  private linkType0 = 1;
  /** pcap < 2.3 stored orig_len before incl_len (0 = never swap, 1 = always, 2 = when incl > orig, for 2.3). */
  private lengthsSwapped = 0;
  /** Record header size: 16, or 24 in Kuznetzov's "modified pcap" (ifindex, protocol, pkt_type follow). */
  private recordHeader = 16;
  private lastTsUs = 0;
  private byteOrders = 0; // bit 1: LE seen, bit 2: BE seen

  constructor(opts: ParserOptions) {
    if (!primed) { primed = true; primeParser(); }
    this.stats = emptyStats(opts.source);
    this.batchSize = Math.max(1, Math.floor(opts.batchSize ?? DEFAULT_BATCH_SIZE));
    this.onBatch = opts.onBatch;
    this.onWarning = opts.onWarning;
    this.batch = allocBatch(this.batchSize, this.linkTypes);
  }

  /** True once the parser saw an error or end(). */
  get finished(): boolean {
    return this.state === State.Done || this.state === State.Failed;
  }

  /** Packets decoded but not yet handed out in a batch. */
  get bufferedPackets(): number {
    return this.n;
  }

  /** Bytes held back because the last record of the latest chunk is still incomplete. */
  get pendingBytes(): number {
    return this.carryLen;
  }

  /** Feed the next chunk. Throws CaptureFormatError (after flushing good packets) on corrupt input. */
  push(chunk: Uint8Array): void {
    if (this.finished) return;
    try {
      this.pushInner(chunk);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Emit the partial batch now (used by live/stream readers to bound latency). */
  flush(): void {
    const n = this.n;
    if (n === 0) return;
    let b = this.batch;
    b.count = n;
    this.account(b);
    const linkTypes = this.linkTypesDirty || b.linkTypes !== this.linkTypes ? this.linkTypes.slice() : b.linkTypes;
    this.linkTypesDirty = false;
    if (n === this.batchSize || n * 4 > this.batchSize) {
      // Hand the batch over as is and start a fresh (or recycled) one.
      this.batch = this.takeBatch();
    } else {
      // A short batch (stream/live flush): emit a right-sized copy and keep filling the big one,
      // instead of allocating and zeroing a full-capacity batch for a few hundred packets.
      b = copyBatchRows(b, n);
      clearBatchRows(this.batch, n);
    }
    b.linkTypes = linkTypes;
    this.n = 0;
    this.onBatch(b);
  }

  /**
   * Give back a batch this parser emitted once the receiver is completely done with it (no references
   * kept): the next batch reuses its memory instead of a freshly zeroed allocation. Optional; batches of
   * another size or origin are ignored.
   */
  recycle(b: PacketBatch): void {
    if (b === this.batch || this.spare.length >= 4 || this.spare.includes(b)) return;
    const ab = b.tsUs?.buffer;
    if (!(ab instanceof ArrayBuffer) || b.tsUs.length !== this.batchSize || b.tsUs.byteOffset !== 0 || b.flags.buffer !== ab) return;
    this.spare.push(b);
  }

  private takeBatch(): PacketBatch {
    const b = this.spare.pop();
    if (!b) return allocBatch(this.batchSize, this.linkTypes);
    // allocBatch lays every column on one ArrayBuffer: one fill zeroes the whole batch.
    new Uint8Array(b.tsUs.buffer).fill(0);
    b.count = 0;
    b.linkTypes = this.linkTypes;
    return b;
  }

  /**
   * End of input. Flushes, and throws if the input stopped inside a header or record, or held no capture.
   * With `partialOk` (a live capture that was stopped) an incomplete last record is only a warning.
   */
  end(partialOk = false): void {
    if (this.finished) return;
    try {
      if (this.state === State.Magic) {
        if (partialOk) { // a live/follow reader stopped before the capture wrote its header
          this.warn('stopped before any capture data was read');
          this.state = State.Done;
          return;
        }
        if (this.consumed + this.carryLen === 0) throw this.err(0, 'empty input (0 bytes): not a capture file');
        throw this.err(0, `only ${this.carryLen} byte(s): too short to be a capture file`);
      }
      if (this.carryLen > 0) {
        const what = this.state === State.PcapHeader ? 'pcap file header (24 bytes)'
          : this.state === State.Pcapng ? 'pcapng block' : 'packet record';
        const need = this.needed(this.carry, 0, this.carryLen);
        const msg = `input ends inside a ${what}: ${this.carryLen} of ${need} bytes present (truncated capture)`;
        if (!partialOk) throw this.err(this.consumed, msg);
        this.warn(msg);
      }
      this.flush();
      this.state = State.Done;
      this.stats.complete = !partialOk || this.carryLen === 0;
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): never {
    this.state = State.Failed;
    this.carryLen = 0;
    try {
      this.flush();
    } finally {
      this.stats.errors.push(err instanceof Error ? err.message : String(err));
    }
    throw err;
  }

  private err(offset: number, reason: string): CaptureFormatError {
    return new CaptureFormatError(this.stats.source, offset, reason);
  }

  private warn(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.stats.warnings.push(message);
    this.onWarning?.(message);
  }

  private pushInner(input: Uint8Array): void {
    // Decode from Buffers only (as files and streams deliver them): one receiver map for the hot loop.
    const chunk = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.length);
    let pos = 0;
    const len = chunk.length;
    // Complete the unit that straddles the previous chunk boundary, one unit at a time.
    while (this.carryLen > 0) {
      const need = this.needed(this.carry, 0, this.carryLen);
      if (this.carryLen < need) {
        const take = Math.min(need - this.carryLen, len - pos);
        if (take <= 0) return;
        this.appendCarry(chunk, pos, take);
        pos += take;
        if (this.carryLen < need) return;
      }
      const used = this.parse(this.carry, 0, this.carryLen);
      if (used > 0) {
        this.carry.copyWithin(0, used, this.carryLen);
        this.carryLen -= used;
      }
      if (this.finished) return;
    }
    const used = this.parse(chunk, pos, len);
    if (used < len) this.appendCarry(chunk, used, len - used);
  }

  private appendCarry(src: Uint8Array, from: number, count: number): void {
    const want = this.carryLen + count;
    if (want > this.carry.length) {
      const grown = Buffer.alloc(Math.max(want, Math.min(this.carry.length * 2, MAX_BLOCK + 64), 256));
      grown.set(this.carry.subarray(0, this.carryLen));
      this.carry = grown;
    }
    this.carry.set(src.subarray(from, from + count), this.carryLen);
    this.carryLen += count;
  }

  /** Bytes the next unit needs, given `avail` bytes of it at buf[off]. Never more than MAX_BLOCK. */
  private needed(buf: Uint8Array, off: number, avail: number): number {
    switch (this.state) {
      case State.Magic: return 4;
      case State.PcapHeader: return 24;
      case State.PcapRecords: {
        const h = this.recordHeader;
        if (avail < h) return h;
        let incl = this.le ? u32le(buf, off + 8) : u32be(buf, off + 8);
        const orig = this.le ? u32le(buf, off + 12) : u32be(buf, off + 12);
        if (this.lengthsSwapped !== 0 && (this.lengthsSwapped === 1 || incl > orig)) incl = orig;
        return incl > this.maxRecord ? h : h + incl; // parse() reports the bad length
      }
      case State.Pcapng: {
        if (avail < 12) return 12;
        const len = this.blockLength(buf, off);
        return len < 12 || len > MAX_BLOCK || (len & 3) !== 0 ? 12 : len;
      }
      default: return 0;
    }
  }

  /** pcapng block total length; a section header block carries its own byte order. */
  private blockLength(buf: Uint8Array, off: number): number {
    if (u32le(buf, off) === PCAPNG_SHB) {
      const bomLe = u32le(buf, off + 8) === PCAPNG_BOM;
      return bomLe ? u32le(buf, off + 4) : u32be(buf, off + 4);
    }
    return this.le ? u32le(buf, off + 4) : u32be(buf, off + 4);
  }

  /** Consume every complete unit in buf[off, end); return the offset of the first incomplete one. */
  private parse(buf: Uint8Array, off: number, end: number): number {
    let o = off;
    for (;;) {
      switch (this.state) {
        case State.Magic: {
          if (end - o < 4) return o;
          this.detect(buf, o);
          continue;
        }
        case State.PcapHeader: {
          if (end - o < 24) return o;
          this.pcapHeader(buf, o);
          this.consumed += 24;
          o += 24;
          this.state = State.PcapRecords;
          continue;
        }
        case State.PcapRecords: {
          const stop = this.pcapRecords(buf, o, end);
          this.consumed += stop - o;
          return stop;
        }
        case State.Pcapng: {
          return this.pcapngBlocks(buf, o, end);
        }
        default:
          return end;
      }
    }
  }

  private detect(buf: Uint8Array, o: number): void {
    const m = u32le(buf, o);
    if (buf[o] === 0x1f && buf[o + 1] === 0x8b) {
      throw this.err(0, 'gzip-compressed data inside the capture (nested gzip or a reader without decompression)');
    }
    if (m === PCAPNG_SHB) {
      this.state = State.Pcapng;
      this.stats.format = 'pcapng';
      return;
    }
    const st = this.stats;
    if (m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS) { this.le = true; this.nano = m === PCAP_MAGIC_NS; }
    else if (m === PCAP_MAGIC_US_SWAPPED || m === PCAP_MAGIC_NS_SWAPPED) { this.le = false; this.nano = m === PCAP_MAGIC_NS_SWAPPED; }
    else if (m === PCAP_MAGIC_KUZNETZOV || u32be(buf, o) === PCAP_MAGIC_KUZNETZOV) {
      this.le = m === PCAP_MAGIC_KUZNETZOV;
      this.recordHeader = 24;
    } else {
      const hex = Array.from(buf.subarray(o, o + 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
      throw this.err(0, `not a capture file: unknown magic number ${hex} (expected pcap, pcapng or gzip)`);
    }
    st.format = 'pcap';
    st.byteOrder = this.le ? 'little-endian' : 'big-endian';
    this.state = State.PcapHeader;
  }

  private pcapHeader(buf: Uint8Array, o: number): void {
    const le = this.le;
    const major = le ? u16le(buf, o + 4) : u16be(buf, o + 4);
    const minor = le ? u16le(buf, o + 6) : u16be(buf, o + 6);
    if (major !== 2) throw this.err(4, `unsupported pcap version ${major}.${minor} (expected 2.x)`);
    // Like libpcap: before 2.3 the two length fields were in the other order; 2.3 files may be either.
    this.lengthsSwapped = minor < 3 ? 1 : minor === 3 ? 2 : 0;
    this.snaplen = le ? u32le(buf, o + 16) : u32be(buf, o + 16);
    const rawLink = le ? u32le(buf, o + 20) : u32be(buf, o + 20);
    // Upper bits hold FCS-length information; the link type is the low 16 bits.
    const linkType = rawLink & 0xffff;
    this.linkType0 = linkType;
    this.maxRecord = Math.min(Math.max(this.snaplen, MAX_STANDARD_RECORD), MAX_BLOCK);
    this.stats.sections = 1;
    this.addInterface(linkType, this.snaplen, this.nano ? '1e-9 s' : '1e-6 s', undefined,
      { mode: 0, mul: 1, div: 1, q0: 0, r0: 0, offsetUs: 0 });
  }

  private addInterface(linkType: number, snaplen: number, tsResolution: string, name: string | undefined, conv: TsConv): number {
    const index = this.stats.interfaces.length;
    const decoded = isDecodedLinkType(linkType);
    const info: CaptureInterface = {
      index, section: Math.max(0, this.sectionCount - 1), linkType, linkTypeName: linkTypeName(linkType),
      decoded, snaplen, tsResolution, packets: 0,
    };
    if (name !== undefined) info.name = name;
    this.stats.interfaces.push(info);
    this.linkTypes = this.linkTypes.concat(linkType);
    this.linkTypesDirty = true;
    this.tsConv.push(conv);
    this.ifSnap.push(snaplen);
    if (!decoded) {
      this.warn(`link type ${linkType} (${linkTypeName(linkType)}) is not decoded: its packets are counted, but carry no IP fields`);
    }
    return index;
  }

  /** The classic pcap record loop: the hot path. */
  private pcapRecords(buf: Uint8Array, off: number, end: number): number {
    const le = this.le;
    const nano = this.nano;
    const maxRecord = this.maxRecord;
    const lt = this.linkType0;
    const size = this.batchSize;
    let b = this.batch;
    let n = this.n;
    let o = off;
    let fracBad = false;
    let overSnap = false;
    const snap = this.snaplen === 0 ? maxRecord : this.snaplen;
    const hdr = this.recordHeader;
    while (o + hdr <= end) {
      let sec: number, frac: number, incl: number, orig: number;
      if (le) {
        sec = (buf[o] | (buf[o + 1] << 8) | (buf[o + 2] << 16) | (buf[o + 3] << 24)) >>> 0;
        frac = (buf[o + 4] | (buf[o + 5] << 8) | (buf[o + 6] << 16) | (buf[o + 7] << 24)) >>> 0;
        incl = (buf[o + 8] | (buf[o + 9] << 8) | (buf[o + 10] << 16) | (buf[o + 11] << 24)) >>> 0;
        orig = (buf[o + 12] | (buf[o + 13] << 8) | (buf[o + 14] << 16) | (buf[o + 15] << 24)) >>> 0;
      } else {
        sec = ((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0;
        frac = ((buf[o + 4] << 24) | (buf[o + 5] << 16) | (buf[o + 6] << 8) | buf[o + 7]) >>> 0;
        incl = ((buf[o + 8] << 24) | (buf[o + 9] << 16) | (buf[o + 10] << 8) | buf[o + 11]) >>> 0;
        orig = ((buf[o + 12] << 24) | (buf[o + 13] << 16) | (buf[o + 14] << 8) | buf[o + 15]) >>> 0;
      }
      if (this.lengthsSwapped !== 0 && (this.lengthsSwapped === 1 || incl > orig)) {
        const t = incl; incl = orig; orig = t;
      }
      if (incl > maxRecord) {
        this.n = n;
        throw this.err(this.consumed + (o - off),
          `packet record claims ${incl} captured bytes, more than the maximum ${maxRecord}` +
          ` (snaplen ${this.snaplen}): corrupt record header`);
      }
      const data = o + hdr;
      const next = data + incl;
      if (next > end) break;
      if (incl > snap) overSnap = true;
      if (nano) {
        if (frac >= 1000000000) fracBad = true;
        b.tsUs[n] = sec * 1e6 + frac / 1000;
      } else {
        if (frac >= 1000000) fracBad = true;
        b.tsUs[n] = sec * 1e6 + frac;
      }
      b.capLen[n] = incl;
      b.wireLen[n] = orig;
      decodeFrame(b, n, buf, data, incl, orig, lt);
      if (++n === size) {
        this.n = n;
        this.flush();
        b = this.batch;
        n = 0;
      }
      o = next;
    }
    this.n = n;
    if (fracBad) this.warn(`timestamp fraction out of range (≥ 1 s) in some records; kept as read`);
    if (overSnap) this.warn(`some records are longer than the file's snaplen (${this.snaplen}); read in full`);
    return o;
  }

  // ---------------------------------------------------------------- pcapng

  private pcapngBlocks(buf: Uint8Array, off: number, end: number): number {
    let o = off;
    const size = this.batchSize;
    while (o + 12 <= end) {
      const abs = this.consumed;
      const isShb = u32le(buf, o) === PCAPNG_SHB;
      if (isShb) {
        const bom = u32le(buf, o + 8);
        if (bom === PCAPNG_BOM) this.le = true;
        else if (u32be(buf, o + 8) === PCAPNG_BOM) this.le = false;
        else throw this.err(abs + 8, 'pcapng section header has an invalid byte-order magic');
      } else if (this.sectionCount === 0) {
        throw this.err(abs, 'pcapng data does not start with a section header block');
      }
      const le = this.le;
      const type = le ? u32le(buf, o) : u32be(buf, o);
      const len = le ? u32le(buf, o + 4) : u32be(buf, o + 4);
      if (len < 12 || (len & 3) !== 0 || len > MAX_BLOCK) {
        throw this.err(abs + 4, `pcapng block (type 0x${type.toString(16)}) has an impossible total length ${len}` +
          (len > MAX_BLOCK ? ` (limit ${MAX_BLOCK})` : ' (must be ≥ 12 and a multiple of 4)'));
      }
      if (o + len > end) break;
      const trail = le ? u32le(buf, o + len - 4) : u32be(buf, o + len - 4);
      if (trail !== len) {
        throw this.err(abs + len - 4, `pcapng block (type 0x${type.toString(16)}) is corrupt: total length ${len} at its start but ${trail} at its end`);
      }
      switch (type) {
        case 6: { // enhanced packet block
          if (len < 32) throw this.err(abs, `enhanced packet block too short (${len} bytes)`);
          const ifId = le ? u32le(buf, o + 8) : u32be(buf, o + 8);
          const hi = le ? u32le(buf, o + 12) : u32be(buf, o + 12);
          const lo = le ? u32le(buf, o + 16) : u32be(buf, o + 16);
          const cap = le ? u32le(buf, o + 20) : u32be(buf, o + 20);
          const orig = le ? u32le(buf, o + 24) : u32be(buf, o + 24);
          if (cap > len - 32) throw this.err(abs + 20, `enhanced packet block: captured length ${cap} exceeds the block (${len - 32} bytes of data room)`);
          this.packet(abs, ifId, hi, lo, buf, o + 28, cap, orig, true);
          break;
        }
        case 3: { // simple packet block: no timestamp, interface 0, length capped by the snaplen
          if (len < 16) throw this.err(abs, `simple packet block too short (${len} bytes)`);
          const orig = le ? u32le(buf, o + 8) : u32be(buf, o + 8);
          if (this.section.length === 0) throw this.err(abs, 'simple packet block before any interface description block');
          const snap = this.ifSnap[this.section[0]];
          let cap = Math.min(orig, len - 16);
          if (snap > 0 && cap > snap) cap = snap;
          this.packet(abs, 0, 0, 0, buf, o + 12, cap, orig, false);
          break;
        }
        case 2: { // obsolete packet block
          if (len < 32) throw this.err(abs, `packet block too short (${len} bytes)`);
          const ifId = le ? u16le(buf, o + 8) : u16be(buf, o + 8);
          const hi = le ? u32le(buf, o + 12) : u32be(buf, o + 12);
          const lo = le ? u32le(buf, o + 16) : u32be(buf, o + 16);
          const cap = le ? u32le(buf, o + 20) : u32be(buf, o + 20);
          const orig = le ? u32le(buf, o + 24) : u32be(buf, o + 24);
          if (cap > len - 32) throw this.err(abs + 20, `packet block: captured length ${cap} exceeds the block`);
          this.packet(abs, ifId, hi, lo, buf, o + 28, cap, orig, true);
          break;
        }
        case 1:
          this.interfaceBlock(abs, buf, o, len);
          break;
        case PCAPNG_SHB:
          this.sectionHeader(abs, buf, o, len);
          break;
        default:
          break; // NRB, ISB, DSB, custom and unknown blocks carry nothing the flow meter needs
      }
      if (this.n === size) this.flush();
      o += len;
      this.consumed += len;
    }
    return o;
  }

  private packet(abs: number, ifId: number, hi: number, lo: number, buf: Uint8Array, data: number, cap: number, orig: number, hasTs: boolean): void {
    if (ifId >= this.section.length) {
      throw this.err(abs + 8, `packet refers to interface ${ifId}, but the section defines ${this.section.length} interface(s)`);
    }
    const g = this.section[ifId];
    const b = this.batch;
    const n = this.n;
    let ts: number;
    if (hasTs) {
      const c = this.tsConv[g];
      if (c.mode === 0) ts = (hi * 4294967296 + lo) * c.mul;
      else if (c.mode === 1) ts = hi * c.q0 + (hi * c.r0 + lo) / c.div;
      else ts = (hi * 4294967296 + lo) / c.div;
      ts += c.offsetUs;
      this.lastTsUs = ts;
    } else {
      ts = this.lastTsUs; // simple packet blocks carry no time: reuse the previous packet's
    }
    b.tsUs[n] = ts;
    b.capLen[n] = cap;
    b.wireLen[n] = orig;
    b.iface[n] = g;
    decodeFrame(b, n, buf, data, cap, orig, this.linkTypes[g]);
    this.n = n + 1;
  }

  private sectionHeader(abs: number, buf: Uint8Array, o: number, len: number): void {
    if (len < 28) throw this.err(abs, `section header block too short (${len} bytes)`);
    const le = this.le;
    const major = le ? u16le(buf, o + 12) : u16be(buf, o + 12);
    const minor = le ? u16le(buf, o + 14) : u16be(buf, o + 14);
    if (major !== 1) throw this.err(abs + 12, `unsupported pcapng version ${major}.${minor} (expected 1.x)`);
    this.sectionCount++;
    this.section = [];
    this.byteOrders |= le ? 1 : 2;
    this.stats.sections = this.sectionCount;
    this.stats.byteOrder = this.byteOrders === 3 ? 'mixed' : le ? 'little-endian' : 'big-endian';
  }

  private interfaceBlock(abs: number, buf: Uint8Array, o: number, len: number): void {
    if (len < 20) throw this.err(abs, `interface description block too short (${len} bytes)`);
    const le = this.le;
    const linkType = le ? u16le(buf, o + 8) : u16be(buf, o + 8);
    const snaplen = le ? u32le(buf, o + 12) : u32be(buf, o + 12);
    let tsresol = 6;
    let offsetSec = 0;
    let name: string | undefined;
    // Options: code(2) length(2) value padded to 4; stop at opt_endofopt or the block end.
    let p = o + 16;
    const optEnd = o + len - 4;
    while (p + 4 <= optEnd) {
      const code = le ? u16le(buf, p) : u16be(buf, p);
      const olen = le ? u16le(buf, p + 2) : u16be(buf, p + 2);
      if (code === 0) break;
      const v = p + 4;
      if (v + olen > optEnd) {
        this.warn(`interface description block at byte ${abs}: option ${code} overruns the block; remaining options ignored`);
        break;
      }
      if (code === 9 && olen >= 1) tsresol = buf[v];
      else if (code === 14 && olen >= 8) {
        const hiS = le ? u32le(buf, v + 4) | 0 : u32be(buf, v) | 0;
        const loS = le ? u32le(buf, v) : u32be(buf, v + 4);
        offsetSec = hiS * 4294967296 + loS;
      } else if ((code === 2 || code === 3) && name === undefined && olen > 0) {
        name = Buffer.from(buf.buffer, buf.byteOffset + v, olen).toString('utf8').replace(/\0+$/, '');
      }
      p = v + ((olen + 3) & ~3);
    }
    const conv = tsConversion(tsresol, offsetSec);
    const res = tsresol & 0x80 ? `2^-${tsresol & 0x7f} s` : `1e-${tsresol} s`;
    const g = this.addInterface(linkType, snaplen, res, name, conv);
    this.section.push(g);
  }

  /** Per-batch bookkeeping (one pass over typed arrays; cheaper than counting inside the record loop). */
  private account(b: PacketBatch): void {
    const st = this.stats;
    const n = b.count;
    let bytes = 0, wire = 0, v4 = 0, v6 = 0, trunc = 0;
    let lo = st.firstTsUs ?? Infinity;
    let hi = st.lastTsUs ?? -Infinity;
    const ts = b.tsUs, cap = b.capLen, wl = b.wireLen, ipv = b.ipVersion, fl = b.flags, ifc = b.iface;
    const ifaces = st.interfaces;
    let sameIface = true;
    const if0 = n > 0 ? ifc[0] : 0;
    for (let i = 0; i < n; i++) {
      bytes += cap[i];
      wire += wl[i];
      const v = ipv[i];
      if (v === 4) v4++; else if (v === 6) v6++;
      if (fl[i] & PKT_TRUNCATED) trunc++;
      const t = ts[i];
      if (t < lo) lo = t;
      if (t > hi) hi = t;
      if (ifc[i] !== if0) sameIface = false;
    }
    if (sameIface) { if (n > 0 && ifaces[if0]) ifaces[if0].packets += n; }
    else for (let i = 0; i < n; i++) { const f = ifaces[ifc[i]]; if (f) f.packets++; }
    st.packets += n;
    st.bytes += bytes;
    st.wireBytes += wire;
    st.ipv4Packets += v4;
    st.ipv6Packets += v6;
    st.truncatedPackets += trunc;
    if (n > 0) { st.firstTsUs = lo; st.lastTsUs = hi; }
  }
}

/** if_tsresol (+ if_tsoffset seconds) → conversion of 64-bit ticks to µs, exact for 10^-k with k ≤ 9. */
function tsConversion(tsresol: number, offsetSec: number): TsConv {
  const c: TsConv = { mode: 0, mul: 1, div: 1, q0: 0, r0: 0, offsetUs: offsetSec * 1e6 };
  if (tsresol & 0x80) {
    const k = Math.min(tsresol & 0x7f, 126);
    c.mode = 2;
    c.div = 2 ** k / 1e6;
    return c;
  }
  const k = Math.min(tsresol, 300);
  if (k <= 6) { c.mul = 10 ** (6 - k); return c; }
  if (k <= 15) {
    const d = 10 ** (k - 6);
    c.mode = 1;
    c.div = d;
    c.q0 = Math.floor(4294967296 / d);
    c.r0 = 4294967296 - c.q0 * d;
    return c;
  }
  c.mode = 2;
  c.div = 10 ** (k - 6);
  return c;
}

// ---------------------------------------------------------------- JIT priming

let primed = false;

/**
 * Once per process: parse a tiny synthetic classic pcap (Ethernet, IPv4 TCP/UDP/ICMP, VLAN, ARP) with
 * batches of 2 in a throwaway parser. It only fills the type feedback of the record loop, the batch
 * hand-over and the decoders, so their first optimisation already covers the batch-full path (before:
 * the record loop was optimised before its first flush and thrown away two or three times).
 */
function primeParser(): void {
  const frames: number[][] = [];
  const ip = (proto: number, l4: number[]): number[] => {
    const total = 20 + l4.length;
    return [0x45, 0, total >> 8, total & 255, 0, 1, 0x40, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, ...l4];
  };
  const eth = (type: number, payload: number[]): number[] => [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, type >> 8, type & 255, ...payload];
  const tcp = (flags: number): number[] => [4, 0, 0, 80, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, flags, 1, 0, 0, 0, 0, 0, 1, 2, 3, 4];
  const udp = [0x13, 0x88, 0, 53, 0, 12, 0, 0, 1, 2, 3, 4];
  frames.push(eth(0x0800, ip(6, tcp(0x02))), eth(0x0800, ip(6, tcp(0x18))), eth(0x0800, ip(17, udp)));
  frames.push(eth(0x0800, ip(1, [8, 0, 0, 0, 0, 1, 0, 1])), eth(0x8100, [0, 5, 0x08, 0x00, ...ip(6, tcp(0x11))]));
  frames.push(eth(0x0806, new Array<number>(28).fill(0)), eth(0x0800, ip(17, udp)));
  let size = 24;
  for (const f of frames) size += 16 + f.length;
  const buf = Buffer.alloc(size);
  buf.writeUInt32LE(PCAP_MAGIC_US, 0); buf.writeUInt16LE(2, 4); buf.writeUInt16LE(4, 6);
  buf.writeUInt32LE(65535, 16); buf.writeUInt32LE(1, 20);
  let o = 24;
  frames.forEach((f, k) => {
    buf.writeUInt32LE(1700000000 + k, o); buf.writeUInt32LE(k, o + 4);
    buf.writeUInt32LE(f.length, o + 8); buf.writeUInt32LE(f.length, o + 12);
    buf.set(f, o + 16);
    o += 16 + f.length;
  });
  const p = new CaptureParser({ source: '<prime>', batchSize: 2, onBatch: (b) => p.recycle(b) });
  p.push(buf.subarray(0, 100)); // a record straddling two chunks
  p.push(buf.subarray(100));
  p.end();
}
