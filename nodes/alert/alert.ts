/**
 * deepmad-alert: classified flows in, alerts out.
 * Output 1: one Suricata EVE alert record per message (debug sidebar, file, Elastic…).
 * Output 2: the same records shaped for `mqtt out` (topic per severity/class) plus optional
 *           Home Assistant discovery/state messages.
 * Output 3: a digest shaped for node-red-node-email's `e-mail` node, every N minutes and at the
 *           end of a capture.
 * The node also appends every record to a rotating JSON-lines log when a file is set.
 */
import os from 'node:os';
import path from 'node:path';
import { AlertDigest, AlertEngine, DigestSummary, EveAlert, JsonlLog, alertMessage, digestEmailMessage, haDiscoveryMessages, haStateMessages } from '../../lib/alerts/index.js';
import type { Msg, Send, RedNode, NodeAPI } from '../node-red-api.js';

interface NodeStatusSpec { fill?: string; shape?: string; text?: string }

interface AlertNodeConfig {
  name?: string;
  severities?: string;
  benign?: string;
  allowlist?: string;
  minConfidence?: string | number;
  windowSec?: string | number;
  maxNewKeys?: string | number;
  includeFeatures?: boolean;
  host?: string;
  logFile?: string;
  logMaxMB?: string | number;
  logRotate?: string; // 'none' | 'hourly' | 'daily' | seconds
  logKeep?: string | number;
  mqttPrefix?: string;
  haDiscovery?: boolean;
  haNodeId?: string;
  digestMinutes?: string | number;
  digestOnEof?: boolean;
  emailTo?: string;
  eofSettleMs?: string | number;
}

const num = (v: unknown, dflt: number) => {
  if (v === undefined || v === null || String(v).trim() === '') return dflt;
  const n = Number(v);
  return Number.isFinite(n) ? n : dflt;
};

function rotateMs(v: string | undefined): number {
  const s = (v ?? 'none').trim().toLowerCase();
  if (s === '' || s === 'none') return 0;
  if (s === 'hourly') return 3_600_000;
  if (s === 'daily') return 86_400_000;
  const n = Number(s);
  if (!Number.isFinite(n) || n < 0) throw new Error(`log rotation '${v}' must be none, hourly, daily or seconds`);
  return n * 1000;
}

function parseSeverities(text: string | undefined): Record<string, string> | undefined {
  if (!text || !text.trim()) return undefined;
  const t = text.trim();
  if (t.startsWith('{')) {
    try { return JSON.parse(t) as Record<string, string>; } catch (e) { throw new Error(`severities: not valid JSON (${(e as Error).message})`); }
  }
  // `Class = high` lines.
  const out: Record<string, string> = {};
  for (const line of t.split('\n')) {
    const l = line.replace(/#.*/, '').trim();
    if (!l) continue;
    const eq = l.lastIndexOf('=');
    if (eq <= 0) throw new Error(`severities: '${l}' is not 'Class = high|medium|low'`);
    out[l.slice(0, eq).trim()] = l.slice(eq + 1).trim();
  }
  return out;
}

function resolveLogPath(RED: NodeAPI, file: string): string {
  if (path.isAbsolute(file)) return file;
  return path.join(RED.settings.userDir ?? process.cwd(), file);
}

export = function register(RED: NodeAPI) {
  function DeepmadAlertNode(this: RedNode, config: AlertNodeConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    let engine: AlertEngine;
    let log: JsonlLog | undefined;
    let ha: { prefix: string; nodeId: string; name?: string; version?: string } | undefined;
    const prefix = (config.mqttPrefix ?? 'deepmad').trim() || 'deepmad';
    const host = (config.host ?? '').trim() || os.hostname();
    const digest = new AlertDigest({ host });
    const digestEveryMs = num(config.digestMinutes, 0) * 60_000;
    let flowsAlerted = 0;
    let records = 0;
    let failed = false;
    let haAnnounced = false;
    const timers: NodeJS.Timeout[] = [];

    try {
      engine = new AlertEngine({
        classes: { severities: parseSeverities(config.severities), benign: config.benign?.trim() ? config.benign.split(',').map((s) => s.trim()).filter(Boolean) : undefined },
        allowlist: config.allowlist,
        minConfidence: num(config.minConfidence, 0),
        windowMs: num(config.windowSec, 60) * 1000,
        maxNewKeysPerWindow: num(config.maxNewKeys, 1000),
        includeFeatures: config.includeFeatures !== false,
        host,
      });
      if (config.logFile && config.logFile.trim()) {
        log = new JsonlLog({
          path: resolveLogPath(RED, config.logFile.trim()),
          maxBytes: num(config.logMaxMB, 0) * 1024 * 1024,
          rotateEveryMs: rotateMs(config.logRotate),
          keep: num(config.logKeep, 0),
        });
        if (log.repaired) node.warn(`alert log ${log.file}: cut a torn last line (${log.repaired.bytes} bytes) and kept it in ${log.repaired.savedTo}`);
      }
    } catch (err) {
      failed = true;
      node.status({ fill: 'red', shape: 'ring', text: 'config error' });
      node.error(err, {});
      node.on('input', (_msg, _send, done) => done(err as Error));
      return;
    }
    if (config.haDiscovery) {
      ha = { prefix, nodeId: (config.haNodeId ?? '').trim() || host, version: RED.version?.() };
      // After start-up so the wired mqtt out node is connected; the messages are retained anyway.
      const t = setTimeout(() => node.send([null, haDiscoveryMessages(ha!) as Msg[], null]), 100);
      timers.push(t);
    }
    node.status({ fill: 'yellow', shape: 'ring', text: 'no alerts' });

    const showStatus = () => {
      if (failed) return;
      node.status({ fill: 'green', shape: 'dot', text: `${records} alerts (${flowsAlerted} flows)` });
    };

    /** Log first (durable), then send. Returns false when the log write failed. */
    const deliver = (recs: EveAlert[], send: Send | undefined, msg: Msg | undefined): boolean => {
      if (recs.length === 0) return true;
      let ok = true;
      if (log) {
        try { log.write(recs); } catch (err) {
          ok = false;
          failed = true;
          node.status({ fill: 'red', shape: 'ring', text: 'log write failed' });
          node.error(err, msg ?? {});
        }
      }
      records += recs.length;
      for (const r of recs) flowsAlerted += r.deepmad.count;
      digest.add(recs);
      if (send) {
        const eve = recs.map((r) => ({ topic: 'deepmad/alert', payload: r, ...(msg?.source ? { source: msg.source } : {}) }));
        const mq: Msg[] = recs.map((r) => alertMessage(prefix, r) as unknown as Msg);
        if (ha) {
          // Discovery again with the first alerts: the start-up copy is lost if mqtt out was not connected yet.
          if (!haAnnounced) { mq.unshift(...(haDiscoveryMessages(ha) as unknown as Msg[])); haAnnounced = true; }
          mq.push(...(haStateMessages(ha, flowsAlerted, recs[recs.length - 1]) as unknown as Msg[]));
        }
        send([eve, mq, null]);
      }
      showStatus();
      return ok;
    };

    const sendDigest = (send: Send, reason: string) => {
      const d: DigestSummary | undefined = digest.take();
      if (!d) return;
      const m: Msg = digestEmailMessage(d, { to: config.emailTo?.trim() || undefined });
      m.reason = reason;
      send([null, null, m]);
    };

    const endOfSource = (send: Send, msg: Msg, reason: 'eof' | 'flush') => {
      deliver(engine.flush(), send, msg);
      if (config.digestOnEof !== false || reason === 'flush') sendDigest(send, reason);
      node.log(`alerts: ${records} records for ${flowsAlerted} malicious flows so far${log ? `, log ${log.file}` : ''}`);
    };
    const settleMs = Math.max(0, num(config.eofSettleMs, 1000));
    let pendingEof: Msg | undefined;
    let settleTimer: NodeJS.Timeout | undefined;
    const armSettle = () => {
      if (settleTimer) clearTimeout(settleTimer);
      settleTimer = setTimeout(() => {
        settleTimer = undefined;
        const m = pendingEof;
        pendingEof = undefined;
        if (!m) return;
        try { endOfSource((x) => node.send(x), m, 'eof'); } catch (err) { node.error(err, m); }
      }, settleMs);
    };

    const tick = setInterval(() => {
      try {
        deliver(engine.tick(), (m) => node.send(m), undefined);
        log?.maybeRotateByTime();
      } catch (err) { node.error(err, {}); }
    }, 1000);
    timers.push(tick);
    if (digestEveryMs > 0) timers.push(setInterval(() => sendDigest((m) => node.send(m), 'interval'), digestEveryMs));

    node.on('input', (msg, send, done) => {
      try {
        if (msg.flush === true) {
          endOfSource(send, msg, 'flush');
          done();
          return;
        }
        if (msg.topic === 'deepmad/eof') {
          // The classifier may still be working on the source's last flows (it runs asynchronously and
          // the end-of-source message can take a shorter path here), so wait until they stop arriving.
          pendingEof = msg;
          armSettle();
          done();
          return;
        }
        const p = msg.payload;
        if (p === null || typeof p !== 'object') {
          done(new Error('deepmad-alert: msg.payload must be a classified flow object or an array of them (label, confidence, Src IP, Dst IP…)'));
          return;
        }
        const before = engine.stats.invalid;
        const recs = engine.process(p, typeof msg.source === 'string' ? msg.source : undefined);
        const bad = engine.stats.invalid - before;
        if (bad > 0 && engine.stats.invalid === bad) {
          node.warn(`deepmad-alert: ${bad} flow(s) without label or addresses ignored; is a classifier in front of this node?`);
        }
        deliver(recs, send, msg);
        if (pendingEof) armSettle();
        done();
      } catch (err) {
        done(err as Error);
      }
    });

    node.on('close', (_removed, done) => {
      for (const t of timers) { clearTimeout(t); clearInterval(t); }
      if (settleTimer) clearTimeout(settleTimer);
      try {
        // Open aggregation windows are written out so no count is lost across redeploys.
        const rest = engine.flush();
        if (log && rest.length) log.write(rest);
        log?.close();
      } catch (err) {
        node.error(err, {});
      }
      done();
    });
  }
  RED.nodes.registerType('deepmad-alert', DeepmadAlertNode);
};
