/**
 * NormalizedBatch: what the normalize stage emits and the HDF5 writer and the classifier consume.
 * One uint8 matrix (row-major, rows × columns) plus, per row, the identity of the flow it came
 * from, so every stored or classified row can be traced back to addresses, ports and time.
 */
import { columnKey, toNumber, type FlowRecord } from './columns.js';

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

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

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
  for (let i = 0; i < n; i++) {
    const f = flows[i];
    t.flowId[i] = keys.flowId ? str(f[keys.flowId]) : '';
    t.timestamp[i] = keys.timestamp ? str(f[keys.timestamp]) : '';
    t.srcIp[i] = keys.srcIp ? str(f[keys.srcIp]) : '';
    t.dstIp[i] = keys.dstIp ? str(f[keys.dstIp]) : '';
    t.srcPort[i] = keys.srcPort ? toNumber(f[keys.srcPort]) | 0 : 0;
    t.dstPort[i] = keys.dstPort ? toNumber(f[keys.dstPort]) | 0 : 0;
    t.protocol[i] = keys.protocol ? protocolNumber(f[keys.protocol]) | 0 : 0;
    if (t.label) t.label[i] = str(f[keys.label as string]);
  }
  return t;
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
