/**
 * An embedded MQTT broker (aedes) on a loopback TCP port, so the default flow and the CLI can
 * publish alerts without any external service. aedes is ESM-only, hence the dynamic import.
 */
import net from 'node:net';

export interface EmbeddedBroker {
  host: string;
  port: number;
  url: string;
  /** Connected clients right now. */
  clients(): number;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(opts: { port?: number; host?: string } = {}): Promise<EmbeddedBroker> {
  const host = opts.host ?? '127.0.0.1';
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle as (socket: net.Socket) => void);
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => { server.close(); broker.close(() => reject(err)); };
    server.once('error', onError);
    server.listen(opts.port ?? 1883, host, () => { server.off('error', onError); resolve(); });
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    host,
    port,
    url: `mqtt://${host.includes(':') ? `[${host}]` : host}:${port}`,
    clients: () => broker.connectedClients,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => broker.close(() => resolve()));
    }),
  };
}
