// The package's public entry (dist/lib/index.js, package.json "main") exposes the engine
// without Node-RED: read a capture, meter it, and get the reference flow count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const deepmad = require('../dist/lib/index.js') as typeof import('../lib/index.js');

test('public API: CaptureReader → Flowmeter on the SSH guessing capture gives its 11 flows', async () => {
  const file = path.join(__dirname, 'fixtures', 'flow', 'zeek_ssh_sshguess.pcap');
  const reader = new deepmad.CaptureReader(file);
  let flows = 0;
  let packets = 0;
  const meter = new deepmad.Flowmeter({ profile: 'improved', onFlows: (b) => { flows += b.count; } });
  for await (const batch of reader) {
    packets += batch.count;
    meter.push(batch);
  }
  meter.close();
  assert.equal(packets, 431);
  assert.equal(flows, 11); // the Engelen reference (cicflowmeter-java-engelen) writes 11 rows
  for (const ns of ['capture', 'flow', 'normalize', 'hdf5', 'alerts'] as const) {
    assert.equal(typeof deepmad[ns], 'object', `namespace ${ns}`);
  }
  assert.equal(typeof deepmad.Classifier, 'function');
  assert.equal(typeof deepmad.trainModel, 'function');
  assert.match(deepmad.defaultModelPath(), /models[/\\]deepmad-default\.onnx$/);
});
