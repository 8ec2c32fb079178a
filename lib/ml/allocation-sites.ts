/**
 * Why per-flow output objects of large messages come from builders of their own.
 *
 * V8 decides per allocation site (one object literal in one function) whether to allocate its
 * objects in the old generation directly, from how many of them survive young-generation GCs, and
 * a "no" is final. The outputs of small messages are delivered and dropped quickly, which teaches a
 * shared literal "no"; every 100k-flow message then copies its ~130 MB of output objects through
 * the young generation: ~20 scavenges, each an event-loop pause of 15-25 ms on a quiet box and
 * 50-70 ms on a saturated one. A literal used only for messages of at least LARGE_ROWS rows sees
 * its objects survive, is switched to old-generation allocation during the first large message,
 * and stays so.
 */
export const LARGE_ROWS = 8192;
