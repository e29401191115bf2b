// Provenant's own EPCIS capture rules, beyond the official JSON Schema (pure; never mutates input).
// recordTime is deliberately not checked: the server assigns it on capture (EPCIS 2.0 section 7.4.1).

import { normaliseTimestamp } from './event-hash.js';
import { type EpcisEventType, isEpcisEventType } from './epcis-model.js';
import { joinPath, resultOf, ROOT_PATH, type ValidationIssue, type ValidationResult } from './validation-result.js';

const ACTIONS = new Set(['ADD', 'OBSERVE', 'DELETE']);
const TIME_ZONE_OFFSET = /^[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00)$/;
const EVENTS_WITH_ACTION: ReadonlySet<EpcisEventType> = new Set([
  'ObjectEvent',
  'AggregationEvent',
  'TransactionEvent',
  'AssociationEvent',
]);

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyArray(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}

/** True when the text is an ISO 8601 / xsd:dateTimeStamp value with a UTC offset that denotes a real instant. */
export function isValidTimestamp(value: unknown): boolean {
  return typeof value === 'string' && normaliseTimestamp(value) !== null;
}

class IssueCollector {
  readonly issues: ValidationIssue[] = [];
  add(path: string, message: string): void {
    this.issues.push({ path, message });
  }
}

function checkTimestamp(out: IssueCollector, owner: Json, key: string, path: string, required: boolean, requiredMessage = 'is required'): void {
  const value = owner[key];
  const at = joinPath(path, key);
  if (value === undefined) {
    if (required) out.add(at, requiredMessage);
    return;
  }
  if (!isValidTimestamp(value)) out.add(at, 'must be a date-time with a UTC offset (e.g. 2024-05-01T10:00:00.000+02:00)');
}

function checkQuantities(out: IssueCollector, event: Json, key: string, path: string): void {
  const list = event[key];
  if (list === undefined) return;
  const listPath = joinPath(path, key);
  if (!Array.isArray(list)) {
    out.add(listPath, 'must be an array');
    return;
  }
  list.forEach((element, i) => {
    if (!isRecord(element)) return; // shape problems are the schema's to report
    const q = element['quantity'];
    if (q === undefined) return;
    if (typeof q !== 'number' || !Number.isFinite(q) || q < 0) {
      out.add(joinPath(joinPath(listPath, i), 'quantity'), 'must be a finite, non-negative number');
    }
  });
}

function checkSensorTimes(out: IssueCollector, event: Json, path: string): void {
  const elements = event['sensorElementList'];
  if (!Array.isArray(elements)) return;
  elements.forEach((element, i) => {
    if (!isRecord(element)) return;
    const elementPath = joinPath(joinPath(path, 'sensorElementList'), i);
    const metadata = element['sensorMetadata'];
    if (isRecord(metadata)) {
      const metadataPath = joinPath(elementPath, 'sensorMetadata');
      for (const key of ['time', 'startTime', 'endTime']) checkTimestamp(out, metadata, key, metadataPath, false);
    }
    const reports = element['sensorReport'];
    if (Array.isArray(reports)) {
      reports.forEach((report, j) => {
        if (isRecord(report)) checkTimestamp(out, report, 'time', joinPath(joinPath(elementPath, 'sensorReport'), j), false);
      });
    }
  });
}

function checkWhat(out: IssueCollector, event: Json, type: EpcisEventType, action: unknown, path: string): void {
  const children = nonEmptyArray(event['childEPCs']) || nonEmptyArray(event['childQuantityList']);
  switch (type) {
    case 'ObjectEvent':
      // EPCIS 2.0 allows sensor-only ObjectEvents (sensorElementList + readPoint, no identifiers).
      if (!nonEmptyArray(event['epcList']) && !nonEmptyArray(event['quantityList']) && !nonEmptyArray(event['sensorElementList'])) {
        out.add(path, 'ObjectEvent needs a non-empty epcList or quantityList (or sensorElementList)');
      }
      break;
    case 'TransactionEvent':
      if (!nonEmptyArray(event['epcList']) && !nonEmptyArray(event['quantityList'])) {
        out.add(path, 'TransactionEvent needs a non-empty epcList or quantityList');
      }
      break;
    case 'TransformationEvent':
      if (!nonEmptyArray(event['inputEPCList']) && !nonEmptyArray(event['inputQuantityList'])) {
        out.add(path, 'TransformationEvent needs at least one input (inputEPCList or inputQuantityList)');
      }
      if (!nonEmptyArray(event['outputEPCList']) && !nonEmptyArray(event['outputQuantityList'])) {
        out.add(path, 'TransformationEvent needs at least one output (outputEPCList or outputQuantityList)');
      }
      break;
    case 'AggregationEvent':
    case 'AssociationEvent': {
      // EPCIS 2.0 7.4.3/7.4.7: parentID is required for ADD and DELETE (always for AssociationEvent);
      // children may be omitted only for DELETE, which then removes all children of the parent.
      const parentRequired = type === 'AssociationEvent' || action === 'ADD' || action === 'DELETE';
      if (parentRequired && (typeof event['parentID'] !== 'string' || event['parentID'].trim() === '')) {
        out.add(joinPath(path, 'parentID'), `is required for ${type}${type === 'AggregationEvent' ? ` with action ${String(action)}` : ''}`);
      }
      if ((action === 'ADD' || action === 'OBSERVE') && !children) {
        out.add(path, `${type} with action ${action} needs a non-empty childEPCs or childQuantityList`);
      }
      break;
    }
  }
}

/** A CBV 2.0 short name (section 7.2: bizStep and disposition values such as `shipping`, `in_transit`). */
const CBV_SHORT_NAME = /^[a-z][a-z0-9_]*$/;
/** An absolute URI of the schemes vocabulary values use: CBV and GS1 URNs, extension namespaces (http, https, urn). */
const VOCABULARY_URI = /^(?:urn:[a-z0-9][a-z0-9-]{0,31}:[!-~]+|https?:\/\/[A-Za-z0-9.-]+(?::\d+)?(?:\/[!-~]*)?)$/i;

/**
 * bizStep and disposition: a CBV short name or a vocabulary URI; readPoint and bizLocation ids: a
 * URI. Never another scheme (`javascript:`, `data:`), which a viewer could be led to open.
 */
function checkVocabulary(out: IssueCollector, event: Json, path: string): void {
  for (const key of ['bizStep', 'disposition']) {
    const value = event[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !(CBV_SHORT_NAME.test(value) || VOCABULARY_URI.test(value))) {
      out.add(joinPath(path, key), 'must be a CBV short name (e.g. shipping) or an http(s) or urn URI (CBV or a registered extension namespace)');
    }
  }
  for (const key of ['readPoint', 'bizLocation']) {
    const owner = event[key];
    if (!isRecord(owner) || owner['id'] === undefined) continue;
    if (typeof owner['id'] !== 'string' || !VOCABULARY_URI.test(owner['id'])) {
      out.add(joinPath(joinPath(path, key), 'id'), 'must be an http(s) or urn URI (e.g. urn:epc:id:sgln:...)');
    }
  }
}

/** Our rules for one event; `path` prefixes every issue path (e.g. "epcisBody.eventList[2]"). */
export function checkEventRules(event: unknown, path: string = ROOT_PATH): ValidationResult {
  const out = new IssueCollector();
  if (!isRecord(event)) {
    out.add(path, 'must be an object');
    return resultOf(out.issues);
  }

  checkTimestamp(out, event, 'eventTime', path, true);
  const offset = event['eventTimeZoneOffset'];
  if (offset === undefined) {
    out.add(joinPath(path, 'eventTimeZoneOffset'), 'is required with eventTime');
  } else if (typeof offset !== 'string' || !TIME_ZONE_OFFSET.test(offset)) {
    out.add(joinPath(path, 'eventTimeZoneOffset'), 'must be a UTC offset between -14:00 and +14:00 (e.g. +02:00)');
  }

  const type = event['type'];
  const action = event['action'];
  if (isEpcisEventType(type)) {
    if (EVENTS_WITH_ACTION.has(type)) {
      if (action === undefined) out.add(joinPath(path, 'action'), `is required for ${type}`);
      else if (typeof action !== 'string' || !ACTIONS.has(action)) out.add(joinPath(path, 'action'), 'must be one of ADD, OBSERVE, DELETE');
    }
    checkWhat(out, event, type, action, path);
  }

  for (const key of ['quantityList', 'childQuantityList', 'inputQuantityList', 'outputQuantityList']) {
    checkQuantities(out, event, key, path);
  }

  const declaration = event['errorDeclaration'];
  if (declaration !== undefined) {
    const declarationPath = joinPath(path, 'errorDeclaration');
    if (!isRecord(declaration)) out.add(declarationPath, 'must be an object');
    else checkTimestamp(out, declaration, 'declarationTime', declarationPath, true, 'is required in an errorDeclaration');
  }

  checkSensorTimes(out, event, path);
  checkVocabulary(out, event, path);
  return resultOf(out.issues);
}

/** Our rules for every event of a document, with paths such as "epcisBody.eventList[2].action". */
export function checkDocumentRules(doc: unknown): ValidationResult {
  if (!isRecord(doc) || !isRecord(doc['epcisBody'])) {
    return resultOf([{ path: 'epcisBody', message: 'is required and must be an object' }]);
  }
  const body = doc['epcisBody'];
  if (isRecord(body['event']) && !Array.isArray(body['eventList'])) return checkEventRules(body['event'], 'epcisBody.event');
  const results = body['queryResults'];
  const fromQuery = !Array.isArray(body['eventList']) && isRecord(results) && isRecord(results['resultsBody']);
  const basePath = fromQuery ? 'epcisBody.queryResults.resultsBody.eventList' : 'epcisBody.eventList';
  const list = fromQuery ? (results['resultsBody'] as Json)['eventList'] : body['eventList'];
  if (!Array.isArray(list)) return resultOf([{ path: basePath, message: 'is required and must be an array' }]);
  const rawList: unknown[] = list;
  return resultOf(rawList.flatMap((event, i) => {
    const r = checkEventRules(event, joinPath(basePath, i));
    return r.ok ? [] : r.errors;
  }));
}
