/**
 * Forest → ONNX `ai.onnx.ml.TreeEnsembleClassifier` (opset 3): float input [N, F], outputs
 * `label` (string [N]) and `probabilities` (float [N, C], the average of the trees' leaf
 * distributions, like scikit-learn's predict_proba). Only non-zero leaf weights are written.
 */
import { attr, DataType, encodeModel, type OnnxAttr, type OnnxNode } from './onnx.js';
import type { Forest, Tree } from './forest.js';
import type { BoostedTrees } from './boosting.js';

/**
 * The tree-structure attributes shared by TreeEnsembleClassifier and TreeEnsembleRegressor
 * (`nodes_*`), plus the leaf weights under `prefix` ('class' or 'target'): `leafWeights(tree, k)`
 * gives a leaf's [output id, weight] pairs.
 */
function ensembleAttrs(trees: Tree[], prefix: 'class' | 'target', leafWeights: (tree: Tree, k: number) => Array<[number, number]>): OnnxAttr[] {
  const treeIds: number[] = [], nodeIds: number[] = [], featureIds: number[] = [], values: number[] = [], modes: string[] = [];
  const trueIds: number[] = [], falseIds: number[] = [], wTree: number[] = [], wNode: number[] = [], wId: number[] = [], w: number[] = [];
  trees.forEach((tree, t) => {
    for (let k = 0; k < tree.feature.length; k++) {
      const leaf = tree.feature[k] < 0;
      treeIds.push(t);
      nodeIds.push(k);
      featureIds.push(leaf ? 0 : tree.feature[k]);
      values.push(leaf ? 0 : tree.threshold[k]);
      modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      trueIds.push(leaf ? 0 : tree.left[k]);
      falseIds.push(leaf ? 0 : tree.right[k]);
      if (leaf) {
        for (const [id, weight] of leafWeights(tree, k)) { wTree.push(t); wNode.push(k); wId.push(id); w.push(weight); }
      }
    }
  });
  return [
    attr.ints('nodes_treeids', treeIds),
    attr.ints('nodes_nodeids', nodeIds),
    attr.ints('nodes_featureids', featureIds),
    attr.floats('nodes_values', values),
    attr.strings('nodes_modes', modes),
    attr.ints('nodes_truenodeids', trueIds),
    attr.ints('nodes_falsenodeids', falseIds),
    attr.ints(`${prefix}_treeids`, wTree),
    attr.ints(`${prefix}_nodeids`, wNode),
    attr.ints(`${prefix}_ids`, wId),
    attr.floats(`${prefix}_weights`, w),
  ];
}

/** The TreeEnsembleClassifier node for one forest. */
export function forestNode(forest: Forest, labels: string[], input: string, outLabel: string, outProb: string, name: string): OnnxNode {
  const C = forest.classes;
  if (labels.length !== C) throw new Error(`forest has ${C} classes but ${labels.length} labels were given`);
  const inv = 1 / forest.trees.length;
  return {
    op: 'TreeEnsembleClassifier', domain: 'ai.onnx.ml', name,
    inputs: [input], outputs: [outLabel, outProb],
    attrs: [
      attr.strings('classlabels_strings', labels),
      ...ensembleAttrs(forest.trees, 'class', (tree, k) => {
        const out: Array<[number, number]> = [];
        for (let c = 0; c < C; c++) {
          const v = tree.value[k * C + c];
          // with two classes write both weights so onnxruntime does not take its one-score "binary" path
          if (v !== 0 || C === 2) out.push([c, v * inv]);
        }
        return out;
      }),
      attr.string('post_transform', 'NONE'),
    ],
  };
}

/** The TreeEnsembleRegressor node for boosted trees: output [N, 1] is the margin (log-odds). */
export function boostedNode(model: BoostedTrees, input: string, output: string, name: string): OnnxNode {
  return {
    op: 'TreeEnsembleRegressor', domain: 'ai.onnx.ml', name,
    inputs: [input], outputs: [output],
    attrs: [
      attr.int('n_targets', 1),
      ...ensembleAttrs(model.trees, 'target', (tree, k) => [[0, tree.value[k]]]),
      attr.floats('base_values', [model.base]),
      attr.string('aggregate_function', 'SUM'),
      attr.string('post_transform', 'NONE'),
    ],
  };
}

export function forestToOnnx(forest: Forest, labels: string[], metadata: Record<string, string> = {}): Uint8Array {
  const C = forest.classes;
  return encodeModel({
    graphName: 'deepmad_forest',
    producer: 'deepmad-train',
    inputs: [{ name: 'input', elemType: DataType.FLOAT, shape: ['N', forest.features] }],
    outputs: [
      { name: 'label', elemType: DataType.STRING, shape: ['N'] },
      { name: 'probabilities', elemType: DataType.FLOAT, shape: ['N', C] },
    ],
    nodes: [forestNode(forest, labels, 'input', 'label', 'probabilities', 'forest')],
    metadata,
  });
}

/**
 * Two-stage model in one graph: a detector forest (benign vs attack) decides how likely a flow is an
 * attack; an attack-type forest (trained on attack rows only) splits that probability among the
 * attack classes. probabilities = [P(benign), P(attack)·P(type_1 | attack), …]. With `boosted`, the
 * detector's P(attack) is the mean of the forest's and the boosted trees' (sigmoid of the margin).
 */
export function hierarchicalToOnnx(detector: Forest, types: Forest | null, benignLabel: string, attackLabels: string[], metadata: Record<string, string> = {}, boosted: BoostedTrees | null = null): Uint8Array {
  const F = detector.features;
  const nodes: OnnxNode[] = [forestNode(detector, [benignLabel, 'ATTACK'], 'input', 'det_label', 'det_prob', 'detector')];
  const inits = [
    { name: 'zero', dims: [1], data: [0], int64: true },
    { name: 'one', dims: [1], data: [1], int64: true },
    { name: 'two', dims: [1], data: [2], int64: true },
  ];
  if (boosted) {
    inits.push({ name: 'half_f', dims: [1], data: [0.5], int64: false }, { name: 'one_f', dims: [1], data: [1], int64: false });
    nodes.push({ op: 'Slice', inputs: ['det_prob', 'one', 'two', 'one'], outputs: ['rf_attack'] });
    nodes.push(boostedNode(boosted, 'input', 'gb_margin', 'boosted_detector'));
    nodes.push({ op: 'Sigmoid', inputs: ['gb_margin'], outputs: ['gb_attack'] });
    nodes.push({ op: 'Add', inputs: ['rf_attack', 'gb_attack'], outputs: ['sum_attack'] });
    nodes.push({ op: 'Mul', inputs: ['sum_attack', 'half_f'], outputs: ['p_attack'] });
    nodes.push({ op: 'Sub', inputs: ['one_f', 'p_attack'], outputs: ['p_benign'] });
  } else {
    nodes.push({ op: 'Slice', inputs: ['det_prob', 'zero', 'one', 'one'], outputs: ['p_benign'] });
    nodes.push({ op: 'Slice', inputs: ['det_prob', 'one', 'two', 'one'], outputs: ['p_attack'] });
  }
  if (types) {
    nodes.push(forestNode(types, attackLabels, 'input', 'type_label', 'type_prob', 'attack_type'));
    nodes.push({ op: 'Mul', inputs: ['type_prob', 'p_attack'], outputs: ['p_types'] });
    nodes.push({ op: 'Concat', inputs: ['p_benign', 'p_types'], outputs: ['probabilities'], attrs: [attr.int('axis', 1)] });
  } else {
    nodes.push({ op: 'Concat', inputs: ['p_benign', 'p_attack'], outputs: ['probabilities'], attrs: [attr.int('axis', 1)] });
  }
  return encodeModel({
    graphName: 'deepmad_detector_and_types',
    producer: 'deepmad-train',
    inputs: [{ name: 'input', elemType: DataType.FLOAT, shape: ['N', F] }],
    outputs: [{ name: 'probabilities', elemType: DataType.FLOAT, shape: ['N', 1 + attackLabels.length] }],
    nodes, initializers: inits, metadata,
  });
}
