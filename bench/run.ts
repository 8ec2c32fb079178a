/**
 * npm run bench — every throughput figure is printed next to the Node floor
 * (../shared/bench/floor.mjs) measured in the same run, as packets/s and as a ratio.
 * Sections are added by each engine area (reader, flow meter, nodes, classifier).
 */
export {};
console.log('deepmad bench: no sections yet');
