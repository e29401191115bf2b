/**
 * Custody rule set 2 (docs/authorisation.md, "Custody rule sets"): custody passes only by a
 * hand-over. A property test drives random ship/receive/sell sequences through the role table and
 * compares every decision with a model of the four states (never seen, held, in transit, released).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Role } from '../../../src/core/ledger/governance.js';
import { CustodyReplay } from '../../../src/core/ledger/projections/custody.js';
import { parseGenesisPayload } from '../../../src/core/ledger/records/genesis.js';
import { describeChange, parseMembershipChange } from '../../../src/core/ledger/membership.js';
import { applyChange, validateChange } from '../../../src/core/ledger/membership-change.js';
import { authoriseEvent, canonicalIdentifier, custodyStateOfChange, type SignerOrg } from '../../../src/core/rules/authorisation.js';
import { custodyFromHistory, type HistoryEvent } from '../../../src/core/rules/custody-history.js';
import { custodyRuleSetRef, custodyRuleSetsMarkdown, namesOrganisation, partyDestinationsOf, partyGlnOf, type CustodyState } from '../../../src/core/rules/custody-state.js';

const ITEM = 'urn:epc:id:sscc:0614141.1234567890';
const ID = canonicalIdentifier(ITEM);

const org = (id: string, roles: Role[], identifiers: Record<string, string[]> = {}): SignerOrg => ({ id, roles: new Set(roles), identifiers });
const ORGS = {
  proc: org('org-proc', ['PROCESSOR'], { gln: ['5098765000008'] }),
  haul: org('org-haul', ['HAULIER']),
  ship: org('org-ship', ['CARRIER'], { eori: ['GB123456789000'] }),
  shopA: org('org-shop-a', ['RETAILER'], { gln: ['5012345000009'] }),
  shopB: org('org-shop-b', ['RETAILER'], { gln: ['5012345000016'] }),
};
const ALL = Object.values(ORGS);
const SHIPPERS = [ORGS.proc, ORGS.haul, ORGS.ship];
const SELLERS = [ORGS.shopA, ORGS.shopB];

type Step =
  | { kind: 'ship'; by: SignerOrg; to: SignerOrg | null; byIdentifier: boolean }
  | { kind: 'receive'; by: SignerOrg }
  | { kind: 'sell'; by: SignerOrg };

/** A destination naming the organisation: its member id, or (when it has one) a registered identifier. */
function destinationOf(to: SignerOrg, byIdentifier: boolean): string {
  const [scheme, values] = Object.entries(to.identifiers)[0] ?? [];
  return byIdentifier && scheme && values?.[0] ? `urn:provenant:org-id:${scheme}:${values[0]}` : `urn:provenant:org:${to.id}`;
}

function eventOf(step: Step): Record<string, unknown> {
  const base = { type: 'ObjectEvent', action: 'OBSERVE', epcList: [ITEM], eventTime: '2026-11-21T08:00:00.000Z', eventTimeZoneOffset: '+00:00' };
  if (step.kind === 'receive') return { ...base, bizStep: 'receiving' };
  if (step.kind === 'sell') return { ...base, bizStep: 'retail_selling' };
  return { ...base, bizStep: 'shipping', ...(step.to ? { destinationList: [{ type: 'owning_party', destination: destinationOf(step.to, step.byIdentifier) }] } : {}) };
}

const RULE = { ship: 'logistics.shipping', sell: 'retail.selling', receive: 'logistics.receiving' } as const;

/** The model: what rule set 2 must decide, and the state it leaves. */
function model(state: CustodyState | undefined, step: Step): CustodyState | 'refused' {
  // Held by the signer, never seen, or let go by the signer under the same rule (a restatement).
  const restates = state !== undefined && state.kind !== 'held' && state.by === step.by.id && state.rule === RULE[step.kind];
  const holds = state === undefined || (state.kind === 'held' && state.orgId === step.by.id) || restates;
  const letGo = { by: step.by.id, rule: RULE[step.kind] };
  if (step.kind === 'ship') return holds ? { kind: 'in_transit', destinations: step.to ? [destinationOf(step.to, step.byIdentifier)] : [], ...letGo } : 'refused';
  if (step.kind === 'sell') return holds ? { kind: 'released', ...letGo } : 'refused';
  const mine = [destinationOf(step.by, false), destinationOf(step.by, true)];
  const named = state?.kind === 'in_transit' && (state.destinations.length === 0 || state.destinations.some((d) => mine.includes(d)));
  const held = state === undefined || (state.kind === 'held' && state.orgId === step.by.id);
  return held || named ? { kind: 'held', orgId: step.by.id } : 'refused';
}

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('ship' as const), by: fc.constantFrom(...SHIPPERS), to: fc.option(fc.constantFrom(...ALL), { nil: null }), byIdentifier: fc.boolean() }),
  fc.record({ kind: fc.constant('receive' as const), by: fc.constantFrom(...ALL) }),
  fc.record({ kind: fc.constant('sell' as const), by: fc.constantFrom(...SELLERS) }),
);

describe('custody rule set 2: random ship/receive/sell sequences', () => {
  it('only the holder or the named receiver ever takes custody, a released item is never taken, refusals name nobody', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 25 }), (steps) => {
        let state: CustodyState | undefined;
        const replay = new CustodyReplay();
        const history: HistoryEvent[] = [];
        steps.forEach((step, i) => {
          const event = eventOf(step);
          const before = state;
          const expected = model(before, step);
          const decision = authoriseEvent(event, step.by, (id) => (id === ID ? state : undefined), 2);
          // The projection replay decides the same, from its own states.
          expect(replay.authorise(event, step.by, `e${i}`, '2026-11-21T08:00:00.000Z', 2).decision.ok).toBe(decision.ok);
          history.push({ event, signer: step.by, rules: 2 });
          if (expected === 'refused') {
            expect(decision).toMatchObject({ ok: false, code: 'NOT_CUSTODIAN', details: { ruleSet: { id: 'provenant-custody', version: 2 } } });
            if (!decision.ok) for (const o of ALL) if (o !== step.by) expect(decision.message).not.toContain(o.id);
            return;
          }
          expect(decision.ok).toBe(true);
          if (!decision.ok) return;
          const change = decision.custodyChanges.find((c) => c.identifier === ID)!;
          state = custodyStateOfChange(change);
          expect(state).toEqual(expected);
          if (state.kind === 'held') {
            // Taken only by its holder, the named receiver, a receiver of a shipment naming nobody, or at first sight.
            const ok = before === undefined || (before.kind === 'held' && before.orgId === step.by.id) || (before.kind === 'in_transit' && (before.destinations.length === 0 || before.destinations.some((d) => namesOrganisation(d, step.by))));
            expect(ok).toBe(true);
          }
          // A released item is taken by nobody; only its seller restates the sale.
          if (before?.kind === 'released') expect(state).toEqual({ kind: 'released', by: before.by, rule: before.rule });
        });
        // Capture's check (the item's own history) and the projection agree with the model.
        expect(custodyFromHistory(ID, history)).toEqual(state);
        expect(replay.state(ID)).toEqual(state);
      }),
      { numRuns: 400 },
    );
  });

  it('under rule set 1 a released item is taken again (what rule set 2 closes)', () => {
    const sold = (id: string) => (id === ID ? null : undefined);
    const take = eventOf({ kind: 'ship', by: ORGS.ship, to: null, byIdentifier: false });
    expect(authoriseEvent(take, ORGS.ship, sold, 1).ok).toBe(true);
    expect(authoriseEvent(take, ORGS.ship, () => ({ kind: 'released' }), 2)).toMatchObject({ ok: false, code: 'NOT_CUSTODIAN' });
  });
});

describe('restating an event one let go', () => {
  it('the organisation that shipped or consumed an item may post under the same rule again (a corrective event), under no other', () => {
    const shipped = authoriseEvent(eventOf({ kind: 'ship', by: ORGS.proc, to: ORGS.haul, byIdentifier: false }), ORGS.proc, () => undefined, 2);
    if (!shipped.ok) throw new Error('shipping refused');
    const state = custodyStateOfChange(shipped.custodyChanges[0]!);
    expect(state).toEqual({ kind: 'in_transit', destinations: ['urn:provenant:org:org-haul'], by: 'org-proc', rule: 'logistics.shipping' });
    // The shipper re-ships it (to a corrected destination); another shipper may not.
    expect(authoriseEvent(eventOf({ kind: 'ship', by: ORGS.proc, to: ORGS.ship, byIdentifier: false }), ORGS.proc, () => state, 2).ok).toBe(true);
    expect(authoriseEvent(eventOf({ kind: 'ship', by: ORGS.haul, to: null, byIdentifier: false }), ORGS.haul, () => state, 2)).toMatchObject({ ok: false, code: 'NOT_CUSTODIAN' });
    // Under another rule (commissioning it again) the shipper holds nothing.
    const commission = { ...eventOf({ kind: 'receive', by: ORGS.proc }), action: 'ADD', bizStep: 'commissioning' };
    expect(authoriseEvent(commission, ORGS.proc, () => state, 2)).toMatchObject({ ok: false, code: 'NOT_CUSTODIAN' });
    // Nor once another took it.
    expect(authoriseEvent(eventOf({ kind: 'ship', by: ORGS.proc, to: null, byIdentifier: false }), ORGS.proc, () => ({ kind: 'held', orgId: 'org-haul' }), 2).ok).toBe(false);
  });
});

describe('custody assigned by an authority', () => {
  const assign = (destinationList: unknown[]) => ({ ...eventOf({ kind: 'receive', by: ORGS.ship }), bizStep: 'urn:provenant:bizstep:custody_assignment', destinationList });
  const customs = org('org-customs', ['CUSTOMS']);
  const toShip = [{ type: 'owning_party', destination: 'urn:provenant:org:org-ship' }];
  it('puts a released or held item in transit to the member it names, who receives it; nobody else does', () => {
    for (const before of [{ kind: 'released', by: 'org-shop-a', rule: 'retail.selling' }, { kind: 'held', orgId: 'org-haul' }] as CustodyState[]) {
      const decision = authoriseEvent(assign(toShip), customs, () => before, 2);
      expect(decision).toMatchObject({ ok: true, rule: 'authority.custody_assignment', custodyChanges: [{ identifier: ID, orgId: null }] });
      if (!decision.ok) return;
      const after = custodyStateOfChange(decision.custodyChanges[0]!);
      expect(authoriseEvent(eventOf({ kind: 'receive', by: ORGS.haul }), ORGS.haul, () => after, 2)).toMatchObject({ ok: false, code: 'NOT_CUSTODIAN' });
      expect(authoriseEvent(eventOf({ kind: 'receive', by: ORGS.ship }), ORGS.ship, () => after, 2)).toMatchObject({ ok: true, custodyChanges: [{ orgId: 'org-ship' }] });
    }
  });
  it('only REGULATOR or CUSTOMS, naming the new custodian; under rule set 1 it is no assignment', () => {
    expect(authoriseEvent(assign(toShip), ORGS.haul, () => undefined, 2)).toMatchObject({ ok: false, code: 'NOT_AUTHORISED', details: { rule: 'authority.custody_assignment' } });
    expect(authoriseEvent(assign([]), customs, () => undefined, 2)).toMatchObject({ ok: false, code: 'NOT_AUTHORISED' });
    expect(authoriseEvent(assign([{ type: 'location', destination: 'urn:epc:id:sgln:5012345.00099.0' }]), customs, () => undefined, 2).ok).toBe(false);
    expect(authoriseEvent(assign(toShip), org('org-fsa', ['REGULATOR']), () => undefined, 2).ok).toBe(true);
    // Rule set 1 had no such rule: the step falls under trading.other, which customs may not post.
    expect(authoriseEvent(assign(toShip), customs, () => undefined, 1)).toMatchObject({ ok: false, code: 'NOT_AUTHORISED', details: { rule: 'trading.other' } });
  });
});

describe('destinations naming an organisation', () => {
  it('by member id or registered identifier; owning/possessing party only, short or URN type', () => {
    const event = {
      destinationList: [
        { type: 'location', destination: 'urn:provenant:org:org-haul' },
        { type: 'possessing_party', destination: 'urn:provenant:org:org-shop-a' },
        { type: 'urn:epcglobal:cbv:sdt:owning_party', destination: 'urn:provenant:org-id:gln:5012345000016' },
      ],
    };
    const named = partyDestinationsOf(event);
    expect(named).toEqual(['urn:provenant:org-id:gln:5012345000016', 'urn:provenant:org:org-shop-a']);
    expect(named.some((d) => namesOrganisation(d, ORGS.haul))).toBe(false);
    expect(named.some((d) => namesOrganisation(d, ORGS.shopA))).toBe(true);
    expect(named.some((d) => namesOrganisation(d, ORGS.shopB))).toBe(true);
    expect(namesOrganisation('urn:provenant:org-id:gln:5012345000009x', ORGS.shopA)).toBe(false);
    expect(namesOrganisation('urn:provenant:org-id:gln', ORGS.shopA)).toBe(false);
  });
  it('by its GLN as a party in GS1 form: a PGLN EPC URN or a Digital Link with AI 417', () => {
    expect(partyGlnOf('urn:epc:id:pgln:5012345.00000')).toBe('501234500000');
    expect(namesOrganisation('urn:epc:id:pgln:5012345.00000', ORGS.shopA)).toBe(true);
    expect(namesOrganisation('urn:epc:id:pgln:5012345.00000', ORGS.shopB)).toBe(false);
    expect(namesOrganisation('urn:epc:id:pgln:501234.500001', ORGS.shopB)).toBe(true);
    expect(namesOrganisation('https://id.gs1.org/417/5012345000009', ORGS.shopA)).toBe(true);
    // A malformed URN or link names nobody.
    expect(namesOrganisation('https://id.gs1.org/417/501234500000', ORGS.shopA)).toBe(false);
    expect(namesOrganisation('urn:epc:id:pgln:5012345.0000', ORGS.shopA)).toBe(false);
    expect(namesOrganisation('urn:epc:id:pgln:5012345.00000', ORGS.haul)).toBe(false);
  });
});

describe('custody rule set versions', () => {
  it('the rule sets cite distinct hashes; a genesis names 1 or 2, absent means 1', () => {
    expect(custodyRuleSetRef(1).hash).not.toBe(custodyRuleSetRef(2).hash);
    const genesis = { consortium: { id: 'c', name: 'C' }, members: [{}], authorities: [{}] };
    expect(() => parseGenesisPayload({ ...genesis, custodyRules: 3 })).toThrow(/custodyRules/);
    expect(parseGenesisPayload({ ...genesis, custodyRules: 2 }).custodyRules).toBe(2);
    expect(parseGenesisPayload(genesis).custodyRules).toBeUndefined();
  });
  it('a governance change names a later rule set, in force from the record after the one applying it', () => {
    expect(parseMembershipChange({ type: 'custody.rules', version: 2 })).toEqual({ type: 'custody.rules', version: 2 });
    expect(() => parseMembershipChange({ type: 'custody.rules', version: 3 })).toThrow(/version/);
    expect(describeChange({ type: 'custody.rules', version: 2 })).toBe('custody.rules 2');
    const schedule: { version: number; from: number }[] = [];
    const state = { custodyRules: 1, adoptCustodyRules: (version: 1 | 2, from: number) => schedule.push({ version, from }) } as unknown as Parameters<typeof applyChange>[0];
    expect(() => validateChange(state, { type: 'custody.rules', version: 1 })).toThrow(/later one/);
    validateChange(state, { type: 'custody.rules', version: 2 });
    expect(applyChange(state, { type: 'custody.rules', version: 2 }, 41)).toContain('custody rule set 2 in force from log index 42');
    expect(schedule).toEqual([{ version: 2, from: 42 }]);
  });
  it('docs/authorisation.md lists the rule sets as the code has them', () => {
    const doc = readFileSync(path.resolve(__dirname, '../../../docs/authorisation.md'), 'utf8');
    expect(doc).toContain(custodyRuleSetsMarkdown());
  });
});
