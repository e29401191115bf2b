/**
 * Validates response bodies against GS1's EPCIS 2.0 OpenAPI document (assets/epcis/openapi.json)
 * with ajv over the document's own components: the schemas are referenced in place, by JSON
 * pointer, so what is checked is exactly what GS1 published.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import ajvFormatsModule from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { assetPath } from '../../src/platform/assets.js';

const addFormats = (ajvFormatsModule as unknown as { default?: unknown }).default ?? ajvFormatsModule;
const SPEC_ID = 'gs1-epcis-openapi.json';

export const GS1_OPENAPI = JSON.parse(readFileSync(assetPath('epcis', 'openapi.json'), 'utf8')) as Record<string, any>;

// OpenAPI 3.0 schema objects carry keywords JSON Schema does not know (example, xml): not strict.
const ajv = new Ajv({ strict: false, allErrors: true });
(addFormats as (a: Ajv) => void)(ajv);
ajv.addSchema(GS1_OPENAPI, SPEC_ID);

const compiled = new Map<string, ValidateFunction>();

function pointer(...segments: (string | number)[]): string {
  return segments.map((s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

/** A validator for the schema at a JSON pointer into the spec (segments unescaped). */
export function schemaAt(...segments: (string | number)[]): ValidateFunction {
  const ref = `${SPEC_ID}#/${pointer(...segments)}`;
  let validate = compiled.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: ref });
    compiled.set(ref, validate);
  }
  return validate;
}

/** The schema GS1 gives a path's response (following a response $ref), for a status and media type. */
export function responseSchema(path: string, method: string, status: number, mediaType: string): ValidateFunction {
  const response = GS1_OPENAPI.paths[path]?.[method]?.responses?.[String(status)];
  if (!response) throw new Error(`GS1's openapi.json has no ${status} response for ${method.toUpperCase()} ${path}`);
  const ref: string | undefined = response.$ref;
  if (ref) return schemaAt(...ref.slice(2).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')), 'content', mediaType, 'schema');
  return schemaAt('paths', path, method, 'responses', String(status), 'content', mediaType, 'schema');
}

/** ajv's errors, readable in a failed expectation. */
export function errorsOf(validate: ValidateFunction): string {
  return ajv.errorsText(validate.errors, { separator: '\n' });
}
