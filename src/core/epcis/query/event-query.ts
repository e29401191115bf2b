/**
 * The EPCIS 2.0 SimpleEventQuery as the REST binding sends it (EPCIS 2.0 section 8.2.7.1; GS1
 * openapi.json, GET /events): query-string parameters parsed into a typed query. List values are
 * pipe-delimited. A parameter the standard names but this repository does not implement is
 * QUERY_PARAMETER_UNSUPPORTED (ImplementationException); any other unknown one, or a bad value,
 * is QUERY_PARAMETER (QueryParameterException).
 */
import { utcTimestamp, normaliseErrorReason } from '../../capture/corrections.js';
import { canonicalIdentifier } from '../../rules/authorisation.js';
import { EPCIS_EVENT_TYPES, isEpcisEventType, normaliseBizStep, normaliseDisposition, type EpcisEventType } from '../epcis-model.js';
import { fieldFilterOf, type FieldFilter } from './field-filter.js';
import { QueryError, queryParameterError } from './query-errors.js';
import { emptySensorQuery, setSensorParameter, type SensorQuery, type TimeRange } from './sensor-filter.js';

export type { TimeRange } from './sensor-filter.js';

/** Which event fields a MATCH_ parameter looks in (section 8.2.7.1). */
export type IdentifierField = 'epcList' | 'childEPCs' | 'parentID' | 'inputEPCList' | 'outputEPCList' | 'quantityList' | 'childQuantityList' | 'inputQuantityList' | 'outputQuantityList';

/** A MATCH_ value, canonical: one identifier, or an EPC pattern's prefix (every serial or lot of a class). */
export type IdentifierValue = { exact: string } | { classOf: string };

export interface IdentifierMatch {
  param: string;
  fields: readonly IdentifierField[];
  values: readonly IdentifierValue[];
}

export interface QuantityBound {
  op: 'EQ' | 'GT' | 'GE' | 'LT' | 'LE';
  value: number;
}

export type OrderBy = 'eventTime' | 'recordTime';
export type OrderDirection = 'ASC' | 'DESC';

export interface EventQuery {
  eventTypes?: EpcisEventType[];
  eventTime: TimeRange;
  recordTime: TimeRange;
  actions?: string[];
  /** CBV short forms, as the store keeps them. */
  bizSteps?: string[];
  dispositions?: string[];
  readPoints?: string[];
  bizLocations?: string[];
  /** WD_readPoint, WD_bizLocation: the locations or their descendants (location-hierarchy.ts). */
  readPointsWithin?: string[];
  bizLocationsWithin?: string[];
  transformationIds?: string[];
  matches: IdentifierMatch[];
  quantity: QuantityBound[];
  /** EQ_bizTransaction_type, EQ_source_type, EQ_destination_type: type to accepted values. */
  bizTransactions: Map<string, string[]>;
  sources: Map<string, string[]>;
  destinations: Map<string, string[]>;
  /** EQ_persistentDisposition_set / _unset: CBV short forms, one of which the event's persistentDisposition lists. */
  persistentDispositionSet?: string[];
  persistentDispositionUnset?: string[];
  /** The sensor parameters (sensor-filter.ts), when any is given. */
  sensor?: SensorQuery;
  /** Extension-field parameters (field-filter.ts). */
  fields: FieldFilter[];
  eventIds?: string[];
  errorDeclaration?: boolean;
  /** CBV short forms of the error reasons. */
  errorReasons?: string[];
  orderBy: OrderBy;
  orderDirection: OrderDirection;
  eventCountLimit?: number;
}

export interface PagedEventQuery {
  query: EventQuery;
  perPage: number;
  nextPageToken?: string;
}

export const DEFAULT_PER_PAGE = 30;
export const MAX_PER_PAGE = 1000;

const MATCH_FIELDS: Record<string, readonly IdentifierField[]> = {
  MATCH_epc: ['epcList', 'childEPCs'],
  MATCH_parentID: ['parentID'],
  MATCH_inputEPC: ['inputEPCList'],
  MATCH_outputEPC: ['outputEPCList'],
  MATCH_anyEPC: ['epcList', 'childEPCs', 'parentID', 'inputEPCList', 'outputEPCList'],
  MATCH_epcClass: ['quantityList', 'childQuantityList'],
  MATCH_inputEPCClass: ['inputQuantityList'],
  MATCH_outputEPCClass: ['outputQuantityList'],
  MATCH_anyEPCClass: ['quantityList', 'childQuantityList', 'inputQuantityList', 'outputQuantityList'],
};

const ACTIONS = new Set(['ADD', 'OBSERVE', 'DELETE']);

/**
 * Standard parameter families this repository does not answer (section 8.2.7.1: master-data
 * attributes, extension fields of readPoint, bizLocation and error declarations, quantities by
 * unit, and the remaining error-declaration filters): ImplementationException.
 */
const UNSUPPORTED = /^(?:(?:EQ|GT|GE|LT|LE|WD|EXISTS|HASATTR|EQATTR)_.+|maxEventCount)$/;

function list(name: string, value: string): string[] {
  const items = value.split('|').map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === '')) throw queryParameterError(`${name} must be a non-empty, pipe-delimited list`, { parameter: name, value });
  return items;
}

function time(name: string, value: string): string {
  // A '+' left unencoded in a query string arrives as a space.
  const utc = utcTimestamp(value.replace(/ (\d{2}:\d{2})$/, '+$1'));
  if (!utc) throw queryParameterError(`${name} must be an RFC 3339 date-time with a time zone`, { parameter: name, value });
  return utc;
}

function positiveInteger(name: string, value: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw queryParameterError(`${name} must be an integer from 1 to ${max}`, { parameter: name, value });
  return n;
}

function bool(name: string, value: string): boolean {
  if (value === 'true' || value === '') return true;
  if (value === 'false') return false;
  throw queryParameterError(`${name} must be true or false`, { parameter: name, value });
}

/** `urn:epc:idpat:<scheme>:<company>.<ref>.*`: every serial (or lot) of the class; other values are one identifier. */
export function identifierValue(name: string, text: string): IdentifierValue {
  if (text.startsWith('urn:epc:idpat:')) {
    if (!/^urn:epc:idpat:(?:sgtin|lgtin):[0-9]+\.[0-9]+\.\*$/.test(text)) {
      throw new QueryError('QUERY_PARAMETER_UNSUPPORTED', `${name}: only patterns of the form urn:epc:idpat:sgtin:<company>.<item>.* are supported`, { parameter: name, value: text });
    }
    const klass = canonicalIdentifier(text.replace(/^urn:epc:idpat:(?:sgtin|lgtin):/, 'urn:epc:idpat:sgtin:'));
    if (klass.startsWith('urn:')) throw queryParameterError(`${name}: ${text} is not a valid EPC pattern`, { parameter: name, value: text });
    return { classOf: klass };
  }
  return { exact: canonicalIdentifier(text) };
}

function typedMap(target: Map<string, string[]>, type: string, values: string[]): void {
  target.set(type, [...(target.get(type) ?? []), ...values]);
}

function orderByOf(value: string): OrderBy {
  if (value === 'eventTime' || value === 'recordTime') return value;
  throw new QueryError('QUERY_PARAMETER_UNSUPPORTED', 'orderBy must be eventTime or recordTime', { parameter: 'orderBy', value });
}

type Setter = (query: EventQuery, value: string, name: string) => void;

const SIMPLE: Record<string, Setter> = {
  eventType: (q, v, n) => {
    const types = list(n, v);
    const bad = types.find((t) => !isEpcisEventType(t));
    if (bad !== undefined) throw queryParameterError(`eventType must be one of ${EPCIS_EVENT_TYPES.join(', ')}`, { parameter: n, value: bad });
    q.eventTypes = types as EpcisEventType[];
  },
  GE_eventTime: (q, v, n) => void (q.eventTime.ge = time(n, v)),
  LT_eventTime: (q, v, n) => void (q.eventTime.lt = time(n, v)),
  GE_recordTime: (q, v, n) => void (q.recordTime.ge = time(n, v)),
  LT_recordTime: (q, v, n) => void (q.recordTime.lt = time(n, v)),
  EQ_action: (q, v, n) => {
    const actions = list(n, v);
    const bad = actions.find((a) => !ACTIONS.has(a));
    if (bad !== undefined) throw queryParameterError('EQ_action must be ADD, OBSERVE or DELETE', { parameter: n, value: bad });
    q.actions = actions;
  },
  EQ_bizStep: (q, v, n) => void (q.bizSteps = list(n, v).map((s) => normaliseBizStep(s)!)),
  EQ_disposition: (q, v, n) => void (q.dispositions = list(n, v).map((s) => normaliseDisposition(s)!)),
  EQ_readPoint: (q, v, n) => void (q.readPoints = list(n, v)),
  WD_readPoint: (q, v, n) => void (q.readPointsWithin = list(n, v)),
  EQ_bizLocation: (q, v, n) => void (q.bizLocations = list(n, v)),
  WD_bizLocation: (q, v, n) => void (q.bizLocationsWithin = list(n, v)),
  EQ_transformationID: (q, v, n) => void (q.transformationIds = list(n, v)),
  EQ_persistentDisposition_set: (q, v, n) => void (q.persistentDispositionSet = list(n, v).map((s) => normaliseDisposition(s)!)),
  EQ_persistentDisposition_unset: (q, v, n) => void (q.persistentDispositionUnset = list(n, v).map((s) => normaliseDisposition(s)!)),
  EQ_eventID: (q, v, n) => void (q.eventIds = list(n, v)),
  EXISTS_errorDeclaration: (q, v, n) => void (q.errorDeclaration = bool(n, v)),
  EQ_errorReason: (q, v, n) => void (q.errorReasons = list(n, v).map((r) => normaliseErrorReason(r)!)),
  orderBy: (q, v) => void (q.orderBy = orderByOf(v)),
  orderDirection: (q, v, n) => {
    if (v !== 'ASC' && v !== 'DESC') throw queryParameterError('orderDirection must be ASC or DESC', { parameter: n, value: v });
    q.orderDirection = v;
  },
  eventCountLimit: (q, v, n) => void (q.eventCountLimit = positiveInteger(n, v)),
};

function quantity(name: string, value: string): QuantityBound {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw queryParameterError(`${name} must be a number`, { parameter: name, value });
  return { op: name.slice(0, 2) as QuantityBound['op'], value: n };
}

function setParameter(query: EventQuery, name: string, value: string): void {
  const simple = SIMPLE[name];
  if (simple) return simple(query, value, name);
  const fields = MATCH_FIELDS[name];
  if (fields) {
    query.matches.push({ param: name, fields, values: list(name, value).map((v) => identifierValue(name, v)) });
    return;
  }
  if (/^(?:EQ|GT|GE|LT|LE)_quantity$/.test(name)) {
    query.quantity.push(quantity(name, value));
    return;
  }
  const typed = /^EQ_(bizTransaction|source|destination)_(.+)$/.exec(name);
  if (typed) {
    const target = typed[1] === 'bizTransaction' ? query.bizTransactions : typed[1] === 'source' ? query.sources : query.destinations;
    typedMap(target, typed[2]!, list(name, value));
    return;
  }
  if (setSensorParameter(() => (query.sensor ??= emptySensorQuery()), name, value)) return;
  const field = fieldFilterOf(name, value);
  if (field) {
    query.fields.push(field);
    return;
  }
  if (UNSUPPORTED.test(name)) throw new QueryError('QUERY_PARAMETER_UNSUPPORTED', `query parameter ${name} is not supported by this repository`, { parameter: name });
  throw queryParameterError(`unknown query parameter ${name}`, { parameter: name });
}

export function emptyQuery(): EventQuery {
  return { eventTime: {}, recordTime: {}, matches: [], quantity: [], fields: [], bizTransactions: new Map(), sources: new Map(), destinations: new Map(), orderBy: 'eventTime', orderDirection: 'ASC' };
}

/** The query a list of query-string parameters asks (each parameter at most once). */
export function parseEventQuery(params: Iterable<readonly [string, string]>): PagedEventQuery {
  const query = emptyQuery();
  let perPage = DEFAULT_PER_PAGE;
  let nextPageToken: string | undefined;
  const seen = new Set<string>();
  for (const [name, value] of params) {
    if (seen.has(name)) throw queryParameterError(`query parameter ${name} is given more than once (list values are pipe-delimited)`, { parameter: name });
    seen.add(name);
    if (name === 'perPage') perPage = positiveInteger(name, value, MAX_PER_PAGE);
    else if (name === 'nextPageToken') nextPageToken = value;
    else setParameter(query, name, value);
  }
  for (const range of [query.eventTime, query.recordTime]) {
    if (range.ge !== undefined && range.lt !== undefined && range.ge >= range.lt) throw queryParameterError('a GE_ time must be earlier than its LT_ time', { ge: range.ge, lt: range.lt });
  }
  return { query, perPage, ...(nextPageToken !== undefined ? { nextPageToken } : {}) };
}

/** The query's parameters in one canonical order (for page tokens: a token belongs to one query). */
export function queryFingerprintInput(query: EventQuery): unknown {
  const maps = (m: Map<string, string[]>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { ...query, bizTransactions: maps(query.bizTransactions), sources: maps(query.sources), destinations: maps(query.destinations) };
}
