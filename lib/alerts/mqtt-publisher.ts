/**
 * Publishes alert messages with mqtt.js (the CLI's MQTT sink; in Node-RED the `mqtt out` node does
 * this). QoS 1 by default; `end()` waits until everything queued has been acknowledged.
 */
import type { MqttMessage } from './mqtt.js';

interface MqttClientLike {
  publishAsync(topic: string, message: string | Buffer, opts: { qos: 0 | 1 | 2; retain: boolean }): Promise<unknown>;
  endAsync(): Promise<void>;
}

export class MqttPublisher {
  published = 0;
  private pending: Promise<unknown> = Promise.resolve();
  private failure: Error | undefined;

  private constructor(private readonly client: MqttClientLike, readonly url: string) {}

  static async connect(url: string, opts: { clientId?: string; username?: string; password?: string } = {}): Promise<MqttPublisher> {
    if (!/^(mqtts?|wss?|tcp|ssl):\/\//.test(url)) throw new Error(`MQTT URL '${url}' must start with mqtt://, mqtts://, ws:// or wss://`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mqtt = require('mqtt') as { connectAsync(url: string, o: object): Promise<MqttClientLike> };
    const client = await mqtt.connectAsync(url, {
      clientId: opts.clientId ?? `deepmad-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      reconnectPeriod: 0, connectTimeout: 10_000, username: opts.username, password: opts.password,
    }).catch((err: Error) => { throw new Error(`cannot connect to MQTT broker ${url}: ${err.message}`); });
    return new MqttPublisher(client, url);
  }

  /** Queue messages in order; errors surface from flush()/end(). */
  publish(msgs: MqttMessage[]): void {
    for (const m of msgs) {
      const body = typeof m.payload === 'string' ? m.payload : JSON.stringify(m.payload);
      this.pending = this.pending.then(() => this.client.publishAsync(m.topic, body, { qos: m.qos, retain: m.retain }))
        .then(() => { this.published++; }, (err: Error) => { this.failure ??= err; });
    }
  }

  async flush(): Promise<void> {
    await this.pending;
    if (this.failure) throw new Error(`MQTT publish to ${this.url} failed: ${this.failure.message}`);
  }

  async end(): Promise<void> {
    try { await this.flush(); } finally { await this.client.endAsync(); }
  }
}
