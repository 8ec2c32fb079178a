/**
 * `improved` (default): the corrected CICFlowMeter of Engelen, Rimmer & Joosen (WTMC 2021) with
 * later community fixes (J-engelen, spec §10). The "improved CIC-IDS2017" labelled flows were made
 * with it. Reference: ../shared/reference/cicflowmeter-java-engelen/.
 */
import { timestampIso } from '../format.js';
import type { FlowProfile } from '../profile.js';
import { CIC_ORDER, columns, type ColumnSpec } from './columns.js';
import { MASTER_HEADERS } from './cicflowmeter-4.js';

/** Engelen's printing differs from J-master's for these columns (doubles where master prints longs). */
const DOUBLES = new Set([
  'fwd_byts_b_avg', 'fwd_pkts_b_avg', 'fwd_blk_rate_avg', 'bwd_byts_b_avg', 'bwd_pkts_b_avg', 'bwd_blk_rate_avg',
  'subflow_fwd_pkts', 'subflow_fwd_byts', 'subflow_bwd_pkts', 'subflow_bwd_byts',
]);

function specs(): ColumnSpec[] {
  const out: ColumnSpec[] = [];
  CIC_ORDER.forEach(([src, fmt], i) => {
    out.push([MASTER_HEADERS[i], src, DOUBLES.has(src) ? 'd' : fmt]);
    // the fork's extra columns sit after their forward twins (spec §5)
    if (src === 'bwd_urg_flags') out.push(['Fwd RST Flags', 'fwd_rst_flags', 'l'], ['Bwd RST Flags', 'bwd_rst_flags', 'l']);
    if (src === 'fwd_act_data_pkts') out.push(['Bwd Act Data Pkts', 'bwd_act_data_pkts', 'l']);
    if (src === 'fwd_seg_size_min') out.push(['Bwd Seg Size Min', 'bwd_seg_size_min', 'l']);
  });
  out.push(
    ['ICMP Code', 'icmp_code', 'l'], ['ICMP Type', 'icmp_type', 'l'],
    ['Fwd TCP Retrans. Count', 'fwd_tcp_retrans_cnt', 'l'], ['Bwd TCP Retrans. Count', 'bwd_tcp_retrans_cnt', 'l'],
    ['Total TCP Retrans. Count', 'tot_tcp_retrans_cnt', 'l'], ['Total Connection Flow Time', 'total_connection_flow_time', 'l'],
    ['Label', '=NeedManualLabel', 'd'],
  );
  return out;
}

export const improved: FlowProfile = {
  name: 'improved',
  description: 'Corrected CICFlowMeter (Engelen et al. 2021): FIN/RST end a flow only at the next SYN, every packet ' +
    'counted for flags and bulks, single-packet flows written, ICMP type/code, retransmission counters',
  behaviour: {
    tcpClose: 'mark-until-syn',
    emitSinglePacketFlows: true,
    timeoutRestartCountsForward: false,
    synAckReversesDirection: true,
    sameHostSplit: false,
    icmpKeepsProtocol: true,
    flagCountsFirstPacketOnly: false,
    pshUrgFirstPacketOnly: false,
    flowLengthFirstPacketTwice: false,
    actDataSkipsFirstPacket: false,
    initBwdWindow: 'first-nonzero',
    initWindowDefault: 0,
    closingPacketSkipsActiveIdle: false,
    bulk: 'per-direction',
    subflow: 'gaps-float',
    downUpInteger: false,
    zeroDurationFlowRate: 'minus-one',
    payloadFromCapturedBytes: true,
    countRetransmissions: true,
  },
  columns: columns(specs()),
  formatTimestamp: timestampIso,
  formatFlowId: (id) => `${id.srcIp}-${id.dstIp}-${id.srcPort}-${id.dstPort}-${id.protocol}`,
  timeScale: 1,
};
