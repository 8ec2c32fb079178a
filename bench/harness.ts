/**
 * Shared bench plumbing: the benchmark capture, the Node floor (../shared/bench/floor.mjs run as a
 * child process in the same session), timing, and the result table. Sections live in bench/<area>.ts
 * and are listed in bench/run.ts.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const SHARED = path.resolve(__dirname, '../../../shared');
export const BENCH_PCAP = process.env.DEEPMAD_BENCH_PCAP ?? '/tmp/bench.pcap';

export interface BenchContext {
  /** The benchmark capture (classic pcap, 1,024,382 packets for seed 1). */
  pcap: string;
  /** Median floor packets/s on `pcap`, measured at the start of this run. */
  floorPps: number;
  /** Timed repetitions per measurement (median reported). */
  runs: number;
  report(row: BenchRow): void;
  /**
   * Time `fn` (returns packets processed) `runs` times, each run paired with one floor run just
   * before it, and report the median packets/s and the median of the per-pair ratios: robust when
   * the machine's load changes during the bench.
   */
  measure(section: string, name: string, fn: () => Promise<number> | number, note?: () => string): Promise<void>;
}

export interface BenchRow {
  section: string;
  name: string;
  packets: number;
  /** Median seconds per run. */
  secs: number;
  /** Median ratio to floor runs paired with this row's runs (else packets/s ÷ the start-of-run floor). */
  ratio?: number;
  /** Same, from CPU time (user + system) instead of wall-clock time. */
  cpuRatio?: number;
  /** Extra notes (flows, RSS…). */
  note?: string;
}

export interface BenchSection {
  name: string;
  describe: string;
  run(ctx: BenchContext): Promise<void>;
}

/** Generate the benchmark pcap with the shared script when it is missing (about 4 s). */
export function ensureBenchPcap(): string {
  if (fs.existsSync(BENCH_PCAP)) return BENCH_PCAP;
  const script = path.join(SHARED, 'bench', 'make-bench-pcap.sh');
  if (!fs.existsSync(script)) throw new Error(`${BENCH_PCAP} is missing and ${script} is not available to make it`);
  console.log(`generating ${BENCH_PCAP} with ${script} …`);
  execFileSync('bash', [script, BENCH_PCAP], { stdio: ['ignore', 'ignore', 'inherit'] });
  return BENCH_PCAP;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * One floor.mjs run as a child process: its own wall timing of the walk (start-up excluded), plus
 * the CPU time (user + system, all threads) the walk used, taken around an import of floor.mjs.
 * CPU time is what stays comparable when other work competes for the cores.
 */
export function floorOnce(pcap: string): { packets: number; secs: number; cpuSecs: number; acc: number } {
  const floor = path.join(SHARED, 'bench', 'floor.mjs');
  // floor.mjs reads process.argv[2]; with -e the argv is [node, ...extra], so pad one slot.
  const wrapper = `const c0 = process.cpuUsage(); await import(${JSON.stringify(pathToFileURL(floor).href)});
    const c = process.cpuUsage(c0); console.log(JSON.stringify({ cpuSecs: (c.user + c.system) / 1e6 }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', wrapper, '-', pcap], { encoding: 'utf8' });
  const lines = out.trim().split('\n');
  const r = JSON.parse(lines[lines.length - 2]) as { packets: number; secs: number; acc: number };
  const c = JSON.parse(lines[lines.length - 1]) as { cpuSecs: number };
  return { packets: r.packets, secs: r.secs, cpuSecs: c.cpuSecs, acc: r.acc };
}

/** Run floor.mjs `runs` times (after one warm-up) and return the median packets/s. */
export function measureFloor(pcap: string, runs: number): { pps: number; packets: number; secs: number } {
  const results: { packets: number; secs: number }[] = [];
  for (let k = 0; k <= runs; k++) {
    const r = floorOnce(pcap);
    if (k > 0) results.push(r);
  }
  const secs = median(results.map((r) => r.secs));
  return { pps: results[0].packets / secs, packets: results[0].packets, secs };
}

/** BenchContext.measure: paired floor/subject runs, median ratios of wall-clock and of CPU time. */
export async function measurePaired(
  pcap: string, runs: number, fn: () => Promise<number> | number,
): Promise<{ packets: number; secs: number; ratio: number; cpuRatio: number }> {
  let packets = await fn(); // warm-up
  const times: number[] = [];
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  for (let k = 0; k < runs; k++) {
    const f = floorOnce(pcap);
    (globalThis as { gc?: () => void }).gc?.();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    packets = await fn();
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    times.push(secs);
    ratios.push(f.secs / secs * (packets / f.packets));
    cpuRatios.push(f.cpuSecs / ((c.user + c.system) / 1e6) * (packets / f.packets));
  }
  return { packets, secs: median(times), ratio: median(ratios), cpuRatio: median(cpuRatios) };
}

/** Time `fn` (one warm-up, then `runs` timed calls); it returns the packet count it processed. */
export async function timeRuns(runs: number, fn: () => Promise<number> | number): Promise<{ secs: number; packets: number }> {
  let packets = await fn();
  const times: number[] = [];
  for (let k = 0; k < runs; k++) {
    (globalThis as { gc?: () => void }).gc?.();
    const t0 = process.hrtime.bigint();
    packets = await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { secs: median(times), packets };
}

export function formatRow(r: BenchRow, floorPps: number): string {
  const pps = r.packets / r.secs;
  const ratio = r.ratio ?? pps / floorPps;
  const cpu = r.cpuRatio !== undefined ? `  ${r.cpuRatio.toFixed(2).padStart(5)} × floor CPU` : '';
  return `${`${r.section}: ${r.name}`.padEnd(56)} ${(pps / 1e6).toFixed(2).padStart(6)} M pkt/s  ${ratio.toFixed(2).padStart(5)} × floor${cpu}` +
    `  (${r.packets.toLocaleString('en-US')} pkts, ${r.secs.toFixed(3)} s${r.note ? `, ${r.note}` : ''})`;
}
