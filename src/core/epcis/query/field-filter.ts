/**
 * Extension-field parameters of SimpleEventQuery (EPCIS 2.0 section 8.2.7.1; GS1 query-schema.json
 * patterns `^EQ_[a-z][a-zA-Z0-9]*:\w+$` and their ILMD_, INNER_ and SENSOR*_ forms): a user
 * extension field named by its prefixed name, as the event carries it (`example:myField`).
 *
 * - `EQ_<field>`: a value equal to one of the listed values (numbers compare as numbers);
 * - `GT_`/`GE_`/`LT_`/`LE_<field>`: a number, or a date-time with a zone, compared as such;
 * - `EXISTS_<field>`: the field is present (`false`: absent).
 *
 * The field is looked for at the top level of the event (no infix), of its ilmd (`ILMD_`), of a
 * sensorElement, its sensorMetadata or one of its sensorReports (`SENSORELEMENT_`,
 * `SENSORMETADATA_`, `SENSORREPORT_`); with `INNER_`, at any depth inside one of those places'
 * extension fields instead.
 */
import { utcTimestamp } from '../../capture/corrections.js';
import { queryParameterError } from './query-errors.js';
import { compare, type Comparison } from './sensor-filter.js';

type Json = Record<string, unknown>;

export type FieldScope = 'event' | 'ilmd' | 'sensorElement' | 'sensorMetadata' | 'sensorReport';

export type FieldCondition = { op: 'EQ'; values: string[] } | { op: Exclude<Comparison, 'EQ'>; number?: number; time?: string } | { op: 'EXISTS'; present: boolean };

export interface FieldFilter {
  param: string;
  scope: FieldScope;
  inner: boolean;
  /** The prefixed field name (`example:myField`). */
  field: string;
  condition: FieldCondition;
}

const SCOPES: Record<string, FieldScope> = { ILMD_: 'ilmd', SENSORELEMENT_: 'sensorElement', SENSORMETADATA_: 'sensorMetadata', SENSORREPORT_: 'sensorReport' };

const FIELD_PARAMETER = /^(EQ|GT|GE|LT|LE|EXISTS)_(INNER_)?(ILMD_|SENSORELEMENT_|SENSORMETADATA_|SENSORREPORT_)?([a-z][a-zA-Z0-9]*:\w+)$/;

function conditionOf(name: string, op: string, value: string): FieldCondition {
  if (op === 'EXISTS') {
    if (value !== '' && value !== 'true' && value !== 'false') throw queryParameterError(`${name} must be true or false`, { parameter: name, value });
    return { op: 'EXISTS', present: value !== 'false' };
  }
  if (op === 'EQ') {
    const values = value.split('|');
    if (values.some((v) => v === '')) throw queryParameterError(`${name} must be a non-empty, pipe-delimited list`, { parameter: name, value });
    return { op: 'EQ', values };
  }
  const n = Number(value);
  if (value.trim() !== '' && Number.isFinite(n)) return { op: op as Exclude<Comparison, 'EQ'>, number: n };
  const time = utcTimestamp(value.replace(/ (\d{2}:\d{2})$/, '+$1'));
  if (time) return { op: op as Exclude<Comparison, 'EQ'>, time };
  throw queryParameterError(`${name} must be a number or an RFC 3339 date-time with a time zone`, { parameter: name, value });
}

/** The extension-field filter a parameter names, or undefined when it names none. */
export function fieldFilterOf(name: string, value: string): FieldFilter | undefined {
  const m = FIELD_PARAMETER.exec(name);
  if (!m) return undefined;
  return { param: name, scope: m[3] ? SCOPES[m[3]]! : 'event', inner: m[2] !== undefined, field: m[4]!, condition: conditionOf(name, m[1]!, value) };
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const objects = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);
/** Extension keys are prefixed (`example:field`); standard fields never are. */
const isExtensionKey = (key: string) => key.includes(':') && !key.startsWith('@');

/** The places a filter's field is looked for. */
function placesOf(scope: FieldScope, event: Json): Json[] {
  switch (scope) {
    case 'event':
      return [event];
    case 'ilmd':
      return isObject(event['ilmd']) ? [event['ilmd']] : [];
    case 'sensorElement':
      return objects(event['sensorElementList']);
    case 'sensorMetadata':
      return objects(event['sensorElementList']).flatMap((e) => (isObject(e['sensorMetadata']) ? [e['sensorMetadata']] : []));
    case 'sensorReport':
      return objects(event['sensorElementList']).flatMap((e) => objects(e['sensorReport']));
  }
}

/** Every value of the field anywhere below the node (INNER_). */
function innerValues(node: unknown, field: string, out: unknown[]): void {
  if (Array.isArray(node)) return node.forEach((n) => innerValues(n, field, out));
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if (key === field) out.push(value);
    innerValues(value, field, out);
  }
}

function valuesOf(filter: FieldFilter, place: Json): unknown[] {
  if (!filter.inner) return place[filter.field] === undefined ? [] : [place[filter.field]];
  const out: unknown[] = [];
  for (const [key, value] of Object.entries(place)) if (isExtensionKey(key)) innerValues(value, filter.field, out);
  return out;
}

/** The scalar values a field's value stands for: itself, a JSON-LD value object's @value, or a list's items. */
function scalars(value: unknown): (string | number | boolean)[] {
  if (Array.isArray(value)) return value.flatMap(scalars);
  if (isObject(value)) return '@value' in value ? scalars(value['@value']) : [];
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? [value] : [];
}

function holds(condition: FieldCondition, value: string | number | boolean): boolean {
  if (condition.op === 'EXISTS') return true;
  if (condition.op === 'EQ') {
    return condition.values.some((wanted) => String(value) === wanted || (typeof value === 'number' && wanted.trim() !== '' && Number(wanted) === value));
  }
  if (condition.number !== undefined) {
    const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
    return Number.isFinite(n) && compare(condition.op, n, condition.number);
  }
  const time = typeof value === 'string' ? utcTimestamp(value) : undefined;
  return time !== undefined && compare(condition.op, time < condition.time! ? -1 : time > condition.time! ? 1 : 0, 0);
}

/** Whether the event satisfies every extension-field filter. */
export function matchesFieldFilters(filters: readonly FieldFilter[], event: Json): boolean {
  return filters.every((filter) => {
    const values = placesOf(filter.scope, event).flatMap((place) => valuesOf(filter, place));
    if (filter.condition.op === 'EXISTS') return values.length > 0 === filter.condition.present;
    const condition = filter.condition;
    return values.some((v) => scalars(v).some((s) => holds(condition, s)));
  });
}
