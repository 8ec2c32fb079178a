/**
 * deepmad-classifier: flows in (one object, an array, or a NormalizedBatch from deepmad-normalize),
 * classified flows out on two outputs — 1: benign, 2: malicious. The model (ONNX or Keras) and its
 * card are loaded at deploy; every check that can fail fails then, naming the columns involved.
 * All logic lives in lib/ml; this file maps the editor config and Node-RED events onto it.
 */
import path from 'node:path';
import type { Classifier, ClassifierInput, VerdictColumns } from '../../lib/ml/classifier.js';
import { classifiedColumns, classifiedObjects } from '../../lib/ml/classified-output.js';
import { isFlowColumns, type FlowColumns } from '../../lib/normalize/flow-columns.js';
import { LoneFlowContext } from '../../lib/ml/lone-flow-context.js';
import { AddressListError, BehaviourRules, parseAddressList } from '../../lib/ml/behaviour-rules.js';
import type { Msg, Send, Done, RedNode, NodeAPI } from '../node-red-api.js';


interface ClassifierConfig {
  name?: string;
  model?: string;
  card?: string;
  threshold?: string | number;
  batchSize?: string | number;
  worker?: boolean;
  /** 'objects' (default): classified flow objects; 'columns': a flow-columns batch in, ClassifiedColumns out */
  output?: string;
  /** the lone-flow context stage (lib/ml/lone-flow-context.ts); on unless false (flows saved before it existed get it) */
  context?: boolean;
  /** the behaviour rules (lib/ml/behaviour-rules.ts), after the context stage; on unless false (flows saved before it existed get it) */
  rules?: boolean;
  /** addresses and CIDR prefixes, comma or space separated, whose login flows the Login Brute Force rule ignores */
  trustedSources?: string;
}

const num = (v: unknown, dflt: number): number => {
  const n = Number(v);
  return v === undefined || v === null || String(v).trim() === '' || !Number.isFinite(n) ? dflt : n;
};

const shortText = (s: string): string => (s.length > 60 ? `${s.slice(0, 57)}…` : s);

/** A NormalizedBatch from deepmad-normalize: {columns, rows, data, trace}. */
interface RowsPayload { columns: string[]; rows: number; data: ArrayLike<number>; trace?: Record<string, any> }
function isRowsPayload(p: unknown): p is RowsPayload {
  return !!p && typeof p === 'object' && Array.isArray((p as RowsPayload).columns) && typeof (p as RowsPayload).rows === 'number' && !!(p as RowsPayload).data;
}

/** rows handled between two yields to the event loop (the Classifier's default slice too) */
const SLICE_ROWS = 256;
const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));
/** rows per lone-flow context pass (~1 µs a flow: a couple of ms between yields) */
const CONTEXT_SLICE_ROWS = 2048;
/** rows per behaviour-rules pass (reads a few fields per flow, like the context stage) */
const RULES_SLICE_ROWS = 2048;

const IDENTITY: Array<[string, string]> = [['flowId', 'Flow ID'], ['srcIp', 'Src IP'], ['srcPort', 'Src Port'], ['dstIp', 'Dst IP'], ['dstPort', 'Dst Port'], ['protocol', 'Protocol'], ['timestamp', 'Timestamp']];

export = function register(RED: NodeAPI) {
  function ClassifierNode(this: RedNode, config: ClassifierConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    let clf: Classifier | null = null;
    let loadError: Error | null = null;
    let closed = false;
    let flowsSeen = 0;
    let detections = 0;
    let windowStart = Date.now();
    let windowFlows = 0;
    let rate = 0;
    let lastStatus = 0;
    let queue: Promise<void> = Promise.resolve();
    let queued = 0;
    const MAX_QUEUED = 1000;

    const columnsOut = config.output === 'columns';
    // one streaming context per node: successive messages are successive batches of one traffic record
    const context = config.context !== false ? new LoneFlowContext() : null;
    let suppressedTotal = 0;
    // the behaviour rules, streaming as well (they only escalate benign verdicts); a bad trusted-sources
    // entry fails the deploy below, so the node never classifies with part of the list
    let rulesError: Error | null = null;
    const rules = config.rules !== false ? (() => {
      try {
        return new BehaviourRules({ trustedSources: parseAddressList(config.trustedSources ?? '') });
      } catch (err) {
        rulesError = err as Error;
        return null;
      }
    })() : null;
    let escalatedTotal = 0;
    const resolveModel = (p: string): string => (path.isAbsolute(p) ? p : path.resolve(RED.settings?.userDir ?? process.cwd(), p));

    node.status({ fill: 'yellow', shape: 'ring', text: 'loading model' });
    const ready = (async () => {
      if (rulesError) throw rulesError;
      const [{ Classifier: Clf }, { defaultModelPath }, { checkCardAgainstProfile, profileMismatchMessage }] = await Promise.all([
        import('../../lib/ml/classifier.js'), import('../../lib/ml/default-model.js'), import('../../lib/ml/profile-check.js'),
      ]);
      const modelPath = config.model?.trim() ? resolveModel(config.model.trim()) : defaultModelPath();
      const c = await Clf.open(modelPath, {
        card: config.card?.trim() ? resolveModel(config.card.trim()) : undefined,
        worker: config.worker !== false,
        batchSize: num(config.batchSize, 1024),
        threshold: String(config.threshold ?? '').trim() !== '' ? num(config.threshold, 0.5) : undefined,
      });
      const check = await checkCardAgainstProfile(c.card);
      if (check.missing.length) {
        await c.close();
        throw new Error(profileMismatchMessage(c.card, check.missing));
      }
      if (closed) { await c.close(); return; }
      for (const n of c.notes) node.warn(n);
      clf = c;
      node.status({ fill: 'yellow', shape: 'ring', text: `${c.name}: ready` });
    })().catch((err: Error) => {
      loadError = err;
      // a missing model (e.g. the user's own MNAD-DNN.h5 not copied yet): the status keeps the file name, which a long path would cut off
      const missing = /^model file not found: (.+)$/.exec(err.message);
      const text = err instanceof AddressListError ? `bad trusted source: ${err.entry}`
        : missing ? `model file not found: ${path.basename(missing[1])}` : err.message;
      node.status({ fill: 'red', shape: 'ring', text: shortText(text) });
      node.error(err);
    });

    const updateStatus = (force = false): void => {
      const now = Date.now();
      if (now - windowStart >= 1000) {
        rate = (windowFlows * 1000) / (now - windowStart);
        windowStart = now;
        windowFlows = 0;
      }
      if (!force && now - lastStatus < 500) return;
      lastStatus = now;
      const quiet = suppressedTotal > 0 ? ` · ${suppressedTotal} lone alerts uncorroborated` : '';
      const raised = escalatedTotal > 0 ? ` · ${escalatedTotal} escalated by rules` : '';
      const renamed = rules && rules.stats.relabelledSignature > 0 ? ` · ${rules.stats.relabelledSignature} relabelled` : '';
      node.status({ fill: 'green', shape: 'dot', text: `${Math.round(rate)} flows/s · ${detections} detections / ${flowsSeen} flows${quiet}${raised}${renamed}` });
    };

    /** A message's rows: what the classifier reads, and what the verdicts are added to (one per row). */
    interface MsgRows {
      flows: ClassifierInput;
      /** flow objects (numeric rows stand for objects with no fields), or a FlowColumns batch */
      objects: ArrayLike<Record<string, unknown> | ArrayLike<number>> | FlowColumns;
      /** the payload was one flow: the output payload is one object too */
      single: boolean;
      /**
       * `objects` is the message's own array of flow objects, which this node owns (Node-RED gives
       * every extra wire a deep copy): its plain flow objects gain the verdict in place
       */
      inPlace?: boolean;
      normalized: boolean;
    }

    const readRows = async (msg: Msg, c: Classifier): Promise<MsgRows> => {
      const p = msg.payload;
      // deepmad-normalize sends rows as a batch or, with "Output: objects", as already-scaled objects
      const normalized = msg.normalized === true || msg.topic === 'deepmad/rows';
      const raw = c.card.preprocessing.kind === 'none';
      const h5file = msg.topic === 'deepmad/hdf5' ? (typeof msg.filename === 'string' ? msg.filename : p?.file) : (typeof p === 'string' && /\.(h5|hdf5)$/i.test(p) ? p : undefined);
      if (typeof h5file === 'string') {
        // an HDF5 file of preprocessed rows (hdf5 out's finished file, or the prototype's normed_data.h5)
        const { readPandasModelRows } = await import('../../lib/hdf5/pandas-input.js');
        const t = await readPandasModelRows(resolveModel(h5file), c.columns);
        return { flows: t.rows, objects: t.extras, single: false, normalized: true };
      }
      if (isFlowColumns(p)) {
        // the flow meter's columnar batch: read straight from its matrix
        if (normalized && raw) throw new Error(`model "${c.name}" expects raw flows (its card has no preprocessing) but got normalized rows`);
        return { flows: p, objects: p, single: false, normalized };
      }
      if (isRowsPayload(p)) {
        // normalized rows: the classifier picks the model's columns from the batch by name
        if (raw && !(c.card.normalizeMode && (p as { mode?: string }).mode === c.card.normalizeMode)) {
          throw new Error(`model "${c.name}" expects raw flows (its card has no preprocessing) but got normalized rows (deepmad/rows); wire the flow meter to the classifier directly`);
        }
        // keep the original flow when the normalize node passed it along (msg.flows), else its trace
        const origs: unknown[] | null = Array.isArray(msg.flows) && msg.flows.length === p.rows ? msg.flows : null;
        const rowObjects: Array<Record<string, unknown>> = new Array(p.rows);
        for (let r = 0; r < p.rows; r++) {
          if (r > 0 && r % SLICE_ROWS === 0) await yieldToLoop();
          const orig = origs?.[r];
          if (orig && typeof orig === 'object') { rowObjects[r] = orig as Record<string, unknown>; continue; }
          const o: Record<string, unknown> = {};
          if (!orig) for (const [k, name] of IDENTITY) { const v = p.trace?.[k]?.[r]; if (v !== undefined && v !== '') o[name] = v; }
          rowObjects[r] = o;
        }
        return { flows: p, objects: rowObjects, single: false, normalized: true };
      }
      if (Array.isArray(p) && p.length > 0 && typeof p[0] === 'number') return { flows: [p as number[]], objects: [{}], single: true, normalized };
      // an array of flows goes on as it is: numeric rows in it are recognized while outputs are built,
      // a slice at a time (a copy here would be one unsliced pass over every row)
      if (Array.isArray(p)) return { flows: p, objects: p, single: false, normalized, inPlace: true };
      if (p && typeof p === 'object') {
        if (normalized && raw) throw new Error(`model "${c.name}" expects raw flows (its card has no preprocessing) but got normalized rows`);
        return { flows: [p], objects: [p], single: true, normalized };
      }
      throw new Error(`msg.payload must be a flow object, an array of flows, a flow-columns batch or a normalized batch; got ${p === null ? 'null' : typeof p}`);
    };

    /**
     * One message: rows → verdict columns → outputs → two send() calls. Every stage that touches
     * every row runs `SLICE_ROWS` rows at a time with a yield to the event loop in between (reading
     * features into the input matrix in Classifier.classifyColumns, inference in the worker, building
     * the output objects in classified-output), so a 100k-flow message never holds the loop for
     * more than a slice (V8's young-generation GCs aside: see lib/ml/allocation-sites.ts).
     */
    const classifyMsg = async (msg: Msg, send: Send): Promise<void> => {
      const c = clf;
      if (!c) throw loadError ?? new Error('model not loaded');
      const rows = await readRows(msg, c);
      // verdicts as typed arrays: no per-flow objects until the output needs them
      const v = await c.classifyColumns(rows.flows, { normalized: rows.normalized });
      if (v.rows === 0) return;
      // post-processing: `v` holds every row's verdict, in input order, and nothing has been built
      // from it yet. The lone-flow context stage turns uncorroborated single-packet alerts benign (it
      // keeps v.detections equal to the malicious count and marks them in v.suppressed).
      const benignLabel = c.card.benignLabels[0];
      if (context && benignLabel !== undefined && v.labels.includes(benignLabel)) suppressedTotal += await context.applyToColumnsSliced(rows.objects, v, benignLabel, CONTEXT_SLICE_ROWS, yieldToLoop);
      // then the rules: benign verdicts of repeated logins, a DHCP flood or a flow with a payload signature turn malicious
      // (rule label, v.escalated; v.labels gains the rule labels, v.detections counts them); model alerts with a
      // payload signature take its label (v.relabelled, v.modelLabel; counted in rules.stats)
      if (rules) escalatedTotal += await rules.applyToColumnsSliced(rows.objects, v, RULES_SLICE_ROWS, yieldToLoop);
      const out = await buildOutputs(rows, v, c);
      flowsSeen += v.rows;
      windowFlows += v.rows;
      detections += v.detections;
      updateStatus(v.detections > 0);
      sendOutputs(msg, send, out, v.detections, rows.single, c.name);
    };

    /** The two outputs' payloads: classified flow objects, or ClassifiedColumns for flow-columns input with output "columns". */
    const buildOutputs = (rows: MsgRows, v: VerdictColumns, c: Classifier): Promise<{ benign: unknown; malicious: unknown }> =>
      columnsOut && isFlowColumns(rows.objects)
        ? classifiedColumns(rows.objects, v, c.name, SLICE_ROWS)
        : classifiedObjects(rows.objects, v, c.name, (vc, i) => c.probabilitiesAt(vc, i), SLICE_ROWS, { inPlace: rows.inPlace === true });

    const sendOutputs = (msg: Msg, send: Send, out: { benign: unknown; malicious: unknown }, bad: number, single: boolean, model: string): void => {
      const make = (payload: unknown, count: number): Msg | null => {
        if (payload === null || (Array.isArray(payload) && payload.length === 0)) return null;
        return { ...msg, payload: single && Array.isArray(payload) ? payload[0] : payload, model, detections: count };
      };
      // one send() per output: Node-RED deep-copies every message after the first of a send() call,
      // which for 100k flows held the event loop for seconds. The two payloads are new arrays (of
      // the input's own flow objects, annotated, for an array payload); the input message's other
      // properties are shared by reference, as on a single wire.
      // (An output wired to several nodes is deep-copied by Node-RED for each extra wire: see README.)
      const benignMsg = make(out.benign, 0);
      const maliciousMsg = make(out.malicious, bad);
      if (benignMsg) send([benignMsg, null]);
      if (maliciousMsg) send([null, maliciousMsg]);
    };

    node.on('input', (msg, send, done) => {
      if (msg.topic === 'deepmad/packets') {
        done(); // packet batches are not flows
        return;
      }
      if (msg.topic === 'deepmad/eof') {
        // end of a source: passed on, on both outputs, once every flow message received before it has
        // been classified and sent, so downstream nodes (alerts, files) can flush knowing nothing is
        // still in flight. Not counted against MAX_QUEUED: it must never be dropped.
        queue = queue.then(async () => {
          await ready;
          send([msg, { ...msg }]);
          done();
        });
        return;
      }
      if (queued >= MAX_QUEUED) {
        done(new Error(`classifier overloaded: ${queued} messages waiting; message dropped`));
        return;
      }
      queued++;
      queue = queue.then(async () => {
        await ready;
        try {
          await classifyMsg(msg, send);
          done();
        } catch (err) {
          node.status({ fill: 'red', shape: 'ring', text: shortText((err as Error).message) });
          done(err as Error);
        } finally {
          queued--;
        }
      });
    });

    node.on('close', (_removed, done) => {
      closed = true;
      void (async () => {
        await ready;
        await queue;
        const c = clf;
        clf = null;
        if (c) await c.close().catch(() => undefined);
        done();
      })();
    });
  }
  RED.nodes.registerType('deepmad-classifier', ClassifierNode);
};
