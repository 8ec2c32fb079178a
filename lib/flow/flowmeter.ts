/**
 * Flowmeter: the streaming flow meter. Feed it PacketBatches with push(); finished flows come out
 * as FlowBatch objects through the `flows` event / `onFlows` callback, and on flush()/close().
 *
 *   const fm = new Flowmeter({ profile: 'improved', onFlows: (b) => … });
 *   for await (const batch of new CaptureReader('x.pcap')) fm.push(batch);
 *   fm.close();
 *
 * The prototype's shape works too:
 *   await new Flowmeter({ offline: 'in.pcap', outfunc: (csv) => …, outfile: 'out.csv' }).run();
 *
 * Time: offline input is timed by packet timestamps only (deterministic); with `live: true` an
 * idle sweeper also expires silent flows on the wall clock (the reference tools never do, §10).
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import type { PacketBatch } from '../capture/packet-batch.js';
import { DEFAULT_MAX_FLOWS, FlowEngine, type FlowSummary } from './engine.js';
import type { FlowBatch } from './flow-batch.js';
import { csvHeader, toCsv, toObjects, type FlowObject } from './output.js';
import type { FlowProfile, MeterEngine } from './profile.js';
import { getProfile } from './profiles/index.js';

export interface FlowmeterOptions {
  /** Profile name (`improved` default, `cic-ids2017`, `cicflowmeter-4`) or a FlowProfile object. */
  profile?: string | FlowProfile;
  /** Maximum flow length, measured from the first packet (s, default 120). */
  flowTimeout?: number;
  /** Gap that separates active periods (s, default 5). */
  activityTimeout?: number;
  /**
   * Silence after which the sweeper writes a flow (s, default = flowTimeout). Offline the clock is packet
   * time; a value ≥ flowTimeout keeps offline output identical to the reference tools.
   */
  idleTimeout?: number;
  /** Meter IPv4 only, like the reference tools (default false: IPv6 flows too). */
  ipv4Only?: boolean;
  /** Cap on concurrent flows; when full the oldest flow is written and marked evicted. */
  maxFlows?: number;
  /** Flow rows per emitted batch (default 1024). */
  batchSize?: number;
  /** Live input: wall-clock idle sweeper and partial batches after every push (default false). */
  live?: boolean;
  /** Live sweeper period (ms, default 1000). */
  sweepIntervalMs?: number;
  /** Direction by source IP and port instead of IP only (fixes same-host traffic; not what any reference does). */
  directionByIpAndPort?: boolean;
  /** Called with every finished batch (also emitted as the `flows` event). */
  onFlows?: (batch: FlowBatch) => void;
  // ---- prototype-compatible (prc-flowmeter) options for run() ----
  /** Capture file to read in run(). */
  offline?: string;
  /** Receives each CSV chunk (no header) as flows are written. */
  outfunc?: (csvChunk: string) => void;
  /** CSV file: truncated and given the header line at construction, chunks appended. */
  outfile?: string;
}

/** Offline sweep cadence in packet time (one pass over the table): half the idle timeout, at least 10 s. */
const MIN_SWEEP_EVERY_US = 10e6;

export class Flowmeter extends EventEmitter {
  readonly profile: FlowProfile;
  readonly options: Readonly<FlowmeterOptions>;
  private readonly engine: MeterEngine;
  private readonly live: boolean;
  private timer: NodeJS.Timeout | null = null;
  private lastSweepUs = 0;
  private readonly sweepEveryUs: number;
  private closed = false;
  private outFd: number | null = null;

  constructor(opts: FlowmeterOptions = {}) {
    super();
    this.options = { ...opts };
    this.profile = getProfile(opts.profile);
    const num = (v: number | undefined, d: number, name: string, min = 0) => {
      const x = v ?? d;
      if (typeof x !== 'number' || !Number.isFinite(x) || x < min) throw new RangeError(`Flowmeter: ${name} must be a number ≥ ${min}`);
      return x;
    };
    const flowTimeout = num(opts.flowTimeout, 120, 'flowTimeout');
    const activityTimeout = num(opts.activityTimeout, 5, 'activityTimeout');
    const idleTimeout = num(opts.idleTimeout, flowTimeout, 'idleTimeout');
    const maxFlows = Math.floor(num(opts.maxFlows, DEFAULT_MAX_FLOWS, 'maxFlows', 1));
    const batchSize = Math.floor(num(opts.batchSize, 1024, 'batchSize', 1));
    this.live = !!opts.live;
    this.sweepEveryUs = Math.max(MIN_SWEEP_EVERY_US, (idleTimeout * 1e6) / 2);
    const engineOptions = {
      profile: this.profile,
      flowTimeoutUs: flowTimeout * 1e6,
      activityTimeoutUs: activityTimeout * 1e6,
      idleTimeoutUs: idleTimeout * 1e6,
      ipv4Only: !!opts.ipv4Only,
      maxFlows,
      batchSize,
      directionByIpOnly: !opts.directionByIpAndPort,
      onBatch: (b: FlowBatch) => this.emitBatch(b),
    };
    // a profile with its own semantics (prc) brings its own engine
    this.engine = this.profile.custom ? this.profile.custom.createEngine(engineOptions) : new FlowEngine(engineOptions);
    if (opts.outfile) {
      this.outFd = fs.openSync(opts.outfile, 'w');
      fs.writeSync(this.outFd, `${csvHeader(this.profile)}\n`);
    }
    if (this.live) {
      this.timer = setInterval(() => this.sweepNow(), opts.sweepIntervalMs ?? 1000);
      this.timer.unref();
    }
  }

  /** Counters so far (packets, flows written, evicted, suppressed…). */
  get summary(): FlowSummary { return this.engine.summary; }
  get openFlows(): number { return this.engine.openFlows; }

  /** Meter one packet batch. */
  push(batch: PacketBatch): void {
    if (this.closed) throw new Error('Flowmeter: push() after close()');
    checkBatch(batch);
    this.engine.push(batch);
    const now = this.engine.lastPacketUs;
    if (!this.live) {
      if (now - this.lastSweepUs >= this.sweepEveryUs) {
        if (this.lastSweepUs !== 0 && this.engine.sweep(now) > 0) this.engine.deliver();
        this.lastSweepUs = now;
      }
    } else {
      this.engine.deliver();
    }
  }

  /** Live: expire flows silent for longer than idleTimeout on the wall clock. */
  sweepNow(nowUs = Date.now() * 1000): void {
    if (this.closed) return;
    try {
      if (this.engine.sweep(nowUs) > 0) this.engine.deliver();
    } catch (err) {
      this.emit('error', err);
    }
  }

  /** Write every open flow (end of a source) and deliver all pending rows. The meter stays usable. */
  flush(): void {
    if (this.closed) return;
    this.engine.flush();
  }

  /** flush(), stop the sweeper, close the output file; returns the final summary. */
  close(): FlowSummary {
    if (!this.closed) {
      this.engine.flush();
      this.closed = true;
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      if (this.outFd !== null) { fs.closeSync(this.outFd); this.outFd = null; }
      this.emit('close', this.engine.summary);
    }
    return this.engine.summary;
  }

  /**
   * Optional: hand back a batch received from `flows`/`onFlows` once it is no longer used anywhere (no
   * references kept), so its memory is reused for a later batch. Never release a batch sent on in a message.
   */
  release(batch: FlowBatch): void {
    const e = this.engine as { release?: (b: FlowBatch) => void };
    e.release?.(batch);
  }

  /** Flow objects of a batch (profile column names → values): the Node-RED message payload. */
  toObjects(batch: FlowBatch): FlowObject[] { return toObjects(batch, this.profile); }

  /**
   * Read `options.offline` to the end and write every flow (prototype-compatible). Resolves to the
   * summary; a corrupt capture rejects with CaptureFormatError after all good packets were metered.
   */
  async run(): Promise<FlowSummary> {
    const file = this.options.offline;
    if (!file) throw new Error('Flowmeter.run(): set the `offline` option to a capture file (live capture is the capture node\'s job)');
    const { CaptureReader } = await import('../capture/reader.js');
    const reader = new CaptureReader(file);
    try {
      // push() meters synchronously and keeps no reference: the batch's memory can serve the next one
      for await (const b of reader) { this.push(b); reader.release(b); }
    } finally {
      this.close();
    }
    return this.summary;
  }

  private emitBatch(b: FlowBatch): void {
    const { outfunc } = this.options;
    if (this.outFd !== null || outfunc) {
      const csv = toCsv(b, this.profile);
      if (this.outFd !== null) fs.writeSync(this.outFd, csv);
      if (outfunc) outfunc(csv);
    }
    this.options.onFlows?.(b);
    this.emit('flows', b);
  }
}

const FIELDS_1: Array<[keyof PacketBatch, new (n: number) => ArrayLike<number>]> = [
  ['tsUs', Float64Array], ['wireLen', Uint32Array], ['capLen', Uint32Array], ['ipVersion', Uint8Array],
  ['proto', Uint8Array], ['srcPort', Uint16Array], ['dstPort', Uint16Array], ['icmpType', Uint8Array],
  ['icmpCode', Uint8Array], ['tcpFlags', Uint16Array], ['tcpWindow', Uint16Array], ['tcpSeq', Uint32Array],
  ['tcpAck', Uint32Array], ['ipHeaderLen', Uint16Array], ['ipTotalLen', Uint32Array], ['l4HeaderLen', Uint16Array],
  ['payloadLen', Uint32Array], ['flags', Uint8Array],
];

/** A clear error for something that is not a PacketBatch (e.g. a wrong msg.payload), before the hot loop reads it. */
function checkBatch(b: PacketBatch): void {
  const n = b?.count;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new TypeError('Flowmeter.push: expected a PacketBatch (lib/capture/packet-batch.ts), got no valid count');
  for (const [k, Ctor] of FIELDS_1) {
    const a = b[k] as unknown;
    if (!(a instanceof Ctor) || (a as ArrayLike<number>).length < n) throw new TypeError(`Flowmeter.push: PacketBatch.${String(k)} must be a ${Ctor.name} of at least ${n} entries`);
  }
  for (const k of ['srcAddr', 'dstAddr'] as const) {
    if (!(b[k] instanceof Uint32Array) || b[k].length < 4 * n) throw new TypeError(`Flowmeter.push: PacketBatch.${k} must be a Uint32Array of at least ${4 * n} entries`);
  }
  // Optional (batches made elsewhere may have no payload tells), but when present the engine reads it.
  if (b.tells !== undefined && (!(b.tells instanceof Uint16Array) || b.tells.length < n)) {
    throw new TypeError(`Flowmeter.push: PacketBatch.tells must be absent or a Uint16Array of at least ${n} entries`);
  }
}
