/** Public API of capture reading (re-exported by lib/index.ts). Live capture lives in live-*.ts. */
export {
  CaptureReader, parseCaptureBuffer, readCaptureFileSync, type CaptureReaderOptions, type SyncReadOptions,
} from './reader.js';
export { CaptureParser, DEFAULT_BATCH_SIZE, type ParserOptions } from './parser.js';
export { CaptureFormatError } from './errors.js';
export { emptyStats, type CaptureStats, type CaptureInterface } from './stats.js';
export { decodeFrame } from './decode.js';
export { allocBatch } from './batch-alloc.js';
export { linkTypeName, isDecodedLinkType } from './link-types.js';
export * from './packet-batch.js';
