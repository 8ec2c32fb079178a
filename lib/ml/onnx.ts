/**
 * The ONNX subset DeepMAD writes and edits: ModelProto → GraphProto → NodeProto/AttributeProto/
 * TensorProto/ValueInfoProto, with field numbers from onnx.proto (IR version 8).
 * Writing: `encodeModel`. Editing an existing model without a full schema: `stripZipMap`,
 * `readModelInfo`, `withMetadata` work on raw fields and re-emit everything they do not touch.
 */
import { ProtoWriter, readFields, fieldString, joinFields, encodeField, repeatedInts, type ProtoField } from './protobuf.js';

export const DataType = { FLOAT: 1, UINT8: 2, INT32: 6, INT64: 7, STRING: 8, DOUBLE: 11 } as const;

const AttrType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export type OnnxAttr =
  | { name: string; kind: 'int'; value: number }
  | { name: string; kind: 'float'; value: number }
  | { name: string; kind: 'string'; value: string }
  | { name: string; kind: 'ints'; value: ArrayLike<number> }
  | { name: string; kind: 'floats'; value: ArrayLike<number> }
  | { name: string; kind: 'strings'; value: string[] };

export const attr = {
  int: (name: string, value: number): OnnxAttr => ({ name, kind: 'int', value }),
  float: (name: string, value: number): OnnxAttr => ({ name, kind: 'float', value }),
  string: (name: string, value: string): OnnxAttr => ({ name, kind: 'string', value }),
  ints: (name: string, value: ArrayLike<number>): OnnxAttr => ({ name, kind: 'ints', value }),
  floats: (name: string, value: ArrayLike<number>): OnnxAttr => ({ name, kind: 'floats', value }),
  strings: (name: string, value: string[]): OnnxAttr => ({ name, kind: 'strings', value }),
};

export interface OnnxNode {
  op: string;
  domain?: string;
  name?: string;
  inputs: string[];
  outputs: string[];
  attrs?: OnnxAttr[];
}

export interface OnnxInitializer {
  name: string;
  dims: number[];
  /** FLOAT data, or INT64 data when `int64` is set. */
  data: Float32Array | number[];
  int64?: boolean;
}

export interface OnnxValueInfo {
  name: string;
  elemType: number;
  /** number = fixed dimension, string = symbolic (e.g. 'N'). */
  shape: Array<number | string>;
}

export interface OnnxModelSpec {
  graphName: string;
  nodes: OnnxNode[];
  initializers?: OnnxInitializer[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** defaults: '' → 17, 'ai.onnx.ml' → 3 */
  opsets?: Array<{ domain: string; version: number }>;
  metadata?: Record<string, string>;
  producer?: string;
  docString?: string;
}

function writeAttr(w: ProtoWriter, a: OnnxAttr): void {
  w.string(1, a.name);
  switch (a.kind) {
    case 'int': w.int(3, a.value).int(20, AttrType.INT); break;
    case 'float': w.float(2, a.value).int(20, AttrType.FLOAT); break;
    case 'string': w.string(4, a.value).int(20, AttrType.STRING); break;
    case 'ints': w.packedInts(8, a.value).int(20, AttrType.INTS); break;
    case 'floats': w.packedFloats(7, a.value).int(20, AttrType.FLOATS); break;
    case 'strings':
      for (const s of a.value) w.string(9, s);
      w.int(20, AttrType.STRINGS);
      break;
  }
}

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.elemType);
      tensor.message(2, (shape) => {
        for (const d of v.shape) {
          shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
        }
      });
    }),
  );
}

function writeTensor(w: ProtoWriter, t: OnnxInitializer): void {
  w.packedInts(1, t.dims);
  w.int(2, t.int64 ? DataType.INT64 : DataType.FLOAT);
  w.string(8, t.name);
  if (t.int64) {
    w.packedInts(7, t.data as number[]);
  } else {
    const f = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
    // raw_data is little-endian bytes of the values; copy so an offset view is handled
    w.bytes(9, new Uint8Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength)));
  }
}

export function encodeModel(spec: OnnxModelSpec): Uint8Array {
  const w = new ProtoWriter(1 << 16);
  w.int(1, 8); // ir_version
  w.string(2, spec.producer ?? 'deepmad');
  w.string(3, '0.1.0');
  if (spec.docString) w.string(6, spec.docString);
  w.message(7, (g) => {
    for (const n of spec.nodes) {
      g.message(1, (nw) => {
        for (const i of n.inputs) nw.string(1, i);
        for (const o of n.outputs) nw.string(2, o);
        if (n.name) nw.string(3, n.name);
        nw.string(4, n.op);
        for (const a of n.attrs ?? []) nw.message(5, (aw) => writeAttr(aw, a));
        if (n.domain) nw.string(7, n.domain);
      });
    }
    g.string(2, spec.graphName);
    for (const t of spec.initializers ?? []) g.message(5, (tw) => writeTensor(tw, t));
    for (const v of spec.inputs) g.message(11, (vw) => writeValueInfo(vw, v));
    for (const v of spec.outputs) g.message(12, (vw) => writeValueInfo(vw, v));
  });
  const opsets = spec.opsets ?? [{ domain: '', version: 17 }, { domain: 'ai.onnx.ml', version: 3 }];
  for (const o of opsets) w.message(8, (ow) => ow.string(1, o.domain).int(2, o.version));
  for (const [key, value] of Object.entries(spec.metadata ?? {})) {
    w.message(14, (mw) => mw.string(1, key).string(2, value));
  }
  return w.finish();
}

// ---- reading / editing existing models -------------------------------------------------------

export interface ModelInfo {
  irVersion: number;
  producer: string;
  opsets: Array<{ domain: string; version: number }>;
  metadata: Record<string, string>;
  nodes: Array<{ op: string; domain: string; inputs: string[]; outputs: string[] }>;
  inputs: string[];
  outputs: string[];
}

function decodeNode(data: Uint8Array): { op: string; domain: string; inputs: string[]; outputs: string[]; fields: ProtoField[] } {
  const fields = readFields(data);
  const node = { op: '', domain: '', inputs: [] as string[], outputs: [] as string[], fields };
  for (const f of fields) {
    if (f.field === 1) node.inputs.push(fieldString(f));
    else if (f.field === 2) node.outputs.push(fieldString(f));
    else if (f.field === 4) node.op = fieldString(f);
    else if (f.field === 7) node.domain = fieldString(f);
  }
  return node;
}

function valueInfoName(data: Uint8Array): string {
  const f = readFields(data).find((x) => x.field === 1);
  return f ? fieldString(f) : '';
}

/** Parses the parts of a model we need to reason about. Throws a clear error for non-ONNX bytes. */
export function readModelInfo(bytes: Uint8Array): ModelInfo {
  let top: ProtoField[];
  try {
    top = readFields(bytes);
  } catch (err) {
    throw new Error(`not an ONNX model (protobuf parse failed: ${(err as Error).message})`);
  }
  const info: ModelInfo = { irVersion: 0, producer: '', opsets: [], metadata: {}, nodes: [], inputs: [], outputs: [] };
  let graph: Uint8Array | undefined;
  for (const f of top) {
    if (f.field === 1 && f.wire === 0) info.irVersion = Number(f.int);
    else if (f.field === 2 && f.wire === 2) info.producer = fieldString(f);
    else if (f.field === 7 && f.wire === 2) graph = f.data;
    else if (f.field === 8 && f.wire === 2) {
      const o = readFields(f.data!);
      const d = o.find((x) => x.field === 1);
      const v = o.find((x) => x.field === 2);
      info.opsets.push({ domain: d ? fieldString(d) : '', version: v ? Number(v.int) : 0 });
    } else if (f.field === 14 && f.wire === 2) {
      const kv = readFields(f.data!);
      const k = kv.find((x) => x.field === 1);
      const v = kv.find((x) => x.field === 2);
      if (k) info.metadata[fieldString(k)] = v ? fieldString(v) : '';
    }
  }
  if (!graph) throw new Error('not an ONNX model (no graph)');
  const initializerNames = new Set<string>();
  const gfields = readFields(graph);
  for (const f of gfields) if (f.field === 5) {
    const n = readFields(f.data!).find((x) => x.field === 8);
    if (n) initializerNames.add(fieldString(n));
  }
  for (const f of gfields) {
    if (f.field === 1) {
      const n = decodeNode(f.data!);
      info.nodes.push({ op: n.op, domain: n.domain, inputs: n.inputs, outputs: n.outputs });
    } else if (f.field === 11) {
      const name = valueInfoName(f.data!);
      if (!initializerNames.has(name)) info.inputs.push(name);
    } else if (f.field === 12) info.outputs.push(valueInfoName(f.data!));
  }
  return info;
}

function rebuildModel(bytes: Uint8Array, editGraph: (g: ProtoField[]) => Uint8Array[] | null, extraTop: Uint8Array[] = [], dropTop?: (f: ProtoField) => boolean): Uint8Array | null {
  const top = readFields(bytes);
  const parts: Uint8Array[] = [];
  let changed = extraTop.length > 0;
  for (const f of top) {
    if (dropTop?.(f)) { changed = true; continue; }
    if (f.field === 7 && f.wire === 2) {
      const g = editGraph(readFields(f.data!));
      if (g) {
        changed = true;
        parts.push(encodeField(7, joinFields(g)));
        continue;
      }
    }
    parts.push(f.raw);
  }
  parts.push(...extraTop);
  return changed ? joinFields(parts) : null;
}

/**
 * Removes sklearn-style ZipMap nodes (onnxruntime-node cannot return their seq(map) output) and
 * exposes their input probability tensor as the graph output instead. Returns the bytes unchanged
 * when there is no ZipMap.
 */
export function stripZipMap(bytes: Uint8Array): { bytes: Uint8Array; stripped: string[] } {
  const stripped: string[] = [];
  const out = rebuildModel(bytes, (g) => {
    const replaced = new Map<string, { input: string; classes: number }>();
    const parts: Uint8Array[] = [];
    for (const f of g) {
      if (f.field === 1) {
        const n = decodeNode(f.data!);
        if (n.op === 'ZipMap') {
          let classes = 0;
          for (const af of n.fields) if (af.field === 5) {
            const a = readFields(af.data!);
            const name = a.find((x) => x.field === 1);
            const nm = name ? fieldString(name) : '';
            if (nm === 'classlabels_strings') classes = a.filter((x) => x.field === 9).length;
            if (nm === 'classlabels_int64s') classes = repeatedInts(a, 8).length;
          }
          replaced.set(n.outputs[0], { input: n.inputs[0], classes });
          stripped.push(n.outputs[0]);
          continue;
        }
      }
      parts.push(f.raw);
    }
    if (replaced.size === 0) return null;
    return parts.map((raw, i) => {
      const fields = readFields(raw);
      const f = fields[0];
      if (f.field !== 12) return raw;
      const rep = replaced.get(valueInfoName(f.data!));
      if (!rep) return raw;
      const w = new ProtoWriter();
      w.message(12, (vw) => writeValueInfo(vw, { name: rep.input, elemType: DataType.FLOAT, shape: ['N', rep.classes || 'C'] }));
      void i;
      return w.finish();
    });
  });
  return { bytes: out ?? bytes, stripped };
}

/** Returns the model with its metadata_props replaced by `metadata` (other props kept). */
export function withMetadata(bytes: Uint8Array, metadata: Record<string, string>): Uint8Array {
  const extra = Object.entries(metadata).map(([k, v]) => new ProtoWriter().message(14, (mw) => mw.string(1, k).string(2, v)).finish());
  const drop = (f: ProtoField): boolean => {
    if (f.field !== 14) return false;
    const k = readFields(f.data!).find((x) => x.field === 1);
    return !!k && fieldString(k) in metadata;
  };
  return rebuildModel(bytes, () => null, extra, drop) ?? bytes;
}
