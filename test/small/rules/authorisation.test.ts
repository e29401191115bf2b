import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROLES, type Role } from '../../../src/core/ledger/governance.js';
import { parseEarTag } from '../../../src/core/identifiers/index.js';
import {
  ANIMAL_URN_PREFIX,
  AUTHORISATION_RULES,
  PROVENANT_BIZSTEP,
  PROVENANT_DISPOSITION,
  authorisationTableMarkdown,
  authoriseEvent,
  canonicalIdentifier,
  ruleFor,
  type AuthorisationRule,
} from '../../../src/core/rules/authorisation.js';

/** A valid ear tag for an animal number (check digit found by trying each). */
function earTag(animal: number): string {
  for (let d = 0; d <= 9; d++) {
    const text = `UK123450${d}${String(animal).padStart(5, '0')}`;
    try {
      return parseEarTag(text).canonical;
    } catch {
      // wrong check digit
    }
  }
  throw new Error('no check digit works');
}

const ANIMAL = `${ANIMAL_URN_PREFIX}${earTag(1)}`;
const ANIMAL_2 = `${ANIMAL_URN_PREFIX}${earTag(2)}`;
const PRODUCT = 'urn:epc:id:sgtin:0614141.812345.6789';
const PRODUCT_2 = 'urn:epc:id:sgtin:0614141.812345.400';
const PALLET = 'urn:epc:id:sscc:0614141.1234567890';

function org(roles: Role[], id = 'org-a', fsa = true) {
  return { id, roles: new Set(roles), identifiers: fsa ? { fsaApproval: ['1234'] } : {} };
}
const nobody = () => undefined;

/** An event that falls under the rule (first type, first step, first action, its subject). */
function sampleEvent(rule: AuthorisationRule): Record<string, unknown> {
  const type = rule.eventTypes[0]!;
  const subject = rule.subject === 'animal' ? ANIMAL : PRODUCT;
  const event: Record<string, unknown> = { type, eventTime: '2026-11-21T08:00:00.000Z', eventTimeZoneOffset: '+00:00' };
  event['bizStep'] = rule.bizSteps === '*' ? 'urn:example:bizstep:unlisted' : rule.bizSteps[0];
  if (type !== 'TransformationEvent') event['action'] = rule.actions?.[0] ?? 'OBSERVE';
  if (type === 'ObjectEvent' || type === 'TransactionEvent') event['epcList'] = [subject];
  if (type === 'AggregationEvent' || type === 'AssociationEvent') {
    event['parentID'] = PALLET;
    event['childEPCs'] = [subject];
  }
  if (type === 'TransformationEvent') {
    event['inputEPCList'] = [subject];
    event['outputEPCList'] = [PRODUCT_2];
  }
  return event;
}

describe('role matrix generated from the table', () => {
  const cases = AUTHORISATION_RULES.flatMap((rule) => ROLES.map((role) => ({ rule, role })));
  it('every rule is reachable by its sample event', () => {
    for (const rule of AUTHORISATION_RULES) expect(ruleFor(sampleEvent(rule))?.id, rule.id).toBe(rule.id);
  });
  it.each(cases.map((c) => [c.rule.id, c.role, c] as const))('%s by %s', (_id, _role, { rule, role }) => {
    const result = authoriseEvent(sampleEvent(rule), org([role]), nobody);
    if (rule.roles.includes(role)) {
      expect(result).toMatchObject({ ok: true, rule: rule.id });
    } else {
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.code).toBe('NOT_AUTHORISED');
        for (const r of rule.roles) expect(result.message).toContain(r);
        expect(result.message).toContain(String(sampleEvent(rule)['type']));
      }
    }
  });
});

describe('hand-written expectations', () => {
  const ev = (fields: Record<string, unknown>) => ({ eventTime: '2026-11-21T08:00:00.000Z', eventTimeZoneOffset: '+00:00', ...fields });
  const expectations: [string, Record<string, unknown>, Role, boolean][] = [
    ['farm registers an animal', ev({ type: 'ObjectEvent', action: 'ADD', bizStep: 'commissioning', epcList: [ANIMAL] }), 'FARM', true],
    ['processor cannot register an animal', ev({ type: 'ObjectEvent', action: 'ADD', bizStep: 'commissioning', epcList: [ANIMAL] }), 'PROCESSOR', false],
    ['processor commissions a product', ev({ type: 'ObjectEvent', action: 'ADD', bizStep: 'urn:epcglobal:cbv:bizstep:commissioning', epcList: [PRODUCT] }), 'PROCESSOR', true],
    ['farm cannot commission a product', ev({ type: 'ObjectEvent', action: 'ADD', bizStep: 'commissioning', epcList: [PRODUCT] }), 'FARM', false],
    ['farm records feeding (bare alias)', ev({ type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'feeding', epcList: [ANIMAL] }), 'FARM', true],
    ['haulier cannot record feeding', ev({ type: 'ObjectEvent', action: 'OBSERVE', bizStep: PROVENANT_BIZSTEP.FEEDING, epcList: [ANIMAL] }), 'HAULIER', false],
    ['haulier cannot ship animals off a farm', ev({ type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'shipping', epcList: [ANIMAL] }), 'HAULIER', false],
    ['haulier ships goods', ev({ type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'https://ref.gs1.org/cbv/BizStep-shipping', epcList: [PRODUCT] }), 'HAULIER', true],
    ['abattoir slaughters', ev({ type: 'TransformationEvent', bizStep: PROVENANT_BIZSTEP.SLAUGHTERING, inputEPCList: [ANIMAL], outputEPCList: [PRODUCT] }), 'ABATTOIR', true],
    ['processor cannot slaughter', ev({ type: 'TransformationEvent', bizStep: 'commissioning', inputEPCList: [ANIMAL], outputEPCList: [PRODUCT] }), 'PROCESSOR', false],
    ['regulator official inspection', ev({ type: 'ObjectEvent', action: 'OBSERVE', bizStep: PROVENANT_BIZSTEP.OFFICIAL_INSPECTION, epcList: [PRODUCT] }), 'REGULATOR', true],
    ['retailer cannot do official inspection', ev({ type: 'ObjectEvent', action: 'OBSERVE', bizStep: PROVENANT_BIZSTEP.OFFICIAL_INSPECTION, epcList: [PRODUCT] }), 'RETAILER', false],
    ['customs hold', ev({ type: 'ObjectEvent', action: 'OBSERVE', bizStep: PROVENANT_BIZSTEP.CUSTOMS_HOLD, epcList: [PALLET] }), 'CUSTOMS', true],
    ['port cannot set a customs disposition', ev({ type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'receiving', disposition: PROVENANT_DISPOSITION.CUSTOMS_HOLD, epcList: [PALLET] }), 'PORT', false],
    ['retailer sells', ev({ type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'retail_selling', epcList: [PRODUCT] }), 'RETAILER', true],
    ['processor cannot sell at retail', ev({ type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'retail_selling', epcList: [PRODUCT] }), 'PROCESSOR', false],
    ['regulator cannot post an unlisted step', ev({ type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'urn:example:other', epcList: [PRODUCT] }), 'REGULATOR', false],
  ];
  it.each(expectations)('%s', (_name, event, role, allowed) => {
    expect(authoriseEvent(event, org([role]), nobody).ok).toBe(allowed);
  });

  it('slaughter needs an fsaApproval identifier', () => {
    const event = ev({ type: 'TransformationEvent', inputEPCList: [ANIMAL], outputEPCList: [PRODUCT] });
    const r = authoriseEvent(event, org(['ABATTOIR'], 'abattoir', false), nobody);
    expect(r).toMatchObject({ ok: false, code: 'NOT_AUTHORISED' });
    if (!r.ok) expect(r.message).toContain('fsaApproval');
    expect(authoriseEvent(event, org(['ABATTOIR'], 'abattoir', true), nobody).ok).toBe(true);
  });
});

describe('custody', () => {
  const ship = (epc: string) => ({ type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'shipping', epcList: [epc], eventTime: '2026-11-21T08:00:00.000Z', eventTimeZoneOffset: '+00:00' });
  it('only the custodian may ship; shipping puts the item in transit', () => {
    const custody = new Map([[canonicalIdentifier(PRODUCT), 'org-a']]);
    const other = authoriseEvent(ship(PRODUCT), org(['PROCESSOR'], 'org-b'), (id) => custody.get(id));
    expect(other).toMatchObject({ ok: false, code: 'NOT_CUSTODIAN' });
    if (!other.ok) expect(other.details).toMatchObject({ expected: 'org-b' });
    // The holder is not named to a signer who may not know it.
    expect(JSON.stringify(other)).not.toContain('org-a');
    const mine = authoriseEvent(ship(PRODUCT), org(['PROCESSOR'], 'org-a'), (id) => custody.get(id));
    expect(mine).toEqual({ ok: true, rule: 'logistics.shipping', custodyChanges: [{ identifier: canonicalIdentifier(PRODUCT), orgId: null }] });
  });
  it('custody compares canonical forms (Digital Link vs EPC URN)', () => {
    const custody = new Map([[canonicalIdentifier('https://id.gs1.org/01/80614141123458/21/6789'), 'org-a']]);
    expect(authoriseEvent(ship(PRODUCT), org(['HAULIER'], 'org-b'), (id) => custody.get(id))).toMatchObject({ ok: false, code: 'NOT_CUSTODIAN' });
  });
  it('receiving and transformation outputs give custody to the poster; inputs are consumed', () => {
    const recv = authoriseEvent({ ...ship(PRODUCT), bizStep: 'receiving' }, org(['RETAILER'], 'shop'), nobody);
    expect(recv).toMatchObject({ ok: true, custodyChanges: [{ identifier: canonicalIdentifier(PRODUCT), orgId: 'shop' }] });
    const t = authoriseEvent(
      { type: 'TransformationEvent', inputEPCList: [ANIMAL, ANIMAL_2], outputEPCList: [PRODUCT], eventTime: '2026-11-21T08:00:00.000Z', eventTimeZoneOffset: '+00:00' },
      org(['ABATTOIR'], 'abattoir'),
      (id) => (id === canonicalIdentifier(ANIMAL_2) ? 'farm' : undefined),
    );
    expect(t).toMatchObject({ ok: false, code: 'NOT_CUSTODIAN' });
  });
  it('an item held by someone else cannot be commissioned again', () => {
    const commission = { type: 'ObjectEvent', action: 'ADD', bizStep: 'commissioning', epcList: [ANIMAL], eventTime: '2026-11-21T08:00:00.000Z', eventTimeZoneOffset: '+00:00' };
    expect(authoriseEvent(commission, org(['FARM'], 'farm-b'), () => 'farm-a')).toMatchObject({ ok: false, code: 'NOT_CUSTODIAN' });
    expect(authoriseEvent(commission, org(['FARM'], 'farm-b'), nobody)).toMatchObject({ ok: true, custodyChanges: [{ orgId: 'farm-b' }] });
  });
});

describe('docs/authorisation.md', () => {
  it('holds the table generated from the code', () => {
    const doc = readFileSync(path.resolve(__dirname, '../../../docs/authorisation.md'), 'utf8');
    expect(doc).toContain(authorisationTableMarkdown());
  });
});
