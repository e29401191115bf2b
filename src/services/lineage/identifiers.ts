/** Identifiers and depths as the lineage reads accept them (INVALID_IDENTIFIER otherwise). */
import { parseContainerNumber, parseIdentifier } from '../../core/identifiers/index.js';
import { ANIMAL_URN_PREFIX, canonicalIdentifier } from '../../core/rules/authorisation.js';
import { invalidIdentifier } from '../read-errors.js';
import { DEFAULT_MAX_DEPTH } from './verify.js';

const CONTAINER_URN_PREFIX = 'urn:provenant:container:';
export const MAX_DEPTH_LIMIT = 64;

/** Canonical identifier, or INVALID_IDENTIFIER when it is not a known kind (queries and subscriptions). */
export function checkedIdentifier(text: string): string {
  // The simulators and the demo name containers `urn:provenant:container:<ISO 6346>`.
  if (text.startsWith(CONTAINER_URN_PREFIX)) {
    try {
      return `${CONTAINER_URN_PREFIX}${parseContainerNumber(text.slice(CONTAINER_URN_PREFIX.length)).canonical}`;
    } catch (err) {
      throw invalidIdentifier(`"${text}" is not a recognised identifier: ${(err as Error).message}`, { identifier: text });
    }
  }
  const bare = text.startsWith(ANIMAL_URN_PREFIX) ? text.slice(ANIMAL_URN_PREFIX.length) : text;
  try {
    parseIdentifier(bare);
  } catch (err) {
    throw invalidIdentifier(`"${text}" is not a recognised identifier: ${(err as Error).message}`, { identifier: text });
  }
  return canonicalIdentifier(text);
}

export function checkedDepth(depth: number | null | undefined): number {
  const d = depth ?? DEFAULT_MAX_DEPTH;
  if (!Number.isSafeInteger(d) || d < 0 || d > MAX_DEPTH_LIMIT) throw invalidIdentifier(`maxDepth must be 0..${MAX_DEPTH_LIMIT}`, { maxDepth: depth });
  return d;
}

/** A UK ear tag as an animal identifier. */
export function checkedEarTag(text: string): string {
  const id = checkedIdentifier(text);
  if (!id.startsWith(ANIMAL_URN_PREFIX)) throw invalidIdentifier(`"${text}" is not a UK ear tag`, { identifier: text });
  return id;
}
