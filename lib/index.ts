/**
 * DeepMAD engine: the public API of node-red-contrib-deepmad for use without Node-RED.
 * Each area is a namespace (names inside areas may repeat); the most used classes are
 * also exported at the top level.
 */
export * as capture from './capture/index.js';
export * as flow from './flow/index.js';
export * as normalize from './normalize/index.js';
export * as hdf5 from './hdf5/index.js';
export * as alerts from './alerts/index.js';

export { CaptureReader } from './capture/reader.js';
export { Flowmeter } from './flow/flowmeter.js';
export { Classifier } from './ml/classifier.js';
export type { ModelCard } from './ml/card.js';
export { readCardFile, validateCard } from './ml/card.js';
export { trainModel, crossValidate, writeModel } from './ml/train.js';
export { kerasToOnnx } from './ml/keras.js';
export { defaultModelPath } from './ml/default-model.js';
export { LoneFlowContext, judgeLoneFlows, contextFlowsFromObjects, contextFlowsFromColumns, SUPPRESSED_SINGLE_PACKET } from './ml/lone-flow-context.js';
export { BehaviourRules, judgeBehaviour, escalateByRules, behaviourFlowsFromObjects, behaviourFlowsFromColumns, LOGIN_BRUTE_FORCE, DHCP_FLOOD, SIGNATURE_RULE_LABELS, ESCALATED_SIGNATURE } from './ml/behaviour-rules.js';
export { SIGNATURE_FIELD, SIGNATURE_LABELS, inspectTcpPayload } from './capture/payload-tells.js';
export { parseAddressList, AddressListError } from './ml/address-match.js';
