/**
 * Per-feature histogram binning: up to 256 bins per feature so every tree split is a histogram
 * scan. Split "bin ≤ b" is exported as the float32 threshold `x <= thresholds[b]`, chosen between
 * the largest training value of bin b and the smallest of bin b+1 (a midpoint, as scikit-learn does),
 * so training-time bins and ONNX-time comparisons agree exactly on float32 inputs.
 */

export interface FeatureBins {
  /** thresholds[f] is sorted ascending; value x falls in bin = count of thresholds < x. */
  thresholds: Float32Array[];
}

export const MAX_BINS = 256;

export function fitBins(x: Float32Array, rows: number, features: number, rowIndex?: Uint32Array): FeatureBins {
  const n = rowIndex ? rowIndex.length : rows;
  const thresholds: Float32Array[] = [];
  const col = new Float32Array(n);
  for (let f = 0; f < features; f++) {
    for (let i = 0; i < n; i++) col[i] = x[(rowIndex ? rowIndex[i] : i) * features + f];
    col.sort();
    // distinct values with the rank where each starts
    const uniq: number[] = [];
    const start: number[] = [];
    for (let i = 0; i < n; i++) {
      if (i === 0 || col[i] !== col[i - 1]) {
        uniq.push(col[i]);
        start.push(i);
      }
    }
    const cuts: number[] = [];
    if (uniq.length <= MAX_BINS) {
      for (let k = 0; k + 1 < uniq.length; k++) cuts.push(k);
    } else {
      // quantile cut points on ranks, snapped to distinct values
      let u = 0;
      for (let q = 1; q < MAX_BINS; q++) {
        const rank = Math.floor((q * n) / MAX_BINS);
        while (u + 1 < uniq.length && start[u + 1] <= rank) u++;
        if (u + 1 < uniq.length && (cuts.length === 0 || cuts[cuts.length - 1] < u)) cuts.push(u);
      }
    }
    const t = new Float32Array(cuts.length);
    for (let k = 0; k < cuts.length; k++) {
      const lo = uniq[cuts[k]];
      const hi = uniq[cuts[k] + 1];
      const mid = Math.fround(lo / 2 + hi / 2);
      t[k] = mid >= hi || mid < lo ? lo : mid;
    }
    thresholds.push(t);
  }
  return { thresholds };
}

function binOf(t: Float32Array, v: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Column-major bins: out[f * n + i] for row i (of rowIndex, or all rows). */
export function applyBins(bins: FeatureBins, x: Float32Array, rows: number, features: number, rowIndex?: Uint32Array): Uint8Array {
  const n = rowIndex ? rowIndex.length : rows;
  const out = new Uint8Array(n * features);
  for (let f = 0; f < features; f++) {
    const t = bins.thresholds[f];
    const base = f * n;
    for (let i = 0; i < n; i++) {
      const v = x[(rowIndex ? rowIndex[i] : i) * features + f];
      out[base + i] = binOf(t, v);
    }
  }
  return out;
}
