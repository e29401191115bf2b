/**
 * Lineage graph: edges derived from captured EPCIS events, and a breadth-first trace
 * over a LineageSource that the store implements. Pure: no I/O beyond the source interface.
 * Edges point downstream (from = origin, to = what was made from / put into / fed to it).
 */
import { bizStepOf, eventType } from '../epcis/epcis-model.js';
import { ANIMAL_URN_PREFIX, canonicalIdentifier, normaliseAuthBizStep, PROVENANT_BIZSTEP } from '../rules/authorisation.js';
import type { IndexedEventColumns } from '../ledger/projections/rows.js';
import type { RecordEvidence } from './evidence.js';
import type { ListedEntry } from './completeness.js';
import { DAM_FIELD } from '../ledger/index-map/entries.js';
import { MemoKey, RecentResults, type LineageMemo } from './lineage-memo.js';

/** canonicalIdentifier (kept for callers that map over identifiers; a memo's canonical() is the remembered form). */
export function canonical(text: string): string {
  return canonicalIdentifier(text);
}

function canonicalIn(memo: LineageMemo | undefined, text: string): string {
  return memo ? memo.canonical(text) : canonicalIdentifier(text);
}

export type JsonObject = Record<string, unknown>;

export interface EventIdentifierRef {
  identifier: string;
  role: string;
}

/**
 * One captured event as the lineage index sees it (identifiers are canonical). Rows are read-only:
 * what lineage derives from a row is memoised on the row object, so a source hands back a new
 * object whenever anything stored for the event changed.
 */
export interface EventRow {
  eventId: string;
  recordHash: string;
  eventTime: string;
  event: JsonObject;
  signerOrg: string;
  identifiers: EventIdentifierRef[];
  /** The stored record behind the event, when the source read it with the event (saves a second read). */
  evidence?: RecordEvidence;
  /** The event row's other columns, when the source read them (the hop verifier checks them against the record). */
  columns?: IndexedEventColumns;
}

/** Event ids a caller already holds (a Set, or the keys of a Map). */
export type KnownEvents = Pick<ReadonlySet<string>, 'has' | 'size' | 'keys'>;

export interface LineageSource {
  /** What traces over this source remember between queries (absent: nothing is remembered). */
  readonly memo?: LineageMemo;
  /**
   * Every event touching any of the identifiers (canonical), in any role but `skipRoles`. One call
   * per frontier. Events whose ids are in `known` (already held by the caller) may be left out.
   */
  eventsTouching(identifiers: string[], known?: KnownEvents, skipRoles?: readonly string[]): Promise<EventRow[]>;
  /**
   * Every index row of each identifier, whatever its role, with its event's record (completeness
   * compares them with the signed index map). Absent: answers are not proven complete.
   */
  indexEntries?(identifiers: string[]): Promise<Map<string, readonly ListedEntry[]>>;
}

/** A dam's own lineage lies upstream of its birth; its calves' births (found by role 'dam') are downstream only. */
const UPSTREAM_SKIP_ROLES: readonly string[] = ['dam'];

export type EdgeKind = 'TRANSFORMATION' | 'AGGREGATION' | 'CUSTODY' | 'LOCATION' | 'FEEDING' | 'DAM' | 'ASSOCIATION';
export type Direction = 'UPSTREAM' | 'DOWNSTREAM';

/** Kinds whose endpoints are both items, so a trace walks along them. */
export const ITEM_EDGE_KINDS: ReadonlySet<EdgeKind> = new Set(['TRANSFORMATION', 'AGGREGATION', 'FEEDING', 'DAM', 'ASSOCIATION']);

export interface LineageEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  eventId: string;
  /** Event time of the event that made the edge. */
  time: string;
  /** CUSTODY/LOCATION: the item concerned (from/to are parties or locations). */
  item?: string;
  /** AGGREGATION/ASSOCIATION: the link holds from validFrom until validTo (exclusive; absent = still). */
  validFrom?: string;
  validTo?: string;
}

export interface TraceResult {
  start: string;
  direction: Direction;
  maxDepth: number;
  nodes: string[];
  /** Item edges walked by the trace (each reached node has at least one), plus custody/location edges of visited items. */
  edges: LineageEdge[];
  /** Every event fetched, by event id. */
  events: Map<string, EventRow>;
  /** Depth at which each node was first reached (start = 0). */
  depth: Map<string, number>;
  /** The memo of the source walked (not enumerable): what is derived from this result is remembered there. */
  readonly memo?: LineageMemo;
}

export { DAM_FIELD };
export const DOCUMENTS_FIELD = 'provenant:documents';

const SHIPPING_STEPS = new Set(['shipping', 'departing']);
const RECEIVING_STEPS = new Set(['receiving', 'arriving', 'accepting']);
const PARTY_TYPES = ['owning_party', 'possessing_party'];

function idsWithRole(row: EventRow, ...roles: string[]): string[] {
  return [...new Set(row.identifiers.filter((i) => roles.includes(i.role)).map((i) => i.identifier))];
}

function partyOf(list: unknown, field: 'source' | 'destination'): string | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const type of PARTY_TYPES) {
    const hit = list.find((x) => x && typeof x === 'object' && typeof (x as JsonObject)['type'] === 'string' && String((x as JsonObject)['type']).endsWith(type));
    if (hit && typeof (hit as JsonObject)[field] === 'string') return (hit as JsonObject)[field] as string;
  }
  return undefined;
}

/** isAnimalIdentifier over the canonical form (remembered in a memo: the ids a trace sees repeat a lot). */
function isAnimal(id: string, memo?: LineageMemo): boolean {
  return canonicalIn(memo, id).startsWith(ANIMAL_URN_PREFIX);
}

export function isFeedingEvent(row: EventRow): boolean {
  return normaliseAuthBizStep(row.event) === PROVENANT_BIZSTEP.FEEDING;
}

export function isBirthEvent(row: EventRow): boolean {
  const step = normaliseAuthBizStep(row.event);
  return step === PROVENANT_BIZSTEP.BIRTH || (step === 'commissioning' && idsWithRole(row, 'epc').some((id) => isAnimal(id)));
}

export function damOf(row: EventRow): string | undefined {
  return damIn(row, undefined);
}

function damIn(row: EventRow, memo: LineageMemo | undefined): string | undefined {
  const dam = row.event[DAM_FIELD];
  return typeof dam === 'string' && dam.trim() !== '' ? canonicalIn(memo, dam) : undefined;
}

function actionOf(row: EventRow): string | undefined {
  const a = row.event['action'];
  return typeof a === 'string' ? a : undefined;
}

/** Identifiers an event acts on as instances/classes of "what" (not parties or locations). */
export function itemsOf(row: EventRow): string[] {
  return idsWithRole(row, 'epc', 'parent', 'child', 'input', 'output', 'quantity');
}

/** The edges a trace walks (TRANSFORMATION, AGGREGATION/ASSOCIATION, FEEDING, DAM), in edgesOfEvent's order. */
export function itemEdgesOfEvent(row: EventRow): LineageEdge[] {
  return itemEdgesIn(row, undefined);
}

function itemEdgesIn(row: EventRow, memo: LineageMemo | undefined): LineageEdge[] {
  const type = eventType(row.event);
  const base = { eventId: row.eventId, time: row.eventTime };
  const edges: LineageEdge[] = [];
  if (type === 'TransformationEvent') {
    const outputs = idsWithRole(row, 'output');
    for (const input of idsWithRole(row, 'input')) for (const output of outputs) edges.push({ ...base, from: input, to: output, kind: 'TRANSFORMATION' });
  }
  if ((type === 'AggregationEvent' || type === 'AssociationEvent') && actionOf(row) === 'ADD') {
    const parent = idsWithRole(row, 'parent')[0];
    if (parent) {
      for (const child of idsWithRole(row, 'child')) {
        edges.push({ ...base, from: child, to: parent, kind: type === 'AggregationEvent' ? 'AGGREGATION' : 'ASSOCIATION', validFrom: row.eventTime });
      }
    }
  }
  if (isFeedingEvent(row)) {
    const epcs = idsWithRole(row, 'epc');
    const animals = epcs.filter((e) => isAnimal(e, memo));
    const lots = [...idsWithRole(row, 'quantity'), ...epcs.filter((e) => !isAnimal(e, memo))];
    for (const lot of lots) for (const animal of animals) edges.push({ ...base, from: lot, to: animal, kind: 'FEEDING' });
  }
  const dam = damIn(row, memo);
  if (dam) for (const calf of idsWithRole(row, 'epc')) edges.push({ ...base, from: dam, to: calf, kind: 'DAM' });
  return dedupeEdges(edges);
}

/** CUSTODY and LOCATION edges of the event, for the items `keep` accepts (default all), in edgesOfEvent's order. */
export function contextEdgesOfEvent(row: EventRow, keep: (item: string) => boolean = () => true): LineageEdge[] {
  const step = bizStepOf(row.event);
  const base = { eventId: row.eventId, time: row.eventTime };
  const edges: LineageEdge[] = [];
  if (step !== undefined && (SHIPPING_STEPS.has(step) || RECEIVING_STEPS.has(step))) {
    const shipping = SHIPPING_STEPS.has(step);
    const source = partyOf(row.event['sourceList'], 'source') ?? (shipping ? row.signerOrg : undefined);
    const destination = partyOf(row.event['destinationList'], 'destination') ?? (shipping ? undefined : row.signerOrg);
    for (const item of idsWithRole(row, 'epc', 'parent', 'child')) {
      if (keep(item)) edges.push({ ...base, from: source ?? '(unknown)', to: destination ?? '(unknown)', kind: 'CUSTODY', item });
    }
  }
  const locations = idsWithRole(row, 'readPoint', 'bizLocation');
  if (locations.length > 0) {
    const items = itemsOf(row).filter(keep);
    for (const location of locations) for (const item of items) edges.push({ ...base, from: item, to: location, kind: 'LOCATION', item });
  }
  return dedupeEdges(edges);
}

// Kept per row object (stores hand back the same row for the same stored text), so these hold across queries.
const ITEM_EDGES_OF_ROW = new MemoKey<WeakMap<EventRow, readonly LineageEdge[]>>('item edges of a row');
const CONTEXT_EDGES_OF_ROW = new MemoKey<WeakMap<EventRow, readonly LineageEdge[]>>('context edges of a row');
// Item edges per edge list of a trace result (see itemEdges).
const ITEM_EDGES_OF_LIST = new MemoKey<WeakMap<readonly LineageEdge[], LineageEdge[]>>('item edges of a result');
const newWeakMap = () => new WeakMap();

/** itemEdgesOfEvent, shared per row in a memo (trace copies a link before closeLinks may set its validTo). */
function walkEdgesOf(row: EventRow, memo: LineageMemo | undefined): readonly LineageEdge[] {
  if (!memo) return itemEdgesIn(row, undefined);
  const kept = memo.state(ITEM_EDGES_OF_ROW, newWeakMap);
  let edges = kept.get(row);
  if (!edges) kept.set(row, (edges = itemEdgesIn(row, memo)));
  return edges;
}

function isDelete(row: EventRow): boolean {
  const t = eventType(row.event);
  return (t === 'AggregationEvent' || t === 'AssociationEvent') && actionOf(row) === 'DELETE';
}

function contextEdgesOfRow(row: EventRow, memo: LineageMemo | undefined): readonly LineageEdge[] {
  if (!memo) return contextEdgesOfEvent(row);
  const kept = memo.state(CONTEXT_EDGES_OF_ROW, newWeakMap);
  let edges = kept.get(row);
  if (!edges) kept.set(row, (edges = contextEdgesOfEvent(row)));
  return edges;
}

/**
 * Edges of one event, except AGGREGATION/ASSOCIATION validTo, which needs the later DELETE events
 * (closeLinks does that over a set of events).
 */
export function edgesOfEvent(row: EventRow): LineageEdge[] {
  return [...itemEdgesOfEvent(row), ...contextEdgesOfEvent(row)];
}

function edgeKey(e: LineageEdge): string {
  return `${e.kind}\u0000${e.from}\u0000${e.to}\u0000${e.eventId}\u0000${e.item ?? ''}`;
}

function dedupeEdges(edges: LineageEdge[]): LineageEdge[] {
  if (edges.length < 2) return edges;
  const seen = new Map<string, LineageEdge>();
  for (const e of edges) {
    const key = edgeKey(e);
    if (!seen.has(key)) seen.set(key, e);
  }
  return seen.size === edges.length ? edges : [...seen.values()];
}

/** Sets validTo on aggregation/association links from the first later DELETE of that child (or of the whole parent). */
export function closeLinks(edges: LineageEdge[], events: Iterable<EventRow>): void {
  // DELETE events by the parent they name, so each link looks only at its parent's.
  const deletesOf = new Map<string, { row: EventRow; children: Set<string> }[]>();
  for (const r of events) {
    if (!isDelete(r)) continue;
    const children = new Set(idsWithRole(r, 'child'));
    for (const parent of idsWithRole(r, 'parent')) {
      let list = deletesOf.get(parent);
      if (!list) deletesOf.set(parent, (list = []));
      list.push({ row: r, children });
    }
  }
  if (deletesOf.size === 0) return;
  for (const edge of edges) {
    if (edge.kind !== 'AGGREGATION' && edge.kind !== 'ASSOCIATION') continue;
    for (const { row: d, children } of deletesOf.get(edge.to) ?? []) {
      if (d.eventTime < (edge.validFrom ?? edge.time)) continue;
      if (children.size > 0 && !children.has(edge.from)) continue;
      if (edge.validTo === undefined || d.eventTime < edge.validTo) edge.validTo = d.eventTime;
    }
  }
}

/** True when an aggregation/association link holds at the instant (ISO time strings compare lexically). */
export function linkActiveAt(edge: LineageEdge, at: string): boolean {
  return (edge.validFrom ?? edge.time) <= at && (edge.validTo === undefined || at < edge.validTo);
}

/**
 * Breadth-first trace by frontier batches: one source query per depth level. UPSTREAM follows
 * item edges backwards (towards origins), DOWNSTREAM forwards (towards everything derived).
 */
export async function trace(source: LineageSource, startId: string, direction: Direction, maxDepth: number): Promise<TraceResult> {
  const memo = source.memo;
  const start = memo ? memo.intern(canonicalIdentifier(startId)) : canonicalIdentifier(startId);
  const key = `${direction}\u0000${maxDepth}\u0000${start}`;
  const walks = memo?.state(RECENT_WALKS, () => new RecentResults<WalkMemo>(WALK_MEMOS, WALK_MEMO_BUDGET));
  const recent = walks?.take(key);
  if (recent && (await replays(source, recent, direction))) {
    walks!.remember(key, recent);
    return recent.result;
  }
  const levels: WalkLevel[] = [];
  const result = await walk(source, start, direction, maxDepth, levels);
  const size = result.events.size + result.edges.length;
  if (walks && size <= WALK_MEMO_BUDGET) walks.remember(key, { levels, result, order: new Map([...result.events.keys()].map((id, i) => [id, i])), size });
  return result;
}

/** One frontier batch of a walk: what was asked, how many events were held, what came back. */
export interface WalkLevel {
  frontier: string[];
  known: number;
  rows: EventRow[];
}

interface WalkMemo {
  levels: WalkLevel[];
  result: TraceResult;
  /** Position of each event in result.events (the order the walk met them). */
  order: Map<string, number>;
  /** Events plus edges held (for the budget). */
  size: number;
}

/** At most 16 walks, of at most 400,000 events plus edges in all (a 10,000-pack recall holds about 75,000). */
const WALK_MEMOS = 16;
const WALK_MEMO_BUDGET = 400_000;

/**
 * Recent walks by start, direction and depth. A walk is a function of the rows its frontier reads
 * return, and a store hands back the very same row object only for byte-identical stored text:
 * when every read returns the same rows as last time, the walk would come out the same, so its
 * result is handed back (read-only, as every trace result is).
 */
const RECENT_WALKS = new MemoKey<RecentResults<WalkMemo>>('recent walks');

/** Reads every frontier of the remembered walk again; true when each returns exactly the rows it did. */
async function replays(source: LineageSource, memo: WalkMemo, direction: Direction): Promise<boolean> {
  const keys = [...memo.result.events.keys()];
  for (const level of memo.levels) {
    const known: KnownEvents = {
      size: level.known,
      has: (id: string) => (memo.order.get(id) ?? Number.POSITIVE_INFINITY) < level.known,
      keys: () => keys.slice(0, level.known).values() as ReturnType<KnownEvents['keys']>,
    };
    const rows = await source.eventsTouching(level.frontier, known, direction === 'UPSTREAM' ? UPSTREAM_SKIP_ROLES : undefined);
    if (rows.length !== level.rows.length) return false;
    for (let i = 0; i < rows.length; i++) if (rows[i] !== level.rows[i]) return false;
  }
  return true;
}

async function walk(source: LineageSource, start: string, direction: Direction, maxDepth: number, levels: WalkLevel[]): Promise<TraceResult> {
  const steps = walkLevels(source.memo, start, direction, maxDepth, levels);
  let step = steps.next();
  while (!step.done) step = steps.next(await source.eventsTouching(step.value.frontier, step.value.known, step.value.skipRoles));
  return step.value;
}

/** One frontier read a walk asks for: LineageSource.eventsTouching's arguments. */
export type FrontierRead = { frontier: string[]; known: KnownEvents; skipRoles: readonly string[] | undefined };

/** The walk rule, as a generator yielding each frontier read: a store and a bundle's records walk alike. */
export function* walkLevels(memo: LineageMemo | undefined, start: string, direction: Direction, maxDepth: number, levels: WalkLevel[] = []): Generator<FrontierRead, TraceResult, EventRow[]> {
  const events = new Map<string, EventRow>();
  const allEdges: LineageEdge[] = [];
  const depth = new Map<string, number>([[start, 0]]);
  // Each edge is walked at most once: its arriving end joins one frontier only.
  const walked: LineageEdge[] = [];
  // Item edges by the end a walk arrives at (to for UPSTREAM, from for DOWNSTREAM), with their order in allEdges.
  const arriving = new Map<string, number[]>();
  let frontier = [start];
  let level = 0;
  while (frontier.length > 0) {
    const known = events.size;
    const rows: EventRow[] = yield { frontier, known: events, skipRoles: direction === 'UPSTREAM' ? UPSTREAM_SKIP_ROLES : undefined };
    levels.push({ frontier, known, rows });
    const upstream = direction === 'UPSTREAM';
    for (const row of rows) {
      if (events.has(row.eventId)) continue;
      events.set(row.eventId, row);
      // An event's edges mostly share the arriving end (a case's children, a lot's outputs downstream).
      let lastHere: string | undefined;
      let list: number[] | undefined;
      for (const edge of walkEdgesOf(row, memo)) {
        const here = upstream ? edge.to : edge.from;
        if (here !== lastHere || !list) {
          lastHere = here;
          list = arriving.get(here);
          if (!list) arriving.set(here, (list = []));
        }
        list.push(allEdges.length);
        allEdges.push(edge);
      }
    }
    if (level >= maxDepth) break;
    // The frontier's edges in the order they were found, as a scan of allEdges would meet them.
    const positions = frontier.flatMap((node) => arriving.get(node) ?? []).sort((a, b) => a - b);
    const next: string[] = [];
    for (const position of positions) {
      const edge = allEdges[position]!;
      const there = direction === 'UPSTREAM' ? edge.from : edge.to;
      walked.push(edge);
      if (!depth.has(there)) {
        depth.set(there, level + 1);
        next.push(there);
      }
    }
    frontier = next;
    level += 1;
  }
  // Shared edges are never changed: the links a DELETE may close are copied first.
  const closable = new Set<string>();
  for (const row of events.values()) if (isDelete(row)) for (const parent of idsWithRole(row, 'parent')) closable.add(parent);
  if (closable.size > 0) {
    const copies = new Map<LineageEdge, LineageEdge>();
    const own = (e: LineageEdge) => {
      if ((e.kind !== 'AGGREGATION' && e.kind !== 'ASSOCIATION') || !closable.has(e.to)) return e;
      let copy = copies.get(e);
      if (!copy) copies.set(e, (copy = { ...e }));
      return copy;
    };
    for (let i = 0; i < allEdges.length; i++) allEdges[i] = own(allEdges[i]!);
    for (let i = 0; i < walked.length; i++) walked[i] = own(walked[i]!);
    closeLinks(allEdges, events.values());
  }
  const nodes = [...depth.keys()];
  // Custody and location edges only for the items reached (big shipments name many others).
  const context: LineageEdge[] = [];
  for (const row of events.values()) {
    let touches = false;
    for (const i of row.identifiers) {
      if (depth.has(i.identifier)) {
        touches = true;
        break;
      }
    }
    if (!touches) continue;
    const rowEdges = contextEdgesOfRow(row, memo);
    // Edges of one item come together (an item's location and custody): test each item once.
    let lastItem: string | undefined;
    let keep = false;
    for (const e of rowEdges) {
      if (e.item !== lastItem) {
        lastItem = e.item;
        keep = depth.has(e.item!);
      }
      if (keep) context.push(e);
    }
  }
  // Context edges are unique already: deduplicated per event, and each carries its event id.
  const edges = [...walked, ...context];
  const result: TraceResult = { start, direction, maxDepth, nodes, edges, events, depth };
  if (memo) {
    // The walked edges are exactly the item edges (context edges never are): no need to filter them out again.
    memo.state(ITEM_EDGES_OF_LIST, newWeakMap).set(edges, walked);
    Object.defineProperty(result, 'memo', { value: memo, enumerable: false });
  }
  return result;
}

/** Item edges of a trace (those a hop verdict is about); computed once per edge list of a result with a memo (do not mutate it). */
export function itemEdges(result: Pick<TraceResult, 'edges' | 'memo'>): LineageEdge[] {
  const kept = result.memo?.state(ITEM_EDGES_OF_LIST, newWeakMap);
  let items = kept?.get(result.edges);
  if (!items) {
    items = result.edges.filter((e) => ITEM_EDGE_KINDS.has(e.kind));
    kept?.set(result.edges, items);
  }
  return items;
}

const oldestFirst = (a: EventRow, b: EventRow) => (a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : a.eventId < b.eventId ? -1 : 1);

/** Events of the trace that touch the identifier, oldest first. */
export function eventsOfItem(result: Pick<TraceResult, 'events'>, identifier: string): EventRow[] {
  return [...result.events.values()].filter((r) => r.identifiers.some((i) => i.identifier === identifier) || damOf(r) === identifier).sort(oldestFirst);
}

/** eventsOfItem for every identifier at once: identifier -> its events, oldest first. */
export function eventsByItem(result: Pick<TraceResult, 'events'>): Map<string, EventRow[]> {
  const out = new Map<string, EventRow[]>();
  const add = (id: string, row: EventRow) => {
    let list = out.get(id);
    if (!list) out.set(id, (list = []));
    if (list[list.length - 1] !== row) list.push(row);
  };
  for (const row of result.events.values()) {
    for (const i of row.identifiers) add(i.identifier, row);
    const dam = damOf(row);
    if (dam !== undefined) add(dam, row);
  }
  for (const list of out.values()) list.sort(oldestFirst);
  return out;
}
