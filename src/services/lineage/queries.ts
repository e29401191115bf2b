/**
 * Lineage queries over a LineageSource + EvidenceLoader: verified trace, product passport, animal
 * history, recall (+ CSV), cargo lineage and authenticity. Pure apart from the two interfaces.
 */
import { bizStepOf, eventType } from '../../core/epcis/epcis-model.js';
import { parseIdentifier } from '../../core/identifiers/index.js';
import type { ConsortiumState } from '../../core/ledger/consortium.js';
import { canonicalIdentifier, isAnimalIdentifier, PROVENANT_BIZSTEP } from '../../core/rules/authorisation.js';
import type { AnimalHistory, AuthenticityResult, PartyAt, ProductPassport } from '../../core/lineage/answers.js';
import { damOf, isBirthEvent, isFeedingEvent, edgesOfEvent, type EventRow } from '../../core/lineage/graph.js';
import { byTime, step, summary } from './summary.js';
import { trace, type LineageContext } from './verify.js';

export type {
  AnimalHistory,
  AnimalHistoryOf,
  AuthenticityResult,
  CargoLineage,
  CargoNode,
  EventSummary,
  PartyAt,
  ProductPassport,
  RecallRow,
} from '../../core/lineage/answers.js';
export { rootsAbove } from '../../core/lineage/answers.js';
export { DEFAULT_MAX_DEPTH, trace, verifyTraceResult, type LineageContext, type VerifiedTrace } from './verify.js';
export { identifierKind, recall, recallCsv, RECALL_CSV_HEADER } from './recall.js';
export { cargoLineage } from './cargo.js';

function hasInputRole(row: EventRow, pred: (id: string) => boolean): boolean {
  return row.identifiers.some((i) => i.role === 'input' && pred(i.identifier));
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

const MOVEMENT_STEPS = new Set(['shipping', 'departing', 'receiving', 'arriving', 'accepting', 'loading', 'unloading', 'transporting']);
const TREATMENT = /treat|veterinary|medicat|vaccin/i;

/** Where the animal was born: the event's location, else the CPH holding a posting form records. */
function birthHolding(row: EventRow): string | null {
  const s = summary(row);
  const cph = row.event['provenant:cph'];
  return s.bizLocation ?? s.readPoint ?? (typeof cph === 'string' ? cph : null);
}

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
    birth: birthRow ? { ...summary(birthRow), holding: birthHolding(birthRow) } : null,
    dam: birthRow ? (damOf(birthRow) ?? null) : null,
    movements: rows.filter((r) => MOVEMENT_STEPS.has(step(r) ?? '')).map(summary),
    feedLots,
    treatments: rows.filter((r) => TREATMENT.test(String(r.event['bizStep'] ?? ''))).map(summary),
    slaughter: slaughterRow ? { ...summary(slaughterRow), outputs } : null,
    postMortem: [...rows, ...after].filter((r) => step(r) === 'inspecting' || step(r) === PROVENANT_BIZSTEP.OFFICIAL_INSPECTION).map(summary),
    events: rows.map(summary),
  };
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

