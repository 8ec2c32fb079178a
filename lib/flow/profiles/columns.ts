import { featureIndex } from '../features.js';
import type { ColumnSource, NumberFormat, ProfileColumn } from '../profile.js';

/**
 * Column lists are written as compact tuples: [header, source, format]. `source` is a canonical
 * feature name (features.ts) or one of the identity keywords below; format: 'l' = Java long,
 * 'd' = Java double. Feature names are checked here, at module load, so a typo fails fast.
 */
export type ColumnSpec = [header: string, source: string, format: 'l' | 'd'];

const IDENTITY = new Set(['flowId', 'srcIp', 'srcPort', 'dstIp', 'dstPort', 'protocol', 'timestamp']);

export function columns(specs: ColumnSpec[]): ProfileColumn[] {
  return specs.map(([header, src, fmt]) => {
    let source: ColumnSource;
    if (IDENTITY.has(src)) source = { kind: src } as ColumnSource;
    else if (src.startsWith('=')) source = { kind: 'constant', value: src.slice(1) };
    else { featureIndex(src); source = { kind: 'feature', feature: src }; }
    const format: NumberFormat = fmt === 'l' ? 'long' : 'double';
    return { header, source, format };
  });
}

/**
 * The 84 CIC feature columns shared by the Java tools, in the spec §5 order, as
 * [canonical feature, default format]. Profiles pair these with their header names.
 */
export const CIC_ORDER: [string, 'l' | 'd'][] = [
  ['flowId', 'd'], ['srcIp', 'd'], ['srcPort', 'l'], ['dstIp', 'd'], ['dstPort', 'l'], ['protocol', 'l'], ['timestamp', 'd'],
  ['flow_duration', 'l'], ['tot_fwd_pkts', 'l'], ['tot_bwd_pkts', 'l'], ['totlen_fwd_pkts', 'd'], ['totlen_bwd_pkts', 'd'],
  ['fwd_pkt_len_max', 'd'], ['fwd_pkt_len_min', 'd'], ['fwd_pkt_len_mean', 'd'], ['fwd_pkt_len_std', 'd'],
  ['bwd_pkt_len_max', 'd'], ['bwd_pkt_len_min', 'd'], ['bwd_pkt_len_mean', 'd'], ['bwd_pkt_len_std', 'd'],
  ['flow_byts_s', 'd'], ['flow_pkts_s', 'd'],
  ['flow_iat_mean', 'd'], ['flow_iat_std', 'd'], ['flow_iat_max', 'd'], ['flow_iat_min', 'd'],
  ['fwd_iat_tot', 'd'], ['fwd_iat_mean', 'd'], ['fwd_iat_std', 'd'], ['fwd_iat_max', 'd'], ['fwd_iat_min', 'd'],
  ['bwd_iat_tot', 'd'], ['bwd_iat_mean', 'd'], ['bwd_iat_std', 'd'], ['bwd_iat_max', 'd'], ['bwd_iat_min', 'd'],
  ['fwd_psh_flags', 'l'], ['bwd_psh_flags', 'l'], ['fwd_urg_flags', 'l'], ['bwd_urg_flags', 'l'],
  ['fwd_header_len', 'l'], ['bwd_header_len', 'l'], ['fwd_pkts_s', 'd'], ['bwd_pkts_s', 'd'],
  ['pkt_len_min', 'd'], ['pkt_len_max', 'd'], ['pkt_len_mean', 'd'], ['pkt_len_std', 'd'], ['pkt_len_var', 'd'],
  ['fin_flag_cnt', 'l'], ['syn_flag_cnt', 'l'], ['rst_flag_cnt', 'l'], ['psh_flag_cnt', 'l'], ['ack_flag_cnt', 'l'],
  ['urg_flag_cnt', 'l'], ['cwr_flag_cnt', 'l'], ['ece_flag_cnt', 'l'],
  ['down_up_ratio', 'd'], ['pkt_size_avg', 'd'], ['fwd_seg_size_avg', 'd'], ['bwd_seg_size_avg', 'd'],
  ['fwd_byts_b_avg', 'l'], ['fwd_pkts_b_avg', 'l'], ['fwd_blk_rate_avg', 'l'],
  ['bwd_byts_b_avg', 'l'], ['bwd_pkts_b_avg', 'l'], ['bwd_blk_rate_avg', 'l'],
  ['subflow_fwd_pkts', 'l'], ['subflow_fwd_byts', 'l'], ['subflow_bwd_pkts', 'l'], ['subflow_bwd_byts', 'l'],
  ['init_fwd_win_byts', 'l'], ['init_bwd_win_byts', 'l'], ['fwd_act_data_pkts', 'l'], ['fwd_seg_size_min', 'l'],
  ['active_mean', 'd'], ['active_std', 'd'], ['active_max', 'd'], ['active_min', 'd'],
  ['idle_mean', 'd'], ['idle_std', 'd'], ['idle_max', 'd'], ['idle_min', 'd'],
];

/** Zip a header list with CIC_ORDER (same length), overriding formats where a profile prints differently. */
export function cicColumns(headers: string[], label: string, formatOverrides: Record<string, 'l' | 'd'> = {}): ProfileColumn[] {
  if (headers.length !== CIC_ORDER.length) throw new Error(`header list has ${headers.length} names, expected ${CIC_ORDER.length}`);
  const specs: ColumnSpec[] = headers.map((h, i) => [h, CIC_ORDER[i][0], formatOverrides[CIC_ORDER[i][0]] ?? CIC_ORDER[i][1]]);
  specs.push([headers.length === 84 && headers[0].startsWith(' ') ? ' Label' : 'Label', `=${label}`, 'd']);
  return columns(specs);
}
