/**
 * Fast FlowBatch → flow objects for the node's messages: the same objects as lib/flow's
 * `toObjects` (a test checks equality on real captures), built by a per-profile function whose
 * body is one object literal. V8 gives literal objects a fixed shape with fast properties, while
 * ~90 keyed stores per object push it into dictionary mode: the literal form is several times
 * faster to build and to read downstream (normalize), which is what keeps the Node-RED pipeline
 * near the bare engine's rate. Keys enter the generated source only through JSON.stringify.
 */
import { allocFlowBatch, END_REASON_NAMES, type FlowBatch } from '../../lib/flow/flow-batch.js';
import { featureIndex, NUM_FEATURES } from '../../lib/flow/features.js';
import { addSignatures, fillFlowIdentity, reusableFlowIdentity, toObjects, type FlowObject, type FlowValue } from '../../lib/flow/output.js';
import type { FlowProfile } from '../../lib/flow/profile.js';

type RowBuilder = (F: Float64Array, base: number, id: string[], ts: string, ports: number[], C: FlowValue[], L: (x: number) => number, E: string) => FlowObject;

const builders = new WeakMap<FlowProfile, { plain: RowBuilder; withEnd: RowBuilder }>();

/** Java-long printing of a feature: truncation toward zero, non-finite values kept. */
const toLong = (x: number): number => (Number.isFinite(x) ? Math.trunc(x) + 0 : x);

/**
 * Per-column output scale of time-span features, read off lib/flow's own toObjects on a probe row
 * (every feature = 1e6), so the rule that decides which features are time spans stays in one place.
 */
function probeScales(p: FlowProfile): number[] {
  const probe = allocFlowBatch(p.name, 1);
  probe.count = 1;
  probe.features.fill(1e6);
  const o = toObjects(probe, p)[0];
  return p.columns.map((c) => {
    if (c.source.kind !== 'feature') return 1;
    const v = o[c.header.trim()];
    return typeof v === 'number' && v !== 0 ? v / 1e6 : 1;
  });
}

function compile(p: FlowProfile): { plain: RowBuilder; withEnd: RowBuilder } {
  const scales = probeScales(p);
  const parts: string[] = [];
  p.columns.forEach((c, i) => {
    const key = JSON.stringify(c.header.trim());
    let expr: string;
    switch (c.source.kind) {
      case 'feature': {
        const f = featureIndex(c.source.feature);
        const x = scales[i] === 1 ? `F[base + ${f}]` : `F[base + ${f}] * ${scales[i]}`;
        expr = c.format === 'long' ? `L(${x})` : x;
        break;
      }
      case 'flowId': expr = 'id[0]'; break;
      case 'srcIp': expr = 'id[1]'; break;
      case 'dstIp': expr = 'id[2]'; break;
      case 'srcPort': expr = 'ports[0]'; break;
      case 'dstPort': expr = 'ports[1]'; break;
      case 'protocol': expr = 'ports[2]'; break;
      case 'timestamp': expr = 'ts'; break;
      default: expr = `C[${i}]`;
    }
    parts.push(`${key}: ${expr}`);
  });
  const args = ['F', 'base', 'id', 'ts', 'ports', 'C', 'L', 'E'];
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const plain = new Function(...args, `return { ${parts.join(', ')} };`) as RowBuilder;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const withEnd = new Function(...args, `return { ${parts.join(', ')}, "Flow End": E };`) as RowBuilder;
  return { plain, withEnd };
}

/** Flow objects of a batch, identical to lib/flow `toObjects(b, p, { includeEndReason })`. */
export function fastFlowObjects(b: FlowBatch, p: FlowProfile, includeEndReason = false): FlowObject[] {
  // Profiles with their own object writer (e.g. the prototype's) keep it.
  if ((p as { custom?: unknown }).custom) return toObjects(b, p, { includeEndReason });
  let c = builders.get(p);
  if (!c) { c = compile(p); builders.set(p, c); }
  const build = includeEndReason ? c.withEnd : c.plain;
  const constants: FlowValue[] = p.columns.map((col) => (col.source.kind === 'constant' ? col.source.value : ''));
  const out = new Array<FlowObject>(b.count);
  const id = ['', '', ''];
  const ports = [0, 0, 0];
  // One identity object reused for every row (what flowIdentity() builds per row, without its two
  // typed-array views and object per flow): less garbage at 100k+ flows per second.
  const ident = reusableFlowIdentity();
  for (let r = 0; r < b.count; r++) {
    fillFlowIdentity(ident, b, r);
    id[0] = p.formatFlowId(ident);
    id[1] = ident.srcIp;
    id[2] = ident.dstIp;
    ports[0] = ident.srcPort;
    ports[1] = ident.dstPort;
    ports[2] = ident.protocol;
    out[r] = build(b.features, r * NUM_FEATURES, id, p.formatTimestamp(b.startUs[r]), ports, constants, toLong, END_REASON_NAMES[b.endReason[r]]);
  }
  addSignatures(b, out);
  return out;
}
