/**
 * Who sees which event (the rules in prose are docs/access.md). Pure: the caller
 * supplies the facts (src/store/visibility-store.ts fetches them in batches).
 *
 * One decision per (viewer, event): VISIBLE, REDACTED (the event and its hop verdict are shown, the
 * inspection finding is withheld) or HIDDEN, with a reason. In order:
 *   1. no viewer / another consortium: HIDDEN;
 *   2. REGULATOR: VISIBLE (everything in its consortium);
 *   3. the viewer signed the event: VISIBLE;
 *   4. an inspection finding (post-mortem or official inspection): VISIBLE to the farms of origin of
 *      the inspected animals; REDACTED for anyone step 5 entitles; otherwise HIDDEN;
 *   5. VISIBLE when the event acts on an item the viewer holds or held (CUSTODY), on cargo for
 *      CUSTOMS (CARGO), or is about an item upstream of one of those (LINEAGE; owner roles and
 *      customs only: hauliers, carriers and ports see the loads they carried, not the farms);
 *   6. otherwise HIDDEN.
 * An event is decided as a whole: an event shared by several items is visible to anyone entitled
 * to one of them.
 */
import { eventType, identifiersOf } from '../epcis/epcis-model.js';
import { parseIdentifier } from '../identifiers/index.js';
import type { Role } from '../ledger/governance.js';
import { CLEAR_EVENT_ID_KEY, WITHHELD_KEY } from '../privacy/withheld.js';
import { canonicalIdentifier, isAnimalIdentifier, normaliseAuthBizStep, PROVENANT_BIZSTEP, ruleFor, type CustodyPart } from '../rules/authorisation.js';

export type Visibility = 'VISIBLE' | 'REDACTED' | 'HIDDEN';

export type VisibilityReason =
  | 'UNAUTHENTICATED'
  | 'OTHER_CONSORTIUM'
  | 'REGULATOR'
  | 'OWN_EVENT'
  | 'FARM_OF_ORIGIN'
  | 'CUSTODY'
  | 'CARGO'
  | 'LINEAGE'
  | 'MEMBERSHIP'
  | 'OWNER'
  | 'FINDING_WITHHELD'
  | 'PUBLISHED'
  | 'NOT_ENTITLED';

export interface VisibilityDecision {
  visibility: Visibility;
  reason: VisibilityReason;
}

export interface VisibilityViewer {
  orgId: string;
  consortiumId: string;
  /** Roles from the consortium state. */
  roles: ReadonlySet<Role>;
}

/** INSPECTION_FINDING: post-mortem (abattoir) or official (regulator) inspection; its payload is the finding. */
export type EventClass = 'INSPECTION_FINDING' | 'SUPPLY_CHAIN';

export interface EventFacts {
  eventId: string;
  consortiumId: string;
  /** Organisation that signed the event's record. */
  signerOrg: string;
  eventClass: EventClass;
  /** Canonical identifiers the event acts on (EPCs, parent, children, inputs, outputs, quantity classes). */
  items: readonly string[];
  /** The items the event is about, for lineage: a transformation's outputs; a feeding's animals; otherwise all items. */
  subjects: readonly string[];
  /** INSPECTION_FINDING: farms that held any inspected animal (or the animal a carcass came from). */
  farmsOfOrigin: ReadonlySet<string>;
}

/** What the viewer is entitled to, over the identifiers a query touches (see visibility-store). */
export interface ViewerScope {
  /** Items the viewer holds now or held (custody history). */
  custody: ReadonlySet<string>;
  /** CUSTOMS: containers and anything loaded (at any depth) in one. */
  cargo: ReadonlySet<string>;
  /** Items upstream of (or equal to) a custody or cargo item: their lineage. */
  lineage: ReadonlySet<string>;
}

export const EMPTY_SCOPE: ViewerScope = { custody: new Set(), cargo: new Set(), lineage: new Set() };

/** Roles that answer for the goods they hold and so may trace them upstream. Logistics roles may not. */
export const LINEAGE_ROLES: ReadonlySet<Role> = new Set<Role>(['FARM', 'ABATTOIR', 'PROCESSOR', 'RETAILER', 'CUSTOMS']);

const INSPECTION_RULES = new Set(['abattoir.post_mortem_inspection', 'regulator.official_inspection']);

export function isRegulator(viewer: Pick<VisibilityViewer, 'roles'>): boolean {
  return viewer.roles.has('REGULATOR');
}

export function grantsLineage(viewer: Pick<VisibilityViewer, 'roles'>): boolean {
  return [...viewer.roles].some((r) => LINEAGE_ROLES.has(r));
}

export function grantsCargo(viewer: Pick<VisibilityViewer, 'roles'>): boolean {
  return viewer.roles.has('CUSTOMS');
}

export function isShown(decision: VisibilityDecision | undefined): boolean {
  return decision !== undefined && decision.visibility !== 'HIDDEN';
}

const hidden = (reason: VisibilityReason): VisibilityDecision => ({ visibility: 'HIDDEN', reason });
const visible = (reason: VisibilityReason): VisibilityDecision => ({ visibility: 'VISIBLE', reason });

function meets(ids: readonly string[], set: ReadonlySet<string>): boolean {
  for (const id of ids) if (set.has(id)) return true;
  return false;
}

/** Which custody or lineage fact entitles the viewer to the event (ignoring what it is), or null. */
export function entitlement(viewer: VisibilityViewer, facts: EventFacts, scope: ViewerScope): 'CUSTODY' | 'CARGO' | 'LINEAGE' | null {
  if (meets(facts.items, scope.custody)) return 'CUSTODY';
  if (grantsCargo(viewer) && meets(facts.items, scope.cargo)) return 'CARGO';
  if (grantsLineage(viewer) && meets(facts.subjects, scope.lineage)) return 'LINEAGE';
  return null;
}

/** The one decision function (GraphQL queries, record reads and subscriptions all call it). */
export function decideVisibility(viewer: VisibilityViewer | null, facts: EventFacts, scope: ViewerScope): VisibilityDecision {
  if (!viewer) return hidden('UNAUTHENTICATED');
  if (viewer.consortiumId !== facts.consortiumId) return hidden('OTHER_CONSORTIUM');
  if (isRegulator(viewer)) return visible('REGULATOR');
  if (facts.signerOrg === viewer.orgId) return visible('OWN_EVENT');
  const entitled = entitlement(viewer, facts, scope);
  if (facts.eventClass === 'INSPECTION_FINDING') {
    if (facts.farmsOfOrigin.has(viewer.orgId)) return visible('FARM_OF_ORIGIN');
    return entitled ? { visibility: 'REDACTED', reason: 'FINDING_WITHHELD' } : hidden('NOT_ENTITLED');
  }
  return entitled ? visible(entitled) : hidden('NOT_ENTITLED');
}

/** Records that are not events: membership, devices, rule sets, erasures are for every member. */
export function decideMembershipRecord(viewer: VisibilityViewer | null, consortiumId: string): VisibilityDecision {
  if (!viewer) return hidden('UNAUTHENTICATED');
  if (viewer.consortiumId !== consortiumId) return hidden('OTHER_CONSORTIUM');
  return visible('MEMBERSHIP');
}

/** Records owned by one organisation and about no item (sensor windows, unindexed payloads): signer, regulators, and customs when `cargo`. */
export function decideOwnedRecord(viewer: VisibilityViewer | null, consortiumId: string, ownerOrg: string | null, options: { cargo?: boolean } = {}): VisibilityDecision {
  if (!viewer) return hidden('UNAUTHENTICATED');
  if (viewer.consortiumId !== consortiumId) return hidden('OTHER_CONSORTIUM');
  if (isRegulator(viewer)) return visible('REGULATOR');
  if (ownerOrg !== null && ownerOrg === viewer.orgId) return visible('OWN_EVENT');
  if (options.cargo && grantsCargo(viewer)) return visible('CARGO');
  return hidden('NOT_ENTITLED');
}

// ---- facts from an event ----

export interface IdentifierWithRole {
  identifier: string;
  role: string;
}

/** Canonical item identifiers of an event with their roles (the item roles of the EventIdentifier index). */
export function itemRolesOf(event: unknown): IdentifierWithRole[] {
  const ids = identifiersOf(event);
  const out: IdentifierWithRole[] = [];
  const add = (text: string, role: string) => out.push({ identifier: canonicalIdentifier(text), role });
  ids.epcs.forEach((id) => add(id, 'epc'));
  if (ids.parentID !== undefined) add(ids.parentID, 'parent');
  ids.childEPCs.forEach((id) => add(id, 'child'));
  ids.inputEPCs.forEach((id) => add(id, 'input'));
  ids.outputEPCs.forEach((id) => add(id, 'output'));
  for (const q of ids.quantities) add(q.epcClass, q.role);
  return out;
}

export function isInspectionFinding(event: unknown): boolean {
  const rule = ruleFor(event);
  return rule !== undefined && INSPECTION_RULES.has(rule.id);
}

export function isFeeding(event: unknown): boolean {
  return normaliseAuthBizStep(event) === PROVENANT_BIZSTEP.FEEDING;
}

/** Items the event is about (lineage): feed given and a transformation's inputs are not. */
export function subjectsOf(event: unknown, roles: readonly IdentifierWithRole[] = itemRolesOf(event)): string[] {
  let picked: IdentifierWithRole[];
  if (eventType(event) === 'TransformationEvent') picked = roles.filter((r) => r.role === 'output');
  else if (isFeeding(event)) picked = roles.filter((r) => r.role === 'epc' && isAnimalIdentifier(r.identifier));
  else picked = roles.filter((r) => r.role !== 'input');
  return [...new Set(picked.map((r) => r.identifier))];
}

export interface EventFactsInput {
  eventId: string;
  consortiumId: string;
  signerOrg: string;
  event: unknown;
}

export function eventFacts(input: EventFactsInput, farmsOfOrigin: ReadonlySet<string> = new Set()): EventFacts {
  const roles = itemRolesOf(input.event);
  return {
    eventId: input.eventId,
    consortiumId: input.consortiumId,
    signerOrg: input.signerOrg,
    eventClass: isInspectionFinding(input.event) ? 'INSPECTION_FINDING' : 'SUPPLY_CHAIN',
    items: [...new Set(roles.map((r) => r.identifier))],
    subjects: subjectsOf(input.event, roles),
    farmsOfOrigin,
  };
}

const HELD_PARTS: readonly CustodyPart[] = ['epc', 'parent', 'child'];

/**
 * Identifiers the signer held while posting the event, per its authorisation rule: those it takes,
 * releases or had to hold, and what a haulier or port loads and unloads. Observations (inspections,
 * customs, trading.other) grant nothing, so posting one does not open anyone's lineage.
 */
export function handledIdentifiers(event: unknown): string[] {
  const rule = ruleFor(event);
  if (!rule) return [];
  const parts = new Set<CustodyPart>([...rule.custody.take, ...rule.custody.check, ...rule.custody.release]);
  if (rule.id === 'logistics.handling') HELD_PARTS.forEach((p) => parts.add(p));
  if (parts.size === 0) return [];
  const ids = identifiersOf(event);
  const byPart: Record<CustodyPart, string[]> = {
    epc: ids.epcs,
    parent: ids.parentID !== undefined ? [ids.parentID] : [],
    child: ids.childEPCs,
    input: ids.inputEPCs,
    output: ids.outputEPCs,
  };
  return [...new Set([...parts].flatMap((p) => byPart[p].map(canonicalIdentifier)))];
}

const CONTAINER_URN_PREFIX = 'urn:provenant:container:';

/** An ISO 6346 container, bare or as `urn:provenant:container:<number>`. */
export function isContainerIdentifier(id: string): boolean {
  const bare = id.startsWith(CONTAINER_URN_PREFIX) ? id.slice(CONTAINER_URN_PREFIX.length) : id;
  try {
    return parseIdentifier(bare).kind === 'container';
  } catch {
    return false;
  }
}

// ---- lineage reachability ----

export interface ItemLink {
  from: string;
  to: string;
  /** AGGREGATION/ASSOCIATION links make cargo; every kind makes lineage. */
  kind: string;
}

export const CARGO_LINK_KINDS: ReadonlySet<string> = new Set(['AGGREGATION', 'ASSOCIATION']);

/** `targets` and every node with a path (over `links`, optionally of `kinds` only) to one of them. */
export function upstreamClosure(targets: Iterable<string>, links: Iterable<ItemLink>, kinds?: ReadonlySet<string>): Set<string> {
  const incoming = new Map<string, string[]>();
  for (const l of links) {
    if (kinds && !kinds.has(l.kind)) continue;
    const list = incoming.get(l.to);
    if (list) list.push(l.from);
    else incoming.set(l.to, [l.from]);
  }
  const out = new Set<string>(targets);
  const stack = [...out];
  while (stack.length > 0) {
    const cur = stack.pop()!;
    for (const from of incoming.get(cur) ?? []) {
      if (!out.has(from)) {
        out.add(from);
        stack.push(from);
      }
    }
  }
  return out;
}

/** Scope from custody facts and links: cargo (customs) follows aggregation only, lineage every link. */
export function scopeFrom(viewer: VisibilityViewer, custody: ReadonlySet<string>, nodes: Iterable<string>, links: readonly ItemLink[]): ViewerScope {
  const cargo = grantsCargo(viewer) ? upstreamClosure([...nodes].filter(isContainerIdentifier), links, CARGO_LINK_KINDS) : new Set<string>();
  const lineage = grantsLineage(viewer) ? upstreamClosure([...custody, ...cargo], links) : new Set<string>();
  return { custody, cargo, lineage };
}

/** May the viewer ask about this item at all (trace, passport, history, recall, cargo)? */
export function itemInScope(viewer: VisibilityViewer, identifier: string, scope: ViewerScope, ownItems: ReadonlySet<string> = new Set()): boolean {
  if (isRegulator(viewer)) return true;
  return scope.custody.has(identifier) || ownItems.has(identifier) || (grantsCargo(viewer) && scope.cargo.has(identifier)) || (grantsLineage(viewer) && scope.lineage.has(identifier));
}

// ---- redaction ----

/** Fields of an EPCIS event that say what happened, where and when, but carry no finding. */
const STRUCTURAL_FIELDS: ReadonlySet<string> = new Set([
  '@context',
  'type',
  'eventID',
  'eventTime',
  'eventTimeZoneOffset',
  'recordTime',
  'action',
  'bizStep',
  'epcList',
  'quantityList',
  'parentID',
  'childEPCs',
  'childQuantityList',
  'inputEPCList',
  'inputQuantityList',
  'outputEPCList',
  'outputQuantityList',
  'transformationID',
  'readPoint',
  'bizLocation',
  // Salted commitments to the withheld fields (docs/redaction.md): they reveal nothing without the salt.
  WITHHELD_KEY,
  CLEAR_EVENT_ID_KEY,
]);

/** The event without its finding (disposition, extensions, sensor data, ilmd...); `withheld` names what was removed. */
export function redactEvent(event: unknown): { event: Record<string, unknown>; withheld: string[] } {
  if (!event || typeof event !== 'object' || Array.isArray(event)) return { event: {}, withheld: [] };
  const kept: Record<string, unknown> = {};
  const withheld: string[] = [];
  for (const [k, v] of Object.entries(event as Record<string, unknown>)) {
    if (STRUCTURAL_FIELDS.has(k)) kept[k] = v;
    else withheld.push(k);
  }
  return { event: kept, withheld: withheld.sort() };
}

/** The finding of an inspection event: its disposition and every field that is not structural. */
export function findingOf(event: unknown): Record<string, unknown> | null {
  if (!event || typeof event !== 'object' || Array.isArray(event)) return null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(event as Record<string, unknown>)) if (!STRUCTURAL_FIELDS.has(k)) out[k] = v;
  return out;
}
