/**
 * Deploy-time check: do the flow meter's columns for the card's profile cover the model's columns?
 * Catches a model that would never get its inputs before any flow arrives.
 */
import { sourceColumns, type ModelCard } from './card.js';

export interface ProfileCheck {
  /** profile unknown to this flow meter (e.g. a third-party 'cicflowmeter-2018' name) */
  unknownProfile: boolean;
  missing: string[];
}

export async function checkCardAgainstProfile(card: ModelCard): Promise<ProfileCheck> {
  const { getProfile, columnNames } = await import('../flow/index.js');
  let names: string[];
  try {
    names = columnNames(getProfile(card.profile));
  } catch {
    return { unknownProfile: true, missing: [] };
  }
  const have = new Set(names);
  return { unknownProfile: false, missing: sourceColumns(card).filter((c) => !have.has(c)) };
}

export function profileMismatchMessage(card: ModelCard, missing: string[]): string {
  return `model "${card.name}" expects ${missing.length} column(s) the '${card.profile}' flow-meter profile does not produce: ${missing.join(', ')}. Expected columns: ${sourceColumns(card).join(', ')}`;
}
