/**
 * deepmad-mqtt-broker: an embedded MQTT broker (aedes) that lives and dies with the flow, so the
 * default IDS flow publishes alerts without any external service. Loopback only by default.
 */
import type { EmbeddedBroker } from '../../lib/alerts/mqtt-broker.js';
import type { NodeAPI, RedNode } from '../node-red-api.js';

export = function register(RED: NodeAPI) {
  function DeepmadMqttBrokerNode(this: RedNode, config: { port?: string | number; host?: string }) {
    RED.nodes.createNode(this, config);
    const node = this;
    const port = Number(config.port ?? 1883);
    const host = (config.host ?? '').trim() || '127.0.0.1';
    let broker: EmbeddedBroker | undefined;
    let closing = false;
    let poll: NodeJS.Timeout | undefined;
    node.status({ fill: 'yellow', shape: 'ring', text: 'starting' });
    const started = (async () => {
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`port '${config.port}' must be 0-65535`);
      const { startEmbeddedBroker } = await import('../../lib/alerts/mqtt-broker.js');
      broker = await startEmbeddedBroker({ port, host });
      if (closing) return;
      node.log(`embedded MQTT broker listening on ${broker.url}`);
      let last = -1;
      const show = () => {
        const n = broker!.clients();
        if (n !== last) node.status({ fill: 'green', shape: 'dot', text: `:${broker!.port} ${n} client${n === 1 ? '' : 's'}` });
        last = n;
      };
      show();
      poll = setInterval(show, 1000);
    })().catch((err: NodeJS.ErrnoException) => {
      const hint = err.code === 'EADDRINUSE' ? ` (port ${port} on ${host} is taken: another broker such as mosquitto is running; use it or pick another port)` : '';
      node.status({ fill: 'red', shape: 'ring', text: err.code === 'EADDRINUSE' ? 'port in use' : 'error' });
      node.error(`embedded MQTT broker failed: ${err.message}${hint}`, {});
    });
    node.on('close', (_removed, done) => {
      closing = true;
      if (poll) clearInterval(poll);
      started.then(() => (broker ? broker.close() : undefined)).then(() => done(), () => done());
    });
  }
  RED.nodes.registerType('deepmad-mqtt-broker', DeepmadMqttBrokerNode);
};
