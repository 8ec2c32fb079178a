export * from './layout.js';
export * from './writer.js';
export * from './reader.js';
export { loadH5wasm } from './h5wasm.js';
