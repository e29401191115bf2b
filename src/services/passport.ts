/**
 * The public product passport behind a GS1 Digital Link: what a shopper holding the pack may read
 * without an account. It is cut from the verified product passport to the fields the read policy
 * lets a brand owner publish on the pack's link (PUBLIC_PASSPORT_FIELDS): the region of the farms
 * of origin (country and CPH county, never the holding or the farm), slaughter and packing dates
 * (day only), whether the cold chain was kept and whether every step verified. No organisation's
 * name appears except the brand owner's, which is on the pack already. Every caller gets the same.
 */
import { CodedError } from '../core/coded-error.js';
import { isGs1Identifier, parseIdentifier, type Identifier } from '../core/identifiers/index.js';
import { isAnimalIdentifier } from '../core/rules/authorisation.js';
import type { ConsortiumState } from '../core/ledger/consortium.js';
import type { HopVerdict } from '../core/lineage/verify-hop.js';
import { LineageStore } from '../store/lineage-store.js';
import { authenticity, productPassport, type LineageContext } from './lineage/queries.js';
import type { LedgerNode } from './node/ledger-node.js';
import type { Database } from '../store/database.js';
import type { VisibilityViewer } from '../core/lineage/visibility.js';
import type { NodeHandles } from './node-handles.js';
import { decideRead, type PublicPassportField } from './read-policy.js';

export type PassportErrorCode = 'INVALID_IDENTIFIER' | 'PASSPORT_NOT_FOUND' | 'PASSPORT_NOT_PUBLISHED';

export class PassportError extends CodedError<PassportErrorCode> {
  override readonly name = 'PassportError';
}

/** The fields a brand owner publishes on a product's Digital Link (and nothing else: PUBLIC_PASSPORT_FIELDS). */
export interface PublicPassport extends Record<PublicPassportField, unknown> {
  /** Canonical GS1 Digital Link URI on id.gs1.org. */
  identifier: string;
  gtin: string;
  lot: string | null;
  serial: string | null;
  brandOwner: string;
  /** e.g. "UK, CPH county 12": the holding number and the farm stay private. */
  originRegions: string[];
  slaughterDates: string[];
  packingDates: string[];
  coldChainKept: boolean;
  everyStepVerified: boolean;
  /** When this node checked the signatures and proofs behind the answer. */
  checkedAt: string;
}

/** A step counts as verified when its record's signature, standing, inclusion and seals hold and it is sealed. */
export function hopVerified(hop: Pick<HopVerdict, 'failures' | 'warnings'>): boolean {
  return hop.failures.length === 0 && !hop.warnings.some((w) => w.code === 'NOT_SEALED');
}

const day = (iso: string) => iso.slice(0, 10);
const uniqueSorted = (values: Iterable<string>) => [...new Set(values)].sort();

function parseProductKey(text: string): Identifier & { gtin: string; lot?: string; serial?: string } {
  let id: Identifier;
  try {
    id = parseIdentifier(text);
  } catch (err) {
    throw new PassportError('INVALID_IDENTIFIER', `"${text}" is not a GS1 identifier: ${(err as Error).message}`, { identifier: text });
  }
  if (!isGs1Identifier(id) || !('gtin' in id)) {
    throw new PassportError('PASSPORT_NOT_PUBLISHED', `no public passport is published for ${id.canonical}: passports are for trade items (GTIN)`, { identifier: id.canonical });
  }
  return id;
}

/** Region of a farm from its registered CPH numbers: the county part names an area, not a holding. */
function regionsOf(state: ConsortiumState, orgId: string, country: string): string[] {
  const cphs = state.orgs.get(orgId)?.identifiers['cph'] ?? [];
  return cphs.map((cph) => `${country}, CPH county ${cph.slice(0, 2)}`);
}

/** The lineage context over the consortium that holds events of the item, if any. */
async function contextHolding(node: LedgerNode, db: Database, identifier: string): Promise<LineageContext | undefined> {
  for (const consortiumId of node.consortia()) {
    const store = new LineageStore(db, consortiumId);
    if ((await store.eventsTouching([identifier])).length > 0) return { source: store, evidence: store, state: node.state(consortiumId), index: node.trustedIndex(consortiumId) };
  }
  return undefined;
}

/** Only the fields the read policy lets out, whoever asks. */
function publishedFields(passport: PublicPassport, fields: readonly PublicPassportField[]): PublicPassport {
  return Object.fromEntries(fields.map((f) => [f, passport[f]])) as unknown as PublicPassport;
}

/** The public passport of a trade item, verified now; PassportError when there is none to publish. */
export async function publicPassport(handles: Pick<NodeHandles, 'node' | 'db'>, viewer: VisibilityViewer | null, text: string, now: () => Date = () => new Date()): Promise<PublicPassport> {
  const { node, db } = handles;
  const id = parseProductKey(text);
  const lc = await contextHolding(node, db, id.canonical);
  if (!lc) throw new PassportError('PASSPORT_NOT_FOUND', `no events for ${id.canonical}`, { identifier: id.canonical });
  const { brandOwner } = await authenticity(lc, id.canonical);
  const owner = brandOwner ? lc.state.orgs.get(brandOwner) : undefined;
  if (!owner) {
    throw new PassportError('PASSPORT_NOT_PUBLISHED', `no member of the consortium owns the GS1 company prefix of ${id.canonical}, so no passport is published`, { identifier: id.canonical });
  }
  const passport = await productPassport(lc, id.canonical);
  const country = passport.animals.filter(isAnimalIdentifier).map((a) => /:([A-Z]{2})\d+$/.exec(a)?.[1] ?? 'UK')[0] ?? 'UK';
  const farms = uniqueSorted([...passport.farmsOfBirth.map((f) => f.orgId), ...passport.rearingFarms]);
  const packed = passport.packing.length > 0 ? passport.packing : passport.processing;
  const hops = passport.verification.hops;
  const decision = decideRead(viewer, { kind: 'published', consortiumId: lc.state.id, ownerOrg: owner.id, what: 'public-passport' });
  return publishedFields({
    identifier: id.canonical,
    gtin: id.gtin,
    lot: id.lot ?? null,
    serial: id.serial ?? null,
    brandOwner: owner.name,
    originRegions: uniqueSorted(farms.flatMap((f) => regionsOf(lc.state, f, country))),
    slaughterDates: uniqueSorted(passport.slaughter.map((p) => day(p.time))),
    packingDates: uniqueSorted(packed.map((p) => day(p.time))),
    coldChainKept: passport.coldChainCompliant,
    everyStepVerified: hops.length > 0 && hops.every(hopVerified),
    checkedAt: now().toISOString(),
  }, decision.fields ?? []);
}
