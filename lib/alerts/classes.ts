/**
 * What a predicted class means for an alert: is it benign, how severe is it (Suricata's scale:
 * 1 = high, 2 = medium, 3 = low), which Suricata classtype-like category it falls in, and a stable
 * signature id. Defaults cover the CIC-IDS2017/2018 label set; users override severity per class.
 */
export type Severity = 1 | 2 | 3;
export const SEVERITY_NAMES: Record<Severity, string> = { 1: 'high', 2: 'medium', 3: 'low' };

const BENIGN_DEFAULT = ['benign', 'normal', 'background'];

interface ClassRule { test: RegExp; severity: Severity; category: string }

// Order matters: first match wins. Categories are Suricata classtype descriptions, so EVE
// consumers group them with their rule-based alerts.
const DEFAULT_RULES: ClassRule[] = [
  // CIC-IDS2017 "Infiltration - Portscan": a scan from an already infiltrated inside host.
  { test: /infil?tr?ation.*scan/i, severity: 2, category: 'Detection of a Network Scan' },
  { test: /heartbleed|infiltration|infilteration|exploit|ransom|log4/i, severity: 1, category: 'Attempted Administrator Privilege Gain' },
  { test: /\bbot\b|botnet|trojan|c2|c&c|malware/i, severity: 1, category: 'A Network Trojan was detected' },
  { test: /ddos|\bdos\b|dos[ _-]|hulk|goldeneye|slowloris|slowhttp|flood|loic|hoic/i, severity: 1, category: 'Attempted Denial of Service' },
  { test: /web ?attack|sql|xss|injection|brute ?force.*web/i, severity: 2, category: 'Web Application Attack' },
  // one failed login (ET files its VNC rule under INFO): low, a mistyped password looks the same
  { test: /authentication fail/i, severity: 3, category: 'Attempted User Privilege Gain' },
  { test: /patator|brute|ssh|ftp|password|guess/i, severity: 2, category: 'Attempted User Privilege Gain' },
  { test: /scan|probe|recon|sweep/i, severity: 3, category: 'Detection of a Network Scan' },
  { test: /tunnel|exfil/i, severity: 2, category: 'Potential Corporate Privacy Violation' },
];
const FALLBACK: { severity: Severity; category: string } = { severity: 2, category: 'Misc Attack' };

export interface ClassPolicyOptions {
  /** Class name → severity 1..3 (or 'high'|'medium'|'low'); case-insensitive; `*` suffix = prefix match. */
  severities?: Record<string, Severity | string | number>;
  /** Labels that never raise an alert (case-insensitive). Default: BENIGN, normal, background. */
  benign?: string[];
}

export function parseSeverity(v: unknown): Severity | undefined {
  if (v === 1 || v === 2 || v === 3) return v;
  const s = String(v).trim().toLowerCase();
  if (s === '1' || s === 'high' || s === 'critical') return 1;
  if (s === '2' || s === 'medium') return 2;
  if (s === '3' || s === 'low' || s === 'info') return 3;
  return undefined;
}

export class ClassPolicy {
  private readonly benign: Set<string>;
  private readonly exact = new Map<string, Severity>();
  private readonly prefixes: Array<[string, Severity]> = [];
  // Per-label answers, computed once (labels come from a model: a handful of distinct strings).
  private readonly memo = new Map<string, { severity: Severity; category: string; sid: number; benign: boolean }>();

  constructor(opts: ClassPolicyOptions = {}) {
    this.benign = new Set((opts.benign ?? BENIGN_DEFAULT).map((x) => x.trim().toLowerCase()));
    for (const [name, value] of Object.entries(opts.severities ?? {})) {
      const sev = parseSeverity(value);
      if (sev === undefined) throw new Error(`severity for class '${name}' must be 1-3 or high/medium/low, got '${String(value)}'`);
      const key = name.trim().toLowerCase();
      if (key.endsWith('*')) this.prefixes.push([key.slice(0, -1), sev]);
      else this.exact.set(key, sev);
    }
  }

  private info(label: string) {
    let m = this.memo.get(label);
    if (!m) {
      if (this.memo.size > 10_000) this.memo.clear(); // unbounded label sets (bad input) cannot grow memory
      m = { severity: this.computeSeverity(label), category: this.computeCategory(label), sid: 9_200_000 + (fnv1a32(label.trim().toLowerCase()) % 100_000), benign: this.benign.has(label.trim().toLowerCase()) };
      this.memo.set(label, m);
    }
    return m;
  }

  isBenign(label: string): boolean { return this.info(label).benign; }

  severity(label: string): Severity { return this.info(label).severity; }

  category(label: string): string { return this.info(label).category; }

  /**
   * Stable Suricata-style signature id in the local range: 9 200 000 + a 5-digit hash of the
   * lower-cased class name, so the same class gets the same sid across runs and hosts.
   */
  signatureId(label: string): number { return this.info(label).sid; }

  private computeSeverity(label: string): Severity {
    const key = label.trim().toLowerCase();
    const exact = this.exact.get(key);
    if (exact !== undefined) return exact;
    for (const [prefix, sev] of this.prefixes) if (key.startsWith(prefix)) return sev;
    return (DEFAULT_RULES.find((r) => r.test.test(label)) ?? FALLBACK).severity;
  }

  private computeCategory(label: string): string {
    return (DEFAULT_RULES.find((r) => r.test.test(label)) ?? FALLBACK).category;
  }
}

export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
