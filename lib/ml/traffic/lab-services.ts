/**
 * Server side of the traffic lab's attack scenarios (run inside the server namespace by lab.ts
 * `serve`): a small vulnerable-looking web application, a TLS responder at record level that
 * emulates a Heartbleed-vulnerable server (and a patched one), and an RFB (VNC) responder. All are
 * lab props: they only have to put realistic exchanges on the wire, not be secure or complete.
 */
import type http from 'node:http';
import net from 'node:net';
import { Random } from '../random.js';
import {
  REC_ALERT, REC_APPLICATION_DATA, REC_CHANGE_CIPHER_SPEC, REC_HANDSHAKE, REC_HEARTBEAT, RecordSplitter, fragmented, heartbeatBody, parseHeartbeat,
  randomBytes, record, serverFinish, serverFlight,
} from './tls-records.js';

/** The web application's one valid login and the lab sshd user's password (known to the benign clients). */
export const WEBAPP_USER = 'admin';
export const WEBAPP_PASSWORD = 'gr1ll-Master';
export const LAB_SSH_USER = 'dmlab';
export const LAB_SSH_PASSWORD = 'lab-Pa55-word';

const filler = (n: number): string => 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(Math.max(1, Math.ceil(n / 57))).slice(0, n);
const html = (title: string, body: string, pad: number): string =>
  `<!DOCTYPE html><html><head><title>${title} :: Grill Lab</title><link rel="stylesheet" href="/static/main.css"></head><body><div id="menu"><a href="/index">Home</a> <a href="/vulnerabilities/sqli/">User lookup</a> <a href="/vulnerabilities/xss_r/">Greeting</a> <a href="/vulnerabilities/xss_s/">Guestbook</a> <a href="/logout">Logout</a></div><div id="main">${body}</div><div id="footer">${filler(pad)}</div></body></html>`;
const escapeNothing = (s: string): string => s; // deliberately vulnerable: input is reflected as is

const USERS = [['1', 'admin', 'admin'], ['2', 'Gordon', 'Brown'], ['3', 'Hack', 'Me'], ['4', 'Pablo', 'Picasso'], ['5', 'Bob', 'Smith']];

/**
 * Request handler of the vulnerable-looking web app (DVWA-like layout): login form, a user lookup by
 * id whose query string reaches "SQL" (errors on quotes, dumps every row on tautologies/UNION, sleeps
 * on SLEEP(n)), a reflected greeting and a stored guestbook. Returns false for other paths.
 */
export function webAppHandler(): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  const guestbook: string[] = [];
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://lab');
    const p = url.pathname;
    if (!/^\/(login|logout|index|about|search|vulnerabilities|static)/.test(p)) return false;
    const send = (status: number, body: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': p.startsWith('/static') ? 'text/css' : 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
      res.end(body);
    };
    let form = '';
    req.on('data', (d: Buffer) => { if (form.length < 65536) form += d.toString('latin1'); });
    req.on('end', () => {
      const q = req.method === 'POST' ? new URLSearchParams(form) : url.searchParams;
      if (p.startsWith('/static')) return send(200, filler(3000 + (p.length * 97) % 4000));
      if (p === '/login' && req.method === 'POST') {
        const ok = q.get('username') === WEBAPP_USER && q.get('password') === WEBAPP_PASSWORD;
        return ok ? send(302, '', { location: '/index', 'set-cookie': `PHPSESSID=${Math.random().toString(36).slice(2)}; path=/` })
          : send(302, '', { location: '/login?failed=1' });
      }
      if (p === '/login') return send(200, html('Login', `${url.searchParams.has('failed') ? '<div class="message">Login failed</div>' : ''}<form action="/login" method="post"><input name="username"><input type="password" name="password"><input type="submit" name="Login" value="Login"><input type="hidden" name="user_token" value="${Math.random().toString(16).slice(2)}"></form>`, 900));
      if (p === '/logout') return send(302, '', { location: '/login' });
      if (p.startsWith('/vulnerabilities/sqli')) {
        const id = q.get('id');
        if (id === null) return send(200, html('User lookup', '<form method="get"><input name="id"><input type="submit" name="Submit"></form>', 1500));
        const quotes = (id.match(/'/g) ?? []).length;
        const delay = /sleep\s*\(\s*(\d+)|benchmark\s*\(|waitfor\s+delay/i.exec(id);
        const answer = (): void => {
          if (quotes % 2 === 1 && !/(#|--|\/\*)/.test(id)) return send(200, `<pre>You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near '${escapeNothing(id)}'' at line 1</pre>`);
          const rows = /union|\bor\b|\|\||select/i.test(id) ? USERS.map((u) => (/union/i.test(id) ? [u[0], u[1], `5f4dcc3b5aa765d61d8327deb882cf9${u[0]}`] : u))
            : USERS.filter((u) => u[0] === id.trim());
          return send(200, html('User lookup', `<form method="get"><input name="id"></form>${rows.map((r) => `<pre>ID: ${escapeNothing(id)}<br>First name: ${r[1]}<br>Surname: ${r[2]}</pre>`).join('')}`, 1500));
        };
        if (delay) setTimeout(answer, Math.min(3, Number(delay[1] ?? 1)) * 1000); else answer();
        return;
      }
      if (p.startsWith('/vulnerabilities/xss_r')) {
        const name = q.get('name');
        return send(200, html('Greeting', `<form method="get"><input name="name"></form>${name !== null ? `<pre>Hello ${escapeNothing(name)}</pre>` : ''}`, 1400));
      }
      if (p.startsWith('/vulnerabilities/xss_s')) {
        if (req.method === 'POST') {
          guestbook.push(`<div>Name: ${escapeNothing(q.get('txtName') ?? '')}<br>Message: ${escapeNothing(q.get('mtxMessage') ?? '')}</div>`);
          if (guestbook.length > 12) guestbook.shift();
        }
        return send(200, html('Guestbook', `<form method="post"><input name="txtName"><textarea name="mtxMessage"></textarea></form>${guestbook.join('')}`, 1200));
      }
      if (p === '/search') {
        const term = q.get('q') ?? '';
        const hits = term.length % 7;
        return send(200, html('Search', `<h2>${hits} results for ${escapeNothing(term)}</h2>${Array.from({ length: hits }, (_, i) => `<p><a href="/about?doc=${i}">${filler(120)}</a></p>`).join('')}`, 1000));
      }
      return send(200, html(p.slice(1), filler(800 + (p.length * 331 + url.search.length * 53) % 9000), 600));
    });
    return true;
  };
}

/**
 * TLS responder at record level. Answers a ClientHello with a full server flight, completes the
 * (opaque) handshake, answers application-data records with as many bytes as their first four bytes
 * ask for, and echoes well-formed heartbeats. With `vulnerable` it emulates a Heartbleed-affected
 * OpenSSL 1.0.1: a heartbeat claiming more payload than it carries is answered with the claimed
 * length of "memory" (random bytes), split into 16 KB records; without it, such heartbeats are
 * silently dropped as RFC 6520 requires of a patched server.
 */
export function startTlsResponder(host: string, port: number, vulnerable: boolean, certDer: Buffer, seed: number): net.Server {
  const rng = new Random(seed);
  const srv = net.createServer((s) => {
    s.on('error', () => undefined);
    const split = new RecordSplitter();
    let finished = false;
    s.on('data', (d: Buffer) => {
      for (const r of split.push(d)) {
        if (r.type === REC_HANDSHAKE && !finished && r.body[0] === 1) s.write(serverFlight(rng, certDer));
        else if (r.type === REC_CHANGE_CIPHER_SPEC) { finished = true; }
        else if (r.type === REC_HANDSHAKE && finished && r.body[0] !== 1) s.write(serverFinish(rng));
        else if (r.type === REC_APPLICATION_DATA) {
          const want = r.body.length >= 4 ? Math.min(r.body.readUInt32BE(0), 4 << 20) : 64;
          s.write(fragmented(REC_APPLICATION_DATA, randomBytes(rng, want + 24)));
        } else if (r.type === REC_HEARTBEAT) {
          const hb = parseHeartbeat(r.body);
          if (!hb || hb.type !== 1) continue;
          if (hb.wellFormed) s.write(record(REC_HEARTBEAT, heartbeatBody(2, hb.claimed, r.body.subarray(3, 3 + hb.claimed), 16, rng), r.version));
          else if (vulnerable) s.write(fragmented(REC_HEARTBEAT, heartbeatBody(2, hb.claimed, randomBytes(rng, hb.claimed), 16, rng), r.version));
        } else if (r.type === REC_ALERT) s.end();
      }
    });
  });
  srv.listen(port, host);
  return srv;
}

/**
 * RFB 3.8 responder (VNC server) with VNC authentication: version exchange, security types,
 * 16-byte challenge; a response is accepted when it equals the challenge with every byte + 1 (the
 * lab's stand-in for DES with the shared password, known to benign clients). After ServerInit it
 * answers every FramebufferUpdateRequest with an update of a few tens of KB.
 */
export function startRfbResponder(host: string, port: number, seed: number): net.Server {
  const rng = new Random(seed);
  const srv = net.createServer((s) => {
    s.on('error', () => undefined);
    let stage = 0;
    let challenge: Buffer = Buffer.alloc(0);
    let buf: Buffer = Buffer.alloc(0);
    s.write('RFB 003.008\n');
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (stage === 0 && buf.length >= 12) { buf = buf.subarray(12); stage = 1; s.write(Buffer.from([1, 2])); }
        else if (stage === 1 && buf.length >= 1) { buf = buf.subarray(1); stage = 2; challenge = randomBytes(rng, 16); s.write(challenge); }
        else if (stage === 2 && buf.length >= 16) {
          const ok = buf.subarray(0, 16).every((b, i) => b === ((challenge[i] + 1) & 0xff));
          buf = buf.subarray(16);
          if (!ok) {
            const reason = Buffer.from('Authentication failed');
            const msg = Buffer.alloc(8 + reason.length);
            msg.writeUInt32BE(1, 0);
            msg.writeUInt32BE(reason.length, 4);
            reason.copy(msg, 8);
            s.end(msg);
            return;
          }
          stage = 3;
          s.write(Buffer.from([0, 0, 0, 0]));
        } else if (stage === 3 && buf.length >= 1) {
          buf = buf.subarray(1);
          stage = 4;
          const name = Buffer.from('lab desktop');
          const init = Buffer.alloc(24 + name.length);
          init.writeUInt16BE(1280, 0);
          init.writeUInt16BE(800, 2);
          init.writeUInt32BE(name.length, 20);
          name.copy(init, 24);
          s.write(init);
        } else if (stage === 4 && buf.length >= 1) {
          // client messages: 0 SetPixelFormat (20), 2 SetEncodings (4 + 4n), 3 UpdateRequest (10), 4 KeyEvent (8), 5 PointerEvent (6)
          const t = buf[0];
          const len = t === 0 ? 20 : t === 2 ? (buf.length >= 4 ? 4 + 4 * buf.readUInt16BE(2) : Infinity) : t === 3 ? 10 : t === 4 ? 8 : t === 5 ? 6 : 1;
          if (buf.length < len) break;
          buf = buf.subarray(len);
          if (t === 3) s.write(randomBytes(rng, 4 + 12 + 2000 + rng.int(60000)));
        } else break;
      }
    });
  });
  srv.listen(port, host);
  return srv;
}
