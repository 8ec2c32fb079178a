/**
 * Bounded heavy-hitter counter (Space-Saving, Metwally et al. 2005): keeps at most `capacity`
 * keys; a new key replaces the smallest counter and inherits its count, so any key with a true
 * share above 1/capacity is kept and counts are over-estimates by at most the replaced minimum.
 * Memory stays fixed however many distinct sources an attack spoofs. The counters sit in a binary
 * min-heap, so a spoofed flood (every flow a new key) costs O(log capacity) per flow.
 */
export class TopK {
  private readonly keys: string[] = [];
  private readonly counts: number[] = [];
  private readonly pos = new Map<string, number>();
  constructor(readonly capacity = 50) {}

  add(key: string, n = 1): void {
    const i = this.pos.get(key);
    if (i !== undefined) { this.counts[i] += n; this.down(i); return; }
    if (this.keys.length < this.capacity) {
      this.keys.push(key);
      this.counts.push(n);
      this.pos.set(key, this.keys.length - 1);
      this.up(this.keys.length - 1);
      return;
    }
    // Replace the minimum (the heap root).
    this.pos.delete(this.keys[0]);
    this.keys[0] = key;
    this.counts[0] += n;
    this.pos.set(key, 0);
    this.down(0);
  }

  top(n: number): Array<{ key: string; count: number }> {
    return this.keys.map((key, i) => ({ key, count: this.counts[i] }))
      .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1)).slice(0, n);
  }

  get size(): number { return this.keys.length; }

  clear(): void { this.keys.length = 0; this.counts.length = 0; this.pos.clear(); }

  // Sifts move a "hole" and write each moved key's position once.
  private place(i: number, key: string, count: number): void {
    this.keys[i] = key;
    this.counts[i] = count;
    this.pos.set(key, i);
  }

  private up(i: number): void {
    const key = this.keys[i];
    const count = this.counts[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.counts[p] <= count) break;
      this.place(i, this.keys[p], this.counts[p]);
      i = p;
    }
    this.place(i, key, count);
  }

  private down(i: number): void {
    const n = this.keys.length;
    const key = this.keys[i];
    const count = this.counts[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && this.counts[r] < this.counts[l] ? r : l;
      if (this.counts[m] >= count) break;
      this.place(i, this.keys[m], this.counts[m]);
      i = m;
    }
    this.place(i, key, count);
  }
}
