/**
 * CaptureReader: streams a capture (file path, Node Readable such as stdin or `dumpcap -w -`,
 * or a file still being written) into PacketBatches without loading it into memory.
 *
 *   for await (const batch of new CaptureReader('x.pcapng')) { … }
 *
 * Format is detected by magic: classic pcap (both byte orders, µs/ns), pcapng, either one
 * gzip-compressed. Corrupt input: every good packet is yielded, then a CaptureFormatError
 * (file, byte offset, reason) is thrown; reading never resynchronises (see parser.ts).
 */
import fs from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import zlib from 'node:zlib';
import { CaptureFormatError } from './errors.js';
import type { PacketBatch } from './packet-batch.js';
import { CaptureParser, DEFAULT_BATCH_SIZE } from './parser.js';
import { emptyStats, type CaptureStats } from './stats.js';

export interface CaptureReaderOptions {
  /** Packets per batch (default 4096). */
  batchSize?: number;
  /** Aborting ends the iteration quietly after the packets already parsed (stats.complete stays false). */
  signal?: AbortSignal;
  /**
   * Path input only: keep reading as another process appends (tail -f). Ends on `stop()` (after
   * reading what was written up to then) or on `signal`. An incomplete last record is then a warning.
   */
  follow?: boolean;
  /** Follow mode: how often to look for new data (ms, default 100). */
  pollMs?: number;
  /**
   * Emit a (possibly short) batch at the end of every chunk read. Default false: see maxLatencyMs.
   */
  flushEachChunk?: boolean;
  /**
   * Streams and follow mode: a packet waits at most this long (ms) for its batch to fill; when the
   * source goes quiet, the short batch is emitted by a timer. Default 100 for streams and follow
   * mode; 0 (wait for full batches) for plain files.
   */
  maxLatencyMs?: number;
  /** Name for errors/stats when the source is a stream (default `<stream>`, `<stdin>` for process.stdin). */
  label?: string;
  /** Called once per distinct warning (unsupported link type, odd timestamps…). */
  onWarning?: (message: string) => void;
  /** Read size for files (default 1 MiB: larger chunks amortise the per-chunk cost). */
  chunkSize?: number;
}

const DEFAULT_CHUNK = 1 << 20;
/** Chunks requested ahead of the parser when reading a plain file. */
const READ_AHEAD = 3;
const TIMEOUT = Symbol('timeout');
const ABORTED = Symbol('aborted');

/** `p`, or TIMEOUT after `ms` (never when ms < 0), or ABORTED when the signal fires first. */
function raceWait<T>(p: Promise<T>, ms: number, signal: AbortSignal | undefined): Promise<T | typeof TIMEOUT | typeof ABORTED> {
  if (signal?.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | null = null;
    const onAbort = (): void => { done(); resolve(ABORTED); };
    const done = (): void => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    if (ms >= 0) timer = setTimeout(() => { done(); resolve(TIMEOUT); }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    p.then((v) => { done(); resolve(v); }, (e: unknown) => { done(); reject(e); });
  });
}

export class CaptureReader implements AsyncIterable<PacketBatch> {
  /** Live statistics; final once iteration ends. Replaced by the parser's object when reading starts. */
  stats: CaptureStats;
  private readonly source: string | NodeJS.ReadableStream;
  private readonly opts: CaptureReaderOptions;
  private readonly label: string;
  private started = false;
  /** Destroys the stream being read (set while reading), so an early exit never waits on an idle source. */
  private closeSource: (() => void) | null = null;
  private stopRequested = false;
  private wake: (() => void) | null = null;
  private parser: CaptureParser | null = null;
  /** Plain-file reads may reuse their buffers (false once gzip is detected: zlib holds chunks asynchronously). */
  private reuseReadBuffers = true;

  constructor(source: string | NodeJS.ReadableStream, opts: CaptureReaderOptions = {}) {
    this.source = source;
    this.opts = opts;
    if (typeof source === 'string') this.label = source;
    else this.label = opts.label ?? (source === process.stdin ? '<stdin>' : '<stream>');
    if (opts.follow && typeof source !== 'string') throw new TypeError('CaptureReader: follow needs a file path');
    this.stats = emptyStats(this.label);
  }

  /** Follow mode: finish once the data written so far has been read. Other modes: stop after the current chunk. */
  stop(): void {
    this.stopRequested = true;
    this.wake?.();
  }

  /**
   * Optional: hand back a batch this reader yielded once it is no longer used anywhere (e.g. right after a
   * synchronous `Flowmeter.push`), so a later batch reuses its memory. Never release a batch that was
   * queued, kept or sent on in a message.
   */
  release(batch: PacketBatch): void {
    this.parser?.recycle(batch);
  }

  /** Run the whole capture through `cb`, batch by batch; resolves to the final stats. */
  async forEachBatch(cb: (batch: PacketBatch) => void): Promise<CaptureStats> {
    for await (const b of this) cb(b);
    return this.stats;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<PacketBatch, void, undefined> {
    if (this.started) throw new Error('CaptureReader: a reader can be iterated only once');
    this.started = true;
    const queue: PacketBatch[] = [];
    let head = 0;
    const parser = new CaptureParser({
      source: this.label,
      batchSize: this.opts.batchSize ?? DEFAULT_BATCH_SIZE,
      onBatch: (b) => { queue.push(b); },
      onWarning: this.opts.onWarning,
    });
    this.parser = parser;
    const stats = parser.stats;
    this.stats = stats;
    const live = this.opts.follow === true || typeof this.source !== 'string';
    const flushEach = this.opts.flushEachChunk === true;
    const latency = Math.max(0, this.opts.maxLatencyMs ?? (live ? 100 : 0));
    const signal = this.opts.signal;
    let failure: unknown = null;
    let stoppedEarly = false;
    const chunks = this.decompressed(stats);
    let pending: Promise<IteratorResult<Uint8Array>> | null = null;
    let lastFlush = Date.now();
    try {
      if (typeof this.source === 'string' && !this.opts.follow) {
        try {
          stats.totalBytes = (await fs.promises.stat(this.source)).size;
        } catch (err) {
          throw openError(this.source, err);
        }
      }
      for (;;) {
        pending ??= chunks.next();
        let r: IteratorResult<Uint8Array> | typeof TIMEOUT | typeof ABORTED;
        if (latency > 0 && parser.bufferedPackets > 0) {
          // Wait for the next chunk, but no longer than the latency bound allows.
          r = await raceWait(pending, Math.max(0, lastFlush + latency - Date.now()), signal);
        } else if (signal && live) {
          r = await raceWait(pending, -1, signal); // an idle live source must still see the abort
        } else {
          r = await pending;
        }
        if (r === ABORTED) { stoppedEarly = true; break; }
        if (r === TIMEOUT) {
          parser.flush();
          lastFlush = Date.now();
        } else {
          pending = null;
          if (r.done) break;
          parser.push(r.value);
          if (flushEach || (latency > 0 && Date.now() - lastFlush >= latency)) {
            parser.flush();
            lastFlush = Date.now();
          }
        }
        while (head < queue.length) yield queue[head++];
        queue.length = 0;
        head = 0;
        if (signal?.aborted || (this.stopRequested && !this.opts.follow)) { stoppedEarly = true; break; }
      }
      parser.end(stoppedEarly || this.opts.follow === true);
      if (stoppedEarly) stats.complete = false;
    } catch (err) {
      failure = err;
      if (!parser.finished) {
        // Source or decompression failed: hand over what was parsed, then report.
        try { parser.flush(); } catch { /* the source error is the one to report */ }
        failure = this.describeSourceError(err, parser);
        if (failure) stats.errors.push(failure instanceof Error ? failure.message : String(failure));
      }
    } finally {
      // A read may still be in flight (idle live source): close the source instead of waiting for it.
      if (pending) {
        pending.catch(() => { /* reported already or irrelevant after stop */ });
        this.closeSource?.();
      }
      void chunks.return(undefined).catch(() => { /* closing */ });
    }
    while (head < queue.length) yield queue[head++];
    if (failure) throw failure;
  }

  private describeSourceError(err: unknown, parser: CaptureParser): unknown {
    if (err instanceof CaptureFormatError) return err;
    const e = err as NodeJS.ErrnoException;
    if (typeof e?.code === 'string' && e.code.startsWith('Z_')) {
      const pending = parser.pendingBytes;
      return new CaptureFormatError(this.label, -1,
        `gzip data is corrupt or truncated (${e.message}) after ${parser.stats.bytes} packet bytes` +
        (pending ? `; ${pending} bytes of an incomplete record dropped` : ''));
    }
    if (e?.name === 'AbortError') return null;
    return err;
  }

  /** Raw chunks, gunzipped when the data starts with the gzip magic. */
  private async *decompressed(stats: CaptureStats): AsyncGenerator<Uint8Array> {
    const raw = this.rawChunks(stats);
    // Peek enough bytes to see the gzip magic.
    const head: Uint8Array[] = [];
    let headLen = 0;
    let done = false;
    while (headLen < 2) {
      const r = await raw.next();
      if (r.done) { done = true; break; }
      // A chunk held across the next raw.next() must be a copy: its read buffer is reused by then.
      head.push(headLen + r.value.length < 2 ? Buffer.from(r.value) : r.value);
      headLen += r.value.length;
    }
    const first = head.length === 1 ? head[0] : Buffer.concat(head);
    if (!(headLen >= 2 && first[0] === 0x1f && first[1] === 0x8b)) {
      if (headLen > 0) yield first;
      if (!done) yield* raw;
      return;
    }
    stats.compression = 'gzip';
    this.reuseReadBuffers = false;
    const gunzip = zlib.createGunzip({ chunkSize: 256 * 1024 });
    async function* all(): AsyncGenerator<Uint8Array> {
      yield first;
      if (!done) yield* raw;
    }
    pipeline(Readable.from(all(), { objectMode: false }), gunzip, () => { /* errors surface through the iterator */ });
    for await (const chunk of gunzip) yield chunk as Buffer;
  }

  private async *rawChunks(stats: CaptureStats): AsyncGenerator<Uint8Array> {
    const src = this.source;
    if (typeof src !== 'string') {
      const rsrc = src as NodeJS.ReadableStream & { destroy?: () => void };
      this.closeSource = () => { if (rsrc !== process.stdin) rsrc.destroy?.(); else process.stdin.pause(); };
      for await (const c of src as AsyncIterable<Buffer | string>) {
        const b = typeof c === 'string' ? Buffer.from(c, 'latin1') : c;
        stats.bytesRead += b.length;
        yield b;
      }
      return;
    }
    if (this.opts.follow) {
      yield* this.followFile(src, stats);
      return;
    }
    yield* this.readFile(src, stats);
  }

  /**
   * Plain file: positional reads with READ_AHEAD chunks in flight, so the thread pool keeps reading
   * while the parser works (one read-ahead, as fs.createReadStream does, leaves the parser idle
   * whenever the read thread is scheduled late on a busy machine).
   */
  private async *readFile(file: string, stats: CaptureStats): AsyncGenerator<Uint8Array> {
    const size = this.opts.chunkSize ?? DEFAULT_CHUNK;
    let fh: fs.promises.FileHandle;
    try {
      fh = await fs.promises.open(file, 'r');
    } catch (err) {
      throw openError(file, err);
    }
    type Read = { at: number; p: Promise<{ bytesRead: number; buffer: Buffer }> };
    let inFlight: Read[] = [];
    let pos = 0;
    // The parser is done with a chunk when the next one is asked for (it copies what it keeps), so the
    // buffer yielded last can take the next read: no fresh, page-faulting 1 MiB buffer per chunk.
    const free: Buffer[] = [];
    let lent: Buffer | null = null;
    const issue = (): void => {
      const buf = free.pop() ?? Buffer.allocUnsafe(size);
      const p = fh.read(buf, 0, size, pos);
      p.catch(() => { /* awaited below, or dropped on early exit */ });
      inFlight.push({ at: pos, p });
      pos += size;
    };
    try {
      for (let k = 0; k < READ_AHEAD; k++) issue();
      for (;;) {
        const head = inFlight.shift()!;
        let r: { bytesRead: number; buffer: Buffer };
        try {
          r = await head.p;
        } catch (err) {
          throw openError(file, err);
        }
        if (r.bytesRead === 0) break;
        if (r.bytesRead < size) {
          // Short read: end of file, or a file system that returns less. Either way the reads
          // issued further on assumed a full chunk: drop them and go on from the real position.
          await Promise.allSettled(inFlight.map((x) => x.p));
          inFlight = [];
          pos = head.at + r.bytesRead;
        }
        issue();
        stats.bytesRead += r.bytesRead;
        lent = r.buffer;
        yield r.buffer.subarray(0, r.bytesRead);
        if (this.reuseReadBuffers) free.push(lent);
        lent = null;
      }
    } finally {
      await Promise.allSettled(inFlight.map((x) => x.p));
      await fh.close();
    }
  }

  /** Tail a growing file: read to its current end, wait, repeat, until stop() or the signal. */
  private async *followFile(file: string, stats: CaptureStats): AsyncGenerator<Uint8Array> {
    const signal = this.opts.signal;
    const pollMs = this.opts.pollMs ?? 100;
    const chunkSize = this.opts.chunkSize ?? DEFAULT_CHUNK;
    let fh: fs.promises.FileHandle | null = null;
    try {
      while (!fh) { // the capture process may not have created it yet
        try {
          fh = await fs.promises.open(file, 'r');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || this.stopRequested || signal?.aborted) throw openError(file, err);
          await this.pause(pollMs);
        }
      }
      let pos = 0;
      let stopAt = -1;
      for (;;) {
        if (signal?.aborted) return;
        if (this.stopRequested && stopAt < 0) stopAt = (await fh.stat()).size;
        if (stopAt >= 0 && pos >= stopAt) return;
        const buf = Buffer.allocUnsafe(chunkSize);
        const { bytesRead } = await fh.read(buf, 0, chunkSize, pos);
        if (bytesRead > 0) {
          pos += bytesRead;
          stats.bytesRead = pos;
          stats.totalBytes = pos;
          yield buf.subarray(0, bytesRead);
          continue;
        }
        if (stopAt >= 0) return;
        await this.pause(pollMs);
      }
    } finally {
      await fh?.close();
    }
  }

  private async pause(ms: number): Promise<void> {
    const signal = this.opts.signal;
    if (signal?.aborted || this.stopRequested) return;
    const ac = new AbortController();
    const onAbort = (): void => ac.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    this.wake = onAbort;
    try {
      await sleep(ms, undefined, { signal: ac.signal });
    } catch { /* woken early */ } finally {
      this.wake = null;
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

function openError(file: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return new Error(`cannot open capture '${file}': no such file`);
  if (e?.code === 'EISDIR') return new Error(`cannot open capture '${file}': it is a directory`);
  if (e?.code === 'EACCES') return new Error(`cannot open capture '${file}': permission denied`);
  return err instanceof Error ? err : new Error(String(err));
}

export interface SyncReadOptions {
  batchSize?: number;
  onBatch: (batch: PacketBatch) => void;
  onWarning?: (message: string) => void;
  source?: string;
  /** Largest decompressed size accepted for gzip input (default 4 GiB). */
  maxGunzipBytes?: number;
}

/**
 * Parse a whole in-memory capture synchronously (gzip included). For tests, fuzzing and small
 * files; throws CaptureFormatError after delivering every good batch.
 */
export function parseCaptureBuffer(data: Uint8Array, opts: SyncReadOptions): CaptureStats {
  const source = opts.source ?? '<buffer>';
  let bytes = data;
  let gz = false;
  if (data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b) {
    gz = true;
    try {
      bytes = zlib.gunzipSync(data, { maxOutputLength: opts.maxGunzipBytes ?? 2 ** 32 - 1 });
    } catch (err) {
      const p = new CaptureParser({ source, onBatch: opts.onBatch });
      p.stats.compression = 'gzip';
      const e = new CaptureFormatError(source, -1, `gzip data is corrupt or truncated (${(err as Error).message})`);
      p.stats.errors.push(e.message);
      throw Object.assign(e, { stats: p.stats });
    }
  }
  const parser = new CaptureParser({ source, batchSize: opts.batchSize, onBatch: opts.onBatch, onWarning: opts.onWarning });
  if (gz) parser.stats.compression = 'gzip';
  parser.stats.totalBytes = data.length;
  parser.stats.bytesRead = data.length;
  try {
    parser.push(bytes);
    parser.end();
  } catch (err) {
    throw Object.assign(err as Error, { stats: parser.stats });
  }
  return parser.stats;
}

/**
 * Read a (non-gzip) capture file synchronously in chunks: the fastest path, no event-loop turns.
 * Gzip files are detected and handed to the streaming gunzip only through CaptureReader.
 */
export function readCaptureFileSync(file: string, opts: SyncReadOptions & { chunkSize?: number }): CaptureStats {
  const parser = new CaptureParser({ source: opts.source ?? file, batchSize: opts.batchSize, onBatch: opts.onBatch, onWarning: opts.onWarning });
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw openError(file, err);
  }
  const size = opts.chunkSize ?? DEFAULT_CHUNK;
  try {
    parser.stats.totalBytes = fs.fstatSync(fd).size;
    let first = true;
    for (;;) {
      const buf = Buffer.allocUnsafe(size);
      const n = fs.readSync(fd, buf, 0, size, null);
      if (n === 0) break;
      if (first && n >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
        throw new Error(`readCaptureFileSync: '${file}' is gzip-compressed; use CaptureReader`);
      }
      first = false;
      parser.stats.bytesRead += n;
      parser.push(buf.subarray(0, n));
    }
    parser.end();
  } catch (err) {
    throw Object.assign(err as Error, { stats: parser.stats });
  } finally {
    fs.closeSync(fd);
  }
  return parser.stats;
}
