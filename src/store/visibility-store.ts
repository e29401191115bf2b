/**
 * The facts src/lineage/visibility.ts decides on, fetched in batches: what the viewer holds or
 * held (its own events and the Custody table), item links from the EventIdentifier index (to find
 * what is upstream of those), and the farms of origin of inspected animals.
 *
 * Cost: a viewer that holds the item a query starts from is decided from the query's own links
 * (one custody query). Otherwise the index is walked downstream from the undecided items, level by
 * level, until they are decided or `maxDepth`/`maxNodes` is reached (then they stay undecided:
 * not entitled).
 */
import type { ConsortiumState } from '../core/ledger/consortium.js';
import {
  eventFacts,
  grantsCargo,
  grantsLineage,
  handledIdentifiers,
  isRegulator,
  scopeFrom,
  EMPTY_SCOPE,
  type EventFacts,
  type EventFactsInput,
  type ItemLink,
  type ViewerScope,
  type VisibilityViewer,
} from '../core/lineage/visibility.js';
import { isAnimalIdentifier, PROVENANT_BIZSTEP } from '../core/rules/authorisation.js';
import type { EventRow } from '../core/lineage/graph.js';
import type { Database } from './database.js';

const IN_CHUNK = 400;
const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

function chunks<T>(items: readonly T[], size = IN_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function eventOfBody(body: string): unknown {
  try {
    return (JSON.parse(body) as { payload?: { event?: unknown } }).payload?.event;
  } catch {
    return undefined;
  }
}

export interface ScopeOptions {
  /** Further identifiers to decide scope for (the item a query starts from). */
  alsoScope?: Iterable<string>;
  /**
   * Items worth walking the index for, when the query's own links leave them undecided (default:
   * all). A query that can only show what it reaches passes its nodes: events about other items
   * then count as outside the lineage unless the query's links say otherwise (never more visible).
   */
  probe?: Iterable<string>;
  /** Levels of the index walked downstream from undecided items. */
  maxDepth?: number;
  /** Items visited by that walk before it gives up. */
  maxNodes?: number;
}

export const DEFAULT_SCOPE_LIMITS = { maxDepth: 32, maxNodes: 20_000 } as const;

/** What events are decided on for one viewer: their facts, and the viewer's scope over their items. */
export interface EventFactsAndScope {
  facts: Map<string, EventFacts>;
  scope: ViewerScope;
}

/** Upstream links only to the nearest animals: a dam's own farm is not the calf's farm of origin. */
function nearestAnimals(items: readonly string[], incoming: Map<string, string[]>): Set<string> {
  const animals = new Set<string>();
  const seen = new Set<string>(items);
  const stack = [...items];
  while (stack.length > 0) {
    const cur = stack.pop()!;
    if (isAnimalIdentifier(cur)) {
      animals.add(cur);
      continue;
    }
    for (const from of incoming.get(cur) ?? []) {
      if (seen.has(from)) continue;
      seen.add(from);
      stack.push(from);
    }
  }
  return animals;
}

export class VisibilityStore {
  constructor(
    private readonly db: Database,
    readonly consortiumId: string,
    private readonly state: ConsortiumState,
  ) {}

  /** Organisation behind a signing key (org key or device key); null when unknown. */
  ownerOfKey(keyId: string): string | null {
    return this.state.orgOfKey(keyId)?.id ?? null;
  }

  /** Identifiers the organisation held, among those given: items its own events took, released or had to hold, and current Custody rows. */
  async handledBy(orgId: string, identifiers: Iterable<string>): Promise<Set<string>> {
    return new Set((await this.handledSince(orgId, identifiers)).keys());
  }

  /** handledBy, with the log index of the organisation's first event that handled each (undefined: a Custody row alone). */
  async handledSince(orgId: string, identifiers: Iterable<string>): Promise<Map<string, number | undefined>> {
    const asked = [...new Set(identifiers)];
    const out = new Map<string, number | undefined>();
    for (const chunk of chunks(asked)) {
      const rows = await this.db.$queryRawUnsafe<{ body: string; logIndex: number | bigint }[]>(
        `SELECT r."body", r."logIndex" FROM "LedgerRecord" r
          WHERE r."hash" IN (SELECT DISTINCT e."recordHash" FROM "EventIdentifier" ei
                               JOIN "EpcisEvent" e ON e."consortiumId" = ei."consortiumId" AND e."eventId" = ei."eventId"
                              WHERE ei."consortiumId" = ? AND e."submitterOrg" = ? AND ei."identifier" IN (${marks(chunk.length)}))`,
        this.consortiumId,
        orgId,
        ...chunk,
      );
      for (const r of rows) {
        const at = Number(r.logIndex);
        for (const id of handledIdentifiers(eventOfBody(r.body))) {
          const seen = out.get(id);
          out.set(id, seen === undefined ? at : Math.min(seen, at));
        }
      }
      const held = await this.db.$queryRawUnsafe<{ identifier: string }[]>(
        `SELECT "identifier" FROM "Custody" WHERE "consortiumId" = ? AND "orgId" = ? AND "identifier" IN (${marks(chunk.length)})`,
        this.consortiumId,
        orgId,
        ...chunk,
      );
      for (const r of held) if (!out.has(r.identifier)) out.set(r.identifier, undefined);
    }
    return out;
  }

  /** The log index of each event's record (by event id, or by record hash for records read as events). */
  async positions(eventIds: Iterable<string>): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const chunk of chunks([...new Set(eventIds)])) {
      const rows = await this.db.$queryRawUnsafe<{ id: string; logIndex: number | bigint }[]>(
        `SELECT e."eventId" AS "id", r."logIndex" FROM "EpcisEvent" e JOIN "LedgerRecord" r ON r."hash" = e."recordHash"
          WHERE e."consortiumId" = ? AND e."eventId" IN (${marks(chunk.length)})
         UNION ALL
         SELECT r."hash" AS "id", r."logIndex" FROM "LedgerRecord" r WHERE r."consortiumId" = ? AND r."hash" IN (${marks(chunk.length)})`,
        this.consortiumId,
        ...chunk,
        this.consortiumId,
        ...chunk,
      );
      for (const r of rows) out.set(r.id, Number(r.logIndex));
    }
    return out;
  }

  /** Organisations that held each identifier (custody history from every signer's events). */
  async handlersOf(identifiers: Iterable<string>): Promise<Map<string, Set<string>>> {
    const asked = new Set(identifiers);
    const out = new Map<string, Set<string>>();
    for (const chunk of chunks([...asked])) {
      const rows = await this.db.$queryRawUnsafe<{ submitterOrg: string; body: string }[]>(
        `SELECT e."submitterOrg", r."body" FROM "EpcisEvent" e JOIN "LedgerRecord" r ON r."hash" = e."recordHash"
          WHERE e."consortiumId" = ? AND e."eventId" IN (SELECT DISTINCT "eventId" FROM "EventIdentifier" WHERE "consortiumId" = ? AND "identifier" IN (${marks(chunk.length)}))`,
        this.consortiumId,
        this.consortiumId,
        ...chunk,
      );
      for (const r of rows) {
        for (const id of handledIdentifiers(eventOfBody(r.body))) {
          if (!asked.has(id)) continue;
          const set = out.get(id) ?? new Set<string>();
          set.add(r.submitterOrg);
          out.set(id, set);
        }
      }
    }
    return out;
  }

  /**
   * Item links from the index (transformation input to output, child to parent, feed to animal,
   * dam to calf), leaving (`downstream`) or entering the identifiers: the links a trace walks.
   */
  async links(identifiers: Iterable<string>, direction: 'downstream' | 'upstream'): Promise<ItemLink[]> {
    const [near, far] = direction === 'downstream' ? ['src', 'dst'] : ['dst', 'src'];
    const out: ItemLink[] = [];
    for (const chunk of chunks([...new Set(identifiers)])) {
      const rows = await this.db.$queryRawUnsafe<{ from: string; to: string; eventType: string; fromRole: string }[]>(
        `SELECT src."identifier" AS "from", dst."identifier" AS "to", e."eventType" AS "eventType", src."role" AS "fromRole"
           FROM "EventIdentifier" ${near}
           JOIN "EpcisEvent" e ON e."consortiumId" = ${near}."consortiumId" AND e."eventId" = ${near}."eventId"
           JOIN "EventIdentifier" ${far} ON ${far}."consortiumId" = ${near}."consortiumId" AND ${far}."eventId" = ${near}."eventId"
          WHERE ${near}."consortiumId" = ? AND ${near}."identifier" IN (${marks(chunk.length)})
            AND ((e."eventType" = 'TransformationEvent' AND src."role" = 'input' AND dst."role" = 'output')
              OR (e."eventType" IN ('AggregationEvent', 'AssociationEvent') AND e."action" = 'ADD' AND src."role" = 'child' AND dst."role" = 'parent')
              OR (e."bizStep" IN (?, 'feeding') AND src."role" IN ('quantity', 'epc') AND dst."role" = 'epc' AND src."identifier" <> dst."identifier")
              OR (src."role" = 'dam' AND dst."role" = 'epc'))`,
        this.consortiumId,
        ...chunk,
        PROVENANT_BIZSTEP.FEEDING,
      );
      for (const r of rows) {
        if (r.fromRole === 'dam') {
          out.push({ from: r.from, to: r.to, kind: 'DAM' });
          continue;
        }
        const kind = r.eventType === 'TransformationEvent' ? 'TRANSFORMATION' : r.eventType === 'AggregationEvent' ? 'AGGREGATION' : r.eventType === 'AssociationEvent' ? 'ASSOCIATION' : 'FEEDING';
        // Feeding links run from the lot (or a non-animal EPC) to the animals only.
        if (kind === 'FEEDING' && (isAnimalIdentifier(r.from) || !isAnimalIdentifier(r.to))) continue;
        out.push({ from: r.from, to: r.to, kind });
      }
    }
    return out;
  }

  /**
   * The viewer's scope over the identifiers. `knownLinks` (a query's own lineage edges) decide most
   * items without touching the index; the rest are walked downstream in the index.
   */
  async scope(viewer: VisibilityViewer, identifiers: Iterable<string>, knownLinks: readonly ItemLink[] = [], options: ScopeOptions = {}): Promise<ViewerScope> {
    if (isRegulator(viewer)) return EMPTY_SCOPE;
    const ids = new Set(identifiers);
    const links = [...knownLinks];
    const nodes = new Set<string>(ids);
    for (const l of links) {
      nodes.add(l.from);
      nodes.add(l.to);
    }
    if (!grantsLineage(viewer) && !grantsCargo(viewer)) {
      // Logistics roles read an item's events from their first custody of it on (docs/access.md).
      const since = await this.handledSince(viewer.orgId, nodes);
      const custodySince = new Map([...since].filter((e): e is [string, number] => e[1] !== undefined));
      return { custody: new Set(since.keys()), cargo: new Set(), lineage: new Set(), custodySince };
    }
    const custody = await this.handledBy(viewer.orgId, nodes);
    const maxDepth = options.maxDepth ?? DEFAULT_SCOPE_LIMITS.maxDepth;
    const maxNodes = options.maxNodes ?? DEFAULT_SCOPE_LIMITS.maxNodes;
    let scope = scopeFrom(viewer, custody, nodes, links);
    const candidates = options.probe ? new Set(options.probe) : ids;
    const undecided = () => [...candidates].filter((id) => !scope.lineage.has(id));
    let frontier = undecided();
    const expanded = new Set<string>();
    for (let depth = 0; frontier.length > 0 && depth < maxDepth && nodes.size < maxNodes; depth++) {
      const level = frontier.filter((id) => !expanded.has(id));
      level.forEach((id) => expanded.add(id));
      if (level.length === 0) break;
      const found = await this.links(level, 'downstream');
      links.push(...found);
      const fresh = [...new Set(found.map((l) => l.to))].filter((id) => !nodes.has(id));
      fresh.forEach((id) => nodes.add(id));
      for (const id of await this.handledBy(viewer.orgId, fresh)) custody.add(id);
      scope = scopeFrom(viewer, custody, nodes, links);
      if (undecided().length === 0) break;
      frontier = [...new Set(found.map((l) => l.to))];
    }
    return scope;
  }

  /** Farms (FARM role) that held the nearest animals upstream of each inspection event's items. */
  async farmsOfOrigin(events: readonly { eventId: string; items: readonly string[] }[], knownLinks: readonly ItemLink[] = []): Promise<Map<string, Set<string>>> {
    const out = new Map<string, Set<string>>();
    if (events.length === 0) return out;
    const incoming = new Map<string, string[]>();
    const addLink = (l: ItemLink) => {
      const list = incoming.get(l.to) ?? [];
      if (!list.includes(l.from)) list.push(l.from);
      incoming.set(l.to, list);
    };
    knownLinks.forEach(addLink);
    // Inspections are usually one hop below the animal (carcass). Items the known links already lead
    // into (a query's rows hold every event touching its nodes) need no index walk.
    let frontier = [...new Set(events.flatMap((e) => e.items))].filter((id) => !isAnimalIdentifier(id) && !incoming.has(id));
    const seen = new Set(frontier);
    for (let depth = 0; frontier.length > 0 && depth < 8; depth++) {
      const found = await this.links(frontier, 'upstream');
      found.forEach(addLink);
      frontier = [...new Set(found.map((l) => l.from))].filter((id) => !seen.has(id) && !isAnimalIdentifier(id));
      frontier.forEach((id) => seen.add(id));
    }
    const animalsByEvent = new Map(events.map((e) => [e.eventId, nearestAnimals(e.items, incoming)]));
    const handlers = await this.handlersOf(new Set([...animalsByEvent.values()].flatMap((s) => [...s])));
    for (const [eventId, animals] of animalsByEvent) {
      const farms = new Set<string>();
      for (const a of animals) for (const org of handlers.get(a) ?? []) if (this.state.hasRole(org, 'FARM')) farms.add(org);
      out.set(eventId, farms);
    }
    return out;
  }

  /** Facts for events already loaded (farms of origin added for inspection findings); `withPositions` adds each record's log index. */
  async facts(rows: readonly EventFactsInput[], knownLinks: readonly ItemLink[] = [], withPositions = false): Promise<Map<string, EventFacts>> {
    const positions = withPositions ? await this.positions(rows.filter((r) => r.position === undefined).map((r) => r.eventId)) : new Map<string, number>();
    const base = rows.map((r) => eventFacts(r.position === undefined && positions.has(r.eventId) ? { ...r, position: positions.get(r.eventId)! } : r));
    const inspections = base.filter((f) => f.eventClass === 'INSPECTION_FINDING');
    const farms = await this.farmsOfOrigin(inspections, knownLinks);
    return new Map(base.map((f) => [f.eventId, f.eventClass === 'INSPECTION_FINDING' ? { ...f, farmsOfOrigin: farms.get(f.eventId) ?? new Set<string>() } : f]));
  }

  /**
   * The facts of each event and the viewer's scope over their items, in a few batched reads.
   * Regulators see all of their consortium: their facts need no farms of origin and no scope.
   */
  async factsAndScope(viewer: VisibilityViewer, rows: readonly EventFactsInput[], knownLinks: readonly ItemLink[] = [], options: ScopeOptions = {}): Promise<EventFactsAndScope> {
    if (isRegulator(viewer) && viewer.consortiumId === this.consortiumId) {
      // A regulator's decision rests on who signed what alone, so the items are not worked out.
      const facts = new Map<string, EventFacts>(rows.map((r) => [r.eventId, { eventId: r.eventId, consortiumId: r.consortiumId, signerOrg: r.signerOrg, eventClass: 'SUPPLY_CHAIN', items: [], subjects: [], farmsOfOrigin: new Set() }]));
      return { facts, scope: EMPTY_SCOPE };
    }
    // Only viewers without a lineage role read custody from a position on (ViewerScope.custodySince).
    const facts = await this.facts(rows, knownLinks, !grantsLineage(viewer) && !grantsCargo(viewer));
    const scope = await this.scope(viewer, [...new Set([...facts.values()].flatMap((f) => f.items)), ...(options.alsoScope ?? [])], knownLinks, options);
    return { facts, scope };
  }

  /** Captured events by event id, with their identifier rows (as the lineage index holds them). */
  async eventRows(eventIds: Iterable<string>): Promise<EventRow[]> {
    const out: EventRow[] = [];
    for (const chunk of chunks([...new Set(eventIds)])) {
      const events = await this.db.$queryRawUnsafe<{ eventId: string; recordHash: string; eventTime: string; submitterOrg: string; body: string }[]>(
        `SELECT e."eventId", e."recordHash", e."eventTime", e."submitterOrg", r."body"
           FROM "EpcisEvent" e JOIN "LedgerRecord" r ON r."hash" = e."recordHash"
          WHERE e."consortiumId" = ? AND e."eventId" IN (${marks(chunk.length)})`,
        this.consortiumId,
        ...chunk,
      );
      const ids = await this.db.$queryRawUnsafe<{ eventId: string; identifier: string; role: string }[]>(
        `SELECT "eventId", "identifier", "role" FROM "EventIdentifier" WHERE "consortiumId" = ? AND "eventId" IN (${marks(chunk.length)})`,
        this.consortiumId,
        ...chunk,
      );
      const byEvent = new Map<string, { identifier: string; role: string }[]>();
      for (const r of ids) byEvent.set(r.eventId, [...(byEvent.get(r.eventId) ?? []), { identifier: r.identifier, role: r.role }]);
      for (const e of events) {
        const event = eventOfBody(e.body);
        out.push({
          eventId: e.eventId,
          recordHash: e.recordHash,
          eventTime: e.eventTime,
          event: event && typeof event === 'object' && !Array.isArray(event) ? (event as Record<string, unknown>) : {},
          signerOrg: e.submitterOrg,
          identifiers: byEvent.get(e.eventId) ?? [],
        });
      }
    }
    return out;
  }

  /** Current Custody rows (who holds each item now, and the event that made it so). */
  async custodyOf(identifiers: Iterable<string>): Promise<Map<string, { orgId: string | null; eventId: string; eventTime: string }>> {
    const out = new Map<string, { orgId: string | null; eventId: string; eventTime: string }>();
    for (const chunk of chunks([...new Set(identifiers)])) {
      const rows = await this.db.$queryRawUnsafe<{ identifier: string; orgId: string | null; eventId: string; eventTime: string }[]>(
        `SELECT "identifier", "orgId", "eventId", "eventTime" FROM "Custody" WHERE "consortiumId" = ? AND "identifier" IN (${marks(chunk.length)})`,
        this.consortiumId,
        ...chunk,
      );
      for (const r of rows) out.set(r.identifier, { orgId: r.orgId, eventId: r.eventId, eventTime: r.eventTime });
    }
    return out;
  }
}
