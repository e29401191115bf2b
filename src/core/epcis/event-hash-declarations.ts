// What the CBV 2.0 event hash leaves out beyond eventID, recordTime and errorDeclaration, as the
// reference generator (epcis-event-hash-generator, json_to_py.py and xml_to_py.py) does it:
//  - comments: `rdfs:comment` (and a bare `comment`) are never hashed, at any depth; they annotate
//    an event for people and are not part of what happened (XML comments are not data at all);
//  - declared ignore-fields: a document may name, in an `ignoreFields` list in the reference
//    generator's repository namespace, event fields that a repository added for itself (its own
//    hash, a capture ID). They are left out of the hash of every event of that document. The list
//    sits at document level (EPCISDocument) or in `epcisBody.queryResults` (EPCISQueryDocument).
// Pure: no I/O.

import { CodedError } from '../coded-error.js';

/** The namespace whose `ignoreFields` element the reference generator honours. */
export const IGNORE_FIELDS_NAMESPACE = 'https://repository-x.example.com/';
export const IGNORE_FIELDS_LOCAL_NAME = 'ignoreFields';
export const RDFS_NAMESPACE = 'http://www.w3.org/2000/01/rdf-schema#';

const RDFS_COMMENT = `{${RDFS_NAMESPACE}}comment`;

/** Standard EPCIS 2.0 event fields (EPCIS 2.0 section 7.4): a document may not drop them from the hash. */
export const STANDARD_EVENT_FIELDS: ReadonlySet<string> = new Set([
  '@context', 'type', 'eventID', 'eventTime', 'eventTimeZoneOffset', 'recordTime', 'errorDeclaration',
  'certificationInfo', 'epcList', 'parentID', 'inputEPCList', 'childEPCs', 'quantityList', 'childQuantityList',
  'inputQuantityList', 'outputEPCList', 'outputQuantityList', 'action', 'transformationID', 'bizStep',
  'disposition', 'persistentDisposition', 'readPoint', 'bizLocation', 'bizTransactionList', 'sourceList',
  'destinationList', 'sensorElementList', 'ilmd',
]);

export class EventHashDeclarationError extends CodedError<'EVENT_HASH_IGNORE_FIELD_REFUSED' | 'EVENT_HASH_IGNORE_FIELDS_INVALID'> {}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** "{namespace}local" of a key whose prefix the namespaces know, else the key itself. */
export type KeyExpander = (key: string) => string;

/** Comments are not hashed: `rdfs:comment` however its prefix is spelt, and a bare `comment`. */
export function isCommentKey(key: string, expand: KeyExpander): boolean {
  return key === 'comment' || key === 'rdfs:comment' || expand(key) === RDFS_COMMENT;
}

/** Options of the event hash that come from the enclosing document. */
export interface EventHashOptions {
  /** Event fields (as written, e.g. "example:captureID") to leave out; see declaredIgnoreFields. */
  readonly ignoreFields?: readonly string[];
}

function ignoreFieldsKey(holder: JsonObject, namespaces: ReadonlyMap<string, string>): string | undefined {
  for (const key of Object.keys(holder)) {
    const i = key.indexOf(':');
    if (i <= 0 || key.slice(i + 1) !== IGNORE_FIELDS_LOCAL_NAME) continue;
    if (namespaces.get(key.slice(0, i)) === IGNORE_FIELDS_NAMESPACE) return key;
  }
  return undefined;
}

/**
 * The ignore-fields a document declares (reference generator behaviour, see the file comment), as
 * written. Refuses a list naming a standard EPCIS event field: that would let two different events
 * share one hash ID, so such a document gets no hash IDs rather than ones that disagree with what
 * it says happened.
 */
export function declaredIgnoreFields(doc: JsonObject, namespaces: ReadonlyMap<string, string>): string[] {
  const body = doc['epcisBody'];
  const results = isObject(body) ? body['queryResults'] : undefined;
  const holder = isObject(results) ? results : doc;
  const key = ignoreFieldsKey(holder, namespaces);
  if (key === undefined) return [];
  const value = holder[key];
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((name): name is string => typeof name === 'string' && name.trim() !== '')) {
    throw new EventHashDeclarationError('EVENT_HASH_IGNORE_FIELDS_INVALID', `${key} must list field names`, { key });
  }
  const names = list.map((name) => name.trim());
  const standard = names.filter((name) => STANDARD_EVENT_FIELDS.has(name));
  if (standard.length > 0) {
    throw new EventHashDeclarationError(
      'EVENT_HASH_IGNORE_FIELD_REFUSED',
      `${key} names standard EPCIS event fields, which always take part in the event hash: ${standard.join(', ')}`,
      { key, fields: standard },
    );
  }
  return names;
}
