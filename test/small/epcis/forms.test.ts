import { describe, expect, it } from 'vitest';
import { buildFormEvent, checkField, epcisDocument, FORM_ANIMAL_URN_PREFIX, FORM_BIZSTEP, FORMS } from '../../../src/core/epcis/forms.js';
import { ANIMAL_URN_PREFIX, PROVENANT_BIZSTEP } from '../../../src/core/rules/authorisation.js';
import { earTagCheckDigit, gs1CheckDigit } from '../../../src/core/identifiers/index.js';

const field = (type: Parameters<typeof checkField>[0]['type'], many = false) => ({ type, required: true, many });

describe('posting-form fields checked as typed', () => {
  it('says "incomplete" while digits are still coming, "invalid" for a wrong check digit, "valid" when right', () => {
    const tag = `UK123450${earTagCheckDigit('123450', '00001')}00001`;
    expect(checkField(field('ear-tag'), 'UK 1234').state).toBe('incomplete');
    expect(checkField(field('ear-tag'), tag)).toEqual({ state: 'valid', canonical: [`urn:provenant:animal:${tag}`] });
    const wrong = `UK123450${(earTagCheckDigit('123450', '00001') % 7) + 1}00001`;
    expect(checkField(field('ear-tag'), wrong)).toMatchObject({ state: 'invalid', message: expect.stringMatching(/check digit/) });

    expect(checkField(field('cph'), '12/345').state).toBe('incomplete');
    expect(checkField(field('cph'), '12/345/6789')).toEqual({ state: 'valid', canonical: ['12/345/6789'] });
    expect(checkField(field('cph'), '00/345/6789').state).toBe('invalid');

    const gtin = `0509876533333${gs1CheckDigit('0509876533333')}`;
    expect(checkField(field('gtin'), gtin.slice(0, 10)).state).toBe('incomplete');
    expect(checkField(field('gtin'), gtin).state).toBe('valid');
    expect(checkField(field('gtin'), `${gtin.slice(0, 13)}${(Number(gtin[13]) + 1) % 10}`).state).toBe('invalid');

    const sscc = `15098765000000001${gs1CheckDigit('15098765000000001')}`;
    expect(checkField(field('sscc'), sscc.slice(0, 12)).state).toBe('incomplete');
    expect(checkField(field('sscc'), sscc).canonical).toEqual([`https://id.gs1.org/00/${sscc}`]);
    expect(checkField(field('sscc'), `${sscc.slice(0, 17)}${(Number(sscc[17]) + 1) % 10}`).state).toBe('invalid');
  });

  it('checks every value of a list and names the one at fault', () => {
    const ok = `UK123450${earTagCheckDigit('123450', '00001')}00001`;
    const bad = `UK123450${(earTagCheckDigit('123450', '00002') % 7) + 1}00002`;
    const check = checkField(field('ear-tag', true), `${ok}\n${bad}`);
    expect(check.state).toBe('invalid');
    expect(check.message).toContain('value 2');
    expect(checkField({ type: 'ear-tag', required: false }, '').state).toBe('empty');
  });
});

describe('posting forms build EPCIS events', () => {
  const calf = `UK123450${earTagCheckDigit('123450', '00100')}00100`;
  const dam = `UK123450${earTagCheckDigit('123450', '00001')}00001`;

  it('builds a birth with the business step, dam and holding the lineage code reads', () => {
    const result = buildFormEvent('birth', { animal: calf, dam, holding: '12/345/6789', eventTime: '2026-03-01T09:30' });
    expect(result.ok).toBe(true);
    const event = result.ok ? result.event : {};
    expect(event).toMatchObject({
      type: 'ObjectEvent',
      action: 'ADD',
      bizStep: PROVENANT_BIZSTEP.BIRTH,
      epcList: [`urn:provenant:animal:${calf}`],
      'provenant:dam': `urn:provenant:animal:${dam}`,
      'provenant:cph': '12/345/6789',
    });
    expect(event['eventTime']).toMatch(/^2026-03-01T\d{2}:30:00\.000Z$/);
    expect(epcisDocument([event], '2026-03-01T10:00:00.000Z')).toMatchObject({ type: 'EPCISDocument', schemaVersion: '2.0', epcisBody: { eventList: [event] } });
  });

  it('builds nothing when a field is wrong, and names each field at fault', () => {
    const result = buildFormEvent('birth', { animal: 'UK1234', dam: 'nonsense', holding: '12/345/6789', eventTime: '' });
    expect(result.ok).toBe(false);
    expect(Object.keys(result.ok ? {} : result.errors).sort()).toEqual(['animal', 'dam', 'eventTime']);
    expect(!result.ok && result.errors['animal']).toMatch(/incomplete/);
  });

  it('builds feeding, slaughter and an inspection finding', () => {
    const gtin = `0501234599999${gs1CheckDigit('0501234599999')}`;
    const feeding = buildFormEvent('feeding', { animals: calf, feedGtin: gtin, feedLot: 'FEED-A/1', quantityKg: '250', holding: '12/345/6789', eventTime: '2026-03-02T08:00' });
    expect(feeding.ok && feeding.event['quantityList']).toEqual([{ epcClass: `https://id.gs1.org/01/${gtin}/10/FEED-A%2F1`, quantity: 250, uom: 'KGM' }]);
    const carcass = `https://id.gs1.org/01/0509876511111${gs1CheckDigit('0509876511111')}/21/C0001`;
    const slaughter = buildFormEvent('slaughter', { animal: calf, carcasses: carcass, eventTime: '2026-03-03T08:00' });
    expect(slaughter.ok && slaughter.event).toMatchObject({ type: 'TransformationEvent', bizStep: PROVENANT_BIZSTEP.SLAUGHTERING, inputEPCList: [`urn:provenant:animal:${calf}`], outputEPCList: [carcass] });
    const inspection = buildFormEvent('inspection', { items: carcass, disposition: 'damaged', finding: 'liver fluke', eventTime: '2026-03-03T09:00' });
    expect(inspection.ok && inspection.event).toMatchObject({ bizStep: 'inspecting', disposition: 'damaged', 'provenant:postMortem': 'liver fluke' });
    expect(buildFormEvent('inspection', { items: carcass, disposition: 'tasty', finding: 'x', eventTime: '2026-03-03T09:00' }).ok).toBe(false);
  });

  it('uses the same vocabulary as the authorisation rules, and every form has a time', () => {
    expect(FORM_BIZSTEP.BIRTH).toBe(PROVENANT_BIZSTEP.BIRTH);
    expect(FORM_BIZSTEP.FEEDING).toBe(PROVENANT_BIZSTEP.FEEDING);
    expect(FORM_BIZSTEP.SLAUGHTERING).toBe(PROVENANT_BIZSTEP.SLAUGHTERING);
    expect(FORM_ANIMAL_URN_PREFIX).toBe(ANIMAL_URN_PREFIX);
    for (const form of Object.values(FORMS)) expect(form.fields.some((f) => f.name === 'eventTime' && f.required)).toBe(true);
  });
});

describe('a lot outside GS1 character set 82', () => {
  it('is the feed lot field\'s error, and no event is built', () => {
    const gtin = `0501234599999${gs1CheckDigit('0501234599999')}`;
    const calf = `UK123450${earTagCheckDigit('123450', '00100')}00100`;
    const result = buildFormEvent('feeding', { animals: calf, feedGtin: gtin, feedLot: 'FEED A1', quantityKg: '250', holding: '12/345/6789', eventTime: '2026-03-02T08:00' });
    expect(result).toEqual({ ok: false, errors: { feedLot: expect.stringMatching(/character set 82/) } });
  });
});
