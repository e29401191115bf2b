// Light typed view over EPCIS 2.0 JSON events (EPCIS 2.0 section 7.4). The types describe the JSON as
// received; index signatures keep user extensions (prefixed keys) as they came. Pure helpers only.

export const EPCIS_EVENT_TYPES = [
  'ObjectEvent',
  'AggregationEvent',
  'TransformationEvent',
  'TransactionEvent',
  'AssociationEvent',
] as const;
export type EpcisEventType = (typeof EPCIS_EVENT_TYPES)[number];

export type EpcisAction = 'ADD' | 'OBSERVE' | 'DELETE';

export interface QuantityElement {
  epcClass: string;
  quantity?: number;
  uom?: string;
  [extension: string]: unknown;
}

export interface Location {
  id: string;
  [extension: string]: unknown;
}

export interface BizTransaction {
  type?: string;
  bizTransaction: string;
  [extension: string]: unknown;
}

export interface Source {
  type: string;
  source: string;
  [extension: string]: unknown;
}

export interface Destination {
  type: string;
  destination: string;
  [extension: string]: unknown;
}

export interface PersistentDisposition {
  set?: string[];
  unset?: string[];
  [extension: string]: unknown;
}

export interface SensorMetadata {
  time?: string;
  startTime?: string;
  endTime?: string;
  deviceID?: string;
  deviceMetadata?: string;
  rawData?: string;
  dataProcessingMethod?: string;
  bizRules?: string;
  [extension: string]: unknown;
}

export interface SensorReport {
  type?: string;
  exception?: string;
  deviceID?: string;
  deviceMetadata?: string;
  rawData?: string;
  dataProcessingMethod?: string;
  time?: string;
  microorganism?: string;
  chemicalSubstance?: string;
  value?: number;
  component?: string;
  stringValue?: string;
  booleanValue?: boolean;
  hexBinaryValue?: string;
  uriValue?: string;
  minValue?: number;
  maxValue?: number;
  meanValue?: number;
  sDev?: number;
  percRank?: number;
  percValue?: number;
  uom?: string;
  coordinateReferenceSystem?: string;
  [extension: string]: unknown;
}

export interface SensorElement {
  sensorMetadata?: SensorMetadata;
  sensorReport: SensorReport[];
  [extension: string]: unknown;
}

export interface ErrorDeclaration {
  declarationTime: string;
  reason?: string;
  correctiveEventIDs?: string[];
  [extension: string]: unknown;
}

export type Ilmd = Record<string, unknown>;

interface EventCommon {
  '@context'?: unknown;
  eventTime: string;
  eventTimeZoneOffset: string;
  recordTime?: string;
  eventID?: string;
  certificationInfo?: string | string[];
  errorDeclaration?: ErrorDeclaration;
  bizStep?: string;
  disposition?: string;
  persistentDisposition?: PersistentDisposition;
  readPoint?: Location;
  bizLocation?: Location;
  bizTransactionList?: BizTransaction[];
  sourceList?: Source[];
  destinationList?: Destination[];
  sensorElementList?: SensorElement[];
  [extension: string]: unknown;
}

export interface ObjectEvent extends EventCommon {
  type: 'ObjectEvent';
  action: EpcisAction;
  epcList?: string[];
  quantityList?: QuantityElement[];
  ilmd?: Ilmd;
}

export interface AggregationEvent extends EventCommon {
  type: 'AggregationEvent';
  action: EpcisAction;
  parentID?: string;
  childEPCs?: string[];
  childQuantityList?: QuantityElement[];
}

export interface TransactionEvent extends EventCommon {
  type: 'TransactionEvent';
  action: EpcisAction;
  parentID?: string;
  epcList?: string[];
  quantityList?: QuantityElement[];
}

export interface TransformationEvent extends EventCommon {
  type: 'TransformationEvent';
  inputEPCList?: string[];
  inputQuantityList?: QuantityElement[];
  outputEPCList?: string[];
  outputQuantityList?: QuantityElement[];
  transformationID?: string;
  ilmd?: Ilmd;
}

export interface AssociationEvent extends EventCommon {
  type: 'AssociationEvent';
  action: EpcisAction;
  parentID: string;
  childEPCs?: string[];
  childQuantityList?: QuantityElement[];
}

export type EpcisEvent = ObjectEvent | AggregationEvent | TransactionEvent | TransformationEvent | AssociationEvent;

export interface EpcisDocument {
  '@context': unknown;
  type: 'EPCISDocument';
  schemaVersion: string;
  creationDate: string;
  id?: string;
  instanceIdentifier?: string;
  sender?: string;
  receiver?: string;
  epcisHeader?: Record<string, unknown>;
  epcisBody: { eventList: EpcisEvent[]; [extension: string]: unknown };
  [extension: string]: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * Events of an EPCISDocument (epcisBody.eventList), of a capture body holding a single
 * `epcisBody.event`, or of an EPCISQueryDocument (queryResults.resultsBody.eventList), in order.
 */
export function eventsOfDocument(doc: unknown): EpcisEvent[] {
  if (!isRecord(doc)) return [];
  const body = doc['epcisBody'];
  if (!isRecord(body)) return [];
  if (Array.isArray(body['eventList'])) return body['eventList'].filter(isRecord) as EpcisEvent[];
  if (isRecord(body['event'])) return [body['event'] as EpcisEvent];
  const results = body['queryResults'];
  if (isRecord(results) && isRecord(results['resultsBody']) && Array.isArray(results['resultsBody']['eventList'])) {
    return results['resultsBody']['eventList'].filter(isRecord) as EpcisEvent[];
  }
  return [];
}

export function isEpcisEventType(value: unknown): value is EpcisEventType {
  return typeof value === 'string' && (EPCIS_EVENT_TYPES as readonly string[]).includes(value);
}

/** The event's type when it is one of the five standard ones, else null (extension event types). */
export function eventType(event: unknown): EpcisEventType | null {
  return isRecord(event) && isEpcisEventType(event['type']) ? event['type'] : null;
}

// CBV 2.0 section 6/7: a standard value may be written bare, as CBV 1.x URN, as GS1 Web URI or CURIE.
function cbvShortForm(value: unknown, urnPrefix: string, webTermPrefix: string): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (text.startsWith(urnPrefix)) return text.slice(urnPrefix.length);
  const web = /^(?:https?:\/\/(?:ref|ns)\.gs1\.org\/cbv\/|cbv:)(.*)$/.exec(text);
  if (web && web[1]?.startsWith(webTermPrefix)) return web[1].slice(webTermPrefix.length);
  return text;
}

/** CBV business step in short form ('shipping'); non-CBV (user vocabulary) URIs are returned unchanged. */
export function normaliseBizStep(value: unknown): string | undefined {
  return cbvShortForm(value, 'urn:epcglobal:cbv:bizstep:', 'BizStep-');
}

/** CBV disposition in short form ('in_transit'); non-CBV URIs are returned unchanged. */
export function normaliseDisposition(value: unknown): string | undefined {
  return cbvShortForm(value, 'urn:epcglobal:cbv:disp:', 'Disp-');
}

export function bizStepOf(event: unknown): string | undefined {
  return isRecord(event) ? normaliseBizStep(event['bizStep']) : undefined;
}

export function dispositionOf(event: unknown): string | undefined {
  return isRecord(event) ? normaliseDisposition(event['disposition']) : undefined;
}

export type QuantityRole = 'quantity' | 'child' | 'input' | 'output';

export interface RoledQuantity {
  role: QuantityRole;
  epcClass: string;
  quantity?: number;
  uom?: string;
}

export interface EventIdentifiers {
  /** epcList of Object and Transaction events. */
  epcs: string[];
  childEPCs: string[];
  parentID?: string;
  inputEPCs: string[];
  outputEPCs: string[];
  quantities: RoledQuantity[];
  transformationID?: string;
}

function quantitiesOf(value: unknown, role: QuantityRole): RoledQuantity[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).flatMap((q): RoledQuantity[] => {
    if (typeof q['epcClass'] !== 'string') return [];
    const out: RoledQuantity = { role, epcClass: q['epcClass'] };
    if (typeof q['quantity'] === 'number') out.quantity = q['quantity'];
    if (typeof q['uom'] === 'string') out.uom = q['uom'];
    return [out];
  });
}

/** The "what" dimension of an event by role, exactly as written (no identifier normalisation). */
export function identifiersOf(event: unknown): EventIdentifiers {
  const e = isRecord(event) ? event : {};
  const ids: EventIdentifiers = {
    epcs: stringsOf(e['epcList']),
    childEPCs: stringsOf(e['childEPCs']),
    inputEPCs: stringsOf(e['inputEPCList']),
    outputEPCs: stringsOf(e['outputEPCList']),
    quantities: [
      ...quantitiesOf(e['quantityList'], 'quantity'),
      ...quantitiesOf(e['childQuantityList'], 'child'),
      ...quantitiesOf(e['inputQuantityList'], 'input'),
      ...quantitiesOf(e['outputQuantityList'], 'output'),
    ],
  };
  if (typeof e['parentID'] === 'string') ids.parentID = e['parentID'];
  if (typeof e['transformationID'] === 'string') ids.transformationID = e['transformationID'];
  return ids;
}

export interface SensorReading extends SensorReport {
  /** Position in sensorElementList and in that element's sensorReport list. */
  elementIndex: number;
  reportIndex: number;
  /** The enclosing element's metadata (report-level time/deviceID override it, EPCIS 2.0 7.3.8). */
  metadata?: SensorMetadata;
}

/** Every sensorReport of the event, flattened, with report time/deviceID falling back to the metadata's. */
export function sensorReadingsOf(event: unknown): SensorReading[] {
  if (!isRecord(event) || !Array.isArray(event['sensorElementList'])) return [];
  const readings: SensorReading[] = [];
  event['sensorElementList'].forEach((element: unknown, elementIndex: number) => {
    if (!isRecord(element) || !Array.isArray(element['sensorReport'])) return;
    const metadata = isRecord(element['sensorMetadata']) ? (element['sensorMetadata'] as SensorMetadata) : undefined;
    element['sensorReport'].forEach((report: unknown, reportIndex: number) => {
      if (!isRecord(report)) return;
      const reading: SensorReading = { ...(report as SensorReport), elementIndex, reportIndex };
      if (metadata) {
        reading.metadata = metadata;
        if (reading.time === undefined && metadata.time !== undefined) reading.time = metadata.time;
        if (reading.deviceID === undefined && metadata.deviceID !== undefined) reading.deviceID = metadata.deviceID;
      }
      readings.push(reading);
    });
  });
  return readings;
}

export function isErrorDeclaration(event: unknown): boolean {
  return isRecord(event) && isRecord(event['errorDeclaration']);
}

/** errorDeclaration.correctiveEventIDs (EPCIS 2.0 section 7.4.1.4); empty when absent. */
export function correctiveEventIds(event: unknown): string[] {
  if (!isRecord(event) || !isRecord(event['errorDeclaration'])) return [];
  return stringsOf(event['errorDeclaration']['correctiveEventIDs']);
}
