/**
 * Flow meter section: capture → CaptureReader → Flowmeter (every feature of the profile) → rows,
 * one thread, each run in a fresh child process so its peak RSS is reported; plus CSV formatting,
 * the other profiles, and a spoofed-source SYN flood against the default flow cap.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { floorOnce, median, type BenchSection } from './harness.js';

interface ChildResult { packets: number; flows: number; secs: number; cpuSecs: number; maxRssMB: number; chars: number; evicted: number; peakOpen: number }

function child(args: string[]): ChildResult {
  const script = path.join(__dirname, 'flowmeter-child.js');
  const out = execFileSync(process.execPath, [script, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
}

/**
 * One warm-up, then `runs` timed child runs, each paired with a floor run just before it (the machine
 * is shared): median time, median per-pair ratio, max of the peak RSS.
 */
function measure(pcap: string, runs: number, args: string[], floorPaired = true): ChildResult & { ratio?: number; cpuRatio?: number } {
  child(args);
  const rs: ChildResult[] = [];
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  for (let k = 0; k < runs; k++) {
    const f = floorPaired ? floorOnce(pcap) : null;
    const r = child(args);
    rs.push(r);
    if (f) {
      ratios.push((r.packets / r.secs) / (f.packets / f.secs));
      cpuRatios.push((r.packets / r.cpuSecs) / (f.packets / f.cpuSecs));
    }
  }
  return {
    ...rs[0], secs: median(rs.map((r) => r.secs)), maxRssMB: Math.max(...rs.map((r) => r.maxRssMB)),
    ratio: ratios.length ? median(ratios) : undefined,
    cpuRatio: cpuRatios.length ? median(cpuRatios) : undefined,
  };
}

export const flowmeterSection: BenchSection = {
  name: 'flowmeter',
  describe: 'Flowmeter, every feature, one thread (child process per run: time from first read to last flow, peak RSS)',
  async run(ctx) {
    for (const [profile, mode] of [['improved', 'meter'], ['improved', 'worker'], ['improved', 'csv'], ['cicflowmeter-4', 'meter'], ['cic-ids2017', 'meter']] as const) {
      const r = measure(ctx.pcap, ctx.runs, [mode, ctx.pcap, profile]);
      ctx.report({
        section: 'flowmeter',
        name: `${profile}${mode === 'csv' ? ' + CSV text' : mode === 'worker' ? ', 2 threads (read | meter)' : ''}`,
        packets: r.packets,
        secs: r.secs,
        ratio: r.ratio,
        cpuRatio: r.cpuRatio,
        note: `${r.flows.toLocaleString('en-US')} flows, ${Math.round(r.flows / r.secs / 1000)} k flows/s, peak RSS ${r.maxRssMB} MiB`,
      });
    }
    const flood = measure(ctx.pcap, 1, ['flood', '2000000', 'improved']);
    ctx.report({
      section: 'flowmeter',
      name: 'SYN flood, 2 M spoofed sources, default cap',
      packets: flood.packets,
      secs: flood.secs,
      ratio: flood.ratio,
      note: `peak ${flood.peakOpen.toLocaleString('en-US')} open flows, ${flood.evicted.toLocaleString('en-US')} evicted, peak RSS ${flood.maxRssMB} MiB`,
    });
  },
};
