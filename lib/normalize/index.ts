export * from './columns.js';
export * from './scaler.js';
export * from './rows.js';
export * from './flow-columns.js';
export * from './normalizer.js';
export * from './fit.js';
export * from './prototype-mode.js';
