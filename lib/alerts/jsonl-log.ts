/**
 * Append-only JSON-lines log with rotation and retention, written so a record is never lost or
 * half-written: every batch of lines goes to the kernel in one synchronous `write` on an O_APPEND
 * descriptor (a SIGKILL can only land between whole writes, and a line never straddles two files),
 * rotation is a single atomic rename, and on open a torn last line (power loss, disk full, another
 * writer) is cut off and kept aside in `<file>.torn` instead of corrupting the next record.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface JsonlLogOptions {
  /** The active file, e.g. `alerts.jsonl`. Rotated files are `alerts.jsonl.<seq>-<UTC time>`. */
  path: string;
  /** Rotate before a write would make the file larger than this (bytes). 0 = never. */
  maxBytes?: number;
  /** Rotate when the active file is older than this (ms). 0 = never. */
  rotateEveryMs?: number;
  /** Rotated files to keep (oldest deleted first). 0 = keep all. */
  keep?: number;
  /** fsync after every write (survives power loss, costs a disk flush per batch). Default false. */
  fsync?: boolean;
  now?: () => number;
}

export interface RepairReport { bytes: number; savedTo: string }

const ROTATED = /^(\d{6,})-(\d{8}T\d{6}Z)$/;

export class JsonlLog {
  readonly file: string;
  private fd: number;
  private size: number;
  private openedMs: number;
  private seq: number;
  private readonly maxBytes: number;
  private readonly rotateEveryMs: number;
  private readonly keep: number;
  private readonly now: () => number;
  /** Lines written by this instance (all files). */
  linesWritten = 0;
  rotations = 0;
  /** Set when open() found and cut a torn last line. */
  readonly repaired: RepairReport | undefined;

  constructor(private readonly opts: JsonlLogOptions) {
    if (!opts.path) throw new Error('alert log: no file path given');
    this.file = path.resolve(opts.path);
    this.maxBytes = Math.max(0, opts.maxBytes ?? 0);
    this.rotateEveryMs = Math.max(0, opts.rotateEveryMs ?? 0);
    this.keep = Math.max(0, opts.keep ?? 0);
    this.now = opts.now ?? Date.now;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    this.repaired = repairTornTail(this.file);
    this.fd = fs.openSync(this.file, 'a', 0o640);
    const st = fs.fstatSync(this.fd);
    this.size = st.size;
    // A resumed file keeps its age for time rotation (birthtime where the filesystem has one).
    this.openedMs = st.size > 0 ? (st.birthtimeMs > 0 ? st.birthtimeMs : st.mtimeMs) : this.now();
    this.seq = this.rotatedFiles().reduce((m, f) => Math.max(m, Number(ROTATED.exec(path.basename(f).slice(path.basename(this.file).length + 1))?.[1] ?? 0)), 0);
  }

  get bytes(): number { return this.size; }

  /** Append records as one line each. Throws on I/O errors (disk full…) after writing whole lines only. */
  write(records: readonly unknown[]): void {
    if (records.length === 0) return;
    if (this.fd < 0) throw new Error(`alert log ${this.file} is closed`);
    this.maybeRotateByTime();
    let chunk: string[] = [];
    let chunkBytes = 0;
    for (const rec of records) {
      const line = JSON.stringify(rec) + '\n';
      const n = Buffer.byteLength(line);
      if (this.maxBytes > 0 && this.size + chunkBytes + n > this.maxBytes && this.size + chunkBytes > 0) {
        this.flushChunk(chunk);
        chunk = [];
        chunkBytes = 0;
        this.rotate();
      }
      chunk.push(line);
      chunkBytes += n;
    }
    this.flushChunk(chunk);
  }

  /** Rotate now if the time limit has passed (call from a timer so an idle log still rotates). */
  maybeRotateByTime(): boolean {
    if (this.rotateEveryMs > 0 && this.size > 0 && this.now() - this.openedMs >= this.rotateEveryMs) {
      this.rotate();
      return true;
    }
    return false;
  }

  private flushChunk(lines: string[]): void {
    if (lines.length === 0) return;
    const buf = Buffer.from(lines.join(''));
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.fd, buf, off, buf.length - off);
    if (this.opts.fsync) fs.fsyncSync(this.fd);
    this.size += buf.length;
    this.linesWritten += lines.length;
  }

  /** Close the active file under its rotated name and start a new one. */
  rotate(): string | undefined {
    if (this.size === 0) return undefined;
    // Lines are already whole in the kernel's page cache (SIGKILL-safe); fsync only when asked to
    // survive power loss too, since a flush per rotation is costly on busy disks.
    if (this.opts.fsync) fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = -1;
    this.seq++;
    const stamp = new Date(this.now()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const target = `${this.file}.${String(this.seq).padStart(6, '0')}-${stamp}`;
    fs.renameSync(this.file, target);
    this.fd = fs.openSync(this.file, 'a', 0o640);
    this.size = 0;
    this.openedMs = this.now();
    this.rotations++;
    this.applyRetention();
    return target;
  }

  /** Rotated files, oldest first. */
  rotatedFiles(): string[] {
    const dir = path.dirname(this.file);
    const base = path.basename(this.file) + '.';
    return fs.readdirSync(dir)
      .filter((f) => f.startsWith(base) && ROTATED.test(f.slice(base.length)))
      .sort((a, b) => Number(ROTATED.exec(a.slice(base.length))![1]) - Number(ROTATED.exec(b.slice(base.length))![1]))
      .map((f) => path.join(dir, f));
  }

  /** Rotated files oldest first, then the active file. */
  allFiles(): string[] {
    return [...this.rotatedFiles(), this.file];
  }

  private applyRetention(): void {
    if (this.keep === 0) return;
    const files = this.rotatedFiles();
    for (const f of files.slice(0, Math.max(0, files.length - this.keep))) fs.rmSync(f, { force: true });
  }

  close(): void {
    if (this.fd < 0) return;
    try { fs.fsyncSync(this.fd); } finally { fs.closeSync(this.fd); this.fd = -1; }
  }
}

/**
 * If the file does not end in a newline, its last line is incomplete: move that fragment to
 * `<file>.torn` (appended, so nothing is destroyed) and truncate the log to its last whole line.
 * A fragment that is itself complete JSON only lacks its newline and is kept in place.
 */
export function repairTornTail(file: string): RepairReport | undefined {
  let fd: number;
  try { fd = fs.openSync(file, 'r+'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return undefined;
    const last = Buffer.alloc(1);
    fs.readSync(fd, last, 0, 1, size - 1);
    if (last[0] === 0x0a) return undefined;
    // Scan back for the previous newline in 64 KiB steps.
    const step = 65536;
    let cut = -1;
    for (let end = size; end > 0 && cut < 0; end -= step) {
      const start = Math.max(0, end - step);
      const buf = Buffer.alloc(end - start);
      fs.readSync(fd, buf, 0, buf.length, start);
      const i = buf.lastIndexOf(0x0a);
      if (i >= 0) cut = start + i + 1;
    }
    if (cut < 0) cut = 0;
    const frag = Buffer.alloc(size - cut);
    fs.readSync(fd, frag, 0, frag.length, cut);
    if (isJson(frag)) {
      fs.writeSync(fd, '\n', size);
      return undefined;
    }
    const savedTo = file + '.torn';
    fs.appendFileSync(savedTo, Buffer.concat([frag, Buffer.from('\n')]));
    fs.ftruncateSync(fd, cut);
    fs.fsyncSync(fd);
    return { bytes: frag.length, savedTo };
  } finally {
    fs.closeSync(fd);
  }
}

function isJson(buf: Buffer): boolean {
  try { const v: unknown = JSON.parse(buf.toString('utf8')); return v !== null && typeof v === 'object'; } catch { return false; }
}
