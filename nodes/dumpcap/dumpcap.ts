/**
 * deepmad-dumpcap: live capture through Wireshark's dumpcap (child process, no shell).
 * Stream mode: packet batches (+ an end-of-source message when the capture stops).
 * Files mode: one message per completed capture file, for deepmad-pcap-in.
 * Also serves GET /deepmad/dumpcap/interfaces for the edit dialog's interface list.
 */
import path from 'node:path';
import { CaptureSetupError } from '../../lib/capture/capture-errors.js';
import { DumpcapCapture, findDumpcap, listInterfaces, type DumpcapCaptureOptions } from '../../lib/capture/live-dumpcap.js';
import type { PacketBatch } from '../../lib/capture/packet-batch.js';
import { adminGet, asError, errorStatus, numberField, shortCount, type Done, type Msg, type NodeAPI, type RedNode } from '../capture-common.js';

interface DumpcapNodeConfig {
  name?: string;
  iface?: string;
  filter?: string;
  snaplen?: string | number;
  promisc?: boolean;
  bufferMiB?: string | number;
  mode?: 'stream' | 'files';
  outputDir?: string;
  filePrefix?: string;
  format?: 'pcapng' | 'pcap';
  autostopDuration?: string | number;
  autostopFilesize?: string | number;
  autostopPackets?: string | number;
  autostopFiles?: string | number;
  ringDuration?: string | number;
  ringFilesize?: string | number;
  ringFiles?: string | number;
  autoStart?: boolean;
  dumpcapPath?: string;
  batchSize?: string | number;
}

/** Editor config → capture options (throws BAD_OPTION on junk). */
function optionsFromConfig(c: DumpcapNodeConfig, userDir: string | undefined): DumpcapCaptureOptions {
  const mode = c.mode === 'files' ? 'files' : 'stream';
  const int = (v: unknown, what: string) => numberField(v, what, undefined, { min: 0 }) || undefined;
  const outputDir = (c.outputDir ?? '').trim();
  return {
    iface: (c.iface ?? '').trim(),
    filter: c.filter ?? '',
    snaplen: int(c.snaplen, 'snaplen'),
    promiscuous: c.promisc !== false,
    bufferMiB: int(c.bufferMiB, 'buffer size'),
    mode,
    // Relative folders live in the Node-RED user directory, not wherever the runtime was started.
    outputDir: outputDir === '' ? (userDir ? `${userDir}/captures` : 'captures') : outputDir.startsWith('/') || !userDir ? outputDir : `${userDir}/${outputDir}`,
    filePrefix: c.filePrefix,
    format: c.format === 'pcap' ? 'pcap' : 'pcapng',
    autostop: {
      duration: int(c.autostopDuration, 'autostop duration'),
      filesize: int(c.autostopFilesize, 'autostop file size'),
      packets: int(c.autostopPackets, 'autostop packets'),
      files: int(c.autostopFiles, 'autostop files'),
    },
    ring: mode === 'files'
      ? { duration: int(c.ringDuration, 'ring buffer duration'), filesize: int(c.ringFilesize, 'ring buffer file size'), files: int(c.ringFiles, 'ring buffer files') }
      : undefined,
    dumpcap: c.dumpcapPath?.trim() || undefined,
    batchSize: int(c.batchSize, 'batch size'),
  };
}

/** How long the edit dialog waits for `dumpcap -D`: settings.js `deepmadDumpcapListTimeout` (ms), 10 s by default. */
function listTimeoutMs(settings: Record<string, any> | undefined): number {
  const v = Number(settings?.deepmadDumpcapListTimeout);
  // below listInterfaces' own 15 s kill, so the clear message always wins
  return Number.isFinite(v) && v > 0 ? Math.min(v, 14000) : 10000;
}

export = function register(RED: NodeAPI): void {
  adminGet(RED, '/deepmad/dumpcap/interfaces', 'deepmad-dumpcap.read', (req, res) => {
    let dumpcap: string;
    const asked = req.query.dumpcap;
    // Read access to the editor must not mean "run any program": only a file named dumpcap is run.
    if (asked && !/^dumpcap(\.exe)?$/i.test(path.basename(asked))) {
      res.json({ dumpcap: null, interfaces: [], error: `${asked} is not a dumpcap executable (the file must be named dumpcap)` });
      return;
    }
    try {
      dumpcap = findDumpcap(asked);
    } catch (err) {
      res.json({ dumpcap: null, interfaces: [], error: (err as Error).message });
      return;
    }
    // The dialog must hear back even when dumpcap hangs: answer with a clear error at the deadline
    // (listInterfaces kills dumpcap after 15 s, with a vaguer message).
    const limit = listTimeoutMs(RED.settings);
    let answered = false;
    const answer = (body: { dumpcap: string; interfaces: unknown[]; error?: string }) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      res.json(body);
    };
    const timer = setTimeout(() => answer({
      dumpcap,
      interfaces: [],
      error: `${dumpcap} -D gave no answer within ${limit / 1000} s: check that "${dumpcap} -D" works in a terminal, then press refresh`,
    }), limit);
    timer.unref(); // a pending dialog request must not keep a stopping runtime alive
    listInterfaces(dumpcap).then(
      (interfaces) => answer({ dumpcap, interfaces }),
      (err: Error) => answer({ dumpcap, interfaces: [], error: err.message }),
    );
  });

  function DumpcapNode(this: RedNode, config: DumpcapNodeConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    let capture: DumpcapCapture | undefined;
    let closing = false;
    let statusTimer: NodeJS.Timeout | undefined;
    let lastStatusText = '';
    const label = (config.iface ?? '').trim() || '?';

    const showCounters = () => {
      if (!capture) return;
      const s = capture.stats;
      const text = config.mode === 'files'
        ? `${label}: ${s.files} file${s.files === 1 ? '' : 's'}`
        : `${label}: ${shortCount(s.packets)} pkts${s.dropped ? `, ${shortCount(s.dropped)} drop` : ''}`;
      if (text !== lastStatusText) {
        lastStatusText = text;
        node.status({ fill: 'green', shape: 'dot', text });
      }
    };

    const fail = (err: unknown, msg?: Msg) => {
      node.status(errorStatus(err));
      // A msg object makes the error Catch-able (source nodes pass a fresh one).
      node.error(asError(err), msg ?? { topic: 'deepmad/error', source: `iface:${label}`, error: { code: (err as CaptureSetupError).code } });
    };

    async function start(msg?: Msg): Promise<void> {
      if (capture?.running) {
        node.warn(`capture on ${label} is already running`);
        return;
      }
      const opts = optionsFromConfig(config, RED.settings.userDir as string | undefined);
      const c = new DumpcapCapture(opts);
      capture = c;
      c.on('batch', (b: PacketBatch) => {
        if (!closing) node.send({ topic: 'deepmad/packets', payload: b, source: c.source, live: true });
      });
      c.on('file', (path: string) => {
        if (!closing) node.send({ topic: 'deepmad/file', payload: path, filename: path, source: c.source, live: true });
        showCounters();
      });
      c.on('error', (err: Error) => {
        if (!closing) fail(err);
      });
      c.on('end', (stats) => {
        if (statusTimer) clearInterval(statusTimer);
        statusTimer = undefined;
        if (closing) return;
        if (opts.mode === 'stream') node.send({ topic: 'deepmad/eof', payload: stats, source: c.source, live: true });
        const what = opts.mode === 'files' ? `${stats.files} file${stats.files === 1 ? '' : 's'}` : `${shortCount(stats.packets)} pkts`;
        node.status({ fill: 'yellow', shape: 'ring', text: `stopped: ${what}` });
      });
      node.status({ fill: 'blue', shape: 'dot', text: `starting on ${label}` });
      try {
        await c.start();
      } catch (err) {
        if (capture === c) capture = undefined;
        if (!closing) fail(err, msg);
        return;
      }
      if (closing) return;
      lastStatusText = '';
      showCounters();
      statusTimer = setInterval(showCounters, 1000);
    }

    async function stop(): Promise<void> {
      const c = capture;
      if (!c) return;
      await c.stop();
    }

    node.on('input', (msg, _send, done: Done) => {
      const cmd = typeof msg.payload === 'string' ? msg.payload.trim().toLowerCase() : '';
      if (cmd === 'start') {
        start(msg).then(() => done(), (err) => done(asError(err)));
      } else if (cmd === 'stop') {
        stop().then(() => done(), (err) => done(asError(err)));
      } else {
        done(new Error(`deepmad-dumpcap: msg.payload must be "start" or "stop" (got ${JSON.stringify(msg.payload)?.slice(0, 40)})`));
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closing = true;
      if (statusTimer) clearInterval(statusTimer);
      const c = capture;
      capture = undefined;
      // Wait for dumpcap to exit so a redeploy never leaves an orphan process.
      (c ? c.stop(5000) : Promise.resolve()).then(() => done(), () => done());
    });

    if (config.autoStart !== false) {
      start().catch((err) => fail(err));
    } else {
      node.status({ fill: 'yellow', shape: 'ring', text: 'idle: send "start"' });
    }
  }

  RED.nodes.registerType('deepmad-dumpcap', DumpcapNode);
};
