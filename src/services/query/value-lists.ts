/**
 * The top-level lists of the EPCIS 2.0 REST binding (GET /epcs, /bizSteps, /bizLocations,
 * /readPoints, /dispositions): each value found in the consortium's events is listed only when
 * the read policy shows the caller at least one event with it (a disposition only from an event
 * shown in full, since a redacted event withholds it), so no value is learnt from hidden events.
 * Listing shows no event, so nothing is access-logged.
 */
import { parseEventQuery, type EventQuery } from '../../core/epcis/query/event-query.js';
import { QueryError } from '../../core/epcis/query/query-errors.js';
import { encodeValueToken, VALUE_RESOURCES, type ValueListRequest, type ValueResource } from '../../core/epcis/query/value-list.js';
import { distinctEventValues } from '../../store/event-query-store.js';
import type { NodeHandles } from '../node-handles.js';
import { requireViewer, type ReadContext } from '../read-context.js';
import type { EventQueries } from './event-queries.js';

/** Values looked at per request at most: a page may hold fewer than asked, its token continues. */
const VALUE_BUDGET = 1_000;

/** The query of `/{resource}/{value}/events`; none for a value it cannot name (a '|' would split it into a list). */
function queryOfValue(parameter: string, value: string): EventQuery | null {
  if (value.includes('|')) return null;
  try {
    return parseEventQuery([[parameter, value]]).query;
  } catch (err) {
    if (err instanceof QueryError) return null;
    throw err;
  }
}

export interface ValuePage {
  values: string[];
  nextPageToken: string | null;
}

export class ValueLists {
  constructor(
    private readonly handles: NodeHandles,
    private readonly events: EventQueries,
  ) {}

  async page(rc: ReadContext, resource: ValueResource, request: ValueListRequest): Promise<ValuePage> {
    const viewer = requireViewer(rc);
    const { parameter, shownRedacted } = VALUE_RESOURCES[resource];
    const values: string[] = [];
    let after = request.after;
    let looked = 0;
    let exhausted = false;
    while (values.length < request.perPage && looked < VALUE_BUDGET && !exhausted) {
      const batch = Math.min(VALUE_BUDGET - looked, Math.max(50, request.perPage - values.length));
      const candidates = await distinctEventValues(this.handles.db, viewer.consortiumId, resource, after, batch);
      exhausted = candidates.length < batch;
      for (const value of candidates) {
        looked++;
        after = value;
        const query = queryOfValue(parameter, value);
        if (query && (await this.events.anyShown(rc, query, { redacted: shownRedacted }))) values.push(value);
        if (values.length === request.perPage) {
          exhausted = exhausted && value === candidates.at(-1);
          break;
        }
      }
    }
    return { values, nextPageToken: !exhausted && after !== undefined ? encodeValueToken(resource, after) : null };
  }
}
