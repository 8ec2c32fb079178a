/**
 * deepmad-flowmeter: packet batches in (`deepmad/packets`), finished flows out (`deepmad/flows`),
 * one message per flow or batches of N flows / T ms. A thin wrapper over lib/flow's Flowmeter:
 * the node only maps config and messages, writes the optional CSV file and shows rates.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PacketBatch } from '../../lib/capture/packet-batch.js';
import type { FlowBatch } from '../../lib/flow/flow-batch.js';
import { Flowmeter } from '../../lib/flow/flowmeter.js';
import { csvHeader, toCsv, type FlowObject } from '../../lib/flow/output.js';
import { fastFlowObjects } from './flow-objects.js';
import { FlowColumnsBuilder, type FlowColumns } from '../../lib/normalize/flow-columns.js';
import { getProfile } from '../../lib/flow/profiles/index.js';
import type { FlowProfile } from '../../lib/flow/profile.js';
import type { Msg, Send, Done, RedNode, NodeAPI } from '../node-red-api.js';


interface FlowmeterConfig {
  name?: string;
  profile?: string;
  flowTimeout?: string | number;
  activityTimeout?: string | number;
  idleTimeout?: string | number;
  ipv4Only?: boolean;
  maxFlows?: string | number;
  output?: 'flow' | 'batch';
  /** Batch payload: an array of flow objects (default) or one FlowColumns (lib/normalize/flow-columns.ts). */
  format?: 'objects' | 'columns';
  batchFlows?: string | number;
  batchMs?: string | number;
  endReason?: boolean;
  flushOnEof?: boolean;
  csvFile?: string;
  csvAppend?: boolean;
}

const num = (v: unknown, dflt: number | undefined): number | undefined => {
  const n = Number(v);
  return v === undefined || v === null || String(v).trim() === '' || !Number.isFinite(n) ? dflt : n;
};

/** 1234567 → "1.2M", 12345 → "12.3k". */
function short(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

function isPacketBatch(p: unknown): p is PacketBatch {
  return typeof p === 'object' && p !== null && typeof (p as PacketBatch).count === 'number' &&
    (p as PacketBatch).tsUs instanceof Float64Array && (p as PacketBatch).srcAddr instanceof Uint32Array;
}

export = function register(RED: NodeAPI) {
  function FlowmeterNode(this: RedNode, config: FlowmeterConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const perFlow = config.output === 'flow';
    // Columnar batches only make sense for batch output; one message per flow always carries an object.
    const columnar = !perFlow && config.format === 'columns';
    const batchFlows = Math.max(1, Math.floor(num(config.batchFlows, 1000) as number));
    const batchMs = Math.max(0, num(config.batchMs, 1000) as number);
    const flushOnEof = config.flushOnEof !== false;
    let profile: FlowProfile | null = null;
    let setupError: Error | null = null;
    try {
      profile = getProfile(config.profile || undefined);
    } catch (err) {
      setupError = err as Error;
    }

    let meter: Flowmeter | null = null;
    let meterLive = false;
    let source: unknown;
    let pending: FlowObject[] = [];
    let builder: FlowColumnsBuilder | null = null;
    let pendingTimer: NodeJS.Timeout | null = null;
    let flowsOut = 0;
    let csv: fs.WriteStream | null = null;

    const flowMsg = (payload: FlowObject | FlowObject[] | FlowColumns): Msg =>
      ({ topic: 'deepmad/flows', payload, profile: profile?.name, source, live: meterLive });

    const sendPending = (): void => {
      if (pendingTimer) { clearTimeout(pendingTimer); pendingTimer = null; }
      if (builder) {
        if (builder.count > 0) node.send(flowMsg(builder.take()));
        return;
      }
      if (pending.length === 0) return;
      const out = pending;
      pending = [];
      node.send(flowMsg(out));
    };

    const onFlows = (b: FlowBatch): void => {
      if (!profile) return;
      if (csv) csv.write(toCsv(b, profile));
      if (columnar) {
        // Rows are copied into the message's columns as they arrive; a full batch goes out at once.
        builder ??= new FlowColumnsBuilder(profile, batchFlows, !!config.endReason);
        flowsOut += b.count;
        for (let r = 0; r < b.count;) {
          r = builder.append(b, r);
          if (builder.full) sendPending();
        }
        if (builder.count > 0 && !pendingTimer && batchMs > 0) pendingTimer = setTimeout(sendPending, batchMs);
        else if (builder.count > 0 && batchMs === 0) sendPending();
        return;
      }
      const objs = fastFlowObjects(b, profile, !!config.endReason);
      flowsOut += objs.length;
      if (perFlow) {
        // One message per flow, sent as one array of messages on the output (a single send call).
        node.send([objs.map((o) => flowMsg(o))]);
        return;
      }
      for (const o of objs) {
        pending.push(o);
        if (pending.length >= batchFlows) sendPending();
      }
      if (pending.length > 0 && !pendingTimer && batchMs > 0) {
        pendingTimer = setTimeout(sendPending, batchMs);
      } else if (pending.length > 0 && batchMs === 0) {
        sendPending();
      }
    };

    const openCsv = (): void => {
      const raw = (config.csvFile ?? '').trim();
      if (!raw || csv || !profile) return;
      const file = path.isAbsolute(raw) ? raw : path.resolve(RED.settings.userDir ?? process.cwd(), raw);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const appendTo = !!config.csvAppend && fs.existsSync(file) && fs.statSync(file).size > 0;
      csv = fs.createWriteStream(file, { flags: appendTo ? 'a' : 'w' });
      csv.on('error', (err) => {
        node.error(new Error(`CSV file ${file}: ${err.message}`), {});
        csv = null;
      });
      if (!appendTo) csv.write(`${csvHeader(profile)}\n`);
    };

    const makeMeter = (live: boolean): Flowmeter => {
      const m = new Flowmeter({
        profile: profile as FlowProfile,
        flowTimeout: num(config.flowTimeout, undefined),
        activityTimeout: num(config.activityTimeout, undefined),
        idleTimeout: num(config.idleTimeout, undefined),
        ipv4Only: !!config.ipv4Only,
        maxFlows: num(config.maxFlows, undefined) || undefined,
        batchSize: perFlow ? 256 : batchFlows,
        live,
        // The objects and CSV text copy everything out of the batch, so its memory can be reused.
        onFlows: (b) => { onFlows(b); m.release(b); },
      });
      m.on('error', (err: Error) => node.error(err, {}));
      meterLive = live;
      return m;
    };

    // Status: packets/s over the last second and open flows; quiet when nothing changes. Counters of
    // meters already closed (one per finished source) are kept in `totals`.
    const totals = { packets: 0, flows: 0 };
    let lastPackets = 0;
    let lastTick = Date.now();
    let lastText = '';
    const showStatus = (): void => {
      if (!meter) return;
      const now = Date.now();
      const s = meter.summary;
      const packets = totals.packets + s.packets;
      const rate = ((packets - lastPackets) * 1000) / Math.max(1, now - lastTick);
      lastPackets = packets;
      lastTick = now;
      const busy = rate > 0;
      const text = busy ? `${short(rate)} pkt/s, ${short(s.openFlows)} open` : `${short(totals.flows + s.flowsWritten)} flows, ${short(s.openFlows)} open`;
      if (text === lastText) return;
      lastText = text;
      node.status({ fill: busy ? 'green' : 'yellow', shape: busy ? 'dot' : 'ring', text });
    };
    const statusTimer = setInterval(showStatus, 1000);
    statusTimer.unref?.();

    if (setupError) {
      node.status({ fill: 'red', shape: 'ring', text: setupError.message.slice(0, 40) });
      node.error(setupError);
    } else {
      try {
        // Validates timeouts and caps at deploy time so a bad setting shows at once.
        meter = makeMeter(false);
        node.status({ fill: 'yellow', shape: 'ring', text: `${profile?.name}: waiting` });
      } catch (err) {
        setupError = err as Error;
        node.status({ fill: 'red', shape: 'ring', text: setupError.message.slice(0, 40) });
        node.error(setupError);
      }
    }

    node.on('input', (msg, send, done) => {
      if (setupError || !meter) { done(setupError ?? new Error('flowmeter is not configured')); return; }
      try {
        if (msg.topic === 'deepmad/eof') {
          if (flushOnEof) {
            // End of a source: write its open flows and start the next source with a fresh meter, so
            // its clock (packet time) and counters start from that source (flowSummary is per source).
            const summary = meter.close();
            totals.packets += summary.packets;
            totals.flows += summary.flowsWritten;
            sendPending();
            msg.flowSummary = { ...summary };
            meter = makeMeter(meterLive);
          } else {
            sendPending();
            msg.flowSummary = { ...meter.summary };
          }
          showStatus();
          send(msg); // after the flows of this source, so downstream nodes see them first
          done();
          return;
        }
        if (!isPacketBatch(msg.payload)) {
          done(new Error('msg.payload is not a packet batch (msg.topic deepmad/packets); connect a pcap in or capture node'));
          return;
        }
        const live = msg.live === true;
        if (live !== meterLive) {
          // Switching between file and live input: write the old table's flows, then time by the new clock.
          meter.close();
          sendPending();
          meter = makeMeter(live);
        }
        source = msg.source;
        openCsv();
        meter.push(msg.payload);
        done();
      } catch (err) {
        node.status({ fill: 'red', shape: 'ring', text: String((err as Error).message).slice(0, 40) });
        done(err as Error);
      }
    });

    node.on('close', (_removed, done) => {
      clearInterval(statusTimer);
      try {
        // Redeploy/shutdown: write the open flows so nothing metered is lost downstream or in the CSV.
        meter?.close();
        sendPending();
      } catch (err) {
        node.error(err);
      }
      meter = null;
      const c = csv;
      csv = null;
      if (c) c.end(() => done());
      else done();
    });
  }
  RED.nodes.registerType('deepmad-flowmeter', FlowmeterNode);
};
