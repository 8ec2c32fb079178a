/**
 * Histogram random forest (Breiman: bootstrap + random feature subset per split, gini, fully grown
 * trees), trained on binned features. Trees are flat typed arrays, ready for ONNX export.
 */
import { Random } from './random.js';
import { applyBins, fitBins, type FeatureBins } from './binning.js';

export interface ForestOptions {
  trees: number;
  /** features tried per split; default sqrt(F) */
  maxFeatures?: number;
  maxDepth: number;
  minSamplesLeaf: number;
  seed: number;
  /** per-class sample weights ('balanced' = n / (C * count_c)), default none */
  classWeight?: 'balanced' | null;
  bootstrap: boolean;
}

export const defaultForestOptions: ForestOptions = {
  trees: 100, maxDepth: 40, minSamplesLeaf: 1, seed: 1, classWeight: null, bootstrap: true,
};

/** One tree: node k is a leaf when feature[k] < 0; its class distribution is at value[k*C ..]. */
export interface Tree {
  feature: Int32Array;
  /** split: bin ≤ binThreshold[k] goes left */
  binThreshold: Int32Array;
  threshold: Float32Array;
  left: Int32Array;
  right: Int32Array;
  /** per node class probabilities (only meaningful for leaves) */
  value: Float32Array;
}

export interface Forest {
  classes: number;
  features: number;
  trees: Tree[];
}

class TreeBuilder {
  feature: number[] = [];
  binThreshold: number[] = [];
  left: number[] = [];
  right: number[] = [];
  value: number[] = [];
  constructor(private readonly C: number) {}
  add(): number {
    const k = this.feature.length;
    this.feature.push(-1);
    this.binThreshold.push(0);
    this.left.push(-1);
    this.right.push(-1);
    for (let c = 0; c < this.C; c++) this.value.push(0);
    return k;
  }
  finish(bins: FeatureBins): Tree {
    const threshold = new Float32Array(this.feature.length);
    for (let k = 0; k < this.feature.length; k++) {
      if (this.feature[k] >= 0) threshold[k] = bins.thresholds[this.feature[k]][this.binThreshold[k]];
    }
    return {
      feature: Int32Array.from(this.feature),
      binThreshold: Int32Array.from(this.binThreshold),
      threshold,
      left: Int32Array.from(this.left),
      right: Int32Array.from(this.right),
      value: Float32Array.from(this.value),
    };
  }
}

/**
 * Trains a forest. `x` is row-major float32 [rows × features], `y` class indices in [0, classes).
 * `rowIndex` restricts training to those rows (cross-validation folds) without copying x.
 */
export function trainForest(
  x: Float32Array, y: Uint16Array | Uint8Array | Int32Array, features: number, classes: number,
  opts: ForestOptions, rowIndex?: Uint32Array, sampleWeight?: Float32Array,
): { forest: Forest; bins: FeatureBins } {
  const rows = rowIndex ? rowIndex.length : y.length;
  const bins = fitBins(x, y.length, features, rowIndex);
  const xb = applyBins(bins, x, y.length, features, rowIndex);
  const yy = new Uint16Array(rows);
  for (let i = 0; i < rows; i++) yy[i] = y[rowIndex ? rowIndex[i] : i];
  const classW = new Float64Array(classes).fill(1);
  if (opts.classWeight === 'balanced') {
    const cnt = new Float64Array(classes);
    for (let i = 0; i < rows; i++) cnt[yy[i]]++;
    for (let c = 0; c < classes; c++) classW[c] = cnt[c] > 0 ? rows / (classes * cnt[c]) : 0;
  }
  const rng = new Random(opts.seed);
  const mtry = Math.max(1, Math.min(features, opts.maxFeatures ?? Math.round(Math.sqrt(features))));
  const trees: Tree[] = [];
  // per-row weights (e.g. a data source counted less), indexed like x before rowIndex
  const rowW = new Float64Array(rows).fill(1);
  if (sampleWeight) for (let i = 0; i < rows; i++) rowW[i] = sampleWeight[rowIndex ? rowIndex[i] : i];
  const ctx = new SplitContext(xb, yy, rows, features, classes, classW, bins, rowW);
  for (let t = 0; t < opts.trees; t++) {
    trees.push(ctx.growTree(rng, mtry, opts));
  }
  return { forest: { classes, features, trees }, bins };
}

class SplitContext {
  private readonly hist: Float64Array;
  private readonly binTotal: Float64Array;
  private readonly touched: Int32Array;
  private readonly leftCounts: Float64Array;
  private readonly rightCounts: Float64Array;
  private readonly featOrder: Int32Array;
  private readonly weight: Float64Array;
  private readonly idx: Uint32Array;

  constructor(
    private readonly xb: Uint8Array, private readonly y: Uint16Array, private readonly n: number,
    private readonly F: number, private readonly C: number, private readonly classW: Float64Array,
    private readonly bins: FeatureBins,
    private readonly rowW: Float64Array,
  ) {
    this.hist = new Float64Array(256 * C);
    this.binTotal = new Float64Array(256);
    this.touched = new Int32Array(256);
    this.leftCounts = new Float64Array(C);
    this.rightCounts = new Float64Array(C);
    this.featOrder = new Int32Array(F);
    this.weight = new Float64Array(n);
    this.idx = new Uint32Array(n);
  }

  growTree(rng: Random, mtry: number, opts: ForestOptions): Tree {
    const { n, C, y, classW } = this;
    const weight = this.weight;
    let m = 0;
    if (opts.bootstrap) {
      weight.fill(0);
      for (let i = 0; i < n; i++) weight[rng.int(n)] += 1;
      for (let i = 0; i < n; i++) if (weight[i] > 0) { weight[i] *= classW[y[i]] * this.rowW[i]; this.idx[m++] = i; }
    } else {
      for (let i = 0; i < n; i++) { weight[i] = classW[y[i]] * this.rowW[i]; this.idx[m++] = i; }
    }
    const tb = new TreeBuilder(C);
    // explicit stack of [node, start, end, depth]
    const stack: number[] = [tb.add(), 0, m, 0];
    const totals = new Float64Array(C);
    while (stack.length) {
      const depth = stack.pop()!;
      const end = stack.pop()!;
      const start = stack.pop()!;
      const node = stack.pop()!;
      totals.fill(0);
      let wsum = 0;
      for (let p = start; p < end; p++) {
        const i = this.idx[p];
        totals[y[i]] += weight[i];
        wsum += weight[i];
      }
      let pure = false;
      for (let c = 0; c < C; c++) if (totals[c] === wsum) pure = true;
      const count = end - start;
      let split: { f: number; b: number } | null = null;
      if (!pure && depth < opts.maxDepth && count >= 2 * opts.minSamplesLeaf) {
        split = this.bestSplit(start, end, totals, wsum, rng, mtry, opts.minSamplesLeaf);
      }
      if (!split) {
        for (let c = 0; c < C; c++) tb.value[node * C + c] = wsum > 0 ? totals[c] / wsum : 0;
        continue;
      }
      // partition idx[start..end) by bin <= b
      const col = split.f * n;
      let lo = start;
      let hi = end - 1;
      while (lo <= hi) {
        if (this.xb[col + this.idx[lo]] <= split.b) lo++;
        else {
          const t = this.idx[lo];
          this.idx[lo] = this.idx[hi];
          this.idx[hi] = t;
          hi--;
        }
      }
      tb.feature[node] = split.f;
      tb.binThreshold[node] = split.b;
      const l = tb.add();
      const r = tb.add();
      tb.left[node] = l;
      tb.right[node] = r;
      stack.push(r, lo, end, depth + 1, l, start, lo, depth + 1);
    }
    return tb.finish(this.bins);
  }

  private bestSplit(start: number, end: number, totals: Float64Array, wsum: number, rng: Random, mtry: number, minLeaf: number): { f: number; b: number } | null {
    const { F, C, n, hist, binTotal, touched, y, xb, weight, idx } = this;
    const order = this.featOrder;
    for (let f = 0; f < F; f++) order[f] = f;
    let parentSq = 0;
    for (let c = 0; c < C; c++) parentSq += totals[c] * totals[c];
    let bestScore = parentSq / wsum + 1e-12 * wsum; // must improve on the parent
    let bestF = -1;
    let bestB = -1;
    let tried = 0;
    const cntTotal = new Int32Array(0); // placeholder to keep types simple
    void cntTotal;
    for (let k = 0; k < F && (tried < mtry || bestF < 0); k++) {
      const j = k + rng.int(F - k);
      const f = order[j];
      order[j] = order[k];
      order[k] = f;
      const col = f * n;
      // histogram of the node over this feature's bins
      let nt = 0;
      for (let p = start; p < end; p++) {
        const i = idx[p];
        const b = xb[col + i];
        if (binTotal[b] === 0) touched[nt++] = b;
        binTotal[b] += weight[i] + 1e-300; // +tiny so a bin of zero-weight rows still registers once
        hist[b * C + y[i]] += weight[i];
      }
      tried++;
      if (nt > 1) {
        const tb = touched.subarray(0, nt);
        tb.sort();
        const L = this.leftCounts;
        const R = this.rightCounts;
        L.fill(0);
        for (let c = 0; c < C; c++) R[c] = totals[c];
        let lSq = 0;
        let rSq = parentSq;
        let wl = 0;
        let nl = 0;
        for (let t = 0; t + 1 < nt; t++) {
          const b = tb[t];
          const base = b * C;
          for (let c = 0; c < C; c++) {
            const h = hist[base + c];
            if (h !== 0) {
              lSq += h * (2 * L[c] + h);
              rSq += h * (h - 2 * R[c]);
              L[c] += h;
              R[c] -= h;
              wl += h;
            }
          }
          nl++;
          const wr = wsum - wl;
          if (wl <= 0 || wr <= 0) continue;
          void minLeaf;
          const score = lSq / wl + rSq / wr;
          if (score > bestScore) {
            bestScore = score;
            bestF = f;
            bestB = b;
          }
        }
      }
      for (let t = 0; t < nt; t++) {
        const b = touched[t];
        binTotal[b] = 0;
        hist.fill(0, b * C, b * C + C);
      }
    }
    return bestF >= 0 ? { f: bestF, b: bestB } : null;
  }
}

/** Class probabilities for every row of a binned column-major matrix (averaged over trees). */
export function predictProbaBinned(forest: Forest, xb: Uint8Array, rows: number): Float32Array {
  const C = forest.classes;
  const out = new Float32Array(rows * C);
  const inv = 1 / forest.trees.length;
  for (const tree of forest.trees) {
    for (let i = 0; i < rows; i++) {
      let k = 0;
      while (tree.feature[k] >= 0) {
        k = xb[tree.feature[k] * rows + i] <= tree.binThreshold[k] ? tree.left[k] : tree.right[k];
      }
      const base = k * C;
      for (let c = 0; c < C; c++) out[i * C + c] += tree.value[base + c] * inv;
    }
  }
  return out;
}

/** Class probabilities on raw float32 rows using the float thresholds (what ONNX computes). */
export function predictProba(forest: Forest, x: Float32Array, rows: number): Float32Array {
  const C = forest.classes;
  const F = forest.features;
  const out = new Float32Array(rows * C);
  const inv = 1 / forest.trees.length;
  for (const tree of forest.trees) {
    for (let i = 0; i < rows; i++) {
      let k = 0;
      while (tree.feature[k] >= 0) {
        k = x[i * F + tree.feature[k]] <= tree.threshold[k] ? tree.left[k] : tree.right[k];
      }
      const base = k * C;
      for (let c = 0; c < C; c++) out[i * C + c] += tree.value[base + c] * inv;
    }
  }
  return out;
}

export { applyBins };
