/**
 * Salted commitments to withheld event fields (docs/redaction.md). A field that some viewers may not
 * see (an inspection finding, a customs declaration, a price) enters the signed record only as
 * `taggedHash(WITHHELD_FIELD, salt || JCS(value))` under `provenant:withheld`; the value and its
 * 32-byte salt are held off-chain, so a viewer who holds the record but not the salt cannot confirm
 * a guess, and erasing the opening leaves the record valid. Pure: no I/O.
 */
import { randomBytes } from 'node:crypto';
import { HashTag, canonicalBytes, concatBytes, fromHex, taggedHash, toHex, type JsonValue } from '../crypto/index.js';
import { PrivacyError, SALT_BYTES } from './commitment.js';

/** The event member that lists the commitments (signed with the event, payload format 3). */
export const WITHHELD_KEY = 'provenant:withheld';

/** The signed member stating a committed event's clear-form event hash ID (withheld-identity.ts). */
export const CLEAR_EVENT_ID_KEY = 'provenant:clearEventId';

/** One committed field, as signed: `path` is the event member's name. */
export interface WithheldCommitment {
  path: string;
  /** Lower-case hex taggedHash(WITHHELD_FIELD, salt || JCS(value)). */
  commitment: string;
}

/** A commitment with its opening (held off-chain; shown to entitled viewers). */
export interface WithheldOpening extends WithheldCommitment {
  value: JsonValue;
  /** Lower-case hex of the 32-byte salt. */
  salt: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
/** A top-level event member: no nesting, so a path is the member's exact name. */
const PATH = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/;

function saltBytes(salt: Uint8Array | string): Uint8Array {
  const bytes = typeof salt === 'string' ? (HEX64.test(salt) ? fromHex(salt, SALT_BYTES) : new Uint8Array(0)) : salt;
  if (bytes.length !== SALT_BYTES) throw new PrivacyError('INVALID_SALT', `salt must be ${SALT_BYTES} bytes (64 lower-case hex digits)`, { expected: SALT_BYTES });
  return bytes;
}

/** taggedHash(WITHHELD_FIELD, salt || JCS(value)), lower-case hex. */
export function withheldCommitmentOf(value: JsonValue, salt: Uint8Array | string): string {
  if (value === undefined) throw new PrivacyError('INVALID_WITHHELD_VALUE', 'a withheld value must be JSON', {});
  return toHex(taggedHash(HashTag.WITHHELD_FIELD, concatBytes(saltBytes(salt), canonicalBytes(value))));
}

/** Commits one field; a fresh random salt unless one is given (to reproduce a commitment). */
export function commitField(path: string, value: JsonValue, salt: Uint8Array | string = new Uint8Array(randomBytes(SALT_BYTES))): WithheldOpening {
  const bytes = saltBytes(salt);
  return { path, commitment: withheldCommitmentOf(value, bytes), value, salt: toHex(bytes) };
}

/** True when (value, salt) opens the commitment. Malformed input is simply not an opening. */
export function checkOpening(opening: { commitment: unknown; value: unknown; salt: unknown }): boolean {
  try {
    return typeof opening.commitment === 'string' && HEX64.test(opening.commitment) && typeof opening.salt === 'string' && withheldCommitmentOf(opening.value as JsonValue, opening.salt) === opening.commitment;
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The commitments an event carries (empty when it has none). Throws PrivacyError
 * ('MALFORMED_WITHHELD') unless the list is non-empty, each entry exactly {path, commitment},
 * paths sorted and unique, no path naming a member the event also states in clear.
 */
export function withheldOf(event: unknown): WithheldCommitment[] {
  if (!isRecord(event) || !(WITHHELD_KEY in event)) return [];
  const list = event[WITHHELD_KEY];
  const bad = (message: string, index?: number) => new PrivacyError('MALFORMED_WITHHELD', `${WITHHELD_KEY}: ${message}`, index === undefined ? {} : { index });
  if (!Array.isArray(list) || list.length === 0) throw bad('must be a non-empty array');
  let previous = '';
  return list.map((entry: unknown, i) => {
    if (!isRecord(entry) || Object.keys(entry).length !== 2) throw bad('each entry is exactly {path, commitment}', i);
    const { path, commitment } = entry;
    if (typeof path !== 'string' || !PATH.test(path) || path === WITHHELD_KEY) throw bad('path must name a top-level event member', i);
    if (typeof commitment !== 'string' || !HEX64.test(commitment)) throw bad('commitment must be 64 lower-case hex digits', i);
    if (path <= previous) throw bad('paths must be sorted and unique', i);
    if (path in event) throw bad(`"${path}" is both withheld and stated`, i);
    previous = path;
    return { path, commitment };
  });
}

/** True when the event carries commitments (whether or not they are well formed). */
export function carriesWithheld(event: unknown): boolean {
  return isRecord(event) && WITHHELD_KEY in event;
}

/**
 * Moves `paths` of the event into commitments: the committed event (what is signed) and the
 * openings (held off-chain). Paths the event does not state are skipped; none left: the event as is.
 */
export function commitEventFields(event: Record<string, unknown>, paths: readonly string[], salt: () => Uint8Array = () => new Uint8Array(randomBytes(SALT_BYTES))): { event: Record<string, unknown>; openings: WithheldOpening[] } {
  if (carriesWithheld(event)) throw new PrivacyError('MALFORMED_WITHHELD', `the event already carries ${WITHHELD_KEY}`, {});
  const chosen = [...new Set(paths)].filter((p) => event[p] !== undefined).sort();
  if (chosen.length === 0) return { event, openings: [] };
  const openings = chosen.map((p) => commitField(p, event[p] as JsonValue, salt()));
  const committed: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(event)) if (!chosen.includes(k)) committed[k] = v;
  committed[WITHHELD_KEY] = openings.map(({ path, commitment }) => ({ path, commitment }));
  return { event: committed, openings };
}

/** The event without its commitments and stated clear event ID: once every commitment is opened, what its signer captured. */
export function withoutCommitments(event: Record<string, unknown>): Record<string, unknown> {
  const { [WITHHELD_KEY]: _withheld, [CLEAR_EVENT_ID_KEY]: _clearId, ...clear } = event;
  return clear;
}

/** The event as captured: each opened field back in place (unopened ones stay committed only). */
export function openEvent(event: Record<string, unknown>, openings: readonly WithheldOpening[]): Record<string, unknown> {
  const byCommitment = new Map(openings.map((o) => [o.commitment, o]));
  const out: Record<string, unknown> = { ...event };
  for (const c of withheldOf(event)) {
    const o = byCommitment.get(c.commitment);
    if (o && o.path === c.path) out[c.path] = o.value;
  }
  return out;
}
