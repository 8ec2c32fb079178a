// Self-test of the shared harnesses, so a broken harness fails here rather than in every node test.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NodeRedRuntime, packageName, tapNodes } from './runtime.js';
import { collect, helperNode, recordStatus, tab, useNodeRedHelper } from './node-helper.js';

describe('test/support/runtime: real headless Node-RED', () => {
  it('starts, deploys over the admin API, drives an inject, taps its output and stops cleanly', async () => {
    const rt = await NodeRedRuntime.start();
    try {
      const sets = await rt.nodeSets();
      assert.ok(sets.some((s) => s.module === 'node-red' && s.enabled), 'core nodes loaded');
      const ours = sets.filter((s) => s.module === packageName);
      for (const s of ours) assert.equal(s.err, undefined, `${s.id} failed to load: ${s.err}`);
      const out = rt.file('out.jsonl');
      const flow = [
        { id: 't1', type: 'tab', label: 'harness' },
        { id: 'inj', z: 't1', type: 'inject', props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }], topic: 'hello', payload: '{"n":[1,2,3]}', payloadType: 'json', once: false, x: 100, y: 100, wires: [['tap']] },
        ...tapNodes('tap', 't1', out),
      ];
      const log = await rt.deploy(flow);
      assert.deepEqual(rt.errorsSince(rt.output.length - log.length), []);
      await rt.inject('inj');
      const rows = await rt.waitForTap(out, (r) => r.length >= 1);
      assert.deepEqual(rows, [{ topic: 'hello', payload: { n: [1, 2, 3] } }]);
    } finally {
      assert.equal(await rt.stop(), 0);
    }
  });
});

describe('test/support/node-helper: node-red-node-test-helper under node:test', () => {
  const h = useNodeRedHelper();
  it('loads a node and collects its messages and statuses', async () => {
    const register = (RED: any) => {
      RED.nodes.registerType('test-echo', function (this: any, config: any) {
        RED.nodes.createNode(this, config);
        this.status({ fill: 'yellow', shape: 'ring', text: 'idle' });
        this.on('input', (msg: any, send: any, done: any) => {
          this.status({ fill: 'green', shape: 'dot', text: String(msg.payload) });
          send({ topic: 'echo', payload: msg.payload });
          done();
        });
      });
    };
    await h.load([register], [tab(), { id: 'e1', z: 't1', type: 'test-echo', wires: [['out']] }, helperNode('out')]);
    const e1 = h.getNode('e1');
    const st = recordStatus(e1);
    const got = collect(h.getNode('out'), (m) => m.payload === 2);
    e1.receive({ payload: 1 });
    e1.receive({ payload: 2 });
    assert.deepEqual((await got).map((m) => [m.topic, m.payload]), [['echo', 1], ['echo', 2]]);
    await st.waitFor((s) => s.text === '2');
    assert.deepEqual(st.history.map((s) => s.text), ['idle', '1', '2']);
  });
});
