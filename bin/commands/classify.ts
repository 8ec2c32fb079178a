/** deepmad classify — classifies flows from a CSV or a capture (metered first with the model's profile). */
import fs from 'node:fs';
import type { Command } from '../deepmad.js';
import { parseArgs, one, num, list, trustedSourcesArg } from '../../lib/ml/cli-args.js';
import { Classifier } from '../../lib/ml/classifier.js';
import { readCsvFile, csvField } from '../../lib/ml/csv-table.js';
import { defaultModelPath } from '../../lib/ml/default-model.js';
import { looksLikeCapture, meterCapture } from '../../lib/ml/capture-flows.js';
import { isHdf5File, readPandasModelRows } from '../../lib/hdf5/pandas-input.js';
import { suppressLoneVerdicts } from '../../lib/ml/lone-flow-context.js';
import { escalateByRules, type RuleVerdict } from '../../lib/ml/behaviour-rules.js';

const usage = `deepmad classify <flows.csv|capture.pcap[ng]|rows.h5 ...> [--model m.onnx|m.h5] [--card m.card.json] [-o predictions.csv]
  [--threshold T] [--batch 1024] [--attacker IP[,IP…]] [--context on|off] [--rules on|off]
  [--trusted-sources IP|CIDR[,…]] [--quiet]

Without --model the packaged default model (models/deepmad-default.onnx) is used. A capture is
run through the flow meter with the model card's profile first. Prints a summary per input (flows,
flagged, labels, top sources of flagged flows); -o writes one CSV row per flow. An HDF5 file in pandas
table format (the Python prototype's normed_data.h5, or hdf5 out's "pandas table" layout) holds rows
that are already preprocessed; the card's columns are taken from it by name.

--context (default on for captures, off for CSV/HDF5 rows): a flagged single-packet flow stays
malicious only when, within ±60 s of its start, at least 5 other single-packet or flagged flows share
its source (as source) or its destination (as destination), or at least 50 other flagged single-packet
flows (any addresses) start within ±1 s; otherwise it is reported benign with
suppressed = "single packet, not corroborated" (an -o column when the stage runs). Row files are often random samples
with no neighbourhood, hence off for them.

--rules (default on for captures, off for CSV/HDF5 rows; runs after --context): behaviour rules and
payload signatures, which only turn benign verdicts malicious. Login Brute Force: ≥ 5 TCP flows with
client payload and a server answer to one login port (21 ftp, 22 ssh, 23 telnet, 3389 rdp, 5900 vnc)
from one source within 60 s (as the ET rule "ET SCAN Potential SSH Scan", sid 2001976). DHCP Flood:
≥ 16 UDP flows to port 67 within 1 s, network-wide (over DHCP snooping's default 15 packets/s). Every
flow of such a window is escalated. A payload signature (the flow meter's Payload Signature field:
Heartbleed, Web Attack - SQL Injection, Web Attack - XSS, Web Attack - Path Traversal, Log4Shell JNDI
Lookup, VNC Authentication Failure) escalates its flow with the first label. Confidence is 1, the
model's attack probability is kept. A flow the model already flags keeps its verdict and confidence
but takes the signature's label when it differs (relabelled: an SQL injection request the model calls
DoS Hulk is reported as Web Attack - SQL Injection). An explicit --rules on adds the -o columns
"escalated" (the reason: e.g. 5+ ssh sessions from 192.168.56.1 within 60 s; payload signature: Web
Attack - SQL Injection), "relabelled" (the reason of a relabel) and "model_label" (the model's own
label of a relabelled flow).

--trusted-sources a,b/24,… (IPv4/IPv6 addresses and CIDR prefixes, e.g. 10.0.0.5,192.168.1.0/24,fd00::/8):
login flows from these sources neither count toward Login Brute Force nor are escalated by it or by
VNC Authentication Failure — for automation that logs in every few seconds (monitoring over SSH,
Ansible, a reconnecting VNC client). Content signatures (SQL injection, Heartbleed, …) from them still
escalate. The DHCP rule ignores it (DHCP clients have no stable address).`;

const ID_COLUMNS = ['Flow ID', 'Src IP', 'Src Port', 'Dst IP', 'Dst Port', 'Protocol', 'Timestamp'];

export const command: Command = {
  summary: 'classify flows (CSV) or a capture with a model and its card',
  usage,
  async run(argv) {
    const a = parseArgs(argv, { values: ['model', 'card', 'out', 'threshold', 'batch', 'attacker', 'context', 'rules', 'trusted-sources'], flags: ['quiet'], aliases: { '-o': 'out', '-m': 'model' } });
    if (a.positionals.length === 0) {
      console.error(`usage: ${usage}`);
      return 2;
    }
    const missing = a.positionals.filter((f) => !fs.existsSync(f));
    if (missing.length) {
      console.error(`deepmad classify: no such file: ${missing.join(', ')}`);
      return 2;
    }
    const context = one(a, 'context');
    if (context !== undefined && context !== 'on' && context !== 'off') {
      console.error(`deepmad classify: --context must be on or off, got "${context}"`);
      return 2;
    }
    const rules = one(a, 'rules');
    if (rules !== undefined && rules !== 'on' && rules !== 'off') {
      console.error(`deepmad classify: --rules must be on or off, got "${rules}"`);
      return 2;
    }
    const trustedSources = trustedSourcesArg(a, 'deepmad classify');
    if (!trustedSources) return 2;
    const modelPath = one(a, 'model') ?? defaultModelPath();
    const clf = await Classifier.open(modelPath, {
      card: one(a, 'card'), worker: false, batchSize: num(a, 'batch', 1024, 1),
      threshold: a.values.has('threshold') ? num(a, 'threshold', 0.5, 0) : undefined,
    });
    try {
      for (const n of clf.notes) console.error(`note: ${n}`);
      let outFd: number | null = null;
      // the stage's column only when it may run (row-file predictions keep their old layout)
      // both stages: what was asked for, else on for captures and off for row files (no neighbourhood)
      const stageOn = (arg: string | undefined, input: string): boolean => arg === 'on' || (arg === undefined && !isHdf5File(input) && looksLikeCapture(input));
      const contextFor = (input: string): boolean => stageOn(context, input);
      const suppressedColumn = a.positionals.some(contextFor);
      const rulesFor = (input: string): boolean => stageOn(rules, input);
      // the reasons' column only when asked for by name (the default -o layout stays as it was)
      const escalatedColumn = rules === 'on';
      if (one(a, 'out')) {
        outFd = fs.openSync(one(a, 'out')!, 'w');
        fs.writeSync(outFd, `source,${ID_COLUMNS.map(csvField).join(',')},label,confidence,attack_probability,malicious${suppressedColumn ? ',suppressed' : ''}${escalatedColumn ? ',escalated,relabelled,model_label' : ''}\n`);
      }
      for (const input of a.positionals) {
        let flows: Array<Record<string, unknown>>;
        let verdicts: RuleVerdict[];
        if (isHdf5File(input)) {
          // a pandas table (the prototype's normed_data.h5, or hdf5 out's pandas layout): rows are already preprocessed
          const t = await readPandasModelRows(input, clf.columns);
          if (t.nanCells && !a.flags.has('quiet')) console.error(`note: ${input}: ${t.nanCells} NaN cells (columns constant in the prototype's batch) fed as 0`);
          flows = t.extras;
          verdicts = await clf.classify(t.rows, { normalized: true });
        } else {
          flows = looksLikeCapture(input) ? await meterCapture(input, clf.card.profile) : readCsvObjects(input);
          verdicts = await clf.classify(flows);
        }
        // the lone-flow context stage (lib/ml/lone-flow-context.ts), batch mode over the whole input
        if (contextFor(input)) {
          suppressLoneVerdicts(flows, verdicts, clf.card.benignLabels[0] ?? 'BENIGN');
        }
        // then the behaviour rules (lib/ml/behaviour-rules.ts), batch mode: they escalate benign verdicts and
        // rename model alerts after their payload signature
        if (rulesFor(input)) escalateByRules(flows, verdicts, { trustedSources });
        if (outFd !== null) {
          const lines = flows.map((f, i) => [input, ...ID_COLUMNS.map((c) => (f as Record<string, unknown>)[c] ?? ''), verdicts[i].label, verdicts[i].confidence.toFixed(6), verdicts[i].attackProbability.toFixed(6), verdicts[i].malicious ? 1 : 0, ...(suppressedColumn ? [verdicts[i].suppressed ?? ''] : []), ...(escalatedColumn ? [verdicts[i].escalated ?? '', verdicts[i].relabelled ?? '', verdicts[i].modelLabel ?? ''] : [])].map(csvField).join(','));
          if (lines.length) fs.writeSync(outFd, `${lines.join('\n')}\n`);
        }
        if (!a.flags.has('quiet')) console.log(summarize(input, flows, verdicts, list(a, 'attacker')));
      }
      if (outFd !== null) fs.closeSync(outFd);
    } finally {
      await clf.close();
    }
    return 0;
  },
};

function readCsvObjects(file: string): Array<Record<string, unknown>> {
  const t = readCsvFile(file);
  return t.rows.map((r) => {
    const o: Record<string, unknown> = {};
    t.header.forEach((h, j) => { o[h] = r[j]; });
    return o;
  });
}

function summarize(input: string, flows: Array<Record<string, unknown>>, v: RuleVerdict[], attackers: string[] = []): string {
  const flagged = v.filter((x) => x.malicious).length;
  const suppressed = v.filter((x) => x.suppressed).length;
  const reasons = new Map<string, number>();
  for (const x of v) if (x.escalated) reasons.set(x.escalated, (reasons.get(x.escalated) ?? 0) + 1);
  const escalated = [...reasons.values()].reduce((s, n) => s + n, 0);
  const why = [...reasons].sort((x, y) => y[1] - x[1]).slice(0, 3).map(([r]) => r).join('; ');
  // relabels by model label → signature label, e.g. "DoS Hulk → Web Attack - SQL Injection 1"
  const renames = new Map<string, number>();
  for (const x of v) if (x.relabelled) { const k = `${x.modelLabel} → ${x.label}`; renames.set(k, (renames.get(k) ?? 0) + 1); }
  const relabelled = [...renames.values()].reduce((s, n) => s + n, 0);
  const renamed = [...renames].sort((x, y) => y[1] - x[1]).slice(0, 3).map(([r, n]) => `${r} ${n}`).join('; ');
  const byLabel = new Map<string, number>();
  const bySrc = new Map<string, number>();
  v.forEach((x, i) => {
    byLabel.set(x.label, (byLabel.get(x.label) ?? 0) + 1);
    if (x.malicious) {
      const src = String(flows[i]['Src IP'] ?? '?');
      bySrc.set(src, (bySrc.get(src) ?? 0) + 1);
    }
  });
  const pct = flows.length ? ((100 * flagged) / flows.length).toFixed(1) : '0.0';
  const labels = [...byLabel].sort((x, y) => y[1] - x[1]).map(([l, n]) => `${l} ${n}`).join(', ');
  const srcs = [...bySrc].sort((x, y) => y[1] - x[1]).slice(0, 5).map(([s, n]) => `${s} (${n})`).join(', ');
  let rates = '';
  if (attackers.length) {
    let att = 0, attFlagged = 0, other = 0, otherFlagged = 0;
    v.forEach((x, i) => {
      const isAttack = attackers.includes('*') || attackers.includes(String(flows[i]['Src IP'])) || attackers.includes(String(flows[i]['Dst IP']));
      if (isAttack) { att++; if (x.malicious) attFlagged++; } else { other++; if (x.malicious) otherFlagged++; }
    });
    rates = `; attacker flows flagged ${attFlagged}/${att}, other flows flagged ${otherFlagged}/${other}`;
  }
  return `${input}: ${flows.length} flows, ${flagged} flagged (${pct}%)${suppressed ? `, ${suppressed} single-packet alarm(s) not corroborated` : ''}${escalated ? `, ${escalated} escalated by behaviour rules and payload signatures (${why}${reasons.size > 3 ? '; …' : ''})` : ''}${relabelled ? `, ${relabelled} model alert(s) relabelled by payload signatures (${renamed}${renames.size > 3 ? '; …' : ''})` : ''}${labels ? ` — ${labels}` : ''}${srcs ? `; flagged sources: ${srcs}` : ''}${rates}`;
}
