/**
 * Profile registry. A new profile is one file exporting a FlowProfile, registered here; the engine
 * reads only `behaviour`, the writers only `columns`/`format*`/`timeScale`.
 */
import type { FlowProfile } from '../profile.js';
import { cicIds2017 } from './cic-ids2017.js';
import { cicflowmeter4 } from './cicflowmeter-4.js';
import { improved } from './improved.js';
import { prc } from './prc.js';

const registry = new Map<string, FlowProfile>([
  [improved.name, improved],
  [cicIds2017.name, cicIds2017],
  [cicflowmeter4.name, cicflowmeter4],
  [prc.name, prc],
]);

export const DEFAULT_PROFILE = 'improved';

export function registerProfile(p: FlowProfile): void { registry.set(p.name, p); }

export function profileNames(): string[] { return [...registry.keys()]; }

/** A profile by name (or the object itself); throws a friendly error listing the known names. */
export function getProfile(p: string | FlowProfile | undefined): FlowProfile {
  if (p && typeof p === 'object') return p;
  const name = p ?? DEFAULT_PROFILE;
  const found = registry.get(name);
  if (!found) throw new Error(`unknown flow profile '${name}' (known: ${profileNames().join(', ')})`);
  return found;
}

export { improved, cicIds2017, cicflowmeter4, prc };
