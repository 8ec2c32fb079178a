/**
 * NormalizedBatch: what the normalize stage emits and the HDF5 writer and the classifier consume.
 * One uint8 matrix (row-major, rows × columns) plus, per row, the identity of the flow it came
 * from, so every stored or classified row can be traced back to addresses, ports and time.
 */
import { columnKey, toNumber, type FlowRecord } from './columns.js';
import { attachIdent, defineLazy, identOf, IDENT_FIELDS, lazyIntact, type FlowColumns } from './flow-columns.js';

export interface RowTrace {
  flowId: string[];
  /** The flow's Timestamp cell as the flow meter printed it ('' when absent). */
  timestamp: string[];
  srcIp: string[];
  dstIp: string[];
  srcPort: Int32Array;
  dstPort: Int32Array;
  /** IP protocol number (names such as 'TCP' are mapped to numbers). */
  protocol: Int32Array;
  /** Label per row when the flows carry one (labelled CSVs, classified flows), else null. */
  label: string[] | null;
}

export interface NormalizedBatch {
  /** Feature column names, in model input order. */
  columns: string[];
  rows: number;
  /** rows × columns.length uint8 values, row-major. */
  data: Uint8Array;
  trace: RowTrace;
  /** How the values were scaled: the mode name ('scaler', 'online', 'batch', …). */
  mode: string;
}

const PROTOCOL_NUMBERS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58, ipv6icmp: 58, sctp: 132, gre: 47 };

function protocolNumber(v: unknown): number {
  const n = toNumber(v);
  if (Number.isFinite(n)) return n;
  return typeof v === 'string' ? PROTOCOL_NUMBERS[columnKey(v)] ?? 0 : 0;
}

/** Column keys (see `columnKey`) that carry each trace field, in every dialect we know. */
const TRACE_ALIASES = {
  flowId: ['flowid', 'flow'],
  timestamp: ['timestamp'],
  srcIp: ['srcip', 'sourceip', 'src'],
  dstIp: ['dstip', 'destinationip', 'dst'],
  srcPort: ['srcport', 'sourceport'],
  dstPort: ['dstport', 'destinationport'],
  protocol: ['protocol'],
  label: ['label'],
} as const;

type TraceField = keyof typeof TRACE_ALIASES;

/** Finds, in a sample flow, the actual property name of each trace field (undefined when absent). */
export function traceKeys(sample: FlowRecord): Record<TraceField, string | undefined> {
  const byKey = new Map<string, string>();
  for (const name of Object.keys(sample)) {
    const k = columnKey(name);
    if (!byKey.has(k)) byKey.set(k, name);
  }
  const out = {} as Record<TraceField, string | undefined>;
  for (const field of Object.keys(TRACE_ALIASES) as TraceField[]) {
    out[field] = TRACE_ALIASES[field].map((a) => byKey.get(a)).find((x) => x !== undefined);
  }
  return out;
}

type TraceReader = (f: FlowRecord, t: RowTrace, i: number, num: (v: unknown) => number, proto: (v: unknown) => number) => void;
const traceReaders = new Map<string, TraceReader>();

/**
 * A trace reader for one set of property names, generated once (named loads stay monomorphic on
 * same-shaped flows; see normalizer.ts). Keys enter the source only through JSON.stringify.
 */
function traceReader(keys: Record<TraceField, string | undefined>): TraceReader {
  const id = JSON.stringify(keys);
  let r = traceReaders.get(id);
  if (!r) {
    const get = (k: string | undefined) => (k === undefined ? 'undefined' : `f[${JSON.stringify(k)}]`);
    const s = (field: string, k: string | undefined) =>
      k === undefined ? `t.${field}[i] = '';` : `v = ${get(k)}; t.${field}[i] = typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);`;
    const n = (field: string, k: string | undefined, conv: string) =>
      k === undefined ? '' : `v = ${get(k)}; t.${field}[i] = (typeof v === 'number' ? v : ${conv}(v)) | 0;`;
    const body = [
      'let v;',
      s('flowId', keys.flowId), s('timestamp', keys.timestamp), s('srcIp', keys.srcIp), s('dstIp', keys.dstIp),
      n('srcPort', keys.srcPort, 'num'), n('dstPort', keys.dstPort, 'num'), n('protocol', keys.protocol, 'proto'),
      keys.label === undefined ? '' : `if (t.label) { ${s('label', keys.label)} }`,
    ].join('\n');
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    r = new Function('f', 't', 'i', 'num', 'proto', body) as TraceReader;
    if (traceReaders.size > 64) traceReaders.clear();
    traceReaders.set(id, r);
  }
  return r;
}

/** Extracts the trace of each flow. */
export function extractTrace(flows: readonly FlowRecord[]): RowTrace {
  const n = flows.length;
  const keys = n > 0 ? traceKeys(flows[0]) : ({} as Record<TraceField, string | undefined>);
  const t: RowTrace = {
    flowId: new Array<string>(n),
    timestamp: new Array<string>(n),
    srcIp: new Array<string>(n),
    dstIp: new Array<string>(n),
    srcPort: new Int32Array(n),
    dstPort: new Int32Array(n),
    protocol: new Int32Array(n),
    label: keys.label !== undefined ? new Array<string>(n) : null,
  };
  if (n === 0) return t;
  const read = traceReader(keys);
  for (let i = 0; i < n; i++) read(flows[i], t, i, toNumber, protocolNumber);
  return t;
}

/**
 * The trace of a columnar batch: the text columns are taken as they are (no copy), ports and
 * protocol are read from the numeric matrix. Same result as `extractTrace` on its flow objects.
 */
export function traceFromColumns(fc: FlowColumns): RowTrace {
  const n = fc.rows;
  const keys = traceKeys(columnsSample(fc));
  const c = fc.columns.length;
  const numIdx = (k: string | undefined): number => (k === undefined ? -1 : fc.columns.indexOf(k));
  const strings = (k: string | undefined): string[] => {
    if (k === undefined) return new Array<string>(n).fill('');
    const t = fc.text[k];
    if (t) return t.length === n ? t : t.slice(0, n);
    const i = numIdx(k);
    const out = new Array<string>(n);
    for (let r = 0; r < n; r++) out[r] = String(fc.values[r * c + i]);
    return out;
  };
  const ints = (k: string | undefined, conv: (v: unknown) => number): Int32Array => {
    const out = new Int32Array(n);
    if (k === undefined) return out;
    const i = numIdx(k);
    if (i >= 0) for (let r = 0; r < n; r++) out[r] = fc.values[r * c + i] | 0;
    else { const t = fc.text[k]; for (let r = 0; r < n; r++) out[r] = conv(t[r]) | 0; }
    return out;
  };
  // The batch's numeric identity travels on when its lazy identity columns are what the trace takes
  // (see FlowIdent): the trace's fields are then lazy too, reading the batch's columns only on demand.
  const id = identOf(fc);
  const lazy = !!id && IDENT_FIELDS.every((f) => keys[f] === id.names[f] && lazyIntact(fc.text, id.names[f], id));
  const t: RowTrace = {
    flowId: lazy ? [] : strings(keys.flowId), timestamp: lazy ? [] : strings(keys.timestamp),
    srcIp: lazy ? [] : strings(keys.srcIp), dstIp: lazy ? [] : strings(keys.dstIp),
    srcPort: ints(keys.srcPort, toNumber), dstPort: ints(keys.dstPort, toNumber), protocol: ints(keys.protocol, protocolNumber),
    label: keys.label !== undefined ? strings(keys.label) : null,
  };
  if (lazy && id) {
    for (const f of IDENT_FIELDS) defineLazy(t, f, id, () => fc.text[id.names[f]]);
    attachIdent(t, id);
  }
  return t;
}

/**
 * A flow object with the columnar batch's keys (in `order`) and its first row's values: what
 * column choice and name resolution look at, built without converting the batch.
 */
export function columnsSample(fc: FlowColumns): FlowRecord {
  const o: FlowRecord = {};
  const numIdx = new Map(fc.columns.map((n, i) => [n, i]));
  // Lazy identity columns give their row-0 string without being built.
  const id = identOf(fc);
  const first = new Map<string, string>();
  if (id) for (const f of IDENT_FIELDS) if (lazyIntact(fc.text, id.names[f], id)) first.set(id.names[f], id.first[f]);
  const cell = (name: string): unknown => (fc.rows === 0 ? '' : first.has(name) ? first.get(name) : fc.text[name]?.[0]);
  for (const name of fc.order) {
    const i = numIdx.get(name);
    o[name] = i !== undefined ? (fc.rows > 0 ? fc.values[i] : 0) : cell(name);
  }
  // Names missing from `order` (a hand-made batch) still count.
  for (const [name, i] of numIdx) if (!(name in o)) o[name] = fc.rows > 0 ? fc.values[i] : 0;
  for (const name of Object.keys(fc.text)) if (!(name in o)) o[name] = cell(name);
  return o;
}

/** An empty trace for `n` rows (used by readers of files without trace datasets). */
export function emptyTrace(n: number): RowTrace {
  return {
    flowId: new Array<string>(n).fill(''),
    timestamp: new Array<string>(n).fill(''),
    srcIp: new Array<string>(n).fill(''),
    dstIp: new Array<string>(n).fill(''),
    srcPort: new Int32Array(n),
    dstPort: new Int32Array(n),
    protocol: new Int32Array(n),
    label: null,
  };
}

/** Rows as plain objects `{column: value}` (for the debug sidebar and function nodes). */
export function batchToObjects(batch: NormalizedBatch): Record<string, number>[] {
  const { columns, data, rows } = batch;
  const c = columns.length;
  const out = new Array<Record<string, number>>(rows);
  for (let r = 0; r < rows; r++) {
    const o: Record<string, number> = {};
    for (let i = 0; i < c; i++) o[columns[i]] = data[r * c + i];
    out[r] = o;
  }
  return out;
}

/** Returns true when `v` has the NormalizedBatch shape (checked at node boundaries). */
export function isNormalizedBatch(v: unknown): v is NormalizedBatch {
  if (typeof v !== 'object' || v === null) return false;
  const b = v as Partial<NormalizedBatch>;
  return Array.isArray(b.columns) && typeof b.rows === 'number' && b.data instanceof Uint8Array &&
    b.data.length >= b.rows * b.columns.length && typeof b.trace === 'object' && b.trace !== null;
}
