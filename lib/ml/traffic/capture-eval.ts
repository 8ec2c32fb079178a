/**
 * Per-capture detection table for README: every capture in ../shared/data/pcaps/{attack,benign}
 * metered with our flow meter and classified with a model. For attack captures whose attacker is
 * known (MANIFEST descriptions, confirmed by the flows), the attacker's flows give the detection
 * rate and all other flows the false-alarm rate. The table is with the post-model stages as
 * `deepmad classify <capture>` runs them: the lone-flow context stage (lib/ml/lone-flow-context.ts),
 * then the behaviour rules (lib/ml/behaviour-rules.ts); the summary is printed with both, with the
 * context stage only, and with neither. Usage:
 *
 *   node dist/lib/ml/traffic/capture-eval.js [model.onnx] [--threshold T] [--context-k K] [--context off] [--rules off]
 */
import fs from 'node:fs';
import path from 'node:path';
import { Classifier } from '../classifier.js';
import { defaultModelPath, packageRoot } from '../default-model.js';
import { meterCapture } from '../capture-flows.js';
import { suppressLoneVerdicts, DEFAULT_CONTEXT_K } from '../lone-flow-context.js';
import { escalateByRules } from '../behaviour-rules.js';

/** Attack capture → attacker addresses ('*' = every flow is attack traffic, e.g. spoofed sources). */
export const KNOWN_ATTACKERS: Record<string, string[]> = {
  'doup123_slowloris.pcap': ['172.16.2.1'],
  'doup123_udp_flood.pcap': ['172.16.2.1'],
  'markofu_ppa_dosattack_spoofed-synflood.pcap': ['*'],
  'markofu_ppa_portscan.pcap': ['10.100.25.14'],
  'ndpi_tcp_scan.pcapng': ['192.168.1.178'],
  'nfstream_synscan.pcap': ['172.16.0.8'],
  'nfstream_WebattackSQLinj_CICIDS2017.pcap': ['172.16.0.1'],
  'suricata_syn-flood_crafted.pcap': ['192.0.2.10'],
  'zeek_ssh_sshguess.pcap': ['192.168.56.1'],
  'zeek_rfb_vnc-scanner.pcap': ['192.168.0.11'],
  'zeek_http_cooper-grill-dvwa.pcapng': ['192.168.111.148'],
  'chrissanders_http_dvwa_sqlinjection.pcapng': ['10.2.2.101'],
  'zeek_tls_heartbleed.pcap': ['173.203.79.216'],
  'zeek_tls_heartbleed-success.pcap': ['173.203.79.216'],
  'zeek_dhcp_flood.pcap': ['*'],
  // nDPI's expected output marks the exploit request (172.16.238.1 → the webapp 172.16.238.10:8080, "Possible
  // Exploit Attempt", its JNDI header) and the victim's LDAP and class-download callbacks to the attacker's
  // server 172.16.238.11; the flows show the rest: the victim's reverse shell to 10.10.10.31:9001, which sends
  // `id` and gets `uid=…` back.
  'ndpi_log4j-webapp-exploit.pcap': ['172.16.238.1', '172.16.238.11', '10.10.10.31'],
};

const isCapture = (f: string): boolean => /\.(pcap|pcapng|cap)$/.test(f);

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const valueAt = (name: string): number => args.indexOf(name);
  const ti = valueAt('--threshold'), ki = valueAt('--context-k'), ci = valueAt('--context'), ri = valueAt('--rules');
  const threshold = ti >= 0 ? Number(args[ti + 1]) : undefined;
  const k = ki >= 0 ? Number(args[ki + 1]) : DEFAULT_CONTEXT_K;
  const contextOn = ci < 0 || args[ci + 1] !== 'off';
  const rulesOn = ri < 0 || args[ri + 1] !== 'off';
  const valueIdx = new Set([ti, ki, ci, ri].filter((i) => i >= 0).map((i) => i + 1));
  const model = args.find((a, i) => !a.startsWith('--') && !valueIdx.has(i)) ?? defaultModelPath();
  const pcaps = path.resolve(packageRoot(), '..', 'shared', 'data', 'pcaps');
  const clf = await Classifier.open(model, { worker: false, threshold });
  const lines = [`model ${path.basename(model)}, threshold ${clf.threshold}, lone-flow context ${contextOn ? `on (K = ${k}, W = 60 s)` : 'off'}, behaviour rules ${rulesOn ? 'on' : 'off'}`, '', '| capture | flows | attacker flows flagged | other flows flagged | top labels |', '|---|---|---|---|---|'];
  const withBoth = zeroTotals(), with_ = zeroTotals(), without = zeroTotals();
  for (const kind of ['attack', 'benign']) {
    for (const f of fs.readdirSync(path.join(pcaps, kind)).filter(isCapture).sort()) {
      const flows = await meterCapture(path.join(pcaps, kind, f), clf.card.profile);
      const v = await clf.classify(flows);
      const attackers = kind === 'attack' ? KNOWN_ATTACKERS[f] : [];
      const isAttack = flows.map((fl) => !!attackers && (attackers.includes('*') || attackers.includes(String(fl['Src IP'])) || attackers.includes(String(fl['Dst IP']))));
      tally(without, kind, attackers, count(v.map((x) => x.malicious), isAttack));
      if (contextOn) suppressLoneVerdicts(flows, v, clf.card.benignLabels[0] ?? 'BENIGN', { k });
      tally(with_, kind, attackers, count(v.map((x) => x.malicious), isAttack));
      if (rulesOn) escalateByRules(flows, v);
      const { att, attHit, other, otherHit } = count(v.map((x) => x.malicious), isAttack);
      tally(withBoth, kind, attackers, { att, attHit, other, otherHit });
      const labels = new Map<string, number>();
      for (const x of v) if (x.malicious) labels.set(x.label, (labels.get(x.label) ?? 0) + 1);
      const top = [...labels].sort((a, b) => b[1] - a[1]).slice(0, 2).map(([l, n]) => `${l} ${n}`).join(', ') || '—';
      const pct = (a: number, b: number): string => (b ? `${a}/${b} (${((100 * a) / b).toFixed(0)}%)` : '—');
      const name = `${kind}/${f}${kind === 'attack' && !attackers ? ' (attacker not known)' : ''}`;
      lines.push(`| ${name} | ${flows.length} | ${kind === 'attack' && attackers ? pct(attHit, att) : '—'} | ${pct(otherHit, other)} | ${top} |`);
    }
  }
  await clf.close();
  lines.push('');
  if (rulesOn) lines.push(`with the context stage${contextOn ? '' : ' off'} and the behaviour rules: ${summary(withBoth)}`);
  if (contextOn) lines.push(`with the context stage (K = ${k})${rulesOn ? ' only' : ''}: ${summary(with_)}`);
  lines.push(`without either: ${summary(without)}`);
  console.log(lines.join('\n'));
}

type Totals = ReturnType<typeof zeroTotals>;
function zeroTotals() { return { att: 0, attHit: 0, attackCaps: 0, capsAlerting: 0, benign: 0, benignHit: 0, benignCaps: 0, benignCapsQuiet: 0, unknown: 0, unknownAlerting: 0 }; }
interface Counts { att: number; attHit: number; other: number; otherHit: number }

function count(malicious: boolean[], isAttack: boolean[]): Counts {
  const c = { att: 0, attHit: 0, other: 0, otherHit: 0 };
  malicious.forEach((m, i) => { if (isAttack[i]) { c.att++; if (m) c.attHit++; } else { c.other++; if (m) c.otherHit++; } });
  return c;
}

function tally(t: Totals, kind: string, attackers: string[] | undefined, c: Counts): void {
  if (kind === 'attack' && attackers) { t.att += c.att; t.attHit += c.attHit; t.attackCaps++; if (c.attHit > 0) t.capsAlerting++; t.benign += c.other; t.benignHit += c.otherHit; }
  else if (kind === 'attack') { t.unknown++; if (c.otherHit > 0) t.unknownAlerting++; }
  else { t.benign += c.other; t.benignHit += c.otherHit; t.benignCaps++; if (c.otherHit === 0) t.benignCapsQuiet++; }
}

function summary(t: Totals): string {
  return `known-attacker captures raising alerts: ${t.capsAlerting}/${t.attackCaps}; attacker flows flagged ${t.attHit}/${t.att}` +
    `; non-attack flows flagged ${t.benignHit}/${t.benign} (${((100 * t.benignHit) / Math.max(1, t.benign)).toFixed(1)}%)` +
    `; benign captures with no alert ${t.benignCapsQuiet}/${t.benignCaps}; other attack captures raising alerts ${t.unknownAlerting}/${t.unknown}`;
}

if (require.main === module) main().catch((err: unknown) => { console.error(`capture-eval: ${(err as Error).message}`); process.exitCode = 1; });
