/**
 * Streaming memory shared by the stages after the model (lone-flow context, behaviour rules): per key
 * (a host or source address) the latest `depth` flow start times, for at most `maxKeys` keys. The rules
 * only ask whether at least K times fall in a window, so K latest times per key are all they need.
 *
 * The times live in one slab that grows by doubling up to the cap (a quiet network never pays for it).
 * When full, CLOCK eviction: a hand sweeps the slots in insertion order and evicts the first key not
 * seen again since the hand last passed it, so one-off (spoofed) keys go before keys that keep coming
 * back. (Evicting the first key of an LRU-ordered Map instead is quadratic: V8 walks past every deleted
 * entry.)
 */

/** A host: its address string, or an IPv4 address as a number (columnar input, no string built). */
export type HostKey = string | number;

export class KeyedLatestTimes {
  private readonly slot = new Map<HostKey, number>();
  private keys: HostKey[] = [];
  private times = new Float64Array(0);
  private fill = new Uint8Array(0);
  private seen = new Uint8Array(0);
  private hand = 0;

  constructor(readonly maxKeys: number, readonly depth: number) {}

  /** keys remembered */
  get size(): number { return this.slot.size; }

  /** slots allocated (≤ maxKeys); memory is about slots × (8·depth + 2) bytes plus the Map */
  get capacity(): number { return this.fill.length; }

  clear(): void {
    this.slot.clear();
    this.keys = [];
    this.times = new Float64Array(0);
    this.fill = new Uint8Array(0);
    this.seen = new Uint8Array(0);
    this.hand = 0;
  }

  /** How many of the key's remembered times lie in [lo, hi]. */
  count(key: HostKey, lo: number, hi: number): number {
    const s = this.slot.get(key);
    if (s === undefined) return 0;
    let n = 0;
    for (let i = s * this.depth, e = i + this.fill[s]; i < e; i++) if (this.times[i] >= lo && this.times[i] <= hi) n++;
    return n;
  }

  /** Copies the key's remembered times into `out`, ascending; returns how many. */
  sorted(key: HostKey, out: Float64Array): number {
    const s = this.slot.get(key);
    if (s === undefined) return 0;
    const n = this.fill[s];
    for (let i = 0; i < n; i++) out[i] = this.times[s * this.depth + i];
    out.subarray(0, n).sort();
    return n;
  }

  record(key: HostKey, t: number): void {
    let s = this.slot.get(key);
    if (s !== undefined) {
      this.seen[s] = 1;
    } else {
      if (this.keys.length < this.maxKeys) {
        if (this.keys.length === this.fill.length) this.grow();
        s = this.keys.length;
        this.keys.push(key);
      } else {
        while (this.seen[this.hand]) { this.seen[this.hand] = 0; this.hand = (this.hand + 1) % this.maxKeys; }
        s = this.hand;
        this.hand = (this.hand + 1) % this.maxKeys;
        this.slot.delete(this.keys[s]);
        this.keys[s] = key;
      }
      this.slot.set(key, s);
      this.fill[s] = 0;
      this.seen[s] = 0;
    }
    keepLatest(this.times, s * this.depth, this.depth, this.fill, s, t);
  }

  private grow(): void {
    const cap = Math.min(this.maxKeys, Math.max(256, this.fill.length * 2));
    const times = new Float64Array(cap * this.depth);
    times.set(this.times);
    const fill = new Uint8Array(cap);
    fill.set(this.fill);
    const seen = new Uint8Array(cap);
    seen.set(this.seen);
    this.times = times;
    this.fill = fill;
    this.seen = seen;
  }
}

/**
 * Records `t` in the ring at `times[base … base+depth)` holding `fill[s]` times: appends while there is
 * room, then replaces the earliest time if `t` is later (keeps the latest `depth` times).
 */
export function keepLatest(times: Float64Array, base: number, depth: number, fill: Uint8Array | Uint32Array, s: number, t: number): void {
  if (fill[s] < depth) { times[base + fill[s]++] = t; return; }
  let min = base;
  for (let i = base + 1; i < base + depth; i++) if (times[i] < times[min]) min = i;
  if (t > times[min]) times[min] = t;
}
