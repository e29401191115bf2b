/**
 * Openings in a proof bundle (docs/redaction.md): an entitled viewer's bundle may carry the value
 * and salt of a bundled record's withheld-field commitments; each must name a commitment that
 * record's signed event carries, at its path, and open it. A bundle without openings (a redacted
 * viewer's) proves the records with their commitments only. Pure.
 */
import { checkOpening, withheldOf } from '../privacy/withheld.js';
import type { BundleRecord } from './bundle-types.js';

export type { BundleOpening } from './bundle-types.js';

const KEYS = ['recordHash', 'path', 'commitment', 'value', 'salt'];

type Check = (cond: boolean, path: string, code: string, message: string, extra?: { expected?: unknown; computed?: unknown }) => boolean;

function committedPaths(records: readonly BundleRecord[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of records) {
    const payload = r.record?.payload as { event?: unknown } | undefined;
    let list: ReturnType<typeof withheldOf>;
    try {
      list = withheldOf(payload?.event);
    } catch {
      list = [];
    }
    for (const c of list) out.set(`${r.hash}/${c.commitment}`, c.path);
  }
  return out;
}

/** Checks `openings` against the bundle's (already verified) records. */
export function checkBundleOpenings(openings: unknown, records: readonly BundleRecord[], check: Check): void {
  if (!check(Array.isArray(openings), '/openings', 'MALFORMED_BUNDLE', 'openings must be an array')) return;
  const committed = committedPaths(records);
  (openings as unknown[]).forEach((o, i) => {
    const at = `/openings/${i}`;
    const entry = o as Record<string, unknown>;
    const shaped = typeof o === 'object' && o !== null && !Array.isArray(o) && Object.keys(entry).length === KEYS.length && KEYS.every((k) => k in entry);
    if (!check(shaped, at, 'MALFORMED_BUNDLE', `opening ${i} needs exactly ${KEYS.join(', ')}`)) return;
    const path = committed.get(`${String(entry['recordHash'])}/${String(entry['commitment'])}`);
    if (!check(path !== undefined && path === entry['path'], at, 'OPENING_UNKNOWN', `opening ${i} names no commitment a bundled record signs at "${String(entry['path'])}"`, { expected: path, computed: entry['path'] })) return;
    check(checkOpening(entry as { commitment: unknown; value: unknown; salt: unknown }), `${at}/value`, 'OPENING_MISMATCH', `opening ${i}: value and salt do not open the commitment record ${String(entry['recordHash'])} signs for "${path}"`, { expected: entry['commitment'] });
  });
}
