/**
 * The canonical flow feature schema: one Float64 per feature, in this order, for every finished
 * flow. Profiles map these to their own column names and number formats on output, so the engine
 * computes each feature once whatever the profile. Names are the canonical snake_case names of
 * ../shared/tools/flowdiff.mjs (hieulw's names with `cwr_flag_cnt`), plus the Engelen-fork extras.
 */
export const FEATURE_NAMES = [
  'flow_duration',
  'tot_fwd_pkts', 'tot_bwd_pkts', 'totlen_fwd_pkts', 'totlen_bwd_pkts',
  'fwd_pkt_len_max', 'fwd_pkt_len_min', 'fwd_pkt_len_mean', 'fwd_pkt_len_std',
  'bwd_pkt_len_max', 'bwd_pkt_len_min', 'bwd_pkt_len_mean', 'bwd_pkt_len_std',
  'flow_byts_s', 'flow_pkts_s',
  'flow_iat_mean', 'flow_iat_std', 'flow_iat_max', 'flow_iat_min',
  'fwd_iat_tot', 'fwd_iat_mean', 'fwd_iat_std', 'fwd_iat_max', 'fwd_iat_min',
  'bwd_iat_tot', 'bwd_iat_mean', 'bwd_iat_std', 'bwd_iat_max', 'bwd_iat_min',
  'fwd_psh_flags', 'bwd_psh_flags', 'fwd_urg_flags', 'bwd_urg_flags', 'fwd_rst_flags', 'bwd_rst_flags',
  'fwd_header_len', 'bwd_header_len',
  'fwd_pkts_s', 'bwd_pkts_s',
  'pkt_len_min', 'pkt_len_max', 'pkt_len_mean', 'pkt_len_std', 'pkt_len_var',
  'fin_flag_cnt', 'syn_flag_cnt', 'rst_flag_cnt', 'psh_flag_cnt', 'ack_flag_cnt', 'urg_flag_cnt',
  'cwr_flag_cnt', 'ece_flag_cnt',
  'down_up_ratio', 'pkt_size_avg', 'fwd_seg_size_avg', 'bwd_seg_size_avg',
  'fwd_byts_b_avg', 'fwd_pkts_b_avg', 'fwd_blk_rate_avg', 'bwd_byts_b_avg', 'bwd_pkts_b_avg', 'bwd_blk_rate_avg',
  'subflow_fwd_pkts', 'subflow_fwd_byts', 'subflow_bwd_pkts', 'subflow_bwd_byts',
  'init_fwd_win_byts', 'init_bwd_win_byts',
  'fwd_act_data_pkts', 'bwd_act_data_pkts', 'fwd_seg_size_min', 'bwd_seg_size_min',
  'active_mean', 'active_std', 'active_max', 'active_min',
  'idle_mean', 'idle_std', 'idle_max', 'idle_min',
  'icmp_code', 'icmp_type',
  'fwd_tcp_retrans_cnt', 'bwd_tcp_retrans_cnt', 'tot_tcp_retrans_cnt', 'total_connection_flow_time',
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];
export const NUM_FEATURES = FEATURE_NAMES.length;

const index: Record<string, number> = {};
FEATURE_NAMES.forEach((n, i) => { index[n] = i; });

/** Index of a canonical feature in a flow row. Throws on an unknown name (a profile typo). */
export function featureIndex(name: string): number {
  const i = index[name];
  if (i === undefined) throw new Error(`unknown flow feature '${name}'`);
  return i;
}

/** Feature indices used by the engine when it writes a row (kept in sync with FEATURE_NAMES). */
export const F = Object.freeze(Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, i]))) as {
  readonly [K in FeatureName]: number;
};
