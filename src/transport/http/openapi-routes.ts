/**
 * Provenant's own OpenAPI document at GET /openapi.json: GS1's EPCIS 2.0 REST binding
 * (assets/epcis/openapi.json) with the operations this node does not serve left out, and
 * Provenant's extensions added (signed synchronous capture, the event view with its proof
 * material, the subscription delivery log). Open to anyone, as a description of the interface,
 * with a documentation page rendered from it (openapi-page.ts).
 */
import { readFileSync } from 'node:fs';
import type { Express } from 'express';
import { assetPath } from '../../platform/assets.js';
import { OPENAPI_PAGE_STYLE, openApiPage } from './openapi-page.js';

type Json = Record<string, unknown>;

/** GS1 operations not served here (capture of a single event, token invalidation, the root resource). */
const NOT_SERVED: Record<string, readonly string[] | 'all'> = {
  '/': 'all',
  '/events': ['post'],
  '/nextPageToken/{token}': 'all',
};

const problem = { description: 'RFC 9457 problem details', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/RFC7807ProblemResponseBody' } } } };
const security = [{ bearer: [] as string[] }];

/** Provenant's routes beyond GS1's binding. */
const EXTENSIONS: Json = {
  '/epcis/capture': {
    post: {
      tags: ['Provenant'],
      summary: "Provenant's synchronous signed capture: each event becomes a record signed by the submitting organisation",
      description: 'Body: a capture envelope (docs/design/capture-submission.md). `?mode=partial` accepts what it can; `?wait=seal` answers once sealed.',
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
      responses: { '200': { description: 'Per-event results', content: { 'application/json': { schema: { type: 'object', properties: { results: { type: 'array', items: { type: 'object' } } } } } } }, '400': { description: 'Rejected' } },
    },
  },
  '/epcis/events/{eventID}': {
    get: {
      tags: ['Provenant'],
      summary: 'One captured event with its record, block, signer and corrections, as the read policy shows it',
      security,
      parameters: [{ in: 'path', name: 'eventID', required: true, schema: { type: 'string' } }],
      responses: { '200': { description: 'The event view', content: { 'application/json': { schema: { type: 'object' } } } }, '401': { description: 'No token' }, '404': { description: 'Absent or hidden' } },
    },
  },
  '/queries/{queryName}/subscriptions/{subscriptionID}/deliveries': {
    get: {
      tags: ['Provenant', 'Subscriptions'],
      summary: "A webhook subscription's delivery log, newest first",
      security,
      parameters: [
        { in: 'path', name: 'queryName', required: true, schema: { type: 'string' } },
        { in: 'path', name: 'subscriptionID', required: true, schema: { type: 'string' } },
      ],
      responses: {
        '200': {
          description: 'Delivery attempts',
          content: {
            'application/json': {
              schema: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['attemptedAt', 'eventCount', 'ok'],
                  properties: { id: { type: 'integer' }, subscriptionId: { type: 'string' }, attemptedAt: { type: 'string', format: 'date-time' }, eventCount: { type: 'integer' }, httpStatus: { type: 'integer', nullable: true }, ok: { type: 'boolean' }, error: { type: 'string', nullable: true } },
                },
              },
            },
          },
        },
        '404': problem,
      },
    },
  },
};

/** How this node reads GS1's operations, appended to their descriptions (tag-free: GS1's operation stays as it is). */
const NOTES: Record<string, Record<string, string>> = {
  '/queries/{queryName}/subscriptions': {
    post: [
      '## Provenant',
      'Both kinds are served: `"stream": true`, or a `schedule` (with `reportIfEmpty`, default false), never both.',
      'Schedule fields are strings of numbers and ranges `[a-b]`, comma-separated (a whole number is read as its text); times are UTC.',
      'A field left out matches any value when coarser than the finest field given, only its least value when finer (`{"hour": "1", "minute": "5"}` runs daily at 01:05:00).',
      'At each scheduled time the query runs over the events recorded since the previous run (the first run: since the subscription, or from `initialRecordTime`), in recordTime order, up to 100 events per POST;',
      'with `reportIfEmpty` an empty EPCISQueryDocument is sent when a run finds none. Runs missed while the node was down are made up by one run.',
      'A malformed schedule, or one that matches no time within eight years, is a 400 SubscriptionControlsException.',
      'Deliveries carry `GS1-Signature: sha256=<hex HMAC-SHA256(signatureToken, body)>`; a failed one is retried with back-off and logged (`.../{subscriptionID}/deliveries`).',
    ].join('\n'),
  },
};

/** The document this node serves (built once). */
export function provenantOpenApi(version: string): Json {
  const gs1 = JSON.parse(readFileSync(assetPath('epcis', 'openapi.json'), 'utf8')) as Json;
  const paths: Json = {};
  const components = (gs1['components'] ?? {}) as Json;
  for (const [path, item] of Object.entries(gs1['paths'] as Json)) {
    const skip = NOT_SERVED[path];
    if (skip === 'all') continue;
    const kept: Json = Object.fromEntries(
      Object.entries(item as Json)
        .filter(([method]) => !skip?.includes(method))
        .map(([method, op]) => {
          const note = NOTES[path]?.[method];
          return [method, note ? { ...(op as Json), description: `${String((op as Json)['description'] ?? '')}\n${note}\n` } : op];
        }),
    );
    paths[path] = kept;
  }
  return {
    ...gs1,
    info: {
      ...(gs1['info'] as Json),
      title: 'Provenant: EPCIS 2.0 REST binding and extensions',
      version,
      description: 'GS1 EPCIS 2.0 REST binding as served by a Provenant node (the operations it does not serve are left out), plus Provenant extensions (tag "Provenant"). Every route but /health needs an API token (Authorization: Bearer pvn_...).',
    },
    paths: { ...paths, ...EXTENSIONS },
    components: { ...components, securitySchemes: { ...((components['securitySchemes'] ?? {}) as Json), bearer: { type: 'http', scheme: 'bearer' } } },
  };
}

/** GET /openapi.json, and its documentation page at GET /openapi (style sheet /openapi/style.css, nothing else). */
export function mountOpenApi(app: Express, version = '0.1.0'): void {
  let document: Json | undefined;
  let json: string | undefined;
  let page: string | undefined;
  const doc = () => (document ??= provenantOpenApi(version));
  app.get('/openapi.json', (_req, res) => {
    json ??= JSON.stringify(doc());
    res.type('application/json').send(json);
  });
  // Non-strict routing: '/openapi/' is answered here too.
  app.get('/openapi', (_req, res) => {
    page ??= openApiPage(doc());
    res.type('text/html; charset=utf-8').send(page);
  });
  app.get('/openapi/style.css', (_req, res) => {
    res.type('text/css; charset=utf-8').send(OPENAPI_PAGE_STYLE);
  });
}
