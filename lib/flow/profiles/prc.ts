/**
 * Profile `prc`: the Python DeepMAD prototype's flowmeter (prc-flowmeter 0.2.0, spec §9), made
 * deterministic. Its semantics differ from every CIC profile in kind (frame sizes, seconds, a 100 ms
 * rolling "bulk", absolute times in IAT columns, FIN/RST-only termination…), so it brings its own
 * engine (prc-engine.ts) and row rendering through the profile's `custom` hook; the generic columns
 * below only give the header and the object keys.
 *
 * CSV cells are printed as pandas' to_csv printed PRC's values: Python ints as ints, floats with
 * Python's repr ('368.0', '7.3728e-05'), packet-time arithmetic (scapy's Decimal) with up to 9
 * decimals, the timestamp as 0 and the label as None.
 */
import type { EngineOptions } from '../engine.js';
import type { FlowBatch } from '../flow-batch.js';
import type { FlowObject } from '../output.js';
import type { FlowProfile, ProfileColumn } from '../profile.js';
import { isPrcBatch, PrcEngine, PRC_NUMERIC } from './prc-engine.js';

/** The 84 PRC columns in its CSV order. */
export const PRC_COLUMNS: readonly string[] = [
  'flow', 'src', 'src_port', 'dst', 'dst_port', 'protocol', 'timestamp', 'duration',
  'total_fpackets', 'total_bpackets', 'total_fpktl', 'total_bpktl',
  'min_fpktl', 'max_fpktl', 'mean_fpktl', 'std_fpktl', 'min_bpktl', 'max_bpktl', 'mean_bpktl', 'std_bpktl',
  'flowBytesPerSecond', 'flowPktsPerSecond', 'mean_flowiat', 'std_flowiat', 'max_flowiat', 'min_flowiat',
  'total_fiat', 'mean_fiat', 'std_fiat', 'max_fiat', 'min_fiat', 'total_biat', 'mean_biat', 'std_biat', 'max_biat', 'min_biat',
  'fpsh_cnt', 'bpsh_cnt', 'furg_cnt', 'burg_cnt', 'total_fhlen', 'total_bhlen', 'fPktsPerSecond', 'bPktsPerSecond',
  'min_flowpktl', 'max_flowpktl', 'mean_flowpktl', 'std_flowpktl', 'var_flowpktl',
  'flow_fin', 'flow_syn', 'flow_rst', 'flow_psh', 'flow_ack', 'flow_urg', 'flow_cwr', 'flow_ece',
  'downUpRatio', 'avgPacketSize', 'fAvgSegmentSize', 'bAvgSegmentSize',
  'fAvgBytesPerBulk', 'fAvgPacketsPerBulk', 'fAvgBulkRate', 'bAvgBytesPerBulk', 'bAvgPacketsPerBulk', 'bAvgBulkRate',
  'fSubFlowAvgPkts', 'fSubFlowAvgBytes', 'bSubFlowAvgPkts', 'bSubFlowAvgBytes',
  'fInitWinSize', 'bInitWinSize', 'fDataPkts', 'fHeaderSizeMin',
  'mean_active_s', 'std_active_s', 'max_active_s', 'min_active_s', 'mean_idle_s', 'std_idle_s', 'max_idle_s', 'min_idle_s',
  'label',
];

const STRING_COLUMNS = new Set(['flow', 'src', 'dst', 'protocol', 'label']);
/** The numeric columns, in the order the engine stores them. */
export const PRC_NUMERIC_COLUMNS: readonly string[] = PRC_COLUMNS.filter((c) => !STRING_COLUMNS.has(c));
if (PRC_NUMERIC_COLUMNS.length !== PRC_NUMERIC) throw new Error('prc: numeric column count mismatch');

/** Python's repr of a float (shortest round-trip digits; exponent form below 1e-4 and from 1e16). */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const ax = Math.abs(x);
  if (ax >= 1e-4 && ax < 1e16) {
    // fast path: JS and Python agree on the digits and both use fixed notation in this range
    const js = String(x);
    return js.includes('.') ? js : `${js}.0`;
  }
  const [mant, expStr] = x.toExponential().split('e'); // shortest digits, like repr
  const exp = Number(expStr);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${neg ? '-' : ''}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  let s: string;
  if (exp >= 0) {
    s = digits.length > exp + 1 ? `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}` : `${digits.padEnd(exp + 1, '0')}.0`;
  } else s = `0.${'0'.repeat(-exp - 1)}${digits}`;
  return (neg ? '-' : '') + s;
}

/** A packet-time value (scapy Decimal in PRC): fixed notation, at most 9 decimals, trailing zeros cut. */
function pyDecimal(x: number): string {
  if (x === 0) return '0';
  const s = x.toFixed(9).replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

function formatCell(v: number, kind: number): string {
  if (kind === 0) return String(Math.trunc(v));
  if (kind === 2) return pyDecimal(v);
  return pyFloat(v);
}

function prcObjects(b: FlowBatch): FlowObject[] {
  if (!isPrcBatch(b)) throw new Error("profile 'prc': this flow batch was not made by the prc engine");
  const out: FlowObject[] = new Array(b.count);
  const { values } = b.prc;
  for (let r = 0; r < b.count; r++) {
    const o: FlowObject = {};
    let k = r * PRC_NUMERIC;
    for (const name of PRC_COLUMNS) {
      switch (name) {
        case 'flow': o.flow = b.prc.flow[r]; break;
        case 'src': o.src = b.prc.src[r]; break;
        case 'dst': o.dst = b.prc.dst[r]; break;
        case 'protocol': o.protocol = b.prc.protocol[r]; break;
        case 'label': o.label = 'None'; break;
        default: o[name] = values[k++];
      }
    }
    out[r] = o;
  }
  return out;
}

function prcCsv(b: FlowBatch): string {
  if (!isPrcBatch(b)) throw new Error("profile 'prc': this flow batch was not made by the prc engine");
  const { values, kinds, flow, src, dst, protocol } = b.prc;
  let out = '';
  for (let r = 0; r < b.count; r++) {
    // fixed layout: flow,src,src_port,dst,dst_port,protocol, then numbers, then label
    const k = r * PRC_NUMERIC;
    let line = `${flow[r]},${src[r]},${formatCell(values[k], kinds[k])},${dst[r]},${formatCell(values[k + 1], kinds[k + 1])},${protocol[r]}`;
    for (let j = 2; j < PRC_NUMERIC; j++) line += ',' + formatCell(values[k + j], kinds[k + j]);
    out += line + ',None\n';
  }
  return out;
}

const columns: ProfileColumn[] = PRC_COLUMNS.map((header) => ({ header, source: { kind: 'constant', value: '' }, format: 'double' }));

export const prc: FlowProfile = {
  name: 'prc',
  description: "the Python DeepMAD prototype's prc-flowmeter 0.2.0, deterministic (sequential) reading: frame sizes, seconds, FIN/RST-only termination",
  behaviour: {
    tcpClose: 'first-fin', emitSinglePacketFlows: true, timeoutRestartCountsForward: false, synAckReversesDirection: false,
    sameHostSplit: false, icmpKeepsProtocol: true, flagCountsFirstPacketOnly: false, pshUrgFirstPacketOnly: false,
    flowLengthFirstPacketTwice: false, actDataSkipsFirstPacket: false, initBwdWindow: 'first-nonzero', initWindowDefault: 0,
    closingPacketSkipsActiveIdle: false, bulk: 'off', subflow: 'totals', downUpInteger: false, zeroDurationFlowRate: 'infinity',
    payloadFromCapturedBytes: false, countRetransmissions: false,
  },
  columns,
  formatTimestamp: () => '0',
  formatFlowId: (id) => `${id.srcIp}:${id.srcPort}<->${id.dstIp}:${id.dstPort}`,
  timeScale: 1e-6,
  custom: {
    createEngine: (opts: EngineOptions) => new PrcEngine(opts),
    toObjects: prcObjects,
    toCsv: prcCsv,
  },
};
