/**
 * The "DeepMAD prototype pipeline" example's classifier needs the user's own MNAD-DNN.h5 (GPL-2.0, not
 * shipped). Until the file is in the Node-RED user directory, that node (its configuration taken from
 * the example unchanged) must say so clearly: a red ring naming the missing file, the error (full path)
 * logged at deploy, and every message it receives answered with the same error, which a Catch node catches.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { catchNode, errorCalls, helperNode, nextMessage, recordStatus, repoRoot, tab, useNodeRedHelper, type FlowNode } from '../support/node-helper.js';

const example = JSON.parse(fs.readFileSync(path.join(repoRoot, 'examples', 'DeepMAD prototype pipeline.json'), 'utf8')) as FlowNode[];
// A user directory like the one `npm start` or the palette manager gives: the package under node_modules, no MNAD-DNN.h5.
const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-userdir-'));
fs.mkdirSync(path.join(userDir, 'node_modules'));
fs.symlinkSync(repoRoot, path.join(userDir, 'node_modules', 'node-red-contrib-deepmad'), 'dir');
const missing = path.join(userDir, 'MNAD-DNN.h5');

describe('deepmad-classifier without the user-supplied MNAD-DNN.h5 (prototype example)', () => {
  const h = useNodeRedHelper({ userDir });

  it('shows a red ring, logs the missing file at deploy and reports it for each message to a Catch node', async () => {
    const cfg = example.find((n) => n.id === 'dmp-file-clf')!;
    assert.equal(cfg.model, 'MNAD-DNN.h5');
    await h.load(['classifier'], [tab(), { ...cfg, z: 't1', wires: [['benign'], ['bad']] }, helperNode('benign'), helperNode('bad'), catchNode('c9', 'caught'), helperNode('caught')]);
    const clf = h.getNode('dmp-file-clf');
    const st = await recordStatus(clf).waitFor((s) => s.fill === 'red');
    // the status names the file (a long user-directory path would push it out of the status text)
    assert.deepEqual(st, { fill: 'red', shape: 'ring', text: 'model file not found: MNAD-DNN.h5' });
    assert.deepEqual(errorCalls(clf).map(([e]) => (e as Error).message), [`model file not found: ${missing}`]);

    const caught = nextMessage(h.getNode('caught'));
    clf.receive({ topic: 'deepmad/rows', payload: { columns: ['Destination Port'], rows: 1, data: new Uint8Array([80]) } });
    const m = await caught;
    assert.equal(m.error.message, `Error: model file not found: ${missing}`); // Node-RED renders done(err) as String(err)
    assert.equal(m.error.source.id, 'dmp-file-clf');
    assert.equal(m.error.source.type, 'deepmad-classifier');
  });
});
