/**
 * One lineage read for one viewer: the query's lineage context (its source wrapped so every event
 * row it reads is kept), the visibility decisions over those rows, the "may you ask about this
 * item" check, and the access log of what was shown.
 */
import type { EventRow, LineageEdge, LineageSource } from '../../core/lineage/graph.js';
import { edgesOfEvent, ITEM_EDGE_KINDS } from '../../core/lineage/graph.js';
import type { HopVerdict } from '../../core/lineage/verify-hop.js';
import { itemInScope, type ItemLink, type VisibilityViewer } from '../../core/lineage/visibility.js';
import type { Database } from '../../store/database.js';
import { LineageStore } from '../../store/lineage-store.js';
import { correctionsOf } from '../../store/correction-store.js';
import type { VisibilityStore } from '../../store/visibility-store.js';
import type { LedgerNode } from '../node/ledger-node.js';
import { hostedState } from '../node-handles.js';
import { forbidden, notFound, type ReadError } from '../read-errors.js';
import { requireMember, type ReadContext } from '../read-context.js';
import { isShownRead } from '../read-policy.js';
import type { EventDecisions, Visibility } from '../visibility.js';
import type { LineageContext } from './verify.js';

export interface LineageRequest {
  rc: ReadContext;
  lc: LineageContext;
  viewer: VisibilityViewer;
  facts: VisibilityStore;
  visibility: Visibility;
  /** Every event row the query read, by event id (recorded from the source). */
  rows: Map<string, EventRow>;
}

/** The query's lineage context, with its source wrapped so every event row it reads is kept for the visibility decisions. */
export function lineageRequest(rc: ReadContext, db: Database, node: LedgerNode, visibility: Visibility, consortiumId: string): LineageRequest {
  const viewer = requireMember(rc, consortiumId);
  const state = hostedState(node, consortiumId);
  const facts = visibility.store(consortiumId);
  if (!state || !facts) throw notFound(`unknown consortium "${consortiumId}"`, { consortium: consortiumId });
  const store = new LineageStore(db, consortiumId);
  const rows = new Map<string, EventRow>();
  const keep = (list: EventRow[]) => {
    for (const r of list) rows.set(r.eventId, r);
    return list;
  };
  // A proxy, so methods (and the memo) the lineage store gains later pass straight through.
  const source = new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (prop === 'eventsTouching' || prop === 'eventsById') return async (...args: unknown[]) => keep((await fn.apply(target, args)) as EventRow[]);
      return fn.bind(target);
    },
  }) as LineageStore & LineageSource;
  return { rc, lc: { source, evidence: source, state, index: node.trustedIndex(consortiumId), corrections: (ids) => correctionsOf(db, consortiumId, ids) }, viewer: { orgId: viewer.orgId, consortiumId, roles: viewer.roles }, facts, visibility, rows };
}

/** Lineage edges of the rows, as links for deciding what is upstream of what. */
export function itemLinks(rows: Iterable<EventRow>): ItemLink[] {
  const out: ItemLink[] = [];
  for (const row of rows) for (const e of edgesOfEvent(row)) if (ITEM_EDGE_KINDS.has(e.kind)) out.push({ from: e.from, to: e.to, kind: e.kind });
  return out;
}

/** Custody and location edges of the rows (the trace's context edges). */
export function contextEdgesOf(rows: Iterable<EventRow>): LineageEdge[] {
  return [...rows].flatMap((r) => edgesOfEvent(r).filter((e) => !ITEM_EDGE_KINDS.has(e.kind)));
}

export function hopNodes(hops: readonly HopVerdict[]): string[] {
  return [...new Set(hops.flatMap((h) => [h.edge.from, h.edge.to]))];
}

/**
 * Loads any referenced event the source did not hand back, then decides every row for the viewer.
 * `nodes`: the items the answer can show (walked in the index if the query's links leave them open).
 */
export async function decide(req: LineageRequest, start: string, nodes: Iterable<string>, referenced: Iterable<string> = [], verdictOnly = false): Promise<EventDecisions> {
  const missing = [...new Set(referenced)].filter((id) => !req.rows.has(id));
  if (missing.length > 0) for (const r of await req.facts.eventRows(missing)) req.rows.set(r.eventId, r);
  const rows = [...req.rows.values()];
  const consortiumId = req.viewer.consortiumId;
  return req.visibility.decideEvents(
    req.viewer,
    rows.map((r) => ({ eventId: r.eventId, consortiumId, signerOrg: r.signerOrg, event: r.event })),
    itemLinks(rows),
    { alsoScope: [start], probe: [start, ...nodes], verdictOnly },
  );
}

/** Item queries answer only about items the viewer holds or held, their lineage, cargo (customs), or items of its own events. */
export function requireInScope(req: LineageRequest, decided: EventDecisions, identifier: string): void {
  const own = new Set<string>();
  for (const r of req.rows.values()) if (r.signerOrg === req.viewer.orgId) for (const i of r.identifiers) own.add(i.identifier);
  if (!itemInScope(req.viewer, identifier, decided.scope, own)) throw outOfScope(identifier);
}

const NO_SCOPE = { custody: new Set<string>(), cargo: new Set<string>(), lineage: new Set<string>() };

/** The viewer may ask about any item (a regulator), so telling it which items exist reveals nothing. */
export function mayAskAboutAnyItem(req: LineageRequest, identifier: string): boolean {
  return itemInScope(req.viewer, identifier, NO_SCOPE);
}

/** The one refusal for an item that is not the viewer's to ask about, whether or not anyone recorded it. */
export function outOfScope(identifier: string): ReadError {
  return forbidden(`${identifier} is not in your custody, its lineage or your events; ask its holder or a regulator`, { identifier });
}

/**
 * An item nobody recorded: NOT_FOUND to a viewer who may ask about any item; to anyone else the
 * refusal of an item out of its scope, so the answer does not tell which identifiers exist.
 */
export function unrecorded(req: LineageRequest, identifier: string): ReadError {
  return mayAskAboutAnyItem(req, identifier) ? notFound(`no events for ${identifier}`, { identifier }) : outOfScope(identifier);
}

/** Access log: every shown event of another organisation, marked when its finding was withheld. */
export function logShown(req: LineageRequest, decided: EventDecisions, eventIds: Iterable<string>): void {
  for (const id of new Set(eventIds)) {
    const d = decided.decisions.get(id);
    if (req.rows.has(id) && isShownRead(d)) req.rc.access.record(d);
  }
}
