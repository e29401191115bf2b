/**
 * Product passport (issue #4 §3): the farms of rearing are the organisations that held the FARM
 * role when they recorded an event touching the product's animals (the ledger's rolesAt at the
 * record's log index), not the organisations that hold it today.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureService } from '../../../src/capture/capture-service.js';
import { signCaptureDocument } from '../../../src/capture/client.js';
import type { MembershipChange } from '../../../src/ledger/governance.js';
import { RecordKind, signRecord } from '../../../src/ledger/record.js';
import { productPassport, type LineageContext } from '../../../src/lineage/queries.js';
import type { LedgerNode } from '../../../src/node/ledger-node.js';
import { canonicalIdentifier } from '../../../src/rules/authorisation.js';
import { LineageStore } from '../../../src/store/lineage-store.js';
import { startTempNode, type TempNode } from '../../helpers/temp-node.js';

const C = 'uk-red-meat';
// BCMS published numbers for herd 123450 (check digit leads the animal number).
const animal = 'urn:provenant:animal:UK123450600001';
const carcass = 'urn:epc:id:sgtin:5098765.011111.1';
const t = (day: number) => `2026-03-${String(day).padStart(2, '0')}T08:00:00.000Z`;
const obj = (day: number, f: Record<string, unknown>) => ({ type: 'ObjectEvent', eventTime: t(day), eventTimeZoneOffset: '+00:00', action: 'OBSERVE', ...f });
const doc = (events: Record<string, unknown>[]) => ({
  '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
  type: 'EPCISDocument',
  schemaVersion: '2.0',
  creationDate: '2026-11-21T08:00:00.000Z',
  epcisBody: { eventList: events },
});

describe('product passport: farms of rearing by the roles held at the time', () => {
  let temp: TempNode;
  let service: CaptureService;
  let unchecked: CaptureService;
  const keyOf = (org: string) => temp.demo.orgKeys.get(org)!;
  const ctx = (): LineageContext => {
    const store = new LineageStore(temp.db, C);
    return { source: store, evidence: store, state: temp.node.state(C) };
  };

  async function submitSealed(records: ReturnType<typeof signRecord>[]): Promise<string[]> {
    const outcomes = await temp.node.submit(C, records);
    for (const o of outcomes) expect(o.status, JSON.stringify(o)).toBe('accepted');
    expect(await temp.node.sealNow(C)).not.toBeNull();
    return outcomes.map((o) => (o as { recordHash: string }).recordHash);
  }

  /** fsa proposes (its proposal counts as approval); hmrc and riverside-retail approve: 3 of 4. */
  async function govern(changes: MembershipChange[]): Promise<void> {
    const proposals = await submitSealed(changes.map((change) => signRecord({ consortium: C, kind: RecordKind.PROPOSAL, payload: { change } as never }, keyOf('fsa'))));
    await submitSealed(['hmrc', 'riverside-retail'].flatMap((org) => proposals.map((proposal) => signRecord({ consortium: C, kind: RecordKind.APPROVAL, payload: { proposal } }, keyOf(org)))));
    for (const p of proposals) expect(temp.node.state(C).proposals.get(p)!.status).toBe('applied');
  }

  async function capture(via: CaptureService, org: string, events: Record<string, unknown>[]): Promise<void> {
    await via.capture(signCaptureDocument(doc(events), { consortium: C, key: keyOf(org) }));
    expect(await temp.node.sealNow(C)).not.toBeNull();
  }

  beforeAll(async () => {
    temp = await startTempNode();
    service = new CaptureService({ node: temp.node, db: temp.db });
    // swift-haulage (HAULIER) may not record a feeding; capture without its hook stores it anyway.
    const node = temp.node;
    const bypass = {
      state: (id: string) => node.state(id),
      submit: (id: string, records: unknown[], options: Parameters<LedgerNode['submit']>[2] = {}) => node.submit(id, records, { ...options, check: undefined }),
    } as unknown as LedgerNode;
    unchecked = new CaptureService({ node: bypass, db: temp.db });

    await capture(service, 'highfield-farm', [obj(1, { action: 'ADD', bizStep: 'urn:provenant:bizstep:birth', epcList: [animal] })]);
    await capture(unchecked, 'swift-haulage', [obj(2, { bizStep: 'urn:provenant:bizstep:feeding', epcList: [animal], quantityList: [{ epcClass: 'urn:epc:class:lgtin:5098765.033333.FEED1', quantity: 30, uom: 'KGM' }] })]);
    await capture(service, 'highfield-farm', [obj(3, { bizStep: 'shipping', epcList: [animal] })]);
    await capture(service, 'northern-abattoir', [obj(4, { bizStep: 'receiving', epcList: [animal] })]);
    await capture(service, 'northern-abattoir', [{ type: 'TransformationEvent', eventTime: t(5), eventTimeZoneOffset: '+00:00', inputEPCList: [animal], outputEPCList: [carcass] }]);
    // Afterwards highfield-farm loses FARM and swift-haulage gains it.
    await govern([
      { type: 'role.revoke', orgId: 'highfield-farm', role: 'FARM' },
      { type: 'role.grant', orgId: 'swift-haulage', role: 'FARM' },
    ]);
  }, 120_000);

  afterAll(async () => {
    await service?.close();
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
