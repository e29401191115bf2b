/**
 * Which event fields capture commits instead of signing in clear (docs/redaction.md): the fields the
 * read policy may withhold from a viewer who sees the event. Pure.
 */
import { findingOf, isInspectionFinding } from '../lineage/visibility.js';
import { WITHHELD_KEY } from './withheld.js';

/** A customs declaration and a price, on any event. */
export const SENSITIVE_EXTENSIONS: readonly string[] = ['provenant:declaration', 'provenant:price'];

/**
 * Inspection members that stay in clear: the correction link (readers match it across records) and
 * citations, which are already hashes (documents) or commitments (persons).
 */
export const FINDING_CLEAR_FIELDS: ReadonlySet<string> = new Set(['errorDeclaration', 'provenant:documents', 'provenant:personRef', WITHHELD_KEY]);

/** The members of the event to commit: an inspection's finding (disposition and every non-structural member), customs declarations, prices. */
export function withheldPathsOf(event: unknown): string[] {
  const paths = new Set<string>();
  if (isInspectionFinding(event)) for (const k of Object.keys(findingOf(event) ?? {})) if (!FINDING_CLEAR_FIELDS.has(k)) paths.add(k);
  if (event && typeof event === 'object' && !Array.isArray(event)) for (const k of SENSITIVE_EXTENSIONS) if ((event as Record<string, unknown>)[k] !== undefined) paths.add(k);
  return [...paths].sort();
}
