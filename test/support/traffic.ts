/**
 * Loopback traffic for live capture tests: a local HTTP server and N requests, each on its own TCP
 * connection (Connection: close), so the capture must contain exactly N client SYNs to the port.
 * Also the "can we capture here?" checks tests use to skip with a clear reason.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackServer { port: number; close(): Promise<void> }

export async function startHttpServer(body = 'deepmad test page\n'): Promise<LoopbackServer> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', Connection: 'close' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** `n` sequential GETs, each on a fresh connection; resolves with the bodies. */
export async function makeRequests(port: number, n: number): Promise<string[]> {
  const bodies: string[] = [];
  for (let i = 0; i < n; i++) {
    bodies.push(await new Promise<string>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: `/r${i}`, agent: false, headers: { Connection: 'close' } }, (res) => {
        let b = '';
        res.setEncoding('utf8');
        res.on('data', (d) => { b += d; });
        res.on('end', () => resolve(b));
      });
      req.on('error', reject);
    }));
  }
  return bodies;
}

const SYN = 2;
const ACK = 16;
const FIN = 1;

/** TCP packet counts for one server port across PacketBatch-like objects. */
export function countTcp(batches: ReadonlyArray<Record<string, any>>, port: number) {
  let clientSyn = 0, serverSynAck = 0, serverFin = 0, clientFin = 0, total = 0;
  for (const b of batches) {
    for (let i = 0; i < b.count; i++) {
      if (b.proto[i] !== 6 || (b.srcPort[i] !== port && b.dstPort[i] !== port)) continue;
      total++;
      const f = b.tcpFlags[i];
      const toServer = b.dstPort[i] === port;
      if (toServer && (f & SYN) && !(f & ACK)) clientSyn++;
      if (!toServer && (f & SYN) && (f & ACK)) serverSynAck++;
      if (!toServer && (f & FIN)) serverFin++;
      if (toServer && (f & FIN)) clientFin++;
    }
  }
  return { total, clientSyn, serverSynAck, serverFin, clientFin };
}

function dumpcapPath(): string | undefined {
  for (const p of ['/usr/bin/dumpcap', '/usr/sbin/dumpcap', '/usr/local/bin/dumpcap']) if (fs.existsSync(p)) return p;
  return undefined;
}

/** undefined when live dumpcap capture on lo can run here, else the reason to skip. */
export function dumpcapSkipReason(): string | undefined {
  const dc = dumpcapPath();
  if (!dc) return 'dumpcap is not installed (apt-get install tshark)';
  if (process.getuid?.() !== 0 && !process.env.DEEPMAD_LIVE_CAPTURE) {
    return 'live capture needs root or capture rights for dumpcap (set DEEPMAD_LIVE_CAPTURE=1 when this user is in the wireshark group)';
  }
  try {
    execFileSync(dc, ['-D'], { stdio: 'ignore', timeout: 10000 });
  } catch (err) {
    return `dumpcap -D failed: ${(err as Error).message}`;
  }
  return undefined;
}

/** undefined when libpcap capture through `cap` can run here, else the reason to skip. */
export function capSkipReason(): string | undefined {
  try {
    require('cap');
  } catch (err) {
    return `the optional cap module is not available (${(err as Error).message.split('\n')[0]}); apt-get install libpcap-dev build-essential and reinstall`;
  }
  if (process.getuid?.() !== 0 && !process.env.DEEPMAD_LIVE_CAPTURE) return 'libpcap capture needs root or CAP_NET_RAW (set DEEPMAD_LIVE_CAPTURE=1 when granted)';
  return undefined;
}

/**
 * Checks the flows a live capture → flowmeter run made of `n` HTTP connections to `port` on lo:
 * exactly one improved-profile flow per connection, client → server, every packet forward.
 */
export function assertLoopbackHttpFlows(flows: ReadonlyArray<Record<string, any>>, port: number, n: number): void {
  assert.equal(flows.length, n);
  for (const f of flows) {
    assert.equal(f['Src IP'], '127.0.0.1');
    assert.equal(f['Dst IP'], '127.0.0.1');
    assert.equal(f['Dst Port'], port);
    assert.equal(f.Protocol, 6);
    // Both ends are 127.0.0.1, and the CIC tools class a packet forward iff its source IP is the
    // flow's source IP (../shared/spec/flow-features.md §3.1): on loopback every packet is forward.
    assert.equal(f['Total Bwd packets'], 0);
    assert.ok(f['Total Fwd Packet'] >= 7, `a whole HTTP connection (got ${f['Total Fwd Packet']} packets)`);
  }
  assert.equal(new Set(flows.map((f) => f['Src Port'])).size, n, 'one flow per client port');
}
