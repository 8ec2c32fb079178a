/**
 * Histogram gradient boosting for a binary target (logistic loss, Newton leaf values, leaf-wise
 * growth like LightGBM / scikit-learn's HistGradientBoosting). Deterministic: no row or feature
 * sampling. Trees share the forest's flat layout; a leaf's `value[k]` is its additive margin.
 * Used beside the random-forest detector: the two disagree on different rows, and their average
 * ranks attacks above benign flows better than either alone.
 */
import { applyBins, fitBins, type FeatureBins } from './binning.js';
import type { Tree } from './forest.js';

export interface BoostingOptions {
  iterations: number;
  learningRate: number;
  /** leaves per tree (leaf-wise growth stops there) */
  maxLeaves: number;
  maxDepth: number;
  /** rows (unweighted) every leaf must keep */
  minSamplesLeaf: number;
  /** L2 penalty on leaf values */
  l2: number;
}

export const defaultBoostingOptions: BoostingOptions = {
  iterations: 300, learningRate: 0.1, maxLeaves: 31, maxDepth: 20, minSamplesLeaf: 5, l2: 0,
};

export interface BoostedTrees {
  features: number;
  /** initial margin: log-odds of the weighted positive rate */
  base: number;
  trees: Tree[];
}

const BINS = 256;
const MIN_HESSIAN = 1e-3;

/** Histograms of one node: gradient, hessian and row count per (feature, bin). */
interface Hist { g: Float64Array; h: Float64Array; n: Int32Array }

interface Leaf {
  node: number;
  start: number;
  end: number;
  depth: number;
  G: number;
  H: number;
  hist: Hist;
  gain: number;
  f: number;
  b: number;
}

/**
 * Trains on row-major float32 `x` [rows × features] with 0/1 targets `y`; `rowIndex` restricts to
 * those rows (cross-validation) without copying, `sampleWeight` (indexed like x) scales each row.
 */
export function trainBoosting(
  x: Float32Array, y: ArrayLike<number>, features: number, opts: BoostingOptions,
  rowIndex?: Uint32Array, sampleWeight?: Float32Array,
): { model: BoostedTrees; bins: FeatureBins } {
  const rows = rowIndex ? rowIndex.length : y.length;
  const F = features;
  const bins = fitBins(x, y.length, F, rowIndex);
  const xb = applyBins(bins, x, y.length, F, rowIndex); // column-major [F][rows]
  const t = new Float64Array(rows);
  const w = new Float64Array(rows);
  let sw = 0, swy = 0;
  for (let i = 0; i < rows; i++) {
    const r = rowIndex ? rowIndex[i] : i;
    t[i] = y[r] ? 1 : 0;
    w[i] = sampleWeight ? sampleWeight[r] : 1;
    sw += w[i];
    swy += w[i] * t[i];
  }
  const p0 = Math.min(1 - 1e-6, Math.max(1e-6, swy / Math.max(sw, 1e-12)));
  const base = Math.log(p0 / (1 - p0));
  const margin = new Float64Array(rows).fill(base);
  const g = new Float64Array(rows);
  const h = new Float64Array(rows);
  const idx = new Uint32Array(rows);
  const pool: Hist[] = [];
  const takeHist = (): Hist => pool.pop() ?? { g: new Float64Array(F * BINS), h: new Float64Array(F * BINS), n: new Int32Array(F * BINS) };
  const trees: Tree[] = [];

  const build = (hist: Hist, start: number, end: number): void => {
    hist.g.fill(0); hist.h.fill(0); hist.n.fill(0);
    for (let f = 0; f < F; f++) {
      const col = f * rows;
      const off = f * BINS;
      for (let p = start; p < end; p++) {
        const i = idx[p];
        const k = off + xb[col + i];
        hist.g[k] += g[i];
        hist.h[k] += h[i];
        hist.n[k]++;
      }
    }
  };
  const findSplit = (leaf: Leaf): void => {
    leaf.gain = 0; leaf.f = -1; leaf.b = -1;
    if (leaf.depth >= opts.maxDepth || leaf.end - leaf.start < 2 * opts.minSamplesLeaf) return;
    const { G, H } = leaf;
    const nAll = leaf.end - leaf.start;
    const parent = (G * G) / (H + opts.l2);
    for (let f = 0; f < F; f++) {
      const off = f * BINS;
      const last = bins.thresholds[f].length; // highest bin index in use
      let gl = 0, hl = 0, nl = 0;
      for (let b = 0; b < last; b++) {
        gl += leaf.hist.g[off + b];
        hl += leaf.hist.h[off + b];
        nl += leaf.hist.n[off + b];
        if (nl < opts.minSamplesLeaf) continue;
        if (nAll - nl < opts.minSamplesLeaf) break;
        const hr = H - hl;
        if (hl < MIN_HESSIAN || hr < MIN_HESSIAN) continue;
        const gr = G - gl;
        const gain = (gl * gl) / (hl + opts.l2) + (gr * gr) / (hr + opts.l2) - parent;
        if (gain > leaf.gain + 1e-12) { leaf.gain = gain; leaf.f = f; leaf.b = b; }
      }
    }
  };

  for (let it = 0; it < opts.iterations; it++) {
    let G = 0, H = 0;
    for (let i = 0; i < rows; i++) {
      const p = 1 / (1 + Math.exp(-margin[i]));
      g[i] = w[i] * (p - t[i]);
      h[i] = w[i] * Math.max(p * (1 - p), 1e-16);
      G += g[i];
      H += h[i];
      idx[i] = i;
    }
    const feature: number[] = [-1];
    const binThreshold: number[] = [0];
    const left: number[] = [-1];
    const right: number[] = [-1];
    const value: number[] = [0];
    const root: Leaf = { node: 0, start: 0, end: rows, depth: 0, G, H, hist: takeHist(), gain: 0, f: -1, b: -1 };
    build(root.hist, 0, rows);
    findSplit(root);
    const open: Leaf[] = [root];
    // every leaf stays in `open`; those without a useful split just never get picked
    while (open.length < opts.maxLeaves) {
      // split the open leaf with the largest gain (first on ties, so growth is deterministic)
      let bi = -1;
      for (let k = 0; k < open.length; k++) if (open[k].f >= 0 && (bi < 0 || open[k].gain > open[bi].gain)) bi = k;
      if (bi < 0) break;
      const leaf = open.splice(bi, 1)[0];
      const col = leaf.f * rows;
      let lo = leaf.start, hi = leaf.end - 1;
      while (lo <= hi) {
        if (xb[col + idx[lo]] <= leaf.b) lo++;
        else { const tmp = idx[lo]; idx[lo] = idx[hi]; idx[hi] = tmp; hi--; }
      }
      const mk = (start: number, end: number): Leaf => {
        let gs = 0, hs = 0;
        for (let p = start; p < end; p++) { gs += g[idx[p]]; hs += h[idx[p]]; }
        feature.push(-1); binThreshold.push(0); left.push(-1); right.push(-1); value.push(0);
        return { node: feature.length - 1, start, end, depth: leaf.depth + 1, G: gs, H: hs, hist: leaf.hist, gain: 0, f: -1, b: -1 };
      };
      const l = mk(leaf.start, lo);
      const r = mk(lo, leaf.end);
      feature[leaf.node] = leaf.f;
      binThreshold[leaf.node] = leaf.b;
      left[leaf.node] = l.node;
      right[leaf.node] = r.node;
      // histogram of the smaller child by a scan, the larger one by subtraction from the parent's
      const [small, large] = l.end - l.start <= r.end - r.start ? [l, r] : [r, l];
      small.hist = takeHist();
      build(small.hist, small.start, small.end);
      const ph = leaf.hist;
      for (let k = 0; k < F * BINS; k++) { ph.g[k] -= small.hist.g[k]; ph.h[k] -= small.hist.h[k]; ph.n[k] -= small.hist.n[k]; }
      large.hist = ph;
      findSplit(l);
      findSplit(r);
      open.push(l, r);
    }
    for (const leaf of open) {
      value[leaf.node] = (-opts.learningRate * leaf.G) / (leaf.H + opts.l2 + 1e-12);
      for (let p = leaf.start; p < leaf.end; p++) margin[idx[p]] += value[leaf.node];
      pool.push(leaf.hist);
    }
    const threshold = new Float32Array(feature.length);
    for (let k = 0; k < feature.length; k++) if (feature[k] >= 0) threshold[k] = bins.thresholds[feature[k]][binThreshold[k]];
    trees.push({
      feature: Int32Array.from(feature), binThreshold: Int32Array.from(binThreshold), threshold,
      left: Int32Array.from(left), right: Int32Array.from(right), value: Float32Array.from(value),
    });
  }
  return { model: { features: F, base, trees }, bins };
}

/** P(positive) on raw float32 rows with the float thresholds (what ONNX computes). */
export function predictBoosted(model: BoostedTrees, x: Float32Array, rows: number): Float32Array {
  const F = model.features;
  const out = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    let m = model.base;
    for (const tree of model.trees) {
      let k = 0;
      while (tree.feature[k] >= 0) k = x[i * F + tree.feature[k]] <= tree.threshold[k] ? tree.left[k] : tree.right[k];
      m += tree.value[k];
    }
    out[i] = 1 / (1 + Math.exp(-m));
  }
  return out;
}
