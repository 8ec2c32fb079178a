import fs from 'node:fs';
import path from 'node:path';

/**
 * Expands CLI data arguments: a file stays itself, a directory becomes its *.csv / *.h5 / *.hdf5
 * files in name order. A missing path or a directory without data files is an error naming it.
 */
export function expandDataFiles(inputs: string[]): string[] {
  const out: string[] = [];
  for (const p of inputs) {
    if (!fs.existsSync(p)) throw new Error(`no such file or directory: ${p}`);
    if (fs.statSync(p).isDirectory()) {
      const files = fs.readdirSync(p).filter((f) => /\.(csv|h5|hdf5)$/i.test(f)).sort().map((f) => path.join(p, f));
      if (files.length === 0) throw new Error(`${p}: no .csv or .h5 files`);
      out.push(...files);
    } else out.push(p);
  }
  return out;
}
