/**
 * What the subscription feeds publish per sealed block, how sealed events are classed (recalls,
 * inspection findings), and each viewer's copy of a notice once the read policy has decided it.
 */
import { dispositionOf } from '../../core/epcis/epcis-model.js';
import type { ConsortiumState } from '../../core/ledger/consortium.js';
import { isBirthEvent, trace as walk, type EventRow } from '../../core/lineage/graph.js';
import type { RecallRow } from '../../core/lineage/answers.js';
import { handledIdentifiers, isRegulator, redactEvent, type EventFacts, type VisibilityDecision, type VisibilityViewer } from '../../core/lineage/visibility.js';
import { isAnimalIdentifier, ruleFor } from '../../core/rules/authorisation.js';
import type { RuleSetRef } from '../../core/rules/ruleset.js';
import type { StoredBreachRecord } from '../../store/subscription-store.js';
import { DEFAULT_MAX_DEPTH, type LineageContext } from '../lineage/verify.js';

export interface BlockRef {
  height: number;
  hash: string;
}

export interface SealedEventNotice {
  consortium: string;
  block: BlockRef;
  row: EventRow;
  /** Canonical identifiers the event touches, in any role. */
  touched: ReadonlySet<string>;
  /** What visibility is decided on (farms of origin included for inspection findings). */
  facts: EventFacts;
  /** Set on a viewer's copy when its inspection finding is withheld (row.event is then redacted). */
  redacted?: boolean;
}

export interface BreachNotice {
  consortium: string;
  block: BlockRef;
  recordHash: string;
  signerOrg: string | null;
  signedAt: string;
  subject: string;
  containedItems: string[];
  ruleSet: RuleSetRef;
  finding: unknown;
  /** Decided like an observation of the subject and contained items (as record reads decide it). */
  facts: EventFacts;
  /** The owner of the device whose readings established the breach, who sees it too. */
  deviceOwner?: string;
}

export interface RecallNotice {
  event: SealedEventNotice;
  /** What the event recalls. */
  items: string[];
  /** Everything downstream of them, nearest first (the recall query). */
  affected: RecallRow[];
}

export type InspectionKind = 'POST_MORTEM' | 'OFFICIAL_INSPECTION';

export interface AnimalOrigin {
  animal: string;
  /** The organisation that registered the animal's birth (its birth holding); null when none is on record. */
  birthFarm: string | null;
  /** Farms that held the animal (birth farm included), as the visibility rules count them. */
  farms: string[];
}

export interface InspectionNotice {
  event: SealedEventNotice;
  kind: InspectionKind;
  inspected: string[];
  origins: AnimalOrigin[];
}

/** Each topic and the batch it publishes per sealed block (never one publish per record: a slow subscriber's queue stays short). */
export interface FeedTopics {
  sealedEpcisEvents: SealedEventNotice[];
  coldChainBreaches: BreachNotice[];
  recallNotices: RecallNotice[];
  inspectionFindings: InspectionNotice[];
}

// ---- each viewer's copy ----

/** The viewer's copy of an event: its finding withheld when the decision is REDACTED. */
export function shownEvent(notice: SealedEventNotice, decision: VisibilityDecision): SealedEventNotice {
  if (decision.visibility !== 'REDACTED') return notice;
  return { ...notice, row: { ...notice.row, event: redactEvent(notice.row.event).event }, redacted: true };
}

/** Inspection findings go to the farms of origin, the poster and regulators; never redacted copies. */
export function inspectionFor(viewer: VisibilityViewer, notice: InspectionNotice, decision: VisibilityDecision): InspectionNotice | null {
  if (decision.visibility !== 'VISIBLE') return null;
  if (isRegulator(viewer) || viewer.orgId === notice.event.row.signerOrg) return notice;
  // A farm sees its own animals only, not which other farms supplied the same lot.
  return { ...notice, origins: notice.origins.filter((o) => o.farms.includes(viewer.orgId)) };
}

/** Affected items the viewer holds now (the recall's affected rows name their current custodian). */
export function heldAffected(viewer: VisibilityViewer, notice: RecallNotice): RecallRow[] {
  return notice.affected.filter((r) => r.lastCustodian === viewer.orgId);
}

/** The poster and regulators see every affected item; others the items they hold now, if the policy shows them the notice at all. */
export function recallFor(viewer: VisibilityViewer, notice: RecallNotice, decision: VisibilityDecision): RecallNotice | null {
  if (decision.visibility === 'HIDDEN') return null;
  if (isRegulator(viewer) || viewer.orgId === notice.event.row.signerOrg) return notice;
  return { ...notice, event: shownEvent(notice.event, decision), affected: heldAffected(viewer, notice) };
}

// ---- classification ----

export function isRecallEvent(row: EventRow): boolean {
  return dispositionOf(row.event) === 'recalled';
}

/** Identified by the authorisation table's rule, so "an inspection" means what the role table says it does. */
export function inspectionKindOf(row: EventRow): InspectionKind | null {
  const rule = ruleFor(row.event)?.id;
  if (rule === 'abattoir.post_mortem_inspection') return 'POST_MORTEM';
  if (rule === 'regulator.official_inspection') return 'OFFICIAL_INSPECTION';
  return null;
}

const PRODUCT_EDGES = new Set(['TRANSFORMATION', 'AGGREGATION', 'ASSOCIATION']);
const byTime = (a: EventRow, b: EventRow) => (a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : 0);

/**
 * Animals the items were made from (upstream along transformation and aggregation, not through a
 * dam or feed), with the farm that registered each birth and every farm that held it.
 */
export async function originsOf(lc: LineageContext, items: readonly string[]): Promise<AnimalOrigin[]> {
  const origins = new Map<string, AnimalOrigin>();
  for (const item of items) {
    const result = await walk(lc.source, item, 'UPSTREAM', DEFAULT_MAX_DEPTH);
    const into = new Map<string, string[]>();
    for (const e of result.edges) if (PRODUCT_EDGES.has(e.kind)) into.set(e.to, [...(into.get(e.to) ?? []), e.from]);
    const reached = new Set([result.start]);
    const stack = [result.start];
    while (stack.length > 0) {
      for (const from of into.get(stack.pop()!) ?? []) {
        if (reached.has(from)) continue;
        reached.add(from);
        stack.push(from);
      }
    }
    const events = [...result.events.values()].sort(byTime);
    for (const animal of [...reached].filter(isAnimalIdentifier)) {
      if (origins.has(animal)) continue;
      const own = events.filter((r) => r.identifiers.some((i) => i.identifier === animal));
      const birth = own.find((r) => isBirthEvent(r) && r.identifiers.some((i) => i.role === 'epc' && i.identifier === animal));
      const farms = new Set<string>(birth ? [birth.signerOrg] : []);
      for (const r of own) if (lc.state.hasRole(r.signerOrg, 'FARM') && handledIdentifiers(r.event).includes(animal)) farms.add(r.signerOrg);
      origins.set(animal, { animal, birthFarm: birth?.signerOrg ?? null, farms: [...farms] });
    }
  }
  return [...origins.values()].sort((a, b) => (a.animal < b.animal ? -1 : 1));
}

export function parseBreach(stored: StoredBreachRecord): Pick<BreachNotice, 'subject' | 'containedItems' | 'ruleSet' | 'finding'> | null {
  const p = stored.payload as Partial<Record<'subject' | 'containedItems' | 'ruleSet' | 'finding', unknown>> | null;
  if (!p || typeof p !== 'object' || typeof p.subject !== 'string') return null;
  const contained = Array.isArray(p.containedItems) ? p.containedItems.filter((x): x is string => typeof x === 'string') : [];
  const r = p.ruleSet as Partial<RuleSetRef> | undefined;
  if (!r || typeof r.id !== 'string' || typeof r.version !== 'number' || typeof r.hash !== 'string') return null;
  return { subject: p.subject, containedItems: contained, ruleSet: { id: r.id, version: r.version, hash: r.hash }, finding: p.finding ?? null };
}

export function orgOfKey(state: ConsortiumState, keyId: string): string | null {
  return state.orgOfKey(keyId)?.id ?? null;
}
