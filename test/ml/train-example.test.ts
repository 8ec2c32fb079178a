/**
 * The "train - label captures and train a model" example in a real headless Node-RED runtime: it
 * deploys without errors; pressing its buttons reads the benign and the attack capture, labels their
 * flows, trains, and writes a model that the classifier then uses to flag the attack capture.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NodeRedRuntime, readExamples, repoRoot, type RuntimeWatch } from '../support/runtime.js';
import { Classifier } from '../../lib/ml/classifier.js';
import { meterCapture } from '../../lib/ml/capture-flows.js';

const example = 'train - label captures and train a model.json';

describe('train example in a real runtime', () => {
  let rt: NodeRedRuntime;
  let watch: RuntimeWatch;
  before(async () => {
    rt = await NodeRedRuntime.start();
    await rt.deployClean(readExamples(example));
    watch = await rt.watch();
    await watch.opened;
  });
  after(async () => {
    watch?.close();
    await rt?.stop();
  });

  it('labels 34 benign + 200 attack flows, trains on command, and the written model flags the SYN flood', async () => {
    const status = (text: string) => watch.until(() => watch.statusOf('dmx-train-train')?.text === text || undefined, 30000, `train status "${text}"`);
    await rt.inject('dmx-train-inj-b');
    await status('34 labelled flows, 1 classes');
    await rt.inject('dmx-train-inj-a');
    await status('234 labelled flows, 2 classes');
    await rt.inject('dmx-train-inj-t');
    const files = await watch.until(() => watch.debugOf('dmx-train-dbg')[0], 60000, 'trained model message');
    const model = rt.file('deepmad-model.onnx');
    assert.equal(files.value.model, model);
    assert.equal(files.value.rows, 234);
    assert.deepEqual(files.value.classes, ['BENIGN', 'DoS']);
    const report = await watch.until(() => watch.debugOf('dmx-train-dbg-r')[0], 10000, 'report message');
    assert.match(String(report.value), /3-fold stratified cross-validation/);
    const clf = await Classifier.open(model, { worker: false });
    const syn = await clf.classify(await meterCapture(path.join(repoRoot, 'examples', 'captures', 'syn-flood.pcap'), 'improved'));
    const wiki = await clf.classify(await meterCapture(path.join(repoRoot, 'examples', 'data', 'wikipedia.pcap'), 'improved'));
    await clf.close();
    assert.deepEqual([syn.length, syn.filter((v) => v.label === 'DoS').length], [200, 200]);
    assert.deepEqual([wiki.length, wiki.filter((v) => v.label === 'BENIGN').length], [34, 34]);
  });
});
