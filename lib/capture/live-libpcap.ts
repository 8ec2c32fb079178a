/**
 * Live capture in-process through libpcap, via the optional native module `cap` (loaded lazily, so a
 * failed build only disables this capture path).
 *
 * What cap 0.2.1 offers and what it does not (read from its binding.cc):
 *  - it copies each packet into one caller-supplied Buffer and emits 'packet' (nbytes, truncated) —
 *    no per-packet allocation on our side: we decode straight from that buffer into the batch;
 *  - snaplen is fixed at 65535 in libpcap; we honour a smaller snaplen by giving cap a buffer of
 *    that size (it truncates the copy), which is what a snaplen means for the decoder;
 *  - it always opens in promiscuous mode (no switch), and exposes neither the kernel timestamps
 *    nor pcap_stats: packets are stamped with the host clock when delivered to JavaScript, and
 *    "dropped" counts only the packets this module had to drop (bounded queue), not kernel drops.
 *    dumpcap capture has none of these limits.
 *
 * Handle lifetime (why every Cap object is kept for the life of the process): in cap 0.2.1 the C++
 * destructor, which V8's GC runs once the JS object is unreachable, is unsafe in two cases —
 *  - after a failed open() (bad filter, no such device, no permission) the pcap handle is set but
 *    the libuv poll handle was never initialised, and ~Pcap calls uv_poll_stop on it: SIGSEGV at
 *    some later, unrelated GC (this crashed the test process, and would crash Node-RED);
 *  - after close() the poll handle is stopped but never uv_close()d, so it stays linked in the
 *    event loop's handle list; freeing it leaves a dangling entry (a diagnostic report, which walks
 *    that list, then segfaults).
 * Neither can be fixed from JavaScript, so no Cap that open() was called on may ever be collected.
 * A closed handle costs ~5 kB; a failed open also leaks libpcap's own handle (it is never
 * pcap_close()d by cap, whatever we do). With a filter that leak is the activated capture itself
 * (its kernel ring of `bufferSize` bytes, ~20 MB at the default, and an open packet socket), so a
 * filter is first tried in a short-lived child process (probeFilter) and only opened here once it
 * compiled there.
 */
import { spawnSync } from 'node:child_process';
import { allocBatch } from './batch-alloc.js';
import { CaptureSetupError, capMissingHint, libpcapPermissionHint } from './capture-errors.js';
import { decodeFrame } from './decode.js';
import { isDecodedLinkType, linkTypeName } from './link-types.js';
import type { PacketBatch } from './packet-batch.js';
import { PKT_TRUNCATED } from './packet-batch.js';
import { emptyStats, type CaptureStats } from './stats.js';

export interface LibpcapOptions {
  iface: string;
  /** BPF filter ('' = everything). */
  filter?: string;
  /** Bytes kept per packet (default 65535). */
  snaplen?: number;
  /** cap always enables promiscuous mode; false is reported as a warning in the stats. */
  promiscuous?: boolean;
  /** Kernel buffer size in bytes (default 10 MiB). */
  bufferSize?: number;
  /** Packets per emitted batch (default 1024). */
  batchSize?: number;
  /** A partly filled batch is emitted after this many ms (default 250) so live traffic keeps moving. */
  flushMs?: number;
}

/** Stats of a live capture: the reader's stats shape plus live counters. */
export type LiveCaptureStats = CaptureStats & {
  /** Packets delivered by libpcap. */
  received: number;
  /** Packets this module dropped (none today: batches are handed over synchronously). */
  dropped: number;
};

interface CapModule {
  Cap: {
    new (): CapHandle;
    deviceList(): Array<{ name: string; description?: string; addresses: Array<{ addr: string }>; flags?: string }>;
  };
}
interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  setMinBytes?(n: number): void;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): void;
  removeAllListeners(event?: string): void;
}

let capCache: CapModule | undefined;

/** Every Cap object ever opened (see the header comment): reachable forever, so GC never destroys one. */
const retainedHandles: CapHandle[] = [];

/** Handles retained so far (for tests and diagnostics). */
export function retainedHandleCount(): number {
  return retainedHandles.length;
}
/** Loads `cap`, or throws CAP_MISSING saying how to build it. */
export function loadCap(): CapModule {
  if (capCache) return capCache;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    capCache = require('cap') as CapModule;
    return capCache;
  } catch (err) {
    throw new CaptureSetupError('CAP_MISSING', 'libpcap capture is unavailable: the "cap" module could not be loaded', capMissingHint(), (err as Error).message);
  }
}

/** True when `cap` loads (without throwing). */
export function capAvailable(): boolean {
  try {
    loadCap();
    return true;
  } catch {
    return false;
  }
}

export interface LibpcapInterface {
  name: string;
  description: string;
  addresses: string[];
  loopback: boolean;
}

export function listLibpcapInterfaces(): LibpcapInterface[] {
  return loadCap().Cap.deviceList().map((d) => ({
    name: d.name,
    description: d.description ?? '',
    addresses: (d.addresses ?? []).map((a) => a.addr).filter(Boolean),
    loopback: /LOOPBACK/.test(d.flags ?? ''),
  }));
}

/** cap reports the link type as a word (or "Unknown linktype N" with the DLT number). */
export function capLinkType(word: string): number {
  switch (word) {
    case 'ETHERNET': return 1;
    case 'NULL': return 0;
    case 'RAW': return 101;
    case 'LINKTYPE_LINUX_SLL': return 113;
    case 'IEEE802_11_RADIO': return 127;
    default: {
      const m = /Unknown linktype (\d+)/.exec(word);
      if (!m) return -1;
      const dlt = Number(m[1]);
      // DLT_RAW is 12 (14 on OpenBSD) but LINKTYPE_RAW is 101; other common DLTs equal their LINKTYPE.
      return dlt === 12 || dlt === 14 ? 101 : dlt;
    }
  }
}

function positiveInt(value: unknown, what: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > max) throw new CaptureSetupError('BAD_OPTION', `${what} must be a whole number from 1 to ${max} (got ${JSON.stringify(value)})`);
  return n;
}

/** Maps a libpcap open error to a CaptureSetupError with the fix. */
export function classifyLibpcapError(message: string, iface: string): CaptureSetupError {
  if (/permission|not permitted|EPERM|access/i.test(message)) {
    return new CaptureSetupError('NO_PERMISSION', `libpcap may not capture on "${iface}" (${message})`, libpcapPermissionHint(), message);
  }
  if (/No such device|doesn't exist|no such/i.test(message)) {
    return new CaptureSetupError('NO_SUCH_INTERFACE', `there is no interface "${iface}"`, 'Pick an interface from the list in the edit dialog', message);
  }
  if (/syntax error|filter|parse/i.test(message)) {
    return new CaptureSetupError('BAD_FILTER', `invalid capture filter: ${message}`, 'Fix the capture filter (libpcap/BPF syntax, e.g. "tcp port 80")', message);
  }
  return new CaptureSetupError('CAPTURE_FAILED', `libpcap could not open "${iface}": ${message}`, '', message);
}

// Run by probeFilter in a child: open with a small buffer, report the error text (if any), exit.
const PROBE_SCRIPT = `const [capPath, iface, filter] = process.argv.slice(1);
let error = '';
try { new (require(capPath).Cap)().open(iface, filter, 65536, Buffer.alloc(64)); } catch (e) { error = String(e && e.message); }
process.stdout.write(JSON.stringify({ error }));
process.exit(0);`;

/**
 * The libpcap error a filter would raise on `iface`, found in a throwaway process so that the handle
 * cap leaks on failure dies with it; '' when it opens, undefined when the probe itself could not run.
 */
export function probeFilter(iface: string, filter: string): string | undefined {
  let capPath: string;
  try {
    capPath = require.resolve('cap');
  } catch {
    return undefined;
  }
  const r = spawnSync(process.execPath, ['-e', PROBE_SCRIPT, capPath, iface, filter], {
    encoding: 'utf8', timeout: 15000, windowsHide: true,
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, // Node-RED inside Electron: run the script, not the app
  });
  if (r.status !== 0 || typeof r.stdout !== 'string') return undefined;
  try {
    const out = JSON.parse(r.stdout) as { error?: unknown };
    return typeof out.error === 'string' ? out.error : undefined;
  } catch {
    return undefined;
  }
}

/** Microseconds since the epoch from the monotonic high-resolution clock. */
function nowUs(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}

/**
 * An open libpcap capture. `onBatch` receives each full (or flushed) batch; ownership passes to it.
 */
export class LibpcapCapture {
  readonly linkType: number;
  readonly stats: LiveCaptureStats;
  private cap: CapHandle;
  private buffer: Buffer;
  private batch: PacketBatch;
  private readonly batchSize: number;
  private timer?: NodeJS.Timeout;
  private closed = false;
  /** True while onPacket runs: a close requested from inside it is finished after it returns. */
  private inPacket = false;
  private readonly linkTypes: number[];

  constructor(readonly options: LibpcapOptions, private readonly onBatch: (b: PacketBatch) => void) {
    const iface = (options.iface ?? '').trim();
    if (iface === '') throw new CaptureSetupError('BAD_OPTION', 'no capture interface selected');
    const snaplen = options.snaplen ? positiveInt(options.snaplen, 'snaplen', 262144) : 65535;
    const bufferSize = options.bufferSize ? positiveInt(options.bufferSize, 'buffer size', 2 ** 31 - 1) : 10 * 1024 * 1024;
    this.batchSize = options.batchSize ? positiveInt(options.batchSize, 'batch size', 1 << 20) : 1024;
    const flushMs = options.flushMs ? positiveInt(options.flushMs, 'flush interval', 60000) : 250;
    const { Cap } = loadCap();
    const filter = options.filter?.trim() ?? '';
    if (filter !== '') {
      const probeError = probeFilter(iface, filter);
      if (probeError) throw classifyLibpcapError(probeError, iface);
    }
    this.cap = new Cap();
    // Retained before open(): a failed open leaves a handle whose destructor would segfault.
    retainedHandles.push(this.cap);
    // libpcap copies into this buffer through a raw pointer: the open handle's 'packet' listener
    // holds `this`, hence the buffer, until closeHandle() has closed libpcap.
    this.buffer = Buffer.alloc(snaplen);
    let word: string;
    try {
      word = this.cap.open(iface, filter, bufferSize, this.buffer);
    } catch (err) {
      // Never close() a failed handle: cap would uv_poll_stop an uninitialised poll handle.
      this.closed = true;
      throw classifyLibpcapError((err as Error).message, iface);
    }
    this.linkType = capLinkType(word);
    this.linkTypes = [this.linkType];
    this.stats = {
      ...emptyStats(`iface:${iface}`),
      received: 0,
      dropped: 0,
      sections: 1,
      complete: false,
      interfaces: [{
        index: 0, section: 0, linkType: this.linkType, linkTypeName: linkTypeName(this.linkType),
        decoded: isDecodedLinkType(this.linkType), snaplen, tsResolution: '1e-6 s', name: iface, packets: 0,
      }],
    };
    if (!isDecodedLinkType(this.linkType)) this.stats.warnings.push(`link type ${word} is counted but not decoded`);
    if (options.promiscuous === false) this.stats.warnings.push('cap always opens the interface in promiscuous mode; use the dumpcap node to capture without it');
    this.batch = allocBatch(this.batchSize, this.linkTypes);
    this.cap.setMinBytes?.(0);
    this.cap.on('packet', (nbytes, truncated) => this.onPacket(nbytes, truncated));
    this.timer = setInterval(() => this.flush(), flushMs);
    this.timer.unref?.();
  }

  private onPacket(nbytes: number, truncated: boolean): void {
    if (this.closed) return;
    this.inPacket = true;
    try {
      this.takePacket(nbytes, truncated);
    } finally {
      this.inPacket = false;
    }
  }

  private takePacket(nbytes: number, truncated: boolean): void {
    const b = this.batch;
    const i = b.count;
    const ts = nowUs();
    b.tsUs[i] = ts;
    b.capLen[i] = nbytes;
    b.wireLen[i] = nbytes;
    b.iface[i] = 0;
    decodeFrame(b, i, this.buffer, 0, nbytes, nbytes, this.linkType);
    if (truncated) b.flags[i] |= PKT_TRUNCATED;
    b.count = i + 1;
    const s = this.stats;
    s.received++;
    s.packets++;
    s.interfaces[0].packets++;
    s.bytes += nbytes;
    s.wireBytes += nbytes;
    if (b.ipVersion[i] === 4) s.ipv4Packets++;
    else if (b.ipVersion[i] === 6) s.ipv6Packets++;
    if (b.flags[i] & PKT_TRUNCATED) s.truncatedPackets++;
    if (s.firstTsUs === null) s.firstTsUs = ts;
    s.lastTsUs = ts;
    if (b.count === this.batchSize) this.flush();
  }

  /** Hands the current batch over (if it holds packets) and starts a new one. */
  flush(): void {
    const b = this.batch;
    if (b.count === 0) return;
    this.batch = allocBatch(this.batchSize, this.linkTypes);
    this.onBatch(b);
  }

  /**
   * Flushes, stops delivery, closes the handle exactly once and returns the final stats (idempotent).
   * Called from inside a packet callback (a synchronous consumer stopping the capture), the native
   * close is deferred until libpcap's dispatch loop has returned.
   */
  close(): LiveCaptureStats {
    if (!this.closed) {
      this.flush();
      this.closed = true;
      if (this.timer) clearInterval(this.timer);
      this.stats.complete = true;
      if (this.inPacket) setImmediate(() => this.closeHandle());
      else this.closeHandle();
    }
    return this.stats;
  }

  private closeHandle(): void {
    try {
      this.cap.close();
    } catch {
      // cap's close() does not throw; nothing more to release if it ever does
    }
    this.cap.removeAllListeners('packet');
  }
}
