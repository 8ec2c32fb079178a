/**
 * Labelled training data: CSV files (CICFlowMeter-style headers) or flow objects, turned into a
 * row-major float32 matrix over the chosen feature columns plus class indices.
 */
import path from 'node:path';
import { readCsvFile } from './csv-table.js';

/**
 * Columns that identify a flow rather than describe its behaviour. Training on them teaches the
 * model the lab's addresses and clock, which never transfers to another network.
 */
export const IDENTIFIER_COLUMNS = [
  'id', 'Flow ID', 'Src IP', 'Src Port', 'Dst IP', 'Timestamp', 'Label', 'Attempted Category',
  'Source IP', 'Source Port', 'Destination IP', 'src_ip', 'dst_ip', 'src_port', 'timestamp', 'flow_id', 'label',
];

export interface Dataset {
  columns: string[];
  /** row-major float32 [rows × columns] */
  x: Float32Array;
  rows: number;
  labels: string[];
  /** class index per row */
  y: Uint16Array;
  /** rows whose label was missing or whose values were non-numeric, skipped */
  skipped: number;
  /** where each row came from (index into sourceNames), for per-source evaluation */
  source?: Uint16Array;
  sourceNames?: string[];
}

export interface DatasetOptions {
  labelColumn: string;
  /** explicit feature columns; default: every numeric column that is not an identifier or the label */
  columns?: string[];
  /** extra columns to leave out */
  exclude?: string[];
  /** map non-finite values: 'zero' (default) or 'clamp' */
  nonFinite?: 'zero' | 'clamp';
  /** relabel: maps a source label to a training label (e.g. merge classes) */
  relabel?: Record<string, string>;
}

const F32_MAX = 3.4028234663852886e38;

export function toFeatureValue(v: unknown, nonFinite: 'zero' | 'clamp'): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? (v.trim() === '' ? NaN : Number(v)) : typeof v === 'boolean' ? Number(v) : NaN;
  if (Number.isFinite(n)) return n;
  if (nonFinite === 'clamp' && (n === Infinity || n === -Infinity)) return n > 0 ? F32_MAX : -F32_MAX;
  return 0;
}

/** Builds a dataset from flow objects (keyed by column name) and their labels. */
export function datasetFromRecords(records: Array<Record<string, unknown>>, labelsOf: (r: Record<string, unknown>, i: number) => string | undefined, opts: Omit<DatasetOptions, 'labelColumn'> & { labelColumn?: string }): Dataset {
  if (records.length === 0) throw new Error('no labelled rows to train on');
  const exclude = new Set([...IDENTIFIER_COLUMNS, ...(opts.exclude ?? []), ...(opts.labelColumn ? [opts.labelColumn] : [])]);
  let columns = opts.columns;
  if (!columns) {
    columns = Object.keys(records[0]).filter((k) => !exclude.has(k) && typeof records[0][k] !== 'object');
    // keep only columns that are numeric in the first rows
    columns = columns.filter((k) => records.slice(0, 50).every((r) => r[k] === undefined || r[k] === '' || Number.isFinite(Number(r[k])) || /^-?inf|nan$/i.test(String(r[k]).trim())));
  }
  const missing = columns.filter((k) => !(k in records[0]));
  if (missing.length) throw new Error(`training rows lack column(s): ${missing.join(', ')}`);
  const F = columns.length;
  const labelIndex = new Map<string, number>();
  const labels: string[] = [];
  const x = new Float32Array(records.length * F);
  const y: number[] = [];
  let rows = 0;
  let skipped = 0;
  const nf = opts.nonFinite ?? 'zero';
  for (let i = 0; i < records.length; i++) {
    let label = labelsOf(records[i], i);
    if (label === undefined || label === '') { skipped++; continue; }
    label = opts.relabel?.[label] ?? label;
    let k = labelIndex.get(label);
    if (k === undefined) { k = labels.length; labels.push(label); labelIndex.set(label, k); }
    const r = records[i];
    for (let f = 0; f < F; f++) x[rows * F + f] = toFeatureValue(r[columns[f]], nf);
    y.push(k);
    rows++;
  }
  return finish(columns, x, rows, labels, y, skipped);
}

function finish(columns: string[], x: Float32Array, rows: number, labels: string[], y: number[], skipped: number): Dataset {
  // sort labels for a stable class order independent of file order
  const order = labels.map((l, i) => [l, i] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const remap = new Uint16Array(labels.length);
  order.forEach(([, old], idx) => { remap[old] = idx; });
  const yy = new Uint16Array(rows);
  for (let i = 0; i < rows; i++) yy[i] = remap[y[i]];
  return { columns, x: rows * columns.length === x.length ? x : x.slice(0, rows * columns.length), rows, labels: order.map(([l]) => l), y: yy, skipped };
}

/** Reads one or more labelled CSV files with the same feature columns. */
export function loadCsvDataset(files: string[], opts: DatasetOptions): Dataset {
  if (files.length === 0) throw new Error('no data files given');
  const exclude = new Set([...IDENTIFIER_COLUMNS, ...(opts.exclude ?? []), opts.labelColumn]);
  let columns = opts.columns;
  const chunks: Float32Array[] = [];
  const ys: number[] = [];
  const labels: string[] = [];
  const labelIndex = new Map<string, number>();
  let rows = 0;
  let skipped = 0;
  const nf = opts.nonFinite ?? 'zero';
  const sourceNames: string[] = [];
  const src: number[] = [];
  for (const file of files) {
    const t = readCsvFile(file);
    const sourceName = path.basename(path.dirname(path.resolve(file)));
    if (!sourceNames.includes(sourceName)) sourceNames.push(sourceName);
    const sourceIndex = sourceNames.indexOf(sourceName);
    const li = t.header.indexOf(opts.labelColumn);
    if (li < 0) throw new Error(`${file}: no label column "${opts.labelColumn}" (columns: ${t.header.slice(0, 8).join(', ')}, …)`);
    if (!columns) {
      columns = t.header.filter((h, j) => !exclude.has(h) && t.rows.slice(0, 50).every((r) => r[j] === '' || Number.isFinite(Number(r[j])) || /^-?(inf|infinity|nan)$/i.test(r[j].trim())));
    }
    const idx = columns.map((c) => t.header.indexOf(c));
    const missing = columns.filter((_, j) => idx[j] < 0);
    if (missing.length) throw new Error(`${file}: missing feature column(s): ${missing.join(', ')}`);
    const F = columns.length;
    const x = new Float32Array(t.rows.length * F);
    let n = 0;
    for (const r of t.rows) {
      let label = r[li].trim();
      if (!label) { skipped++; continue; }
      label = opts.relabel?.[label] ?? label;
      let k = labelIndex.get(label);
      if (k === undefined) { k = labels.length; labels.push(label); labelIndex.set(label, k); }
      for (let f = 0; f < F; f++) x[n * F + f] = toFeatureValue(r[idx[f]], nf);
      ys.push(k);
      src.push(sourceIndex);
      n++;
    }
    chunks.push(x.subarray(0, n * F));
    rows += n;
  }
  const F = columns!.length;
  const x = new Float32Array(rows * F);
  let off = 0;
  for (const c of chunks) { x.set(c, off); off += c.length; }
  const ds = finish(columns!, x, rows, labels, ys, skipped);
  if (sourceNames.length > 1) { ds.source = Uint16Array.from(src); ds.sourceNames = sourceNames; }
  return ds;
}

/** Appends datasets with the same columns (labels are merged by name). */
export function concatDatasets(parts: Dataset[]): Dataset {
  const columns = parts[0].columns;
  for (const p of parts) {
    if (p.columns.join('\u0000') !== columns.join('\u0000')) throw new Error('datasets have different feature columns');
  }
  const labels = [...new Set(parts.flatMap((p) => p.labels))];
  const F = columns.length;
  const rows = parts.reduce((s, p) => s + p.rows, 0);
  const x = new Float32Array(rows * F);
  const y: number[] = [];
  let off = 0;
  for (const p of parts) {
    x.set(p.x.subarray(0, p.rows * F), off * F);
    for (let i = 0; i < p.rows; i++) y.push(labels.indexOf(p.labels[p.y[i]]));
    off += p.rows;
  }
  return finish(columns, x, rows, labels, y, parts.reduce((s, p) => s + p.skipped, 0));
}
