/**
 * The flowmeter node's fast object builder gives exactly lib/flow's toObjects output, for every
 * registered profile, on real captures (values, key order, Flow End).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CaptureReader } from '../../lib/capture/reader.js';
import type { FlowBatch } from '../../lib/flow/flow-batch.js';
import { Flowmeter } from '../../lib/flow/flowmeter.js';
import { toObjects } from '../../lib/flow/output.js';
import { getProfile, profileNames } from '../../lib/flow/profiles/index.js';
import { fastFlowObjects } from '../../nodes/flowmeter/flow-objects.js';
import { repoRoot } from '../support/node-helper.js';

const captures = ['flowmeter/zeek_wikipedia.pcap', 'flowmeter/nfstream_google_ssl.pcap', 'capture/zeek_communityid_icmp6.pcap']
  .map((f) => path.join(repoRoot, 'test', 'fixtures', f));

describe('fastFlowObjects', () => {
  for (const name of profileNames()) {
    it(`equals toObjects for profile ${name}`, async () => {
      const p = getProfile(name);
      const batches: FlowBatch[] = [];
      const fm = new Flowmeter({ profile: p, batchSize: 7, onFlows: (b) => batches.push(b) });
      for (const c of captures) for await (const b of new CaptureReader(c)) fm.push(b);
      fm.close();
      let n = 0;
      for (const b of batches) {
        const fast = fastFlowObjects(b, p, true);
        assert.deepStrictEqual(fast, toObjects(b, p, { includeEndReason: true }));
        assert.deepStrictEqual(fast.map((o) => Object.keys(o)), toObjects(b, p, { includeEndReason: true }).map((o) => Object.keys(o)));
        assert.deepStrictEqual(fastFlowObjects(b, p), toObjects(b, p));
        n += b.count;
      }
      assert.ok(n > 0, `no flows`);
    });
  }
});
