/**
 * `cicflowmeter-4`: CICFlowMeter 4.0, the current upstream master (J-master, spec §10), quirks
 * included. Reference: ../shared/reference/cicflowmeter-java-master/.
 */
import { timestampJava12h } from '../format.js';
import type { FlowProfile } from '../profile.js';
import { cicColumns } from './columns.js';

/** J-master header (2020+ names, `CWR`), #1–#84 without the V3 duplicate. */
export const MASTER_HEADERS = [
  'Flow ID', 'Src IP', 'Src Port', 'Dst IP', 'Dst Port', 'Protocol', 'Timestamp', 'Flow Duration',
  'Total Fwd Packet', 'Total Bwd packets', 'Total Length of Fwd Packet', 'Total Length of Bwd Packet',
  'Fwd Packet Length Max', 'Fwd Packet Length Min', 'Fwd Packet Length Mean', 'Fwd Packet Length Std',
  'Bwd Packet Length Max', 'Bwd Packet Length Min', 'Bwd Packet Length Mean', 'Bwd Packet Length Std',
  'Flow Bytes/s', 'Flow Packets/s', 'Flow IAT Mean', 'Flow IAT Std', 'Flow IAT Max', 'Flow IAT Min',
  'Fwd IAT Total', 'Fwd IAT Mean', 'Fwd IAT Std', 'Fwd IAT Max', 'Fwd IAT Min',
  'Bwd IAT Total', 'Bwd IAT Mean', 'Bwd IAT Std', 'Bwd IAT Max', 'Bwd IAT Min',
  'Fwd PSH Flags', 'Bwd PSH Flags', 'Fwd URG Flags', 'Bwd URG Flags', 'Fwd Header Length', 'Bwd Header Length',
  'Fwd Packets/s', 'Bwd Packets/s', 'Packet Length Min', 'Packet Length Max', 'Packet Length Mean',
  'Packet Length Std', 'Packet Length Variance', 'FIN Flag Count', 'SYN Flag Count', 'RST Flag Count',
  'PSH Flag Count', 'ACK Flag Count', 'URG Flag Count', 'CWR Flag Count', 'ECE Flag Count', 'Down/Up Ratio',
  'Average Packet Size', 'Fwd Segment Size Avg', 'Bwd Segment Size Avg', 'Fwd Bytes/Bulk Avg',
  'Fwd Packet/Bulk Avg', 'Fwd Bulk Rate Avg', 'Bwd Bytes/Bulk Avg', 'Bwd Packet/Bulk Avg', 'Bwd Bulk Rate Avg',
  'Subflow Fwd Packets', 'Subflow Fwd Bytes', 'Subflow Bwd Packets', 'Subflow Bwd Bytes', 'FWD Init Win Bytes',
  'Bwd Init Win Bytes', 'Fwd Act Data Pkts', 'Fwd Seg Size Min', 'Active Mean', 'Active Std', 'Active Max',
  'Active Min', 'Idle Mean', 'Idle Std', 'Idle Max', 'Idle Min',
];

export const cicflowmeter4: FlowProfile = {
  name: 'cicflowmeter-4',
  description: 'CICFlowMeter 4.0 (upstream master): per-direction FIN rule with its slip, RST ends flows, ' +
    'first-packet PSH/URG, mixed backward bulk, integer subflows, single-packet flows suppressed',
  behaviour: {
    tcpClose: 'cicflowmeter-4',
    emitSinglePacketFlows: false,
    timeoutRestartCountsForward: true,
    synAckReversesDirection: false,
    sameHostSplit: false,
    icmpKeepsProtocol: false,
    flagCountsFirstPacketOnly: false,
    pshUrgFirstPacketOnly: true,
    flowLengthFirstPacketTwice: true,
    actDataSkipsFirstPacket: true,
    initBwdWindow: 'last',
    initWindowDefault: 0,
    closingPacketSkipsActiveIdle: false,
    bulk: 'mixed-into-bwd',
    subflow: 'gaps-integer',
    downUpInteger: true,
    zeroDurationFlowRate: 'infinity',
    payloadFromCapturedBytes: true,
    countRetransmissions: false,
  },
  columns: cicColumns(MASTER_HEADERS, 'NeedManualLabel'),
  formatTimestamp: (us) => timestampJava12h(us, true),
  formatFlowId: (id) => `${id.srcIp}-${id.dstIp}-${id.srcPort}-${id.dstPort}-${id.protocol}`,
  timeScale: 1,
};
