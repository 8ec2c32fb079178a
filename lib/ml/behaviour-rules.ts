/**
 * Behaviour-rule stage after the model (and after the lone-flow context stage): raises alerts the
 * per-flow model cannot, because each flow of the attack looks ordinary and only their repetition or
 * rate is hostile. It only ever turns benign verdicts malicious, never the reverse, and records why
 * (`escalated`). Flows the model already flags count toward the rules but keep the model's verdict;
 * only their label can change, to a payload signature's (see 3).
 *
 * Parameters come from published practice, not from our evaluation captures:
 *
 * 1. Repeated logins (brute force). The Emerging Threats rule "ET SCAN Potential SSH Scan"
 *    (sid 2001976) alerts on 5 established client→server connections with payload from one source
 *    within 60 s (`threshold: type both, track by_src, count 5, seconds 60`). Here: TCP flows
 *    (Protocol 6) to a login service's Dst Port (LOGIN_SERVICES: FTP, SSH, Telnet, RDP, VNC) in which
 *    the client sent payload (`Total Length of Fwd Packet` > 0) and the server answered
 *    (`Total Bwd packets` > 0), keyed by (Src IP, Dst Port) — tracked by source, any destination.
 *    When ≥ LOGIN_K = 5 such flows start within any LOGIN_WINDOW_S = 60 s span, all of them are
 *    malicious: label `Login Brute Force`.
 * 2. DHCP flood. DHCP snooping's factory-default rate limit on access switches is 15 packets/s over a
 *    1 s burst interval (Dell N-series, Netgear and Fortinet switch manuals). Here: UDP flows
 *    (Protocol 17) to Dst Port 67, counted network-wide (a flood spoofs its client addresses); when
 *    more than 15 (≥ DHCP_K = 16) start within any DHCP_WINDOW_S = 1 s span, all of them are
 *    malicious: label `DHCP Flood`.
 * Window edges are inclusive (a span of exactly 60 s, or 1 s, qualifies).
 * 3. Payload signatures (lib/capture/payload-tells.ts). The packet decoder looks into TCP payloads and the
 *    flow meter marks a flow whose content is an attack by itself: `Payload Signature` (objects: a field,
 *    absent when none; flow columns: a text column, '' when none, present only when some row has one)
 *    holds SIGNATURE_LABELS labels joined by ', ' (Heartbleed, SQL injection / XSS / path traversal /
 *    Log4Shell JNDI in an HTTP request, VNC authentication failure). Such a flow is malicious with the
 *    first label; the reason is `payload signature: <the field's labels>`. No window and no memory:
 *    a signature is per flow, so batch and streaming give the same result. Where a flow is also a
 *    member of a login or DHCP window, the signature's label wins (evidence in the flow itself).
 *    A flow the model already flags under another label is relabelled, not escalated: `label` becomes
 *    the signature's label (the one an escalation would give, trusted-source exemption included),
 *    `modelLabel` keeps the model's and `relabelled` the same reason text; it stays malicious with the
 *    model's confidence and probabilities (an alert is named after the concrete payload evidence, not
 *    after the model's guess at the traffic's shape).
 *
 * Trusted sources (`trustedSources`: addresses and CIDR prefixes, lib/ml/address-match.ts): login flows
 * from them neither count toward the login rule nor are escalated by it — automation that logs in every
 * few seconds (monitoring over SSH, Ansible, a reconnecting VNC client) would otherwise trip it. Trust is
 * decided once per distinct source of a batch (an IPv4 source from flow columns as a number, no string).
 * The DHCP rule ignores the list: DHCP clients have no stable address (requests come from 0.0.0.0, a
 * flood spoofs its client MACs), so there is no source to trust. Of the payload signatures, a trusted
 * source is exempt from 'VNC Authentication Failure' only — a failed login is a login event, like the
 * login rule's (a monitoring probe with a stale password); the content signatures still escalate (SQL
 * injection or Heartbleed from a trusted host is a compromised host, not automation).
 *
 * Batch mode (`judgeBehaviour`, `escalateByRules`): a whole capture or CSV, exact and two-sided —
 * every member of any qualifying window, earlier flows included.
 * Streaming (`BehaviourRules`): successive batches; a batch is judged against a bounded memory of the
 * past (per key the latest K start times, in typed-array rings; at most `maxKeys` sources per login
 * service, CLOCK eviction) plus the whole current batch (two-sided within it). Causal edge: flows
 * emitted in earlier batches cannot be changed, so in a stream only the flow that completes the count
 * and every later qualifying flow in its window are escalated (plus the earlier members still in the
 * same batch); the first K − 1 logins of a slow brute force stay benign when they came in earlier
 * batches. The memory is exact when batches arrive in start-time order (each key's latest K times are
 * all a window reaching into the current batch can use); a flow meter emits flows as they end, so a
 * long flow that ends late can be counted from its start only against the latest K times remembered.
 */
import type { FlowColumns } from '../normalize/flow-columns.js';
import { identOf, isFlowColumns, lazyIntact } from '../normalize/flow-columns.js';
import { formatIp } from '../flow/format.js';
import type { Verdict, VerdictColumns } from './classifier.js';
import { parseTimestamp } from './lone-flow-context.js';
import { KeyedLatestTimes, keepLatest, type HostKey } from './keyed-latest-times.js';
import { BWD_PACKETS_NAMES, DST_PORT_NAMES, FWD_BYTES_NAMES, PROTOCOL_NAMES, SIGNATURE_FIELD, SRC_IP_NAMES, TIME_NAMES, fieldReader, isFlowObject, pickName, signatureCode } from './flow-fields.js';
import { SIGNATURE_LABELS, SIG_VNC_AUTH_FAILED } from '../capture/payload-tells.js';
import { AddressMatcher, parseAddressList } from './address-match.js';

export { AddressListError, AddressMatcher, parseAddressList } from './address-match.js';

/** Login services of the brute-force rule: TCP destination port and the name used in reasons. */
export const LOGIN_SERVICES: ReadonlyArray<Readonly<{ port: number; name: string }>> = Object.freeze([
  Object.freeze({ port: 21, name: 'ftp' }),
  Object.freeze({ port: 22, name: 'ssh' }),
  Object.freeze({ port: 23, name: 'telnet' }),
  Object.freeze({ port: 3389, name: 'rdp' }),
  Object.freeze({ port: 5900, name: 'vnc' }),
]);
/** ET SCAN Potential SSH Scan (sid 2001976): count 5, seconds 60, track by_src. */
export const LOGIN_K = 5;
export const LOGIN_WINDOW_S = 60;
/** DHCP snooping default rate limit: 15 packets/s, 1 s burst interval; more than 15 is a flood. */
export const DHCP_SERVER_PORT = 67;
export const DHCP_K = 16;
export const DHCP_WINDOW_S = 1;
/** Sources remembered per login service in streaming mode. */
export const DEFAULT_RULES_MAX_KEYS = 65_536;

export const LOGIN_BRUTE_FORCE = 'Login Brute Force';
export const DHCP_FLOOD = 'DHCP Flood';
/** The payload signatures' labels, in SIGNATURE_LABELS order (a flow's signature code = index + 1). */
export const SIGNATURE_RULE_LABELS: readonly string[] = Object.freeze(SIGNATURE_LABELS.map(([, label]) => label));
/** Labels the stage gives, in `escalated` code order (code = index + 1): the two rules, then the signatures. */
export const RULE_LABELS: readonly string[] = Object.freeze([LOGIN_BRUTE_FORCE, DHCP_FLOOD, ...SIGNATURE_RULE_LABELS]);
/** Codes in `escalated` verdict columns (0 = not escalated). */
export const ESCALATED_LOGIN = 1;
export const ESCALATED_DHCP = 2;
/** The first signature's code: signature code s (SIGNATURE_LABELS index + 1) escalates as ESCALATED_SIGNATURE + s − 1 (3…8). */
export const ESCALATED_SIGNATURE = 3;
/** The signature code trusted sources are exempt from (a failed login, not content). */
const SIG_CODE_VNC_AUTH_FAILED = SIGNATURE_LABELS.findIndex(([bit]) => bit === SIG_VNC_AUTH_FAILED) + 1;

/** The `escalated` reason of a login brute force: `5+ ssh sessions from 192.168.56.1 within 60 s`. */
export const loginReason = (service: string, src: string, k = LOGIN_K, windowSeconds = LOGIN_WINDOW_S): string =>
  `${k}+ ${service} sessions from ${src} within ${windowSeconds} s`;
/** The `escalated` reason of a DHCP flood: `16+ DHCP requests within 1 s`. */
export const dhcpReason = (k = DHCP_K, windowSeconds = DHCP_WINDOW_S): string => `${k}+ DHCP requests within ${windowSeconds} s`;
/** The `escalated` reason of a payload signature: `payload signature: Web Attack - SQL Injection, Web Attack - XSS`. */
export const signatureReason = (labels: string): string => `payload signature: ${labels}`;

/** What a flow is to the rules: KIND_NONE, KIND_DHCP, or KIND_LOGIN + the LOGIN_SERVICES index. */
export const KIND_NONE = 0;
export const KIND_DHCP = 1;
export const KIND_LOGIN = 2;

/** The fields the rules read, one entry per flow. */
export interface BehaviourFlows {
  rows: number;
  /** flow start in seconds since the epoch; NaN when unknown (never counts) */
  time: Float64Array;
  /** KIND_NONE, KIND_DHCP, or KIND_LOGIN + service index for a qualifying login flow */
  kind: Uint8Array;
  /** source address (an IPv4 address as a number when read from flow columns); read for login flows and flows with a signature */
  src: ArrayLike<HostKey>;
  /** payload signature code per flow (SIGNATURE_LABELS index + 1 of the first known label, 0 = none); null or absent when no flow has one */
  sig?: Uint8Array | null;
  /** the `Payload Signature` text of each flow with a code (holes elsewhere), for the reason */
  sigText?: ArrayLike<string | undefined> | null;
}

export interface RulesOptions {
  /** the repeated-login rule (default on) */
  login?: boolean;
  loginK?: number;
  loginWindowSeconds?: number;
  /** the DHCP flood rule (default on) */
  dhcp?: boolean;
  dhcpK?: number;
  dhcpWindowSeconds?: number;
  /** escalation of flows carrying a payload signature (default on) */
  signatures?: boolean;
  /** streaming only: sources remembered per login service (default 65,536) */
  maxKeys?: number;
  /**
   * addresses and CIDR prefixes (`10.0.0.5`, `192.168.1.0/24`, `fd00::/8`) whose login flows the login
   * rule neither counts nor escalates, and whose 'VNC Authentication Failure' flows are not escalated
   * (content signatures still are); a parsed list (parseAddressList) is taken as is. A bad entry throws
   * an AddressListError naming it.
   */
  trustedSources?: readonly string[] | AddressMatcher;
}

/** Which flows belong to a qualifying window or carry a signature: `codes[i]` = ESCALATED_LOGIN / ESCALATED_DHCP / ESCALATED_SIGNATURE + s − 1, else 0. */
export interface RuleHits {
  codes: Uint8Array;
  /** the reason per hit row (holes elsewhere); null when there is no hit */
  reasons: string[] | null;
  /** 1 for a login flow from a trusted source (not counted, never a hit); null or absent when there is none */
  trusted?: Uint8Array | null;
}

type Malicious = ArrayLike<number | boolean>;

// ---- reading flows --------------------------------------------------------------------------

/** LOGIN_SERVICES index by port (-1 elsewhere): one typed-array load per flow. */
const SERVICE_OF_PORT = new Int8Array(65_536).fill(-1);
LOGIN_SERVICES.forEach((s, i) => { SERVICE_OF_PORT[s.port] = i; });

/** The rules' view of one flow from its protocol, destination port, client payload bytes and server packets. */
export function flowKind(protocol: number, dstPort: number, fwdBytes: number, bwdPackets: number): number {
  if (protocol === 17) return dstPort === DHCP_SERVER_PORT ? KIND_DHCP : KIND_NONE;
  if (protocol !== 6 || !(dstPort >= 0 && dstPort < 65_536)) return KIND_NONE;
  const s = SERVICE_OF_PORT[dstPort | 0];
  return s >= 0 && dstPort === (dstPort | 0) && fwdBytes > 0 && bwdPackets > 0 ? KIND_LOGIN + s : KIND_NONE;
}

/** Records row i's `Payload Signature` text (none for '' or a non-string) in `out.sig` / `out.sigText`; returns its code. */
function readSignature(out: BehaviourFlows, i: number, s: unknown): number {
  const sig = typeof s === 'string' && s !== '' ? signatureCode(s) : 0;
  if (sig !== 0) {
    (out.sig ??= new Uint8Array(out.rows))[i] = sig;
    ((out.sigText ??= new Array<string>(out.rows)) as string[])[i] = s as string;
  }
  return sig;
}

/** The rules' fields of flow objects `from`…`to`; anything that is not an object never counts. */
export function behaviourFlowsFromObjects(flows: ArrayLike<unknown>, from = 0, to = flows.length): BehaviourFlows {
  const n = Math.max(0, to - from);
  const out: BehaviourFlows = { rows: n, time: new Float64Array(n), kind: new Uint8Array(n), src: new Array<HostKey>(n), sig: null, sigText: null };
  if (n === 0) return out;
  // each name picked once, from the first of the leading flows that has it (a batch comes from one profile)
  const sets = [PROTOCOL_NAMES, DST_PORT_NAMES, FWD_BYTES_NAMES, BWD_PACKETS_NAMES, SRC_IP_NAMES, TIME_NAMES];
  const names: Array<string | undefined> = sets.map(() => undefined);
  for (let i = from, found = 0; i < Math.min(to, from + 64) && found < sets.length; i++) {
    const f = flows[i];
    if (!isFlowObject(f)) continue;
    for (let k = 0; k < sets.length; k++) if (names[k] === undefined && (names[k] = pickName(f, sets[k])) !== undefined) found++;
  }
  // the signature field is absent on flows without one, so it is not picked: always read by its one name
  const read = fieldReader([...names, SIGNATURE_FIELD]);
  const src = out.src as HostKey[];
  const cell: unknown[] = [0, 0, 0, 0, '', '', undefined];
  for (let i = 0; i < n; i++) {
    const f = flows[from + i];
    src[i] = '';
    if (!isFlowObject(f)) { out.time[i] = NaN; continue; }
    read(f, cell);
    const kind = flowKind(Number(cell[0]), Number(cell[1]), Number(cell[2]), Number(cell[3]));
    out.kind[i] = kind;
    out.time[i] = kind === KIND_NONE ? NaN : parseTimestamp(cell[5]);
    const sig = readSignature(out, i, cell[6]);
    if (kind >= KIND_LOGIN || sig !== 0) src[i] = typeof cell[4] === 'string' ? cell[4] : String(cell[4] ?? '');
  }
  return out;
}

/**
 * The rules' fields of a columnar batch. While its identity columns are the flow meter's lazy
 * accessors, ports, protocol, times and IPv4 sources come from the numbers behind them.
 */
export function behaviourFlowsFromColumns(fc: FlowColumns, from = 0, to = fc.rows): BehaviourFlows {
  const n = Math.max(0, to - from);
  const out: BehaviourFlows = { rows: n, time: new Float64Array(n), kind: new Uint8Array(n), src: new Array<HostKey>(n), sig: null, sigText: null };
  const W = fc.columns.length;
  const col = (names: string[]): number => { for (const x of names) { const j = fc.columns.indexOf(x); if (j >= 0) return j; } return -1; };
  const fl = col(FWD_BYTES_NAMES), bp = col(BWD_PACKETS_NAMES);
  const num = (r: number, j: number): number => (j >= 0 ? fc.values[r * W + j] : NaN);
  const src = out.src as HostKey[];
  // the signatures first ('' = none; the column exists only when some row of the message has one)
  const sigCol = Object.prototype.hasOwnProperty.call(fc.text, SIGNATURE_FIELD) ? fc.text[SIGNATURE_FIELD] : undefined;
  if (sigCol) for (let r = 0; r < n; r++) readSignature(out, r, sigCol[from + r]);
  const sigs = out.sig ?? null;
  const id = identOf(fc);
  if (id && lazyIntact(fc.text, id.names.srcIp, id) && lazyIntact(fc.text, id.names.timestamp, id)) {
    for (let r = 0; r < n; r++) {
      const x = from + r;
      const kind = flowKind(id.protocol[x], id.dstPort[x], num(x, fl), num(x, bp));
      out.kind[r] = kind;
      out.time[r] = kind === KIND_NONE ? NaN : id.startUs[x] / 1e6;
      src[r] = kind >= KIND_LOGIN || (sigs !== null && sigs[r] !== 0) ? (id.ipVersion[x] === 6 ? formatIp(id.srcAddr, x * 4, 6) : id.srcAddr[x * 4] >>> 0) : 0;
    }
    return out;
  }
  const pj = col(PROTOCOL_NAMES), dj = col(DST_PORT_NAMES);
  const text = (names: string[]): string[] | undefined => { const k = names.find((x) => x in fc.text); return k !== undefined ? fc.text[k] : undefined; };
  const srcText = text(SRC_IP_NAMES), ts = text(TIME_NAMES);
  const protoText = pj < 0 ? text(PROTOCOL_NAMES) : undefined, portText = dj < 0 ? text(DST_PORT_NAMES) : undefined;
  for (let r = 0; r < n; r++) {
    const x = from + r;
    const proto = pj >= 0 ? num(x, pj) : Number(protoText?.[x]);
    const port = dj >= 0 ? num(x, dj) : Number(portText?.[x]);
    const kind = flowKind(proto, port, num(x, fl), num(x, bp));
    out.kind[r] = kind;
    out.time[r] = kind === KIND_NONE || !ts ? NaN : parseTimestamp(ts[x]);
    src[r] = kind >= KIND_LOGIN || (sigs !== null && sigs[r] !== 0) ? srcText?.[x] ?? '' : '';
  }
  return out;
}

// ---- the rules ------------------------------------------------------------------------------

interface Params { login: boolean; loginK: number; loginW: number; dhcp: boolean; dhcpK: number; dhcpW: number; signatures: boolean; trusted: AddressMatcher | null }

/** The trusted-sources matcher, or null when there is none to consult. */
function trustedMatcher(list: RulesOptions['trustedSources']): AddressMatcher | null {
  const m = list instanceof AddressMatcher ? list : parseAddressList(list);
  return m.size > 0 ? m : null;
}

function params(o: RulesOptions): Params {
  const p: Params = {
    login: o.login !== false, loginK: Math.floor(o.loginK ?? LOGIN_K), loginW: o.loginWindowSeconds ?? LOGIN_WINDOW_S,
    dhcp: o.dhcp !== false, dhcpK: Math.floor(o.dhcpK ?? DHCP_K), dhcpW: o.dhcpWindowSeconds ?? DHCP_WINDOW_S,
    signatures: o.signatures !== false, trusted: trustedMatcher(o.trustedSources),
  };
  if (!(p.loginK >= 1 && p.loginK <= 255)) throw new Error(`rules: login count must be 1-255 (got ${o.loginK})`);
  if (!(p.dhcpK >= 1 && p.dhcpK <= 100_000)) throw new Error(`rules: DHCP count must be 1-100000 (got ${o.dhcpK})`);
  if (!(p.loginW >= 0) || !Number.isFinite(p.loginW)) throw new Error(`rules: login window must be a non-negative number of seconds (got ${o.loginWindowSeconds})`);
  if (!(p.dhcpW >= 0) || !Number.isFinite(p.dhcpW)) throw new Error(`rules: DHCP window must be a non-negative number of seconds (got ${o.dhcpWindowSeconds})`);
  return p;
}

/**
 * Marks the rows of one key that lie in a window of `w` seconds holding ≥ k flows. `times` are the
 * merged start times in ascending order, `rows[j]` the batch row of times[j] or -1 for a remembered
 * past time. A window holding ≥ k flows can be slid to start at its first flow, so checking the
 * windows [times[j], times[j] + w] finds them all; two pointers and a "marked up to" index make it linear.
 */
function markWindows(times: Float64Array, rows: Int32Array, m: number, k: number, w: number, onRow: (row: number) => void): void {
  let end = 0, marked = 0;
  for (let j = 0; j < m; j++) {
    if (end < j) end = j;
    while (end < m && times[end] <= times[j] + w) end++;
    if (end - j < k) continue;
    for (let x = Math.max(marked, j); x < end; x++) if (rows[x] >= 0) onRow(rows[x]);
    if (end > marked) marked = end;
  }
}

/** What streaming mode remembers (null in batch mode). */
interface Past { login: KeyedLatestTimes[]; dhcp: TimeRing }

/**
 * One key's rows (`order[from…to]`, batch rows) merged with its remembered times, sorted, then marked.
 * Returns without work when even all of them together are fewer than k.
 */
function judgeKey(f: BehaviourFlows, order: Uint32Array, from: number, to: number, past: Float64Array, pastN: number, k: number, w: number, onRow: (row: number) => void): void {
  const own = to - from;
  if (own + pastN < k) return;
  const slice = order.subarray(from, to);
  const t = f.time;
  slice.sort((a, b) => t[a] - t[b] || a - b);
  const m = own + pastN;
  const times = new Float64Array(m);
  const rows = new Int32Array(m);
  // merge two ascending lists (the past is kept sorted)
  for (let a = 0, b = 0, j = 0; j < m; j++) {
    if (b >= pastN || (a < own && t[slice[a]] <= past[b])) { times[j] = t[slice[a]]; rows[j] = slice[a++]; } else { times[j] = past[b++]; rows[j] = -1; }
  }
  markWindows(times, rows, m, k, w, onRow);
}

const NO_PAST = new Float64Array(0);

function judge(f: BehaviourFlows, p: Params, past: Past | null): RuleHits {
  const codes = new Uint8Array(f.rows);
  let reasons: string[] | null = null;
  let trusted: Uint8Array | null = null;
  const reasonsArr = (): string[] => (reasons ??= new Array<string>(f.rows));
  if (p.dhcp) {
    let n = 0;
    for (let i = 0; i < f.rows; i++) if (f.kind[i] === KIND_DHCP && !Number.isNaN(f.time[i])) n++;
    if (n > 0) {
      const order = new Uint32Array(n);
      for (let i = 0, j = 0; i < f.rows; i++) if (f.kind[i] === KIND_DHCP && !Number.isNaN(f.time[i])) order[j++] = i;
      const buf = past ? past.dhcp.sorted() : NO_PAST;
      const why = dhcpReason(p.dhcpK, p.dhcpW);
      judgeKey(f, order, 0, n, buf, buf.length, p.dhcpK, p.dhcpW, (r) => { codes[r] = ESCALATED_DHCP; reasonsArr()[r] = why; });
    }
  }
  if (p.login) {
    for (let s = 0; s < LOGIN_SERVICES.length; s++) {
      const kind = KIND_LOGIN + s;
      // group the service's rows by source: ids in first-seen order (-1: a trusted source, decided
      // once per source), then a counting sort
      const ids = new Map<HostKey, number>();
      let n = 0;
      for (let i = 0; i < f.rows; i++) if (f.kind[i] === kind && !Number.isNaN(f.time[i])) n++;
      if (n === 0) continue;
      const rowKey = new Int32Array(n);
      const rowsOf = new Uint32Array(n);
      let counted = 0, keys = 0;
      for (let i = 0; i < f.rows; i++) {
        if (f.kind[i] !== kind || Number.isNaN(f.time[i])) continue;
        let id = ids.get(f.src[i]);
        if (id === undefined) { id = p.trusted?.matches(f.src[i]) ? -1 : keys++; ids.set(f.src[i], id); }
        if (id < 0) { (trusted ??= new Uint8Array(f.rows))[i] = 1; continue; }
        rowKey[counted] = id;
        rowsOf[counted++] = i;
      }
      if (counted === 0) continue;
      const start = new Uint32Array(keys + 1);
      for (let j = 0; j < counted; j++) start[rowKey[j] + 1]++;
      for (let g = 0; g < keys; g++) start[g + 1] += start[g];
      const order = new Uint32Array(counted);
      const next = start.slice(0, keys);
      for (let j = 0; j < counted; j++) order[next[rowKey[j]]++] = rowsOf[j];
      const ring = past?.login[s];
      const buf = new Float64Array(p.loginK);
      const service = LOGIN_SERVICES[s].name;
      for (const [key, g] of ids) {
        if (g < 0) continue;
        const pastN = ring ? ring.sorted(key, buf) : 0;
        let why: string | undefined;
        judgeKey(f, order, start[g], start[g + 1], buf, pastN, p.loginK, p.loginW, (r) => {
          codes[r] = ESCALATED_LOGIN;
          reasonsArr()[r] = why ??= loginReason(service, hostText(key), p.loginK, p.loginW);
        });
      }
    }
  }
  // payload signatures last: per flow, and over a window member the flow's own content wins
  const sig = f.sig;
  if (p.signatures && sig) {
    for (let i = 0; i < f.rows; i++) {
      const s = sig[i];
      if (s === 0) continue;
      if (s === SIG_CODE_VNC_AUTH_FAILED && p.trusted?.matches(f.src[i])) continue;
      codes[i] = ESCALATED_SIGNATURE + s - 1;
      reasonsArr()[i] = cachedSignatureReason(f.sigText?.[i] ?? SIGNATURE_RULE_LABELS[s - 1]);
    }
  }
  return { codes, reasons, trusted };
}

/** Reasons by signature text: one string per distinct text, not per flow (bounded like signatureCode). */
const signatureReasons = new Map<string, string>();
function cachedSignatureReason(labels: string): string {
  let r = signatureReasons.get(labels);
  if (r === undefined) {
    if (signatureReasons.size >= 256) signatureReasons.clear();
    signatureReasons.set(labels, r = signatureReason(labels));
  }
  return r;
}

/** A source key as text (IPv4 numbers from flow columns are formatted; only for reasons). */
function hostText(key: HostKey): string {
  return typeof key === 'number' ? formatIp([key], 0, 4) : key;
}

/**
 * Batch mode: which flows belong to a qualifying window, judging all flows of the input against each
 * other (exact, two-sided). The model's verdict does not matter here; escalation applies to benign ones.
 */
export function judgeBehaviour(flows: BehaviourFlows, opts: RulesOptions = {}): RuleHits {
  return judge(flows, params(opts), null);
}

// ---- streaming memory -----------------------------------------------------------------------

/** The latest `depth` DHCP start times, network-wide. */
class TimeRing {
  private readonly times: Float64Array;
  private readonly fill = new Uint32Array(1);
  constructor(readonly depth: number) { this.times = new Float64Array(depth); }
  clear(): void { this.fill[0] = 0; }
  record(t: number): void { keepLatest(this.times, 0, this.depth, this.fill, 0, t); }
  sorted(): Float64Array { return this.times.slice(0, this.fill[0]).sort(); }
}

export interface RulesStats {
  /** flows seen; flows each rule counted; login flows from trusted sources (not counted); benign verdicts each rule / the signatures escalated */
  flows: number;
  loginFlows: number;
  dhcpFlows: number;
  trustedLoginFlows: number;
  escalatedLogin: number;
  escalatedDhcp: number;
  escalatedSignature: number;
  /** model alerts whose label a payload signature replaced (not escalations: they were malicious already) */
  relabelledSignature: number;
}

/**
 * Streaming mode: call `judge` (or `applyToVerdicts` / `applyToColumns[Sliced]`) once per batch, in
 * arrival order, after the model and the lone-flow stage. Memory: per login service at most
 * `maxKeys` sources × loginK times, plus dhcpK times.
 */
export class BehaviourRules {
  readonly stats: RulesStats = { flows: 0, loginFlows: 0, dhcpFlows: 0, trustedLoginFlows: 0, escalatedLogin: 0, escalatedDhcp: 0, escalatedSignature: 0, relabelledSignature: 0 };
  private readonly params: Params;
  private readonly past: Past;

  constructor(opts: RulesOptions = {}) {
    this.params = params(opts);
    const maxKeys = Math.floor(opts.maxKeys ?? DEFAULT_RULES_MAX_KEYS);
    if (!(maxKeys >= 1)) throw new Error(`rules: maxKeys must be at least 1 (got ${opts.maxKeys})`);
    this.past = { login: LOGIN_SERVICES.map(() => new KeyedLatestTimes(maxKeys, this.params.loginK)), dhcp: new TimeRing(this.params.dhcpK) };
  }

  /** escalations so far, both rules and the signatures */
  get escalated(): number { return this.stats.escalatedLogin + this.stats.escalatedDhcp + this.stats.escalatedSignature; }

  /** sources remembered and slots allocated, per login service (each at most maxKeys) */
  get keys(): number[] { return this.past.login.map((r) => r.size); }
  get capacity(): number[] { return this.past.login.map((r) => r.capacity); }

  /** Forgets the past (e.g. when an unrelated source starts); the stats are kept. */
  reset(): void {
    for (const r of this.past.login) r.clear();
    this.past.dhcp.clear();
  }

  /**
   * Judges one batch against the remembered past and the whole batch, then remembers the batch's
   * qualifying flows. `malicious` (the verdicts after the earlier stages) only feeds the stats: the
   * returned hits are every member of a qualifying window; callers escalate the benign ones.
   */
  judge(flows: BehaviourFlows, malicious: Malicious): RuleHits {
    const hits = judge(flows, this.params, this.past);
    this.stats.flows += flows.rows;
    for (let i = 0; i < flows.rows; i++) {
      const kind = flows.kind[i];
      if (kind === KIND_NONE || Number.isNaN(flows.time[i])) {
        // not counted by a rule (codes only set by a signature)
      } else if (kind === KIND_DHCP) {
        if (this.params.dhcp) {
          this.stats.dhcpFlows++;
          this.past.dhcp.record(flows.time[i]);
        }
      } else if (this.params.login) {
        // a trusted source is neither counted now nor remembered for later batches
        if (hits.trusted?.[i]) this.stats.trustedLoginFlows++;
        else {
          this.stats.loginFlows++;
          this.past.login[kind - KIND_LOGIN].record(flows.src[i], flows.time[i]);
        }
      }
      const code = hits.codes[i];
      if (code && !malicious[i]) {
        if (code === ESCALATED_LOGIN) this.stats.escalatedLogin++;
        else if (code === ESCALATED_DHCP) this.stats.escalatedDhcp++;
        else this.stats.escalatedSignature++;
      }
    }
    return hits;
  }

  /** One batch of flow objects and their Verdict objects: relabels model alerts with a signature and escalates benign members in place; returns the escalations. */
  applyToVerdicts(flows: ArrayLike<unknown>, verdicts: RuleVerdict[]): number {
    const hits = this.judge(behaviourFlowsFromObjects(flows), verdictFlags(verdicts));
    this.stats.relabelledSignature += relabelVerdicts(verdicts, hits);
    return escalateVerdicts(verdicts, hits);
  }

  /** One batch (FlowColumns or flow objects; other array entries never count) and its VerdictColumns, edited in place (escalateColumns). */
  applyToColumns(flows: FlowColumns | ArrayLike<unknown>, v: VerdictColumns): number {
    const bf = isFlowColumns(flows) ? behaviourFlowsFromColumns(flows) : behaviourFlowsFromObjects(flows);
    const hits = this.judge(bf, v.malicious);
    this.stats.relabelledSignature += relabelColumns(v, hits);
    return escalateColumns(v, hits);
  }

  /**
   * applyToColumns for a large message in the Node-RED event loop: the rows go through as successive
   * streaming batches of `sliceRows` with `pause()` awaited between them (same result as one call per
   * slice), so 100k flows never hold the loop for one pass.
   */
  async applyToColumnsSliced(flows: FlowColumns | ArrayLike<unknown>, v: VerdictColumns, sliceRows: number, pause: () => Promise<void>): Promise<number> {
    const rows = v.rows;
    if (rows <= sliceRows) return this.applyToColumns(flows, v);
    const codes = new Uint8Array(rows);
    let reasons: string[] | null = null;
    const cols = isFlowColumns(flows) ? flows : null;
    for (let from = 0; from < rows; from += sliceRows) {
      if (from > 0) await pause();
      const to = Math.min(rows, from + sliceRows);
      const bf = cols ? behaviourFlowsFromColumns(cols, from, to) : behaviourFlowsFromObjects(flows as ArrayLike<unknown>, from, to);
      const h = this.judge(bf, v.malicious.subarray(from, to));
      codes.set(h.codes, from);
      if (h.reasons) {
        reasons ??= new Array<string>(rows);
        for (let i = 0; i < h.codes.length; i++) if (h.codes[i]) reasons[from + i] = h.reasons[i];
      }
    }
    const hits: RuleHits = { codes, reasons };
    this.stats.relabelledSignature += relabelColumns(v, hits);
    return escalateColumns(v, hits);
  }
}

// ---- applying hits --------------------------------------------------------------------------

/**
 * A verdict after the post-model stages: `suppressed` (lone-flow stage), `escalated` (this stage: a
 * benign verdict turned malicious, the reason), or `modelLabel` + `relabelled` (this stage: a model
 * alert whose label a payload signature replaced; the model's label and the reason).
 */
export type RuleVerdict = Verdict & { suppressed?: string; escalated?: string; modelLabel?: string; relabelled?: string };

/**
 * Verdict columns after this stage: `escalated` codes and reasons; `relabelled` codes (a model alert
 * given a signature's label, the RULE_LABELS index + 1; 0 = not relabelled), their reasons and
 * `modelLabel` (the model's own label per relabelled row, an index into `labels`); `classes` (the
 * model's labels) once `labels` gained the rule labels.
 */
export type RuleVerdictColumns = VerdictColumns & {
  suppressed?: Uint8Array; escalated?: Uint8Array; escalatedReasons?: string[];
  relabelled?: Uint8Array; relabelledReasons?: string[]; modelLabel?: Uint16Array; classes?: string[];
};

function verdictFlags(verdicts: ReadonlyArray<Verdict>): Uint8Array {
  const m = new Uint8Array(verdicts.length);
  for (let i = 0; i < verdicts.length; i++) m[i] = verdicts[i].malicious ? 1 : 0;
  return m;
}

/**
 * Turns benign verdicts that are hits malicious in place: `label` the rule's or signature's label, `confidence` 1
 * (a rule match, not a model probability), `escalated` the reason, no `suppressed`;
 * `attackProbability` and `probabilities` stay the model's. Returns how many.
 */
export function escalateVerdicts(verdicts: RuleVerdict[], hits: RuleHits): number {
  let n = 0;
  for (let i = 0; i < verdicts.length; i++) {
    const code = hits.codes[i];
    const v = verdicts[i];
    if (!code || v.malicious) continue;
    v.malicious = true;
    v.label = RULE_LABELS[code - 1];
    v.confidence = 1;
    v.escalated = hits.reasons?.[i] ?? RULE_LABELS[code - 1];
    if (v.suppressed !== undefined) delete v.suppressed;
    n++;
  }
  return n;
}

/** True for a hit that names a payload signature (codes 3-8): only those relabel a model alert. */
const isSignatureCode = (code: number): boolean => code >= ESCALATED_SIGNATURE;

/**
 * Gives model alerts that carry a payload signature the signature's label in place, when it differs
 * from the model's: `modelLabel` the model's label, `relabelled` the reason (as `escalated` would
 * read); `malicious`, `confidence`, `attackProbability` and `probabilities` stay the model's. Benign
 * verdicts are left to escalateVerdicts. Returns how many.
 */
export function relabelVerdicts(verdicts: RuleVerdict[], hits: RuleHits): number {
  let n = 0;
  for (let i = 0; i < verdicts.length; i++) {
    const code = hits.codes[i];
    const v = verdicts[i];
    if (!isSignatureCode(code) || !v.malicious || v.label === RULE_LABELS[code - 1]) continue;
    v.modelLabel = v.label;
    v.label = RULE_LABELS[code - 1];
    v.relabelled = hits.reasons?.[i] ?? RULE_LABELS[code - 1];
    n++;
  }
  return n;
}

/**
 * The index of rule code `code`'s label in `v.labels`, appending the RULE_LABELS the model lacks the
 * first time one is needed (a new array: the Classifier's own list is shared), `classes` then keeping
 * the model's labels; widens `v.label` when an index no longer fits a byte.
 */
function ruleLabelIndex(v: RuleVerdictColumns, code: number): number {
  let k = v.labels.indexOf(RULE_LABELS[code - 1]);
  if (k < 0) {
    v.classes ??= v.labels;
    v.labels = [...v.labels, ...RULE_LABELS.filter((l) => !v.labels.includes(l))];
    k = v.labels.indexOf(RULE_LABELS[code - 1]);
    if (k > 255 && v.label instanceof Uint8Array) v.label = Uint16Array.from(v.label);
  }
  return k;
}

/**
 * The columnar twin of relabelVerdicts: `relabelled` (a code per row, 0 = not relabelled) is always
 * set; `relabelledReasons` and `modelLabel` (the model's label index, valid in `labels` before and
 * after: rule labels are only appended) when a row was relabelled. `detections` is unchanged.
 */
export function relabelColumns(v: RuleVerdictColumns, hits: RuleHits): number {
  const relabelled = new Uint8Array(v.rows);
  let n = 0;
  for (let i = 0; i < v.rows; i++) {
    const code = hits.codes[i];
    if (!isSignatureCode(code) || !v.malicious[i] || v.labels[v.label[i]] === RULE_LABELS[code - 1]) continue;
    (v.modelLabel ??= new Uint16Array(v.rows))[i] = v.label[i];
    v.label[i] = ruleLabelIndex(v, code);
    relabelled[i] = code;
    (v.relabelledReasons ??= new Array<string>(v.rows))[i] = hits.reasons?.[i] ?? RULE_LABELS[code - 1];
    n++;
  }
  v.relabelled = relabelled;
  return n;
}

/**
 * The columnar twin of escalateVerdicts. `labels` gains the RULE_LABELS the model lacks the first time a
 * row needs one (a new array: the Classifier's own list is shared; a model class of the same name, e.g.
 * `Heartbleed`, is used as it is), with `classes` keeping the model's labels
 * (the columns of `probabilities`); `escalated` (a code per row, 0 = not escalated) is always set,
 * `escalatedReasons` when a row was escalated; an escalated row's `suppressed` mark is cleared.
 */
export function escalateColumns(v: RuleVerdictColumns, hits: RuleHits): number {
  const escalated = new Uint8Array(v.rows);
  let n = 0;
  for (let i = 0; i < v.rows; i++) {
    const code = hits.codes[i];
    if (!code || v.malicious[i]) continue;
    v.label[i] = ruleLabelIndex(v, code);
    v.malicious[i] = 1;
    v.confidence[i] = 1;
    v.detections++;
    escalated[i] = code;
    if (v.suppressed) v.suppressed[i] = 0;
    (v.escalatedReasons ??= new Array<string>(v.rows))[i] = hits.reasons?.[i] ?? RULE_LABELS[code - 1];
    n++;
  }
  v.escalated = escalated;
  return n;
}

/**
 * Batch mode over a whole input (a capture or a CSV): judges the flows against each other, relabels
 * model alerts that carry a payload signature (relabelVerdicts) and escalates the benign members of
 * qualifying windows and benign flows with a signature in place; returns the escalations.
 */
export function escalateByRules(flows: ArrayLike<unknown>, verdicts: RuleVerdict[], opts: RulesOptions = {}): number {
  const hits = judgeBehaviour(behaviourFlowsFromObjects(flows), opts);
  relabelVerdicts(verdicts, hits);
  return escalateVerdicts(verdicts, hits);
}
