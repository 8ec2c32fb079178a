/**
 * Labelled DeepMAD flow HDF5 files (lib/hdf5 layout: uint8 rows, per-row label in the trace) as a
 * training dataset. The rows are normalized, so the model card needs the scaler: taken from a
 * `deepmad-scaler` JSON attribute of the file, or given explicitly.
 */
import type { Preprocessing } from './card.js';
import type { Dataset } from './dataset.js';

export async function loadH5Dataset(file: string, scaler?: { min: number[]; max: number[]; columns: string[] }): Promise<{ ds: Dataset; preprocessing: Preprocessing | null }> {
  const { readHdf5Rows, hdf5Info } = await import('../hdf5/reader.js');
  const batch = await readHdf5Rows(file);
  const labels = batch.trace.label;
  if (!labels) throw new Error(`${file}: the rows carry no labels (no trace/label dataset); label the flows before writing them`);
  let sc = scaler;
  if (!sc) {
    const info = await hdf5Info(file);
    for (const v of Object.values(info.attributes)) {
      if (typeof v !== 'string' || !v.includes('deepmad-scaler')) continue;
      try { const j = JSON.parse(v); if (j.format === 'deepmad-scaler') sc = j; } catch { /* not JSON */ }
    }
  }
  const F = batch.columns.length;
  const names = [...new Set(labels.filter((l) => l !== ''))].sort();
  const y = new Uint16Array(batch.rows);
  const x = new Float32Array(batch.rows * F);
  let rows = 0;
  let skipped = 0;
  for (let i = 0; i < batch.rows; i++) {
    if (!labels[i]) { skipped++; continue; }
    y[rows] = names.indexOf(labels[i]);
    for (let f = 0; f < F; f++) x[rows * F + f] = batch.data[i * F + f];
    rows++;
  }
  let preprocessing: Preprocessing | null = null;
  if (sc) {
    const idx = batch.columns.map((c) => sc!.columns.indexOf(c));
    if (idx.some((k) => k < 0)) throw new Error(`${file}: the scaler does not cover column(s) ${batch.columns.filter((_, j) => idx[j] < 0).join(', ')}`);
    preprocessing = { kind: 'minmax-uint8', min: idx.map((k) => sc!.min[k]), max: idx.map((k) => sc!.max[k]), scale: 255 };
  }
  return { ds: { columns: batch.columns, x: x.subarray(0, rows * F), rows, labels: names, y: y.subarray(0, rows), skipped }, preprocessing };
}
