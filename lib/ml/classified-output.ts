/**
 * The classifier node's outputs, built from verdict columns (lib/ml/classifier.ts VerdictColumns):
 * - objects (the default contract): each flow object plus label, confidence, probabilities, model,
 *   split into benign and malicious lists (the input's plain flow objects annotated in place when
 *   the caller owns them, `inPlace`; copies otherwise, and for numeric rows and FlowColumns);
 * - columns (for `deepmad/flow-columns` input): the FlowColumns batch split into benign and
 *   malicious row sets, each with its verdicts as arrays (`ClassifiedColumns`).
 * Both are built `sliceRows` rows at a time with a yield to the event loop between slices, so a
 * 100k-flow message never holds the loop for long.
 */
import { attachIdent, identOf, type FlowColumns } from '../normalize/flow-columns.js';
import type { VerdictColumns } from './classifier.js';
import { LARGE_ROWS } from './allocation-sites.js';
import { SUPPRESSED_SINGLE_PACKET } from './lone-flow-context.js';
import type { RuleVerdictColumns } from './behaviour-rules.js';

/**
 * Verdict columns after the post-model stages: the lone-flow context stage may add `suppressed`
 * (1 = turned benign), the behaviour rules `escalated` (rule code, 0 = not escalated) and `relabelled`
 * (signature code of a model alert given the signature's label, with `modelLabel`), the reasons,
 * and `classes` (the model's labels) when `labels` gained the rule labels.
 */
type Verdicts = RuleVerdictColumns;

/** The verdicts of a ClassifiedColumns batch: row i of each array belongs to row i of the batch. */
export interface ColumnVerdicts {
  /** the model's name (the `model` property of classified flow objects) */
  model: string;
  /** the model's class labels, card order (the column order of `probabilities`) */
  classes: string[];
  /** a class label, or a rule's label (`Login Brute Force`, `DHCP Flood`, a payload signature's label) for an escalated or relabelled row */
  label: string[];
  confidence: Float32Array;
  /** 1 − Σ P(benign labels) */
  attackProbability: Float64Array;
  /** 1 = malicious, 0 = benign */
  malicious: Uint8Array;
  /** rows × classes.length, row-major */
  probabilities: Float32Array;
  /** 1 = a single-packet alert the lone-flow context stage turned benign; present only when the stage ran */
  suppressed?: Uint8Array;
  /**
   * a benign verdict the rules stage (lib/ml/behaviour-rules.ts) turned malicious: 1 = Login Brute
   * Force, 2 = DHCP Flood, 3-8 = a payload signature (RULE_LABELS index + 1), 0 = not escalated; present
   * only when the stage ran
   */
  escalated?: Uint8Array;
  /**
   * a model alert the rules stage gave its payload signature's label (still malicious, the model's
   * confidence and probabilities): the signature's code as in `escalated` (3-8), 0 = not relabelled;
   * present only when the stage ran
   */
  relabelled?: Uint8Array;
  /** the model's own label of each relabelled row ('' on other rows); present only when a row of the batch was relabelled */
  modelLabel?: string[];
}

/** A FlowColumns batch with its verdicts (the classifier node's "columns" output). */
export type ClassifiedColumns = FlowColumns & { verdicts: ColumnVerdicts };

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

type Obj = Record<string, unknown>;

/** What a numeric input row (already-preprocessed values, no flow fields) contributes to its output object. */
const NO_FIELDS: Obj = Object.freeze({});

/**
 * The classified flow objects: `flows[i]` (an object, or a FlowColumns batch whose rows become
 * objects) plus the verdict of row i, in input order, split by verdict. A numeric row (an array or
 * typed array of model inputs) gives an object with the verdict only; such rows are recognized here,
 * a slice at a time, so callers pass their input array as it is (no up-front copy of 100k entries).
 * With `inPlace`, a plain extensible flow object is itself the output object (the verdict's keys set
 * on it, same keys, order and values as the copy); other rows are copied as without it. An object
 * that appears at several rows is then one object at each of its output places.
 */
export async function classifiedObjects(
  flows: ArrayLike<Obj | ArrayLike<number>> | FlowColumns, v: Verdicts, model: string,
  probabilitiesAt: (v: VerdictColumns, i: number) => Record<string, number>, sliceRows = 256,
  opts: { inPlace?: boolean } = {},
): Promise<{ benign: Obj[]; malicious: Obj[] }> {
  const benign: Obj[] = [];
  const malicious: Obj[] = [];
  // rare rows (uncorroborated lone alerts, rule escalations, relabels) get the keys added after the literal: no builder change
  const sup = v.suppressed;
  const esc = v.escalated;
  const rel = v.relabelled;
  const mark = (out: Obj, i: number): void => {
    if (sup && sup[i] && !v.malicious[i]) out.suppressed = SUPPRESSED_SINGLE_PACKET;
    else if (esc && esc[i] && v.malicious[i]) out.escalated = v.escalatedReasons?.[i] ?? v.labels[v.label[i]];
    else if (rel && rel[i] && v.malicious[i]) {
      out.modelLabel = v.labels[v.modelLabel?.[i] ?? 0];
      out.relabelled = v.relabelledReasons?.[i] ?? v.labels[v.label[i]];
    }
  };
  if (isColumns(flows)) {
    // one object literal per row from a generated builder: no intermediate row object; a large
    // message gets a builder of its own (allocation-sites.ts)
    const build = v.rows >= LARGE_ROWS ? makeRowBuilder(flows) : columnsObjectBuilder(flows);
    const text = Object.keys(flows.text).map((t) => flows.text[t]); // lazy identity columns are built here, once per batch
    const W = flows.columns.length;
    for (let from = 0; from < v.rows; from += sliceRows) {
      if (from > 0) await yieldToLoop();
      const to = Math.min(v.rows, from + sliceRows);
      for (let i = from; i < to; i++) {
        const out = build(flows.values, i * W, text, i, v.labels[v.label[i]], v.confidence[i], probabilitiesAt(v, i), model);
        mark(out, i);
        (v.malicious[i] ? malicious : benign).push(out);
      }
    }
    return { benign, malicious };
  }
  const fieldsOf = (x: Obj | ArrayLike<number>): Obj => (ArrayBuffer.isView(x) || Array.isArray(x) ? NO_FIELDS : x as Obj);
  const inPlace = opts.inPlace === true;
  // a large message: builders of its own (allocation-sites.ts); made when a row is copied
  const cache = v.rows >= LARGE_ROWS ? new Map<string, ObjectBuilder>() : builders;
  let b: ObjectBuilder | null = null;
  for (let from = 0; from < v.rows; from += sliceRows) {
    if (from > 0) await yieldToLoop();
    const to = Math.min(v.rows, from + sliceRows);
    for (let i = from; i < to; i++) {
      const x = flows[i];
      if (inPlace && annotatable(x)) {
        // the flow object itself gains the verdict: no copy of its ~90 fields (allocation-sites.ts)
        const out = annotate(x, v.labels[v.label[i]], v.confidence[i], probabilitiesAt(v, i), model);
        mark(out, i);
        (v.malicious[i] ? malicious : benign).push(out);
        continue;
      }
      const f = fieldsOf(x);
      if (!b || !sameKeys(f, b.keys)) b = builderFor(f, cache); // another key list: its own builder
      const label = v.labels[v.label[i]];
      const out = b ? b.build(f, label, v.confidence[i], probabilitiesAt(v, i), model)
        : { ...f, label, confidence: v.confidence[i], probabilities: probabilitiesAt(v, i), model };
      mark(out, i);
      (v.malicious[i] ? malicious : benign).push(out);
    }
  }
  return { benign, malicious };
}

/**
 * True for a flow object that can gain the verdict in place with the result a copy would have: a
 * plain, extensible object (not an array, a typed array, a class instance or a null-prototype
 * object, which a copy would turn into a plain object).
 */
function annotatable(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && Object.getPrototypeOf(x) === Object.prototype && Object.isExtensible(x);
}

/**
 * `flow` with the verdict's keys set, as `{...flow, label, confidence, probabilities, model}` would
 * have them: a key the flow already has keeps its place and takes the verdict's value, new keys go
 * last in this order. Four stores, no copy: a 90-key object (fast or dictionary mode) grows by four
 * properties instead of being copied into a new 94-key object.
 */
function annotate(flow: Obj, label: string, confidence: number, probabilities: Record<string, number>, model: string): Obj {
  flow.label = label;
  flow.confidence = confidence;
  flow.probabilities = probabilities;
  flow.model = model;
  return flow;
}

/**
 * Builds `{...flow, label, confidence, probabilities, model}` for flows with one key list as one
 * object literal with constant keys. Besides skipping the generic copy, a literal has a V8
 * allocation site, which V8 switches to old-space allocation once it sees the objects survive: a
 * 100k-flow batch then costs a handful of young-generation GCs instead of ~150 (each copying up to
 * 16 MB of survivors, 10–100 ms on a loaded machine).
 */
interface ObjectBuilder {
  keys: string[];
  build: (flow: Obj, label: string, confidence: number, probabilities: Record<string, number>, model: string) => Obj;
}

/** Builders by key list (the flow meter's profiles give a few); bounded so odd inputs cannot grow it. */
const builders = new Map<string, ObjectBuilder>();
const MAX_BUILDERS = 32;

function builderFor(flow: Obj, cache: Map<string, ObjectBuilder>): ObjectBuilder | null {
  const keys = Object.keys(flow);
  if (keys.includes('__proto__')) return null; // a literal would set the prototype: copy generically
  const signature = keys.join('\u0000');
  let b = cache.get(signature);
  if (!b) {
    if (cache.size >= MAX_BUILDERS) cache.delete(cache.keys().next().value as string);
    // JSON.stringify makes each key a safe string literal; a key repeated by the verdict keeps its
    // place and takes the verdict's value, as with object spread
    const cells = keys.map((k) => `${JSON.stringify(k)}: f[${JSON.stringify(k)}]`);
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const build = new Function('f', 'label', 'confidence', 'probabilities', 'model',
      `return { ${[...cells, 'label: label', 'confidence: confidence', 'probabilities: probabilities', 'model: model'].join(', ')} };`) as ObjectBuilder['build'];
    b = { keys, build };
    cache.set(signature, b);
  }
  return b;
}

/**
 * True when `flow`'s enumerable keys are exactly `keys`, in order (for…in reads V8's per-shape key
 * cache: no allocation for flows of one shape). Inherited enumerable keys make it false, and the
 * flow is then copied generically.
 */
function sameKeys(flow: Obj, keys: string[]): boolean {
  let j = 0;
  for (const k in flow) if (k !== keys[j++]) return false;
  return j === keys.length;
}

function isColumns(x: ArrayLike<Obj | ArrayLike<number>> | FlowColumns): x is FlowColumns {
  return !Array.isArray(x) && (x as FlowColumns).format === 'deepmad/flow-columns';
}

type RowBuilder = (values: Float64Array, o: number, text: string[][], i: number, label: string, confidence: number, probabilities: Record<string, number>, model: string) => Obj;

/**
 * A function building one classified flow object from row i of a FlowColumns batch: the cells in
 * `order` (the flow objects' key order, as flowColumnsToObjects makes them) then the verdict, as one
 * object literal with constant keys (JSON.stringify makes each name a safe string literal).
 */
function columnsObjectBuilder(fc: FlowColumns): RowBuilder {
  // cached like the object builders (small messages: see allocation-sites.ts)
  const signature = [fc.columns.join('\u0000'), Object.keys(fc.text).join('\u0000'), fc.order.join('\u0000')].join('\u0001');
  let build = rowBuilders.get(signature);
  if (!build) {
    if (rowBuilders.size >= MAX_BUILDERS) rowBuilders.delete(rowBuilders.keys().next().value as string);
    build = makeRowBuilder(fc);
    rowBuilders.set(signature, build);
  }
  return build;
}

const rowBuilders = new Map<string, RowBuilder>();

function makeRowBuilder(fc: FlowColumns): RowBuilder {
  const numeric = new Map(fc.columns.map((c, j) => [c, j]));
  const textIndex = new Map(Object.keys(fc.text).map((t, k) => [t, k]));
  const cells = fc.order.map((name) => {
    const j = numeric.get(name);
    const k = textIndex.get(name);
    const expr = j !== undefined ? `values[o + ${j}]` : k !== undefined ? `text[${k}][i]` : 'undefined';
    return `${JSON.stringify(name)}: ${expr}`;
  });
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('values', 'o', 'text', 'i', 'label', 'confidence', 'probabilities', 'model',
    `return { ${[...cells, 'label: label', 'confidence: confidence', 'probabilities: probabilities', 'model: model'].join(', ')} };`) as RowBuilder;
}

/**
 * Splits a FlowColumns batch by verdict into benign and malicious ClassifiedColumns (null when a
 * side has no rows). A batch that goes whole to one side is passed on as it is (its lazy identity
 * columns stay lazy); a mixed batch is copied row by row, a slice at a time.
 */
export async function classifiedColumns(fc: FlowColumns, v: Verdicts, model: string, sliceRows = 256): Promise<{ benign: ClassifiedColumns | null; malicious: ClassifiedColumns | null }> {
  const bad = v.detections;
  const good = v.rows - bad;
  if (bad === 0 || good === 0) {
    const all = withVerdicts(fc, v, model, null);
    return bad === 0 ? { benign: all, malicious: null } : { benign: null, malicious: all };
  }
  const benignRows = new Uint32Array(good);
  const maliciousRows = new Uint32Array(bad);
  for (let i = 0, b = 0, m = 0; i < v.rows; i++) {
    if (v.malicious[i]) maliciousRows[m++] = i; else benignRows[b++] = i;
  }
  return { benign: await subset(fc, v, model, benignRows, sliceRows), malicious: await subset(fc, v, model, maliciousRows, sliceRows) };
}

/** The batch (rows `pick`, or all rows when null) with its verdicts. */
function withVerdicts(fc: FlowColumns, v: Verdicts, model: string, pick: Uint32Array | null): ClassifiedColumns {
  const n = pick ? pick.length : v.rows;
  // `labels` may have gained the rule labels; the probabilities stay one column per model class
  const classes = v.classes ?? v.labels;
  const C = classes.length;
  const verdicts: ColumnVerdicts = {
    model, classes, label: new Array<string>(n), confidence: pick ? new Float32Array(n) : v.confidence,
    attackProbability: pick ? new Float64Array(n) : v.attackProbability, malicious: pick ? new Uint8Array(n) : v.malicious,
    probabilities: pick ? new Float32Array(n * C) : v.probabilities,
  };
  if (v.suppressed) verdicts.suppressed = pick ? Uint8Array.from(pick, (i) => v.suppressed![i]) : v.suppressed;
  if (v.escalated) verdicts.escalated = pick ? Uint8Array.from(pick, (i) => v.escalated![i]) : v.escalated;
  if (v.relabelled) verdicts.relabelled = pick ? Uint8Array.from(pick, (i) => v.relabelled![i]) : v.relabelled;
  const rel = v.relabelled, ml = v.modelLabel;
  if (rel && ml) {
    // the model's label as text on relabelled rows; a side without any gets none
    const names = Array.from({ length: n }, (_, k) => { const i = pick ? pick[k] : k; return rel[i] ? v.labels[ml[i]] : ''; });
    if (names.some((x) => x !== '')) verdicts.modelLabel = names;
  }
  for (let k = 0; k < n; k++) {
    const i = pick ? pick[k] : k;
    verdicts.label[k] = v.labels[v.label[i]];
    if (!pick) continue;
    verdicts.confidence[k] = v.confidence[i];
    verdicts.attackProbability[k] = v.attackProbability[i];
    verdicts.malicious[k] = v.malicious[i];
    for (let c = 0; c < C; c++) verdicts.probabilities[k * C + c] = v.probabilities[i * C + c];
  }
  const out: ClassifiedColumns = { ...fc, verdicts };
  const ident = identOf(fc);
  if (!pick && ident) attachIdent(out, ident); // same text object: its lazy accessors are still the ident's
  return out;
}

/** Rows `pick` of the batch: numbers and eager text copied a slice at a time; lazy text columns stay lazy. */
async function subset(fc: FlowColumns, v: Verdicts, model: string, pick: Uint32Array, sliceRows: number): Promise<ClassifiedColumns> {
  const W = fc.columns.length;
  const n = pick.length;
  const values = new Float64Array(n * W);
  const text: Record<string, string[]> = {};
  const eager: Array<[string[], string[]]> = [];
  for (const name of Object.keys(fc.text)) {
    const d = Object.getOwnPropertyDescriptor(fc.text, name);
    if (d && typeof d.get === 'function') {
      // built (by the source's accessor) only if something reads it
      let cache: string[] | null = null;
      const get = (): string[] => {
        if (!cache) { const src = fc.text[name]; cache = Array.from(pick, (i) => src[i]); }
        return cache;
      };
      Object.defineProperty(text, name, {
        enumerable: true, configurable: true, get,
        set(x: unknown) { Object.defineProperty(text, name, { value: x, writable: true, enumerable: true, configurable: true }); },
      });
    } else {
      const dst = new Array<string>(n);
      text[name] = dst;
      eager.push([fc.text[name], dst]);
    }
  }
  for (let from = 0; from < n; from += sliceRows) {
    if (from > 0) await yieldToLoop();
    const to = Math.min(n, from + sliceRows);
    for (let k = from; k < to; k++) {
      const src = pick[k] * W;
      const dst = k * W;
      for (let j = 0; j < W; j++) values[dst + j] = fc.values[src + j];
      for (let e = 0; e < eager.length; e++) eager[e][1][k] = eager[e][0][pick[k]];
    }
  }
  const out = withVerdicts({ ...fc, rows: n, values, text }, v, model, pick);
  return out;
}
