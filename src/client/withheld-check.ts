/**
 * Member-side check of withheld fields (docs/redaction.md): an answer's `withheld` list
 * ({path, commitment, value?, salt?}) against the commitments the signed event carries. A viewer
 * entitled to a field gets its value and salt and checks them here; others get the commitment only.
 */
import { checkOpening, withheldOf } from '../core/privacy/withheld.js';

export { WITHHELD_KEY, checkOpening, withheldCommitmentOf } from '../core/privacy/withheld.js';

export interface WithheldAnswer {
  path: string;
  commitment: string;
  value?: unknown;
  salt?: string | null;
}

/** OPENED: value and salt open the commitment; COMMITTED: no opening given; MISMATCH: they do not open it, or the signed event does not carry it. */
export type WithheldStatus = 'OPENED' | 'COMMITTED' | 'MISMATCH';

export interface WithheldCheck {
  path: string;
  commitment: string;
  status: WithheldStatus;
}

/**
 * Checks each entry; with `signedEvent` (the event as the record signs it), also that the entry is
 * one of its commitments at that path. Entries without a salt are COMMITTED.
 */
export function checkWithheld(withheld: readonly WithheldAnswer[], signedEvent?: unknown): WithheldCheck[] {
  let signed: Map<string, string> | undefined;
  if (signedEvent !== undefined) {
    try {
      signed = new Map(withheldOf(signedEvent).map((c) => [c.commitment, c.path]));
    } catch {
      signed = new Map();
    }
  }
  return withheld.map((w) => {
    const base = { path: w.path, commitment: w.commitment };
    if (signed && signed.get(w.commitment) !== w.path) return { ...base, status: 'MISMATCH' };
    if (w.salt === undefined || w.salt === null) return { ...base, status: 'COMMITTED' };
    return { ...base, status: checkOpening({ commitment: w.commitment, value: w.value, salt: w.salt }) ? 'OPENED' : 'MISMATCH' };
  });
}
