/**
 * The top-level lists of the EPCIS 2.0 REST binding (GS1 openapi.json: GET /epcs, /bizSteps,
 * /bizLocations, /readPoints, /dispositions): the values present in the events a caller may see,
 * in ascending order, paged with perPage and an opaque nextPageToken (the last value listed).
 * Each value is listed in the form its `/{resource}/{value}/events` query matches.
 */
import { fromBase64Url, toBase64Url } from '../../crypto/encoding.js';
import { DEFAULT_PER_PAGE, MAX_PER_PAGE } from './event-query.js';
import { queryParameterError } from './query-errors.js';

export type ValueResource = 'epcs' | 'bizSteps' | 'bizLocations' | 'readPoints' | 'dispositions';

/** The query parameter each resource's `/{resource}/{value}/events` sets, and whether a value shown only redacted may be listed. */
export const VALUE_RESOURCES: Record<ValueResource, { parameter: string; shownRedacted: boolean }> = {
  epcs: { parameter: 'MATCH_anyEPC', shownRedacted: true },
  bizSteps: { parameter: 'EQ_bizStep', shownRedacted: true },
  bizLocations: { parameter: 'EQ_bizLocation', shownRedacted: true },
  readPoints: { parameter: 'EQ_readPoint', shownRedacted: true },
  // A redacted event withholds its disposition (docs/access.md): only fully shown events count.
  dispositions: { parameter: 'EQ_disposition', shownRedacted: false },
};

export interface ValueListRequest {
  perPage: number;
  /** The last value of the previous page. */
  after?: string;
}

interface TokenBody {
  v: 1;
  r: string;
  k: string;
}

/** perPage and nextPageToken of a list request; any other parameter is a 400. */
export function parseValueListRequest(resource: ValueResource, params: Iterable<readonly [string, string]>): ValueListRequest {
  let perPage = DEFAULT_PER_PAGE;
  let after: string | undefined;
  const seen = new Set<string>();
  for (const [name, value] of params) {
    if (seen.has(name)) throw queryParameterError(`query parameter ${name} is given more than once`, { parameter: name });
    seen.add(name);
    if (name === 'perPage') {
      const n = /^\d+$/.test(value) ? Number(value) : NaN;
      if (!Number.isSafeInteger(n) || n < 1 || n > MAX_PER_PAGE) throw queryParameterError(`perPage must be an integer from 1 to ${MAX_PER_PAGE}`, { parameter: name, value });
      perPage = n;
    } else if (name === 'nextPageToken') {
      after = decodeValueToken(resource, value);
    } else {
      throw queryParameterError(`unknown query parameter ${name} (a list takes perPage and nextPageToken)`, { parameter: name });
    }
  }
  return { perPage, ...(after !== undefined ? { after } : {}) };
}

export function encodeValueToken(resource: ValueResource, last: string): string {
  const body: TokenBody = { v: 1, r: resource, k: last };
  return toBase64Url(new TextEncoder().encode(JSON.stringify(body)));
}

function decodeValueToken(resource: ValueResource, token: string): string {
  const bad = () => queryParameterError(`nextPageToken is not a token of /${resource}`, { parameter: 'nextPageToken' });
  const bytes = fromBase64Url(token);
  if (!bytes) throw bad();
  let body: Partial<TokenBody>;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes)) as Partial<TokenBody>;
  } catch {
    throw bad();
  }
  if (body.v !== 1 || body.r !== resource || typeof body.k !== 'string') throw bad();
  return body.k;
}
