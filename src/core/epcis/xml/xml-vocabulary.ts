// Names and standard-vocabulary forms of the EPCIS 2.0 XML binding (EPCIS 2.0 section 9; CBV 2.0
// sections 6-8). JSON-LD writes standard vocabulary as bare terms ("shipping"); XML writes URIs.
// Reading XML, a standard value in any of its forms (CBV 1.x URN, GS1 Web URI, CURIE) becomes the
// bare term; writing XML, a bare term becomes the CBV URN where CBV defines one (as GS1's own XML
// examples do), else the GS1 Web URI. Values that are not standard terms pass unchanged. Pure.

import {
  BIZ_STEP_TERMS,
  BIZ_TRANSACTION_TYPE_TERMS,
  CBV_BASE,
  COMPONENT_TERMS,
  DISPOSITION_TERMS,
  ERROR_REASON_TERMS,
  GS1_VOC_BASE,
  MEASUREMENT_TYPE_TERMS,
  SENSOR_ALERT_TERMS,
  SOURCE_DEST_TYPE_TERMS,
} from '../cbv-vocabulary.js';

export const EPCIS_NS = 'urn:epcglobal:epcis:xsd:2';
export const EPCIS_QUERY_NS = 'urn:epcglobal:epcis-query:xsd:2';
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
export const XSD_NS = 'http://www.w3.org/2001/XMLSchema';
export const SBDH_NS = 'http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader';
export const EPCIS_CONTEXT_URL = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';

/** Prefixes the standard EPCIS 2.0.0 JSON-LD context defines; a document need not declare them. */
export const STANDARD_CONTEXT_PREFIXES: Readonly<Record<string, string>> = {
  epcis: 'https://ref.gs1.org/epcis/',
  cbv: CBV_BASE,
  cbvmda: 'urn:epcglobal:cbv:mda:',
  gs1: GS1_VOC_BASE,
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  owl: 'http://www.w3.org/2002/07/owl#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  dcterms: 'http://purl.org/dc/terms/',
};

export interface StandardVocabulary {
  readonly terms: ReadonlySet<string>;
  /** CBV 1.x URN prefix, where CBV defines one. */
  readonly urn?: string;
  /** GS1 Web URI prefix of a term. */
  readonly web: string;
}

export const VOCABULARIES = {
  bizStep: { terms: BIZ_STEP_TERMS, urn: 'urn:epcglobal:cbv:bizstep:', web: `${CBV_BASE}BizStep-` },
  disposition: { terms: DISPOSITION_TERMS, urn: 'urn:epcglobal:cbv:disp:', web: `${CBV_BASE}Disp-` },
  bizTransactionType: { terms: BIZ_TRANSACTION_TYPE_TERMS, urn: 'urn:epcglobal:cbv:btt:', web: `${CBV_BASE}BTT-` },
  sourceDestType: { terms: SOURCE_DEST_TYPE_TERMS, urn: 'urn:epcglobal:cbv:sdt:', web: `${CBV_BASE}SDT-` },
  errorReason: { terms: ERROR_REASON_TERMS, urn: 'urn:epcglobal:cbv:er:', web: `${CBV_BASE}ER-` },
  measurementType: { terms: MEASUREMENT_TYPE_TERMS, web: GS1_VOC_BASE },
  sensorAlert: { terms: SENSOR_ALERT_TERMS, web: GS1_VOC_BASE },
  component: { terms: COMPONENT_TERMS, web: `${CBV_BASE}Comp-` },
} as const satisfies Record<string, StandardVocabulary>;

const WEB_ALIASES = ['https://ref.gs1.org/cbv/', 'http://ref.gs1.org/cbv/', 'https://ns.gs1.org/cbv/'];

function termAfter(text: string, prefix: string | undefined, vocabulary: StandardVocabulary): string | undefined {
  if (prefix === undefined || !text.startsWith(prefix)) return undefined;
  const term = text.slice(prefix.length);
  return vocabulary.terms.has(term) ? term : undefined;
}

/**
 * The bare term of a standard value written as URN, Web URI or CURIE (`resolve` maps a CURIE
 * prefix to its namespace); other values unchanged.
 */
export function toBareTerm(value: string, vocabulary: StandardVocabulary, resolve: (prefix: string) => string | undefined): string {
  const text = value.trim();
  if (vocabulary.terms.has(text)) return text;
  const direct = termAfter(text, vocabulary.urn, vocabulary) ?? termAfter(text, vocabulary.web, vocabulary);
  if (direct !== undefined) return direct;
  for (const alias of WEB_ALIASES) {
    if (vocabulary.web.startsWith(CBV_BASE) && text.startsWith(alias)) {
      const term = termAfter(CBV_BASE + text.slice(alias.length), vocabulary.web, vocabulary);
      if (term !== undefined) return term;
    }
  }
  const colon = text.indexOf(':');
  if (colon > 0 && !text.startsWith('//', colon + 1)) {
    const namespace = resolve(text.slice(0, colon)) ?? STANDARD_CONTEXT_PREFIXES[text.slice(0, colon)];
    if (namespace !== undefined) {
      const term = termAfter(namespace + text.slice(colon + 1), vocabulary.web, vocabulary);
      if (term !== undefined) return term;
    }
  }
  return value;
}

/** The XML form of a bare standard term (URN where CBV has one, else Web URI); other values unchanged. */
export function toXmlTerm(value: string, vocabulary: StandardVocabulary): string {
  if (!vocabulary.terms.has(value)) return value;
  return 'urn' in vocabulary && vocabulary.urn !== undefined ? vocabulary.urn + value : vocabulary.web + value;
}

// Child order of each event type in the EPCIS 2.0 XSD (EPCglobal-epcis-2_0.xsd), after the common
// head eventTime, recordTime, eventTimeZoneOffset, eventID, errorDeclaration, certificationInfo.
export const EVENT_HEAD = ['eventTime', 'recordTime', 'eventTimeZoneOffset', 'eventID', 'errorDeclaration', 'certificationInfo'] as const;
const TAIL = ['sensorElementList', 'persistentDisposition'] as const;
export const EVENT_BODY_ORDER: Readonly<Record<string, readonly string[]>> = {
  ObjectEvent: ['epcList', 'action', 'bizStep', 'disposition', 'readPoint', 'bizLocation', 'bizTransactionList', 'quantityList', 'sourceList', 'destinationList', ...TAIL, 'ilmd'],
  AggregationEvent: ['parentID', 'childEPCs', 'action', 'bizStep', 'disposition', 'readPoint', 'bizLocation', 'bizTransactionList', 'childQuantityList', 'sourceList', 'destinationList', ...TAIL],
  TransactionEvent: ['bizTransactionList', 'parentID', 'epcList', 'action', 'bizStep', 'disposition', 'readPoint', 'bizLocation', 'quantityList', 'sourceList', 'destinationList', ...TAIL],
  TransformationEvent: ['inputEPCList', 'inputQuantityList', 'outputEPCList', 'outputQuantityList', 'transformationID', 'bizStep', 'disposition', 'readPoint', 'bizLocation', 'bizTransactionList', 'sourceList', 'destinationList', ...TAIL, 'ilmd'],
  AssociationEvent: ['parentID', 'childEPCs', 'childQuantityList', 'action', 'bizStep', 'disposition', 'readPoint', 'bizLocation', 'bizTransactionList', 'sourceList', 'destinationList', ...TAIL],
};

export const EPC_LIST_FIELDS: ReadonlySet<string> = new Set(['epcList', 'childEPCs', 'inputEPCList', 'outputEPCList']);
export const QUANTITY_LIST_FIELDS: ReadonlySet<string> = new Set(['quantityList', 'childQuantityList', 'inputQuantityList', 'outputQuantityList']);
export const TEXT_FIELDS: ReadonlySet<string> = new Set(['eventTime', 'recordTime', 'eventTimeZoneOffset', 'eventID', 'certificationInfo', 'parentID', 'action', 'transformationID']);

export const SENSOR_METADATA_ATTRIBUTES: ReadonlySet<string> = new Set(['time', 'startTime', 'endTime', 'deviceID', 'deviceMetadata', 'rawData', 'dataProcessingMethod', 'bizRules']);
export const SENSOR_REPORT_NUMBERS: ReadonlySet<string> = new Set(['value', 'minValue', 'maxValue', 'meanValue', 'sDev', 'percRank', 'percValue']);
export const SENSOR_REPORT_ATTRIBUTES: ReadonlySet<string> = new Set([
  'type', 'exception', 'deviceID', 'deviceMetadata', 'rawData', 'dataProcessingMethod', 'time', 'microorganism', 'chemicalSubstance',
  'value', 'component', 'stringValue', 'booleanValue', 'hexBinaryValue', 'uriValue', 'minValue', 'maxValue', 'meanValue', 'sDev',
  'percRank', 'percValue', 'uom', 'coordinateReferenceSystem',
]);
/** Sensor report attributes holding standard vocabulary. */
export const SENSOR_REPORT_VOCABULARY: Readonly<Record<string, StandardVocabulary>> = {
  type: VOCABULARIES.measurementType,
  exception: VOCABULARIES.sensorAlert,
  component: VOCABULARIES.component,
};
