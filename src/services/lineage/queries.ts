/**
 * Lineage queries over a LineageSource + EvidenceLoader: verified trace, product
 * passport, animal history, recall (+ CSV), cargo lineage and authenticity. Pure apart from the
 * two interfaces.
 */
import { bizStepOf, eventType } from '../../core/epcis/epcis-model.js';
import { parseIdentifier } from '../../core/identifiers/index.js';
import type { ConsortiumState } from '../../core/ledger/consortium.js';
import { canonicalIdentifier, isAnimalIdentifier, normaliseAuthBizStep, PROVENANT_BIZSTEP } from '../../core/rules/authorisation.js';
import type { BlockEvidence, BreachEvidence, EvidenceLoader, RecordEvidence } from '../../core/lineage/evidence.js';
import {
  damOf,
  DOCUMENTS_FIELD,
  isBirthEvent,
  isFeedingEvent,
  itemEdges,
  linkActiveAt,
  edgesOfEvent,
  trace as walk,
  type Direction,
  type EventRow,
  type LineageEdge,
  type LineageSource,
  type TraceResult,
} from '../../core/lineage/graph.js';
import { heightsOf, verifyTrace, type TraceVerification } from '../../core/lineage/verify-hop.js';
import { BlockTree, type VerificationCache } from '../../core/lineage/verify-cache.js';

export interface LineageContext {
  source: LineageSource;
  evidence: EvidenceLoader;
  state: ConsortiumState;
  /** ISO time used for "now" (aggregation at the current time). */
  now?: () => string;
}

export interface VerifiedTrace {
  trace: TraceResult;
  verification: TraceVerification;
  breaches: BreachEvidence[];
}

export const DEFAULT_MAX_DEPTH = 32;

/**
 * Loads the evidence for the hops' records and blocks in a few batched reads, then verifies every
 * hop. With the store's verification cache, only blocks the cached chain does not cover are read
 * to link the hops to the head, and only blocks without a cached Merkle tree have their record
 * hashes read. A FAILED verdict is always re-established without the cache, so a failure reads
 * exactly as a fresh verification from the store would.
 */
export async function verifyTraceResult(ctx: LineageContext, result: TraceResult): Promise<VerifiedTrace> {
  const cache = ctx.evidence.verificationCache;
  const breaches = await ctx.evidence.coldChainBreaches(result.nodes);
  const verification = await verifyWithEvidence(ctx, result, breaches, cache);
  if (cache && verification.verdict === 'FAILED') return { trace: result, verification: await verifyWithEvidence(ctx, result, breaches, undefined), breaches };
  return { trace: result, verification, breaches };
}

function merkleRootOf(row: BlockEvidence | undefined): string | undefined {
  if (!row) return undefined;
  try {
    const root = (JSON.parse(row.header) as { merkleRoot?: unknown }).merkleRoot;
    return typeof root === 'string' ? root : undefined;
  } catch {
    return undefined;
  }
}

/** The hops' record rows of a trace result, when they all came with its events (results are read-only). */
const hopRecordsOf = new WeakMap<TraceResult, { records: Map<string, RecordEvidence>; heights: number[] }>();

async function verifyWithEvidence(ctx: LineageContext, result: TraceResult, breaches: BreachEvidence[], cache: VerificationCache | undefined): Promise<TraceVerification> {
  const known = hopRecordsOf.get(result);
  const { records, heights } = known ?? (await hopRecords(ctx, result));
  return verifyRecordsAndBlocks(ctx, result, breaches, cache, records, heights);
}

async function hopRecords(ctx: LineageContext, result: TraceResult): Promise<{ records: Map<string, RecordEvidence>; heights: number[] }> {
  // Only the records behind hops are verified; their rows usually came with the events.
  const hopHashes = new Set<string>();
  let lastEventId: string | undefined;
  for (const edge of itemEdges(result)) {
    // Hops come in runs of one event.
    if (edge.eventId === lastEventId) continue;
    lastEventId = edge.eventId;
    const hash = result.events.get(edge.eventId)?.recordHash;
    if (hash) hopHashes.add(hash);
  }
  const records = new Map<string, RecordEvidence>();
  for (const row of result.events.values()) if (row.evidence && hopHashes.has(row.recordHash)) records.set(row.recordHash, row.evidence);
  const unread = [...hopHashes].filter((h) => !records.has(h));
  if (unread.length > 0) for (const r of await ctx.evidence.records(unread)) records.set(r.hash, r);
  const out = { records, heights: heightsOf(records.values()) };
  // Rows read apart are read again next time; rows that came with the events are part of the result.
  if (unread.length === 0) hopRecordsOf.set(result, out);
  return out;
}

async function verifyRecordsAndBlocks(
  ctx: LineageContext,
  result: TraceResult,
  breaches: BreachEvidence[],
  cache: VerificationCache | undefined,
  records: Map<string, RecordEvidence>,
  heights: number[],
): Promise<TraceVerification> {
  const head = { height: ctx.state.height, hash: ctx.state.headHash };
  const blockRows: BlockEvidence[] = [];
  if (heights.length > 0) {
    if (cache) {
      blockRows.push(...(await ctx.evidence.blocks(heights)));
      for (const gap of cache.chainGaps(head, heights[0]!)) blockRows.push(...(await ctx.evidence.blockRange(gap.from, gap.to)));
    } else {
      blockRows.push(...(await ctx.evidence.blockRange(heights[0]!, Math.max(head.height, heights[heights.length - 1]!))));
    }
  }
  const blocks = new Map(blockRows.map((b) => [b.height, b]));
  const trees = new Map<number, BlockTree>();
  const unbuilt: number[] = [];
  for (const h of heights) {
    const root = merkleRootOf(blocks.get(h));
    const tree = root !== undefined ? cache?.tree(h, root) : undefined;
    if (tree) trees.set(h, tree);
    else unbuilt.push(h);
  }
  const blockRecordHashes = unbuilt.length > 0 ? await ctx.evidence.recordHashesOfBlocks(unbuilt) : new Map<number, string[]>();
  for (const h of unbuilt) {
    const tree = BlockTree.fromRecordHashes(blockRecordHashes.get(h) ?? []);
    trees.set(h, tree);
    const root = merkleRootOf(blocks.get(h));
    // Kept only once it rebuilt the root its header commits to.
    if (cache && root !== undefined && tree.rootHex() === root) cache.setTree(h, root, tree);
  }
  return verifyTrace(result, { state: ctx.state, records, blocks, blockRecordHashes, breaches, trees, cache });
}

export async function trace(ctx: LineageContext, id: string, direction: Direction, maxDepth = DEFAULT_MAX_DEPTH): Promise<VerifiedTrace> {
  return verifyTraceResult(ctx, await walk(ctx.source, id, direction, maxDepth));
}

const step = (row: EventRow) => normaliseAuthBizStep(row.event);
const byTime = (a: EventRow, b: EventRow) => (a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : 0);

function hasInputRole(row: EventRow, pred: (id: string) => boolean): boolean {
  return row.identifiers.some((i) => i.role === 'input' && pred(i.identifier));
}

export interface PartyAt {
  orgId: string;
  eventId: string;
  time: string;
}

export interface ProductPassport {
  identifier: string;
  animals: string[];
  farmsOfBirth: PartyAt[];
  rearingFarms: string[];
  slaughter: PartyAt[];
  processing: PartyAt[];
  packing: PartyAt[];
  coldChainCompliant: boolean;
  coldChainBreaches: BreachEvidence[];
  verdict: TraceVerification['verdict'];
  verification: TraceVerification;
}

/** For retailers: where the product's animals were born and reared, who slaughtered and processed it, when. */
export async function productPassport(ctx: LineageContext, id: string): Promise<ProductPassport> {
  const verified = await trace(ctx, id, 'UPSTREAM');
  const events = [...verified.trace.events.values()].sort(byTime);
  const animals = verified.trace.nodes.filter(isAnimalIdentifier);
  const animalSet = new Set(animals);
  const partyAt = (r: EventRow): PartyAt => ({ orgId: r.signerOrg, eventId: r.eventId, time: r.eventTime });
  const farmsOfBirth = events.filter((r) => isBirthEvent(r) && r.identifiers.some((i) => animalSet.has(i.identifier))).map(partyAt);
  const animalEvents = events.filter((r) => r.identifiers.some((i) => animalSet.has(i.identifier)));
  // A farm of rearing is one that held the FARM role when it recorded the event (its log index), not now.
  const logIndexOf = new Map<string, number>();
  for (const r of animalEvents) if (r.evidence) logIndexOf.set(r.recordHash, r.evidence.logIndex);
  const unread = animalEvents.filter((r) => !logIndexOf.has(r.recordHash)).map((r) => r.recordHash);
  if (unread.length > 0) for (const rec of await ctx.evidence.records(unread)) logIndexOf.set(rec.hash, rec.logIndex);
  const rearing = new Set<string>();
  for (const r of animalEvents) {
    const logIndex = logIndexOf.get(r.recordHash);
    if (logIndex === undefined || !Number.isSafeInteger(logIndex) || logIndex < 0) continue;
    if (ctx.state.rolesAt(r.signerOrg, logIndex)?.has('FARM')) rearing.add(r.signerOrg);
  }
  const transformations = events.filter((r) => eventType(r.event) === 'TransformationEvent');
  const slaughter = transformations.filter((r) => hasInputRole(r, isAnimalIdentifier) || step(r) === PROVENANT_BIZSTEP.SLAUGHTERING).map(partyAt);
  const processing = transformations.filter((r) => !hasInputRole(r, isAnimalIdentifier) && step(r) !== PROVENANT_BIZSTEP.SLAUGHTERING).map(partyAt);
  const packing = events.filter((r) => step(r) === 'packing').map(partyAt);
  return {
    identifier: verified.trace.start,
    animals,
    farmsOfBirth,
    rearingFarms: [...rearing].sort(),
    slaughter,
    processing,
    packing,
    coldChainCompliant: verified.breaches.length === 0,
    coldChainBreaches: verified.breaches,
    verdict: verified.verification.verdict,
    verification: verified.verification,
  };
}

export interface EventSummary {
  eventId: string;
  time: string;
  orgId: string;
  bizStep: string | null;
  eventType: string | null;
  readPoint: string | null;
  bizLocation: string | null;
}

function locationOf(r: EventRow, k: string): string | null {
  const v = r.event[k];
  return v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string' ? (v as { id: string }).id : null;
}

function summary(r: EventRow): EventSummary {
  return { eventId: r.eventId, time: r.eventTime, orgId: r.signerOrg, bizStep: step(r) ?? null, eventType: eventType(r.event), readPoint: locationOf(r, 'readPoint'), bizLocation: locationOf(r, 'bizLocation') };
}

/** An animal's history with events summarised as S (EventSummary here; a visibility-cut view in the API). */
export interface AnimalHistoryOf<S> {
  animal: string;
  birth: (S & { holding: string | null }) | null;
  dam: string | null;
  movements: S[];
  feedLots: { lot: string; event: S }[];
  treatments: S[];
  slaughter: (S & { outputs: string[] }) | null;
  postMortem: S[];
  events: S[];
}

export type AnimalHistory = AnimalHistoryOf<EventSummary>;

const MOVEMENT_STEPS = new Set(['shipping', 'departing', 'receiving', 'arriving', 'accepting', 'loading', 'unloading', 'transporting']);
const TREATMENT = /treat|veterinary|medicat|vaccin/i;

/** For inspectors: birth holding, dam, movements, feed lots, treatments, slaughter and post-mortem findings. */
export async function animalHistory(ctx: LineageContext, earTag: string): Promise<AnimalHistory> {
  const animal = canonicalIdentifier(earTag);
  const rows = (await ctx.source.eventsTouching([animal])).sort(byTime);
  const birthRow = rows.find(isBirthEvent) ?? null;
  const slaughterRow = rows.find((r) => eventType(r.event) === 'TransformationEvent' && r.identifiers.some((i) => i.role === 'input' && i.identifier === animal)) ?? null;
  const outputs = slaughterRow ? [...new Set(slaughterRow.identifiers.filter((i) => i.role === 'output').map((i) => i.identifier))] : [];
  const after = outputs.length > 0 ? (await ctx.source.eventsTouching(outputs)).sort(byTime) : [];
  const feedLots = rows.filter(isFeedingEvent).flatMap((r) =>
    edgesOfEvent(r)
      .filter((e) => e.kind === 'FEEDING' && e.to === animal)
      .map((e) => ({ lot: e.from, event: summary(r) })),
  );
  return {
    animal,
    birth: birthRow ? { ...summary(birthRow), holding: summary(birthRow).bizLocation ?? summary(birthRow).readPoint } : null,
    dam: birthRow ? (damOf(birthRow) ?? null) : null,
    movements: rows.filter((r) => MOVEMENT_STEPS.has(step(r) ?? '')).map(summary),
    feedLots,
    treatments: rows.filter((r) => TREATMENT.test(String(r.event['bizStep'] ?? ''))).map(summary),
    slaughter: slaughterRow ? { ...summary(slaughterRow), outputs } : null,
    postMortem: [...rows, ...after].filter((r) => step(r) === 'inspecting' || step(r) === PROVENANT_BIZSTEP.OFFICIAL_INSPECTION).map(summary),
    events: rows.map(summary),
  };
}

export interface RecallRow {
  identifier: string;
  kind: string;
  lastCustodian: string | null;
  lastLocation: string | null;
  lastEventTime: string | null;
  pathLength: number;
}

const kinds = new Map<string, string>();

export function identifierKind(id: string): string {
  let kind = kinds.get(id);
  if (kind !== undefined) return kind;
  if (isAnimalIdentifier(id)) kind = 'animal';
  else {
    try {
      kind = parseIdentifier(id).kind;
    } catch {
      kind = 'other';
    }
  }
  if (kinds.size >= 500_000) kinds.clear();
  kinds.set(id, kind);
  return kind;
}

/** Later in eventsOfItem's order (event time, then event id). */
function isLater(a: EventRow, b: EventRow): boolean {
  return a.eventTime > b.eventTime || (a.eventTime === b.eventTime && a.eventId > b.eventId);
}

const places = new WeakMap<EventRow, string | null>();

/** The place an event names (bizLocation before readPoint, as a summary reads it), once per row. */
function placeOf(row: EventRow): string | null {
  let place = places.get(row);
  if (place === undefined) places.set(row, (place = locationOf(row, 'bizLocation') ?? locationOf(row, 'readPoint')));
  return place;
}

/** latestEventsOf per trace result (results are read-only). */
const latestOf = new WeakMap<TraceResult, Map<string, { last: EventRow; placed?: EventRow }>>();

/**
 * Per identifier, the last of its events in eventsOfItem's order, and the last one naming a place:
 * what recall rows show, without sorting every identifier's event list.
 */
function latestEventsOf(result: Pick<TraceResult, 'events'>): Map<string, { last: EventRow; placed?: EventRow }> {
  const out = new Map<string, { last: EventRow; placed?: EventRow }>();
  const see = (id: string, row: EventRow, placed: boolean) => {
    const l = out.get(id);
    if (!l) out.set(id, placed ? { last: row, placed: row } : { last: row });
    else {
      if (l.last !== row && isLater(row, l.last)) l.last = row;
      if (placed && l.placed !== row && (!l.placed || isLater(row, l.placed))) l.placed = row;
    }
  };
  for (const row of result.events.values()) {
    const placed = placeOf(row) !== null;
    let lastId: string | undefined;
    for (const i of row.identifiers) {
      // An event names an item in several roles; once is enough.
      if (i.identifier === lastId) continue;
      lastId = i.identifier;
      see(i.identifier, row, placed);
    }
    const dam = damOf(row);
    if (dam !== undefined) see(dam, row, placed);
  }
  return out;
}

/** Downstream from the item: every affected item with its current custodian (Custody table) and last known location. */
export async function recall(ctx: LineageContext, fromId: string, maxDepth = DEFAULT_MAX_DEPTH): Promise<{ rows: RecallRow[]; trace: TraceResult }> {
  const result = await walk(ctx.source, fromId, 'DOWNSTREAM', maxDepth);
  const items = result.nodes.filter((n) => n !== result.start);
  const custody = await ctx.evidence.custody(items);
  let latest = latestOf.get(result);
  if (!latest) latestOf.set(result, (latest = latestEventsOf(result)));
  const rows = items.map((identifier): RecallRow => {
    const l = latest.get(identifier);
    const last = l?.last;
    const lastLocation = l?.placed ? placeOf(l.placed)! : null;
    const c = custody.get(identifier);
    return {
      identifier,
      kind: identifierKind(identifier),
      lastCustodian: c?.orgId ?? null,
      lastLocation,
      lastEventTime: last?.eventTime ?? c?.eventTime ?? null,
      pathLength: result.depth.get(identifier) ?? 0,
    };
  });
  rows.sort((a, b) => a.pathLength - b.pathLength || (a.identifier < b.identifier ? -1 : a.identifier > b.identifier ? 1 : 0));
  return { rows, trace: result };
}

export const RECALL_CSV_HEADER = ['identifier', 'kind', 'last_custodian', 'last_location', 'last_event_time', 'path_length'] as const;

function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180: CRLF line ends, fields with comma, quote or line break quoted, quotes doubled. */
export function recallCsv(rows: readonly RecallRow[]): string {
  const lines = [RECALL_CSV_HEADER.join(',')];
  for (const r of rows) lines.push([r.identifier, r.kind, r.lastCustodian, r.lastLocation, r.lastEventTime, r.pathLength].map(csvField).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export interface CargoNode {
  identifier: string;
  contents: CargoNode[];
  /** Roots of the item's upstream lineage (e.g. animals, feed lots). */
  origins: string[];
}

export interface CargoLineage {
  container: string;
  contents: CargoNode[];
  documents: { eventId: string; documents: unknown }[];
  sealEvents: EventSummary[];
  temperatureExcursions: BreachEvidence[];
  parties: string[];
  verification: TraceVerification;
}

/** Links into each node and the origins above it, per trace result (what cargo lineage derives from the edges alone). */
interface CargoGraph {
  incoming: Map<string, LineageEdge[]>;
  originsOf: (id: string) => string[];
}

const cargoGraphs = new WeakMap<TraceResult, CargoGraph>();

function cargoGraphOf(result: TraceResult): CargoGraph {
  const known = cargoGraphs.get(result);
  if (known) return known;
  // The trace closed its aggregation links already (closeLinks over the same events).
  const edges = itemEdges(result);
  const incoming = new Map<string, LineageEdge[]>();
  let lastTo: string | undefined;
  let lastList: LineageEdge[] | undefined;
  for (const e of edges) {
    // A case's children arrive together.
    if (e.to !== lastTo || !lastList) {
      lastTo = e.to;
      lastList = incoming.get(e.to);
      if (!lastList) incoming.set(e.to, (lastList = []));
    }
    lastList.push(e);
  }
  // Roots reachable upstream of each node, memoised: items of one lot share all their ancestry.
  const rootsMemo = new Map<string, ReadonlySet<string>>();
  const inProgress = new Set<string>();
  let cyclic = false;
  const rootsOf = (node: string): ReadonlySet<string> => {
    const done = rootsMemo.get(node);
    if (done) return done;
    const ins = incoming.get(node);
    if (!ins || ins.length === 0) {
      const leaf = new Set([node]);
      rootsMemo.set(node, leaf);
      return leaf;
    }
    if (inProgress.has(node)) {
      cyclic = true;
      return new Set();
    }
    inProgress.add(node);
    let roots: ReadonlySet<string>;
    const only = ins[0]!.from;
    if (ins.every((e) => e.from === only)) roots = rootsOf(only);
    else {
      const parentRoots = [...new Set(ins.map((e) => e.from))].map(rootsOf);
      const first = parentRoots[0]!;
      // Parents from one lot share one set: reuse it rather than building an equal union.
      roots = parentRoots.every((r) => r === first) ? first : new Set(parentRoots.flatMap((r) => [...r]));
    }
    inProgress.delete(node);
    if (!cyclic) rootsMemo.set(node, roots);
    return roots;
  };
  // Items share root sets (packs of one lot): each set is sorted once.
  const sortedRoots = new WeakMap<ReadonlySet<string>, string[]>();
  const originsOf = (id: string): string[] => {
    // A cycle makes the memo order-dependent: fall back to the plain walk from this item.
    const roots = cyclic ? undefined : rootsOf(id);
    if (cyclic || !roots) return rootsAbove(id, incoming);
    if (roots.has(id)) return [...roots].filter((r) => r !== id).sort();
    let sorted = sortedRoots.get(roots);
    if (!sorted) sortedRoots.set(roots, (sorted = [...roots].sort()));
    return sorted.slice();
  };
  const graph = { incoming, originsOf };
  // Roots are independent of the order they are asked for only without cycles: only then is this kept.
  if (isAcyclic(incoming)) cargoGraphs.set(result, graph);
  return graph;
}

/** True when following links upstream never comes back to a node (iterative depth-first search). */
function isAcyclic(incoming: ReadonlyMap<string, readonly LineageEdge[]>): boolean {
  const state = new Map<string, 1 | 2>();
  for (const root of incoming.keys()) {
    if (state.has(root)) continue;
    const stack: { node: string; next: number }[] = [{ node: root, next: 0 }];
    state.set(root, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const ins = incoming.get(top.node);
      if (ins && top.next < ins.length) {
        const from = ins[top.next++]!.from;
        const seen = state.get(from);
        if (seen === 1) return false;
        if (seen === undefined) {
          state.set(from, 1);
          stack.push({ node: from, next: 0 });
        }
      } else {
        state.set(top.node, 2);
        stack.pop();
      }
    }
  }
  return true;
}

const SEAL_OR_DOOR = /seal|door/i;

/** What is in the cargo at a time, and what the trace says about it; the same for every time in [from, until). */
interface CargoAt {
  from: string;
  until: string | undefined;
  contents: CargoNode[];
  inCargo: ReadonlySet<string>;
  cargoEvents: EventRow[];
  parties: string[];
}

const cargoAtMemo = new WeakMap<TraceResult, CargoAt>();

/**
 * The container's contents nested through the links active at `now`. Links change only at their
 * own validFrom/validTo times, so the nesting (and all derived from it) is kept for the trace
 * result with the span between the link times around `now` (trace results are read-only).
 */
function cargoAt(result: TraceResult, now: string): CargoAt {
  const known = cargoAtMemo.get(result);
  if (known && known.from <= now && (known.until === undefined || now < known.until)) return known;
  const { incoming, originsOf } = cargoGraphOf(result);
  // What is nested in `id` now; `path` holds the nodes above it (a link back up is not followed).
  const path = new Set<string>();
  const build = (id: string): CargoNode[] => {
    const out: CargoNode[] = [];
    const ins = incoming.get(id);
    if (!ins) return out;
    path.add(id);
    for (const e of ins) {
      if ((e.kind !== 'AGGREGATION' && e.kind !== 'ASSOCIATION') || !linkActiveAt(e, now) || path.has(e.from)) continue;
      out.push({ identifier: e.from, contents: build(e.from), origins: originsOf(e.from) });
    }
    path.delete(id);
    return out;
  };
  const contents = build(result.start);
  const inCargo = new Set<string>([result.start]);
  const collect = (nodes: CargoNode[]) => nodes.forEach((n) => (inCargo.add(n.identifier), collect(n.contents)));
  collect(contents);
  const cargoEvents = [...result.events.values()].filter((r) => r.identifiers.some((i) => inCargo.has(i.identifier))).sort(byTime);
  const parties = new Set<string>(cargoEvents.map((r) => r.signerOrg));
  for (const e of result.edges) if (e.kind === 'CUSTODY' && e.item && inCargo.has(e.item)) for (const p of [e.from, e.to]) if (p !== '(unknown)') parties.add(p);
  // The span around `now` in which no link starts or ends.
  let from = '';
  let until: string | undefined;
  for (const e of itemEdges(result)) {
    if (e.kind !== 'AGGREGATION' && e.kind !== 'ASSOCIATION') continue;
    for (const t of [e.validFrom ?? e.time, e.validTo]) {
      if (t === undefined) continue;
      if (t <= now) {
        if (t > from) from = t;
      } else if (until === undefined || t < until) until = t;
    }
  }
  const out: CargoAt = { from, until, contents, inCargo, cargoEvents, parties: [...parties].sort() };
  cargoAtMemo.set(result, out);
  return out;
}

/** A container's contents nested through aggregation as of now, their origins, documents, seal/door events, excursions and handlers. */
export async function cargoLineage(ctx: LineageContext, containerId: string, maxDepth = DEFAULT_MAX_DEPTH): Promise<CargoLineage> {
  const now = ctx.now?.() ?? new Date().toISOString();
  const verified = await trace(ctx, containerId, 'UPSTREAM', maxDepth);
  const result = verified.trace;
  const { contents, cargoEvents, inCargo, parties } = cargoAt(result, now);
  return {
    container: result.start,
    contents,
    documents: cargoEvents.filter((r) => r.event[DOCUMENTS_FIELD] !== undefined).map((r) => ({ eventId: r.eventId, documents: r.event[DOCUMENTS_FIELD] })),
    sealEvents: cargoEvents.filter((r) => SEAL_OR_DOOR.test(`${String(r.event['bizStep'] ?? '')} ${String(r.event['disposition'] ?? '')}`) || Object.keys(r.event).some((k) => /^provenant:(seal|door)/.test(k))).map(summary),
    temperatureExcursions: verified.breaches.filter((b) => [b.subject, ...b.containedItems].map(canonicalIdentifier).some((x) => inCargo.has(x))),
    parties,
    verification: verified.verification,
  };
}

export interface AuthenticityResult {
  identifier: string;
  likelyCounterfeit: boolean;
  reasons: { code: 'NEVER_COMMISSIONED' | 'NOT_COMMISSIONED_BY_BRAND_OWNER' | 'DECOMMISSIONED' | 'DUPLICATE_CUSTODY'; message: string; details?: Record<string, unknown> }[];
  brandOwner: string | null;
  commissionedBy: string[];
}

function brandOwnerOf(state: ConsortiumState, id: string): string | null {
  let parsed;
  try {
    parsed = parseIdentifier(id);
  } catch {
    return null;
  }
  const gtin = (parsed as { gtin?: string }).gtin ?? (parsed.kind === 'sscc' ? (parsed as unknown as { sscc?: string }).sscc : undefined);
  if (!gtin) return null;
  const digits = gtin.slice(1);
  const length = (parsed as { companyPrefixLength?: number }).companyPrefixLength ?? 7;
  for (const org of state.orgs.values()) {
    if (org.status !== 'active') continue;
    if ((org.identifiers['gln'] ?? []).some((gln) => gln.slice(0, length) === digits.slice(0, length))) return org.id;
  }
  return null;
}

/** Likely counterfeit or clone: never commissioned (by its brand owner when known), decommissioned, or received by two parties without a shipment between. */
export async function authenticity(ctx: LineageContext, id: string): Promise<AuthenticityResult> {
  const identifier = canonicalIdentifier(id);
  const rows = (await ctx.source.eventsTouching([identifier])).sort(byTime);
  const touches = (r: EventRow, ...roles: string[]) => r.identifiers.some((i) => i.identifier === identifier && roles.includes(i.role));
  const commissioning = rows.filter(
    (r) =>
      (touches(r, 'epc') && r.event['action'] === 'ADD' && (step(r) === 'commissioning' || step(r) === PROVENANT_BIZSTEP.BIRTH)) ||
      (eventType(r.event) === 'TransformationEvent' && touches(r, 'output')),
  );
  const commissionedBy = [...new Set(commissioning.map((r) => r.signerOrg))];
  const brandOwner = brandOwnerOf(ctx.state, identifier);
  const reasons: AuthenticityResult['reasons'] = [];
  if (commissioning.length === 0) reasons.push({ code: 'NEVER_COMMISSIONED', message: `${identifier} was never commissioned` });
  else if (brandOwner && !commissionedBy.includes(brandOwner)) {
    reasons.push({ code: 'NOT_COMMISSIONED_BY_BRAND_OWNER', message: `${identifier} was commissioned by ${commissionedBy.join(', ')}, not its brand owner ${brandOwner}`, details: { expected: brandOwner, computed: commissionedBy } });
  }
  const decommissioned = rows.filter((r) => bizStepOf(r.event) === 'decommissioning');
  if (decommissioned.length > 0) reasons.push({ code: 'DECOMMISSIONED', message: `${identifier} was decommissioned`, details: { eventIds: decommissioned.map((r) => r.eventId) } });
  let lastReceiver: string | null = null;
  for (const r of rows) {
    const s = step(r);
    if (s === 'shipping' || s === 'departing') lastReceiver = null;
    if (s === 'receiving' || s === 'arriving' || s === 'accepting') {
      if (lastReceiver !== null && lastReceiver !== r.signerOrg) {
        reasons.push({ code: 'DUPLICATE_CUSTODY', message: `${identifier} was received by ${lastReceiver} and ${r.signerOrg} without a shipment between`, details: { parties: [lastReceiver, r.signerOrg], eventId: r.eventId } });
      }
      lastReceiver = r.signerOrg;
    }
  }
  return { identifier, likelyCounterfeit: reasons.length > 0, reasons, brandOwner, commissionedBy };
}

/** Roots above `id` over the given links (items with no incoming link), as cargo lineage lists origins. */
export function rootsAbove(id: string, incoming: ReadonlyMap<string, readonly LineageEdge[]>): string[] {
  const roots = new Set<string>();
  const seen = new Set<string>([id]);
  const stack = [id];
  while (stack.length > 0) {
    const cur = stack.pop()!;
    const ins = incoming.get(cur) ?? [];
    if (ins.length === 0 && cur !== id) roots.add(cur);
    for (const e of ins) {
      if (seen.has(e.from)) continue;
      seen.add(e.from);
      stack.push(e.from);
    }
  }
  return [...roots].sort();
}
