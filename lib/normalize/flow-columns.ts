/**
 * FlowColumns: the columnar form of a batch of flows (the opt-in `deepmad/flows` payload of the
 * flowmeter node's "columns" format). The same cells as the flow objects of the batch, stored as
 * one row-major Float64Array for the numeric columns and one string array per text column, so a
 * 1000-flow batch is a handful of allocations instead of 1000 objects with ~90 properties each.
 * Downstream stages read the matrix directly (normalize gathers its columns, the trace takes the
 * text arrays as they are): no per-flow objects live across the asynchronous message hops.
 *
 * `flowColumnsFromBatch` builds it from the engine's FlowBatch with the profile's column rules;
 * `flowColumnsToObjects` turns it back into the flow objects (a test proves they are identical to
 * lib/flow's `toObjects`).
 */
import { featureIndex, NUM_FEATURES } from '../flow/features.js';
import { END_REASON_NAMES, allocFlowBatch, type FlowBatch } from '../flow/flow-batch.js';
import { SIGNATURE_FIELD, signatureText } from '../capture/payload-tells.js';
import { formatIp, timestampIso } from '../flow/format.js';
import { fillFlowIdentity, reusableFlowIdentity, toObjects } from '../flow/output.js';
import type { FlowIdentity, FlowProfile } from '../flow/profile.js';
import type { FlowRecord } from './columns.js';

export const FLOW_COLUMNS_FORMAT = 'deepmad/flow-columns';

export interface FlowColumns {
  /** Always 'deepmad/flow-columns' (tells it apart from a flow object). */
  format: typeof FLOW_COLUMNS_FORMAT;
  /** Flow-meter profile name ('' when unknown). */
  profile: string;
  rows: number;
  /** Names of the numeric columns (the profile's trimmed column names), in profile order. */
  columns: string[];
  /** rows × columns.length numbers, row-major; the same numbers as the flow objects hold. */
  values: Float64Array;
  /** Text columns (Flow ID, Src IP, Dst IP, Timestamp, string constants, Flow End): name → one string per row. */
  text: Record<string, string[]>;
  /** Every column name, numeric and text, in the order the flow objects list their keys. */
  order: string[];
}

/** True when `v` has the FlowColumns shape (checked at node boundaries). */
export function isFlowColumns(v: unknown): v is FlowColumns {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Partial<FlowColumns>;
  if (c.format !== FLOW_COLUMNS_FORMAT || typeof c.rows !== 'number' || !Array.isArray(c.columns) ||
    !(c.values instanceof Float64Array) || c.values.length < c.rows * c.columns.length ||
    typeof c.text !== 'object' || c.text === null || !Array.isArray(c.order)) return false;
  // Lazy identity columns (accessors) are not read here: reading builds them.
  return Object.keys(c.text).every((k) => {
    const d = Object.getOwnPropertyDescriptor(c.text, k);
    return !!d && (typeof d.get === 'function' || (Array.isArray(d.value) && d.value.length >= (c.rows as number)));
  });
}

/** The flow objects of a columnar batch (keys in `order`), e.g. for the debug sidebar or a function node. */
export function flowColumnsToObjects(fc: FlowColumns): FlowRecord[] {
  const c = fc.columns.length;
  const numIdx = new Map(fc.columns.map((n, i) => [n, i]));
  const out = new Array<FlowRecord>(fc.rows);
  for (let r = 0; r < fc.rows; r++) {
    const o: FlowRecord = {};
    for (const name of fc.order) {
      const i = numIdx.get(name);
      o[name] = i !== undefined ? fc.values[r * c + i] : fc.text[name]?.[r];
    }
    out[r] = o;
  }
  return out;
}

/** Columnar form of flow objects: numeric cells (by the first flow's types) go to the matrix. */
export function flowColumnsFromObjects(flows: readonly FlowRecord[], profile = ''): FlowColumns {
  const order = flows.length > 0 ? Object.keys(flows[0]) : [];
  // The payload-signature field is only on the flows that have one: any flow brings in its column.
  if (!order.includes(SIGNATURE_FIELD) && flows.some((f) => SIGNATURE_FIELD in f)) order.push(SIGNATURE_FIELD);
  const columns = order.filter((k) => typeof flows[0][k] === 'number');
  const textNames = order.filter((k) => typeof flows[0][k] !== 'number');
  const c = columns.length;
  const values = new Float64Array(flows.length * c);
  const text: Record<string, string[]> = {};
  for (const t of textNames) text[t] = new Array<string>(flows.length);
  for (let r = 0; r < flows.length; r++) {
    const f = flows[r];
    for (let i = 0; i < c; i++) { const v = f[columns[i]]; values[r * c + i] = typeof v === 'number' ? v : Number(v); }
    for (const t of textNames) { const v = f[t]; text[t][r] = v === undefined || v === null ? '' : String(v); }
  }
  return { format: FLOW_COLUMNS_FORMAT, profile, rows: flows.length, columns, values, text, order };
}

/**
 * The numbers behind a columnar batch's identity strings, kept beside them as a non-enumerable
 * `ident` property (of the FlowColumns, and of the row trace normalize builds from it). The HDF5
 * writer prints the trace cells straight from these numbers into file memory, so the strings are
 * never built at all on the fast path: those text columns are lazy accessors that print their
 * strings only when something reads them. The numbers are trusted only while the accessors are
 * in place (`lazyIntact`); clones (Node-RED fan-out) read the strings and drop the ident.
 */
export interface FlowIdent {
  srcAddr: Uint32Array; // 4 words per row
  dstAddr: Uint32Array;
  ipVersion: Uint8Array;
  srcPort: Uint16Array;
  dstPort: Uint16Array;
  protocol: Uint8Array;
  startUs: Float64Array;
  /** Timestamps are lib/flow's timestampIso (printed without a string); else this formatter is called. */
  isoTime: boolean;
  formatTimestamp: (us: number) => string;
  /** Column names (in FlowColumns.text) of the flow id (`src-dst-sport-dport-proto`), addresses and timestamp. */
  names: { flowId: string; srcIp: string; dstIp: string; timestamp: string };
  /** Their row-0 strings (what column choice looks at, without building the columns). */
  first: { flowId: string; srcIp: string; dstIp: string; timestamp: string };
  /** The lazy accessors standing for those columns (in `text` and in traces made from it); see `lazyIntact`. */
  getters: Set<() => string[]>;
}

export type IdentField = 'flowId' | 'srcIp' | 'dstIp' | 'timestamp';
export const IDENT_FIELDS: readonly IdentField[] = ['flowId', 'srcIp', 'dstIp', 'timestamp'];

/** The strings of one identity column, printed from the numbers (what the flow meter's objects hold). */
export function identStrings(id: FlowIdent, field: IdentField, rows: number): string[] {
  const out = new Array<string>(rows);
  for (let r = 0; r < rows; r++) out[r] = identString(id, field, r);
  return out;
}

function identString(id: FlowIdent, field: IdentField, r: number): string {
  switch (field) {
    case 'srcIp': return formatIp(id.srcAddr, r * 4, id.ipVersion[r]);
    case 'dstIp': return formatIp(id.dstAddr, r * 4, id.ipVersion[r]);
    case 'timestamp': return id.formatTimestamp(id.startUs[r]);
    default:
      return `${formatIp(id.srcAddr, r * 4, id.ipVersion[r])}-${formatIp(id.dstAddr, r * 4, id.ipVersion[r])}-${id.srcPort[r]}-${id.dstPort[r]}-${id.protocol[r]}`;
  }
}

/**
 * Defines `holder[prop]` as an enumerable accessor that builds its array on first read and keeps it
 * (JSON, cloning, Object.values and plain reads all see an ordinary string array). Assigning to it
 * replaces the accessor by the assigned value, which `lazyIntact` then reports.
 */
export function defineLazy(holder: object, prop: string, id: FlowIdent, build: () => string[]): void {
  let cache: string[] | null = null;
  const get = (): string[] => (cache ??= build());
  id.getters.add(get);
  Object.defineProperty(holder, prop, {
    enumerable: true, configurable: true, get,
    set(v: unknown) { Object.defineProperty(holder, prop, { value: v, writable: true, enumerable: true, configurable: true }); },
  });
}

/** True while `holder[prop]` is still one of the ident's lazy accessors (not replaced by other data). */
export function lazyIntact(holder: object, prop: string, id: FlowIdent): boolean {
  const d = Object.getOwnPropertyDescriptor(holder, prop);
  return !!d && typeof d.get === 'function' && id.getters.has(d.get as () => string[]);
}

export function identOf(x: unknown): FlowIdent | undefined {
  return x && typeof x === 'object' ? (x as { ident?: FlowIdent }).ident : undefined;
}

export function attachIdent<T extends object>(x: T, ident: FlowIdent): T {
  Object.defineProperty(x, 'ident', { value: ident, enumerable: false, configurable: true, writable: true });
  return x;
}

// Column kinds of the fast path.
const K_FEATURE = 0, K_SRC_PORT = 1, K_DST_PORT = 2, K_PROTOCOL = 3, K_NUM_CONST = 4;
const T_FLOW_ID = 0, T_SRC_IP = 1, T_DST_IP = 2, T_TIMESTAMP = 3, T_CONST = 4;

type RowFiller = (F: Float64Array, base: number, V: Float64Array, o: number, b: FlowBatch, r: number, L: (x: number) => number) => void;

interface Plan {
  columns: string[];
  /** Fills one row of the matrix: generated straight-line code, one store per column. */
  fill: RowFiller;
  kind: Uint8Array;
  feat: Int32Array;
  scale: Float64Array;
  long: Uint8Array;
  constant: Float64Array;
  text: Array<{ name: string; kind: number; value: string }>;
  order: string[];
  /** The profile prints flow ids as `src-dst-sport-dport-proto` and has one column each for id, addresses, timestamp. */
  identColumns: { flowId: string; srcIp: string; dstIp: string; timestamp: string } | null;
}

const plans = new WeakMap<FlowProfile, Plan | null>();

/**
 * How each profile column is filled, worked out once per profile. Time-span scales are read off
 * lib/flow's own toObjects on a probe row (every feature = 1e6), so the rule that says which features
 * are time spans stays in lib/flow. Profiles with derived columns or their own writer get no plan.
 */
function planFor(p: FlowProfile): Plan | null {
  if (plans.has(p)) return plans.get(p) as Plan | null;
  let plan: Plan | null = null;
  const custom = (p as { custom?: unknown }).custom;
  if (!custom && p.columns.every((c) => c.source.kind !== 'derived')) {
    const probe = allocFlowBatch(p.name, 1);
    probe.count = 1;
    probe.features.fill(1e6);
    const o = toObjects(probe, p)[0];
    const numeric = p.columns.filter((c) => c.source.kind !== 'flowId' && c.source.kind !== 'srcIp' && c.source.kind !== 'dstIp' &&
      c.source.kind !== 'timestamp' && !(c.source.kind === 'constant' && typeof c.source.value !== 'number'));
    const n = numeric.length;
    plan = {
      fill: () => undefined,
      columns: numeric.map((c) => c.header.trim()), kind: new Uint8Array(n), feat: new Int32Array(n), scale: new Float64Array(n).fill(1),
      long: new Uint8Array(n), constant: new Float64Array(n), text: [], order: p.columns.map((c) => c.header.trim()),
      identColumns: null,
    };
    numeric.forEach((c, i) => {
      const s = c.source;
      if (s.kind === 'feature') {
        plan!.kind[i] = K_FEATURE;
        plan!.feat[i] = featureIndex(s.feature);
        const v = o[c.header.trim()];
        plan!.scale[i] = typeof v === 'number' && v !== 0 ? v / 1e6 : 1;
        plan!.long[i] = c.format === 'long' ? 1 : 0;
      } else if (s.kind === 'srcPort') plan!.kind[i] = K_SRC_PORT;
      else if (s.kind === 'dstPort') plan!.kind[i] = K_DST_PORT;
      else if (s.kind === 'protocol') plan!.kind[i] = K_PROTOCOL;
      else if (s.kind === 'constant') { plan!.kind[i] = K_NUM_CONST; plan!.constant[i] = s.value as number; }
    });
    plan.fill = compileFiller(plan);
    for (const c of p.columns) {
      const s = c.source;
      const kind = s.kind === 'flowId' ? T_FLOW_ID : s.kind === 'srcIp' ? T_SRC_IP : s.kind === 'dstIp' ? T_DST_IP
        : s.kind === 'timestamp' ? T_TIMESTAMP : s.kind === 'constant' && typeof s.value !== 'number' ? T_CONST : -1;
      if (kind >= 0) plan.text.push({ name: c.header.trim(), kind, value: s.kind === 'constant' ? String(s.value) : '' });
    }
    const one = (k: number) => { const t = plan!.text.filter((x) => x.kind === k); return t.length === 1 ? t[0].name : null; };
    const [fid, sip, dip, ts] = [one(T_FLOW_ID), one(T_SRC_IP), one(T_DST_IP), one(T_TIMESTAMP)];
    if (fid && sip && dip && ts && dashFlowIds(p)) plan.identColumns = { flowId: fid, srcIp: sip, dstIp: dip, timestamp: ts };
  }
  plans.set(p, plan);
  return plan;
}

/** True when the profile's flow id is `srcIp-dstIp-srcPort-dstPort-protocol` (checked on an IPv4 and an IPv6 probe). */
function dashFlowIds(p: FlowProfile): boolean {
  const probes: FlowIdentity[] = [
    { srcIp: '10.1.2.3', dstIp: '192.168.200.1', srcPort: 40001, dstPort: 443, protocol: 6, srcWords: Uint32Array.of(0x0a010203, 0, 0, 0), dstWords: Uint32Array.of(0xc0a8c801, 0, 0, 0), ipVersion: 4 },
    { srcIp: '2001:db8::1', dstIp: 'fe80::2', srcPort: 5353, dstPort: 53, protocol: 17, srcWords: Uint32Array.of(0x20010db8, 0, 0, 1), dstWords: Uint32Array.of(0xfe800000, 0, 0, 2), ipVersion: 6 },
  ];
  try {
    return probes.every((id) => p.formatFlowId(id) === `${id.srcIp}-${id.dstIp}-${id.srcPort}-${id.dstPort}-${id.protocol}`);
  } catch {
    return false;
  }
}

/** Java-long view of a feature: truncation toward zero, non-finite values kept (as toObjects). */
const toLong = (x: number): number => (Number.isFinite(x) ? Math.trunc(x) + 0 : x);

/**
 * One row's stores as generated code (a per-cell switch over ~80 columns costs several times more).
 * Only numbers from the plan enter the source.
 */
function compileFiller(plan: Plan): RowFiller {
  const lit = (x: number): string => (Number.isNaN(x) ? 'NaN' : x === Infinity ? 'Infinity' : x === -Infinity ? '-Infinity' : `(${String(x)})`);
  const lines = plan.columns.map((_, i) => {
    let e: string;
    switch (plan.kind[i]) {
      case K_FEATURE: {
        const f = `F[base + ${plan.feat[i] | 0}]`;
        const x = plan.scale[i] === 1 ? f : `${f} * ${lit(plan.scale[i])}`;
        e = plan.long[i] ? `L(${x})` : x;
        break;
      }
      case K_SRC_PORT: e = 'b.srcPort[r]'; break;
      case K_DST_PORT: e = 'b.dstPort[r]'; break;
      case K_PROTOCOL: e = 'b.protocol[r]'; break;
      default: e = lit(plan.constant[i]);
    }
    return `V[o + ${i}] = ${e};`;
  });
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('F', 'base', 'V', 'o', 'b', 'r', 'L', lines.join('\n')) as RowFiller;
}

/**
 * Appends flow rows to a growing FlowColumns of fixed capacity: the flowmeter node fills one per
 * outgoing message straight from the engine's batches, then `take()`s it.
 */
export class FlowColumnsBuilder {
  private rows = 0;
  private values: Float64Array;
  private ident: FlowIdent | null = null;
  private text: Record<string, string[]> = {};
  private readonly plan: Plan | null;
  /** Fallback for profiles without a plan: the flow objects, converted on take(). */
  private objects: FlowRecord[] = [];
  /** The `Payload Signature` column, made when a row has one ('' for the others). */
  private signatures: string[] | null = null;

  constructor(private readonly profile: FlowProfile, readonly capacity: number, private readonly includeEndReason = false) {
    this.plan = planFor(profile);
    this.values = new Float64Array(this.plan ? capacity * this.plan.columns.length : 0);
    this.resetText();
  }

  private newIdent(): FlowIdent | null {
    if (!this.plan?.identColumns) return null;
    const n = this.capacity;
    return {
      srcAddr: new Uint32Array(n * 4), dstAddr: new Uint32Array(n * 4), ipVersion: new Uint8Array(n), srcPort: new Uint16Array(n),
      dstPort: new Uint16Array(n), protocol: new Uint8Array(n), startUs: new Float64Array(n),
      isoTime: this.profile.formatTimestamp === timestampIso, formatTimestamp: this.profile.formatTimestamp,
      names: this.plan.identColumns, first: { flowId: '', srcIp: '', dstIp: '', timestamp: '' }, getters: new Set(),
    };
  }

  get count(): number { return this.rows; }
  get full(): boolean { return this.rows >= this.capacity; }

  private resetText(): void {
    this.text = {};
    if (!this.plan) return;
    // Identity columns are printed lazily from the numbers (see FlowIdent): no arrays for them here.
    for (const t of this.plan.text) if (!this.plan.identColumns || t.kind === T_CONST) this.text[t.name] = new Array<string>(this.capacity);
    if (this.includeEndReason) this.text['Flow End'] = new Array<string>(this.capacity);
  }

  /** Copies rows `from`… of `b` until the builder is full; returns the index of the first row not taken. */
  append(b: FlowBatch, from = 0): number {
    const n = Math.min(b.count - from, this.capacity - this.rows);
    if (n <= 0) return from;
    const plan = this.plan;
    if (!plan) {
      // Profiles with their own writer or derived columns: their objects, converted when taken.
      const objs = toObjects(b, this.profile, { includeEndReason: this.includeEndReason }) as FlowRecord[];
      for (let r = from; r < from + n; r++) this.objects.push(objs[r]);
      this.rows += n;
      return from + n;
    }
    const c = plan.columns.length;
    const fill = plan.fill;
    for (let k = 0; k < n; k++) {
      const r = from + k;
      fill(b.features, r * NUM_FEATURES, this.values, (this.rows + k) * c, b, r, toLong);
    }
    this.appendText(b, from, n, plan);
    const sig = b.signatures;
    if (sig !== undefined) {
      for (let k = 0; k < n; k++) {
        if (sig[from + k] === 0) continue;
        const col = (this.signatures ??= new Array<string>(this.capacity).fill(''));
        col[this.rows + k] = signatureText(sig[from + k]);
      }
    }
    if (plan.identColumns) {
      const id = (this.ident ??= this.newIdent() as FlowIdent);
      const at = this.rows;
      id.srcAddr.set(b.srcAddr.subarray(from * 4, (from + n) * 4), at * 4);
      id.dstAddr.set(b.dstAddr.subarray(from * 4, (from + n) * 4), at * 4);
      id.ipVersion.set(b.ipVersion.subarray(from, from + n), at);
      id.srcPort.set(b.srcPort.subarray(from, from + n), at);
      id.dstPort.set(b.dstPort.subarray(from, from + n), at);
      id.protocol.set(b.protocol.subarray(from, from + n), at);
      id.startUs.set(b.startUs.subarray(from, from + n), at);
    }
    this.rows += n;
    return from + n;
  }

  private appendText(b: FlowBatch, from: number, n: number, plan: Plan): void {
    const p = this.profile;
    // With a numeric identity, only constant text columns are filled here (the others are lazy).
    const list = plan.identColumns ? plan.text.filter((t) => t.kind === T_CONST) : plan.text;
    const needId = list.some((t) => t.kind === T_FLOW_ID || t.kind === T_SRC_IP || t.kind === T_DST_IP);
    // One identity object reused for every row (formatFlowId takes a FlowIdentity).
    const ident = reusableFlowIdentity();
    const cols = list.map((t) => this.text[t.name]);
    const ends = this.includeEndReason ? this.text['Flow End'] : null;
    for (let k = 0; k < n; k++) {
      const r = from + k;
      const at = this.rows + k;
      if (needId) fillFlowIdentity(ident, b, r);
      for (let j = 0; j < cols.length; j++) {
        const t = list[j];
        cols[j][at] = t.kind === T_FLOW_ID ? p.formatFlowId(ident) : t.kind === T_SRC_IP ? ident.srcIp : t.kind === T_DST_IP ? ident.dstIp
          : t.kind === T_TIMESTAMP ? p.formatTimestamp(b.startUs[r]) : t.value;
      }
      if (ends) ends[at] = END_REASON_NAMES[b.endReason[r]];
    }
  }

  /** The rows appended so far as a FlowColumns (arrays cut to the row count); the builder starts empty again. */
  take(): FlowColumns {
    const n = this.rows;
    this.rows = 0;
    if (!this.plan) {
      const objs = this.objects;
      this.objects = [];
      return flowColumnsFromObjects(objs, this.profile.name);
    }
    const c = this.plan.columns.length;
    const full = n === this.capacity;
    const values = full ? this.values : this.values.slice(0, n * c);
    const text: Record<string, string[]> = {};
    for (const [k, a] of Object.entries(this.text)) text[k] = full ? a : a.slice(0, n);
    // The taken arrays belong to the message now; start fresh ones.
    if (full) this.values = new Float64Array(this.capacity * c);
    this.resetText();
    const order = this.includeEndReason ? [...this.plan.order, 'Flow End'] : [...this.plan.order];
    if (this.signatures) {
      text[SIGNATURE_FIELD] = full ? this.signatures : this.signatures.slice(0, n);
      order.push(SIGNATURE_FIELD);
      this.signatures = null;
    }
    const fc: FlowColumns = { format: FLOW_COLUMNS_FORMAT, profile: this.profile.name, rows: n, columns: [...this.plan.columns], values, text, order };
    const id = this.ident;
    const ic = this.plan.identColumns;
    if (id && ic && n > 0) {
      this.ident = null;
      const cut = <T extends Uint32Array | Uint16Array | Uint8Array | Float64Array>(a: T, per = 1): T => (full ? a : a.slice(0, n * per) as T);
      const ident: FlowIdent = {
        srcAddr: cut(id.srcAddr, 4), dstAddr: cut(id.dstAddr, 4), ipVersion: cut(id.ipVersion), srcPort: cut(id.srcPort),
        dstPort: cut(id.dstPort), protocol: cut(id.protocol), startUs: cut(id.startUs), isoTime: id.isoTime, formatTimestamp: id.formatTimestamp,
        names: ic, first: { flowId: '', srcIp: '', dstIp: '', timestamp: '' }, getters: new Set(),
      };
      for (const f of IDENT_FIELDS) {
        ident.first[f] = identString(ident, f, 0);
        defineLazy(text, ic[f], ident, () => identStrings(ident, f, n));
      }
      attachIdent(fc, ident);
    }
    return fc;
  }
}

/** A whole FlowBatch as FlowColumns. */
export function flowColumnsFromBatch(b: FlowBatch, p: FlowProfile, includeEndReason = false): FlowColumns {
  const builder = new FlowColumnsBuilder(p, Math.max(1, b.count), includeEndReason);
  builder.append(b);
  return builder.take();
}
