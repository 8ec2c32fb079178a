/**
 * Live capture through Wireshark's dumpcap, run as a child process (argument array, never a shell).
 * dumpcap holds the capture privileges (setcap / wireshark group), so Node-RED itself stays
 * unprivileged.
 *
 * Two modes:
 *  - stream: `dumpcap -w -` writes pcapng to stdout; the caller parses it with the streaming reader
 *    (see DumpcapStreamCapture below) and gets PacketBatches;
 *  - files: dumpcap writes capture files (optionally a ring buffer) and, with `-b printname:stdout`,
 *    prints each file's name when it is **closed** (verified with dumpcap 4.0) — so a 'file' event
 *    always names a complete file.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { CaptureSetupError, dumpcapMissingHint, permissionHint } from './capture-errors.js';
import { CaptureParser } from './parser.js';
import { emptyStats, type CaptureStats } from './stats.js';

export interface DumpcapInterface {
  /** Name to pass to -i (e.g. "eth0", "lo"). */
  name: string;
  /** dumpcap's 1-based index. */
  index: number;
  /** Human description ("Loopback"), may be empty. */
  description: string;
  /** Addresses dumpcap reported, may be empty. */
  addresses: string[];
  /** "network", "loopback", "wireless", "usb", "bluetooth", "dbus", … as dumpcap classifies it. */
  kind: string;
}

/** Limits written as dumpcap -a / -b conditions. Numbers are whole units: seconds, kB, files, packets. */
export interface DumpcapConditions {
  duration?: number;
  filesize?: number;
  files?: number;
  packets?: number;
}

export interface DumpcapOptions {
  /** dumpcap executable; default: found on PATH or in the usual install folders. */
  dumpcap?: string;
  /** Interface name (checked against `dumpcap -D` by startDumpcap). */
  iface: string;
  /** BPF capture filter, passed as one argument to -f. */
  filter?: string;
  /** Bytes kept per packet; 0/undefined = dumpcap's default (whole packet). */
  snaplen?: number;
  /** Default true; false adds -p. */
  promiscuous?: boolean;
  /** Kernel buffer size in MiB (-B). */
  bufferMiB?: number;
  /** Stop conditions (-a …). */
  autostop?: DumpcapConditions;
  /** Ring buffer / file switching (-b …); files mode only. */
  ring?: DumpcapConditions;
  mode: 'stream' | 'files';
  /** Files mode: folder for the capture files (created if missing). */
  outputDir?: string;
  /** Files mode: file name prefix (default "deepmad"). */
  filePrefix?: string;
  /** Files mode: "pcapng" (default) or "pcap". Stream mode always uses pcapng. */
  format?: 'pcapng' | 'pcap';
}

const COMMON_DUMPCAP_PATHS = [
  '/usr/bin/dumpcap',
  '/usr/sbin/dumpcap',
  '/usr/local/bin/dumpcap',
  '/opt/homebrew/bin/dumpcap',
  '/Applications/Wireshark.app/Contents/MacOS/dumpcap',
];

/** Path of the dumpcap to run, or a DUMPCAP_MISSING error saying how to install it. */
export function findDumpcap(explicit?: string): string {
  if (explicit && explicit.trim() !== '') {
    const p = explicit.trim();
    if (!fs.existsSync(p)) throw new CaptureSetupError('DUMPCAP_MISSING', `dumpcap not found at ${p}`, dumpcapMissingHint());
    return p;
  }
  const fromEnv = process.env.DEEPMAD_DUMPCAP;
  if (fromEnv && fs.existsSync(fromEnv)) return fromEnv;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, 'dumpcap');
    if (fs.existsSync(p)) return p;
  }
  for (const p of COMMON_DUMPCAP_PATHS) if (fs.existsSync(p)) return p;
  throw new CaptureSetupError('DUMPCAP_MISSING', 'dumpcap is not installed (not on PATH nor in /usr/bin, /usr/sbin, /usr/local/bin)', dumpcapMissingHint());
}

/** Turns a spawn/execFile failure of dumpcap itself (not of the capture) into a CaptureSetupError. */
function spawnFailure(err: NodeJS.ErrnoException, dumpcap: string): CaptureSetupError {
  if (err.code === 'ENOENT') return new CaptureSetupError('DUMPCAP_MISSING', `dumpcap not found at ${dumpcap}`, dumpcapMissingHint());
  if (err.code === 'EACCES') {
    return new CaptureSetupError('DUMPCAP_NOT_EXECUTABLE', `this user may not run ${dumpcap} (permission denied)`, permissionHint(), err.message);
  }
  return new CaptureSetupError('CAPTURE_FAILED', `could not run ${dumpcap}: ${err.message}`);
}

/** Parses `dumpcap -D -M` output: "N. name\tfriendly\tdescription\tloopback\taddrs\ttype\t". */
export function parseInterfaceList(text: string): DumpcapInterface[] {
  const out: DumpcapInterface[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+)\. (.*)$/.exec(line.trimEnd());
    if (!m) continue;
    const fields = m[2].split('\t');
    const name = fields[0];
    if (!name) continue;
    const description = fields[2] || fields[1] || '';
    const addresses = (fields[4] ?? '').split(',').filter(Boolean);
    const kind = fields[5] || (fields.length === 1 ? 'unknown' : '');
    out.push({ index: Number(m[1]), name, description, addresses, kind: kind || 'unknown' });
  }
  return out;
}

/** The interfaces dumpcap can capture on (`dumpcap -D -M`). */
export function listInterfaces(dumpcap = findDumpcap()): Promise<DumpcapInterface[]> {
  return new Promise((resolve, reject) => {
    execFile(dumpcap, ['-D', '-M'], { timeout: 15000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException & { code?: unknown };
        if (typeof e.code === 'string') return reject(spawnFailure(e, dumpcap));
        return reject(classifyDumpcapFailure(String(stderr), '', typeof e.code === 'number' ? e.code : null));
      }
      resolve(parseInterfaceList(String(stdout)));
    });
  });
}

function positiveInt(value: unknown, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > 2 ** 31) throw new CaptureSetupError('BAD_OPTION', `${what} must be a whole number above 0 (got ${JSON.stringify(value)})`);
  return n;
}

function conditionArgs(flag: '-a' | '-b', c: DumpcapConditions | undefined, what: string): string[] {
  const args: string[] = [];
  if (!c) return args;
  for (const key of ['duration', 'filesize', 'files', 'packets'] as const) {
    const v = c[key];
    if (v === undefined || v === null || (v as unknown) === '' || v === 0) continue;
    args.push(flag, `${key}:${positiveInt(v, `${what} ${key}`)}`);
  }
  return args;
}

/** The file name dumpcap is given in files mode (it inserts _NNNNN_YYYYmmddHHMMSS before the suffix). */
export function captureFileTemplate(o: DumpcapOptions): string {
  const dir = path.resolve(o.outputDir && o.outputDir.trim() !== '' ? o.outputDir : '.');
  const prefix = o.filePrefix && o.filePrefix.trim() !== '' ? o.filePrefix.trim() : 'deepmad';
  if (/[/\\]/.test(prefix) || prefix.startsWith('.')) throw new CaptureSetupError('BAD_OPTION', `file prefix "${prefix}" must be a plain file name`);
  return path.join(dir, `${prefix}.${o.format === 'pcap' ? 'pcap' : 'pcapng'}`);
}

/** dumpcap's argument array for `o` (validated; throws BAD_OPTION with the reason). */
export function dumpcapArgs(o: DumpcapOptions): string[] {
  const iface = (o.iface ?? '').trim();
  if (iface === '') throw new CaptureSetupError('BAD_OPTION', 'no capture interface selected');
  if (iface.startsWith('-')) throw new CaptureSetupError('BAD_OPTION', `"${iface}" is not an interface name`);
  const args = ['-q', '-i', iface];
  if (o.filter && o.filter.trim() !== '') args.push('-f', o.filter.trim());
  if (o.snaplen) args.push('-s', String(positiveInt(o.snaplen, 'snaplen')));
  if (o.promiscuous === false) args.push('-p');
  if (o.bufferMiB) args.push('-B', String(positiveInt(o.bufferMiB, 'buffer size')));
  args.push(...conditionArgs('-a', o.autostop, 'autostop'));
  if (o.mode === 'stream') {
    if (conditionArgs('-b', o.ring, 'ring buffer').length) {
      throw new CaptureSetupError('BAD_OPTION', 'ring buffer options need files mode (stream mode writes to a pipe, not files)');
    }
    args.push('-w', '-');
  } else if (o.mode === 'files') {
    args.push(...conditionArgs('-b', o.ring, 'ring buffer'));
    // printname makes dumpcap print each file name on stdout when the file is closed.
    args.push('-b', 'printname:stdout', '-w', captureFileTemplate(o));
    if (o.format === 'pcap') args.push('-P');
  } else {
    throw new CaptureSetupError('BAD_OPTION', `unknown mode ${JSON.stringify(o.mode)} (stream or files)`);
  }
  return args;
}

/** Maps dumpcap's stderr (and exit code) to an error with a fix. */
export function classifyDumpcapFailure(stderr: string, iface: string, code: number | null): CaptureSetupError {
  const said = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^Capturing on /.test(l) && !/^Ring buffer requested, but no maximum/.test(l.replace(/^dumpcap: /, '')))
    .join(' ');
  if (/no device named|No such device|doesn't exist|no such interface/i.test(said)) {
    return new CaptureSetupError('NO_SUCH_INTERFACE', `dumpcap: there is no interface "${iface}"`, 'Pick one of the interfaces listed by "dumpcap -D" (the node\'s edit dialog lists them)', said);
  }
  if (/permission|not permitted|Operation not permitted|EPERM|access denied/i.test(said)) {
    return new CaptureSetupError('NO_PERMISSION', `dumpcap may not capture on "${iface}"`, permissionHint(), said);
  }
  if (/Invalid capture filter/i.test(said)) {
    return new CaptureSetupError('BAD_FILTER', said.replace(/^dumpcap: /, '').replace(/See the User's Guide.*$/, '').trim(), 'Fix the capture filter (libpcap/BPF syntax, e.g. "tcp port 80 and host 10.0.0.1")', said);
  }
  return new CaptureSetupError('CAPTURE_FAILED', `dumpcap failed${code !== null ? ` (exit code ${code})` : ''}: ${said || 'no message'}`, '', said);
}

/** Interface counters dumpcap prints when it stops. */
export interface DumpcapStats {
  received: number;
  dropped: number;
}

/** Parses "Packets received/dropped on interface 'lo': 30/0 (…)". */
export function parseDumpcapStats(stderr: string): DumpcapStats | undefined {
  const m = /Packets received\/dropped on interface '[^']*': (\d+)\/(\d+)/.exec(stderr);
  return m ? { received: Number(m[1]), dropped: Number(m[2]) } : undefined;
}

export interface DumpcapExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when stop() asked for the exit. */
  requested: boolean;
  stats?: DumpcapStats;
}

// dumpcap children still running. If the runtime process exits without stopping them (a crash that
// ends in process.exit), they get SIGTERM from the 'exit' hook rather than capturing on as orphans.
// (A SIGKILL of Node-RED cannot be caught: a stream-mode dumpcap then dies on its broken pipe, a
// files-mode one at its next file switch.)
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackChild(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('close', () => liveChildren.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of liveChildren) {
        try { c.kill('SIGTERM'); } catch { /* already gone */ }
      }
    });
  }
}

/**
 * One dumpcap child process. Events:
 *  - 'started'                     dumpcap opened interface, filter and output ("File: …" on stderr)
 *  - 'file'   (path: string)       files mode: a capture file was completed
 *  - 'error'  (err: Error)         set-up or capture failure (a CaptureSetupError when classifiable)
 *  - 'exit'   (info: DumpcapExit)  always emitted last, once
 * In stream mode `stdout` is the pcapng byte stream.
 */
export class DumpcapProcess extends EventEmitter {
  readonly args: string[];
  readonly dumpcap: string;
  private child?: ChildProcess;
  private stderrText = '';
  private stopRequested = false;
  private startedSeen = false;
  private exitInfo?: DumpcapExit;
  private exitPromise?: Promise<DumpcapExit>;

  constructor(readonly options: DumpcapOptions) {
    super();
    this.dumpcap = findDumpcap(options.dumpcap);
    this.args = dumpcapArgs(options);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }
  get running(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }
  get stdout(): Readable {
    if (!this.child?.stdout) throw new Error('dumpcap is not running');
    return this.child.stdout;
  }

  /** Spawns dumpcap. Failures arrive as 'error' then 'exit'. */
  start(): void {
    if (this.child) throw new Error('already started');
    if (this.options.mode === 'files') fs.mkdirSync(path.dirname(captureFileTemplate(this.options)), { recursive: true });
    const child = spawn(this.dumpcap, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    trackChild(child);
    this.exitPromise = new Promise((resolve) => {
      let spawnError: NodeJS.ErrnoException | undefined;
      child.on('error', (err: NodeJS.ErrnoException) => {
        spawnError = err;
      });
      child.on('close', (code, signal) => {
        const info: DumpcapExit = { code, signal, requested: this.stopRequested, stats: parseDumpcapStats(this.stderrText) };
        this.exitInfo = info;
        if (spawnError) this.emit('error', spawnFailure(spawnError, this.dumpcap));
        else if (!this.stopRequested && code !== 0) this.emit('error', classifyDumpcapFailure(this.stderrText, this.options.iface, code));
        this.emit('exit', info);
        resolve(info);
      });
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      // keep the head (errors) and a bounded amount more; dumpcap writes little to stderr
      if (this.stderrText.length < 65536) this.stderrText += d;
      // "File: <name>" (or "File: -") comes once the interface, filter and output are all open;
      // "Capturing on" comes earlier, before the filter is compiled.
      if (!this.startedSeen && /(^|\n)File: /.test(this.stderrText)) {
        this.startedSeen = true;
        this.emit('started');
      }
    });
    if (this.options.mode === 'files') {
      let pending = '';
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (d: string) => {
        pending += d;
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl).trim();
          pending = pending.slice(nl + 1);
          if (line !== '') this.emit('file', line);
        }
      });
    }
  }

  /** Resolves when dumpcap has exited (immediately if it already has). */
  exited(): Promise<DumpcapExit> {
    if (!this.exitPromise) return Promise.resolve({ code: null, signal: null, requested: true });
    return this.exitPromise;
  }

  /**
   * Asks dumpcap to stop (SIGTERM: it closes the current file / the pipe and prints its counters),
   * SIGKILL after `graceMs`. Resolves once the process is gone, so no orphan is left behind.
   */
  async stop(graceMs = 5000): Promise<DumpcapExit> {
    if (!this.child || this.exitInfo) return this.exited();
    this.stopRequested = true;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    try {
      return await this.exited();
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Checks `iface` against `dumpcap -D`; throws NO_SUCH_INTERFACE listing the valid names. */
export async function checkInterface(iface: string, dumpcap?: string): Promise<DumpcapInterface> {
  const list = await listInterfaces(findDumpcap(dumpcap));
  const hit = list.find((i) => i.name === iface);
  if (!hit) {
    throw new CaptureSetupError(
      'NO_SUCH_INTERFACE',
      `dumpcap cannot capture on "${iface}"`,
      `Pick one of: ${list.map((i) => i.name).join(', ') || '(dumpcap lists no interfaces — check its permissions)'}`,
    );
  }
  return hit;
}

/** Stats of a dumpcap capture: the parser's stats (stream mode) plus dumpcap's own counters. */
export type DumpcapCaptureStats = CaptureStats & {
  /** Packets dumpcap received on the interface (known once it stopped; until then = packets parsed). */
  received: number;
  /** Packets the kernel/dumpcap dropped, from dumpcap's final report (0 until known). */
  dropped: number;
  /** Files mode: capture files completed so far. */
  files: number;
};

export interface DumpcapCaptureOptions extends DumpcapOptions {
  /** Stream mode: packets per batch (default 1024). */
  batchSize?: number;
  /** Stream mode: a partly filled batch is emitted after this many ms (default 250). */
  flushMs?: number;
  /** Skip the `dumpcap -D` check of the interface name (default: check). */
  skipInterfaceCheck?: boolean;
}

/**
 * A dumpcap capture with its output handled. Events:
 *  - 'batch' (PacketBatch)                stream mode
 *  - 'file'  (path: string)               files mode, a completed capture file
 *  - 'error' (Error)                      after start() resolved (dumpcap died, corrupt stream)
 *  - 'end'   (stats: DumpcapCaptureStats) once, when dumpcap has exited and all packets were emitted
 */
export class DumpcapCapture extends EventEmitter {
  readonly source: string;
  private proc?: DumpcapProcess;
  private parser?: CaptureParser;
  private timer?: NodeJS.Timeout;
  private fileCount = 0;
  private ended?: Promise<DumpcapCaptureStats>;
  private finalStats?: DumpcapCaptureStats;

  constructor(readonly options: DumpcapCaptureOptions) {
    super();
    this.source = `iface:${options.iface}`;
    dumpcapArgs(options); // validate now, so bad options fail before anything runs
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }
  get running(): boolean {
    return this.proc?.running ?? false;
  }

  /** Live counters (stream mode: from the parser). */
  get stats(): DumpcapCaptureStats {
    if (this.finalStats) return this.finalStats;
    const base = this.parser ? this.parser.stats : emptyStats(this.source);
    return { ...base, received: base.packets, dropped: 0, files: this.fileCount };
  }

  /**
   * Checks the interface against `dumpcap -D`, spawns dumpcap and resolves once it reports
   * "Capturing on …". Rejects with a CaptureSetupError (missing dumpcap, no permission, no such
   * interface, bad filter) — nothing is left running then.
   */
  async start(): Promise<void> {
    if (this.proc) throw new Error('already started');
    const o = this.options;
    if (!o.skipInterfaceCheck) await checkInterface(o.iface, o.dumpcap);
    const proc = new DumpcapProcess(o);
    this.proc = proc;
    if (o.mode === 'stream') {
      this.parser = new CaptureParser({
        source: this.source,
        batchSize: o.batchSize ?? 1024,
        onBatch: (b) => this.emit('batch', b),
      });
    }
    let startupFailure: Error | undefined;
    let started = false;
    const startup = new Promise<void>((resolve, reject) => {
      proc.once('started', () => { started = true; resolve(); });
      proc.on('error', (err: Error) => {
        if (!started) { startupFailure = err; reject(err); } else this.emit('error', err);
      });
      proc.once('exit', () => { if (!started) reject(startupFailure ?? new CaptureSetupError('CAPTURE_FAILED', 'dumpcap exited before capturing')); });
    });
    proc.on('file', (p: string) => { this.fileCount++; this.emit('file', p); });
    proc.start(); // exit/close events come asynchronously, after the listeners below are attached
    this.ended = new Promise((resolve) => {
      const streamDone = new Promise<void>((r) => {
        if (o.mode !== 'stream') return r();
        proc.stdout.on('end', () => r());
        proc.stdout.on('error', () => r());
      });
      proc.once('exit', (info: DumpcapExit) => {
        void streamDone.then(() => {
          if (this.timer) clearInterval(this.timer);
          if (this.parser) {
            try {
              this.parser.end(true);
            } catch (err) {
              // only an empty stream (dumpcap died before writing a header) gets here; not worth a second error
              if (started) this.emit('error', err);
            }
          }
          const base = this.parser ? this.parser.stats : emptyStats(this.source);
          this.finalStats = {
            ...base,
            received: info.stats?.received ?? base.packets,
            dropped: info.stats?.dropped ?? 0,
            files: this.fileCount,
          };
          if (started) this.emit('end', this.finalStats);
          resolve(this.finalStats);
        });
      });
    });
    if (this.parser) {
      const parser = this.parser;
      proc.stdout.on('data', (chunk: Buffer) => {
        try {
          parser.push(chunk);
        } catch (err) {
          this.emit('error', err);
          void proc.stop();
        }
      });
      this.timer = setInterval(() => {
        try {
          parser.flush();
        } catch (err) {
          this.emit('error', err);
        }
      }, o.flushMs ?? 250);
    }
    await startup;
  }

  /** Stops dumpcap (SIGTERM, SIGKILL after `graceMs`) and resolves with the final stats after 'end'. */
  async stop(graceMs = 5000): Promise<DumpcapCaptureStats> {
    if (!this.proc || !this.ended) return this.stats;
    await this.proc.stop(graceMs);
    return this.ended;
  }
}
