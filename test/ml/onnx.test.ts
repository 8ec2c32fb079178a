/**
 * Our protobuf/ONNX writer and editor against the real onnxruntime-node: models we encode load and
 * compute exact values; ZipMap outputs are stripped; metadata round-trips.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtoWriter, readFields, repeatedFloats, repeatedInts } from '../../lib/ml/protobuf.js';
import { attr, DataType, encodeModel, readModelInfo, stripZipMap, withMetadata } from '../../lib/ml/onnx.js';
import { OrtSession } from '../../lib/ml/ort-session.js';

/**
 * A hand-made two-tree, three-class classifier: tree 0 splits x0 <= 0.5, tree 1 splits x1 <= 2.
 * (Three classes because onnxruntime's two-class path decides labels by score > 0, not by argmax;
 * DeepMAD reads probabilities only, for that reason.)
 */
function tinyEnsemble(opts: { intLabels?: boolean; zipmap?: boolean } = {}): Uint8Array {
  const labelAttr = opts.intLabels ? attr.ints('classlabels_int64s', [7, 9, 11]) : attr.strings('classlabels_strings', ['BENIGN', 'ATTACK', 'SCAN']);
  const nodes = [{
    op: 'TreeEnsembleClassifier', domain: 'ai.onnx.ml', inputs: ['input'], outputs: ['label', 'probabilities'],
    attrs: [
      labelAttr,
      attr.ints('nodes_treeids', [0, 0, 0, 1, 1, 1]),
      attr.ints('nodes_nodeids', [0, 1, 2, 0, 1, 2]),
      attr.ints('nodes_featureids', [0, 0, 0, 1, 0, 0]),
      attr.floats('nodes_values', [0.5, 0, 0, 2, 0, 0]),
      attr.strings('nodes_modes', ['BRANCH_LEQ', 'LEAF', 'LEAF', 'BRANCH_LEQ', 'LEAF', 'LEAF']),
      attr.ints('nodes_truenodeids', [1, 0, 0, 1, 0, 0]),
      attr.ints('nodes_falsenodeids', [2, 0, 0, 2, 0, 0]),
      attr.ints('class_treeids', [0, 0, 0, 0, 1, 1, 1, 1, 1]),
      attr.ints('class_nodeids', [1, 1, 2, 2, 1, 1, 2, 2, 2]),
      attr.ints('class_ids', [0, 1, 0, 1, 0, 1, 0, 1, 2]),
      attr.floats('class_weights', [0.5, 0, 0.1, 0.4, 0.25, 0.25, 0, 0.4, 0.1]),
      attr.string('post_transform', 'NONE'),
    ],
  }];
  const outputs = [
    { name: 'label', elemType: opts.intLabels ? DataType.INT64 : DataType.STRING, shape: ['N'] as Array<number | string> },
    { name: 'probabilities', elemType: DataType.FLOAT, shape: ['N', 3] as Array<number | string> },
  ];
  if (opts.zipmap) {
    nodes.push({ op: 'ZipMap', domain: 'ai.onnx.ml', inputs: ['probabilities'], outputs: ['output_probability'], attrs: [opts.intLabels ? attr.ints('classlabels_int64s', [7, 9, 11]) : attr.strings('classlabels_strings', ['BENIGN', 'ATTACK', 'SCAN'])] });
    outputs[1] = { name: 'output_probability', elemType: DataType.FLOAT, shape: ['N'] };
  }
  return encodeModel({ graphName: 'tiny', nodes, inputs: [{ name: 'input', elemType: DataType.FLOAT, shape: ['N', 2] }], outputs, metadata: { note: 'hello' } });
}

describe('protobuf wire format', () => {
  it('round-trips varints (incl. negative int64), packed ints/floats and strings', () => {
    const w = new ProtoWriter(4);
    w.int(1, 300).int(2, -1).packedInts(3, [1, 150, 2 ** 40]).packedFloats(4, [1.5, -2.25]).string(5, 'é');
    const f = readFields(w.finish());
    assert.deepEqual(f.map((x) => x.field), [1, 2, 3, 4, 5]);
    assert.equal(f[0].int, 300n);
    assert.equal(BigInt.asIntN(64, f[1].int!), -1n);
    assert.deepEqual(repeatedInts(f, 3), [1, 150, 2 ** 40]);
    assert.deepEqual(repeatedFloats(f, 4), [1.5, -2.25]);
    assert.equal(Buffer.from(f[4].data!).toString('utf8'), 'é');
  });

  it('rejects truncated input with a clear error', () => {
    assert.throws(() => readFields(Uint8Array.from([0x0a, 0x05, 0x01])), /truncated length-delimited field/);
    assert.throws(() => readModelInfo(Uint8Array.from([0xff, 0xff])), /not an ONNX model/);
  });
});

describe('ONNX models written by lib/ml/onnx run in onnxruntime-node', () => {
  it('a TreeEnsembleClassifier with string labels gives the exact summed leaf weights', async () => {
    const s = await OrtSession.create(tinyEnsemble());
    const r = await s.run({ data: Float32Array.from([0, 0, 1, 3]), rows: 2, cols: 2, dtype: 'float32', outputs: ['label', 'probabilities'] });
    assert.deepEqual(r.label.data, ['BENIGN', 'ATTACK']);
    assert.deepEqual(Array.from(r.probabilities.data as Float32Array), [0.75, 0.25, 0, 0.1, 0.8, 0.1].map(Math.fround));
    await s.release();
  });

  it('ZipMap is stripped: the probability tensor becomes the output (string and int64 labels)', async () => {
    for (const intLabels of [false, true]) {
      const raw = tinyEnsemble({ zipmap: true, intLabels });
      assert.deepEqual(readModelInfo(raw).outputs, ['label', 'output_probability']);
      const { bytes, stripped } = stripZipMap(raw);
      assert.deepEqual(stripped, ['output_probability']);
      const info = readModelInfo(bytes);
      assert.deepEqual(info.outputs, ['label', 'probabilities']);
      assert.deepEqual(info.nodes.map((n) => n.op), ['TreeEnsembleClassifier']);
      assert.equal(info.metadata.note, 'hello');
      const s = await OrtSession.create(bytes);
      const r = await s.run({ data: Float32Array.from([1, 3]), rows: 1, cols: 2, dtype: 'float32', outputs: ['label', 'probabilities'] });
      assert.deepEqual(r.label.data, intLabels ? [9] : ['ATTACK']);
      assert.deepEqual(Array.from(r.probabilities.data as Float32Array), [0.1, 0.8, 0.1].map(Math.fround));
      await s.release();
    }
  });

  it('a model without ZipMap is returned unchanged; metadata can be replaced', () => {
    const raw = tinyEnsemble();
    assert.equal(stripZipMap(raw).bytes, raw);
    const m = withMetadata(raw, { note: 'bye', 'deepmad.card': '{}' });
    assert.deepEqual(readModelInfo(m).metadata, { note: 'bye', 'deepmad.card': '{}' });
  });
});
