/**
 * `cic-ids2017`: the CICFlowMeter behaviour closest to the V3 jar that made CIC-IDS2017 /
 * CSE-CIC-IDS2018 (J-2018, spec §10), with the exact V3 CSV header: leading blanks and the
 * duplicated `Fwd Header Length` (#62). Reference: ../shared/reference/cicflowmeter-java-legacy-2018/.
 */
import { formatIp, timestampJava12h } from '../format.js';
import type { FlowIdentity, FlowProfile } from '../profile.js';
import { CIC_ORDER, columns, type ColumnSpec } from './columns.js';

/** V3 names as printed (spec §5, a leading blank where the CSVs have one), #1–#84 without #62. */
const V3 = [
  'Flow ID', ' Source IP', ' Source Port', ' Destination IP', ' Destination Port', ' Protocol', ' Timestamp',
  ' Flow Duration', ' Total Fwd Packets', ' Total Backward Packets', 'Total Length of Fwd Packets',
  ' Total Length of Bwd Packets', ' Fwd Packet Length Max', ' Fwd Packet Length Min', ' Fwd Packet Length Mean',
  ' Fwd Packet Length Std', 'Bwd Packet Length Max', ' Bwd Packet Length Min', ' Bwd Packet Length Mean',
  ' Bwd Packet Length Std', 'Flow Bytes/s', ' Flow Packets/s', ' Flow IAT Mean', ' Flow IAT Std', ' Flow IAT Max',
  ' Flow IAT Min', 'Fwd IAT Total', ' Fwd IAT Mean', ' Fwd IAT Std', ' Fwd IAT Max', ' Fwd IAT Min', 'Bwd IAT Total',
  ' Bwd IAT Mean', ' Bwd IAT Std', ' Bwd IAT Max', ' Bwd IAT Min', 'Fwd PSH Flags', ' Bwd PSH Flags', ' Fwd URG Flags',
  ' Bwd URG Flags', ' Fwd Header Length', ' Bwd Header Length', 'Fwd Packets/s', ' Bwd Packets/s',
  ' Min Packet Length', ' Max Packet Length', ' Packet Length Mean', ' Packet Length Std', ' Packet Length Variance',
  'FIN Flag Count', ' SYN Flag Count', ' RST Flag Count', ' PSH Flag Count', ' ACK Flag Count', ' URG Flag Count',
  ' CWE Flag Count', ' ECE Flag Count', ' Down/Up Ratio', ' Average Packet Size', ' Avg Fwd Segment Size',
  ' Avg Bwd Segment Size', 'Fwd Avg Bytes/Bulk', ' Fwd Avg Packets/Bulk', ' Fwd Avg Bulk Rate',
  ' Bwd Avg Bytes/Bulk', ' Bwd Avg Packets/Bulk', 'Bwd Avg Bulk Rate', 'Subflow Fwd Packets', ' Subflow Fwd Bytes',
  ' Subflow Bwd Packets', ' Subflow Bwd Bytes', 'Init_Win_bytes_forward', ' Init_Win_bytes_backward',
  ' act_data_pkt_fwd', ' min_seg_size_forward', 'Active Mean', ' Active Std', ' Active Max', ' Active Min',
  'Idle Mean', ' Idle Std', ' Idle Max', ' Idle Min',
];

/**
 * J-2018 prints the eight flag counters in HashMap order (spec §6.10, confirmed on the reference
 * output): the column labelled FIN holds RST, SYN holds PSH, RST holds ECE, PSH holds SYN,
 * ACK holds ACK, URG holds FIN, CWE holds URG, ECE holds CWR.
 */
const FLAG_PERMUTATION: Record<string, string> = {
  fin_flag_cnt: 'rst_flag_cnt', syn_flag_cnt: 'psh_flag_cnt', rst_flag_cnt: 'ece_flag_cnt',
  psh_flag_cnt: 'syn_flag_cnt', ack_flag_cnt: 'ack_flag_cnt', urg_flag_cnt: 'fin_flag_cnt',
  cwr_flag_cnt: 'urg_flag_cnt', ece_flag_cnt: 'cwr_flag_cnt',
};

function specs(): ColumnSpec[] {
  const out: ColumnSpec[] = [];
  CIC_ORDER.forEach(([src, fmt], i) => {
    out.push([V3[i], FLAG_PERMUTATION[src] ?? src, fmt]);
    // #62: V3 prints the forward header length a second time after Avg Bwd Segment Size
    if (src === 'bwd_seg_size_avg') out.push([' Fwd Header Length', 'fwd_header_len', 'l']);
  });
  out.push([' Label', '=No Label', 'd']);
  return out;
}

/** J-2018's Flow ID: the two addresses ordered by signed-byte comparison, ports following their address. */
function flowId(id: FlowIdentity): string {
  let srcFirst = true;
  if (id.ipVersion === 4) {
    const a = id.srcWords[0] >>> 0, b = id.dstWords[0] >>> 0;
    for (let sh = 24; sh >= 0; sh -= 8) {
      const x = ((a >>> sh) << 24) >> 24, y = ((b >>> sh) << 24) >> 24; // as Java bytes
      if (x !== y) { srcFirst = x < y; break; }
    }
  }
  return srcFirst
    ? `${id.srcIp}-${id.dstIp}-${id.srcPort}-${id.dstPort}-${id.protocol}`
    : `${id.dstIp}-${id.srcIp}-${id.dstPort}-${id.srcPort}-${id.protocol}`;
}

export const cicIds2017: FlowProfile = {
  name: 'cic-ids2017',
  description: 'CICFlowMeter as used for CIC-IDS2017/CSE-CIC-IDS2018 (2018 code tree): first-FIN termination, ' +
    'first-packet flags in permuted columns, zero bulks, Subflow = totals, V3 header with leading blanks',
  behaviour: {
    tcpClose: 'first-fin',
    emitSinglePacketFlows: false,
    timeoutRestartCountsForward: true,
    synAckReversesDirection: false,
    sameHostSplit: true,
    icmpKeepsProtocol: false,
    flagCountsFirstPacketOnly: true,
    pshUrgFirstPacketOnly: true,
    flowLengthFirstPacketTwice: true,
    actDataSkipsFirstPacket: true,
    initBwdWindow: 'last',
    initWindowDefault: -1,
    closingPacketSkipsActiveIdle: true,
    bulk: 'off',
    subflow: 'totals',
    downUpInteger: true,
    zeroDurationFlowRate: 'infinity',
    payloadFromCapturedBytes: true,
    countRetransmissions: false,
  },
  columns: columns(specs()),
  formatTimestamp: (us) => timestampJava12h(us, false),
  formatFlowId: flowId,
  timeScale: 1,
};

export { formatIp };
