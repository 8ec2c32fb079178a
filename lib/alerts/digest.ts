/**
 * Digest: one summary per period instead of one message per alert, so an e-mail inbox (and the
 * SMTP provider's rate limits) survive an attack. Memory is fixed: counters per class/severity,
 * bounded heavy-hitter lists and the first few records as examples.
 */
import { SEVERITY_NAMES, Severity } from './classes.js';
import { EveAlert } from './eve.js';
import { TopK } from './topk.js';

export interface DigestSummary {
  from: string;
  to: string;
  /** Alert records in the period. */
  records: number;
  /** Malicious flows they stand for (sum of deepmad.count). */
  flows: number;
  byClass: Record<string, number>;
  bySeverity: { high: number; medium: number; low: number };
  topSources: Array<{ ip: string; count: number }>;
  topTargets: Array<{ ip: string; count: number }>;
  examples: Array<Pick<EveAlert, 'timestamp' | 'src_ip' | 'src_port' | 'dest_ip' | 'dest_port' | 'proto'> & { signature: string; severity: Severity; count: number; confidence: number }>;
  host?: string;
}

export class AlertDigest {
  private startMs: number;
  private records = 0;
  private flows = 0;
  private byClass = new Map<string, number>();
  private bySeverity = { high: 0, medium: 0, low: 0 };
  private sources = new TopK(100);
  private targets = new TopK(100);
  private examples: DigestSummary['examples'] = [];

  constructor(private readonly opts: { maxExamples?: number; host?: string; now?: () => number } = {}) {
    this.startMs = (opts.now ?? Date.now)();
  }

  get pending(): number { return this.records; }

  add(recs: EveAlert | EveAlert[]): void {
    for (const r of Array.isArray(recs) ? recs : [recs]) {
      const n = r.deepmad?.count ?? 1;
      this.records++;
      this.flows += n;
      const label = r.deepmad?.label ?? r.alert.signature;
      this.byClass.set(label, (this.byClass.get(label) ?? 0) + n);
      this.bySeverity[SEVERITY_NAMES[r.alert.severity] as 'high' | 'medium' | 'low'] += n;
      this.sources.add(r.src_ip, n);
      this.targets.add(r.dest_ip, n);
      if (this.examples.length < (this.opts.maxExamples ?? 10)) {
        this.examples.push({
          timestamp: r.timestamp, src_ip: r.src_ip, src_port: r.src_port, dest_ip: r.dest_ip, dest_port: r.dest_port,
          proto: r.proto, signature: r.alert.signature, severity: r.alert.severity, count: n, confidence: r.alert.confidence,
        });
      }
    }
  }

  /** The period's summary, or undefined when nothing happened; starts a new period either way. */
  take(): DigestSummary | undefined {
    const nowMs = (this.opts.now ?? Date.now)();
    const summary: DigestSummary | undefined = this.records === 0 ? undefined : {
      from: new Date(this.startMs).toISOString(),
      to: new Date(nowMs).toISOString(),
      records: this.records,
      flows: this.flows,
      byClass: Object.fromEntries([...this.byClass].sort((a, b) => b[1] - a[1])),
      bySeverity: { ...this.bySeverity },
      topSources: this.sources.top(10).map(({ key, count }) => ({ ip: key, count })),
      topTargets: this.targets.top(10).map(({ key, count }) => ({ ip: key, count })),
      examples: this.examples,
      ...(this.opts.host ? { host: this.opts.host } : {}),
    };
    this.startMs = nowMs;
    this.records = 0;
    this.flows = 0;
    this.byClass = new Map();
    this.bySeverity = { high: 0, medium: 0, low: 0 };
    this.sources.clear();
    this.targets.clear();
    this.examples = [];
    return summary;
  }
}

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function digestSubject(d: DigestSummary): string {
  const sev = (['high', 'medium', 'low'] as const).filter((k) => d.bySeverity[k] > 0).map((k) => `${d.bySeverity[k]} ${k}`);
  const where = d.host ? ` on ${d.host}` : '';
  return `[DeepMAD] ${d.flows} malicious flow${d.flows === 1 ? '' : 's'} (${sev.join(', ')})${where}`;
}

export function digestText(d: DigestSummary): string {
  const lines = [
    `DeepMAD alert digest ${d.from} – ${d.to}${d.host ? ` (${d.host})` : ''}`,
    `${d.records} alert records for ${d.flows} malicious flows: high ${d.bySeverity.high}, medium ${d.bySeverity.medium}, low ${d.bySeverity.low}`,
    '', 'By class:', ...Object.entries(d.byClass).map(([k, v]) => `  ${k}: ${v}`),
    '', 'Top sources:', ...d.topSources.map((s) => `  ${s.ip}: ${s.count}`),
    '', 'Top targets:', ...d.topTargets.map((s) => `  ${s.ip}: ${s.count}`),
    '', 'Examples:',
    ...d.examples.map((e) => `  ${e.timestamp} ${e.signature} sev ${e.severity} ${e.src_ip}:${e.src_port} -> ${e.dest_ip}:${e.dest_port} ${e.proto} x${e.count}`),
  ];
  return lines.join('\n');
}

export function digestHtml(d: DigestSummary): string {
  const rows = (pairs: Array<[string, string | number]>) => pairs.map(([a, b]) => `<tr><td>${esc(a)}</td><td>${esc(b)}</td></tr>`).join('');
  return [
    `<h2>DeepMAD alert digest</h2>`,
    `<p>${esc(d.from)} – ${esc(d.to)}${d.host ? ` on ${esc(d.host)}` : ''}: <b>${d.flows}</b> malicious flows in ${d.records} alert records `,
    `(high ${d.bySeverity.high}, medium ${d.bySeverity.medium}, low ${d.bySeverity.low}).</p>`,
    `<h3>By class</h3><table>${rows(Object.entries(d.byClass))}</table>`,
    `<h3>Top sources</h3><table>${rows(d.topSources.map((s) => [s.ip, s.count]))}</table>`,
    `<h3>Top targets</h3><table>${rows(d.topTargets.map((s) => [s.ip, s.count]))}</table>`,
    `<h3>Examples</h3><table><tr><th>time</th><th>signature</th><th>severity</th><th>source</th><th>destination</th><th>flows</th></tr>`,
    ...d.examples.map((e) => `<tr><td>${esc(e.timestamp)}</td><td>${esc(e.signature)}</td><td>${e.severity}</td><td>${esc(e.src_ip)}:${e.src_port}</td><td>${esc(e.dest_ip)}:${e.dest_port}</td><td>${e.count}</td></tr>`),
    `</table>`,
  ].join('\n');
}

/**
 * A message for node-red-node-email's `e-mail` node: `topic` is the subject, `payload` the body
 * (HTML is detected by the node and sent with a text alternative), `to` the recipients.
 */
export interface DigestEmail { topic: string; payload: string; plaintext?: string; to?: string; digest: DigestSummary }

export function digestEmailMessage(d: DigestSummary, opts: { to?: string; html?: boolean } = {}): DigestEmail {
  const msg: DigestEmail = {
    topic: digestSubject(d),
    payload: opts.html === false ? digestText(d) : digestHtml(d),
    digest: d,
  };
  // The e-mail node sends msg.plaintext as the text alternative of an HTML body.
  if (opts.html !== false) msg.plaintext = digestText(d);
  if (opts.to) msg.to = opts.to;
  return msg;
}
