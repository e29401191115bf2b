/**
 * Posting forms for organisations without an EPCIS system: each form's fields, a check of one field
 * as it is typed (ear tag, CPH, GTIN and SSCC check digits through src/core/identifiers), and the
 * EPCIS 2.0 event a complete form builds. Pure and browser-safe (no crypto, no node:*): the web
 * explorer runs it as the user types and a node runs the same code before it signs.
 * A form builds either a whole event or a list of field errors, never part of an event.
 */
import { parseIdentifier, parseIdentifierAs, type IdentifierKind } from '../identifiers/index.js';

/** Provenant business steps used by the forms (the same URIs as PROVENANT_BIZSTEP in core/rules). */
export const FORM_BIZSTEP = {
  BIRTH: 'urn:provenant:bizstep:birth',
  FEEDING: 'urn:provenant:bizstep:feeding',
  SLAUGHTERING: 'urn:provenant:bizstep:slaughtering',
} as const;
export const FORM_ANIMAL_URN_PREFIX = 'urn:provenant:animal:';
export const EPCIS_DOCUMENT_CONTEXT = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { provenant: 'https://provenant.dev/ns/epcis/' }];

export type FieldType = 'ear-tag' | 'cph' | 'gtin' | 'sscc' | 'gs1-item' | 'gs1-location' | 'datetime' | 'text' | 'quantity' | 'choice';

export interface FieldSpec {
  name: string;
  label: string;
  type: FieldType;
  required: boolean;
  /** Several values, one per line or separated by commas. */
  many?: boolean;
  choices?: readonly string[];
  hint?: string;
}

export type FieldState = 'empty' | 'incomplete' | 'invalid' | 'valid';

export interface FieldCheck {
  state: FieldState;
  message?: string;
  /** The canonical form of each value (ear tags as animal URNs, GS1 keys as Digital Link URIs). */
  canonical?: string[];
}

const IDENTIFIER_KIND: Partial<Record<FieldType, IdentifierKind>> = { 'ear-tag': 'ear-tag', cph: 'cph', gtin: 'gtin', sscc: 'sscc' };
/** Digits a complete value has: fewer while typing is "incomplete", not wrong. */
const FULL_DIGITS: Partial<Record<FieldType, number>> = { 'ear-tag': 12, cph: 9, gtin: 14, sscc: 18 };

export function splitValues(text: string): string[] {
  return text
    .split(/[\n,;]+/)
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function canonicalOf(type: FieldType, value: string): string {
  switch (type) {
    case 'ear-tag':
      return FORM_ANIMAL_URN_PREFIX + parseIdentifierAs('ear-tag', value).canonical;
    case 'cph':
    case 'gtin':
    case 'sscc':
      return parseIdentifierAs(IDENTIFIER_KIND[type]!, value).canonical;
    case 'gs1-item': {
      const id = parseIdentifier(value);
      if (id.kind === 'ear-tag') return FORM_ANIMAL_URN_PREFIX + id.canonical;
      if (!['sgtin', 'lgtin', 'sscc'].includes(id.kind)) throw new Error(`a ${id.kind} is not an item: give an SGTIN, LGTIN, SSCC or ear tag`);
      return id.canonical;
    }
    case 'gs1-location': {
      const id = parseIdentifier(/^\d{13}$/.test(value.trim()) ? `(414)${value.trim()}` : value);
      if (id.kind !== 'gln' && id.kind !== 'sgln') throw new Error(`a ${id.kind} is not a location: give a GLN`);
      return id.canonical;
    }
    case 'datetime': {
      const ms = Date.parse(value);
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value) || !Number.isFinite(ms)) throw new Error('expected a date and time, e.g. 2026-03-01T09:30');
      return new Date(ms).toISOString();
    }
    case 'quantity': {
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) throw new Error('expected a positive number');
      return String(n);
    }
    default:
      return value;
  }
}

/** Is a partly typed value still on its way to a valid one? Only digits (and spacing) short of the full length. */
function stillTyping(type: FieldType, value: string): string | undefined {
  const full = FULL_DIGITS[type];
  if (full === undefined) return undefined;
  const digits = value.replace(/^UK/i, '').replace(/[\s/-]/g, '');
  if (!/^\d*$/.test(digits) || digits.length >= full) return undefined;
  if (type === 'gtin' && [8, 12, 13].includes(digits.length)) return undefined;
  return `${digits.length} of ${full} digits`;
}

/** Checks a field's text as typed. */
export function checkField(field: Pick<FieldSpec, 'type' | 'required' | 'many' | 'choices'>, text: string): FieldCheck {
  const values = field.many ? splitValues(text) : text.trim() === '' ? [] : [text.trim()];
  if (values.length === 0) return field.required ? { state: 'empty', message: 'required' } : { state: 'empty' };
  if (field.type === 'choice') {
    const v = values[0]!;
    return field.choices?.includes(v) ? { state: 'valid', canonical: [v] } : { state: 'invalid', message: `choose one of ${field.choices?.join(', ')}` };
  }
  const canonical: string[] = [];
  for (const [i, value] of values.entries()) {
    const where = values.length > 1 ? `value ${i + 1} (${value}): ` : '';
    const typing = stillTyping(field.type, value);
    // Only the last value can still be being typed.
    if (typing && i === values.length - 1) return { state: 'incomplete', message: `${where}${typing}` };
    try {
      canonical.push(canonicalOf(field.type, value));
    } catch (err) {
      return { state: 'invalid', message: `${where}${(err as Error).message}` };
    }
  }
  return { state: 'valid', canonical };
}

export type FormKind = 'birth' | 'feeding' | 'movement-off' | 'movement-on' | 'slaughter' | 'inspection' | 'shipping' | 'receiving';

const time: FieldSpec = { name: 'eventTime', label: 'When', type: 'datetime', required: true };
const holding: FieldSpec = { name: 'holding', label: 'Holding (CPH)', type: 'cph', required: true, hint: 'county/parish/holding, e.g. 12/345/6789' };
const location: FieldSpec = { name: 'location', label: 'Location (GLN)', type: 'gs1-location', required: false };
const animals: FieldSpec = { name: 'animals', label: 'Ear tags', type: 'ear-tag', required: true, many: true, hint: 'one per line, e.g. UK 123450 600001' };
const items: FieldSpec = { name: 'items', label: 'Items (SGTIN, SSCC or ear tag)', type: 'gs1-item', required: true, many: true };

export const FORMS: Record<FormKind, { title: string; fields: FieldSpec[] }> = {
  birth: { title: 'Birth and tagging', fields: [{ ...animals, name: 'animal', label: 'Ear tag of the calf', many: false }, { name: 'dam', label: 'Ear tag of the dam', type: 'ear-tag', required: false }, holding, location, time] },
  feeding: { title: 'Feed given', fields: [animals, { name: 'feedGtin', label: 'Feed GTIN', type: 'gtin', required: true }, { name: 'feedLot', label: 'Feed lot', type: 'text', required: true }, { name: 'quantityKg', label: 'Quantity (kg)', type: 'quantity', required: true }, holding, time] },
  'movement-off': { title: 'Movement off the holding', fields: [animals, holding, { name: 'destination', label: 'Destination holding (CPH)', type: 'cph', required: false }, time] },
  'movement-on': { title: 'Movement onto the holding', fields: [animals, holding, { name: 'origin', label: 'Holding moved from (CPH)', type: 'cph', required: false }, time] },
  slaughter: { title: 'Slaughter into carcass lots', fields: [{ ...animals, name: 'animal', label: 'Ear tag', many: false }, { name: 'carcasses', label: 'Carcasses (SGTIN or LGTIN)', type: 'gs1-item', required: true, many: true }, location, time] },
  inspection: { title: 'Inspection finding', fields: [{ ...items, label: 'Carcasses or animals inspected' }, { name: 'disposition', label: 'Outcome', type: 'choice', required: true, choices: ['conformant', 'damaged', 'non_conformant'] }, { name: 'finding', label: 'Finding', type: 'text', required: true }, location, time] },
  shipping: { title: 'Shipping', fields: [items, location, time] },
  receiving: { title: 'Receiving', fields: [items, location, time] },
};

export type FormValues = Record<string, string>;
export type BuiltEvent = Record<string, unknown>;
export type FormResult = { ok: true; event: BuiltEvent } | { ok: false; errors: Record<string, string> };

function objectEvent(action: 'ADD' | 'OBSERVE', bizStep: string, epcList: string[], when: string, extra: Record<string, unknown>): BuiltEvent {
  return { type: 'ObjectEvent', eventTime: when, eventTimeZoneOffset: '+00:00', epcList, action, bizStep, ...extra };
}

/** Builds the form's EPCIS event, or says which fields are at fault (and builds nothing). */
export function buildFormEvent(kind: FormKind, values: FormValues): FormResult {
  const form = FORMS[kind];
  if (!form) return { ok: false, errors: { form: `unknown form ${String(kind)}` } };
  const errors: Record<string, string> = {};
  const got: Record<string, string[]> = {};
  for (const field of form.fields) {
    const check = checkField(field, values[field.name] ?? '');
    if (check.state === 'valid') got[field.name] = check.canonical!;
    else if (check.state !== 'empty' || field.required) errors[field.name] = check.state === 'incomplete' ? `incomplete: ${check.message}` : (check.message ?? 'required');
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const one = (name: string) => got[name]?.[0];
  const when = one('eventTime')!;
  const place = one('location') ? { readPoint: { id: one('location') } } : {};
  const cph = one('holding') ? { 'provenant:cph': one('holding') } : {};
  switch (kind) {
    case 'birth':
      return { ok: true, event: objectEvent('ADD', FORM_BIZSTEP.BIRTH, got['animal']!, when, { ...place, ...cph, ...(one('dam') ? { 'provenant:dam': one('dam') } : {}) }) };
    case 'feeding': {
      const gtin = one('feedGtin')!;
      let feedLot: string;
      try {
        feedLot = parseIdentifier(`${gtin}/10/${encodeURIComponent(values['feedLot']!.trim())}`).canonical;
      } catch (err) {
        return { ok: false, errors: { feedLot: (err as Error).message } };
      }
      return { ok: true, event: objectEvent('OBSERVE', FORM_BIZSTEP.FEEDING, got['animals']!, when, { quantityList: [{ epcClass: feedLot, quantity: Number(one('quantityKg')), uom: 'KGM' }], ...cph }) };
    }
    case 'movement-off':
      return { ok: true, event: objectEvent('OBSERVE', 'departing', got['animals']!, when, { ...cph, ...(one('destination') ? { 'provenant:destinationCph': one('destination') } : {}) }) };
    case 'movement-on':
      return { ok: true, event: objectEvent('OBSERVE', 'arriving', got['animals']!, when, { ...cph, ...(one('origin') ? { 'provenant:originCph': one('origin') } : {}) }) };
    case 'slaughter':
      return { ok: true, event: { type: 'TransformationEvent', eventTime: when, eventTimeZoneOffset: '+00:00', inputEPCList: got['animal'], outputEPCList: got['carcasses'], bizStep: FORM_BIZSTEP.SLAUGHTERING, ...place } };
    case 'inspection':
      return { ok: true, event: objectEvent('OBSERVE', 'inspecting', got['items']!, when, { disposition: one('disposition'), 'provenant:postMortem': values['finding']!.trim(), ...place }) };
    case 'shipping':
    case 'receiving':
      return { ok: true, event: objectEvent('OBSERVE', kind, got['items']!, when, place) };
  }
}

/** An EPCIS 2.0 document holding the events, as capture takes it. */
export function epcisDocument(events: readonly BuiltEvent[], creationDate: string): Record<string, unknown> {
  return { '@context': EPCIS_DOCUMENT_CONTEXT, type: 'EPCISDocument', schemaVersion: '2.0', creationDate, epcisBody: { eventList: [...events] } };
}
