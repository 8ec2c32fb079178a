/**
 * Normalize mode 'prototype': the Python DeepMAD prototype's preprocessing (its norrm.py), reproduced
 * exactly for users who must feed its trained model (MNAD-DNN.h5) or compare with its HDF5 files.
 * Compatible, not recommended: use the persisted-scaler mode ('scaler') for anything new.
 *
 * What the prototype did to a batch of PRC flow rows (one flowmeter CSV):
 *   1. ±inf → NaN, then drop every row that has a NaN anywhere;
 *   2. delete 29 columns (PROTOTYPE_DROPPED_COLUMNS), keeping 55 in PRC order;
 *   3. per column, with the min and max of *this batch*: (x − min) / (max − min) × 225 — 225, not 255 —
 *      then `astype('uint8', errors='ignore')`, which truncates toward zero; a column that is constant
 *      in the batch is 0/0 = NaN everywhere, the cast fails and the column stays float64 NaN;
 *   4. rename the columns to CIC-IDS2017-like names (PROTOTYPE_COLUMN_NAMES) and store with pandas.
 * Our output: the 55 renamed columns as uint8 with constant columns written as 0 and flagged in
 * `constantColumns` (the HDF5 "pandas table (prototype)" layout writes those back as float64 NaN, as the
 * prototype stored them). Rows dropped in step 1 are removed from the batch and its trace.
 */
import { registerNormalizeMode, type Normalizer, type NormalizeOptions } from './normalizer.js';
import { extractTrace, type NormalizedBatch } from './rows.js';
import { toNumber, type FlowRecord } from './columns.js';

/** The 29 PRC columns the prototype deleted before scaling (norrm.py `rm_col`). */
export const PROTOTYPE_DROPPED_COLUMNS: readonly string[] = [
  'src_port', 'mean_bpktl', 'bpsh_cnt', 'total_bpktl', 'mean_active_s', 'max_active_s', 'downUpRatio', 'flow', 'src', 'dst',
  'protocol', 'timestamp', 'std_biat', 'furg_cnt', 'burg_cnt', 'total_bhlen', 'flow_cwr', 'flow_ece', 'std_active_s',
  'min_active_s', 'fAvgBytesPerBulk', 'fAvgPacketsPerBulk', 'bAvgPacketsPerBulk', 'fAvgBulkRate', 'bAvgBytesPerBulk',
  'bAvgBulkRate', 'mean_biat', 'min_biat', 'label',
];

/** The 55 PRC columns the prototype kept, in its (PRC) order — the model's input order. */
export const PROTOTYPE_FEATURE_COLUMNS: readonly string[] = [
  'dst_port', 'duration', 'total_fpackets', 'total_bpackets', 'total_fpktl', 'min_fpktl', 'max_fpktl', 'mean_fpktl',
  'std_fpktl', 'min_bpktl', 'max_bpktl', 'std_bpktl', 'flowBytesPerSecond', 'flowPktsPerSecond', 'mean_flowiat',
  'std_flowiat', 'max_flowiat', 'min_flowiat', 'total_fiat', 'mean_fiat', 'std_fiat', 'max_fiat', 'min_fiat',
  'total_biat', 'max_biat', 'fpsh_cnt', 'total_fhlen', 'fPktsPerSecond', 'bPktsPerSecond', 'min_flowpktl',
  'max_flowpktl', 'mean_flowpktl', 'std_flowpktl', 'var_flowpktl', 'flow_fin', 'flow_syn', 'flow_rst', 'flow_psh',
  'flow_ack', 'flow_urg', 'avgPacketSize', 'fAvgSegmentSize', 'bAvgSegmentSize', 'fSubFlowAvgPkts', 'fSubFlowAvgBytes',
  'bSubFlowAvgPkts', 'bSubFlowAvgBytes', 'fInitWinSize', 'bInitWinSize', 'fDataPkts', 'fHeaderSizeMin', 'mean_idle_s',
  'std_idle_s', 'max_idle_s', 'min_idle_s',
];

/** The prototype's renaming (norrm.py `col_rename`): PRC name → stored name, for the 55 kept columns. */
export const PROTOTYPE_RENAME: Readonly<Record<string, string>> = {
  dst_port: 'Destination Port', duration: 'Duration', total_fpackets: 'Total Fwd Packets', total_bpackets: 'Total Backward Packets',
  total_fpktl: 'Total Length of Fwd Packets', min_fpktl: 'Fwd Packet Length Min', max_fpktl: 'Fwd Packet Length Max',
  mean_fpktl: 'Fwd Packet Length Mean', std_fpktl: 'Fwd Packet Length Std', min_bpktl: 'Bwd Packet Length Min',
  max_bpktl: 'Bwd Packet Length Max', std_bpktl: 'Bwd Packet Length Std', flowBytesPerSecond: 'Flow Bytes/s',
  flowPktsPerSecond: 'Flow Packets/s', mean_flowiat: 'Flow IAT Mean', std_flowiat: 'Flow IAT Std', max_flowiat: 'Flow IAT Max',
  min_flowiat: 'Flow IAT Min', total_fiat: 'Fwd IAT Total', mean_fiat: 'Fwd IAT Mean', std_fiat: 'Fwd IAT Std',
  max_fiat: 'Fwd IAT Max', min_fiat: 'Fwd IAT Min', total_biat: 'Bwd IAT Total', max_biat: 'Bwd IAT Max',
  fpsh_cnt: 'Fwd PSH Flags', total_fhlen: 'Fwd Header Length', fPktsPerSecond: 'Fwd Packets/s', bPktsPerSecond: 'Bwd Packets/s',
  min_flowpktl: 'Min Packet Length', max_flowpktl: 'Max Packet Length', mean_flowpktl: 'Mean Packet Length',
  std_flowpktl: 'Packet Length Std', var_flowpktl: 'Packet Length Variance', flow_fin: 'FIN Flag Count',
  flow_syn: 'SYN Flag Count', flow_rst: 'RST Flag Count', flow_psh: 'PSH Flag Count', flow_ack: 'ACK Flag Count',
  flow_urg: 'URG Flag Count', avgPacketSize: 'Average Packet Size', fAvgSegmentSize: 'Avg Fwd Segment Size',
  bAvgSegmentSize: 'Avg Bwd Segment Size', fSubFlowAvgPkts: 'Subflow Fwd Packets', fSubFlowAvgBytes: 'Subflow Fwd Bytes',
  bSubFlowAvgPkts: 'Subflow Bwd Packets', bSubFlowAvgBytes: 'Subflow Bwd Bytes', fInitWinSize: 'Init_Win_bytes_forward',
  bInitWinSize: 'Init_Win_bytes_backward', fDataPkts: 'act_data_pkt_fwd', fHeaderSizeMin: 'Min Header size_forward',
  mean_idle_s: 'Idle Mean', std_idle_s: 'Idle Std', max_idle_s: 'Idle Max', min_idle_s: 'Idle Min',
};

/** The 55 stored (renamed) column names in model-input order, as in the prototype's normed_data.h5. */
export const PROTOTYPE_MODEL_COLUMNS: readonly string[] = PROTOTYPE_FEATURE_COLUMNS.map((c) => PROTOTYPE_RENAME[c]);

/** The prototype's scale factor (its README says 255; its code multiplies by 225). */
export const PROTOTYPE_SCALE = 225;

/** A batch from the prototype mode: constant-in-batch columns are 0 in `data` and true here. */
export interface PrototypeNormalizedBatch extends NormalizedBatch {
  constantColumns: boolean[];
  /** how many incoming rows were dropped because some cell was NaN or ±Infinity */
  droppedRows: number;
  /** position of each output row in the incoming batch (pandas keeps these as the frame index) */
  sourceRows: number[];
}

export function isPrototypeBatch(b: NormalizedBatch): b is PrototypeNormalizedBatch {
  return Array.isArray((b as Partial<PrototypeNormalizedBatch>).constantColumns);
}

/** Looks a PRC column up in a flow, accepting the PRC name or the prototype's renamed name. */
function cell(flow: FlowRecord, prc: string): unknown {
  if (prc in flow) return flow[prc];
  return flow[PROTOTYPE_RENAME[prc]];
}

/** pandas' dropna after inf→NaN: a row goes when any numeric cell is not finite (strings are kept). */
function rowIsFinite(flow: FlowRecord): boolean {
  for (const k in flow) {
    const v = flow[k];
    if (typeof v === 'number' && !Number.isFinite(v)) return false;
    if (v === null || v === undefined) return false;
  }
  return true;
}

/** Applies the prototype's per-batch preprocessing to PRC flow rows. */
export function prototypeNormalize(flows: readonly FlowRecord[]): PrototypeNormalizedBatch {
  const sourceRows: number[] = [];
  flows.forEach((f, i) => { if (rowIsFinite(f)) sourceRows.push(i); });
  const kept = sourceRows.map((i) => flows[i]);
  const F = PROTOTYPE_FEATURE_COLUMNS.length;
  const n = kept.length;
  if (n > 0) {
    const missing = PROTOTYPE_FEATURE_COLUMNS.filter((c) => !(c in kept[0]) && !(PROTOTYPE_RENAME[c] in kept[0]));
    if (missing.length) {
      throw new Error(`normalize mode 'prototype' needs flows from the 'prc' flow-meter profile; missing ${missing.length} column(s): ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', …' : ''}`);
    }
  }
  const m = new Float64Array(n * F);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < F; j++) {
      const v = cell(kept[r], PROTOTYPE_FEATURE_COLUMNS[j]);
      m[r * F + j] = typeof v === 'number' ? v : toNumber(v);
    }
  }
  const data = new Uint8Array(n * F);
  const constantColumns = new Array<boolean>(F).fill(n > 0);
  for (let j = 0; j < F; j++) {
    let min = Infinity;
    let max = -Infinity;
    for (let r = 0; r < n; r++) {
      const v = m[r * F + j];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const range = max - min;
    if (!(range > 0)) continue; // 0/0: NaN in the prototype, kept as 0 here and flagged
    constantColumns[j] = false;
    for (let r = 0; r < n; r++) {
      // same operation order as pandas: ((x - min) / (max - min)) * 225, then a truncating cast
      const y = ((m[r * F + j] - min) / range) * PROTOTYPE_SCALE;
      data[r * F + j] = Math.trunc(y);
    }
  }
  return {
    columns: [...PROTOTYPE_MODEL_COLUMNS], rows: n, data, trace: extractTrace(kept), mode: 'prototype',
    constantColumns, droppedRows: flows.length - n, sourceRows,
  };
}

class PrototypeNormalizer implements Normalizer {
  readonly mode = 'prototype';
  readonly columns: readonly string[] = PROTOTYPE_MODEL_COLUMNS;
  normalize(flows: readonly FlowRecord[]): PrototypeNormalizedBatch { return prototypeNormalize(flows); }
  scaler(): null { return null; }
  save(): boolean { return false; }
}

registerNormalizeMode({
  name: 'prototype',
  summary: 'DeepMAD prototype: drop its 29 columns, per-batch min-max × 225, uint8 (compatible, not recommended)',
  create(_options: NormalizeOptions) { return new PrototypeNormalizer(); },
});
