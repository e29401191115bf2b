/**
 * Query results as an EPCISQueryDocument (EPCIS 2.0 sections 8.2.7 and 10; GS1 openapi.json,
 * epcisQueryDocument). Each event keeps the `@context` it was captured with: the document's
 * context is GS1's, plus every term the events' contexts define (the first definition of a term
 * wins), so extension prefixes keep their namespace.
 */
import { EPCIS_DOCUMENT_CONTEXT } from '../forms.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One document context from GS1's and the events' own contexts (strings kept in order, terms merged). */
export function mergeContexts(contexts: readonly unknown[]): unknown[] {
  const urls: string[] = [];
  const terms: Json = {};
  const add = (context: unknown): void => {
    if (typeof context === 'string') {
      if (!urls.includes(context)) urls.push(context);
    } else if (Array.isArray(context)) {
      context.forEach(add);
    } else if (isObject(context)) {
      for (const [term, value] of Object.entries(context)) if (!(term in terms)) terms[term] = value;
    }
  };
  add(EPCIS_DOCUMENT_CONTEXT);
  contexts.forEach(add);
  // GS1's context names the standard terms; any other URL (an older GS1 one, a partner's) follows it.
  return Object.keys(terms).length > 0 ? [...urls, terms] : urls;
}

export interface QueryDocumentOptions {
  /** SimpleEventQuery, or a named query's name. */
  queryName: string;
  subscriptionID?: string;
  creationDate: string;
  /** The `@context` of each event as captured (null when its record did not keep one). */
  contexts: readonly unknown[];
}

export function epcisQueryDocument(events: readonly unknown[], options: QueryDocumentOptions): Json {
  return {
    '@context': mergeContexts(options.contexts),
    type: 'EPCISQueryDocument',
    schemaVersion: '2.0',
    creationDate: options.creationDate,
    epcisBody: {
      queryResults: {
        ...(options.subscriptionID !== undefined ? { subscriptionID: options.subscriptionID } : {}),
        queryName: options.queryName,
        resultsBody: { eventList: [...events] },
      },
    },
  };
}
