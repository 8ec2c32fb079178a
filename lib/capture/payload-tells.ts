/**
 * Payload tells: a few bytes of a TCP payload looked at once, at decode time, while the packet's bytes
 * are still in the capture buffer (a PacketBatch keeps no payload). Flow statistics cannot see attacks
 * whose only difference from benign traffic is content: a Heartbleed request, an SQL injection in a
 * query string, a failed VNC login. The decoder writes one Uint16 of TELL_* bits per packet; the flow
 * engine ORs them into the flow (mergeTells, which applies the rules that need packet order) and writes
 * the flow's SIG_* bits (flowSignatures) beside its features. The classifier's signature stage turns
 * them into alerts.
 *
 * Cost: most packets are rejected by one look at the first payload byte; HTTP request lines and TLS
 * record headers are walked within the captured bytes only, with no allocation.
 *
 * What is looked at (generic rules from protocol specs and published IDS practice):
 *  - TLS records walked from the segment start (RFC 5246 §6.2.1): handshake, ChangeCipherSpec, and a
 *    cleartext heartbeat request whose payload_length + 3 + 16 exceeds its record (RFC 6520; Zeek's
 *    SSL_Heartbeat_Attack). Encrypted heartbeats (after the sender's CCS) and HTTPS contents are NOT
 *    inspected; a segment that starts mid-record is not re-synchronised.
 *  - HTTP request lines (GET/POST/PUT/HEAD/DELETE/OPTIONS/PATCH): path, query values and the form body
 *    in the same segment, percent-decoded once, for SQL injection (ET WEB_SERVER / OWASP CRS 942
 *    categories: UNION SELECT, quote tautologies, a quote ending the statement before a comment or a
 *    stacked statement, numeric boolean probes like ` AND 5213=5214`, well-known functions), XSS, path traversal; `${jndi:` and its nested-lookup obfuscations anywhere in the
 *    captured request. Requests split over several segments are seen only in their first one.
 *  - RFB (VNC) 3.7+ version banners and the SecurityResult "failed" (RFC 6143 §7.1.3; ET sid 2002920).
 *
 * Unit tests and real-capture counts: test/capture/payload-tells.test.ts; our own lab captures:
 * test/flow/signatures-lab.test.ts.
 */

// ---- per-packet tells (PacketBatch.tells) ----
/** A TLS handshake record (content type 22) starts a record walked in this segment. */
export const TELL_TLS_HANDSHAKE = 1 << 0;
/** A TLS ChangeCipherSpec record (20): what this side sends after it is encrypted. */
export const TELL_TLS_CCS = 1 << 1;
/** A cleartext TLS heartbeat request whose stated payload length leaves less than RFC 6520's 16 bytes of padding. */
export const TELL_TLS_HEARTBEAT_OVERRUN = 1 << 2;
/** An HTTP request whose target or form body holds an SQL injection pattern. */
export const TELL_HTTP_SQLI = 1 << 3;
/** An HTTP request whose target or form body holds a script-injection (XSS) pattern. */
export const TELL_HTTP_XSS = 1 << 4;
/** An HTTP request whose target climbs directories (../../) or names a well-known system file. */
export const TELL_HTTP_TRAVERSAL = 1 << 5;
/** A `${jndi:` lookup (Log4Shell, CVE-2021-44228) anywhere in an HTTP request's captured bytes. */
export const TELL_JNDI = 1 << 6;
/** An RFB (VNC) version banner of protocol 3.7 or later ("RFB 003.007\n", "RFB 003.008\n", Apple's "RFB 003.889\n"). */
export const TELL_RFB_V37 = 1 << 7;
/** An RFB SecurityResult "failed" (u32 1, alone or followed by its reason string). */
export const TELL_RFB_AUTH_FAILED = 1 << 8;

// ---- per-flow signatures (FlowBatch.signatures) ----
export const SIG_HEARTBLEED = 1;
export const SIG_SQLI = 2;
export const SIG_XSS = 4;
export const SIG_TRAVERSAL = 8;
export const SIG_JNDI = 16;
export const SIG_VNC_AUTH_FAILED = 32;

/** Signature bit → the label an escalated flow gets (attack names as the CIC-IDS2017 classes spell them where one exists). */
export const SIGNATURE_LABELS: ReadonlyArray<readonly [number, string]> = [
  [SIG_HEARTBLEED, 'Heartbleed'],
  [SIG_SQLI, 'Web Attack - SQL Injection'],
  [SIG_XSS, 'Web Attack - XSS'],
  [SIG_TRAVERSAL, 'Web Attack - Path Traversal'],
  [SIG_JNDI, 'Log4Shell JNDI Lookup'],
  [SIG_VNC_AUTH_FAILED, 'VNC Authentication Failure'],
];

/** The flow field (objects) / text column (flow columns) that carries a flow's signatures; absent or '' when none. */
export const SIGNATURE_FIELD = 'Payload Signature';

/**
 * Tells of one TCP segment: `buf[off, off + captured)` are the payload bytes the capture holds,
 * `payloadLen` (≥ captured) what the IP length fields say the segment carried.
 */
export function inspectTcpPayload(buf: Uint8Array, off: number, captured: number, payloadLen: number): number {
  if (captured <= 0) return 0;
  switch (buf[off]) {
    case 20: case 21: case 22: case 23: case 24:
      return inspectTls(buf, off, off + captured);
    case 0x47: // G
      return captured > 4 && buf[off + 1] === 0x45 && buf[off + 2] === 0x54 && buf[off + 3] === 0x20
        ? inspectHttp(buf, off, captured, 4) : 0;
    case 0x50: { // P: POST, PUT, PATCH
      if (captured < 5) return 0;
      const w = word(buf, off);
      if (w === W_POST) return buf[off + 4] === 0x20 ? inspectHttp(buf, off, captured, 5) : 0;
      if (w === W_PUT_) return inspectHttp(buf, off, captured, 4);
      if (w === W_PATC) return captured > 6 && buf[off + 4] === 0x48 && buf[off + 5] === 0x20 ? inspectHttp(buf, off, captured, 6) : 0;
      return 0;
    }
    case 0x48: // H: HEAD (HTTP responses "HTTP/" fail the word compare)
      return captured > 5 && word(buf, off) === W_HEAD && buf[off + 4] === 0x20 ? inspectHttp(buf, off, captured, 5) : 0;
    case 0x44: // D: DELETE
      return captured > 7 && word(buf, off) === W_DELE && buf[off + 4] === 0x54 && buf[off + 5] === 0x45 && buf[off + 6] === 0x20
        ? inspectHttp(buf, off, captured, 7) : 0;
    case 0x4f: // O: OPTIONS
      return captured > 8 && word(buf, off) === W_OPTI && buf[off + 4] === 0x4f && buf[off + 5] === 0x4e && buf[off + 6] === 0x53 &&
        buf[off + 7] === 0x20 ? inspectHttp(buf, off, captured, 8) : 0;
    case 0x52: // R: the RFB ProtocolVersion message is exactly 12 bytes, alone in its segment
      return captured === 12 && payloadLen === 12 ? inspectRfbBanner(buf, off) : 0;
    case 0:
      return inspectRfbFailure(buf, off, captured, payloadLen);
    default:
      return 0;
  }
}

/** First 4 bytes big-endian, as a signed int (compared with the W_* constants below). */
function word(buf: Uint8Array, p: number): number {
  return (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
}
const W_POST = 0x504f5354;
const W_PUT_ = 0x50555420;
const W_PATC = 0x50415443;
const W_HEAD = 0x48454144;
const W_DELE = 0x44454c45;
const W_OPTI = 0x4f505449;

// ---------------------------------------------------------------- TLS (RFC 5246 §6.2.1, RFC 6520)

/** Largest TLSCiphertext.length (2^14 + 2048); a bigger "length" means we are not at a record header. */
const TLS_MAX_RECORD = 18432;

function inspectTls(buf: Uint8Array, p: number, end: number): number {
  let tells = 0;
  // Once this side's ChangeCipherSpec went by, its later records are encrypted: a heartbeat's
  // "payload_length" is ciphertext, so no overrun is judged after it (HTTPS/encrypted heartbeats are not inspected).
  let encrypted = false;
  while (p + 5 <= end) {
    const type = buf[p];
    if (type < 20 || type > 24 || buf[p + 1] !== 3 || buf[p + 2] > 4) break;
    const len = (buf[p + 3] << 8) | buf[p + 4];
    if (len > TLS_MAX_RECORD) break;
    if (type === 22) tells |= TELL_TLS_HANDSHAKE;
    else if (type === 20) { tells |= TELL_TLS_CCS; encrypted = true; }
    else if (type === 24 && !encrypted && len >= 3 && p + 8 <= end && buf[p + 5] === 1) {
      // HeartbeatMessage: type(1) payload_length(2) payload padding(≥ 16). Zeek's SSL_Heartbeat_Attack test.
      const payloadLength = (buf[p + 6] << 8) | buf[p + 7];
      if (payloadLength + 3 + 16 > len) tells |= TELL_TLS_HEARTBEAT_OVERRUN;
    }
    p += 5 + len;
  }
  return tells;
}

// ---------------------------------------------------------------- RFB (RFC 6143 §7.1)

function inspectRfbBanner(buf: Uint8Array, p: number): number {
  // "RFB 003.00" then '7' or '8' then '\n', or Apple's "RFB 003.889\n"
  if (buf[p + 1] !== 0x46 || buf[p + 2] !== 0x42 || buf[p + 3] !== 0x20 || buf[p + 4] !== 0x30 || buf[p + 5] !== 0x30 ||
    buf[p + 6] !== 0x33 || buf[p + 7] !== 0x2e || buf[p + 11] !== 0x0a) return 0;
  const a = buf[p + 8], b = buf[p + 9], c = buf[p + 10];
  if (a === 0x30 && b === 0x30 && (c === 0x37 || c === 0x38)) return TELL_RFB_V37;
  if (a === 0x38 && b === 0x38 && c === 0x39) return TELL_RFB_V37;
  return 0;
}

/** SecurityResult "failed": u32 1, in 3.8 followed by u32 reason-length and the reason string. */
function inspectRfbFailure(buf: Uint8Array, p: number, captured: number, payloadLen: number): number {
  if (captured < 4 || buf[p + 1] !== 0 || buf[p + 2] !== 0 || buf[p + 3] !== 1) return 0;
  if (payloadLen === 4) return TELL_RFB_AUTH_FAILED;
  if (captured < 8 || buf[p + 4] !== 0 || buf[p + 5] !== 0) return 0;
  const n = (buf[p + 6] << 8) | buf[p + 7];
  if (n < 1 || n > 1024 || payloadLen !== 8 + n) return 0;
  const end = p + captured;
  for (let i = p + 8; i < end; i++) {
    const c = buf[i];
    if (c < 0x20 || c > 0x7e) return 0;
  }
  return TELL_RFB_AUTH_FAILED;
}

// ---------------------------------------------------------------- HTTP requests

/** How much of a request target, and of a body, is looked at. */
const HTTP_SCAN_LIMIT = 8192;
/** One decoded value (decoding never lengthens it, and a value lies within one 8 KB region). */
const VAL = new Uint8Array(HTTP_SCAN_LIMIT);

/** Raw request bytes worth a second look: 1 for '$' and '{', 2 for CR and LF. */
const RAW_CLASS = new Uint8Array(256);
RAW_CLASS[0x24] = 1; RAW_CLASS[0x7b] = 1; RAW_CLASS[0x0d] = 2; RAW_CLASS[0x0a] = 2;

const HTTP_ATTACK = TELL_HTTP_SQLI | TELL_HTTP_XSS | TELL_HTTP_TRAVERSAL | TELL_JNDI;

/** `m` = length of the method and its space: the request target starts at off + m. */
function inspectHttp(buf: Uint8Array, off: number, captured: number, m: number): number {
  const end = off + captured;
  const start = off + m;
  const tEnd = Math.min(end, start + HTTP_SCAN_LIMIT);
  let tells = 0;
  let skip = 0; // `${` before this were covered by an earlier lookupScan
  let q = start;
  let qmark = -1;
  for (; q < tEnd; q++) {
    const c = buf[q];
    if (c === 0x20 || c === 0x0d || c === 0x0a) break;
    if (c === 0x3f && qmark < 0) qmark = q;
    else if (c === 0x24 && q >= skip && (tells & TELL_JNDI) === 0) { // raw, even in a parameter name
      skip = lookupScan(buf, q, end);
      if (skip < 0) tells |= TELL_JNDI;
    }
  }
  // The path is one value; the query splits into parameters.
  tells |= scanValue(buf, start, qmark < 0 ? q : qmark);
  if (qmark >= 0) tells |= scanParams(buf, qmark + 1, q);
  // Raw pass over the rest of the captured request: `${jndi:` anywhere (headers, body), and where the body
  // starts. Stride 2: every `${` and every CRLFCRLF has its first or second byte at a visited offset.
  let body = -1;
  for (let i = q; i < end; i += 2) {
    const k = RAW_CLASS[buf[i]];
    if (k === 0) continue;
    if (k === 1) {
      const d = buf[i] === 0x24 ? i : i - 1; // the '$' of a possible "${"
      if (d >= q && d >= skip && (tells & TELL_JNDI) === 0) {
        skip = lookupScan(buf, d, end);
        if (skip < 0) tells |= TELL_JNDI;
      }
    } else if (body < 0) {
      const s = buf[i] === 0x0d ? i : i - 1; // the first CR of a possible CRLFCRLF
      if (s >= q && s + 4 <= end && buf[s] === 0x0d && buf[s + 1] === 0x0a && buf[s + 2] === 0x0d && buf[s + 3] === 0x0a) {
        body = s + 4;
      }
    }
  }
  if (body >= 0 && body < end && (tells & HTTP_ATTACK) !== HTTP_ATTACK) {
    tells |= scanParams(buf, body, Math.min(end, body + HTTP_SCAN_LIMIT));
  }
  return tells;
}

/** Splits `buf[s, e)` on '&' and scans each value (after the first '='; a parameter without '=' is all value). */
function scanParams(buf: Uint8Array, s: number, e: number): number {
  let tells = 0;
  let p = s;
  while (p < e) {
    let v = p;
    let eq = false;
    let q = p;
    for (; q < e; q++) {
      const c = buf[q];
      if (c === 0x26) break;
      if (c === 0x3d && !eq) { eq = true; v = q + 1; }
    }
    if (q > v) tells |= scanValue(buf, v, q);
    p = q + 1;
  }
  return tells;
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  c |= 0x20;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/**
 * Normalizes `buf[s, e)` into VAL the way a server and a SQL parser read it — percent-decoded once
 * (invalid escapes kept), '+' as space, ASCII-lowercased, each run of whitespace and `/*…*\/` comments
 * as one space — and returns its tells.
 */
function scanValue(buf: Uint8Array, s: number, e: number): number {
  let n = 0;
  let inComment = false;
  let prevStar = false;
  for (let i = s; i < e; i++) {
    let c = buf[i];
    if (c === 0x25 && i + 2 < e) {
      const h = hexVal(buf[i + 1]), l = hexVal(buf[i + 2]);
      if (h >= 0 && l >= 0) { c = (h << 4) | l; i += 2; }
    } else if (c === 0x2b) c = 0x20;
    if (inComment) {
      if (prevStar && c === 0x2f) inComment = false;
      prevStar = c === 0x2a;
      continue;
    }
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    else if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) {
      if (n === 0 || VAL[n - 1] !== 0x20) VAL[n++] = 0x20;
      continue;
    } else if (c === 0x2a && n > 0 && VAL[n - 1] === 0x2f) {
      // "/*" opens a comment: the '/' becomes the comment's single space
      inComment = true;
      prevStar = false;
      n--;
      if (n === 0 || VAL[n - 1] !== 0x20) VAL[n++] = 0x20;
      continue;
    }
    VAL[n++] = c;
  }
  return n === 0 ? 0 : matchValue(n);
}

// Patterns, lowercase ASCII (function names without their '(': see call()).
const enc = (s: string): Uint8Array => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
const P_UNION = enc('union ');
const P_SELECT = enc('select');
const P_ALL = enc('all ');
const P_DISTINCT = enc('distinct ');
const P_INFORMATION_SCHEMA = enc('information_schema');
const P_INTO_OUTFILE = enc('into outfile');
const P_INTO_DUMPFILE = enc('into dumpfile');
const P_VERSION = enc('@@version');
const P_SLEEP = enc('sleep');
const P_BENCHMARK = enc('benchmark');
const P_WAITFOR = enc('waitfor delay');
const P_PG_SLEEP = enc('pg_sleep');
const P_LOAD_FILE = enc('load_file');
const P_XP_CMDSHELL = enc('xp_cmdshell');
const P_EXTRACTVALUE = enc('extractvalue');
const P_UPDATEXML = enc('updatexml');
const P_SCRIPT = enc('<script');
const P_IFRAME = enc('<iframe');
const P_JAVASCRIPT = enc('javascript:');
const P_DOCUMENT_COOKIE = enc('document.cookie');
const P_ETC_PASSWD = enc('/etc/passwd');
const P_ETC_SHADOW = enc('/etc/shadow');
const P_PROC_ENVIRON = enc('/proc/self/environ');
const P_WIN_INI = enc('win.ini');
const P_BOOT_INI = enc('boot.ini');
const P_LIKE = enc(' like ');
const P_IS = enc(' is ');
const P_JNDI = enc('jndi:');
const P_LOWER = enc('lower:');
const P_UPPER = enc('upper:');
const P_ENV = enc('env:');
const P_AND = enc('and ');
const P_OR = enc('or ');
/** Statements a stacked query (`1'; DROP TABLE users; --`) starts with, each followed by a space. */
const P_STACKED = ['drop', 'insert', 'update', 'delete', 'select', 'exec', 'execute', 'declare', 'shutdown', 'create', 'alter', 'truncate']
  .map((w) => enc(`${w} `));

/** VAL[i…] starts with `pat` (VAL is lowercased already): the index after it, or -1. */
function lit(i: number, n: number, pat: Uint8Array): number {
  const m = pat.length;
  if (i + m > n) return -1;
  for (let k = 0; k < m; k++) if (VAL[i + k] !== pat[k]) return -1;
  return i + m;
}

/** A function call: VAL[i…] is `name`, an optional space, then '('. */
function call(i: number, n: number, name: Uint8Array): boolean {
  let j = lit(i, n, name);
  if (j < 0) return false;
  if (j < n && VAL[j] === 0x20) j++;
  return j < n && VAL[j] === 0x28;
}

/** `a[i…]` starts with `pat`, ASCII case-insensitively (`pat` is lowercase): the index after it, or -1. */
function atCI(a: Uint8Array, i: number, n: number, pat: Uint8Array): number {
  const m = pat.length;
  if (i + m > n) return -1;
  for (let k = 0; k < m; k++) {
    let c = a[i + k];
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== pat[k]) return -1;
  }
  return i + m;
}

const isWordByte = (c: number): boolean =>
  (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || (c >= 0x41 && c <= 0x5a);
const isLetter = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
const isSep = (c: number): boolean => c === 0x2f || c === 0x5c;

/** Start of the last comparison (`=`, `<`, `>`, ` like `, ` is `) in VAL[0, n), or -1. */
function lastComparison(n: number): number {
  for (let i = n - 1; i >= 0; i--) {
    const c = VAL[i];
    if (c === 0x3d || c === 0x3c || c === 0x3e) return i;
    if (c === 0x20 && (lit(i, n, P_LIKE) >= 0 || lit(i, n, P_IS) >= 0)) return i;
  }
  return -1;
}

/** A quote (at q) opening a boolean injection or closing the statement before a comment. */
function quoteTell(q: number, n: number): boolean {
  let j = q + 1;
  while (j < n && VAL[j] === 0x20) j++;
  if (j >= n) return false;
  const c = VAL[j];
  // ' --  ' #  ' ;  with nothing but spaces after (the rest of the statement commented out / ended)
  let k = -1;
  if (c === 0x2d && j + 1 < n && VAL[j + 1] === 0x2d) k = j + 2;
  else if (c === 0x23 || c === 0x3b) k = j + 1;
  if (k >= 0) {
    while (k < n && VAL[k] === 0x20) k++;
    if (k === n) return true;
    // ' ; DROP …: a second statement stacked after the closed string
    if (c === 0x3b) for (const w of P_STACKED) if (lit(k, n, w) >= 0) return true;
  }
  // ' or …, ' and …, ' || …, ' && …  followed by a space, quote, digit or '(' — and a comparison after
  let o = -1;
  if (c === 0x6f && j + 1 < n && VAL[j + 1] === 0x72) o = j + 2;
  else if (c === 0x61 && j + 2 < n && VAL[j + 1] === 0x6e && VAL[j + 2] === 0x64) o = j + 3;
  else if ((c === 0x7c || c === 0x26) && j + 1 < n && VAL[j + 1] === c) o = j + 2;
  if (o < 0 || o >= n) return false;
  const d = VAL[o];
  if (!(d === 0x20 || d === 0x27 || d === 0x22 || d === 0x28 || (d >= 0x30 && d <= 0x39))) return false;
  if (lastCmp === -2) lastCmp = lastComparison(n);
  return lastCmp >= o;
}
/**
 * A numeric boolean test after a space: ` and 5213=5214`, ` or 1=1`, ` AND 3>2` (sqlmap's boolean-blind
 * probes, which need no quote when the parameter is a number).
 */
function numericBoolean(i: number, n: number): boolean {
  if (i === 0 || VAL[i - 1] !== 0x20) return false;
  let j = lit(i, n, P_AND);
  if (j < 0) j = lit(i, n, P_OR);
  if (j < 0) return false;
  const d0 = j;
  while (j < n && VAL[j] >= 0x30 && VAL[j] <= 0x39) j++;
  if (j === d0 || j >= n) return false;
  if (VAL[j] === 0x20) j++;
  if (j < n && VAL[j] === 0x21) j++; // !=
  if (j >= n || !(VAL[j] === 0x3d || VAL[j] === 0x3c || VAL[j] === 0x3e)) return false;
  j++;
  if (j < n && (VAL[j] === 0x3e || VAL[j] === 0x3d)) j++; // <> <= >=
  if (j < n && VAL[j] === 0x20) j++;
  const d1 = j;
  while (j < n && VAL[j] >= 0x30 && VAL[j] <= 0x39) j++;
  return j > d1 && (j === n || !isWordByte(VAL[j]));
}

/** lastComparison of the value being matched, computed on first need (-2: not yet). */
let lastCmp = -2;

/** Tells of the normalized value VAL[0, n). */
function matchValue(n: number): number {
  let tells = 0;
  let ltSeen = false;
  let skip = 0;
  lastCmp = -2;
  for (let i = 0; i < n; i++) {
    const c = VAL[i];
    switch (c) {
      case 0x27: case 0x22: // quote
        if ((tells & TELL_HTTP_SQLI) === 0 && quoteTell(i, n)) tells |= TELL_HTTP_SQLI;
        break;
      case 0x75: // u
        if ((i === 0 || !isLetter(VAL[i - 1])) && (tells & TELL_HTTP_SQLI) === 0) {
          let j = lit(i, n, P_UNION);
          if (j >= 0) {
            const k = lit(j, n, P_ALL);
            if (k >= 0) j = k;
            else { const d = lit(j, n, P_DISTINCT); if (d >= 0) j = d; }
            j = lit(j, n, P_SELECT);
            if (j >= 0 && (j === n || !isWordByte(VAL[j]))) tells |= TELL_HTTP_SQLI;
          }
        }
        if (call(i, n, P_UPDATEXML)) tells |= TELL_HTTP_SQLI;
        break;
      case 0x69: // i
        if (lit(i, n, P_INFORMATION_SCHEMA) >= 0 || lit(i, n, P_INTO_OUTFILE) >= 0 || lit(i, n, P_INTO_DUMPFILE) >= 0) {
          tells |= TELL_HTTP_SQLI;
        }
        break;
      case 0x40: if (lit(i, n, P_VERSION) >= 0) tells |= TELL_HTTP_SQLI; break;
      case 0x73: if (call(i, n, P_SLEEP)) tells |= TELL_HTTP_SQLI; break;
      case 0x62:
        if (call(i, n, P_BENCHMARK)) tells |= TELL_HTTP_SQLI;
        else if (lit(i, n, P_BOOT_INI) >= 0) tells |= TELL_HTTP_TRAVERSAL;
        break;
      case 0x77:
        if (lit(i, n, P_WAITFOR) >= 0) tells |= TELL_HTTP_SQLI;
        else if (lit(i, n, P_WIN_INI) >= 0) tells |= TELL_HTTP_TRAVERSAL;
        break;
      case 0x70: if (call(i, n, P_PG_SLEEP)) tells |= TELL_HTTP_SQLI; break;
      case 0x61: case 0x6f: // a, o
        if ((tells & TELL_HTTP_SQLI) === 0 && numericBoolean(i, n)) tells |= TELL_HTTP_SQLI;
        break;
      case 0x6c: if (call(i, n, P_LOAD_FILE)) tells |= TELL_HTTP_SQLI; break;
      case 0x78: if (lit(i, n, P_XP_CMDSHELL) >= 0) tells |= TELL_HTTP_SQLI; break;
      case 0x65: if (call(i, n, P_EXTRACTVALUE)) tells |= TELL_HTTP_SQLI; break;
      case 0x3c: // <
        ltSeen = true;
        if (lit(i, n, P_SCRIPT) >= 0 || lit(i, n, P_IFRAME) >= 0) tells |= TELL_HTTP_XSS;
        break;
      case 0x6a: if (lit(i, n, P_JAVASCRIPT) >= 0) tells |= TELL_HTTP_XSS; break;
      case 0x64: if (lit(i, n, P_DOCUMENT_COOKIE) >= 0) tells |= TELL_HTTP_XSS; break;
      case 0x2e: // ../../ or ..\..\ (either separator)
        if (i + 5 < n && VAL[i + 1] === 0x2e && isSep(VAL[i + 2]) && VAL[i + 3] === 0x2e && VAL[i + 4] === 0x2e && isSep(VAL[i + 5])) {
          tells |= TELL_HTTP_TRAVERSAL;
        }
        break;
      case 0x2f: // /
        if (lit(i, n, P_ETC_PASSWD) >= 0 || lit(i, n, P_ETC_SHADOW) >= 0 || lit(i, n, P_PROC_ENVIRON) >= 0) {
          tells |= TELL_HTTP_TRAVERSAL;
        }
        if (ltSeen && eventHandlerAt(i + 1, n)) tells |= TELL_HTTP_XSS;
        break;
      case 0x20:
        if (ltSeen && eventHandlerAt(i + 1, n)) tells |= TELL_HTTP_XSS;
        break;
      case 0x24: // $
        if (i >= skip && (tells & TELL_JNDI) === 0) {
          skip = lookupScan(VAL, i, n);
          if (skip < 0) tells |= TELL_JNDI;
        }
        break;
      default:
        break;
    }
  }
  return tells;
}

/** `on` + ≥ 3 letters + optional spaces + '=' at VAL[i…] (an event-handler attribute such as onerror=). */
function eventHandlerAt(i: number, n: number): boolean {
  if (i + 5 >= n || VAL[i] !== 0x6f || VAL[i + 1] !== 0x6e) return false;
  let j = i + 2;
  while (j < n && VAL[j] >= 0x61 && VAL[j] <= 0x7a) j++;
  if (j - (i + 2) < 3) return false;
  while (j < n && VAL[j] === 0x20) j++;
  return j < n && VAL[j] === 0x3d;
}

/**
 * Looks for a Log4Shell lookup in the `${` expression at a[i] ('$'): `${jndi:`, a lookup nested right
 * away (`${${`), or a `${lower:` / `${upper:` / `${env:` inside an open `${` (obfuscated "jndi"), on
 * the same line, case-insensitively. Returns -1 when found, else where the expression's scan stopped
 * (its closing brace, the line end or n): every `${` before that was checked with it, so callers skip
 * to there and the work stays linear however many `${` a request holds.
 */
function lookupScan(a: Uint8Array, i: number, n: number): number {
  if (i + 1 >= n || a[i + 1] !== 0x7b) return i + 1;
  let depth = 0;
  for (let j = i; j < n; j++) {
    const c = a[j];
    if (c === 0x0a || c === 0x0d) return j;
    if (c === 0x7d) { if (--depth === 0) return j + 1; }
    else if (c === 0x24 && j + 1 < n && a[j + 1] === 0x7b) {
      const k = j + 2;
      if (atCI(a, k, n, P_JNDI) >= 0) return -1;
      if (k + 1 < n && a[k] === 0x24 && a[k + 1] === 0x7b) return -1;
      if (depth > 0 && (atCI(a, k, n, P_LOWER) >= 0 || atCI(a, k, n, P_UPPER) >= 0 || atCI(a, k, n, P_ENV) >= 0)) return -1;
      depth++;
      j++;
    }
  }
  return n;
}

// ---------------------------------------------------------------- per-flow order rules

/**
 * Adds a packet's tells to a flow's mask (forward tells in bits 0–15, backward in 16–31) and returns the
 * new mask (as an unsigned 32-bit number). `packetsBefore` is how many packets the flow had before this one.
 * Order-dependent rules live here.
 */
export function mergeTells(mask: number, tells: number, fwd: boolean, packetsBefore: number): number {
  const f = mask & 0xffff, b = mask >>> 16;
  if ((tells & TELL_TLS_HEARTBEAT_OVERRUN) !== 0) {
    // Judged only inside TLS (a handshake seen, either side, earlier or in this same segment) and only
    // while this side is still cleartext (no CCS from it yet).
    const own = fwd ? f : b;
    if (((f | b | tells) & TELL_TLS_HANDSHAKE) === 0 || (own & TELL_TLS_CCS) !== 0) tells &= ~TELL_TLS_HEARTBEAT_OVERRUN;
  }
  if ((tells & TELL_RFB_AUTH_FAILED) !== 0) {
    // Both sides agreed on RFB 3.7+ and we are still in the handshake at the start of the session.
    if ((f & b & TELL_RFB_V37) === 0 || packetsBefore >= 32) tells &= ~TELL_RFB_AUTH_FAILED;
  }
  return (mask | (fwd ? tells : tells << 16)) >>> 0;
}

/** SIG_* bits of a flow's final mask. */
export function flowSignatures(mask: number): number {
  const t = (mask | (mask >>> 16)) & 0xffff;
  if (t === 0) return 0;
  let sigs = 0;
  if ((t & TELL_TLS_HEARTBEAT_OVERRUN) !== 0) sigs |= SIG_HEARTBLEED;
  if ((t & TELL_HTTP_SQLI) !== 0) sigs |= SIG_SQLI;
  if ((t & TELL_HTTP_XSS) !== 0) sigs |= SIG_XSS;
  if ((t & TELL_HTTP_TRAVERSAL) !== 0) sigs |= SIG_TRAVERSAL;
  if ((t & TELL_JNDI) !== 0) sigs |= SIG_JNDI;
  if ((t & TELL_RFB_AUTH_FAILED) !== 0) sigs |= SIG_VNC_AUTH_FAILED;
  return sigs;
}

const textCache: string[] = [];
/** '' or the labels of `sigs` joined by ', ' (cached: at most 64 distinct values). */
export function signatureText(sigs: number): string {
  if (sigs === 0) return '';
  let t = textCache[sigs];
  if (t === undefined) {
    t = SIGNATURE_LABELS.filter(([bit]) => (sigs & bit) !== 0).map(([, label]) => label).join(', ');
    textCache[sigs] = t;
  }
  return t;
}
