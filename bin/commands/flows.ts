/** deepmad flows — meter a capture file (or stdin) into CICFlowMeter-style flow rows. */
import fs from 'node:fs';
import type { Command } from '../deepmad.js';
import { CaptureReader } from '../../lib/capture/reader.js';
import { Flowmeter } from '../../lib/flow/flowmeter.js';
import { FlowmeterWorker } from '../../lib/flow/worker.js';
import type { FlowSummary } from '../../lib/flow/engine.js';
import { csvHeader, toCsv, toJsonLines } from '../../lib/flow/output.js';
import { DEFAULT_MAX_FLOWS } from '../../lib/flow/engine.js';
import { getProfile, profileNames } from '../../lib/flow/profiles/index.js';

const usage = `deepmad flows <capture|-> [-o out.csv] [--profile ${profileNames().join('|')}]
  [--format csv|jsonl] [--ipv4-only] [--flow-timeout S] [--activity-timeout S] [--idle-timeout S]
  [--max-flows N] [--direction-by-port] [--threads 1|2] [--quiet]

Reads a pcap/pcapng (optionally gzip-compressed) file, or a capture on stdin with '-', and writes one
row per flow to out.csv (default: stdout) with the profile's reference header. Profiles:
  improved        corrected CICFlowMeter (Engelen et al. 2021), the default
  cic-ids2017     CICFlowMeter as used for CIC-IDS2017 / CSE-CIC-IDS2018 (V3 header)
  cicflowmeter-4  CICFlowMeter 4.0 (current upstream)
  prc             the Python DeepMAD prototype's flowmeter (prc-flowmeter 0.2.0), deterministic;
                  writes only TCP sessions ended by FIN/RST, as the prototype did
--ipv4-only reproduces the reference tools' IPv4-only view (IPv6 flows are metered by default).
Timeouts in seconds (defaults 120 / 5; idle = flow timeout). --max-flows caps concurrent flows
(default ${DEFAULT_MAX_FLOWS}); when full the oldest flow is written early and counted as evicted.
--threads 2 reads and decodes on this thread and meters on a worker thread (same output).
A summary goes to stderr; progress too when stderr is a terminal.`;

interface Args {
  input?: string;
  out?: string;
  profile?: string;
  format: 'csv' | 'jsonl';
  ipv4Only: boolean;
  flowTimeout?: number;
  activityTimeout?: number;
  idleTimeout?: number;
  maxFlows?: number;
  directionByPort: boolean;
  threads: 1 | 2;
  quiet: boolean;
}

function parse(argv: string[]): Args {
  const a: Args = { format: 'csv', ipv4Only: false, directionByPort: false, threads: 1, quiet: false };
  const number = (name: string, v: string | undefined, min: number): number => {
    const x = Number(v);
    if (v === undefined || v === '' || !Number.isFinite(x) || x < min) throw new UsageError(`${name} needs a number ≥ ${min}, got '${v ?? ''}'`);
    return x;
  };
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i];
    const eq = t.startsWith('--') ? t.indexOf('=') : -1;
    const name = eq > 0 ? t.slice(0, eq) : t;
    const value = (): string | undefined => (eq > 0 ? t.slice(eq + 1) : argv[++i]);
    switch (name) {
      case '-o': case '--out': case '--output': a.out = value(); if (!a.out) throw new UsageError(`${name} needs a file name`); break;
      case '--profile': case '-p': a.profile = value(); break;
      case '--format': {
        const f = value();
        if (f !== 'csv' && f !== 'jsonl') throw new UsageError(`--format must be csv or jsonl, got '${f ?? ''}'`);
        a.format = f;
        break;
      }
      case '--ipv4-only': a.ipv4Only = true; break;
      case '--flow-timeout': a.flowTimeout = number(name, value(), 0); break;
      case '--activity-timeout': a.activityTimeout = number(name, value(), 0); break;
      case '--idle-timeout': a.idleTimeout = number(name, value(), 0); break;
      case '--max-flows': a.maxFlows = Math.floor(number(name, value(), 1)); break;
      case '--direction-by-port': a.directionByPort = true; break;
      case '--threads': {
        const t = value();
        if (t !== '1' && t !== '2') throw new UsageError(`--threads must be 1 or 2, got '${t ?? ''}'`);
        a.threads = t === '2' ? 2 : 1;
        break;
      }
      case '--quiet': case '-q': a.quiet = true; break;
      default:
        if (t !== '-' && t.startsWith('-')) throw new UsageError(`unknown option '${t}'`);
        if (a.input !== undefined) throw new UsageError(`only one capture at a time (got '${a.input}' and '${t}')`);
        a.input = t;
    }
  }
  return a;
}

class UsageError extends Error {}

export const command: Command = {
  summary: 'meter a capture into CICFlowMeter-style flow rows (CSV or JSON lines)',
  usage,
  async run(argv) {
    let a: Args;
    try {
      a = parse(argv);
      if (!a.input) throw new UsageError('missing capture file (or - for stdin)');
      getProfile(a.profile);
    } catch (err) {
      console.error(`deepmad flows: ${(err as Error).message}\nusage: ${usage}`);
      return 2;
    }
    const input = a.input;
    if (input !== '-' && !fs.existsSync(input)) {
      console.error(`deepmad flows: no such file: ${input}`);
      return 1;
    }
    const profile = getProfile(a.profile);
    const out: NodeJS.WritableStream = a.out ? fs.createWriteStream(a.out) : process.stdout;
    let pending = '';
    let closedPipe = false; // e.g. `deepmad flows x.pcap | head`: stop writing quietly
    out.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') { closedPipe = true; return; }
      console.error(`deepmad flows: cannot write output: ${err.message}`);
      closedPipe = true;
    });
    const write = (s: string) => {
      if (closedPipe) return;
      pending += s;
      if (pending.length >= 1 << 20) { out.write(pending); pending = ''; }
    };
    if (a.format === 'csv') write(`${csvHeader(profile)}\n`);
    const meterOpts = {
      ipv4Only: a.ipv4Only,
      flowTimeout: a.flowTimeout,
      activityTimeout: a.activityTimeout,
      idleTimeout: a.idleTimeout,
      maxFlows: a.maxFlows,
      directionByIpAndPort: a.directionByPort,
    };
    const onFlows = (b: import('../../lib/flow/flow-batch.js').FlowBatch) =>
      write(a.format === 'csv' ? toCsv(b, profile) : toJsonLines(b, profile));
    // One interface over the in-thread meter and the two-thread pipeline.
    let fm: { push(b: import('../../lib/capture/packet-batch.js').PacketBatch): void | Promise<void>; close(): FlowSummary | Promise<FlowSummary>; progress(): string };
    if (a.threads === 2) {
      const w = new FlowmeterWorker({ ...meterOpts, profile: profile.name });
      w.on('flows', onFlows);
      let packets = 0;
      fm = { push: (b) => { packets += b.count; return w.push(b); }, close: () => w.close(), progress: () => `${packets} packets` };
    } else {
      // the CLI keeps no reference to a batch once its text is written, so it goes back for reuse
      const m: Flowmeter = new Flowmeter({ ...meterOpts, profile, onFlows: (b) => { onFlows(b); m.release(b); } });
      fm = {
        push: (b) => m.push(b), close: () => m.close(),
        progress: () => `${m.summary.packets} packets, ${m.summary.flowsWritten} flows written, ${m.openFlows} open`,
      };
    }
    const reader = new CaptureReader(input === '-' ? process.stdin : input, {
      onWarning: (m) => { if (!a.quiet) console.error(`deepmad flows: warning: ${m}`); },
    });
    const tty = process.stderr.isTTY && !a.quiet;
    const size = input !== '-' ? fs.statSync(input).size : 0;
    let lastProgress = Date.now();
    let failure: Error | null = null;
    try {
      for await (const batch of reader) {
        const busy = fm.push(batch);
        if (busy) await busy; // worker backpressure
        if (a.threads !== 2) reader.release(batch); // metered synchronously, nothing kept: its memory serves the next batch
        if (tty && Date.now() - lastProgress > 250) {
          lastProgress = Date.now();
          const pct = size > 0 ? ` ${Math.min(100, (100 * reader.stats.bytesRead) / size).toFixed(0)}%` : '';
          process.stderr.write(`\r\x1b[Kdeepmad flows:${pct} ${fm.progress()}`);
        }
      }
    } catch (err) {
      failure = err as Error; // every good packet before the error was metered; still write their flows
    }
    const s = await fm.close();
    if (pending && !closedPipe) out.write(pending);
    if (out !== process.stdout && !closedPipe) await new Promise<void>((res) => { out.once('error', () => res()); (out as fs.WriteStream).end(res); });
    if (tty) process.stderr.write('\r\x1b[K');
    if (!a.quiet) {
      console.error(`deepmad flows: ${s.packets} packets (${s.nonIpPackets} not IP${a.ipv4Only ? `, ${s.ipv6Skipped} IPv6 skipped` : ''}), ` +
        `${s.flowsWritten} flows written [${profile.name}]` +
        (s.singlePacketSuppressed ? `, ${s.singlePacketSuppressed} single-packet flows not written (profile rule)` : '') +
        (s.flowsEvicted ? `, ${s.flowsEvicted} flows evicted (table full at ${a.maxFlows ?? DEFAULT_MAX_FLOWS})` : '') +
        (s.discardedPackets ? `, ${s.discardedPackets} packets discarded (profile rule)` : ''));
    }
    if (failure) {
      console.error(`deepmad flows: ${failure.message}`);
      return 1;
    }
    return 0;
  },
};
