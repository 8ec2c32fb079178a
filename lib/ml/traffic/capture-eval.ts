/**
 * Per-capture detection table for README: every capture in ../shared/data/pcaps/{attack,benign}
 * metered with our flow meter and classified with a model. For attack captures whose attacker is
 * known (MANIFEST descriptions, confirmed by the flows), the attacker's flows give the detection
 * rate and all other flows the false-alarm rate. Usage:
 *
 *   node dist/lib/ml/traffic/capture-eval.js [model.onnx] [--threshold T]
 */
import fs from 'node:fs';
import path from 'node:path';
import { Classifier } from '../classifier.js';
import { defaultModelPath, packageRoot } from '../default-model.js';
import { meterCapture } from '../capture-flows.js';

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
};

const isCapture = (f: string): boolean => /\.(pcap|pcapng|cap)$/.test(f);

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const ti = args.indexOf('--threshold');
  const threshold = ti >= 0 ? Number(args[ti + 1]) : undefined;
  const model = args.find((a, i) => !a.startsWith('--') && (ti < 0 || i !== ti + 1)) ?? defaultModelPath();
  const pcaps = path.resolve(packageRoot(), '..', 'shared', 'data', 'pcaps');
  const clf = await Classifier.open(model, { worker: false, threshold });
  const lines = [`model ${path.basename(model)}, threshold ${clf.threshold}`, '', '| capture | flows | attacker flows flagged | other flows flagged | top labels |', '|---|---|---|---|---|'];
  const totals = { att: 0, attHit: 0, attackCaps: 0, capsAlerting: 0, benign: 0, benignHit: 0, benignCaps: 0, benignCapsQuiet: 0, unknown: 0, unknownAlerting: 0 };
  for (const kind of ['attack', 'benign']) {
    for (const f of fs.readdirSync(path.join(pcaps, kind)).filter(isCapture).sort()) {
      const flows = await meterCapture(path.join(pcaps, kind, f), clf.card.profile);
      const v = await clf.classify(flows);
      const attackers = kind === 'attack' ? KNOWN_ATTACKERS[f] : [];
      let att = 0, attHit = 0, other = 0, otherHit = 0;
      const labels = new Map<string, number>();
      v.forEach((x, i) => {
        if (x.malicious) labels.set(x.label, (labels.get(x.label) ?? 0) + 1);
        const a = !!attackers && (attackers.includes('*') || attackers.includes(String(flows[i]['Src IP'])) || attackers.includes(String(flows[i]['Dst IP'])));
        if (a) { att++; if (x.malicious) attHit++; } else { other++; if (x.malicious) otherHit++; }
      });
      const top = [...labels].sort((a, b) => b[1] - a[1]).slice(0, 2).map(([l, n]) => `${l} ${n}`).join(', ') || '—';
      const pct = (a: number, b: number): string => (b ? `${a}/${b} (${((100 * a) / b).toFixed(0)}%)` : '—');
      const name = `${kind}/${f}${kind === 'attack' && !attackers ? ' (attacker not known)' : ''}`;
      lines.push(`| ${name} | ${flows.length} | ${kind === 'attack' && attackers ? pct(attHit, att) : '—'} | ${pct(otherHit, other)} | ${top} |`);
      if (kind === 'attack' && attackers) { totals.att += att; totals.attHit += attHit; totals.attackCaps++; if (attHit > 0) totals.capsAlerting++; totals.benign += other; totals.benignHit += otherHit; }
      else if (kind === 'attack') { totals.unknown++; if (otherHit > 0) totals.unknownAlerting++; }
      else { totals.benign += other; totals.benignHit += otherHit; totals.benignCaps++; if (otherHit === 0) totals.benignCapsQuiet++; }
    }
  }
  await clf.close();
  lines.push('', `known-attacker captures raising alerts: ${totals.capsAlerting}/${totals.attackCaps}; attacker flows flagged ${totals.attHit}/${totals.att}` +
    `; non-attack flows flagged ${totals.benignHit}/${totals.benign} (${((100 * totals.benignHit) / Math.max(1, totals.benign)).toFixed(1)}%)` +
    `; benign captures with no alert ${totals.benignCapsQuiet}/${totals.benignCaps}; other attack captures raising alerts ${totals.unknownAlerting}/${totals.unknown}`);
  console.log(lines.join('\n'));
}

if (require.main === module) main().catch((err: unknown) => { console.error(`capture-eval: ${(err as Error).message}`); process.exitCode = 1; });
