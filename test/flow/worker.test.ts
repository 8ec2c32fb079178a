/** FlowmeterWorker (two-stage pipeline) writes exactly the rows of the in-thread Flowmeter. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CaptureReader } from '../../lib/capture/reader.js';
import { Flowmeter } from '../../lib/flow/flowmeter.js';
import { toCsv } from '../../lib/flow/output.js';
import { FlowmeterWorker } from '../../lib/flow/worker.js';

const PCAP = path.resolve(__dirname, '../fixtures/flow/zeek_ssh_sshguess.pcap');

describe('FlowmeterWorker', () => {
  for (const profile of ['improved', 'cic-ids2017']) {
    it(`${profile}: same CSV rows and summary as the in-thread meter`, async () => {
      let direct = '';
      const fm = new Flowmeter({ profile, onFlows: (b) => { direct += toCsv(b, fm.profile); } });
      for await (const b of new CaptureReader(PCAP, { batchSize: 64 })) fm.push(b);
      const s1 = fm.close();
      let viaWorker = '';
      const w = new FlowmeterWorker({ profile, maxInFlight: 2 });
      w.on('flows', (b) => { viaWorker += toCsv(b, w.profile); });
      for await (const b of new CaptureReader(PCAP, { batchSize: 64 })) await w.push(b);
      const s2 = await w.close();
      assert.equal(viaWorker, direct);
      assert.deepEqual(s2, s1);
    });
  }
  it('an unknown profile fails on the caller\'s thread', () => {
    assert.throws(() => new FlowmeterWorker({ profile: 'nope' }), /unknown flow profile 'nope'/);
  });
});
