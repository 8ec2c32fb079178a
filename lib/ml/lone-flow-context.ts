/**
 * Context stage after the model: a single-packet flow the model flags stays malicious only when its
 * neighbourhood corroborates it. One packet carries no evidence of intent (a lone SYN is what a SYN
 * flood or a scan is made of, and also what a client's unanswered connection attempt is), but floods
 * and scans are many such flows sharing the attacker or the victim.
 *
 * Rule. A flow is single-packet when `Total Fwd Packet + Total Bwd packets <= 1`. A model-flagged
 * single-packet flow f stays malicious only if, within ±W seconds of its start `Timestamp`, at least K
 * other corroborating flows (single-packet or model-flagged themselves) have f's Src IP as their Src IP,
 * or at least K have f's Dst IP as their Dst IP. Each side is counted on its own (the union is not):
 * a flood or a scan is many flows on one host, and one record per host keeps the streaming state
 * small. Otherwise f is reported benign, keeping its attack probability, marked `suppressed`.
 *
 * Defaults, from reasoning and the lab data (models/training/lab-flows.csv), not the evaluation
 * captures. W = 60 s: the alert engine's aggregation window, and ±60 s spans the flow meter's 120 s
 * flow timeout. K = 5: in the lab's benign TCP/TLS/web scenarios a lone-packet flow has at most 2 other
 * single-packet flows on its source or destination within ±60 s (late TLS records, SYN retries), while
 * the flood scenarios have 130-250 even after the lab's 250-flows-per-run cap; and a scan at nmap's
 * "sneaky" timing (one probe per 15 s) still puts 8 probes in a ±60 s span. K = 5 keeps a 2× margin above
 * the benign stragglers and stays under the slowest scan timing we want to keep. Hosts that routinely
 * send one-datagram flows (the lab's misc/datagrams scenarios: syslog- or NTP-like daemons, up to 27 in
 * ±60 s) corroborate their own lone alarms; the stage does not help there.
 *
 * Rate. A flood whose sources and destinations are both random (every SYN from and to a different
 * spoofed address) shares no host, so the rule above cannot see it; what it does have is rate. A
 * flagged single-packet flow is therefore also kept when at least RATE_K = 50 other model-flagged
 * single-packet flows, whatever their addresses, start within ±1 s of it: 50 packets a second that the
 * model finds hostile, each alone in its flow, is a flood by any definition, while benign captures
 * give the model a lone packet to flag once in minutes (3 in our 31 benign captures). Only flagged
 * flows count here (not every lone packet: a busy network has many lone broadcasts and remnants).
 *
 * Batch mode (`judgeLoneFlows`): a whole capture or CSV, exact two-sided window over all flows.
 * Streaming (`LoneFlowContext`): successive batches; a batch's flows are judged against the past W
 * seconds (a bounded per-host record) plus the whole current batch (two-sided within it). Causal edge:
 * a flow whose corroboration arrives only in later batches is judged without it, so the first few
 * flows of a flood (before K corroborating flows have been seen) may be suppressed; later ones alert.
 */
import type { FlowColumns } from '../normalize/flow-columns.js';
import { identOf, isFlowColumns, lazyIntact } from '../normalize/flow-columns.js';
import { formatIp } from '../flow/format.js';
import type { Verdict, VerdictColumns } from './classifier.js';
import { KeyedLatestTimes, type HostKey } from './keyed-latest-times.js';
import { BWD_PACKETS_NAMES, DST_IP_NAMES, FWD_PACKETS_NAMES, SRC_IP_NAMES, TIME_NAMES, fieldReader, isFlowObject, pickName } from './flow-fields.js';

export type { HostKey } from './keyed-latest-times.js';

export const DEFAULT_CONTEXT_K = 5;
export const DEFAULT_CONTEXT_WINDOW_S = 60;
/** Hosts remembered per side (source, destination) in streaming mode (eviction order: KeyedLatestTimes). */
export const DEFAULT_CONTEXT_MAX_HOSTS = 65_536;
export const DEFAULT_CONTEXT_RATE_K = 50;
export const DEFAULT_CONTEXT_RATE_WINDOW_S = 1;
/** The `suppressed` value of a flow this stage turned benign. */
export const SUPPRESSED_SINGLE_PACKET = 'single packet, not corroborated';


/** The fields the rule reads, one entry per flow. */
export interface ContextFlows {
  rows: number;
  /** flow start in seconds since the epoch; NaN when unknown (never corroborates, never suppressed) */
  time: Float64Array;
  /** 1 when the flow has at most one packet */
  single: Uint8Array;
  src: ArrayLike<HostKey>;
  dst: ArrayLike<HostKey>;
}

export interface ContextOptions {
  /** corroborating flows needed on the source or on the destination (default 5) */
  k?: number;
  /** half-width of the window around the flow start, seconds (default 60) */
  windowSeconds?: number;
  /** streaming only: hosts remembered per side (default 65,536) */
  maxHosts?: number;
  /** flagged single-packet flows, any addresses, that corroborate by rate alone (default 50; 0 turns the rate rule off) */
  rateK?: number;
  /** half-width of the rate window, seconds (default 1) */
  rateWindowSeconds?: number;
}

type Malicious = ArrayLike<number | boolean>;

// ---- reading flows --------------------------------------------------------------------------

/** The rule's fields of flow objects `from`…`to` (column names as the flow meter's profiles print them). */
export function contextFlowsFromObjects(flows: ArrayLike<unknown>, from = 0, to = flows.length): ContextFlows {
  const n = Math.max(0, to - from);
  const out: ContextFlows = { rows: n, time: new Float64Array(n), single: new Uint8Array(n), src: new Array<HostKey>(n), dst: new Array<HostKey>(n) };
  if (n === 0) return out;
  // column names are picked once, from the first flow that has an address (a batch comes from one profile)
  let f0: Record<string, unknown> = {};
  for (let i = 0; i < flows.length; i++) { const f = flows[i]; if (isFlowObject(f) && pickName(f, SRC_IP_NAMES) !== undefined) { f0 = f; break; } }
  const read = fieldReader([FWD_PACKETS_NAMES, BWD_PACKETS_NAMES, SRC_IP_NAMES, DST_IP_NAMES, TIME_NAMES].map((names) => pickName(f0, names)));
  const s = out.src as HostKey[], d = out.dst as HostKey[];
  const cell: unknown[] = [0, 0, '', '', ''];
  for (let i = 0; i < n; i++) {
    const f = flows[from + i];
    // not an object: never judged, never corroborates
    if (!isFlowObject(f)) { out.time[i] = NaN; s[i] = ''; d[i] = ''; continue; }
    read(f, cell);
    out.single[i] = Number(cell[0]) + Number(cell[1]) <= 1 ? 1 : 0;
    out.time[i] = parseTimestamp(cell[4]);
    s[i] = typeof cell[2] === 'string' ? cell[2] : String(cell[2] ?? '');
    d[i] = typeof cell[3] === 'string' ? cell[3] : String(cell[3] ?? '');
  }
  return out;
}


/**
 * The rule's fields of a columnar batch. While its identity columns are still the flow meter's lazy
 * accessors, times and IPv4 addresses come from the numbers behind them (no strings are built).
 */
export function contextFlowsFromColumns(fc: FlowColumns, from = 0, to = fc.rows): ContextFlows {
  const n = Math.max(0, to - from);
  const out: ContextFlows = { rows: n, time: new Float64Array(n), single: new Uint8Array(n), src: new Array<HostKey>(n), dst: new Array<HostKey>(n) };
  const c = fc.columns.length;
  const fi = FWD_PACKETS_NAMES.map((x) => fc.columns.indexOf(x)).find((i) => i >= 0) ?? -1;
  const bi = BWD_PACKETS_NAMES.map((x) => fc.columns.indexOf(x)).find((i) => i >= 0) ?? -1;
  for (let r = 0; r < n; r++) out.single[r] = fi >= 0 && bi >= 0 && fc.values[(from + r) * c + fi] + fc.values[(from + r) * c + bi] <= 1 ? 1 : 0;
  const id = identOf(fc);
  const s = out.src as HostKey[], d = out.dst as HostKey[];
  if (id && lazyIntact(fc.text, id.names.srcIp, id) && lazyIntact(fc.text, id.names.dstIp, id) && lazyIntact(fc.text, id.names.timestamp, id)) {
    for (let r = 0; r < n; r++) {
      const x = from + r;
      out.time[r] = id.startUs[x] / 1e6;
      const v6 = id.ipVersion[x] === 6;
      s[r] = v6 ? formatIp(id.srcAddr, x * 4, 6) : id.srcAddr[x * 4] >>> 0;
      d[r] = v6 ? formatIp(id.dstAddr, x * 4, 6) : id.dstAddr[x * 4] >>> 0;
    }
    return out;
  }
  const col = (names: string[]): string[] | undefined => { const k = names.find((x) => x in fc.text); return k !== undefined ? fc.text[k] : undefined; };
  const src = col(SRC_IP_NAMES), dst = col(DST_IP_NAMES), ts = col(TIME_NAMES);
  for (let r = 0; r < n; r++) {
    out.time[r] = ts ? parseTimestamp(ts[from + r]) : NaN;
    s[r] = src?.[from + r] ?? '';
    d[r] = dst?.[from + r] ?? '';
  }
  return out;
}

const digits = (s: string, at: number, len: number): number => {
  let v = 0;
  for (let i = at; i < at + len; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return v;
};

/**
 * Flow start in seconds: the improved profile's `YYYY-MM-DD HH:MM:SS.ffffff` (UTC), CICFlowMeter's
 * `dd/MM/yyyy hh:mm:ss[ AM|PM]`, or a number (epoch s, ms or µs by magnitude). NaN when unreadable.
 * Hand-parsed: Date.parse on 100k strings costs more than the whole rule.
 */
export function parseTimestamp(v: unknown): number {
  if (typeof v === 'number') return !Number.isFinite(v) ? NaN : v < 1e11 ? v : v < 1e14 ? v / 1e3 : v / 1e6;
  if (typeof v !== 'string' || v.length < 19) return NaN;
  let y: number, mo: number, d: number, h: number;
  if (v.charCodeAt(4) === 45 /* - */) {
    y = digits(v, 0, 4); mo = digits(v, 5, 2); d = digits(v, 8, 2); h = digits(v, 11, 2);
  } else if (v.charCodeAt(2) === 47 /* / */) {
    d = digits(v, 0, 2); mo = digits(v, 3, 2); y = digits(v, 6, 4); h = digits(v, 11, 2);
    const ampm = v.slice(20, 22).toUpperCase();
    if (ampm === 'PM' && h < 12) h += 12;
    else if (ampm === 'AM' && h === 12) h = 0;
  } else return NaN;
  const mi = digits(v, 14, 2), sec = digits(v, 17, 2);
  let frac = 0;
  if (v.charCodeAt(19) === 46 /* . */) {
    let scale = 0.1;
    for (let i = 20; i < v.length; i++) {
      const c = v.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      frac += c * scale;
      scale /= 10;
    }
  }
  const ms = Date.UTC(y, mo - 1, d, h, mi, sec);
  return Number.isNaN(ms) ? NaN : ms / 1000 + frac;
}

// ---- the rule -------------------------------------------------------------------------------

interface Params { k: number; w: number; rateK: number; rateW: number }

function params(opts: ContextOptions): Params {
  const k = Math.floor(opts.k ?? DEFAULT_CONTEXT_K);
  const w = opts.windowSeconds ?? DEFAULT_CONTEXT_WINDOW_S;
  const rateK = Math.floor(opts.rateK ?? DEFAULT_CONTEXT_RATE_K);
  const rateW = opts.rateWindowSeconds ?? DEFAULT_CONTEXT_RATE_WINDOW_S;
  if (!(k >= 1) || k > 255) throw new Error(`context: K must be 1-255 (got ${opts.k})`);
  if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`context: window must be a non-negative number of seconds (got ${opts.windowSeconds})`);
  if (!(rateK >= 0) || rateK > 100_000) throw new Error(`context: rate K must be 0-100000 (got ${opts.rateK})`);
  if (!(rateW >= 0) || !Number.isFinite(rateW)) throw new Error(`context: rate window must be a non-negative number of seconds (got ${opts.rateWindowSeconds})`);
  return { k, w, rateK, rateW };
}

/** Rows that are model-flagged single-packet flows with a known time: the ones the rule judges. */
function candidates(f: ContextFlows, mal: Malicious): number[] {
  const out: number[] = [];
  for (let i = 0; i < f.rows; i++) if (f.single[i] === 1 && mal[i] && !Number.isNaN(f.time[i])) out.push(i);
  return out;
}

const lowerBound = (a: Float64Array, from: number, to: number, x: number): number => {
  while (from < to) { const m = (from + to) >>> 1; if (a[m] < x) from = m + 1; else to = m; }
  return from;
};

/**
 * For each candidate, how many other corroborating flows of this batch share its key on one side
 * within ±w. Only hosts that have a candidate are indexed (few on ordinary traffic); their
 * corroborators' times are laid out per host (counting sort), sorted, and binary-searched.
 */
function sideCounts(f: ContextFlows, keys: ArrayLike<HostKey>, mal: Malicious, cand: number[], w: number): Uint32Array {
  const counts = new Uint32Array(cand.length);
  const ids = new Map<HostKey, number>();
  const candHost = new Int32Array(cand.length);
  for (let j = 0; j < cand.length; j++) {
    const key = keys[cand[j]];
    let id = ids.get(key);
    if (id === undefined) { id = ids.size; ids.set(key, id); }
    candHost[j] = id;
  }
  const hosts = ids.size;
  const size = new Uint32Array(hosts + 1);
  const rowHost = new Int32Array(f.rows).fill(-1);
  for (let i = 0; i < f.rows; i++) {
    if (!(f.single[i] === 1 || mal[i]) || Number.isNaN(f.time[i])) continue;
    const id = ids.get(keys[i]);
    if (id === undefined) continue;
    rowHost[i] = id;
    size[id + 1]++;
  }
  for (let h = 0; h < hosts; h++) size[h + 1] += size[h]; // now offsets
  const times = new Float64Array(size[hosts]);
  const next = size.slice(0, hosts);
  for (let i = 0; i < f.rows; i++) if (rowHost[i] >= 0) times[next[rowHost[i]]++] = f.time[i];
  for (let h = 0; h < hosts; h++) times.subarray(size[h], size[h + 1]).sort();
  for (let j = 0; j < cand.length; j++) {
    const h = candHost[j], t = f.time[cand[j]];
    const lo = lowerBound(times, size[h], size[h + 1], t - w);
    // first index with time > t + w
    let a = lo, b = size[h + 1];
    while (a < b) { const m = (a + b) >>> 1; if (times[m] <= t + w) a = m + 1; else b = m; }
    counts[j] = a - lo - 1; // the candidate itself is one of them
  }
  return counts;
}

/**
 * Batch mode: which flows the rule turns benign (1 in the returned mask), judging every model-flagged
 * single-packet flow against all flows of the batch (exact two-sided window). `malicious` is the model's verdict per flow.
 */
export function judgeLoneFlows(flows: ContextFlows, malicious: Malicious, opts: ContextOptions = {}): Uint8Array {
  return judge(flows, malicious, params(opts), null);
}

interface Past { src: KeyedLatestTimes; dst: KeyedLatestTimes; rate: RecentTimes }

function judge(flows: ContextFlows, mal: Malicious, p: Params, past: Past | null): Uint8Array {
  const mask = new Uint8Array(flows.rows);
  const cand = candidates(flows, mal);
  if (cand.length === 0) return mask;
  const bySrc = sideCounts(flows, flows.src, mal, cand, p.w);
  const byDst = sideCounts(flows, flows.dst, mal, cand, p.w);
  // the rate rule's corroborators are the candidates themselves (flagged single-packet flows)
  const candTimes = new Float64Array(cand.length);
  for (let j = 0; j < cand.length; j++) candTimes[j] = flows.time[cand[j]];
  candTimes.sort();
  for (let j = 0; j < cand.length; j++) {
    const i = cand[j], t = flows.time[i];
    let s = bySrc[j], d = byDst[j];
    if (past) {
      if (s < p.k) s += past.src.count(flows.src[i], t - p.w, t + p.w);
      if (d < p.k) d += past.dst.count(flows.dst[i], t - p.w, t + p.w);
    }
    if (s >= p.k || d >= p.k) continue;
    if (p.rateK > 0) {
      let r = countInRange(candTimes, t - p.rateW, t + p.rateW) - 1; // minus the flow itself
      if (past && r < p.rateK) r += past.rate.count(t - p.rateW, t + p.rateW);
      if (r >= p.rateK) continue;
    }
    mask[i] = 1;
  }
  return mask;
}

/** How many values of the sorted array lie in [lo, hi]. */
function countInRange(a: Float64Array, lo: number, hi: number): number {
  const from = lowerBound(a, 0, a.length, lo);
  let x = from, y = a.length;
  while (x < y) { const m = (x + y) >>> 1; if (a[m] <= hi) x = m + 1; else y = m; }
  return x - from;
}

// ---- streaming ------------------------------------------------------------------------------

/**
 * The rate rule's memory in streaming mode: the start times of the last `size` flagged single-packet
 * flows in arrival order (a ring; flows arrive roughly in time order, and `size` = rate K is all the
 * rule asks about).
 */
class RecentTimes {
  private times: Float64Array;
  private filled = 0;
  private next = 0;

  constructor(readonly size: number) { this.times = new Float64Array(size); }

  clear(): void { this.filled = 0; this.next = 0; }

  record(t: number): void {
    if (this.size === 0) return;
    this.times[this.next] = t;
    this.next = (this.next + 1) % this.size;
    if (this.filled < this.size) this.filled++;
  }

  count(lo: number, hi: number): number {
    let n = 0;
    for (let i = 0; i < this.filled; i++) if (this.times[i] >= lo && this.times[i] <= hi) n++;
    return n;
  }
}

export interface ContextStats {
  /** flows seen, model-flagged single-packet flows judged, and those turned benign */
  flows: number;
  judged: number;
  suppressed: number;
}

/**
 * Streaming mode: call `judge` (or `applyToVerdicts` / `applyToColumns`) once per batch, in arrival
 * order, after the model. Memory: two histories of at most `maxHosts` hosts × K times each.
 */
export class LoneFlowContext {
  readonly k: number;
  readonly windowSeconds: number;
  readonly stats: ContextStats = { flows: 0, judged: 0, suppressed: 0 };
  private readonly params: Params;
  private readonly src: KeyedLatestTimes;
  private readonly dst: KeyedLatestTimes;
  private readonly rate: RecentTimes;

  constructor(opts: ContextOptions = {}) {
    const p = params(opts);
    this.params = p;
    this.k = p.k;
    this.windowSeconds = p.w;
    this.rate = new RecentTimes(p.rateK);
    const maxHosts = Math.floor(opts.maxHosts ?? DEFAULT_CONTEXT_MAX_HOSTS);
    if (!(maxHosts >= 1)) throw new Error(`context: maxHosts must be at least 1 (got ${opts.maxHosts})`);
    this.src = new KeyedLatestTimes(maxHosts, p.k);
    this.dst = new KeyedLatestTimes(maxHosts, p.k);
  }

  /** Hosts currently remembered per side (each at most maxHosts). */
  get hosts(): { src: number; dst: number } { return { src: this.src.size, dst: this.dst.size }; }

  /** Host slots allocated per side (grow by doubling, never beyond maxHosts). */
  get capacity(): { src: number; dst: number } { return { src: this.src.capacity, dst: this.dst.capacity }; }

  /** Forgets every host (e.g. when a new, unrelated source starts); the stats are kept. */
  reset(): void {
    this.src.clear();
    this.dst.clear();
    this.rate.clear();
  }

  /**
   * Judges one batch against the remembered past and the whole batch, then remembers the batch's
   * corroborating flows. Returns the mask of flows to turn benign; `malicious` is not changed.
   */
  judge(flows: ContextFlows, malicious: Malicious): Uint8Array {
    const mask = judge(flows, malicious, this.params, { src: this.src, dst: this.dst, rate: this.rate });
    this.stats.flows += flows.rows;
    for (let i = 0; i < flows.rows; i++) {
      if (flows.single[i] === 1 && malicious[i] && !Number.isNaN(flows.time[i])) {
        this.stats.judged++;
        this.rate.record(flows.time[i]);
      }
      if (mask[i]) this.stats.suppressed++;
      if (!(flows.single[i] === 1 || malicious[i]) || Number.isNaN(flows.time[i])) continue;
      this.src.record(flows.src[i], flows.time[i]);
      this.dst.record(flows.dst[i], flows.time[i]);
    }
    return mask;
  }

  /** One batch of flow objects and their Verdict objects: turns suppressed verdicts benign in place; returns how many. */
  applyToVerdicts(flows: ArrayLike<unknown>, verdicts: Verdict[], benignLabel: string): number {
    return suppressVerdicts(verdicts, this.judge(contextFlowsFromObjects(flows), verdictFlags(verdicts)), benignLabel);
  }

  /**
   * One batch (FlowColumns, or flow objects: anything else in the array, such as numeric rows, is never
   * judged) and its VerdictColumns: edits the columns in place (see suppressColumns); returns how many.
   */
  applyToColumns(flows: FlowColumns | ArrayLike<unknown>, v: VerdictColumns, benignLabel: string): number {
    const cf = isFlowColumns(flows) ? contextFlowsFromColumns(flows) : contextFlowsFromObjects(flows);
    return suppressColumns(v, this.judge(cf, v.malicious), benignLabel);
  }

  /**
   * applyToColumns for a large message in the Node-RED event loop: the rows go through as successive
   * batches of `sliceRows` (each judged against the remembered past plus itself, as any streaming
   * batch), with `pause()` awaited between them, so 100k flows never hold the loop for one pass
   * (reading the fields alone is ~0.5 µs a flow). Same result as one call per slice.
   */
  async applyToColumnsSliced(flows: FlowColumns | ArrayLike<unknown>, v: VerdictColumns, benignLabel: string, sliceRows: number, pause: () => Promise<void>): Promise<number> {
    const rows = v.rows;
    if (rows <= sliceRows) return this.applyToColumns(flows, v, benignLabel);
    const mask = new Uint8Array(rows);
    const cols = isFlowColumns(flows) ? flows : null;
    for (let from = 0; from < rows; from += sliceRows) {
      if (from > 0) await pause();
      const to = Math.min(rows, from + sliceRows);
      const cf = cols ? contextFlowsFromColumns(cols, from, to) : contextFlowsFromObjects(flows as ArrayLike<unknown>, from, to);
      mask.set(this.judge(cf, v.malicious.subarray(from, to)), from);
    }
    return suppressColumns(v, mask, benignLabel);
  }
}

// ---- applying a mask ------------------------------------------------------------------------

/** A verdict this stage may have turned benign. */
export type ContextVerdict = Verdict & { suppressed?: string };

export function verdictFlags(verdicts: ReadonlyArray<Verdict>): Uint8Array {
  const m = new Uint8Array(verdicts.length);
  for (let i = 0; i < verdicts.length; i++) m[i] = verdicts[i].malicious ? 1 : 0;
  return m;
}

/**
 * Turns masked verdicts benign in place: `malicious` false, `label` the benign label with its own
 * probability as `confidence`; `attackProbability` and `probabilities` stay the model's. Returns the count.
 */
export function suppressVerdicts(verdicts: ContextVerdict[], mask: Uint8Array, benignLabel: string): number {
  let n = 0;
  for (let i = 0; i < verdicts.length; i++) {
    if (!mask[i]) continue;
    const v = verdicts[i];
    v.malicious = false;
    v.label = benignLabel;
    v.confidence = v.probabilities[benignLabel] ?? 1 - v.attackProbability;
    v.suppressed = SUPPRESSED_SINGLE_PACKET;
    n++;
  }
  return n;
}

/**
 * Batch mode over a whole input (a capture or a CSV): judges the flows against each other and turns
 * the uncorroborated single-packet verdicts benign in place; returns how many.
 */
export function suppressLoneVerdicts(flows: ArrayLike<unknown>, verdicts: ContextVerdict[], benignLabel: string, opts: ContextOptions = {}): number {
  return suppressVerdicts(verdicts, judgeLoneFlows(contextFlowsFromObjects(flows), verdictFlags(verdicts), opts), benignLabel);
}

/** The columnar twin of suppressVerdicts; also sets `suppressed` (1 per suppressed row) on the columns. */
export function suppressColumns(v: VerdictColumns & { suppressed?: Uint8Array }, mask: Uint8Array, benignLabel: string): number {
  const b = v.labels.indexOf(benignLabel);
  if (b < 0) throw new Error(`context: '${benignLabel}' is not one of the model's labels`);
  const C = v.labels.length;
  let n = 0;
  for (let i = 0; i < v.rows; i++) {
    if (!mask[i] || !v.malicious[i]) continue;
    v.malicious[i] = 0;
    v.label[i] = b;
    v.confidence[i] = v.probabilities[i * C + b];
    v.detections--;
    n++;
  }
  v.suppressed = mask;
  return n;
}
