/**
 * deepmad-pcap-capture: live capture in-process through libpcap (the optional `cap` module).
 * Sends packet batches, and an end-of-source message when stopped. `cap` is loaded only when a
 * capture starts, so a missing build disables this node alone, with a message saying how to fix it.
 */
import type { PacketBatch } from '../../lib/capture/packet-batch.js';
import type { LibpcapCapture as LibpcapCaptureT, LiveCaptureStats } from '../../lib/capture/live-libpcap.js';
import { adminGet, asError, errorStatus, numberField, shortCount, type Done, type Msg, type NodeAPI, type RedNode } from '../capture-common.js';

interface PcapCaptureConfig {
  name?: string;
  iface?: string;
  filter?: string;
  snaplen?: string | number;
  promisc?: boolean;
  bufferMiB?: string | number;
  batchSize?: string | number;
  autoStart?: boolean;
}

// The capture module pulls in `cap` only when called, but keep even its import lazy.
type LibpcapModule = typeof import('../../lib/capture/live-libpcap.js');
function libpcap(): LibpcapModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../../lib/capture/live-libpcap.js') as LibpcapModule;
}

export = function register(RED: NodeAPI): void {
  adminGet(RED, '/deepmad/pcap-capture/interfaces', 'deepmad-pcap-capture.read', (_req, res) => {
    try {
      res.json({ available: true, interfaces: libpcap().listLibpcapInterfaces() });
    } catch (err) {
      res.json({ available: false, interfaces: [], error: (err as Error).message });
    }
  });

  function PcapCaptureNode(this: RedNode, config: PcapCaptureConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const iface = (config.iface ?? '').trim();
    const source = `iface:${iface}`;
    let capture: LibpcapCaptureT | undefined;
    let statusTimer: NodeJS.Timeout | undefined;
    let lastText = '';

    const showCounters = (s: LiveCaptureStats) => {
      const text = `${iface}: ${shortCount(s.received)} pkts${s.dropped ? `, ${shortCount(s.dropped)} drop` : ''}`;
      if (text !== lastText) {
        lastText = text;
        node.status({ fill: 'green', shape: 'dot', text });
      }
    };

    function start(msg?: Msg): void {
      if (capture) {
        node.warn(`capture on ${iface} is already running`);
        return;
      }
      try {
        const c = new (libpcap().LibpcapCapture)({
          iface,
          filter: config.filter ?? '',
          snaplen: numberField(config.snaplen, 'snaplen', undefined, { min: 1 }),
          promiscuous: config.promisc !== false,
          bufferSize: (numberField(config.bufferMiB, 'buffer size', 10, { min: 1 }) ?? 10) * 1024 * 1024,
          batchSize: numberField(config.batchSize, 'batch size', undefined, { min: 1 }),
        }, (b: PacketBatch) => node.send({ topic: 'deepmad/packets', payload: b, source, live: true }));
        capture = c;
        for (const w of c.stats.warnings) node.warn(w);
        lastText = '';
        showCounters(c.stats);
        statusTimer = setInterval(() => showCounters(c.stats), 1000);
      } catch (err) {
        node.status(errorStatus(err));
        node.error(asError(err), msg ?? { topic: 'deepmad/error', source, error: { code: (err as { code?: string }).code } });
      }
    }

    /** Closes the handle; sends the end-of-source message unless the flow is being torn down. */
    function stop(sendEof: boolean): void {
      const c = capture;
      if (!c) return;
      capture = undefined;
      if (statusTimer) clearInterval(statusTimer);
      statusTimer = undefined;
      const stats = c.close(); // flushes the last partial batch first
      if (sendEof) node.send({ topic: 'deepmad/eof', payload: stats, source, live: true });
      node.status({ fill: 'yellow', shape: 'ring', text: `stopped: ${shortCount(stats.received)} pkts` });
    }

    node.on('input', (msg, _send, done: Done) => {
      const cmd = typeof msg.payload === 'string' ? msg.payload.trim().toLowerCase() : '';
      if (cmd === 'start') start(msg);
      else if (cmd === 'stop') stop(true);
      else return done(new Error(`deepmad-pcap-capture: msg.payload must be "start" or "stop" (got ${JSON.stringify(msg.payload)?.slice(0, 40)})`));
      done();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      stop(false);
      done();
    });

    if (config.autoStart !== false) start();
    else node.status({ fill: 'yellow', shape: 'ring', text: 'idle: send "start"' });
  }

  RED.nodes.registerType('deepmad-pcap-capture', PcapCaptureNode);
};
