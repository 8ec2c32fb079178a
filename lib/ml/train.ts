/**
 * Training pipeline: stratified k-fold cross-validation report, then a final forest on all rows,
 * exported to ONNX with its model card (card also embedded in the ONNX metadata).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ModelCard, Preprocessing } from './card.js';
import type { Dataset } from './dataset.js';
import { forestToOnnx } from './export-forest.js';
import { defaultForestOptions, predictProba, trainForest, type ForestOptions } from './forest.js';
import { evaluate, formatReport, stratifiedFolds, type EvaluationReport } from './metrics.js';

export interface TrainOptions {
  benignLabels: string[];
  profile: string;
  forest?: Partial<ForestOptions>;
  /** cross-validation folds; 0 or 1 = no CV */
  folds?: number;
  threshold?: number;
  name?: string;
  description?: string;
  provenance?: Record<string, unknown>;
  nonFinite?: 'zero' | 'clamp';
  /** preprocessing already applied to the training rows (the card repeats it for raw flows); default none */
  preprocessing?: Preprocessing;
  log?: (line: string) => void;
}

export interface TrainResult {
  onnx: Uint8Array;
  card: ModelCard;
  report: EvaluationReport | null;
  reportText: string;
  trainMs: number;
  nodes: number;
}

function argmaxRows(p: Float32Array, rows: number, C: number, benign: Uint8Array, threshold: number): Int32Array {
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let pb = 0, bestA = -1, bestB = -1;
    for (let c = 0; c < C; c++) {
      const v = p[i * C + c];
      if (benign[c]) { pb += v; if (bestB < 0 || v > p[i * C + bestB]) bestB = c; }
      else if (bestA < 0 || v > p[i * C + bestA]) bestA = c;
    }
    out[i] = bestA >= 0 && (bestB < 0 || 1 - pb >= threshold) ? bestA : bestB;
  }
  return out;
}

function gatherRows(ds: Dataset, idx: number[]): Float32Array {
  const F = ds.columns.length;
  const x = new Float32Array(idx.length * F);
  idx.forEach((i, j) => x.set(ds.x.subarray(i * F, i * F + F), j * F));
  return x;
}

export function crossValidate(ds: Dataset, opts: TrainOptions): { report: EvaluationReport; attackProbability: Float32Array } {
  const k = opts.folds ?? 5;
  const fo: ForestOptions = { ...defaultForestOptions, ...opts.forest };
  const C = ds.labels.length;
  const F = ds.columns.length;
  const benign = benignMask(ds.labels, opts.benignLabels);
  const fold = stratifiedFolds(ds.y, C, k, fo.seed);
  const pred = new Int32Array(ds.rows);
  const pAttack = new Float32Array(ds.rows);
  for (let f = 0; f < k; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < ds.rows; i++) (fold[i] === f ? test : train).push(i);
    if (test.length === 0) continue;
    const { forest } = trainForest(ds.x, ds.y, F, C, fo, Uint32Array.from(train));
    const p = predictProba(forest, gatherRows(ds, test), test.length);
    const labels = argmaxRows(p, test.length, C, benign, opts.threshold ?? 0.5);
    test.forEach((i, j) => {
      pred[i] = labels[j];
      let pb = 0;
      for (let c = 0; c < C; c++) if (benign[c]) pb += p[j * C + c];
      pAttack[i] = 1 - pb;
    });
    opts.log?.(`  fold ${f + 1}/${k}: ${train.length} train / ${test.length} held-out rows`);
  }
  return { report: evaluate(ds.labels, opts.benignLabels, ds.y, pred), attackProbability: pAttack };
}

function benignMask(labels: string[], benignLabels: string[]): Uint8Array {
  const m = new Uint8Array(labels.length);
  const missing = benignLabels.filter((b) => !labels.includes(b));
  if (missing.length === benignLabels.length) {
    throw new Error(`none of the benign label(s) ${benignLabels.join(', ')} occur in the data (labels: ${labels.join(', ')})`);
  }
  for (const b of benignLabels) if (labels.includes(b)) m[labels.indexOf(b)] = 1;
  return m;
}

export function trainModel(ds: Dataset, opts: TrainOptions): TrainResult {
  if (ds.rows < 2) throw new Error(`need at least 2 labelled rows, got ${ds.rows}`);
  if (ds.labels.length < 2) throw new Error(`need at least two classes, got only "${ds.labels[0]}"`);
  benignMask(ds.labels, opts.benignLabels);
  const fo: ForestOptions = { ...defaultForestOptions, ...opts.forest };
  const threshold = opts.threshold ?? 0.5;
  let report: EvaluationReport | null = null;
  let reportText = '';
  const k = opts.folds ?? 5;
  const minClass = Math.min(...ds.labels.map((_, c) => ds.y.reduce((s, v) => s + (v === c ? 1 : 0), 0)));
  if (k > 1) {
    opts.log?.(`cross-validating (${k} stratified folds, seed ${fo.seed})`);
    report = crossValidate(ds, { ...opts, threshold }).report;
    reportText = formatReport(report, `${k}-fold stratified cross-validation, ${ds.rows} rows, ${ds.columns.length} features, ${fo.trees} trees, threshold ${threshold}` +
      (minClass < k ? ` (note: smallest class has ${minClass} rows, fewer than ${k} folds)` : ''));
  }
  const t0 = process.hrtime.bigint();
  const { forest } = trainForest(ds.x, ds.y, ds.columns.length, ds.labels.length, fo);
  const trainMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const nodes = forest.trees.reduce((s, t) => s + t.feature.length, 0);
  opts.log?.(`trained final forest on ${ds.rows} rows in ${(trainMs / 1000).toFixed(2)} s (${forest.trees.length} trees, ${nodes} nodes)`);
  const benignLabels = opts.benignLabels.filter((b) => ds.labels.includes(b));
  const card: ModelCard = {
    format: 'deepmad-model-card',
    version: 1,
    name: opts.name ?? 'deepmad-forest',
    description: opts.description ?? `Histogram random forest (${fo.trees} trees) trained by deepmad`,
    profile: opts.profile,
    columns: ds.columns,
    preprocessing: opts.preprocessing ?? { kind: 'none' },
    nonFinite: opts.nonFinite ?? 'zero',
    labels: ds.labels,
    benignLabels,
    threshold,
    inputType: 'float32',
    provenance: {
      trainer: 'deepmad histogram random forest',
      forest: { trees: fo.trees, maxDepth: fo.maxDepth, maxFeatures: fo.maxFeatures ?? Math.round(Math.sqrt(ds.columns.length)), bootstrap: fo.bootstrap, classWeight: fo.classWeight ?? null, seed: fo.seed },
      rows: ds.rows,
      classCounts: Object.fromEntries(ds.labels.map((l, c) => [l, ds.y.reduce((s, v) => s + (v === c ? 1 : 0), 0)])),
      ...opts.provenance,
    },
    metrics: report ? {
      method: `${k}-fold stratified cross-validation (held-out folds)`,
      macroF1: round(report.macroF1), accuracy: round(report.accuracy),
      binaryF1: round(report.binary.f1), benignFlaggedRate: round(report.binary.benignFlaggedRate), attacksMissedRate: round(report.binary.attacksMissedRate),
      perClassF1: Object.fromEntries(report.perClass.map((m) => [m.label, round(m.f1)])),
    } : undefined,
  };
  const onnx = forestToOnnx(forest, ds.labels, { 'deepmad.card': JSON.stringify(card) });
  return { onnx, card, report, reportText, trainMs, nodes };
}

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

/** Writes model, card (`.card.json`) and report (`.report.txt` + `.report.json`) side by side. */
export function writeModel(out: string, res: TrainResult): string[] {
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  fs.writeFileSync(out, res.onnx);
  fs.writeFileSync(`${out}.card.json`, `${JSON.stringify(res.card, null, 2)}\n`);
  const files = [out, `${out}.card.json`];
  if (res.report) {
    fs.writeFileSync(`${out}.report.txt`, `${res.reportText}\n`);
    fs.writeFileSync(`${out}.report.json`, `${JSON.stringify(res.report, null, 2)}\n`);
    files.push(`${out}.report.txt`, `${out}.report.json`);
  }
  return files;
}
