/**
 * What a GraphQL request must pass before Yoga parses it: a bounded body (small for anonymous
 * callers, larger with an API token), JSON nested no deeper than a bound (checked on the text,
 * before any parser recurses), and, for anonymous callers, no introspection. Refusals are
 * GraphQL-shaped error responses with the status and code of the one error mapper.
 */
import type { ValidationRule } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { jsonNestsDeeperThan } from '../../core/json-depth.js';
import type { RequestLimits } from '../../platform/config.js';
import type { ReadServices } from '../../services/read-services.js';
import { statusForCode } from '../http/errors.js';

/** Nesting of a request body's JSON (query, variables, extensions); EPCIS documents as variables stay far below it. */
export const MAX_JSON_DEPTH = 64;

const JSON_TYPES = /^application\/(graphql-response\+)?json\b|^application\/graphql\+json\b/i;

export function graphqlErrorResponse(code: string, message: string, details?: Record<string, unknown>, headers: Record<string, string> = {}): Response {
  const body = { errors: [{ message, extensions: { code, ...(details ? { details } : {}) } }] };
  return new Response(JSON.stringify(body), { status: statusForCode(code), headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
}

class Refusal extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** The body as text, refused once it passes `limit` bytes (the declared length is checked before reading). */
async function boundedText(request: Request, limit: number): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  const tooLarge = () => new Refusal('PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes${request.headers.get('authorization') ? '' : ' (callers without an API token)'}`, { limit });
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a POST body the guarded way; GET requests (query in the URL) go to Yoga's own parser. */
async function parseGuarded(request: Request, limit: number): Promise<Record<string, unknown>> {
  const type = request.headers.get('content-type') ?? '';
  const text = await boundedText(request, limit);
  if (/^application\/graphql\b/i.test(type)) return { query: text };
  if (!JSON_TYPES.test(type)) throw new Refusal('UNSUPPORTED_MEDIA_TYPE', 'a GraphQL POST body must be application/json', { contentType: type });
  if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) throw new Refusal('JSON_TOO_DEEP', `request body nests JSON more than ${MAX_JSON_DEPTH} levels deep`, { maxDepth: MAX_JSON_DEPTH });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Refusal('MALFORMED_JSON', 'request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Refusal('BAD_REQUEST', 'a GraphQL request body is one JSON object (batching is not supported)');
  return parsed as Record<string, unknown>;
}

/**
 * Refuses __schema and __type (graphql-js has NoSchemaIntrospectionCustomRule, but from another
 * module instance than Yoga's its type checks fail; errors are made with Yoga's own class).
 */
const noIntrospection: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value === '__schema' || node.name.value === '__type') {
      context.reportError(
        createGraphQLError(`GraphQL introspection is for members: "${node.name.value}" needs an API token (Authorization: Bearer pvn_...)`, {
          nodes: [node],
          extensions: { code: 'UNAUTHENTICATED' },
        }),
      );
    }
  },
});

function isLimitError(error: { extensions?: Record<string, unknown> }): boolean {
  return error.extensions?.['code'] === 'GRAPHQL_LIMIT_EXCEEDED';
}

export function requestGuard(reads: ReadServices, limits: Pick<RequestLimits, 'graphqlAnonymousBodyBytes' | 'graphqlBodyBytes'>): Plugin {
  const authenticated = new WeakSet<Request>();
  return {
    async onRequestParse({ request, setRequestParser }) {
      const auth = request.headers.get('authorization') ? await reads.authenticate(request.headers.get('authorization')) : undefined;
      if (auth?.viewer) authenticated.add(request);
      if (request.method !== 'POST') return;
      const limit = auth?.viewer ? limits.graphqlBodyBytes : limits.graphqlAnonymousBodyBytes;
      setRequestParser(async (req) => {
        try {
          return await parseGuarded(req, limit);
        } catch (err) {
          if (err instanceof Refusal) return graphqlErrorResponse(err.code, err.message, err.details);
          throw err;
        }
      });
    },
    // Yoga marks parse errors (graphql-armor's token limit fails the parse) as 200 for JSON clients;
    // a limit is a refusal of the request, so it keeps its 400.
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || !('errors' in result) || !result.errors?.some(isLimitError)) return;
      setResult({
        ...result,
        errors: result.errors.map((e) => (isLimitError(e) ? createGraphQLError(e.message, { extensions: { ...e.extensions, http: { status: statusForCode('GRAPHQL_LIMIT_EXCEEDED') } } }) : e)),
      });
    },
    onValidate({ addValidationRule, context }) {
      const request = (context as { request?: Request }).request;
      // Introspection is for members (GraphiQL's schema view needs the Authorization header).
      if (!request || !authenticated.has(request)) addValidationRule(noIntrospection);
    },
  };
}
