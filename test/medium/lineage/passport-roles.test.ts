/**
 * Product passport: the farms of rearing are the organisations that held the FARM
 * role when they recorded an event touching the product's animals (the ledger's rolesAt at the
 * record's log index), not the organisations that hold it today.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureService } from '../../../src/services/capture/capture-service.js';
import { productPassport, type LineageContext } from '../../../src/services/lineage/queries.js';
import { canonicalIdentifier } from '../../../src/core/rules/authorisation.js';
import { LineageStore } from '../../../src/store/lineage-store.js';
import { DEMO_CONSORTIUM_ID as C } from '../../helpers/consortia.js';
import { SKIP_ROLE_CHECK, startTestNode, type TestNode } from '../../helpers/test-node.js';

const day = (n: number) => `2026-03-${String(n).padStart(2, '0')}T08:00:00.000Z`;

// BCMS published numbers for herd 123450 (check digit leads the animal number).
const animal = 'urn:provenant:animal:UK123450600001';
const carcass = 'urn:epc:id:sgtin:5098765.011111.1';
const obj = (n: number, f: Record<string, unknown>) => ({ type: 'ObjectEvent', eventTime: day(n), eventTimeZoneOffset: '+00:00', action: 'OBSERVE', ...f });

describe('product passport: farms of rearing by the roles held at the time', () => {
  let temp: TestNode;
  let service: CaptureService;
  let unchecked: CaptureService;
  const ctx = (): LineageContext => {
    const store = new LineageStore(temp.db, C);
    return { source: store, evidence: store, state: temp.node.state(C) };
  };
  const capture = (via: CaptureService, org: string, events: Record<string, unknown>[]) => temp.captureSealed(org, events, { via });

  beforeAll(async () => {
    temp = await startTestNode();
    service = temp.capture;
    // swift-haulage (HAULIER) may not record a feeding; capture without its hook stores it anyway.
    unchecked = new CaptureService({ node: temp.node, db: temp.db, authorise: SKIP_ROLE_CHECK });

    await capture(service, 'highfield-farm', [obj(1, { action: 'ADD', bizStep: 'urn:provenant:bizstep:birth', epcList: [animal] })]);
    await capture(unchecked, 'swift-haulage', [obj(2, { bizStep: 'urn:provenant:bizstep:feeding', epcList: [animal], quantityList: [{ epcClass: 'urn:epc:class:lgtin:5098765.033333.FEED1', quantity: 30, uom: 'KGM' }] })]);
    await capture(service, 'highfield-farm', [obj(3, { bizStep: 'shipping', epcList: [animal] })]);
    await capture(service, 'northern-abattoir', [obj(4, { bizStep: 'receiving', epcList: [animal] })]);
    await capture(service, 'northern-abattoir', [{ type: 'TransformationEvent', eventTime: day(5), eventTimeZoneOffset: '+00:00', inputEPCList: [animal], outputEPCList: [carcass] }]);
    // Afterwards highfield-farm loses FARM and swift-haulage gains it.
    await temp.govern([
      { type: 'role.revoke', orgId: 'highfield-farm', role: 'FARM' },
      { type: 'role.grant', orgId: 'swift-haulage', role: 'FARM' },
    ]);
  }, 120_000);

  afterAll(async () => {
    await unchecked?.close();
    await temp?.destroy();
  });

  it('lists the farm that reared the animal though it no longer holds FARM, and not an org granted FARM since', async () => {
    const state = temp.node.state(C);
    expect(state.hasRole('highfield-farm', 'FARM')).toBe(false);
    expect(state.hasRole('swift-haulage', 'FARM')).toBe(true);
    const passport = await productPassport(ctx(), carcass);
    expect(passport.animals).toEqual([canonicalIdentifier(animal)]);
    expect(passport.farmsOfBirth.map((f) => f.orgId)).toEqual(['highfield-farm']);
    expect(passport.rearingFarms).toEqual(['highfield-farm']);
    expect(passport.slaughter.map((s) => s.orgId)).toEqual(['northern-abattoir']);
  });
});
