/**
 * Named queries of the EPCIS 2.0 REST binding (POST/GET/DELETE /queries, /queries/{name}/events).
 * Each organisation names its own queries (a definition tells what it is interested in, so it is
 * never shown to another); running one answers exactly what GET /events with its parameters would.
 */
import { fromBase64Url, toBase64Url } from '../../core/crypto/encoding.js';
import { parseQueryDefinition, queryOfDefinition, type QueryDefinition } from '../../core/epcis/query/named-query.js';
import { QueryError, queryParameterError } from '../../core/epcis/query/query-errors.js';
import { createNamedQuery, deleteNamedQuery, namedQueries, namedQuery, type QueryOwner } from '../../store/named-query-store.js';
import type { NodeHandles } from '../node-handles.js';
import { requireViewer, type ReadContext } from '../read-context.js';
import type { EventQueries, QueryPage } from './event-queries.js';

export interface QueryList {
  queries: QueryDefinition[];
  nextPageToken: string | null;
}

function ownerOf(rc: ReadContext): QueryOwner {
  const viewer = requireViewer(rc);
  return { consortiumId: viewer.consortiumId, orgId: viewer.orgId };
}

const noSuchQuery = (name: string) => new QueryError('NO_SUCH_QUERY', `no named query ${name}`, { name });

export class NamedQueries {
  constructor(
    private readonly handles: NodeHandles,
    private readonly events: EventQueries,
  ) {}

  async create(rc: ReadContext, body: unknown): Promise<QueryDefinition> {
    const owner = ownerOf(rc);
    const definition = parseQueryDefinition(body);
    const created = await createNamedQuery(this.handles.db, owner, { name: definition.name, definition: JSON.stringify(definition.query), createdAt: new Date().toISOString() });
    if (!created) throw new QueryError('QUERY_EXISTS', `a named query ${definition.name} exists already`, { name: definition.name });
    return definition;
  }

  async get(rc: ReadContext, name: string): Promise<QueryDefinition> {
    const row = await namedQuery(this.handles.db, ownerOf(rc), name);
    if (!row) throw noSuchQuery(name);
    return { name: row.name, query: JSON.parse(row.definition) as Record<string, unknown> };
  }

  async list(rc: ReadContext, perPage: number, nextPageToken?: string): Promise<QueryList> {
    let after: string | undefined;
    if (nextPageToken !== undefined) {
      const bytes = fromBase64Url(nextPageToken);
      if (!bytes) throw queryParameterError('nextPageToken is not valid', { parameter: 'nextPageToken' });
      after = new TextDecoder().decode(bytes);
    }
    const rows = await namedQueries(this.handles.db, ownerOf(rc), perPage + 1, after);
    const page = rows.slice(0, perPage);
    const last = page.at(-1);
    return {
      queries: page.map((r) => ({ name: r.name, query: JSON.parse(r.definition) as Record<string, unknown> })),
      nextPageToken: rows.length > perPage && last ? toBase64Url(new TextEncoder().encode(last.name)) : null,
    };
  }

  async delete(rc: ReadContext, name: string): Promise<void> {
    if (!(await deleteNamedQuery(this.handles.db, ownerOf(rc), name))) throw noSuchQuery(name);
  }

  /** One page of the named query's events, as GET /events with its parameters answers. */
  async page(rc: ReadContext, name: string, perPage: number, nextPageToken?: string): Promise<QueryPage> {
    const definition = await this.get(rc, name);
    const query = queryOfDefinition(definition.query);
    return this.events.page(rc, { query, perPage, ...(nextPageToken !== undefined ? { nextPageToken } : {}) }, { queryName: name });
  }
}
