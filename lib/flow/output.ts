/**
 * Converters from a FlowBatch (canonical rows) to a profile's view: plain objects keyed by the
 * trimmed column names (the Node-RED `deepmad/flows` message contract), CSV lines in the reference
 * tool's header and number format, and JSON lines.
 */
import { SIGNATURE_FIELD, signatureText } from '../capture/payload-tells.js';
import { featureIndex, NUM_FEATURES } from './features.js';
import type { FlowBatch } from './flow-batch.js';
import { END_REASON_NAMES } from './flow-batch.js';
import { formatIp, javaDouble, javaLong } from './format.js';
import type { FlowIdentity, FlowProfile, ProfileColumn } from './profile.js';

/** Canonical features that are time spans (scaled by profile.timeScale on output). */
const TIME_SPANS = new Set([
  'flow_duration', 'flow_iat_mean', 'flow_iat_std', 'flow_iat_max', 'flow_iat_min',
  'fwd_iat_tot', 'fwd_iat_mean', 'fwd_iat_std', 'fwd_iat_max', 'fwd_iat_min',
  'bwd_iat_tot', 'bwd_iat_mean', 'bwd_iat_std', 'bwd_iat_max', 'bwd_iat_min',
  'active_mean', 'active_std', 'active_max', 'active_min', 'idle_mean', 'idle_std', 'idle_max', 'idle_min',
  'total_connection_flow_time',
]);

export type FlowValue = number | string;
/** One flow as the profile's columns (trimmed names) → values. */
export type FlowObject = Record<string, FlowValue>;

interface Compiled {
  names: string[];
  headerLine: string;
  kinds: Uint8Array; // 0 feature, 1 flowId, 2 srcIp, 3 srcPort, 4 dstIp, 5 dstPort, 6 protocol, 7 timestamp, 8 constant, 9 derived
  feat: Int32Array;
  scale: Float64Array;
  long: Uint8Array;
  constants: FlowValue[];
  derived: Array<((feature: (name: string) => number, id: FlowIdentity, startUs: number) => FlowValue) | null>;
}

const compiled = new WeakMap<FlowProfile, Compiled>();
const KIND: Record<string, number> = {
  feature: 0, flowId: 1, srcIp: 2, srcPort: 3, dstIp: 4, dstPort: 5, protocol: 6, timestamp: 7, constant: 8, derived: 9,
};

function compile(p: FlowProfile): Compiled {
  let c = compiled.get(p);
  if (c) return c;
  const cols: ProfileColumn[] = p.columns;
  const n = cols.length;
  c = {
    names: cols.map((x) => x.header.trim()),
    headerLine: cols.map((x) => csvCell(x.header)).join(','),
    kinds: new Uint8Array(n), feat: new Int32Array(n).fill(-1), scale: new Float64Array(n).fill(1),
    long: new Uint8Array(n), constants: new Array<FlowValue>(n).fill(''), derived: new Array(n).fill(null),
  };
  cols.forEach((col, i) => {
    c!.kinds[i] = KIND[col.source.kind];
    c!.long[i] = col.format === 'long' ? 1 : 0;
    if (col.source.kind === 'feature') {
      c!.feat[i] = featureIndex(col.source.feature);
      if (TIME_SPANS.has(col.source.feature)) c!.scale[i] = p.timeScale;
    } else if (col.source.kind === 'constant') c!.constants[i] = col.source.value;
    else if (col.source.kind === 'derived') c!.derived[i] = col.source.compute;
  });
  compiled.set(p, c);
  return c;
}

/** Column names of a profile, trimmed (the keys of flow objects). */
export function columnNames(p: FlowProfile): string[] { return compile(p).names.slice(); }

/** The CSV header line exactly as the reference tool prints it (no line break). */
export function csvHeader(p: FlowProfile): string { return compile(p).headerLine; }

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Identity of row r as strings. */
export function flowIdentity(b: FlowBatch, r: number): FlowIdentity {
  const v = b.ipVersion[r];
  return {
    srcIp: formatIp(b.srcAddr, r * 4, v),
    dstIp: formatIp(b.dstAddr, r * 4, v),
    srcPort: b.srcPort[r],
    dstPort: b.dstPort[r],
    protocol: b.protocol[r],
    srcWords: b.srcAddr.subarray(r * 4, r * 4 + 4),
    dstWords: b.dstAddr.subarray(r * 4, r * 4 + 4),
    ipVersion: v,
  };
}

/** A FlowIdentity to refill row after row with fillFlowIdentity (no views or object per flow). */
export function reusableFlowIdentity(): FlowIdentity {
  return { srcIp: '', dstIp: '', srcPort: 0, dstPort: 0, protocol: 0, srcWords: new Uint32Array(4), dstWords: new Uint32Array(4), ipVersion: 4 };
}

/** Overwrites `ident` (from reusableFlowIdentity) with row r's identity: flowIdentity without allocation. */
export function fillFlowIdentity(ident: FlowIdentity, b: FlowBatch, r: number): void {
  const v = b.ipVersion[r];
  const w = r * 4;
  const sw = ident.srcWords as Uint32Array;
  const dw = ident.dstWords as Uint32Array;
  for (let k = 0; k < 4; k++) { sw[k] = b.srcAddr[w + k]; dw[k] = b.dstAddr[w + k]; }
  ident.srcIp = formatIp(b.srcAddr, w, v);
  ident.dstIp = formatIp(b.dstAddr, w, v);
  ident.srcPort = b.srcPort[r];
  ident.dstPort = b.dstPort[r];
  ident.protocol = b.protocol[r];
  ident.ipVersion = v;
}

function featureGetter(b: FlowBatch, r: number): (name: string) => number {
  return (name) => b.features[r * NUM_FEATURES + featureIndex(name)];
}

/** Canonical feature value (µs time spans) of row r. */
export function featureValue(b: FlowBatch, r: number, name: string): number {
  return b.features[r * NUM_FEATURES + featureIndex(name)];
}

export interface ObjectOptions {
  /** Add `Flow End` (eof, fin, rst, timeout, idle, evicted, syn) to every object. */
  includeEndReason?: boolean;
}

/** Flow objects keyed by the profile's trimmed column names; numbers stay numbers (Infinity/NaN kept). */
export function toObjects(b: FlowBatch, p: FlowProfile, opts: ObjectOptions = {}): FlowObject[] {
  if (p.custom) {
    const objs = p.custom.toObjects(b);
    if (opts.includeEndReason) objs.forEach((o, r) => { o['Flow End'] = END_REASON_NAMES[b.endReason[r]]; });
    addSignatures(b, objs);
    return objs;
  }
  const c = compile(p);
  const out: FlowObject[] = new Array(b.count);
  for (let r = 0; r < b.count; r++) {
    const id = flowIdentity(b, r);
    const o: FlowObject = {};
    const base = r * NUM_FEATURES;
    for (let i = 0; i < c.names.length; i++) {
      let v: FlowValue;
      switch (c.kinds[i]) {
        case 0: {
          const x = b.features[base + c.feat[i]] * c.scale[i];
          v = c.long[i] && Number.isFinite(x) ? Math.trunc(x) + 0 : x;
          break;
        }
        case 1: v = p.formatFlowId(id); break;
        case 2: v = id.srcIp; break;
        case 3: v = id.srcPort; break;
        case 4: v = id.dstIp; break;
        case 5: v = id.dstPort; break;
        case 6: v = id.protocol; break;
        case 7: v = p.formatTimestamp(b.startUs[r]); break;
        case 9: v = c.derived[i]!(featureGetter(b, r), id, b.startUs[r]); break;
        default: v = c.constants[i];
      }
      o[c.names[i]] = v;
    }
    if (opts.includeEndReason) o['Flow End'] = END_REASON_NAMES[b.endReason[r]];
    out[r] = o;
  }
  addSignatures(b, out);
  return out;
}

/**
 * The `Payload Signature` field on the flows that have one (absent on the others: the rare flow pays for
 * the extra key, the common one does not). Not in CSV output, which keeps the reference tools' columns.
 */
export function addSignatures(b: FlowBatch, objs: FlowObject[]): void {
  const sig = b.signatures;
  if (sig === undefined) return;
  for (let r = 0; r < b.count; r++) if (sig[r] !== 0) objs[r][SIGNATURE_FIELD] = signatureText(sig[r]);
}

/** CSV lines (each ending in '\n') of a batch, in the profile's number format. */
export function toCsv(b: FlowBatch, p: FlowProfile): string {
  if (p.custom) return p.custom.toCsv(b);
  const c = compile(p);
  const lines: string[] = new Array(b.count);
  const n = c.names.length;
  const cells: string[] = new Array(n);
  for (let r = 0; r < b.count; r++) {
    const base = r * NUM_FEATURES;
    let id: FlowIdentity | null = null;
    for (let i = 0; i < n; i++) {
      const k = c.kinds[i];
      if (k === 0) {
        const x = b.features[base + c.feat[i]] * c.scale[i];
        cells[i] = c.long[i] ? javaLong(x) : javaDouble(x);
        continue;
      }
      if (k === 8) { cells[i] = csvCell(String(c.constants[i])); continue; }
      if (k === 7) { cells[i] = p.formatTimestamp(b.startUs[r]); continue; }
      id ??= flowIdentity(b, r);
      if (k === 9) {
        const v = c.derived[i]!(featureGetter(b, r), id, b.startUs[r]);
        cells[i] = typeof v === 'number' ? (c.long[i] ? javaLong(v) : javaDouble(v)) : csvCell(v);
        continue;
      }
      cells[i] = k === 1 ? p.formatFlowId(id) : k === 2 ? id.srcIp : k === 3 ? String(id.srcPort)
        : k === 4 ? id.dstIp : k === 5 ? String(id.dstPort) : String(id.protocol);
    }
    lines[r] = cells.join(',');
  }
  return b.count ? `${lines.join('\n')}\n` : '';
}

/** JSON lines of the flow objects; non-finite numbers become the strings "Infinity"/"NaN". */
export function toJsonLines(b: FlowBatch, p: FlowProfile, opts: ObjectOptions = {}): string {
  const objs = toObjects(b, p, opts);
  let s = '';
  for (const o of objs) {
    s += JSON.stringify(o, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) + '\n';
  }
  return s;
}
