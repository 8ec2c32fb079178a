export * from './layout.js';
export * from './writer.js';
export * from './reader.js';
export { loadH5wasm } from './h5wasm.js';
// pandas to_hdf(format='table') layout (the Python prototype's files)
export * from './pandas-table.js';
export * from './pandas-layout.js';
export * from './pandas-writer.js';
export * from './pandas-input.js';
