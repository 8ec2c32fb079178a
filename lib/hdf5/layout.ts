/**
 * The on-disk layout of DeepMAD's flow HDF5 files (format "deepmad-flows", version 1).
 *
 *   /                      attrs: deepmad_format="deepmad-flows", deepmad_version=1, created=<ISO time>
 *   /flows                 a pandas "fixed"-format DataFrame, so `pandas.read_hdf(file)` (key 'flows')
 *                          returns the rows with their column names; attrs also hold
 *                          columns (variable-length strings, h5py-friendly), normalize_mode, scaler (JSON)
 *     block0_values        uint8 [rows, columns], chunked [blockRows, columns], resizable, gzip optional
 *     axis0, block0_items  column names (fixed-length ASCII)
 *     axis1                int64 row index 0..rows-1 (pandas' index)
 *   /trace                 one dataset per row-trace field, same length as the rows:
 *     flow_id S128, timestamp S32, src_ip S46, dst_ip S46, src_port uint16, dst_port uint16,
 *     protocol uint8, label S64 (only when some rows carried a label; earlier rows are '')
 */
export const FORMAT_NAME = 'deepmad-flows';
export const FORMAT_VERSION = 1;
export const FRAME_GROUP = 'flows';
export const TRACE_GROUP = 'trace';
export const VALUES = 'block0_values';

export const TRACE_STRINGS = {
  flow_id: 128,
  timestamp: 32,
  src_ip: 46,
  dst_ip: 46,
  label: 64,
} as const;

/** Attributes pandas (1.x/2.x, "fixed" format) requires on a frame group, as fixed-length strings. */
export const PANDAS_FRAME_STRING_ATTRS: ReadonlyArray<[string, string]> = [
  ['pandas_type', 'frame'],
  ['pandas_version', '0.15.2'],
  ['encoding', 'UTF-8'],
  ['errors', 'strict'],
  ['axis0_variety', 'regular'],
  ['axis1_variety', 'regular'],
  ['block0_items_variety', 'regular'],
];
