/**
 * Suricata EVE JSON alert records. Field names and shapes follow Suricata's `eve.json`
 * (event_type "alert", src/dest naming, `alert.{action,gid,signature_id,rev,signature,category,
 * severity}`, `flow.{pkts_toserver,…}`), so Evebox, Filebeat's suricata module, Wazuh and Graylog
 * read them unchanged. DeepMAD-specific data lives in `alert.confidence`/`alert.model` and in a
 * `deepmad` object that EVE consumers ignore.
 */
import { SIGNATURE_FIELD } from '../capture/payload-tells.js';
import { ClassPolicy, Severity } from './classes.js';
import { FlowObject, eveTimestamp, flowNumber, flowString, parseFlowTimestamp, protoName, flowField } from './flow-fields.js';

export interface EveAlert {
  timestamp: string;
  flow_id: number;
  in_iface?: string;
  event_type: 'alert';
  src_ip: string;
  src_port: number;
  dest_ip: string;
  dest_port: number;
  proto: string;
  host?: string;
  alert: {
    action: 'allowed';
    gid: number;
    signature_id: number;
    rev: number;
    signature: string;
    category: string;
    severity: Severity;
    confidence: number;
    model: string;
  };
  flow: {
    pkts_toserver: number;
    pkts_toclient: number;
    bytes_toserver: number;
    bytes_toclient: number;
    start: string;
    end?: string;
  };
  deepmad: {
    label: string;
    /** Flows this record stands for: 1 for a first sighting, N for an aggregate. */
    count: number;
    aggregated: boolean;
    first_seen: string;
    last_seen: string;
    source?: string;
    /** Why the rules stage made this verdict (a behaviour rule or a payload signature), when it did. */
    escalated?: string;
    /** A model alert the rules stage named after its payload signature: the model's own label, and why (`payload signature: …`). */
    model_label?: string;
    relabelled?: string;
    /** The flow's payload signature labels (lib/capture/payload-tells.ts), when it has one. */
    payload_signature?: string;
    probabilities?: unknown;
    /** The flow's features as the flow meter produced them (first sightings only). */
    features?: FlowObject;
    /** Aggregates over many keys (overflow): the heaviest sources and targets. */
    overflow?: boolean;
    top_sources?: Array<{ ip: string; count: number }>;
    top_targets?: Array<{ ip: string; count: number }>;
  };
}

/** A flow object plus the classifier's verdict (CONTRIBUTING "Classified flows"). */
export interface ClassifiedFlow extends FlowObject {
  label?: unknown;
  confidence?: unknown;
  probabilities?: unknown;
  model?: unknown;
}

export interface FlowVerdict {
  label: string;
  confidence: number;
  model: string;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  proto: string;
  startMs: number;
}

/** Pull the verdict and 5-tuple out of a classified flow; undefined when it has no label or addresses. */
export function readVerdict(flow: ClassifiedFlow, nowMs: number): FlowVerdict | undefined {
  if (flow === null || typeof flow !== 'object') return undefined;
  const label = flow.label === undefined || flow.label === null ? '' : String(flow.label).trim();
  const srcIp = flowString(flow, 'srcIp');
  const dstIp = flowString(flow, 'dstIp');
  if (!label || !srcIp || !dstIp) return undefined;
  const conf = Number(flow.confidence);
  return {
    label,
    confidence: Number.isFinite(conf) ? conf : 1,
    model: flow.model === undefined || flow.model === null ? '' : String(flow.model),
    srcIp,
    dstIp,
    srcPort: flowNumber(flow, 'srcPort') ?? 0,
    dstPort: flowNumber(flow, 'dstPort') ?? 0,
    proto: protoName(flowField(flow, 'proto')),
    startMs: parseFlowTimestamp(flowField(flow, 'timestamp')) ?? nowMs,
  };
}

/**
 * Suricata's flow_id is a 64-bit hash of the flow; we hash the 5-tuple plus the start time into
 * 53 bits so it stays an exact JSON number and is the same for a flow's first and aggregate records.
 */
export function flowIdOf(v: Pick<FlowVerdict, 'srcIp' | 'dstIp' | 'srcPort' | 'dstPort' | 'proto' | 'startMs'>): number {
  const key = `${v.srcIp}|${v.srcPort}|${v.dstIp}|${v.dstPort}|${v.proto}|${Math.floor(v.startMs)}`;
  // Two 32-bit FNV-1a lanes with different offsets in one pass; 21 + 32 bits.
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x01000193) >>> 0;
  }
  return (b & 0x1fffff) * 0x100000000 + a;
}

const round4 = (x: number) => Math.round(x * 10000) / 10000;

export interface EveBuildOptions {
  policy: ClassPolicy;
  host?: string;
  source?: string;
  includeFeatures?: boolean;
}

// the verdict's keys (set by the classifier and the post-model stages; `malicious` by deepmad detect), not flow features
const VERDICT_KEYS = new Set(['label', 'confidence', 'probabilities', 'model', 'malicious', 'suppressed', 'escalated', 'modelLabel', 'relabelled']);

const nonEmpty = (x: unknown): string | undefined => (typeof x === 'string' && x !== '' ? x : undefined);

export function buildEveAlert(flow: ClassifiedFlow, v: FlowVerdict, opts: EveBuildOptions): EveAlert {
  const durationUs = flowNumber(flow, 'durationUs');
  const start = eveTimestamp(v.startMs);
  // A verdict the rules stage made (escalated) or named (relabelled: a model alert called after its
  // payload signature) is a rule match, not a model's: the signature text says which.
  const escalated = nonEmpty(flow.escalated);
  const relabelled = nonEmpty(flow.relabelled);
  const payloadSignature = flow[SIGNATURE_FIELD];
  const rec: EveAlert = {
    timestamp: start,
    flow_id: flowIdOf(v),
    event_type: 'alert',
    src_ip: v.srcIp,
    src_port: v.srcPort,
    dest_ip: v.dstIp,
    dest_port: v.dstPort,
    proto: v.proto,
    alert: {
      action: 'allowed',
      gid: 1,
      signature_id: opts.policy.signatureId(v.label),
      rev: 1,
      signature: `DeepMAD ${escalated || relabelled ? 'rule' : 'ML'} ${v.label}`,
      category: opts.policy.category(v.label),
      severity: opts.policy.severity(v.label),
      confidence: round4(v.confidence),
      model: v.model,
    },
    flow: {
      pkts_toserver: flowNumber(flow, 'fwdPkts') ?? 0,
      pkts_toclient: flowNumber(flow, 'bwdPkts') ?? 0,
      bytes_toserver: flowNumber(flow, 'fwdBytes') ?? 0,
      bytes_toclient: flowNumber(flow, 'bwdBytes') ?? 0,
      start,
    },
    deepmad: { label: v.label, count: 1, aggregated: false, first_seen: start, last_seen: start },
  };
  if (durationUs !== undefined && durationUs >= 0) rec.flow.end = eveTimestamp(v.startMs + durationUs / 1000);
  if (opts.host) rec.host = opts.host;
  if (opts.source) {
    rec.deepmad.source = opts.source;
    if (opts.source.startsWith('iface:')) rec.in_iface = opts.source.slice(6);
  }
  if (escalated) rec.deepmad.escalated = escalated;
  if (relabelled) {
    const modelLabel = nonEmpty(flow.modelLabel);
    if (modelLabel) rec.deepmad.model_label = modelLabel;
    rec.deepmad.relabelled = relabelled;
  }
  if (typeof payloadSignature === 'string' && payloadSignature !== '') rec.deepmad.payload_signature = payloadSignature;
  if (flow.probabilities !== undefined) rec.deepmad.probabilities = flow.probabilities;
  if (opts.includeFeatures !== false) {
    const features: FlowObject = {};
    for (const k of Object.keys(flow)) if (!VERDICT_KEYS.has(k)) features[k] = flow[k];
    rec.deepmad.features = features;
  }
  return rec;
}
