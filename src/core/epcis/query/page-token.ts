/**
 * nextPageToken of the REST binding (GS1 openapi.json, NextPageToken): an opaque cursor over the
 * query's order, bound to the query it continues. It carries the sort key of the last event
 * looked at (keyset paging: later captures never shift a page) and how many events earlier pages
 * returned (for eventCountLimit). A token grants nothing: every page is filtered by the read
 * policy again.
 */
import { canonicalBytes } from '../../crypto/jcs.js';
import { fromBase64Url, toBase64Url, toHex } from '../../crypto/encoding.js';
import { sha256 } from '../../crypto/hash.js';
import { queryFingerprintInput, type EventQuery } from './event-query.js';
import { queryParameterError } from './query-errors.js';

export interface PageCursor {
  /** Sort key (UTC time) and event hash ID of the last event looked at. */
  key: string;
  eventId: string;
  /** Events returned by the pages before. */
  returned: number;
}

interface TokenBody {
  v: 1;
  q: string;
  k: string;
  e: string;
  n: number;
}

/** A short digest of the query's parameters, paging ones excluded. */
export function queryFingerprint(query: EventQuery): string {
  const plain = JSON.parse(JSON.stringify(queryFingerprintInput(query))) as unknown;
  return toHex(sha256(canonicalBytes(plain))).slice(0, 32);
}

export function encodePageToken(query: EventQuery, cursor: PageCursor): string {
  const body: TokenBody = { v: 1, q: queryFingerprint(query), k: cursor.key, e: cursor.eventId, n: cursor.returned };
  return toBase64Url(new TextEncoder().encode(JSON.stringify(body)));
}

/** The cursor a token carries; QUERY_PARAMETER when it is not one of ours or belongs to another query. */
export function decodePageToken(query: EventQuery, token: string): PageCursor {
  const bad = (why: string) => queryParameterError(`nextPageToken ${why}; repeat the query's parameters with the token of its previous page`, { parameter: 'nextPageToken' });
  const bytes = fromBase64Url(token);
  if (!bytes) throw bad('is not valid');
  let body: Partial<TokenBody>;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes)) as Partial<TokenBody>;
  } catch {
    throw bad('is not valid');
  }
  if (body.v !== 1 || typeof body.k !== 'string' || typeof body.e !== 'string' || typeof body.n !== 'number' || !Number.isSafeInteger(body.n) || body.n < 0) throw bad('is not valid');
  if (body.q !== queryFingerprint(query)) throw bad('belongs to another query');
  return { key: body.k, eventId: body.e, returned: body.n };
}
