/**
 * The exact test of an event against the query parameters the store does not index (EPCIS 2.0
 * section 8.2.7.1): MATCH_ on the right fields, EQ_transformationID, the quantity bounds, and
 * business transactions, sources and destinations by type. The store narrows by its indexes;
 * this decides.
 */
import { canonicalIdentifier } from '../../rules/authorisation.js';
import { normaliseDisposition } from '../epcis-model.js';
import type { EventQuery, IdentifierField, IdentifierValue, QuantityBound } from './event-query.js';
import { matchesFieldFilters } from './field-filter.js';
import { matchesSensor } from './sensor-filter.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);
const objects = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);

function identifiersIn(event: Json, field: IdentifierField): string[] {
  if (field === 'quantityList' || field.endsWith('QuantityList')) return objects(event[field]).flatMap((q) => strings(q['epcClass']));
  return strings(event[field]);
}

function valueMatches(value: IdentifierValue, canonical: string): boolean {
  if ('exact' in value) return canonical === value.exact;
  return canonical === value.classOf || canonical.startsWith(`${value.classOf}/`);
}

/** A CBV type in short form: bare, CBV 1.x URN or GS1 Web URI ('po', 'owning_party'). */
function shortType(text: string, urnPrefix: string, webPrefix: string): string {
  if (text.startsWith(urnPrefix)) return text.slice(urnPrefix.length);
  const web = /^(?:https?:\/\/(?:ref|ns)\.gs1\.org\/cbv\/|cbv:)(.*)$/.exec(text);
  return web && web[1]!.startsWith(webPrefix) ? web[1]!.slice(webPrefix.length) : text;
}

function typedListMatches(entries: Json[], valueKey: string, wanted: Map<string, string[]>, urnPrefix: string, webPrefix: string): boolean {
  for (const [type, values] of wanted) {
    const want = shortType(type, urnPrefix, webPrefix);
    const found = entries.some((e) => typeof e['type'] === 'string' && shortType(e['type'], urnPrefix, webPrefix) === want && typeof e[valueKey] === 'string' && values.includes(e[valueKey]));
    if (!found) return false;
  }
  return true;
}

function boundHolds(b: QuantityBound, q: number): boolean {
  switch (b.op) {
    case 'EQ':
      return q === b.value;
    case 'GT':
      return q > b.value;
    case 'GE':
      return q >= b.value;
    case 'LT':
      return q < b.value;
    case 'LE':
      return q <= b.value;
  }
}

/** The quantity bounds hold for one element of quantityList or childQuantityList. */
function quantityMatches(event: Json, bounds: readonly QuantityBound[]): boolean {
  if (bounds.length === 0) return true;
  const elements = [...objects(event['quantityList']), ...objects(event['childQuantityList'])];
  return elements.some((e) => typeof e['quantity'] === 'number' && bounds.every((b) => boundHolds(b, e['quantity'] as number)));
}

/** EQ_persistentDisposition_set / _unset: one of the values is in the event's set (or unset) list. */
function persistentDispositionMatches(event: Json, query: EventQuery): boolean {
  const pd = isObject(event['persistentDisposition']) ? event['persistentDisposition'] : {};
  const listed = (key: string) => strings(pd[key]).map((d) => normaliseDisposition(d));
  if (query.persistentDispositionSet && !listed('set').some((d) => d !== undefined && query.persistentDispositionSet!.includes(d))) return false;
  return !query.persistentDispositionUnset || listed('unset').some((d) => d !== undefined && query.persistentDispositionUnset!.includes(d));
}

/** Whether the event satisfies the parameters the store's indexes do not decide exactly. */
export function matchesResidual(query: EventQuery, event: unknown): boolean {
  if (!isObject(event)) return false;
  for (const m of query.matches) {
    const ids = m.fields.flatMap((f) => identifiersIn(event, f)).map(canonicalIdentifier);
    if (!m.values.some((v) => ids.some((id) => valueMatches(v, id)))) return false;
  }
  if (query.transformationIds && !(typeof event['transformationID'] === 'string' && query.transformationIds.includes(event['transformationID']))) return false;
  if (!quantityMatches(event, query.quantity)) return false;
  if (!persistentDispositionMatches(event, query)) return false;
  if (!matchesSensor(query.sensor, event) || !matchesFieldFilters(query.fields, event)) return false;
  if (!typedListMatches(objects(event['bizTransactionList']), 'bizTransaction', query.bizTransactions, 'urn:epcglobal:cbv:btt:', 'BTT-')) return false;
  if (!typedListMatches(objects(event['sourceList']), 'source', query.sources, 'urn:epcglobal:cbv:sdt:', 'SDT-')) return false;
  return typedListMatches(objects(event['destinationList']), 'destination', query.destinations, 'urn:epcglobal:cbv:sdt:', 'SDT-');
}
