/**
 * Withheld fields of an event as a viewer may see them (docs/redaction.md): every viewer shown the
 * event gets each commitment; a viewer who sees it in full also gets value and salt, with the
 * verdict of checking them (an opening edited in the store shows FAILED).
 */
import type { JsonValue } from '../core/crypto/index.js';
import { checkOpening, withheldOf, withoutCommitments, type WithheldCommitment } from '../core/privacy/withheld.js';
import type { Database } from '../store/database.js';
import { openingOfRow, WithheldStore, type WithheldRow } from '../store/withheld-store.js';

/** VERIFIED: value and salt open the commitment; FAILED: they do not (or the stored value is not JSON); WITHHELD: not yours to open; ERASED: the opening is gone. */
export type WithheldVerdict = 'VERIFIED' | 'FAILED' | 'WITHHELD' | 'ERASED';

export interface WithheldView {
  path: string;
  commitment: string;
  value: JsonValue | null;
  salt: string | null;
  verdict: WithheldVerdict;
}

/** The commitments an event carries; a malformed list is none (the record verifier names it). */
export function commitmentsOf(event: unknown): WithheldCommitment[] {
  try {
    return withheldOf(event);
  } catch {
    return [];
  }
}

function viewOf(c: WithheldCommitment, row: WithheldRow | undefined, open: boolean): WithheldView {
  const base = { path: c.path, commitment: c.commitment };
  if (!open) return { ...base, value: null, salt: null, verdict: 'WITHHELD' };
  if (!row || (row.valueText === null && row.salt === null)) return { ...base, value: null, salt: null, verdict: 'ERASED' };
  const opening = openingOfRow(row);
  const verdict = opening !== null && opening.path === c.path && checkOpening(opening) ? 'VERIFIED' : 'FAILED';
  return { ...base, value: opening?.value ?? null, salt: row.salt, verdict };
}

export interface WithheldSubject {
  recordHash: string;
  event: unknown;
  /** The viewer sees the event in full (VISIBLE), so it may open the commitments. */
  open: boolean;
}

/** The withheld views of each subject, by record hash (one query for all). */
export async function withheldViews(db: Database, consortiumId: string, subjects: readonly WithheldSubject[]): Promise<Map<string, WithheldView[]>> {
  const out = new Map<string, WithheldView[]>();
  const committed = subjects.map((s) => ({ ...s, commitments: commitmentsOf(s.event) })).filter((s) => s.commitments.length > 0);
  const toOpen = committed.filter((s) => s.open).map((s) => s.recordHash);
  const rows = await new WithheldStore(db).byRecords(consortiumId, toOpen);
  for (const s of committed) {
    const byCommitment = new Map((rows.get(s.recordHash) ?? []).map((r) => [r.commitment, r]));
    out.set(s.recordHash, s.commitments.map((c) => viewOf(c, byCommitment.get(c.commitment), s.open)));
  }
  return out;
}

/**
 * The event with each verified opening back in place; others stay committed. With every one
 * verified, the event exactly as its signer captured it (the commitments beside the event, in `withheld`).
 */
export function openedEvent(event: unknown, views: readonly WithheldView[]): unknown {
  if (views.length === 0 || !event || typeof event !== 'object' || Array.isArray(event)) return event;
  const out: Record<string, unknown> = { ...(event as Record<string, unknown>) };
  for (const v of views) if (v.verdict === 'VERIFIED') out[v.path] = v.value;
  return views.every((v) => v.verdict === 'VERIFIED') ? withoutCommitments(out) : out;
}
