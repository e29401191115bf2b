/**
 * Named query definitions of the REST binding (GS1 openapi.json, QueryDefinition: `{ name, query }`,
 * the query an EPCISEventsQuery object of the same parameters GET /events takes, lists as arrays).
 */
import { parseEventQuery, type EventQuery } from './event-query.js';
import { QueryError } from './query-errors.js';

export const MAX_QUERY_NAME_LENGTH = 200;

export interface QueryDefinition {
  name: string;
  /** The parameters as posted. */
  query: Record<string, unknown>;
}

const invalid = (message: string, details: Record<string, unknown> = {}) => new QueryError('QUERY_VALIDATION', message, details);

/** The parameters of a definition as query-string pairs (arrays pipe-delimited). */
export function definitionParameters(query: Record<string, unknown>): [string, string][] {
  return Object.entries(query).map(([name, value]): [string, string] => {
    if (name === 'perPage' || name === 'nextPageToken') throw invalid(`${name} is a paging parameter, not part of a query definition`, { parameter: name });
    if (Array.isArray(value)) {
      if (value.some((v) => typeof v !== 'string' || v.includes('|'))) throw invalid(`${name} must be a list of strings (without '|')`, { parameter: name });
      return [name, value.join('|')];
    }
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return [name, String(value)];
    throw invalid(`${name} must be a string, a number, a boolean or a list of strings`, { parameter: name });
  });
}

/** The query a stored or posted definition asks; QUERY_VALIDATION when it is not a valid query. */
export function queryOfDefinition(query: Record<string, unknown>): EventQuery {
  try {
    return parseEventQuery(definitionParameters(query)).query;
  } catch (err) {
    if (err instanceof QueryError && err.code === 'QUERY_PARAMETER') throw invalid(err.message, { ...err.details, cause: err.code });
    throw err;
  }
}

/** A posted definition, checked: a name of printable characters and a valid query. */
export function parseQueryDefinition(body: unknown): QueryDefinition {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the body must be a query definition: { "name": ..., "query": { ... } }');
  const { name, query } = body as Record<string, unknown>;
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_QUERY_NAME_LENGTH || !/^[A-Za-z0-9._~-]+$/.test(name)) {
    throw invalid(`name must be 1 to ${MAX_QUERY_NAME_LENGTH} letters, digits or . _ ~ -`, { name });
  }
  if (typeof query !== 'object' || query === null || Array.isArray(query)) throw invalid('query must be an object of query parameters');
  queryOfDefinition(query as Record<string, unknown>);
  return { name, query: query as Record<string, unknown> };
}
