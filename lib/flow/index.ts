/** Public API of the flow meter (re-exported by lib/index.ts). */
export { Flowmeter, type FlowmeterOptions } from './flowmeter.js';
export { FlowEngine, DEFAULT_MAX_FLOWS, type FlowSummary } from './engine.js';
export {
  type FlowBatch, END_REASON_NAMES, END_EOF, END_FIN, END_RST, END_TIMEOUT, END_IDLE, END_EVICTED, END_SYN,
} from './flow-batch.js';
export { FEATURE_NAMES, NUM_FEATURES, featureIndex, type FeatureName } from './features.js';
export {
  toObjects, toCsv, toJsonLines, csvHeader, columnNames, featureValue, flowIdentity,
  type FlowObject, type FlowValue,
} from './output.js';
export { getProfile, profileNames, registerProfile, DEFAULT_PROFILE } from './profiles/index.js';
export type { FlowProfile, ProfileBehaviour, ProfileColumn } from './profile.js';
export { javaDouble, formatIp } from './format.js';
export { FlowmeterWorker, type FlowmeterWorkerOptions } from './worker.js';
