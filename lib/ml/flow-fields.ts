/**
 * Reading a few named fields from flow objects, for the stages after the model (lone-flow context,
 * behaviour rules). Flow objects come from several profiles, so each field has the names the flow
 * meter's profiles and the CIC CSVs print for it; a batch comes from one profile, so a name is picked
 * once per batch and then read by constant property name.
 */
import { SIGNATURE_FIELD, SIGNATURE_LABELS } from '../capture/payload-tells.js';

export { SIGNATURE_FIELD };

export const FWD_PACKETS_NAMES = ['Total Fwd Packet', 'Total Fwd Packets', ' Total Fwd Packets', 'Tot Fwd Pkts'];
export const BWD_PACKETS_NAMES = ['Total Bwd packets', 'Total Backward Packets', ' Total Backward Packets', 'Tot Bwd Pkts'];
export const FWD_BYTES_NAMES = ['Total Length of Fwd Packet', 'Total Length of Fwd Packets', ' Total Length of Fwd Packets', 'TotLen Fwd Pkts'];
export const SRC_IP_NAMES = ['Src IP', 'Source IP', ' Source IP'];
export const DST_IP_NAMES = ['Dst IP', 'Destination IP', ' Destination IP'];
export const DST_PORT_NAMES = ['Dst Port', 'Destination Port', ' Destination Port'];
export const PROTOCOL_NAMES = ['Protocol', ' Protocol'];
export const TIME_NAMES = ['Timestamp', ' Timestamp'];

export const isFlowObject = (f: unknown): f is Record<string, unknown> => typeof f === 'object' && f !== null;

/** The first of `names` the flow has, or undefined. */
export const pickName = (f: Record<string, unknown>, names: readonly string[]): string | undefined => names.find((n) => n in f);

export type FieldReader = (f: Record<string, unknown>, cell: unknown[]) => void;

/**
 * Reads the named fields of a flow object into `cell` (cell[i] = f[names[i]]; an undefined name reads
 * as undefined) by constant property names, in a function generated once per name set: a `flow[name]`
 * loop over ~90-key flow objects is a slow megamorphic keyed load.
 */
export function fieldReader(names: ReadonlyArray<string | undefined>): FieldReader {
  const sig = names.map((n) => n ?? '\u0001').join('\u0000');
  let r = readers.get(sig);
  if (!r) {
    // JSON.stringify makes every name a safe string literal
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    r = new Function('f', 'c', names.map((n, i) => `c[${i}] = ${n === undefined ? 'undefined' : `f[${JSON.stringify(n)}]`};`).join('\n')) as FieldReader;
    if (readers.size > 64) readers.clear();
    readers.set(sig, r);
  }
  return r;
}
const readers = new Map<string, FieldReader>();

/** A signature text ('Heartbleed', 'Web Attack - SQL Injection, Web Attack - XSS') → code, seeded with the single labels. */
const signatureCodes = new Map<string, number>(SIGNATURE_LABELS.map(([, label], i) => [label, i + 1]));

/**
 * The code of a flow's `Payload Signature` text: SIGNATURE_LABELS index + 1 of its first label that is
 * one of SIGNATURE_LABELS (labels are joined by ', '), 0 for '' or when none is known. A Map lookup per
 * call: the texts a flow meter writes are a few dozen distinct strings, each split once (bounded: an
 * input of made-up texts cannot grow it past 256).
 */
export function signatureCode(text: string): number {
  let code = signatureCodes.get(text);
  if (code === undefined) {
    code = 0;
    for (const part of text.split(',')) {
      const k = SIGNATURE_LABELS.findIndex(([, label]) => label === part.trim());
      if (k >= 0) { code = k + 1; break; }
    }
    if (signatureCodes.size >= 256) {
      signatureCodes.clear();
      SIGNATURE_LABELS.forEach(([, label], i) => signatureCodes.set(label, i + 1));
    }
    signatureCodes.set(text, code);
  }
  return code;
}
