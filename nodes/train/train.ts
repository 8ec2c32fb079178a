/**
 * deepmad-train: collects labelled flows (label from msg.label, or each flow's `label`/`Label`) and,
 * on command, trains a histogram random forest in a worker thread, then writes the ONNX model, its
 * card and the cross-validation report, and sends a message describing them.
 * Commands: msg.topic or msg.command = 'train' | 'reset' (also msg.payload = 'train' | 'reset').
 */
import path from 'node:path';
import type { Msg, Send, Done, RedNode, NodeAPI } from '../node-red-api.js';


interface TrainConfig {
  name?: string;
  output?: string;
  benign?: string;
  profile?: string;
  trees?: string | number;
  folds?: string | number;
  seed?: string | number;
  maxRows?: string | number;
  threshold?: string | number;
  /** also train gradient-boosted trees for the benign-vs-attack decision */
  boost?: boolean;
}

const num = (v: unknown, dflt: number): number => {
  const n = Number(v);
  return v === undefined || v === null || String(v).trim() === '' || !Number.isFinite(n) ? dflt : n;
};
const shortText = (s: string): string => (s.length > 60 ? `${s.slice(0, 57)}…` : s);

/** Label cells flow meters write when nothing labelled the flow (CICFlowMeter, prc-flowmeter). */
const PLACEHOLDER_LABELS = new Set(['NeedManualLabel', 'No Label', 'None', '']);

/** Keys a classified flow carries that are outputs, not features. */
const NOT_FEATURES = new Set(['label', 'Label', 'confidence', 'probabilities', 'model', 'malicious', 'attackProbability']);

export = function register(RED: NodeAPI) {
  function TrainNode(this: RedNode, config: TrainConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const maxRows = Math.max(10, num(config.maxRows, 500000));
    const out = path.resolve(RED.settings?.userDir ?? process.cwd(), config.output?.trim() || 'deepmad-model.onnx');
    let columns: string[] | null = null;
    let chunks: Float32Array[] = [];
    let current = new Float32Array(0);
    let used = 0;
    let rows = 0;
    const labels: string[] = [];
    let dropped = 0;
    let training = false;
    let closed = false;

    const idle = (): void => {
      const classes = new Set(labels).size;
      node.status({ fill: 'yellow', shape: 'ring', text: `${rows} labelled flows, ${classes} classes${dropped ? `, ${dropped} dropped` : ''}` });
    };
    idle();

    const reset = (): void => {
      columns = null; chunks = []; current = new Float32Array(0); used = 0; rows = 0; labels.length = 0; dropped = 0;
    };

    const addFlows = async (msg: Msg): Promise<number> => {
      const { IDENTIFIER_COLUMNS, toFeatureValue } = await import('../../lib/ml/dataset.js');
      const p = msg.payload;
      const flows: unknown[] = Array.isArray(p) ? p : p && typeof p === 'object' ? [p] : [];
      if (flows.length === 0) throw new Error('msg.payload must be a flow object or an array of flows');
      const msgLabel = typeof msg.label === 'string' && msg.label !== '' ? msg.label : null;
      let added = 0;
      for (const f of flows) {
        if (!f || typeof f !== 'object' || Array.isArray(f)) throw new Error('each flow must be an object keyed by column names');
        const flow = f as Record<string, unknown>;
        const own = [flow.label, flow.Label].find((v) => typeof v === 'string' && !PLACEHOLDER_LABELS.has(v)) as string | undefined;
        const label = msgLabel ?? own ?? null;
        if (!label) throw new Error('no label: set msg.label, or give each flow a "label" property');
        if (!columns) {
          const ids = new Set(IDENTIFIER_COLUMNS);
          columns = Object.keys(flow).filter((k) => !ids.has(k) && !NOT_FEATURES.has(k) && (typeof flow[k] === 'number' || (typeof flow[k] === 'string' && Number.isFinite(Number(flow[k])) && String(flow[k]).trim() !== '')));
          if (columns.length === 0) throw new Error('the first flow has no numeric feature columns');
        }
        if (rows >= maxRows) { dropped++; continue; }
        const F = columns.length;
        if (used + F > current.length) {
          if (used) chunks.push(current.subarray(0, used));
          current = new Float32Array(F * 4096);
          used = 0;
        }
        for (let j = 0; j < F; j++) {
          if (!(columns[j] in flow)) throw new Error(`flow lacks column "${columns[j]}" that earlier flows had`);
          current[used + j] = toFeatureValue(flow[columns[j]], 'zero');
        }
        used += F;
        rows++;
        labels.push(label);
        added++;
      }
      return added;
    };

    const train = async (msg: Msg, send: Send): Promise<void> => {
      if (!columns || rows < 2) throw new Error(`not enough labelled flows to train (${rows})`);
      const [{ trainInWorker }, { writeModel }] = await Promise.all([import('../../lib/ml/train-worker.js'), import('../../lib/ml/train.js')]);
      const F = columns.length;
      const x = new Float32Array(rows * F);
      let off = 0;
      for (const c of [...chunks, current.subarray(0, used)]) { x.set(c, off); off += c.length; }
      const names = [...new Set(labels)].sort();
      const y = Uint16Array.from(labels, (l) => names.indexOf(l));
      const benign = (config.benign ?? 'BENIGN').split(',').map((s) => s.trim()).filter(Boolean);
      training = true;
      node.status({ fill: 'blue', shape: 'dot', text: `training on ${rows} flows…` });
      const t0 = Date.now();
      const res = await trainInWorker({ columns, x, rows, labels: names, y, skipped: 0 }, {
        benignLabels: benign,
        profile: (msg.profile as string) || config.profile || 'improved',
        folds: num(config.folds, 5),
        threshold: num(config.threshold, 0.5),
        name: path.basename(out).replace(/\.onnx$/i, ''),
        forest: { trees: num(config.trees, 100), seed: num(config.seed, 1) },
        boosting: config.boost === true ? {} : null,
        provenance: { trainer: 'deepmad-train node', node: node.id, flows: rows },
      });
      training = false;
      if (closed) return;
      const files = writeModel(out, res);
      const r = res.report;
      node.status({ fill: 'green', shape: 'dot', text: r ? `trained: macro-F1 ${r.macroF1.toFixed(3)}, binary F1 ${r.binary.f1.toFixed(4)}` : `trained on ${rows} flows` });
      send({
        ...msg,
        topic: 'deepmad/model',
        payload: {
          model: out, card: `${out}.card.json`, files, rows, classes: names, columns,
          trainSeconds: (Date.now() - t0) / 1000,
          macroF1: r?.macroF1 ?? null, binaryF1: r?.binary.f1 ?? null, benignFlaggedRate: r?.binary.benignFlaggedRate ?? null,
        },
        report: res.reportText,
      });
    };

    // one message at a time, in arrival order: a 'train' right after flows must see those flows
    let queue: Promise<void> = Promise.resolve();
    node.on('input', (msg, send, done) => {
      const cmd = [msg.command, msg.topic, msg.payload].find((v) => v === 'train' || v === 'reset');
      queue = queue.then(async () => {
        try {
          if (cmd === 'reset') { reset(); idle(); done(); return; }
          if (cmd === 'train') {
            if (training) throw new Error('training already running');
            await train(msg, send);
            done();
            return;
          }
          await addFlows(msg);
          if (!training) idle();
          done();
        } catch (err) {
          training = false;
          node.status({ fill: 'red', shape: 'ring', text: shortText((err as Error).message) });
          done(err as Error);
        }
      });
    });

    node.on('close', (_removed, done) => {
      closed = true;
      reset();
      done();
    });
  }
  RED.nodes.registerType('deepmad-train', TrainNode);
};
