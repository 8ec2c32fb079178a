/**
 * deepmad-classifier's file input: a `deepmad/hdf5` message (what hdf5 out sends per finished file) or
 * a payload naming an .h5 file makes it classify the rows stored there — here the prototype's own
 * normed_data.h5 with its model MNAD-DNN.h5 (GPL-2.0, read from ../shared; skipped without it).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { helperNode, nextMessage, tab, useNodeRedHelper } from '../support/node-helper.js';

const repo = path.resolve(__dirname, '..', '..');
const seed = path.resolve(repo, '..', 'shared', 'data', 'seed');
const skip = fs.existsSync(path.join(seed, 'MNAD-DNN.h5')) ? false : `prototype files absent (${seed})`;

describe('deepmad-classifier: HDF5 file input', () => {
  const h = useNodeRedHelper();
  it('classifies the 87 rows of normed_data.h5 with MNAD-DNN: 81 benign, 6 malicious', { skip }, async () => {
    await h.load(['classifier'], [
      tab(),
      { id: 'c', z: 't1', type: 'deepmad-classifier', model: path.join(seed, 'MNAD-DNN.h5'), card: path.join(repo, 'models', 'MNAD-DNN.card.json'), worker: false, wires: [['benign'], ['bad']] },
      helperNode('benign'), helperNode('bad'),
    ]);
    const benign = nextMessage(h.getNode('benign'));
    const bad = nextMessage(h.getNode('bad'));
    h.getNode('c').receive({ topic: 'deepmad/hdf5', filename: path.join(seed, 'hdf5', 'normed_data.h5'), payload: { file: path.join(seed, 'hdf5', 'normed_data.h5'), rows: 87 } });
    const [b, m] = await Promise.all([benign, bad]);
    assert.equal(b.payload.length, 81);
    assert.equal(m.payload.length, 6);
    assert.ok(m.payload.every((f: { label: string; model: string }) => f.label !== 'Benign' && f.model === 'MNAD-DNN'));
    assert.equal(typeof m.payload[0].index, 'number');
  });
});
