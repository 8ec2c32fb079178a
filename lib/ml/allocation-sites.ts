/**
 * Why the per-flow objects of a large message (classified flow objects, their probability objects,
 * the library's Verdict objects) come from builders made for that message alone.
 *
 * V8 decides per allocation site (one object literal in one generated function) whether to allocate
 * its objects in the old generation directly, from how many of them survive young-generation GCs,
 * and a "don't" is final. A site shared across messages learns "don't" from the outputs of small
 * messages, or from the last outputs of a large one, which are delivered and dropped before the next
 * GC; every 100k-flow message then copies its ~130 MB of outputs through the young generation: ~20
 * scavenges, each an event-loop pause of 15-25 ms on a quiet box and 50-250 ms on a saturated one.
 * A fresh site sees every object it made survive, and V8 switches it to old-generation allocation
 * after a few scavenges of the message. Costs one `new Function` per large message and key list.
 * The classifier node no longer copies an array payload's flow objects (it annotates them in place,
 * lib/ml/classified-output.ts): for that common case only the probability objects are new.
 */
export const LARGE_ROWS = 8192;
