/** Tiny argv parser for the train/classify commands: `--name value`, `--name=value`, `-o value`, repeatable options, positionals. */
import { parseAddressList, type AddressMatcher } from './address-match.js';

export interface ParsedArgs {
  positionals: string[];
  values: Map<string, string[]>;
  flags: Set<string>;
}

export function parseArgs(argv: string[], spec: { values: string[]; flags?: string[]; aliases?: Record<string, string> }): ParsedArgs {
  const out: ParsedArgs = { positionals: [], values: new Map(), flags: new Set() };
  const valueNames = new Set(spec.values);
  const flagNames = new Set(spec.flags ?? []);
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (!a.startsWith('-') || a === '-') { out.positionals.push(a); continue; }
    let inline: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { inline = a.slice(eq + 1); a = a.slice(0, eq); }
    const name = spec.aliases?.[a] ?? a.replace(/^--?/, '');
    if (flagNames.has(name)) { out.flags.add(name); continue; }
    if (!valueNames.has(name)) throw new Error(`unknown option ${a}`);
    const v = inline ?? argv[++i];
    if (v === undefined) throw new Error(`option ${a} needs a value`);
    // an option may take several values until the next option (--data a.csv b.csv)
    const list = out.values.get(name) ?? [];
    list.push(v);
    while (inline === undefined && name === 'data' && i + 1 < argv.length && !argv[i + 1].startsWith('-')) list.push(argv[++i]);
    out.values.set(name, list);
  }
  return out;
}

export function one(a: ParsedArgs, name: string, fallback?: string): string | undefined {
  const v = a.values.get(name);
  return v ? v[v.length - 1] : fallback;
}

export function num(a: ParsedArgs, name: string, fallback: number, min = -Infinity): number {
  const v = one(a, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number${min > -Infinity ? ` ≥ ${min}` : ''}, got "${v}"`);
  return n;
}

export function list(a: ParsedArgs, name: string): string[] {
  return (a.values.get(name) ?? []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

/**
 * `--trusted-sources` parsed once for a command (`deepmad classify`, `deepmad detect`): the matcher, or
 * null after printing the bad entry as `<command>: <message>` (the caller exits 2).
 */
export function trustedSourcesArg(a: ParsedArgs, command: string): AddressMatcher | null {
  try {
    return parseAddressList(list(a, 'trusted-sources'), '--trusted-sources');
  } catch (err) {
    console.error(`${command}: ${(err as Error).message}`);
    return null;
  }
}
