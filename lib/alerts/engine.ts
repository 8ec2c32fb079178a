/**
 * The alert engine: classified flows in, EVE alert records out.
 *
 * Policy: benign labels, low-confidence verdicts and allowlisted addresses raise nothing. For the
 * rest, the first flow of a (source, destination, class) key raises a record at once; further flows
 * of that key inside `windowMs` are only counted and leave as one aggregate record (`deepmad.count`
 * = how many) when the window closes. New keys are budgeted per window (`maxNewKeysPerWindow`):
 * past the budget (a spoofed flood, a scan) flows go into one overflow aggregate per class that
 * keeps the heaviest sources and targets. So records per window are bounded by about
 * 2 × budget + classes, memory by `maxKeys`, and every malicious flow is counted in exactly one
 * record: the sum of `deepmad.count` over all records equals `stats.alerted`.
 */
import { Allowlist } from './allowlist.js';
import { ClassPolicy, ClassPolicyOptions } from './classes.js';
import { ClassifiedFlow, EveAlert, FlowVerdict, buildEveAlert, readVerdict } from './eve.js';
import { eveTimestamp } from './flow-fields.js';
import { TopK } from './topk.js';

export interface AlertEngineOptions {
  classes?: ClassPolicyOptions;
  /** Addresses/CIDRs whose flows never alert (either end of the flow). */
  allowlist?: string | string[];
  /** Verdicts below this confidence are ignored (0..1). Default 0. */
  minConfidence?: number;
  /** Aggregation window in ms; 0 turns aggregation off (one record per malicious flow). Default 60 s. */
  windowMs?: number;
  /** New (source, destination, class) keys allowed per window before overflow. Default 1000. */
  maxNewKeysPerWindow?: number;
  /** Hard bound on keys held at once; the oldest is closed early when reached. Default 10000. */
  maxKeys?: number;
  /** Copy the flow features into first-sighting records. Default true. */
  includeFeatures?: boolean;
  /** Sensor name written as EVE `host`. */
  host?: string;
  now?: () => number;
}

export interface AlertStats {
  flows: number;
  benign: number;
  allowlisted: number;
  lowConfidence: number;
  invalid: number;
  /** Malicious flows that are (or will be, once aggregated) counted in a record. */
  alerted: number;
  records: number;
  /** Records that stand for more than their first flow (aggregates and overflow). */
  aggregates: number;
  overflowFlows: number;
  pendingKeys: number;
  byClass: Record<string, number>;
}

interface KeyWindow {
  opened: number;
  template: EveAlert;
  suppressed: number;
  firstMs: number;
  lastMs: number;
  maxConfidence: number;
}

interface OverflowBucket {
  opened: number;
  template: EveAlert;
  count: number;
  firstMs: number;
  lastMs: number;
  maxConfidence: number;
  sources: TopK;
  targets: TopK;
}

export class AlertEngine {
  readonly policy: ClassPolicy;
  readonly allowlist: Allowlist;
  private readonly windowMs: number;
  private readonly maxNew: number;
  private readonly maxKeys: number;
  private readonly minConfidence: number;
  private readonly now: () => number;
  private readonly keys = new Map<string, KeyWindow>();
  private readonly overflow = new Map<string, OverflowBucket>();
  private budgetOpened = -Infinity;
  private budgetUsed = 0;
  readonly stats: AlertStats = {
    flows: 0, benign: 0, allowlisted: 0, lowConfidence: 0, invalid: 0, alerted: 0,
    records: 0, aggregates: 0, overflowFlows: 0, pendingKeys: 0, byClass: {},
  };

  constructor(private readonly opts: AlertEngineOptions = {}) {
    this.policy = new ClassPolicy(opts.classes);
    this.allowlist = Allowlist.parse(opts.allowlist);
    this.windowMs = Math.max(0, opts.windowMs ?? 60_000);
    this.maxNew = Math.max(1, opts.maxNewKeysPerWindow ?? 1000);
    this.maxKeys = Math.max(1, opts.maxKeys ?? 10_000);
    this.minConfidence = opts.minConfidence ?? 0;
    this.now = opts.now ?? Date.now;
  }

  /** Feed one flow or a batch; returns the records raised now (first sightings and closed windows). */
  process(input: ClassifiedFlow | ClassifiedFlow[], source?: string): EveAlert[] {
    const out: EveAlert[] = [];
    const now = this.now();
    this.expire(now, out);
    const flows = Array.isArray(input) ? input : [input];
    for (const flow of flows) this.one(flow, now, source, out);
    this.stats.pendingKeys = this.keys.size + this.overflow.size;
    return out;
  }

  /** Close windows that have run out; call on a timer so quiet keys still report their counts. */
  tick(): EveAlert[] {
    const out: EveAlert[] = [];
    this.expire(this.now(), out);
    this.stats.pendingKeys = this.keys.size + this.overflow.size;
    return out;
  }

  /** Close every open window (end of a capture, shutdown). */
  flush(): EveAlert[] {
    const out: EveAlert[] = [];
    this.expire(Infinity, out);
    this.stats.pendingKeys = 0;
    return out;
  }

  private one(flow: ClassifiedFlow, now: number, source: string | undefined, out: EveAlert[]): void {
    this.stats.flows++;
    const v = readVerdict(flow, now);
    if (!v) { this.stats.invalid++; return; }
    // The classifier's own verdict (`malicious`, from its card's benign labels and threshold) wins over names.
    const verdict = (flow as { malicious?: unknown }).malicious;
    if (verdict === false || (verdict !== true && this.policy.isBenign(v.label))) { this.stats.benign++; return; }
    if (v.confidence < this.minConfidence) { this.stats.lowConfidence++; return; }
    if (this.allowlist.size > 0 && (this.allowlist.match(v.srcIp) || this.allowlist.match(v.dstIp))) {
      this.stats.allowlisted++;
      return;
    }
    this.stats.alerted++;
    this.stats.byClass[v.label] = (this.stats.byClass[v.label] ?? 0) + 1;
    if (this.windowMs === 0) { this.emit(this.build(flow, v, source), out); return; }

    const key = `${v.srcIp}\u0000${v.dstIp}\u0000${v.label}`;
    const win = this.keys.get(key);
    if (win) {
      win.suppressed++;
      if (v.startMs < win.firstMs) win.firstMs = v.startMs;
      if (v.startMs > win.lastMs) win.lastMs = v.startMs;
      if (v.confidence > win.maxConfidence) win.maxConfidence = v.confidence;
      return;
    }
    if (now - this.budgetOpened >= this.windowMs) { this.budgetOpened = now; this.budgetUsed = 0; }
    if (this.budgetUsed >= this.maxNew) { this.toOverflow(flow, v, now, source); return; }
    this.budgetUsed++;
    if (this.keys.size >= this.maxKeys) {
      const oldest = this.keys.keys().next().value as string;
      this.closeKey(oldest, this.keys.get(oldest)!, out);
    }
    const rec = this.build(flow, v, source);
    this.emit(rec, out);
    this.keys.set(key, {
      opened: now, template: slim(rec), suppressed: 0, firstMs: v.startMs, lastMs: v.startMs, maxConfidence: v.confidence,
    });
  }

  private toOverflow(flow: ClassifiedFlow, v: FlowVerdict, now: number, source: string | undefined): void {
    this.stats.overflowFlows++;
    let b = this.overflow.get(v.label);
    if (!b) {
      b = {
        opened: now, template: slim(this.build(flow, v, source)), count: 0, firstMs: v.startMs, lastMs: v.startMs,
        maxConfidence: v.confidence, sources: new TopK(50), targets: new TopK(50),
      };
      this.overflow.set(v.label, b);
    }
    b.count++;
    if (v.startMs < b.firstMs) b.firstMs = v.startMs;
    if (v.startMs > b.lastMs) b.lastMs = v.startMs;
    if (v.confidence > b.maxConfidence) b.maxConfidence = v.confidence;
    b.sources.add(v.srcIp);
    b.targets.add(v.dstIp);
  }

  private expire(now: number, out: EveAlert[]): void {
    // Map order is opening order, so the expired windows are a prefix.
    for (const [key, win] of this.keys) {
      if (now - win.opened < this.windowMs) break;
      this.closeKey(key, win, out);
    }
    for (const [label, b] of this.overflow) {
      if (now - b.opened < this.windowMs) continue;
      this.overflow.delete(label);
      const rec = aggregateOf(b.template, b.count, b.firstMs, b.lastMs, b.maxConfidence);
      const sources = b.sources.top(10).map(({ key, count }) => ({ ip: key, count }));
      const targets = b.targets.top(10).map(({ key, count }) => ({ ip: key, count }));
      // An overflow record names its heaviest pair so EVE consumers still have a src/dest.
      if (sources.length) rec.src_ip = sources[0].ip;
      if (targets.length) rec.dest_ip = targets[0].ip;
      rec.deepmad.overflow = true;
      rec.deepmad.top_sources = sources;
      rec.deepmad.top_targets = targets;
      this.emit(rec, out);
    }
  }

  private closeKey(key: string, win: KeyWindow, out: EveAlert[]): void {
    this.keys.delete(key);
    if (win.suppressed > 0) this.emit(aggregateOf(win.template, win.suppressed, win.firstMs, win.lastMs, win.maxConfidence), out);
  }

  private build(flow: ClassifiedFlow, v: FlowVerdict, source: string | undefined): EveAlert {
    return buildEveAlert(flow, v, { policy: this.policy, host: this.opts.host, source, includeFeatures: this.opts.includeFeatures });
  }

  private emit(rec: EveAlert, out: EveAlert[]): void {
    this.stats.records++;
    if (rec.deepmad.aggregated) this.stats.aggregates++;
    out.push(rec);
  }
}

/** A template without the bulky per-flow parts, kept while a window is open. */
function slim(rec: EveAlert): EveAlert {
  const { features: _f, probabilities: _p, ...deepmad } = rec.deepmad;
  return { ...rec, alert: { ...rec.alert }, flow: { ...rec.flow }, deepmad: { ...deepmad } };
}

function aggregateOf(t: EveAlert, count: number, firstMs: number, lastMs: number, maxConfidence: number): EveAlert {
  const last = eveTimestamp(lastMs);
  return {
    ...t,
    timestamp: last,
    alert: { ...t.alert, confidence: Math.round(maxConfidence * 10000) / 10000 },
    flow: { ...t.flow },
    deepmad: { ...t.deepmad, count, aggregated: true, first_seen: eveTimestamp(firstMs), last_seen: last },
  };
}
