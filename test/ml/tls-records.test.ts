/**
 * The traffic lab's TLS record framing (lib/ml/traffic/tls-records.ts): records split back out of a
 * byte stream cut at arbitrary points, Heartbleed-style heartbeats recognised by their claimed
 * length, long bodies fragmented at 16 KB like a TLS stack does.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Random } from '../../lib/ml/random.js';
import {
  MAX_FRAGMENT, REC_HANDSHAKE, REC_HEARTBEAT, RecordSplitter, clientHello, fragmented, heartbeatBody, parseHeartbeat, record,
} from '../../lib/ml/traffic/tls-records.js';

describe('traffic lab TLS records', () => {
  it('splits records that span reads, in order, with exact types, versions and lengths', () => {
    const rng = new Random(7);
    const hello = clientHello(rng, 10, true, false);
    const beat = record(REC_HEARTBEAT, heartbeatBody(1, 0x4000, Buffer.alloc(0), 0, rng), 0x0302);
    const stream = Buffer.concat([hello, beat]);
    const split = new RecordSplitter();
    const got = [...split.push(stream.subarray(0, 3)), ...split.push(stream.subarray(3, hello.length + 2)), ...split.push(stream.subarray(hello.length + 2))];
    assert.deepEqual(got.map((r) => [r.type, r.version, r.body.length]), [[REC_HANDSHAKE, 0x0301, hello.length - 5], [REC_HEARTBEAT, 0x0302, 3]]);
    // ClientHello: handshake type 1; 10 suites → 20 bytes of cipher suites; heartbeat extension (0x000f) present
    assert.equal(got[0].body[0], 1);
    assert.ok(got[0].body.includes(Buffer.from([0x00, 0x0f, 0x00, 0x01, 0x01])));
  });

  it('tells a Heartbleed request (claims more than it carries) from a well-formed heartbeat', () => {
    const rng = new Random(1);
    assert.deepEqual(parseHeartbeat(heartbeatBody(1, 0x4000, Buffer.alloc(2), 16, rng)), { type: 1, claimed: 0x4000, wellFormed: false });
    assert.deepEqual(parseHeartbeat(heartbeatBody(1, 40, Buffer.alloc(40), 16, rng)), { type: 1, claimed: 40, wellFormed: true });
    assert.deepEqual(parseHeartbeat(heartbeatBody(1, 40, Buffer.alloc(40), 15, rng)), { type: 1, claimed: 40, wellFormed: false });
    assert.equal(parseHeartbeat(Buffer.from([1, 0])), null);
  });

  it('fragments a 64 KB heartbeat response into 16 KB records', () => {
    const body = heartbeatBody(2, 0xffff, Buffer.alloc(0xffff), 16, new Random(3));
    const recs = new RecordSplitter().push(fragmented(REC_HEARTBEAT, body));
    assert.deepEqual(recs.map((r) => r.body.length), [MAX_FRAGMENT, MAX_FRAGMENT, MAX_FRAGMENT, MAX_FRAGMENT, 0xffff + 19 - 4 * MAX_FRAGMENT]);
  });
});
