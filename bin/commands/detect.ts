/**
 * deepmad detect — the IDS pipeline without the editor: capture (file, stdin or live dumpcap) →
 * flow meter (the model card's profile) → classifier → alert engine → JSON-lines log / MQTT, then a
 * summary: flows, alerts by class and severity, top sources.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { Command } from '../deepmad.js';
import { parseArgs, one, num, list, trustedSourcesArg } from '../../lib/ml/cli-args.js';
import { AlertEngine, EveAlert, JsonlLog, MqttPublisher, SEVERITY_NAMES, TopK, alertMessage, haDiscoveryMessages, haStateMessages } from '../../lib/alerts/index.js';
import type { PacketBatch } from '../../lib/capture/packet-batch.js';
import type { RuleVerdict } from '../../lib/ml/behaviour-rules.js';

const usage = `deepmad detect <capture.pcap[ng][.gz]|-> [options]
       deepmad detect --live <interface> [--filter "<bpf>"] [options]

  --model m.onnx|m.h5   model (default: the packaged default model); --card c.json its card
  --threshold T         attack-probability threshold (default: the card's)
  --alerts file.jsonl   append Suricata EVE alert records (JSON lines) to this file
  --max-mb N --keep N   rotate the alert log at N MB, keep N rotated files (default: no rotation)
  --mqtt url            publish alerts to an MQTT broker (mqtt://127.0.0.1:1883)
  --mqtt-prefix p       topic prefix (default deepmad): <p>/alerts/<severity>/<class>
  --ha                  also publish Home Assistant discovery + state
  --window S            aggregate repeats of (source, destination, class) for S seconds (default 60)
  --allowlist a,b/16    addresses/CIDRs that never alert
  --severity C=high,…   severity per class (high|medium|low or 1-3)
  --min-confidence X    ignore verdicts below X
  --context on|off      lone-flow context stage (default on): a flagged single-packet flow alerts only
                        when ≥ 5 other single-packet or flagged flows within ±60 s share its source or
                        its destination, or ≥ 50 other flagged single-packet flows start within ±1 s;
                        judged per flow batch against the past 60 s, so the first
                        few flows of a flood may be reported benign before the rest alert
  --rules on|off        behaviour rules and payload signatures after the context stage (default on),
                        which only escalate: Login Brute Force when ≥ 5 answered TCP sessions with
                        payload to one login port (21, 22, 23, 3389, 5900) come from one source
                        within 60 s (ET sid 2001976); DHCP Flood when ≥ 16 UDP flows to port 67 start
                        within 1 s. Judged per flow batch against the recent past, so flows of earlier
                        batches stay as they were: the flow completing the count and later ones in its
                        window alert. A flow with a payload signature (Heartbleed, Web Attack - SQL
                        Injection / XSS / Path Traversal, Log4Shell JNDI Lookup, VNC Authentication
                        Failure) alerts with its first label, per flow; a flow the model already
                        flags takes that label too (EVE deepmad.model_label keeps the model's)
  --trusted-sources a,b/24,…
                        addresses/CIDRs (IPv4, IPv6) whose login flows the Login Brute Force rule
                        neither counts nor escalates, nor VNC Authentication Failure (monitoring over
                        SSH, Ansible, a reconnecting VNC client); content signatures from them still
                        alert; the DHCP rule ignores it (DHCP clients have no stable address)
  --json                print the summary as JSON
  --quiet               no summary

'-' reads a capture from stdin (e.g. tcpdump -w - | deepmad detect -). --live captures through
dumpcap until Ctrl-C, then flushes open flows and alerts before printing the summary.`;

export interface DetectSummary {
  source: string;
  packets: number;
  flows: number;
  maliciousFlows: number;
  alertRecords: number;
  /** flagged single-packet flows the context stage reported benign (present when > 0) */
  suppressedSinglePacket?: number;
  /** benign verdicts the behaviour rules turned malicious (present when > 0) */
  escalatedByRules?: number;
  /** model alerts the rules stage named after their payload signature (present when > 0) */
  relabelledBySignatures?: number;
  /** login flows from --trusted-sources the Login Brute Force rule left out (present when > 0) */
  trustedLoginFlows?: number;
  byClass: Record<string, number>;
  bySeverity: { high: number; medium: number; low: number };
  topSources: Array<{ ip: string; flows: number }>;
  alertLog?: string;
  mqtt?: { url: string; published: number };
  model: string;
}

export const command: Command = {
  summary: 'detect intrusions in a capture or live traffic and raise alerts (EVE JSON, MQTT)',
  usage,
  async run(argv) {
    const a = parseArgs(argv, {
      values: ['model', 'card', 'threshold', 'alerts', 'max-mb', 'keep', 'mqtt', 'mqtt-prefix', 'window', 'allowlist', 'severity', 'min-confidence', 'live', 'filter', 'batch', 'context', 'rules', 'trusted-sources'],
      flags: ['json', 'quiet', 'ha'],
      aliases: { '-m': 'model', '-i': 'live' },
    });
    const live = one(a, 'live');
    if ((live === undefined) === (a.positionals.length !== 1)) {
      console.error(`usage: ${usage}`);
      return 2;
    }
    const severities: Record<string, string> = {};
    for (const item of list(a, 'severity')) {
      const eq = item.lastIndexOf('=');
      if (eq <= 0) throw new Error(`--severity '${item}' must be Class=high|medium|low`);
      severities[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
    }
    const contextArg = one(a, 'context', 'on');
    if (contextArg !== 'on' && contextArg !== 'off') throw new Error(`--context must be on or off, got "${contextArg}"`);
    const rulesArg = one(a, 'rules', 'on');
    if (rulesArg !== 'on' && rulesArg !== 'off') throw new Error(`--rules must be on or off, got "${rulesArg}"`);
    const trustedSources = trustedSourcesArg(a, 'deepmad detect');
    if (!trustedSources) return 2;
    const input = a.positionals[0];
    if (input !== undefined && input !== '-' && !fs.existsSync(input)) throw new Error(`no such capture file: ${input}`);

    const { Classifier } = await import('../../lib/ml/classifier.js');
    const { defaultModelPath } = await import('../../lib/ml/default-model.js');
    const { Flowmeter } = await import('../../lib/flow/flowmeter.js');
    const { LoneFlowContext } = await import('../../lib/ml/lone-flow-context.js');
    const { BehaviourRules } = await import('../../lib/ml/behaviour-rules.js');
    const modelPath = one(a, 'model') ?? defaultModelPath();
    if (!fs.existsSync(modelPath)) throw new Error(`model ${modelPath} not found${one(a, 'model') ? '' : ' (the default model is not installed; pass --model)'}`);
    const clf = await Classifier.open(modelPath, {
      card: one(a, 'card'), worker: false, batchSize: num(a, 'batch', 1024, 1),
      threshold: a.values.has('threshold') ? num(a, 'threshold', 0.5, 0) : undefined,
    });
    // streaming: each flow batch is judged against the past 60 s of corroborating flows
    const context = contextArg === 'on' ? new LoneFlowContext() : undefined;
    // then the behaviour rules, streaming: a batch against the remembered recent past
    const rules = rulesArg === 'on' ? new BehaviourRules({ trustedSources }) : undefined;
    const benignLabel = clf.card.benignLabels[0] ?? 'BENIGN';
    const engine = new AlertEngine({
      classes: { severities },
      allowlist: list(a, 'allowlist'),
      minConfidence: num(a, 'min-confidence', 0, 0),
      windowMs: num(a, 'window', 60, 0) * 1000,
      host: os.hostname(),
    });
    let log: JsonlLog | undefined;
    let mqtt: MqttPublisher | undefined;
    const cleanup: Array<() => Promise<void> | void> = [() => clf.close()];
    try {
      if (one(a, 'alerts')) {
        log = new JsonlLog({ path: one(a, 'alerts')!, maxBytes: num(a, 'max-mb', 0, 0) * 1024 * 1024, keep: num(a, 'keep', 0, 0) });
        if (log.repaired) console.error(`note: ${log.file} ended in a torn line; ${log.repaired.bytes} bytes moved to ${log.repaired.savedTo}`);
        cleanup.push(() => log!.close());
      }
      const prefix = one(a, 'mqtt-prefix', 'deepmad')!;
      const ha = a.flags.has('ha') ? { prefix, nodeId: os.hostname() } : undefined;
      if (one(a, 'mqtt')) {
        mqtt = await MqttPublisher.connect(one(a, 'mqtt')!);
        cleanup.push(() => mqtt!.end());
        if (ha) mqtt.publish(haDiscoveryMessages(ha));
      }

      const source = live !== undefined ? `iface:${live}` : input === '-' ? '<stdin>' : input!;
      const sources = new TopK(1000);
      let flowsSeen = 0;
      let maliciousFlows = 0;
      const sink = (recs: EveAlert[]) => {
        if (recs.length === 0) return;
        log?.write(recs);
        if (mqtt) {
          mqtt.publish(recs.map((r) => alertMessage(prefix, r)));
          if (ha) mqtt.publish(haStateMessages(ha, engine.stats.alerted, recs[recs.length - 1]));
        }
      };

      // Flow batches are classified in order on a promise chain; the reader waits when it runs ahead.
      let chain: Promise<void> = Promise.resolve();
      let queued = 0;
      const meter = new Flowmeter({
        profile: clf.card.profile,
        live: live !== undefined,
        onFlows: (b) => {
          const flows = meter.toObjects(b);
          queued += flows.length;
          chain = chain.then(async () => {
            const verdicts: RuleVerdict[] = await clf.classify(flows);
            context?.applyToVerdicts(flows, verdicts, benignLabel);
            rules?.applyToVerdicts(flows, verdicts);
            const classified = flows.map((f, i) => {
              const v = verdicts[i];
              if (v.malicious) { maliciousFlows++; sources.add(String(f['Src IP'] ?? f['Source IP'] ?? f.src_ip ?? '?')); }
              const out = { ...f, label: v.label, confidence: v.confidence, probabilities: v.probabilities, malicious: v.malicious, model: clf.name };
              return v.suppressed ? { ...out, suppressed: v.suppressed } : v.escalated ? { ...out, escalated: v.escalated }
                : v.relabelled ? { ...out, modelLabel: v.modelLabel, relabelled: v.relabelled } : out;
            });
            flowsSeen += flows.length;
            queued -= flows.length;
            sink(engine.process(classified, source));
          });
        },
      });
      const tick = setInterval(() => { chain = chain.then(() => sink(engine.tick())); }, 1000);
      tick.unref();
      let packets = 0;
      const pushBatch = (batch: PacketBatch) => { packets += batch.count; meter.push(batch); };

      if (live !== undefined) {
        const { DumpcapCapture } = await import('../../lib/capture/live-dumpcap.js');
        const cap = new DumpcapCapture({ iface: live, mode: 'stream', filter: one(a, 'filter') });
        cap.on('batch', pushBatch);
        cap.on('error', (err: Error) => console.error(`deepmad detect: ${err.message}`));
        const ended = new Promise<void>((resolve) => cap.once('end', () => resolve()));
        await cap.start();
        console.error(`capturing on ${live} with dumpcap; Ctrl-C to stop`);
        let stopping = false;
        const onSignal = () => {
          if (stopping) process.exit(130);
          stopping = true;
          console.error('stopping: flushing open flows and alerts…');
          void cap.stop();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        try { await ended; } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      } else {
        const { CaptureReader } = await import('../../lib/capture/reader.js');
        const reader = new CaptureReader(input === '-' ? process.stdin : input!, { onWarning: (w) => console.error(`warning: ${w}`) });
        for await (const batch of reader) {
          pushBatch(batch);
          if (queued > 50_000) await chain;
        }
      }
      meter.close();
      await chain;
      clearInterval(tick);
      sink(engine.flush());
      await mqtt?.flush();

      const bySeverity = { high: 0, medium: 0, low: 0 };
      for (const [label, n] of Object.entries(engine.stats.byClass)) bySeverity[SEVERITY_NAMES[engine.policy.severity(label)] as 'high'] += n;
      const summary: DetectSummary = {
        source,
        packets,
        flows: flowsSeen,
        maliciousFlows,
        alertRecords: engine.stats.records,
        ...(context?.stats.suppressed ? { suppressedSinglePacket: context.stats.suppressed } : {}),
        ...(rules?.escalated ? { escalatedByRules: rules.escalated } : {}),
        ...(rules?.stats.relabelledSignature ? { relabelledBySignatures: rules.stats.relabelledSignature } : {}),
        ...(rules?.stats.trustedLoginFlows ? { trustedLoginFlows: rules.stats.trustedLoginFlows } : {}),
        byClass: Object.fromEntries(Object.entries(engine.stats.byClass).sort((x, y) => y[1] - x[1])),
        bySeverity,
        topSources: sources.top(10).map(({ key, count }) => ({ ip: key, flows: count })),
        ...(log ? { alertLog: log.file } : {}),
        ...(mqtt ? { mqtt: { url: mqtt.url, published: mqtt.published } } : {}),
        model: clf.name,
      };
      if (a.flags.has('json')) console.log(JSON.stringify(summary, null, 2));
      else if (!a.flags.has('quiet')) console.log(formatSummary(summary));
      return 0;
    } finally {
      for (const c of cleanup.reverse()) {
        try { await c(); } catch (err) { console.error(`deepmad detect: ${(err as Error).message}`); }
      }
    }
  },
};

export function formatSummary(s: DetectSummary): string {
  const lines = [
    `${s.source}: ${s.packets} packets, ${s.flows} flows, ${s.maliciousFlows} malicious (model ${s.model})`,
    `alerts: ${s.alertRecords} records — high ${s.bySeverity.high}, medium ${s.bySeverity.medium}, low ${s.bySeverity.low} flows`,
  ];
  if (s.suppressedSinglePacket) lines.push(`context: ${s.suppressedSinglePacket} flagged single-packet flow(s) not corroborated, reported benign`);
  if (s.escalatedByRules) lines.push(`rules: ${s.escalatedByRules} benign verdict(s) escalated by behaviour rules (repeated logins, DHCP flood) and payload signatures`);
  if (s.relabelledBySignatures) lines.push(`rules: ${s.relabelledBySignatures} model alert(s) relabelled after their payload signature`);
  if (s.trustedLoginFlows) lines.push(`rules: ${s.trustedLoginFlows} login flow(s) from trusted sources not counted`);
  const classes = Object.entries(s.byClass);
  if (classes.length) lines.push(`by class: ${classes.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (s.topSources.length) lines.push(`top sources: ${s.topSources.map((t) => `${t.ip} (${t.flows})`).join(', ')}`);
  if (s.alertLog) lines.push(`alert log: ${s.alertLog}`);
  if (s.mqtt) lines.push(`mqtt: ${s.mqtt.published} messages to ${s.mqtt.url}`);
  return lines.join('\n');
}
