/**
 * Which flow columns become model features.
 *
 * Flow objects (the `deepmad/flows` contract) map a profile's column names to values. Column names
 * differ between profiles and tools ("Total Fwd Packet" vs " Total Fwd Packets", "Src IP" vs
 * "Source IP"), so names are compared through `columnKey`, which ignores case, blanks and
 * punctuation.
 *
 * Identity columns are dropped by default because they name *who* talked, not *how*:
 * - Flow ID, source/destination addresses: a model that sees them learns the lab network's hosts
 *   (CIC-IDS2017's attackers all sit on a handful of addresses) and fails elsewhere.
 * - Source port: an ephemeral, random number; pure noise to a model.
 * - Timestamp: the wall-clock time of the capture, not a behaviour.
 * - Label, and dataset bookkeeping (`id`, `Attempted Category`): the answer, not a feature.
 * Destination Port and Protocol are kept: they identify the service (CIC-IDS2017's
 * MachineLearningCVE feature set keeps Destination Port too) and are properties of the traffic.
 */
export type FlowRecord = Record<string, unknown>;

/** Case-, blank- and punctuation-insensitive key for matching column names across dialects. */
export function columnKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Identity and bookkeeping columns in every known dialect, as `columnKey`s. */
export const IDENTITY_COLUMN_KEYS: ReadonlySet<string> = new Set([
  'flowid', 'flow', 'id',
  'srcip', 'sourceip', 'src', 'dstip', 'destinationip', 'dst',
  'srcport', 'sourceport',
  'timestamp',
  'label', 'attemptedcategory',
]);

export function isIdentityColumn(name: string): boolean {
  return IDENTITY_COLUMN_KEYS.has(columnKey(name));
}

/** Converts a flow cell to a number: numbers as is, numeric strings parsed, anything else NaN. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const t = v.trim();
    return t === '' ? NaN : Number(t);
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  return NaN;
}

export interface ColumnChoice {
  /** Keep exactly these columns, in this order (names as in the scaler or the flows). */
  columns?: readonly string[];
  /** Extra columns to drop (on top of identity columns unless `keepIdentity`). */
  drop?: readonly string[];
  /** Keep identity columns (addresses, ports, timestamp…) when they are numeric. */
  keepIdentity?: boolean;
}

/**
 * Picks the feature columns from a sample flow: every column whose value is numeric (a number or a
 * numeric string), minus identity columns and `drop`, in the flow's own key order.
 */
export function chooseFeatureColumns(sample: FlowRecord, choice: ColumnChoice = {}): string[] {
  if (choice.columns && choice.columns.length > 0) return [...choice.columns];
  const drop = new Set((choice.drop ?? []).map(columnKey));
  const out: string[] = [];
  for (const [name, value] of Object.entries(sample)) {
    const key = columnKey(name);
    if (drop.has(key)) continue;
    if (!choice.keepIdentity && IDENTITY_COLUMN_KEYS.has(key)) continue;
    const n = toNumber(value);
    // A column counts as numeric when it parses, or is a non-finite number spelled as such.
    if (Number.isNaN(n) && !(typeof value === 'string' && /^\s*nan\s*$/i.test(value))) continue;
    out.push(name);
  }
  return out;
}

/**
 * Resolves each wanted column to the key it has in the flow objects, matching exactly first and
 * through `columnKey` second. Returns the flow-side names; throws naming every column it cannot find.
 */
export function resolveColumns(wanted: readonly string[], sample: FlowRecord): string[] {
  const byKey = new Map<string, string>();
  for (const name of Object.keys(sample)) {
    const k = columnKey(name);
    if (!byKey.has(k)) byKey.set(k, name);
  }
  const missing: string[] = [];
  const out = wanted.map((w) => {
    if (Object.prototype.hasOwnProperty.call(sample, w)) return w;
    const hit = byKey.get(columnKey(w));
    if (hit === undefined) missing.push(w);
    return hit ?? w;
  });
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).map((m) => `'${m}'`).join(', ');
    throw new Error(
      `flows lack ${missing.length} of the ${wanted.length} scaler columns (${shown}${missing.length > 5 ? ', …' : ''}); ` +
        'was the scaler fitted on flows from another flow-meter profile?',
    );
  }
  return out;
}
