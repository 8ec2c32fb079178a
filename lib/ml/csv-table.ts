/**
 * Small CSV reader for labelled flow tables (CICFlowMeter CSVs and our own): header row, comma
 * separated, optional double quotes. Header names are trimmed (MachineLearningCVE files carry
 * leading blanks, " Label").
 */
import fs from 'node:fs';

export interface CsvTable {
  header: string[];
  rows: string[][];
}

function splitLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; }
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { out.push(cur); cur = ''; }
    else cur += ch;
  }
  out.push(cur);
  return out;
}

export function parseCsv(text: string, source = 'CSV'): CsvTable {
  const lines = text.split(/\r?\n/);
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new Error(`${source}: empty file (no header row)`);
  const header = splitLine(lines[0].replace(/^\uFEFF/, '')).map((h) => h.trim());
  const rows: string[][] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const r = splitLine(lines[i]);
    if (r.length !== header.length) {
      throw new Error(`${source}: line ${i + 1} has ${r.length} fields, the header has ${header.length}`);
    }
    rows.push(r);
  }
  return { header, rows };
}

export function readCsvFile(file: string): CsvTable {
  if (!fs.existsSync(file)) throw new Error(`no such file: ${file}`);
  return parseCsv(fs.readFileSync(file, 'utf8'), file);
}

/** CSV field quoting for output. */
export function csvField(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
