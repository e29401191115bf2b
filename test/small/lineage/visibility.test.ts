import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Role } from '../../../src/core/ledger/governance.js';
import type { LineageEdge } from '../../../src/core/lineage/graph.js';
import type { HopStatus, HopVerdict } from '../../../src/core/lineage/verify-hop.js';
import {
  decideVisibility,
  eventFacts,
  handledIdentifiers,
  isContainerIdentifier,
  itemInScope,
  redactEvent,
  findingOf,
  scopeFrom,
  subjectsOf,
  upstreamClosure,
  EMPTY_SCOPE,
  type EventFacts,
  type ViewerScope,
  type VisibilityViewer,
} from '../../../src/core/lineage/visibility.js';
import { reach, scrubReason, visibleAuthenticity, visibleTrace } from '../../../src/core/lineage/visible-views.js';
import { canonicalIdentifier, PROVENANT_BIZSTEP } from '../../../src/core/rules/authorisation.js';

const C = 'uk-red-meat';
const viewer = (orgId: string, ...roles: Role[]): VisibilityViewer => ({ orgId, consortiumId: C, roles: new Set(roles) });
const FSA = viewer('fsa', 'REGULATOR');
const HMRC = viewer('hmrc', 'CUSTOMS');
const RETAIL = viewer('retail', 'RETAILER');
const HAULIER = viewer('haulier', 'HAULIER');
const FARM_A = viewer('farm-a', 'FARM');
const FARM_B = viewer('farm-b', 'FARM');
const ABATTOIR = viewer('abattoir', 'ABATTOIR');

const animal = canonicalIdentifier('UK123450700100');
const carcass = canonicalIdentifier('urn:epc:id:sgtin:5098765.011111.C0001');
const pack = canonicalIdentifier('urn:epc:id:sgtin:5098765.033333.P1');
const kase = canonicalIdentifier('urn:epc:id:sscc:5098765.1000000001');
const container = 'urn:provenant:container:CSQU3054383';
const feed = canonicalIdentifier('urn:epc:class:lgtin:5012345.099999.FEED1');

const obj = (f: Record<string, unknown>): Record<string, unknown> => ({ type: 'ObjectEvent', eventTime: '2026-03-01T08:00:00.000Z', eventTimeZoneOffset: '+00:00', action: 'OBSERVE', ...f });
const birthEvent = obj({ action: 'ADD', bizStep: PROVENANT_BIZSTEP.BIRTH, epcList: [`urn:provenant:animal:UK123450700100`] });
const postMortemEvent = obj({ bizStep: 'inspecting', epcList: ['urn:epc:id:sgtin:5098765.011111.C0001'], disposition: 'damaged', 'provenant:postMortem': 'liver fluke' });

const birth = eventFacts({ eventId: 'birth', consortiumId: C, signerOrg: 'farm-a', event: birthEvent });
const postMortem = eventFacts({ eventId: 'pm', consortiumId: C, signerOrg: 'abattoir', event: postMortemEvent }, new Set(['farm-a']));

const scope = (s: Partial<Record<keyof ViewerScope, string[]>>): ViewerScope => ({
  custody: new Set(s.custody ?? []),
  cargo: new Set(s.cargo ?? []),
  lineage: new Set(s.lineage ?? []),
});

describe('decideVisibility', () => {
  // Scopes as the store would compute them for a pack of mince made from the farm's animal.
  const lineageOfPack = [pack, carcass, animal, feed];
  const cases: [string, VisibilityViewer | null, EventFacts, ViewerScope, string, string][] = [
    ['anonymous', null, birth, EMPTY_SCOPE, 'HIDDEN', 'UNAUTHENTICATED'],
    ['regulator', FSA, postMortem, EMPTY_SCOPE, 'VISIBLE', 'REGULATOR'],
    ['own birth', FARM_A, birth, EMPTY_SCOPE, 'VISIBLE', 'OWN_EVENT'],
    ["rival farm's birth", FARM_B, birth, scope({ custody: ['UK234560200100'] }), 'HIDDEN', 'NOT_ENTITLED'],
    ['retailer: birth upstream of its pack', RETAIL, birth, scope({ custody: [pack], lineage: lineageOfPack }), 'VISIBLE', 'LINEAGE'],
    ['retailer: post-mortem upstream of its pack', RETAIL, postMortem, scope({ custody: [pack], lineage: lineageOfPack }), 'REDACTED', 'FINDING_WITHHELD'],
    ['farm of origin: post-mortem', FARM_A, postMortem, scope({ custody: [animal] }), 'VISIBLE', 'FARM_OF_ORIGIN'],
    ['other farm: post-mortem', FARM_B, postMortem, EMPTY_SCOPE, 'HIDDEN', 'NOT_ENTITLED'],
    ['abattoir that recorded it', ABATTOIR, postMortem, EMPTY_SCOPE, 'VISIBLE', 'OWN_EVENT'],
    ['abattoir: birth of an animal it received', ABATTOIR, birth, scope({ custody: [animal, carcass], lineage: [animal, carcass] }), 'VISIBLE', 'CUSTODY'],
    ['customs: birth upstream of cargo', HMRC, birth, scope({ cargo: [pack, kase, container], lineage: [...lineageOfPack, kase, container] }), 'VISIBLE', 'LINEAGE'],
    ['customs: post-mortem upstream of cargo', HMRC, postMortem, scope({ cargo: [pack], lineage: lineageOfPack }), 'REDACTED', 'FINDING_WITHHELD'],
    // Logistics roles are not granted lineage even if a caller passes it.
    ['haulier: birth upstream of a load', HAULIER, birth, scope({ custody: [kase], lineage: [...lineageOfPack, kase] }), 'HIDDEN', 'NOT_ENTITLED'],
    ['retailer: cargo set is for customs only', RETAIL, birth, scope({ cargo: [animal] }), 'HIDDEN', 'NOT_ENTITLED'],
  ];
  it.each(cases)('%s', (_name, who, facts, sc, visibility, reason) => {
    expect(decideVisibility(who, facts, sc)).toEqual({ visibility, reason });
  });

  it('another consortium is hidden, even from its regulator', () => {
    expect(decideVisibility({ ...FSA, consortiumId: 'other' }, birth, EMPTY_SCOPE)).toEqual({ visibility: 'HIDDEN', reason: 'OTHER_CONSORTIUM' });
  });

  it('property: only the signer, the farms of origin and regulators read an inspection finding in full', () => {
    const org = fc.constantFrom('fsa', 'farm-a', 'farm-b', 'abattoir', 'retail', 'hmrc', 'haulier');
    const roles = fc.subarray(['FARM', 'ABATTOIR', 'PROCESSOR', 'HAULIER', 'RETAILER', 'REGULATOR', 'CUSTOMS'] as Role[]);
    const ids = fc.subarray([animal, carcass, pack, kase, container, feed]);
    fc.assert(
      fc.property(org, roles, org, fc.subarray(['farm-a', 'farm-b']), ids, ids, ids, (who, rs, signer, farms, custody, cargo, lineage) => {
        const facts: EventFacts = { ...postMortem, signerOrg: signer, farmsOfOrigin: new Set(farms) };
        const d = decideVisibility(viewer(who, ...rs), facts, scope({ custody, cargo, lineage }));
        const entitled = rs.includes('REGULATOR') || who === signer || farms.includes(who);
        expect(d.visibility === 'VISIBLE').toBe(entitled);
      }),
    );
  });
});

describe('facts from events', () => {
  it('handled identifiers follow the custody rule: receiving and loading hold, feeding holds the animals not the lot, inspections hold nothing', () => {
    expect(handledIdentifiers(obj({ bizStep: 'receiving', epcList: ['urn:epc:id:sscc:5098765.1000000001'] }))).toEqual([kase]);
    expect(handledIdentifiers({ type: 'AggregationEvent', action: 'ADD', bizStep: 'loading', parentID: container, childEPCs: ['urn:epc:id:sscc:5098765.1000000001'] }).sort()).toEqual([container, kase].sort());
    expect(handledIdentifiers(obj({ bizStep: PROVENANT_BIZSTEP.FEEDING, epcList: ['urn:provenant:animal:UK123450700100'], quantityList: [{ epcClass: 'urn:epc:class:lgtin:5012345.099999.FEED1', quantity: 1 }] }))).toEqual([animal]);
    expect(handledIdentifiers(postMortemEvent)).toEqual([]);
    expect(handledIdentifiers(obj({ bizStep: 'storing', epcList: ['urn:epc:id:sscc:5098765.1000000001'] }))).toEqual([]);
    const slaughter = { type: 'TransformationEvent', inputEPCList: ['urn:provenant:animal:UK123450700100'], outputEPCList: ['urn:epc:id:sgtin:5098765.011111.C0001'] };
    expect(handledIdentifiers(slaughter).sort()).toEqual([animal, carcass].sort());
  });

  it('subjects: a transformation is about its outputs, a feeding about its animals, others about all their items', () => {
    expect(subjectsOf({ type: 'TransformationEvent', inputEPCList: ['urn:epc:id:sgtin:5098765.011111.C0001'], outputEPCList: ['urn:epc:id:sgtin:5098765.033333.P1'] })).toEqual([pack]);
    expect(subjectsOf(obj({ bizStep: 'urn:provenant:bizstep:feeding', epcList: ['urn:provenant:animal:UK123450700100'], quantityList: [{ epcClass: 'urn:epc:class:lgtin:5012345.099999.FEED1', quantity: 1 }] }))).toEqual([animal]);
    expect(subjectsOf({ type: 'AggregationEvent', action: 'ADD', parentID: 'urn:epc:id:sscc:5098765.1000000001', childEPCs: ['urn:epc:id:sgtin:5098765.033333.P1'] }).sort()).toEqual([kase, pack].sort());
    expect(postMortem.eventClass).toBe('INSPECTION_FINDING');
    expect(birth.eventClass).toBe('SUPPLY_CHAIN');
  });

  it('redaction keeps what happened, where and when, and withholds the finding', () => {
    const { event, withheld } = redactEvent({ ...postMortemEvent, readPoint: { id: 'urn:epc:id:sgln:5098765.00010.0' }, ilmd: { grade: 'P' } });
    expect(withheld).toEqual(['disposition', 'ilmd', 'provenant:postMortem']);
    expect(event).toEqual({ type: 'ObjectEvent', eventTime: postMortemEvent.eventTime, eventTimeZoneOffset: '+00:00', action: 'OBSERVE', bizStep: 'inspecting', epcList: postMortemEvent.epcList, readPoint: { id: 'urn:epc:id:sgln:5098765.00010.0' } });
    expect(findingOf(postMortemEvent)).toEqual({ disposition: 'damaged', 'provenant:postMortem': 'liver fluke' });
  });

  it('containers: ISO 6346 numbers, bare or as Provenant URNs, with a valid check digit', () => {
    expect(isContainerIdentifier(container)).toBe(true);
    expect(isContainerIdentifier('CSQU3054383')).toBe(true);
    expect(isContainerIdentifier('urn:provenant:container:CSQU3054384')).toBe(false);
    expect(isContainerIdentifier(pack)).toBe(false);
  });
});

describe('scope from links', () => {
  const links = [
    { from: animal, to: carcass, kind: 'TRANSFORMATION' },
    { from: carcass, to: pack, kind: 'TRANSFORMATION' },
    { from: pack, to: kase, kind: 'AGGREGATION' },
    { from: kase, to: container, kind: 'AGGREGATION' },
    { from: feed, to: animal, kind: 'FEEDING' },
  ];
  const nodes = [animal, carcass, pack, kase, container, feed];

  it('upstream closure follows links backwards, optionally of some kinds only', () => {
    expect(upstreamClosure([pack], links)).toEqual(new Set([pack, carcass, animal, feed]));
    expect(upstreamClosure([container], links, new Set(['AGGREGATION']))).toEqual(new Set([container, kase, pack]));
  });

  it('customs: cargo is what was loaded into a container; lineage is everything upstream of cargo', () => {
    const s = scopeFrom(HMRC, new Set(), nodes, links);
    expect(s.cargo).toEqual(new Set([container, kase, pack]));
    expect(s.lineage).toEqual(new Set(nodes));
  });

  it('a retailer holding the case has the packs and everything upstream; a haulier holding it only the case', () => {
    expect(scopeFrom(RETAIL, new Set([kase]), nodes, links).lineage).toEqual(new Set([kase, pack, carcass, animal, feed]));
    const haulier = scopeFrom(HAULIER, new Set([kase]), nodes, links);
    expect(haulier.lineage.size).toBe(0);
    expect(itemInScope(HAULIER, kase, haulier)).toBe(true);
    expect(itemInScope(HAULIER, pack, haulier)).toBe(false);
    expect(itemInScope(FARM_B, animal, EMPTY_SCOPE)).toBe(false);
    expect(itemInScope(FARM_B, feed, EMPTY_SCOPE, new Set([feed]))).toBe(true);
    expect(itemInScope(FSA, animal, EMPTY_SCOPE)).toBe(true);
  });
});

describe('visible views', () => {
  const edge = (from: string, to: string, eventId: string, kind: LineageEdge['kind'] = 'TRANSFORMATION'): LineageEdge => ({ from, to, kind, eventId, time: '2026-03-01T08:00:00.000Z' });
  const hop = (e: LineageEdge, status: HopStatus = 'VERIFIED', warnings: HopVerdict['warnings'] = []): HopVerdict => ({ edge: e, recordHash: `r-${e.eventId}`, status, failures: [], warnings });
  const shownOnly = (...ids: string[]) => new Map(['e1', 'e2', 'e3', 'e4'].map((id) => [id, ids.includes(id) ? { visibility: 'VISIBLE' as const, reason: 'LINEAGE' as const } : { visibility: 'HIDDEN' as const, reason: 'NOT_ENTITLED' as const }]));
  // pack <-e1- carcass <-e2- animal <-e3- feed ; a sibling branch pack <-e4- other carcass that FAILED.
  const other = canonicalIdentifier('urn:epc:id:sgtin:5098765.011111.C0009');
  const hops = [hop(edge(carcass, pack, 'e1')), hop(edge(animal, carcass, 'e2')), hop(edge(feed, animal, 'e3', 'FEEDING')), hop(edge(other, pack, 'e4'), 'FAILED')];

  it('a trace shows what is reached from the start through shown hops; the verdict is over those', () => {
    const all = visibleTrace(pack, 'UPSTREAM', hops, [], shownOnly('e1', 'e2', 'e3', 'e4'));
    expect(all.verdict).toBe('FAILED');
    const some = visibleTrace(pack, 'UPSTREAM', hops, [], shownOnly('e1', 'e2', 'e3'));
    expect(some.nodes).toEqual([pack, carcass, animal, feed]);
    expect(some.verdict).toBe('VERIFIED');
    expect(some.depth.get(feed)).toBe(3);
  });

  it('a hidden hop cuts off everything behind it, even hops whose events are shown', () => {
    const cut = visibleTrace(pack, 'UPSTREAM', hops, [], shownOnly('e2', 'e3'));
    expect(cut.nodes).toEqual([pack]);
    expect(cut.hops).toEqual([]);
    expect(reach(feed, 'DOWNSTREAM', hops.map((h) => h.edge), shownOnly('e3')).depth).toEqual(new Map([[feed, 0], [animal, 1]]));
  });

  it('hidden event ids are scrubbed from reasons; the reason stays', () => {
    const reason = { code: 'DOUBLE_USE', message: 'consumed twice', details: { identifier: carcass, eventIds: ['e1', 'e4'] } };
    expect(scrubReason(reason, (id) => id === 'e1')).toEqual({ ...reason, details: { identifier: carcass, eventIds: ['e1'] } });
    const t = visibleTrace(pack, 'UPSTREAM', [hop(edge(carcass, pack, 'e1'), 'WARNING', [reason])], [], shownOnly('e1'));
    expect(t.hops[0]!.warnings[0]!.details).toEqual({ identifier: carcass, eventIds: ['e1'] });
  });

  it('authenticity keeps the verdict and withholds who commissioned it when that event is hidden', () => {
    const row = { eventId: 'e1', recordHash: 'r', eventTime: '2026-03-01T08:00:00.000Z', signerOrg: 'processor', event: { type: 'TransformationEvent' }, identifiers: [{ identifier: pack, role: 'output' }] };
    const result = { identifier: pack, likelyCounterfeit: true, brandOwner: 'brand', commissionedBy: ['processor'], reasons: [{ code: 'NOT_COMMISSIONED_BY_BRAND_OWNER' as const, message: `${pack} was commissioned by processor, not its brand owner brand`, details: { expected: 'brand', computed: ['processor'] } }] };
    const hiddenView = visibleAuthenticity(result, [row], shownOnly());
    expect(hiddenView).toMatchObject({ likelyCounterfeit: true, commissionedBy: [], detailsWithheld: true });
    expect(JSON.stringify(hiddenView.reasons)).not.toContain('processor');
    expect(visibleAuthenticity(result, [row], shownOnly('e1'))).toEqual({ ...result, detailsWithheld: false });
  });
});
