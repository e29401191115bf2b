// Validation against the official GS1 EPCIS 2.0 JSON Schemas (draft-07, so the default Ajv class).
// Pure: it takes the schemas as a SchemaBundle (platform/epcis-schemas.ts reads them from
// assets/epcis/JSON-Schema or PROVENANT_EPCIS_SCHEMA_DIR) and never mutates its input.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import ajvFormatsModule from 'ajv-formats';
import { checkDocumentRules, checkEventRules } from './epcis-rules.js';
import { joinPath, mergeResults, resultOf, ROOT_PATH, type ValidationIssue, type ValidationResult } from './validation-result.js';

export type { ValidationIssue, ValidationResult } from './validation-result.js';

const ROOT_SCHEMA_ID = 'https://gs1.github.io/EPCIS/JSON-Schema/EPCIS-JSON-Schema.json';
const EVENT_SCHEMA_REF = 'https://gs1.github.io/EPCIS/JSON-Schema/EPCIS-Event-JSON-Schema.json#/definitions/EPCIS-Document-Event';

export type EpcisSchemaErrorCode = 'EPCIS_SCHEMA_NOT_FOUND' | 'EPCIS_SCHEMA_INVALID';

export class EpcisSchemaError extends Error {
  readonly code: EpcisSchemaErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: EpcisSchemaErrorCode, message: string, details: Record<string, unknown>) {
    super(message);
    this.name = 'EpcisSchemaError';
    this.code = code;
    this.details = details;
  }
}

export interface SchemaBundle {
  /** Where the schemas came from (a directory path), for diagnostics. */
  source: string;
  schemas: object[];
}

export interface EpcisValidatorOptions {
  /** Also apply Provenant's own rules (epcis-rules.ts) after the schema. Default false. */
  withRules?: boolean;
}

export interface EpcisValidator {
  validateDocument(doc: unknown): ValidationResult;
  validateEvent(event: unknown): ValidationResult;
  /** The schema directory in use. */
  source: string;
}

interface CompiledSchemas {
  document: ValidateFunction;
  event: ValidateFunction;
}

const addFormats = (ajvFormatsModule as unknown as { default?: typeof ajvFormatsModule }).default ?? ajvFormatsModule;

/** A value's identity under JSON equality (object key order does not matter), as one string. */
function equalityKey(value: unknown): string {
  if (typeof value === 'string') return `s${value}`;
  if (value === null || typeof value !== 'object') return `v${String(value)}`;
  if (Array.isArray(value)) return `a[${value.map(equalityKey).join(',')}]`;
  const entries = Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${equalityKey((value as Record<string, unknown>)[k])}`);
  return `o{${entries.join(',')}}`;
}

type UniqueItemsCheck = ((schema: boolean, data: unknown[]) => boolean) & { errors?: Partial<ErrorObject>[] };

/**
 * JSON Schema uniqueItems in linear time. Ajv's own keyword compares every pair (quadratic) unless
 * the items schema states a scalar `type` itself, and GS1's epcList items are a bare `$ref`: 60,000
 * EPCs took 17 s. Same verdict and message as Ajv's pairwise loop: the last item that repeats an
 * earlier one (i), and its nearest earlier copy (j).
 */
const uniqueItems: UniqueItemsCheck = (schema, data) => {
  uniqueItems.errors = [];
  if (!schema) return true;
  const lastSeen = new Map<string, number>();
  let found: { i: number; j: number } | undefined;
  data.forEach((item, i) => {
    const key = equalityKey(item);
    const j = lastSeen.get(key);
    if (j !== undefined) found = { i, j };
    lastSeen.set(key, i);
  });
  if (!found) return true;
  uniqueItems.errors = [{ keyword: 'uniqueItems', message: `must NOT have duplicate items (items ## ${found.j} and ${found.i} are identical)`, params: found }];
  return false;
};

export function compileSchemas(bundle: SchemaBundle): CompiledSchemas {
  // strict: false because the official schemas use keywords Ajv's strict mode rejects (e.g. unknown formats
  // combined with types); allErrors so a client sees every problem in one round trip.
  const ajv = new Ajv({ allErrors: true, strict: false });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  ajv.removeKeyword('uniqueItems');
  ajv.addKeyword({ keyword: 'uniqueItems', type: 'array', schemaType: 'boolean', errors: true, validate: uniqueItems });
  try {
    for (const schema of bundle.schemas) ajv.addSchema(schema);
    const document = ajv.getSchema(ROOT_SCHEMA_ID);
    const event = ajv.getSchema(EVENT_SCHEMA_REF);
    if (!document || !event) throw new Error(`schema ${document ? EVENT_SCHEMA_REF : ROOT_SCHEMA_ID} missing`);
    return { document, event };
  } catch (cause) {
    throw new EpcisSchemaError('EPCIS_SCHEMA_INVALID', `EPCIS JSON Schemas in ${bundle.source} could not be compiled`, {
      source: bundle.source,
      cause: String(cause),
    });
  }
}

function pointerToPath(pointer: string): string {
  if (pointer === '') return ROOT_PATH;
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<string>((acc, segment) => joinPath(acc, /^\d+$/.test(segment) ? Number(segment) : segment), ROOT_PATH);
}

function issueOf(error: ErrorObject): ValidationIssue {
  const at = pointerToPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { path: joinPath(at, String(params['missingProperty'])), message: 'is required' };
    case 'additionalProperties':
      return { path: joinPath(at, String(params['additionalProperty'])), message: 'is not allowed here' };
    case 'propertyNames':
      return { path: joinPath(at, String(params['propertyName'])), message: 'is not an allowed property name (extensions need a namespace prefix or URI)' };
    case 'format':
      return { path: at, message: `must match format ${String(params['format'])}` };
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v));
      const shown = allowed.length > 8 ? `${allowed.slice(0, 8).join(', ')}, ... (${allowed.length} values)` : allowed.join(', ');
      return { path: at, message: `must be one of ${shown}` };
    }
    default:
      return { path: at, message: error.message ?? `fails ${error.keyword}` };
  }
}

const NAME_CHECK_KEYWORDS = new Set(['enum', 'format', 'pattern', 'anyOf', 'oneOf', 'const']);

/**
 * Ajv errors to human issues. Drops if/then bookkeeping and the per-key noise of propertyNames; an
 * anyOf/oneOf summary is kept only when none of its alternatives produced a more specific error at or
 * below the same place. Duplicates are removed; order follows Ajv's evaluation order.
 */
export function issuesOf(errors: readonly ErrorObject[] | null | undefined, ignorePath?: (path: string) => boolean): ValidationIssue[] {
  if (!errors) return [];
  // Errors raised while checking a property *name* carry `propertyName`, except (an Ajv quirk) those
  // from a $ref inside propertyNames: those sit right before their propertyNames error, same instancePath.
  const nameCheck = new Set<number>();
  errors.forEach((e, k) => {
    if (e.keyword !== 'propertyNames') return;
    for (let j = k - 1; j >= 0; j--) {
      const prior = errors[j];
      if (!prior || prior.instancePath !== e.instancePath || !NAME_CHECK_KEYWORDS.has(prior.keyword)) break;
      nameCheck.add(j);
    }
  });
  const relevant = errors.filter((e, k) => e.keyword !== 'if' && e.propertyName === undefined && !nameCheck.has(k));
  const isSummary = (e: ErrorObject): boolean => e.keyword === 'anyOf' || e.keyword === 'oneOf';
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  for (const error of relevant) {
    if (isSummary(error)) {
      const at = error.instancePath;
      const explained = relevant.some(
        (other) => !isSummary(other) && (other.instancePath === at || other.instancePath.startsWith(`${at}/`)),
      );
      if (explained) continue;
    }
    const issue = issueOf(error);
    if (error.keyword === 'required' && error.schemaPath.includes('/anyOf/')) {
      issue.message = 'is required (unless one of the alternatives reported alongside is given)';
    }
    if (ignorePath?.(issue.path)) continue;
    const id = `${issue.path}\u0000${issue.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    issues.push(issue);
  }
  return issues;
}

// The server assigns recordTime, so a client's value (even a malformed one) is not an error.
const isRecordTimePath = (p: string): boolean => p === 'recordTime' || p.endsWith('.recordTime');

export function validatorFromBundle(bundle: SchemaBundle, options: EpcisValidatorOptions = {}): EpcisValidator {
  const compiled = compileSchemas(bundle);
  const validateDocument = (doc: unknown): ValidationResult => {
    const schema = compiled.document(doc) ? [] : issuesOf(compiled.document.errors, isRecordTimePath);
    const result = resultOf(schema);
    return options.withRules ? mergeResults(result, checkDocumentRules(doc)) : result;
  };
  const validateEvent = (event: unknown): ValidationResult => {
    const schema = compiled.event(event) ? [] : issuesOf(compiled.event.errors, isRecordTimePath);
    const result = resultOf(schema);
    return options.withRules ? mergeResults(result, checkEventRules(event)) : result;
  };
  return { validateDocument, validateEvent, source: bundle.source };
}
