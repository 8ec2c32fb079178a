/**
 * NormalizedBatch → pandas table frame, for the HDF5 "pandas table (prototype)" layout: the file
 * `pandas.read_hdf(path, 'data')` reads as the prototype's normed_data.h5 (uint8 columns; columns that
 * were constant in a prototype-mode batch as float64 NaN, as pandas left them; index = row positions
 * in the incoming batch after the prototype's NaN-row drop). Batches of other modes are all uint8.
 */
import { isPrototypeBatch } from '../normalize/prototype-mode.js';
import type { NormalizedBatch } from '../normalize/rows.js';
import type { PandasColumn, PandasFrame } from './pandas-table.js';

export interface PandasLayoutOptions {
  /** added to every index value (e.g. rows already written, to keep the index unique across appends) */
  indexOffset?: number;
  /** also store the batch's trace (flow id, addresses, ports, protocol, timestamp) as string/int columns */
  withTrace?: boolean;
}

export function batchToPandasFrame(batch: NormalizedBatch, options: PandasLayoutOptions = {}): PandasFrame {
  const n = batch.rows;
  const C = batch.columns.length;
  const off = options.indexOffset ?? 0;
  const proto = isPrototypeBatch(batch) ? batch : null;
  const index = new Float64Array(n);
  for (let r = 0; r < n; r++) index[r] = off + (proto ? proto.sourceRows[r] : r);
  const columns: PandasColumn[] = batch.columns.map((name, j) => {
    if (proto?.constantColumns[j]) return { name, dtype: 'float64', values: new Float64Array(n).fill(NaN) };
    const values = new Uint8Array(n);
    for (let r = 0; r < n; r++) values[r] = batch.data[r * C + j];
    return { name, dtype: 'uint8', values };
  });
  if (options.withTrace) {
    const t = batch.trace;
    columns.push(
      { name: 'flow_id', dtype: 'bytes', values: t.flowId.slice(0, n) },
      { name: 'timestamp', dtype: 'bytes', values: t.timestamp.slice(0, n) },
      { name: 'src_ip', dtype: 'bytes', values: t.srcIp.slice(0, n) },
      { name: 'dst_ip', dtype: 'bytes', values: t.dstIp.slice(0, n) },
      { name: 'src_port', dtype: 'int32', values: Int32Array.from(t.srcPort.subarray(0, n)) },
      { name: 'dst_port', dtype: 'int32', values: Int32Array.from(t.dstPort.subarray(0, n)) },
      { name: 'protocol', dtype: 'int32', values: Int32Array.from(t.protocol.subarray(0, n)) },
    );
  }
  return { index, columns };
}
