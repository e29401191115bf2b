/**
 * Lineage queries (issue #4 §4) over a LineageSource + EvidenceLoader: verified trace, product
 * passport, animal history, recall (+ CSV), cargo lineage and authenticity. Pure apart from the
 * two interfaces.
 */
import { bizStepOf, eventType } from '../events/epcis-model.js';
import { parseIdentifier } from '../events/identifiers/index.js';
import type { ConsortiumState } from '../ledger/consortium.js';
import { canonicalIdentifier, isAnimalIdentifier, normaliseAuthBizStep, PROVENANT_BIZSTEP } from '../rules/authorisation.js';
import type { BlockEvidence, BreachEvidence, EvidenceLoader, RecordEvidence } from './evidence.js';
import {
  canonical,
  damOf,
  DOCUMENTS_FIELD,
  eventsByItem,
  isBirthEvent,
  isFeedingEvent,
  itemEdges,
  linkActiveAt,
  closeLinks,
  edgesOfEvent,
  trace as walk,
  type Direction,
  type EventRow,
  type LineageEdge,
  type LineageSource,
  type TraceResult,
} from './graph.js';
import { heightsOf, verifyTrace, type TraceVerification } from './verify-hop.js';
import { BlockTree, type VerificationCache } from './verify-cache.js';

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

async function verifyWithEvidence(ctx: LineageContext, result: TraceResult, breaches: BreachEvidence[], cache: VerificationCache | undefined): Promise<TraceVerification> {
  // Only the records behind hops are verified; their rows usually came with the events.
  const hopHashes = new Set<string>();
  for (const edge of itemEdges(result)) {
    const hash = result.events.get(edge.eventId)?.recordHash;
    if (hash) hopHashes.add(hash);
  }
  const records = new Map<string, RecordEvidence>();
  for (const row of result.events.values()) if (row.evidence && hopHashes.has(row.recordHash)) records.set(row.recordHash, row.evidence);
  const unread = [...hopHashes].filter((h) => !records.has(h));
  if (unread.length > 0) for (const r of await ctx.evidence.records(unread)) records.set(r.hash, r);
  const heights = heightsOf(records.values());
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
  const rearing = new Set<string>();
  for (const r of events) {
    if (!r.identifiers.some((i) => animalSet.has(i.identifier))) continue;
    if (ctx.state.hasRole(r.signerOrg, 'FARM')) rearing.add(r.signerOrg);
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

/** Downstream from the item: every affected item with its current custodian (Custody table) and last known location. */
export async function recall(ctx: LineageContext, fromId: string, maxDepth = DEFAULT_MAX_DEPTH): Promise<{ rows: RecallRow[]; trace: TraceResult }> {
  const result = await walk(ctx.source, fromId, 'DOWNSTREAM', maxDepth);
  const items = result.nodes.filter((n) => n !== result.start);
  const custody = await ctx.evidence.custody(items);
  const byItem = eventsByItem(result);
  const rows = items.map((identifier): RecallRow => {
    const evs = byItem.get(identifier) ?? [];
    const last = evs[evs.length - 1];
    // The latest event that names a place (bizLocation before readPoint, as a summary reads it).
    let lastLocation: string | null = null;
    for (let i = evs.length - 1; i >= 0; i--) {
      const place = locationOf(evs[i]!, 'bizLocation') ?? locationOf(evs[i]!, 'readPoint');
      if (place) {
        lastLocation = place;
        break;
      }
    }
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

const SEAL_OR_DOOR = /seal|door/i;

/** A container's contents nested through aggregation as of now, their origins, documents, seal/door events, excursions and handlers. */
export async function cargoLineage(ctx: LineageContext, containerId: string, maxDepth = DEFAULT_MAX_DEPTH): Promise<CargoLineage> {
  const now = ctx.now?.() ?? new Date().toISOString();
  const verified = await trace(ctx, containerId, 'UPSTREAM', maxDepth);
  const result = verified.trace;
  const edges = itemEdges(result);
  closeLinks(edges, result.events.values());
  const incoming = new Map<string, LineageEdge[]>();
  for (const e of edges) {
    let list = incoming.get(e.to);
    if (!list) incoming.set(e.to, (list = []));
    list.push(e);
  }
  // Roots reachable upstream of each node, memoised: items of one lot share all their ancestry.
  const rootsMemo = new Map<string, ReadonlySet<string>>();
  const inProgress = new Set<string>();
  let cyclic = false;
  const rootsOf = (node: string): ReadonlySet<string> => {
    const done = rootsMemo.get(node);
    if (done) return done;
    const ins = incoming.get(node) ?? [];
    if (ins.length === 0) {
      const leaf = new Set([node]);
      rootsMemo.set(node, leaf);
      return leaf;
    }
    if (inProgress.has(node)) {
      cyclic = true;
      return new Set();
    }
    inProgress.add(node);
    const parentRoots = [...new Set(ins.map((e) => e.from))].map(rootsOf);
    const first = parentRoots[0]!;
    // Parents from one lot share one set: reuse it rather than building an equal union.
    const roots = parentRoots.every((r) => r === first) ? first : new Set(parentRoots.flatMap((r) => [...r]));
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
  const build = (id: string, path: Set<string>): CargoNode[] =>
    (incoming.get(id) ?? [])
      .filter((e) => (e.kind === 'AGGREGATION' || e.kind === 'ASSOCIATION') && linkActiveAt(e, now) && !path.has(e.from))
      .map((e) => ({ identifier: e.from, contents: build(e.from, new Set([...path, e.from])), origins: originsOf(e.from) }));
  const contents = build(result.start, new Set([result.start]));
  const inCargo = new Set<string>([result.start]);
  const collect = (nodes: CargoNode[]) => nodes.forEach((n) => (inCargo.add(n.identifier), collect(n.contents)));
  collect(contents);
  const cargoEvents = [...result.events.values()].filter((r) => r.identifiers.some((i) => inCargo.has(i.identifier))).sort(byTime);
  const parties = new Set<string>(cargoEvents.map((r) => r.signerOrg));
  for (const e of result.edges) if (e.kind === 'CUSTODY' && e.item && inCargo.has(e.item)) for (const p of [e.from, e.to]) if (p !== '(unknown)') parties.add(p);
  return {
    container: result.start,
    contents,
    documents: cargoEvents.filter((r) => r.event[DOCUMENTS_FIELD] !== undefined).map((r) => ({ eventId: r.eventId, documents: r.event[DOCUMENTS_FIELD] })),
    sealEvents: cargoEvents.filter((r) => SEAL_OR_DOOR.test(`${String(r.event['bizStep'] ?? '')} ${String(r.event['disposition'] ?? '')}`) || Object.keys(r.event).some((k) => /^provenant:(seal|door)/.test(k))).map(summary),
    temperatureExcursions: verified.breaches.filter((b) => [b.subject, ...b.containedItems].map(canonicalIdentifier).some((x) => inCargo.has(x))),
    parties: [...parties].sort(),
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
    for (const e of ins) if (!seen.has(e.from)) (seen.add(e.from), stack.push(e.from));
  }
  return [...roots].sort();
}
