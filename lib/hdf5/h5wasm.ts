/**
 * Lazy loader for h5wasm. h5wasm is ESM-only, so it is loaded with a dynamic import (kept as
 * `import()` in our CommonJS output by `module: node16`) and only when an HDF5 file is touched.
 */
export type H5Module = typeof import('h5wasm/node', { with: { 'resolution-mode': 'import' } });
export type H5File = InstanceType<H5Module['File']>;
export type H5Group = InstanceType<H5Module['Group']>;
export type H5Dataset = InstanceType<H5Module['Dataset']>;

let loading: Promise<H5Module> | null = null;

export function loadH5wasm(): Promise<H5Module> {
  if (!loading) {
    loading = (async () => {
      let h5: H5Module;
      try {
        h5 = await import('h5wasm/node');
      } catch (err) {
        loading = null;
        throw new Error(`the h5wasm package could not be loaded (${(err as Error).message}); reinstall DeepMAD's dependencies (npm install)`);
      }
      await h5.ready;
      return h5;
    })();
  }
  return loading;
}
