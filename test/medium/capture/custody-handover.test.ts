/**
 * Custody only from a legitimate hand-over (custody rule set 2, docs/authorisation.md): the outside
 * audit's case replayed on a real node. A container released by customs and departed from the port
 * cannot be shipped by a carrier outside the story, and that carrier cannot read HMRC's clearance;
 * a shipping to a named organisation is received by it and by nobody else. A chain captured under
 * rule set 1 (where the carrier's shipping was admitted) still verifies and re-derives. Customs may
 * assign custody by an explicit decision naming the new custodian.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemoConsortium, DEMO_CONSORTIUM_ID as C } from '../../../src/services/node/demo-consortium.js';
import { verifyStoredChain } from '../../../src/services/node/verify-stored-chain.js';
import { PROVENANT_BIZSTEP, PROVENANT_DISPOSITION } from '../../../src/core/rules/authorisation.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

const CONTAINER = 'urn:provenant:container:CSQU3054383';
const PORT = 'urn:epc:id:sgln:5012345.00099.0';
let minute = 0;
const at = () => new Date(Date.UTC(2026, 2, 1, 8, minute++)).toISOString();
const obj = (fields: Record<string, unknown>) => ({ type: 'ObjectEvent', eventTime: at(), eventTimeZoneOffset: '+00:00', action: 'OBSERVE', ...fields });
const toParty = (orgId: string) => [{ type: 'possessing_party', destination: `urn:provenant:org:${orgId}` }];

/** The audit's story up to the release: the port receives the container, HMRC clears it, the port lets it go. Returns the clearance's event ID. */
async function releasedContainer(node: TestNode): Promise<string> {
  await node.captureSealed('port-felixstowe', [obj({ bizStep: 'arriving', epcList: [CONTAINER], readPoint: { id: PORT } })]);
  const clearance = await node.captureEvents('hmrc', [
    obj({ bizStep: PROVENANT_BIZSTEP.CUSTOMS_CLEARANCE, disposition: PROVENANT_DISPOSITION.CUSTOMS_RELEASED, epcList: [CONTAINER], 'provenant:declaration': { hsCode: '0201' } }),
  ]);
  await node.captureSealed('port-felixstowe', [obj({ bizStep: 'departing', epcList: [CONTAINER], readPoint: { id: PORT } })]);
  expect(clearance.results[0]!.status).toBe('accepted');
  return clearance.results[0]!.eventId;
}

async function statusOfRead(node: TestNode, org: string, eventId: string): Promise<number> {
  const res = await fetch(`${node.url}/epcis/events/${encodeURIComponent(eventId)}`, { headers: { authorization: `Bearer ${node.tokens[org]}` } });
  return res.status;
}

describe('custody rule set 2: only a hand-over gives custody', () => {
  let node: TestNode;
  let clearanceId: string;
  beforeAll(async () => {
    node = await startTestNode({ http: true, tokens: true });
    expect(node.node.state(C).custodyRules).toBe(2);
    clearanceId = await releasedContainer(node);
  }, 120_000);
  afterAll(async () => {
    await node?.destroy();
  });

  it("an outside carrier's shipping of the released container is refused NOT_CUSTODIAN, naming no holder, and HMRC's clearance stays hidden from it", async () => {
    const outcome = await node.captureEvents('oceanic-line', [obj({ bizStep: 'shipping', epcList: [CONTAINER] })], { mode: 'partial' });
    const [r] = outcome.results;
    expect(r!.status).toBe('rejected');
    expect(r!.error!.code).toBe('NOT_CUSTODIAN');
    expect(r!.error!.message).not.toContain('port-felixstowe');
    expect(r!.error!.details).toMatchObject({ ruleSet: { id: 'provenant-custody', version: 2 } });
    expect(await statusOfRead(node, 'oceanic-line', clearanceId)).toBe(404);
    // The port held the container when customs cleared it: it reads the clearance.
    expect(await statusOfRead(node, 'port-felixstowe', clearanceId)).toBe(200);
  });

  it('a carrier that picks up the container (shipped to no named party) reads its events from its custody on, not the earlier clearance', async () => {
    const received = await node.captureEvents('oceanic-line', [obj({ bizStep: 'receiving', epcList: [CONTAINER] })]);
    expect(received.results[0]!.status).toBe('accepted');
    await node.seal();
    const later = await node.captureEvents('hmrc', [obj({ bizStep: PROVENANT_BIZSTEP.CUSTOMS_HOLD, disposition: PROVENANT_DISPOSITION.CUSTOMS_HOLD, epcList: [CONTAINER] })]);
    await node.seal();
    expect(await statusOfRead(node, 'oceanic-line', clearanceId)).toBe(404);
    expect(await statusOfRead(node, 'oceanic-line', later.results[0]!.eventId)).toBe(200);
  });

  it('a shipping to a named organisation is received by it; receiving by another is refused; a sold item is taken by nobody', async () => {
    const pallet = 'urn:epc:id:sscc:5098765.3000000001';
    await node.captureSealed('vale-processors', [obj({ action: 'ADD', bizStep: 'commissioning', epcList: [pallet] }), obj({ bizStep: 'shipping', epcList: [pallet], destinationList: toParty('swift-haulage') })]);
    const wrong = await node.captureEvents('riverside-retail', [obj({ bizStep: 'receiving', epcList: [pallet] })], { mode: 'partial' });
    expect(wrong.results[0]!.error?.code).toBe('NOT_CUSTODIAN');
    expect(wrong.results[0]!.error?.message).not.toContain('swift-haulage');
    expect((await node.captureEvents('swift-haulage', [obj({ bizStep: 'receiving', epcList: [pallet] })])).results[0]!.status).toBe('accepted');
    // On to the retailer, named by a registered identifier (its GLN), who sells it.
    await node.captureSealed('swift-haulage', [obj({ bizStep: 'shipping', epcList: [pallet], destinationList: [{ type: 'owning_party', destination: 'urn:provenant:org-id:gln:5012345000009' }] })]);
    await node.captureSealed('riverside-retail', [obj({ bizStep: 'receiving', epcList: [pallet] }), obj({ bizStep: 'retail_selling', epcList: [pallet] })]);
    for (const org of ['swift-haulage', 'oceanic-line', 'riverside-retail']) {
      const taken = await node.captureEvents(org, [obj({ bizStep: 'receiving', epcList: [pallet] })], { mode: 'partial' });
      expect(taken.results[0]!.error?.code, org).toBe('NOT_CUSTODIAN');
    }
  });

  it("customs assigns the carrier's container to a haulier by an explicit decision: the haulier receives it, nobody else may", async () => {
    const assign = (org: string, destinationList: unknown[]) =>
      node.captureEvents(org, [obj({ bizStep: 'urn:provenant:bizstep:custody_assignment', epcList: [CONTAINER], destinationList })], { mode: 'partial' });
    expect((await assign('oceanic-line', toParty('oceanic-line'))).results[0]!.error?.code).toBe('NOT_AUTHORISED');
    expect((await assign('hmrc', [])).results[0]!.error?.code).toBe('NOT_AUTHORISED');
    expect((await assign('hmrc', toParty('swift-haulage'))).results[0]!.status).toBe('accepted');
    await node.seal();
    // The carrier held it: no longer. The port may not collect it either; the haulier named may.
    const shipped = await node.captureEvents('oceanic-line', [obj({ bizStep: 'shipping', epcList: [CONTAINER] })], { mode: 'partial' });
    expect(shipped.results[0]!.error?.code).toBe('NOT_CUSTODIAN');
    const port = await node.captureEvents('port-felixstowe', [obj({ bizStep: 'receiving', epcList: [CONTAINER] })], { mode: 'partial' });
    expect(port.results[0]!.error?.code).toBe('NOT_CUSTODIAN');
    expect((await node.captureEvents('swift-haulage', [obj({ bizStep: 'receiving', epcList: [CONTAINER] })])).results[0]!.status).toBe('accepted');
    await node.seal();
  });

  it('the chain verifies and its projections re-derive under rule set 2', async () => {
    const report = await verifyStoredChain(node.store, C);
    expect(report.failures).toEqual([]);
    expect(report.projections?.failures).toEqual([]);
    expect(report.projections?.ruleFailures).toEqual([]);
    expect(report.projections?.tables.Custody?.derived).toBeGreaterThan(0);
    expect(report.ok).toBe(true);
  });
});

describe('a chain captured under custody rule set 1', () => {
  let node: TestNode;
  beforeAll(async () => {
    const legacy = buildDemoConsortium();
    legacy.spec.custodyRules = 1;
    node = await startTestNode({ demo: legacy, http: true, tokens: true });
  }, 120_000);
  afterAll(async () => {
    await node?.destroy();
  });

  it("admitted the carrier's shipping then, and still verifies (verify's check) with its projections re-derived", async () => {
    expect(node.node.state(C).custodyRules).toBe(1);
    await releasedContainer(node);
    const shipped = await node.captureEvents('oceanic-line', [obj({ bizStep: 'shipping', epcList: [CONTAINER] })]);
    expect(shipped.results[0]!.status).toBe('accepted');
    await node.seal();
    const report = await verifyStoredChain(node.store, C);
    expect(report.failures).toEqual([]);
    expect(report.projections?.failures).toEqual([]);
    expect(report.projections?.ruleFailures).toEqual([]);
    expect(report.projections?.tables.Custody?.derived).toBeGreaterThan(0);
    expect(report.ok).toBe(true);
    // Reopened, the node rebuilds its state from the stored chain: the rule set comes from the genesis.
    node = await node.reopen();
    expect(node.node.state(C).custodyRules).toBe(1);
  });

  it('adopts rule set 2 by governance from a log position: the carrier is refused from then on, the earlier shipping still verifies', async () => {
    await node.govern([{ type: 'custody.rules', version: 2 }]);
    const state = node.node.state(C);
    expect(state.custodyRules).toBe(2);
    expect(state.custodyRulesAt(1)).toBe(1);
    // The carrier shipped the container under rule set 1; another carrier may not take it now.
    const taken = await node.captureEvents('swift-haulage', [obj({ bizStep: 'shipping', epcList: [CONTAINER] })], { mode: 'partial' });
    expect(taken.results[0]!.error?.code).toBe('NOT_CUSTODIAN');
    expect(taken.results[0]!.error?.details).toMatchObject({ ruleSet: { version: 2 } });
    await expect(node.govern([{ type: 'custody.rules', version: 1 }])).rejects.toThrow(/custody rule set is 2/);
    const report = await verifyStoredChain(node.store, C);
    expect(report.failures).toEqual([]);
    expect(report.projections?.ruleFailures).toEqual([]);
    expect(report.ok).toBe(true);
    node = await node.reopen();
    expect(node.node.state(C).custodyRules).toBe(2);
  });
});
