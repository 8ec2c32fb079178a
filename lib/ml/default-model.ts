/** Where the packaged default model lives (models/ at the package root), from source or dist/. */
import fs from 'node:fs';
import path from 'node:path';

export const DEFAULT_MODEL_FILE = 'deepmad-default.onnx';

export function packageRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'models'))) return dir;
    dir = path.dirname(dir);
  }
  return path.resolve(__dirname, '..', '..');
}

export function defaultModelPath(): string {
  return path.join(packageRoot(), 'models', DEFAULT_MODEL_FILE);
}
