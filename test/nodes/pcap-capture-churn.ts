// Child-process workload for pcap-capture.test.ts: the start/stop pattern that used to crash the
// process with SIGSEGV (failed opens, captures closed under loopback traffic, a close from inside the
// packet callback, double closes), then forced garbage collection and a libuv handle walk — the two
// moments cap 0.2.1's native handles crash if they were collected. Prints one JSON line of results.
// Run as: node --expose-gc --import tsx pcap-capture-churn.ts <cycles> [capture module path]
import dgram from 'node:dgram';
import fs from 'node:fs';
import type { PacketBatch } from '../../lib/capture/packet-batch.js';

type Lib = typeof import('../../lib/capture/live-libpcap.js');
const cycles = Number(process.argv[2] ?? 5);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const lib = require(process.argv[3] ?? '../../lib/capture/live-libpcap.js') as Lib;
const DATAGRAMS = 10;

async function main(): Promise<void> {
  const receiver = dgram.createSocket('udp4');
  await new Promise<void>((r) => receiver.bind(0, '127.0.0.1', r));
  const port = receiver.address().port;
  const sender = dgram.createSocket('udp4');
  const send = (n: number) => Promise.all(Array.from({ length: n }, () => new Promise((r) => sender.send(Buffer.alloc(32), port, '127.0.0.1', r))));

  // This process's open packet (libpcap) sockets: its socket fds whose inode /proc/net/packet lists.
  const packetSockets = () => {
    const inodes = new Set(fs.readFileSync('/proc/net/packet', 'utf8').trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/).at(-1)));
    return fs.readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return inodes.has(/^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`))?.[1]);
      } catch {
        return false;
      }
    }).length;
  };
  const socketsBefore = packetSockets();
  const errors: string[] = [];
  const received: number[] = [];
  const closedUnderLoad: number[] = [];
  for (let i = 0; i < cycles; i++) {
    for (const opts of [{ iface: 'lo', filter: 'udp port (' }, { iface: 'nosuch0', filter: '' }]) {
      try {
        new lib.LibpcapCapture(opts, () => {});
        errors.push('opened');
      } catch (err) {
        errors.push((err as { code?: string }).code ?? String(err));
      }
    }
    // Stopped synchronously from inside the packet callback (a full batch), then closed again.
    let seen = 0;
    const done = new Promise<number>((resolve) => {
      const c: InstanceType<Lib['LibpcapCapture']> = new lib.LibpcapCapture({ iface: 'lo', filter: `udp port ${port}`, batchSize: DATAGRAMS, flushMs: 5000 }, (b: PacketBatch) => {
        seen += b.count;
        if (seen >= DATAGRAMS) resolve(c.close().received);
      });
      void send(DATAGRAMS);
    });
    received.push(await done, seen);
    // Closed while datagrams are still arriving.
    const c2 = new lib.LibpcapCapture({ iface: 'lo', filter: `udp port ${port}`, batchSize: 2, flushMs: 1 }, () => {});
    const burst = send(50);
    await new Promise((r) => setImmediate(r));
    const s = c2.close();
    c2.close();
    closedUnderLoad.push(s.complete ? 1 : 0);
    await burst;
  }
  await new Promise((r) => setTimeout(r, 50));
  const leakedPacketSockets = packetSockets() - socketsBefore;
  sender.close();
  receiver.close();
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
  // Reuse freed native memory, then walk the event loop's handles (what a diagnostic report does).
  const junk: Buffer[] = [];
  for (let i = 0; i < 5000; i++) junk.push(Buffer.allocUnsafeSlow(256).fill(0x41));
  const report = process.report.getReport() as unknown as { libuv: Array<{ type: string }> };
  const pollHandles = report.libuv.filter((h) => h.type === 'poll').length;
  const retained = 'retainedHandleCount' in lib ? (lib as { retainedHandleCount(): number }).retainedHandleCount() : -1;
  process.stdout.write(JSON.stringify({ errors, received, closedUnderLoad, pollHandles, retained, leakedPacketSockets, junk: junk.length }) + '\n');
}

main().catch((err) => {
  process.stderr.write(String((err as Error).stack) + '\n');
  process.exit(1);
});
