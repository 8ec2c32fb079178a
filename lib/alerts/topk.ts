/**
 * Bounded heavy-hitter counter (Space-Saving, Metwally et al. 2005): keeps at most `capacity`
 * keys; a new key replaces the smallest counter and inherits its count, so any key with a true
 * share above 1/capacity is kept and counts are over-estimates by at most the replaced minimum.
 * Memory stays fixed however many distinct sources an attack spoofs.
 */
export class TopK {
  private readonly counts = new Map<string, number>();
  constructor(readonly capacity = 50) {}

  add(key: string, n = 1): void {
    const c = this.counts.get(key);
    if (c !== undefined) { this.counts.set(key, c + n); return; }
    if (this.counts.size < this.capacity) { this.counts.set(key, n); return; }
    let minKey = '';
    let min = Infinity;
    for (const [k, v] of this.counts) if (v < min) { min = v; minKey = k; }
    this.counts.delete(minKey);
    this.counts.set(key, min + n);
  }

  top(n: number): Array<{ key: string; count: number }> {
    return [...this.counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n).map(([key, count]) => ({ key, count }));
  }

  get size(): number { return this.counts.size; }
  clear(): void { this.counts.clear(); }
}
