/**
 * deepmad-pcap-in: reads a pcap/pcapng file (gzip too) and sends packet batches, then one
 * end-of-source message with the reader's counters. Files named by messages are read one after
 * another (a queue), so it can follow the dumpcap node in files mode. Optional paced replay by the
 * packets' own timestamps (speed factor) for demos.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sliceBatch } from '../../lib/capture/batch-slice.js';
import type { PacketBatch } from '../../lib/capture/packet-batch.js';
import { CaptureReader } from '../../lib/capture/reader.js';
import type { CaptureStats } from '../../lib/capture/stats.js';
import { asError, numberField, shortCount, type Done, type Msg, type NodeAPI, type RedNode, type Send } from '../capture-common.js';

interface PcapInConfig {
  name?: string;
  filename?: string;
  batchSize?: string | number;
  speed?: string | number;
  readOnDeploy?: boolean;
}

interface Job { file: string; msg: Msg; send: Send; done: Done }

/** Longest wait between paced slices; also how often a stop request is noticed while pacing. */
const PACE_TICK_MS = 50;
/** Files waiting to be read; more are refused (a capture producing files faster than we read them). */
const MAX_QUEUE = 1000;

export = function register(RED: NodeAPI): void {
  function PcapInNode(this: RedNode, config: PcapInConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const queue: Job[] = [];
    let current: AbortController | undefined;
    let running: Promise<void> | undefined;
    let closing = false;
    const userDir = RED.settings.userDir as string | undefined;

    const resolveFile = (f: string) => (path.isAbsolute(f) || !userDir ? path.resolve(f) : path.resolve(userDir, f));

    function fileOf(msg: Msg): string | undefined {
      if (typeof msg.filename === 'string' && msg.filename.trim() !== '') return msg.filename.trim();
      if (typeof msg.payload === 'string' && msg.payload.trim() !== '' && !/^(start|stop)$/i.test(msg.payload.trim())) return msg.payload.trim();
      if (config.filename && config.filename.trim() !== '') return config.filename.trim();
      return undefined;
    }

    async function read(job: Job): Promise<void> {
      const opts = {
        batchSize: numberField(config.batchSize, 'batch size', 4096, { min: 1 }),
        speed: numberField(config.speed, 'replay speed', 0, { min: 0, integer: false }) ?? 0,
      };
      const file = resolveFile(job.file);
      const ac = new AbortController();
      current = ac;
      const reader = new CaptureReader(file, { batchSize: opts.batchSize, signal: ac.signal, onWarning: (w) => node.warn(`${file}: ${w}`) });
      const base = { source: file, filename: file, live: false };
      let lastStatus = 0;
      const progress = (force = false) => {
        const now = Date.now();
        if (!force && now - lastStatus < 500) return;
        lastStatus = now;
        const s = reader.stats;
        const pct = s.totalBytes ? Math.min(100, Math.floor((100 * s.bytesRead) / s.totalBytes)) : 0;
        node.status({ fill: 'blue', shape: 'dot', text: `${pct}% ${shortCount(s.packets)} pkts` });
      };
      let sentPackets = 0;
      const send = (b: PacketBatch) => { sentPackets += b.count; job.send({ ...base, topic: 'deepmad/packets', payload: b }); };
      // Paced replay: packet time t is due at wall time start + (t - t0) / speed.
      let t0 = -1;
      let wall0 = 0;
      node.status({ fill: 'blue', shape: 'dot', text: `reading ${path.basename(file)}` });
      let failure: unknown;
      try {
        for await (const batch of reader) {
          if (closing) break;
          if (opts.speed > 0 && batch.count > 0) {
            if (t0 < 0) { t0 = batch.tsUs[0]; wall0 = performance.now(); }
            let i = 0;
            while (i < batch.count && !ac.signal.aborted) {
              const elapsedUs = (performance.now() - wall0) * 1000 * opts.speed;
              let j = i;
              while (j < batch.count && batch.tsUs[j] - t0 <= elapsedUs) j++;
              if (j > i) {
                send(i === 0 && j === batch.count ? batch : sliceBatch(batch, i, j));
                i = j;
                progress();
                continue;
              }
              const waitMs = ((batch.tsUs[i] - t0) / opts.speed / 1000) - (performance.now() - wall0);
              await sleep(Math.max(1, Math.min(PACE_TICK_MS, waitMs)));
            }
          } else {
            send(batch);
            progress();
          }
        }
      } catch (err) {
        failure = err;
      }
      if (current === ac) current = undefined;
      if (closing) return;
      // A stop may come after the reader parsed the whole file but before paced replay sent it all.
      const stopped = ac.signal.aborted;
      const stats: CaptureStats & { sentPackets: number } = {
        ...reader.stats,
        complete: reader.stats.complete && !stopped,
        warnings: stopped ? [...reader.stats.warnings, 'stopped by msg.payload "stop"'] : reader.stats.warnings,
        sentPackets,
      };
      // The flow meter flushes its open flows on this message, also after a read error or a stop.
      job.send({ ...base, topic: 'deepmad/eof', payload: stats, _msgid: job.msg._msgid });
      if (failure) {
        node.status({ fill: 'red', shape: 'ring', text: `error after ${shortCount(stats.packets)} pkts` });
        job.done(asError(failure));
      } else {
        node.status({ fill: stats.complete ? 'green' : 'yellow', shape: stats.complete ? 'dot' : 'ring', text: `${stats.complete ? 'done' : 'stopped'}: ${shortCount(sentPackets)} pkts` });
        job.done();
      }
    }

    async function drain(): Promise<void> {
      while (queue.length > 0 && !closing) {
        const job = queue.shift()!;
        try {
          await read(job);
        } catch (err) {
          // Bad options and the like: report and go on with the next file.
          node.status({ fill: 'red', shape: 'ring', text: 'error' });
          job.done(asError(err));
        }
      }
      running = undefined;
    }

    function enqueue(job: Job): void {
      if (queue.length >= MAX_QUEUE) {
        job.done(new Error(`deepmad-pcap-in: ${queue.length} files are already waiting; ${job.file} was not read`));
        return;
      }
      queue.push(job);
      if (!running) running = drain();
      else node.status({ fill: 'blue', shape: 'dot', text: `${queue.length} file(s) queued` });
    }

    node.on('input', (msg, send, done) => {
      if (typeof msg.payload === 'string' && msg.payload.trim().toLowerCase() === 'stop') {
        for (const job of queue.splice(0)) job.done();
        current?.abort();
        return done();
      }
      const file = fileOf(msg);
      if (!file) return done(new Error('deepmad-pcap-in: no file: set msg.filename (or a string msg.payload) or the node\'s File'));
      enqueue({ file, msg, send, done });
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closing = true;
      queue.length = 0;
      current?.abort();
      (running ?? Promise.resolve()).then(() => done(), () => done());
    });

    if (config.readOnDeploy && config.filename && config.filename.trim() !== '') {
      // Read once the flow has started (wiring is complete by then).
      setImmediate(() => {
        if (closing) return;
        enqueue({
          file: config.filename!.trim(),
          msg: {},
          send: (m) => node.send(m),
          done: (err) => { if (err) node.error(err, { topic: 'deepmad/error', filename: config.filename }); },
        });
      });
    } else {
      node.status({});
    }
  }

  RED.nodes.registerType('deepmad-pcap-in', PcapInNode);
};
