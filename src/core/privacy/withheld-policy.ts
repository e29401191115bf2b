/**
 * Which event fields capture commits instead of signing in clear (docs/redaction.md): the fields the
 * read policy may withhold from a viewer who sees the event. Pure.
 */
import { findingOf, isInspectionFinding } from '../lineage/visibility.js';
import { CLEAR_EVENT_ID_KEY, WITHHELD_KEY } from './withheld.js';

/** A customs declaration and a price, on any event. */
export const SENSITIVE_EXTENSIONS: readonly string[] = ['provenant:declaration', 'provenant:price'];

/**
 * Inspection members that stay in clear: the correction link (readers match it across records) and
 * citations, which are already hashes (documents) or commitments (persons).
 */
export const FINDING_CLEAR_FIELDS: ReadonlySet<string> = new Set(['errorDeclaration', 'provenant:documents', 'provenant:personRef', WITHHELD_KEY, CLEAR_EVENT_ID_KEY]);

/**
 * The members of the event to commit: the guessable part of an inspection's finding (its
 * disposition and its extension members, such as a post-mortem's text), customs declarations,
 * prices. The finding's GS1 structures (sensor data, ILMD, source and business-transaction lists)
 * stay signed in clear: capture validates them and EPCIS queries filter on them; the read policy
 * still withholds them from viewers outside the finding.
 */
export function withheldPathsOf(event: unknown): string[] {
  const paths = new Set<string>();
  if (isInspectionFinding(event)) {
    for (const k of Object.keys(findingOf(event) ?? {})) if (!FINDING_CLEAR_FIELDS.has(k) && (k === 'disposition' || k.includes(':'))) paths.add(k);
  }
  if (event && typeof event === 'object' && !Array.isArray(event)) for (const k of SENSITIVE_EXTENSIONS) if ((event as Record<string, unknown>)[k] !== undefined) paths.add(k);
  return [...paths].sort();
}
