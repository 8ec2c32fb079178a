/**
 * Reading the 5-tuple and timing out of a flow object. Flow objects map a flow-meter profile's
 * column names to values, and the reference tools disagree on names (`Src IP` in CICFlowMeter-4,
 * `Source IP` in the CIC-IDS2017 CSVs, `src_ip` in the Python port), so each field has aliases.
 */
export type FlowObject = Record<string, unknown>;

const ALIASES = {
  srcIp: ['Src IP', 'Source IP', 'src_ip', 'src', 'srcIp'],
  dstIp: ['Dst IP', 'Destination IP', 'dst_ip', 'dst', 'dstIp'],
  srcPort: ['Src Port', 'Source Port', 'src_port', 'srcPort'],
  dstPort: ['Dst Port', 'Destination Port', 'dst_port', 'dstPort'],
  proto: ['Protocol', 'protocol', 'proto'],
  timestamp: ['Timestamp', 'timestamp', 'ts'],
  flowId: ['Flow ID', 'flow_id', 'flow'],
  durationUs: ['Flow Duration', 'flow_duration'],
  fwdPkts: ['Total Fwd Packet', 'Total Fwd Packets', 'tot_fwd_pkts', 'Tot Fwd Pkts'],
  bwdPkts: ['Total Bwd packets', 'Total Backward Packets', 'Total Bwd Packets', 'tot_bwd_pkts', 'Tot Bwd Pkts'],
  fwdBytes: ['Total Length of Fwd Packet', 'Total Length of Fwd Packets', 'totlen_fwd_pkts', 'TotLen Fwd Pkts'],
  bwdBytes: ['Total Length of Bwd Packet', 'Total Length of Bwd Packets', 'totlen_bwd_pkts', 'TotLen Bwd Pkts'],
} as const;

export type FlowField = keyof typeof ALIASES;

// Each alias also in the leading-space form some CIC-IDS2017 CSV headers have (` Source IP`).
const LOOKUP: Record<FlowField, readonly string[]> = Object.fromEntries(
  Object.entries(ALIASES).map(([k, names]) => [k, [...names, ...names.map((n) => ' ' + n)]]),
) as unknown as Record<FlowField, readonly string[]>;

/** First present value among a field's aliases. */
export function flowField(flow: FlowObject, field: FlowField): unknown {
  const names = LOOKUP[field];
  for (let i = 0; i < names.length; i++) {
    const v = flow[names[i]];
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

export function flowString(flow: FlowObject, field: FlowField): string | undefined {
  const v = flowField(flow, field);
  return v === undefined ? undefined : String(v);
}

export function flowNumber(flow: FlowObject, field: FlowField): number | undefined {
  const v = flowField(flow, field);
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : Number(String(v).trim());
  return Number.isFinite(n) ? n : undefined;
}

const PROTO_NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'IPv6-ICMP', 132: 'SCTP', 47: 'GRE' };

/** Suricata writes the protocol as a name when it knows one, otherwise the number as a string. */
export function protoName(v: unknown): string {
  if (v === undefined) return '0';
  const n = Number(v);
  if (Number.isInteger(n)) return PROTO_NAMES[n] ?? String(n);
  return String(v).toUpperCase();
}

// CICFlowMeter's `dd/MM/yyyy hh:mm:ss a` (12 h with AM/PM) and the 24 h variant without it.
const CIC_TS = /^(\d{1,2})\/(\d{1,2})\/(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?\s*([AaPp][Mm])?$/;

/**
 * Flow start in milliseconds since the epoch, or undefined. Numbers are read by magnitude
 * (seconds, milliseconds or microseconds); CICFlowMeter text timestamps are read as UTC because
 * the tool prints local time without a zone and the capture host's zone is unknown.
 */
export function parseFlowTimestamp(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (v instanceof Date) return Number.isFinite(v.getTime()) ? v.getTime() : undefined;
  if (typeof v === 'number' || typeof v === 'bigint' || (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()))) {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) return undefined;
    if (n > 1e14) return n / 1000; // µs
    if (n > 1e11) return n; // ms
    return n * 1000; // s
  }
  const s = String(v).trim();
  const m = CIC_TS.exec(s);
  if (m) {
    let hour = Number(m[4]);
    const ampm = m[8]?.toUpperCase();
    if (ampm === 'PM' && hour < 12) hour += 12;
    if (ampm === 'AM' && hour === 12) hour = 0;
    const frac = m[7] ? Number(m[7].padEnd(6, '0')) / 1000 : 0;
    return Date.UTC(Number(m[3]), Number(m[2]) - 1, Number(m[1]), hour, Number(m[5]), Number(m[6])) + frac;
  }
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
}

/** Suricata's EVE timestamp: `2017-07-05T19:46:12.000123+0000` (µs, numeric zone). */
let cachedSecond = NaN;
let cachedPrefix = '';
export function eveTimestamp(ms: number): string {
  const whole = Math.floor(ms);
  const second = Math.floor(whole / 1000);
  // Records come in bursts within the same second: format the date part once per second.
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 19); // 2017-07-05T19:46:12
  }
  const micro = (whole - second * 1000) * 1000 + Math.min(999, Math.round((ms - whole) * 1000));
  return `${cachedPrefix}.${String(micro).padStart(6, '0')}+0000`;
}
