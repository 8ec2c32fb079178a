/**
 * Opens a model file of any supported format and returns ONNX bytes plus its card.
 * ONNX: ZipMap stripped. Keras (.h5 / .hdf5 / .keras / .weights.h5): converted to ONNX in memory.
 * Card: explicit > `<model>.card.json` beside the file > ONNX metadata `deepmad.card`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { cardPathFor, readCardFile, validateCard, CardError, type ModelCard } from './card.js';
import { readModelInfo, stripZipMap } from './onnx.js';

export type ModelFormat = 'onnx' | 'keras';

export interface ModelFile {
  path: string;
  format: ModelFormat;
  onnx: Uint8Array;
  card: ModelCard;
  /** notes for the user (e.g. "ZipMap output removed") */
  notes: string[];
}

export function detectFormat(file: string, head: Uint8Array): ModelFormat {
  const hdf5 = head.length >= 8 && head[0] === 0x89 && head[1] === 0x48 && head[2] === 0x44 && head[3] === 0x46;
  const zip = head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
  if (hdf5 || zip || /\.(h5|hdf5|keras)$/i.test(file)) return 'keras';
  return 'onnx';
}

export async function openModelFile(file: string, opts: { card?: ModelCard | string } = {}): Promise<ModelFile> {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new Error(`model file not found: ${abs}`);
  const bytes = new Uint8Array(fs.readFileSync(abs));
  const format = detectFormat(abs, bytes.subarray(0, 8));
  const notes: string[] = [];
  let card: ModelCard | undefined;
  if (typeof opts.card === 'string') card = readCardFile(opts.card);
  else if (opts.card) card = validateCard(opts.card, 'model card');
  else if (fs.existsSync(cardPathFor(abs))) card = readCardFile(cardPathFor(abs));
  let onnx: Uint8Array;
  if (format === 'onnx') {
    const info = readModelInfo(bytes);
    if (!card && info.metadata['deepmad.card']) {
      let raw: unknown;
      try { raw = JSON.parse(info.metadata['deepmad.card']); } catch (err) { throw new CardError(`${abs}: embedded card is not JSON (${(err as Error).message})`); }
      card = validateCard(raw, `${abs} (embedded card)`);
    }
    const s = stripZipMap(bytes);
    if (s.stripped.length) {
      notes.push(`removed ZipMap output(s) ${s.stripped.join(', ')} (onnxruntime-node cannot return maps); export with skl2onnx options={'zipmap': False} to avoid this`);
    }
    onnx = s.bytes;
  } else {
    if (!card) throw new CardError(`${abs}: a Keras model needs a model card (${path.basename(cardPathFor(abs))}) giving its columns, preprocessing and labels`);
    const { kerasToOnnx } = await import('./keras.js');
    onnx = await kerasToOnnx(abs, card);
  }
  if (!card) throw new CardError(`${abs}: no model card: write ${path.basename(cardPathFor(abs))} beside the model (see README, "Model cards")`);
  return { path: abs, format, onnx, card, notes };
}
