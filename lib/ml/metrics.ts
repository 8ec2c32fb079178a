/** Classification metrics and stratified folds for the training report. */
import { Random } from './random.js';

export interface ClassMetrics {
  label: string;
  support: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface EvaluationReport {
  labels: string[];
  benignLabels: string[];
  /** confusion[true][predicted] */
  confusion: number[][];
  perClass: ClassMetrics[];
  accuracy: number;
  macroF1: number;
  /** the same report restricted to each data source (when the data came from several) */
  bySource?: Record<string, EvaluationReport>;
  /** attack-vs-benign, attack = positive */
  binary: { precision: number; recall: number; f1: number; benignFlaggedRate: number; attacksMissedRate: number; tp: number; fp: number; fn: number; tn: number };
}

function f1(p: number, r: number): number {
  return p + r > 0 ? (2 * p * r) / (p + r) : 0;
}

export function evaluate(labels: string[], benignLabels: string[], yTrue: ArrayLike<number>, yPred: ArrayLike<number>): EvaluationReport {
  const C = labels.length;
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  for (let i = 0; i < yTrue.length; i++) confusion[yTrue[i]][yPred[i]]++;
  const perClass: ClassMetrics[] = [];
  let correct = 0;
  let total = 0;
  for (let c = 0; c < C; c++) {
    let rowSum = 0;
    let colSum = 0;
    for (let k = 0; k < C; k++) { rowSum += confusion[c][k]; colSum += confusion[k][c]; }
    const tp = confusion[c][c];
    correct += tp;
    total += rowSum;
    const precision = colSum ? tp / colSum : 0;
    const recall = rowSum ? tp / rowSum : 0;
    perClass.push({ label: labels[c], support: rowSum, precision, recall, f1: f1(precision, recall) });
  }
  const present = perClass.filter((m) => m.support > 0);
  const macroF1 = present.reduce((s, m) => s + m.f1, 0) / Math.max(1, present.length);
  const benign = new Set(benignLabels.map((l) => labels.indexOf(l)).filter((i) => i >= 0));
  let tp = 0, fp = 0, fn = 0, tn = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const a = !benign.has(yTrue[i]);
    const p = !benign.has(yPred[i]);
    if (a && p) tp++;
    else if (!a && p) fp++;
    else if (a && !p) fn++;
    else tn++;
  }
  const bp = tp + fp ? tp / (tp + fp) : 0;
  const br = tp + fn ? tp / (tp + fn) : 0;
  return {
    labels, benignLabels, confusion, perClass, accuracy: total ? correct / total : 0, macroF1,
    binary: { precision: bp, recall: br, f1: f1(bp, br), benignFlaggedRate: fp + tn ? fp / (fp + tn) : 0, attacksMissedRate: tp + fn ? fn / (tp + fn) : 0, tp, fp, fn, tn },
  };
}

/** Stratified k folds: fold[i] in [0, k), each class spread evenly, deterministic for a seed. */
export function stratifiedFolds(y: ArrayLike<number>, classes: number, k: number, seed: number): Uint8Array {
  const rng = new Random(seed);
  const fold = new Uint8Array(y.length);
  let offset = 0;
  for (let c = 0; c < classes; c++) {
    const members: number[] = [];
    for (let i = 0; i < y.length; i++) if (y[i] === c) members.push(i);
    rng.shuffle(members);
    // rotate the start so small classes do not all land in fold 0
    for (let j = 0; j < members.length; j++) fold[members[j]] = (j + offset) % k;
    offset = (offset + members.length) % k;
  }
  return fold;
}

export function formatReport(r: EvaluationReport, title: string): string {
  const pct = (v: number): string => v.toFixed(4);
  const w = Math.max(12, ...r.labels.map((l) => l.length));
  const lines = [title, '', `${'class'.padEnd(w)}  precision  recall     f1         support`];
  for (const m of r.perClass) {
    lines.push(`${m.label.padEnd(w)}  ${pct(m.precision)}     ${pct(m.recall)}     ${pct(m.f1)}     ${m.support}`);
  }
  lines.push('', `accuracy ${pct(r.accuracy)}   macro-F1 ${pct(r.macroF1)}`);
  const b = r.binary;
  lines.push(`attack-vs-benign: F1 ${b.f1.toFixed(5)}  precision ${b.precision.toFixed(5)}  recall ${b.recall.toFixed(5)}  ` +
    `benign flagged ${(b.benignFlaggedRate * 100).toFixed(3)}% (${b.fp}/${b.fp + b.tn})  attacks missed ${(b.attacksMissedRate * 100).toFixed(3)}% (${b.fn}/${b.tp + b.fn})`);
  for (const [name, sr] of Object.entries(r.bySource ?? {})) {
    const sb = sr.binary;
    lines.push(`  held-out rows from ${name}: attack-vs-benign F1 ${sb.f1.toFixed(5)}, benign flagged ${(sb.benignFlaggedRate * 100).toFixed(3)}% (${sb.fp}/${sb.fp + sb.tn}), attacks missed ${(sb.attacksMissedRate * 100).toFixed(3)}% (${sb.fn}/${sb.tp + sb.fn}), macro-F1 ${sr.macroF1.toFixed(4)}`);
  }
  lines.push('', 'confusion matrix (rows = true, columns = predicted, in class order above):');
  for (let c = 0; c < r.labels.length; c++) lines.push(`${r.labels[c].padEnd(w)}  ${r.confusion[c].map((v) => String(v).padStart(5)).join('')}`);
  return lines.join('\n');
}
