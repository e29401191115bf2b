/**
 * Logistics roles read an item's events from their first custody of it on (docs/access.md, "From
 * one's first custody on"); owner roles keep their whole view; a load's contents declaration stays
 * readable, a customs observation shaped as an aggregation does not.
 */
import { describe, expect, it } from 'vitest';
import type { Role } from '../../../src/core/ledger/governance.js';
import { PROVENANT_BIZSTEP } from '../../../src/core/rules/authorisation.js';
import { decideVisibility, eventFacts, type ViewerScope } from '../../../src/core/lineage/visibility.js';

const C = 'uk-red-meat';
const CONTAINER = 'urn:provenant:container:CSQU3054383';
const PALLET = 'urn:epc:id:sscc:5098765.3000000001';
const viewer = (roles: Role[]) => ({ orgId: 'viewer', consortiumId: C, roles: new Set(roles) });
const at = (position: number, signerOrg: string, event: Record<string, unknown>) =>
  eventFacts({ eventId: `e${position}`, consortiumId: C, signerOrg, event: { eventTime: '2026-03-01T08:00:00.000Z', eventTimeZoneOffset: '+00:00', ...event }, position });
const clearance = at(3, 'hmrc', { type: 'ObjectEvent', action: 'OBSERVE', bizStep: PROVENANT_BIZSTEP.CUSTOMS_CLEARANCE, epcList: [CONTAINER] });
const clearanceAsAggregation = at(4, 'hmrc', { type: 'AggregationEvent', action: 'ADD', bizStep: PROVENANT_BIZSTEP.CUSTOMS_CLEARANCE, parentID: CONTAINER, childEPCs: [PALLET] });
const loading = at(2, 'swift-haulage', { type: 'AggregationEvent', action: 'ADD', bizStep: 'loading', parentID: CONTAINER, childEPCs: [PALLET] });
const later = at(9, 'hmrc', { type: 'ObjectEvent', action: 'OBSERVE', bizStep: PROVENANT_BIZSTEP.CUSTOMS_HOLD, epcList: [CONTAINER] });
const scope = (custodySince?: number): ViewerScope => ({
  custody: new Set([CONTAINER]),
  cargo: new Set(),
  lineage: new Set(),
  ...(custodySince !== undefined ? { custodySince: new Map([[CONTAINER, custodySince]]) } : {}),
});

describe('custody read from the first custody on', () => {
  it('hides events on the item before the viewer took it, shows those after', () => {
    const carrier = viewer(['CARRIER']);
    expect(decideVisibility(carrier, clearance, scope(5))).toMatchObject({ visibility: 'HIDDEN', reason: 'NOT_ENTITLED' });
    expect(decideVisibility(carrier, later, scope(5))).toMatchObject({ visibility: 'VISIBLE', reason: 'CUSTODY' });
    // Without a first-custody position (an owner role's scope) custody reads the item's whole history.
    expect(decideVisibility(carrier, clearance, scope())).toMatchObject({ visibility: 'VISIBLE', reason: 'CUSTODY' });
  });

  it("keeps the load's contents declaration readable, not an observation shaped as one", () => {
    const carrier = viewer(['CARRIER']);
    expect(loading.contentsOf).toBe(CONTAINER);
    expect(decideVisibility(carrier, loading, scope(5))).toMatchObject({ visibility: 'VISIBLE', reason: 'CUSTODY' });
    expect(clearanceAsAggregation.contentsOf).toBeUndefined();
    expect(decideVisibility(carrier, clearanceAsAggregation, scope(5))).toMatchObject({ visibility: 'HIDDEN' });
  });
});
