/**
 * The sensor parameters of SimpleEventQuery (EPCIS 2.0 section 8.2.7.1; GS1 query-schema.json,
 * assets/epcis/JSON-Schema/EPCIS-Query-JSON-Schema-root.json) and their exact test on an event's
 * sensorElementList.
 *
 * One sensorReport must satisfy every report-level condition together (`EQ_type=Temperature&
 * GE_value_CEL=8` asks for a temperature of 8 °C or more, not any temperature and any other
 * reading of 8 °C), with its sensorElement's sensorMetadata satisfying the metadata-level ones.
 * deviceID, dataProcessingMethod and time may be written on the report or on its metadata
 * (section 7.3.7): the report's own value counts, else its metadata's. The unit is part of a value
 * parameter's name (`GE_value_CEL`); a report in another unit does not match (no conversion).
 */
import { utcTimestamp } from '../../capture/corrections.js';
import { queryParameterError } from './query-errors.js';

/** A half-open time range, as RFC 3339 UTC with milliseconds. */
export interface TimeRange {
  ge?: string;
  lt?: string;
}

type Json = Record<string, unknown>;

export type Comparison = 'EQ' | 'GT' | 'GE' | 'LT' | 'LE';

/** A bound on a numeric sensorReport field, in the unit its parameter names (none for percRank). */
export interface SensorValueBound {
  field: 'value' | 'minValue' | 'maxValue' | 'meanValue' | 'sDev' | 'percValue' | 'percRank';
  uom?: string;
  op: Comparison;
  value: number;
}

/** Report-level URI and string attributes with an EQ_ list parameter. */
const REPORT_LISTS = {
  EQ_type: 'type',
  EQ_deviceID: 'deviceID',
  EQ_dataProcessingMethod: 'dataProcessingMethod',
  EQ_microorganism: 'microorganism',
  EQ_chemicalSubstance: 'chemicalSubstance',
  EQ_stringValue: 'stringValue',
  EQ_hexBinaryValue: 'hexBinaryValue',
  EQ_uriValue: 'uriValue',
} as const;

type ReportListField = (typeof REPORT_LISTS)[keyof typeof REPORT_LISTS];

/** Attributes a sensorReport inherits from its sensorMetadata when it does not carry them itself. */
const INHERITED = new Set<string>(['deviceID', 'dataProcessingMethod', 'time']);

export interface SensorQuery {
  /** EXISTS_sensorElementList. */
  exists?: boolean;
  /** Accepted values per report attribute (type in short form: 'Temperature'). */
  lists: Partial<Record<ReportListField, string[]>>;
  booleanValue?: boolean;
  /** GE_time / LT_time: the report's time (or its metadata's). */
  time: TimeRange;
  /** GE_/LT_startTime and endTime: the sensorMetadata's. */
  startTime: TimeRange;
  endTime: TimeRange;
  /** EQ_bizRules: the sensorMetadata's. */
  bizRules?: string[];
  bounds: SensorValueBound[];
}

export function emptySensorQuery(): SensorQuery {
  return { lists: {}, time: {}, startTime: {}, endTime: {}, bounds: [] };
}

/** A measurement type in short form: 'Temperature' for 'gs1:Temperature' or 'https://gs1.org/voc/Temperature'. */
export function measurementType(text: string): string {
  const m = /^(?:gs1:|https?:\/\/gs1\.org\/voc\/)([A-Za-z0-9_]+)$/.exec(text);
  return m ? m[1]! : text;
}

function list(name: string, value: string): string[] {
  const items = value.split('|').map((s) => s.trim());
  if (items.some((s) => s === '')) throw queryParameterError(`${name} must be a non-empty, pipe-delimited list`, { parameter: name, value });
  return items;
}

function time(name: string, value: string): string {
  const utc = utcTimestamp(value.replace(/ (\d{2}:\d{2})$/, '+$1'));
  if (!utc) throw queryParameterError(`${name} must be an RFC 3339 date-time with a time zone`, { parameter: name, value });
  return utc;
}

function number(name: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw queryParameterError(`${name} must be a number`, { parameter: name, value });
  return n;
}

function bool(name: string, value: string): boolean {
  if (value === 'true' || value === '') return true;
  if (value === 'false') return false;
  throw queryParameterError(`${name} must be true or false`, { parameter: name, value });
}

const TIME_PARAMETER = /^(GE|LT)_(time|startTime|endTime)$/;
/** The unit is a UN/ECE Rec 20 code of 2 to 4 characters (query-schema.json: `^GE_value_[A-Z0-9]{2,4}$`). */
const VALUE_PARAMETER = /^(EQ|GT|GE|LT|LE)_(value|minValue|maxValue|meanValue|sDev|percValue)_([A-Z0-9]{2,4})$/;
const PERC_RANK_PARAMETER = /^(EQ|GT|GE|LT|LE)_percRank$/;

/**
 * Applies one sensor parameter to the query's sensor part; false when the name is not a sensor
 * parameter. The sensor part is made on first use.
 */
export function setSensorParameter(sensor: () => SensorQuery, name: string, value: string): boolean {
  if (name in REPORT_LISTS) {
    const field = REPORT_LISTS[name as keyof typeof REPORT_LISTS];
    const values = list(name, value);
    sensor().lists[field] = field === 'type' ? values.map(measurementType) : values;
    return true;
  }
  if (name === 'EXISTS_sensorElementList') return void (sensor().exists = bool(name, value)), true;
  if (name === 'EQ_booleanValue') return void (sensor().booleanValue = bool(name, value)), true;
  if (name === 'EQ_bizRules') return void (sensor().bizRules = list(name, value)), true;
  const t = TIME_PARAMETER.exec(name);
  if (t) {
    const range = sensor()[t[2] as 'time' | 'startTime' | 'endTime'];
    range[t[1] === 'GE' ? 'ge' : 'lt'] = time(name, value);
    if (range.ge !== undefined && range.lt !== undefined && range.ge >= range.lt) throw queryParameterError('a GE_ time must be earlier than its LT_ time', { parameter: name, ge: range.ge, lt: range.lt });
    return true;
  }
  const v = VALUE_PARAMETER.exec(name);
  if (v) {
    sensor().bounds.push({ field: v[2] as SensorValueBound['field'], uom: v[3]!, op: v[1] as Comparison, value: number(name, value) });
    return true;
  }
  const p = PERC_RANK_PARAMETER.exec(name);
  if (p) {
    sensor().bounds.push({ field: 'percRank', op: p[1] as Comparison, value: number(name, value) });
    return true;
  }
  return false;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const objects = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);

export function compare(op: Comparison, actual: number, wanted: number): boolean {
  switch (op) {
    case 'EQ':
      return actual === wanted;
    case 'GT':
      return actual > wanted;
    case 'GE':
      return actual >= wanted;
    case 'LT':
      return actual < wanted;
    case 'LE':
      return actual <= wanted;
  }
}

function inRange(text: unknown, range: TimeRange): boolean {
  if (range.ge === undefined && range.lt === undefined) return true;
  const utc = typeof text === 'string' ? utcTimestamp(text) : undefined;
  if (utc === undefined) return false;
  return (range.ge === undefined || utc >= range.ge) && (range.lt === undefined || utc < range.lt);
}

function metadataHolds(sensor: SensorQuery, metadata: Json): boolean {
  if (sensor.bizRules && !(typeof metadata['bizRules'] === 'string' && sensor.bizRules.includes(metadata['bizRules']))) return false;
  return inRange(metadata['startTime'], sensor.startTime) && inRange(metadata['endTime'], sensor.endTime);
}

function reportHolds(sensor: SensorQuery, report: Json, metadata: Json): boolean {
  const attribute = (field: string): unknown => (report[field] !== undefined || !INHERITED.has(field) ? report[field] : metadata[field]);
  for (const [field, accepted] of Object.entries(sensor.lists)) {
    const actual = attribute(field);
    if (typeof actual !== 'string') return false;
    if (!accepted.includes(field === 'type' ? measurementType(actual) : actual)) return false;
  }
  if (sensor.booleanValue !== undefined && report['booleanValue'] !== sensor.booleanValue) return false;
  if (!inRange(attribute('time'), sensor.time)) return false;
  return sensor.bounds.every((b) => {
    const actual = report[b.field];
    if (typeof actual !== 'number') return false;
    if (b.uom !== undefined && report['uom'] !== b.uom) return false;
    return compare(b.op, actual, b.value);
  });
}

/** Whether the event's sensorElementList satisfies the sensor part of the query. */
export function matchesSensor(sensor: SensorQuery | undefined, event: Json): boolean {
  if (!sensor) return true;
  const elements = objects(event['sensorElementList']);
  if (sensor.exists !== undefined && (elements.length > 0) !== sensor.exists) return false;
  const reportConditions = Object.keys(sensor.lists).length > 0 || sensor.booleanValue !== undefined || sensor.time.ge !== undefined || sensor.time.lt !== undefined || sensor.bounds.length > 0;
  const metadataConditions = sensor.bizRules !== undefined || [sensor.startTime, sensor.endTime].some((r) => r.ge !== undefined || r.lt !== undefined);
  if (!reportConditions && !metadataConditions) return true;
  return elements.some((element) => {
    const metadata = isObject(element['sensorMetadata']) ? element['sensorMetadata'] : {};
    if (!metadataHolds(sensor, metadata)) return false;
    return !reportConditions || objects(element['sensorReport']).some((report) => reportHolds(sensor, report, metadata));
  });
}
