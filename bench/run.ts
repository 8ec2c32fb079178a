/**
 * npm run bench [-- <section> …] — every throughput figure is printed next to the Node floor
 * (../shared/bench/floor.mjs) measured in the same run, as packets/s and as a ratio.
 * Sections live in bench/<area>.ts; add yours to SECTIONS (one line). `npm run bench -- reader`
 * runs only the sections whose name contains one of the arguments. DEEPMAD_BENCH_RUNS sets the
 * number of timed runs (median; default 5), DEEPMAD_BENCH_PCAP the capture (default /tmp/bench.pcap).
 * Prefer ctx.measure(): each timed run is paired with a floor run, so the ratio stays meaningful
 * when other work shares the machine.
 */
import { ensureBenchPcap, formatRow, measureFloor, measurePaired, type BenchContext, type BenchSection, type BenchRow } from './harness.js';
import { readerSection } from './reader.js';
import { nodesSection } from './nodes.js';
import { flowmeterSection } from './flowmeter.js';
import { alertsSection } from './alerts.js';
import { classifierSection } from './classifier.js';

const SECTIONS: BenchSection[] = [
  readerSection,
  nodesSection,
  flowmeterSection,
  alertsSection,
  classifierSection,
];

async function main(): Promise<number> {
  const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const chosen = SECTIONS.filter((s) => filters.length === 0 || filters.some((f) => s.name.includes(f)));
  if (chosen.length === 0) {
    console.error(`no bench section matches ${filters.join(', ')}; sections: ${SECTIONS.map((s) => s.name).join(', ')}`);
    return 2;
  }
  const runs = Math.max(1, Number(process.env.DEEPMAD_BENCH_RUNS ?? 5));
  const pcap = ensureBenchPcap();
  const floor = measureFloor(pcap, runs);
  const floorRow: BenchRow = { section: 'floor', name: 'floor.mjs (walk + 5-tuple, child process)', packets: floor.packets, secs: floor.secs };
  console.log(`deepmad bench on ${pcap} (median of ${runs} runs, node ${process.version})`);
  console.log(formatRow(floorRow, floor.pps));
  const report = (r: BenchRow): void => console.log(formatRow(r, floor.pps));
  const ctx: BenchContext = {
    pcap, floorPps: floor.pps, runs, report,
    async measure(section, name, fn, note) {
      const m = await measurePaired(pcap, runs, fn);
      report({ section, name, ...m, note: note?.() });
    },
  };
  for (const s of chosen) await s.run(ctx);
  return 0;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  console.error(`deepmad bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
