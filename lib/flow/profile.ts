/**
 * A flow-meter profile: the configuration that makes the one engine reproduce one reference
 * implementation (../shared/spec/flow-features.md §10). Behaviour switches are read once per
 * packet batch into locals, so adding a profile never adds work to the per-packet loop beyond
 * the branches a switch already has. Output (column names, formats, identity columns) is pure
 * data over the canonical feature row (features.ts).
 */

/** How TCP FIN / RST end a flow (spec §4.2, §4.3). */
export type TcpCloseMode =
  /** J-2018: the first FIN of either side is added and ends the flow; RST is not special. */
  | 'first-fin'
  /** J-master: per-direction FIN counters with its `bwd+bwd` slip; RST ends the flow. */
  | 'cicflowmeter-4'
  /** J-engelen: FIN/RST only mark the flow; a later SYN on the same key starts the next flow. */
  | 'mark-until-syn'
  /** The first packet with FIN or RST is added and ends the flow (the prototype's PRC flowmeter, spec §9). */
  | 'first-fin-or-rst'
  /** FIN/RST never end a flow (timeouts and end of input only). */
  | 'none';

/** Per-direction bulk tracking (spec §6.12). */
export type BulkMode = 'off' | 'per-direction' | 'mixed-into-bwd';
/** Subflow columns (spec §6.13). */
export type SubflowMode = 'totals' | 'gaps-integer' | 'gaps-float';

export interface ProfileBehaviour {
  tcpClose: TcpCloseMode;
  /** Flows with a single packet are written (J-engelen) or suppressed (J-2018, J-master). */
  emitSinglePacketFlows: boolean;
  /** J-master/J-2018 timeout restart: the packet that crosses the flow timeout counts as forward. */
  timeoutRestartCountsForward: boolean;
  /** J-engelen: a flow whose first packet is a SYN-ACK takes the receiver as its source. */
  synAckReversesDirection: boolean;
  /** J-2018 canonical key: two directions of same-IP traffic are separate one-way flows. */
  sameHostSplit: boolean;
  /** ICMP (and ICMPv6) keep protocol 1/58 with type/code (J-engelen); otherwise protocol 0 like other non-TCP/UDP. */
  icmpKeepsProtocol: boolean;
  /** All eight flag counters count the first packet only (J-2018). */
  flagCountsFirstPacketOnly: boolean;
  /** Fwd/Bwd PSH and URG counters count the first packet only (J-2018, J-master). */
  pshUrgFirstPacketOnly: boolean;
  /** First packet is inserted twice into the flow packet-length statistic (J-2018, J-master). */
  flowLengthFirstPacketTwice: boolean;
  /** `act_data_pkt_fwd` never tests the first packet (J-2018, J-master). */
  actDataSkipsFirstPacket: boolean;
  /** `Init Bwd Win` is the last backward window (J-2018, J-master) or the first non-zero one (J-engelen). */
  initBwdWindow: 'last' | 'first-nonzero';
  /** Init window value when a direction has no TCP packet / for non-TCP packets (J-2018 −1, others 0). */
  initWindowDefault: number;
  /** The FIN/RST packet that closes a flow skips the active/idle update (J-2018). */
  closingPacketSkipsActiveIdle: boolean;
  bulk: BulkMode;
  subflow: SubflowMode;
  /** Down/Up ratio in integer arithmetic (J-2018, J-master) or floating point (J-engelen). */
  downUpInteger: boolean;
  /** Flow Bytes/s and Flow Packets/s for a zero duration: Java's Infinity/NaN, or J-engelen's −1. */
  zeroDurationFlowRate: 'infinity' | 'minus-one';
  /** Payload lengths are limited to the captured bytes (all Java tools; spec reference README). */
  payloadFromCapturedBytes: boolean;
  /** Compute the J-engelen retransmission counters. */
  countRetransmissions: boolean;
  /**
   * What "packet length" means in the length features: the L4 payload (every CIC tool, default) or the
   * whole frame as captured on the wire (PRC and hieulw, spec §6.3).
   */
  lengthSource?: 'payload' | 'frame';
}

/** Which value a CSV column prints. */
export type ColumnSource =
  | { kind: 'feature'; feature: string }
  | { kind: 'flowId' } | { kind: 'srcIp' } | { kind: 'srcPort' } | { kind: 'dstIp' } | { kind: 'dstPort' }
  | { kind: 'protocol' } | { kind: 'timestamp' } | { kind: 'constant'; value: string | number }
  /**
   * Computed on output from the flow's canonical features (µs units, before timeScale) and identity —
   * for profiles whose columns are not 1:1 canonical features (e.g. a copy, a ratio, a unit change).
   */
  | { kind: 'derived'; compute: (feature: (name: string) => number, id: FlowIdentity, startUs: number) => number | string };

/**
 * How a number prints: `long` = Java integer (rounded toward zero), `double` = Java
 * Double.toString (`2733.0`, `1.0000171E7`, `Infinity`, `NaN`).
 */
export type NumberFormat = 'long' | 'double';

export interface ProfileColumn {
  /** Header name exactly as the reference prints it (leading blanks included). */
  header: string;
  source: ColumnSource;
  format: NumberFormat;
}

/** The engine surface the Flowmeter drives (FlowEngine, or a profile's own engine). */
export interface MeterEngine {
  readonly summary: import('./engine.js').FlowSummary;
  readonly openFlows: number;
  lastPacketUs: number;
  push(b: import('../capture/packet-batch.js').PacketBatch): void;
  sweep(nowUs: number): number;
  flush(): void;
  deliver(): void;
}

/**
 * Hooks for a profile whose semantics do not fit the canonical engine (prc: the prototype's
 * flowmeter). It brings its own engine and renders its own rows; `columns` still gives the header.
 */
export interface CustomProfileHooks {
  createEngine(opts: import('./engine.js').EngineOptions): MeterEngine;
  toObjects(b: import('./flow-batch.js').FlowBatch): Record<string, number | string>[];
  toCsv(b: import('./flow-batch.js').FlowBatch): string;
}

export interface FlowProfile {
  name: string;
  description: string;
  behaviour: ProfileBehaviour;
  columns: ProfileColumn[];
  /** Timestamp printing of the flow start (µs since the epoch), always UTC. */
  formatTimestamp(us: number): string;
  /** The `Flow ID` column. */
  formatFlowId(id: FlowIdentity): string;
  /**
   * Unit multiplier applied to time-span features (duration, IAT, active, idle) on output;
   * 1 for µs (Java). A seconds-based profile (prc) uses 1e-6.
   */
  timeScale: number;
  /** Own engine and row rendering (see CustomProfileHooks); absent for the CIC profiles. */
  custom?: CustomProfileHooks;
}

/** Identity of one finished flow as given to formatters (strings only built on output). */
export interface FlowIdentity {
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  protocol: number;
  /** Raw first address words, for profiles whose Flow ID orders addresses (J-2018). */
  srcWords: ArrayLike<number>;
  dstWords: ArrayLike<number>;
  ipVersion: number;
}
