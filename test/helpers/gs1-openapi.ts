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

/**
 * A few GS1 patterns (the subscription schedule's) use Oniguruma subroutine calls (`\g<name>`), which
 * JavaScript cannot compile: those patterns alone accept any string; every other pattern is checked.
 */
function patternRegExp(pattern: string, flags: string): RegExp {
  try {
    return new RegExp(pattern, flags);
  } catch {
    return /[\s\S]*/u;
  }
}
patternRegExp.code = 'patternRegExp';

// OpenAPI 3.0 schema objects carry keywords JSON Schema does not know (example, xml): not strict.
const ajvOptions = { strict: false, allErrors: true, code: { regExp: patternRegExp as never } };
const ajv = new Ajv(ajvOptions);
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

/**
 * Whole-response conformance to an OpenAPI 3.0 document (GS1's, or the node's own /openapi.json for
 * Provenant's extensions): the status is one the operation declares; the headers the binding
 * requires are present (`required: true`, `Allow` on an OPTIONS 204, `Location` on a 201 or 202 that
 * declares it, `GS1-EPCIS-Version` wherever declared) and every declared header present matches its
 * schema; the Content-Type is one the response declares (none when it declares no content); a JSON
 * body validates against the declared schema.
 */
export interface ResponseToCheck {
  status: number;
  headers: Headers;
  text: string;
}

/** Headers the binding requires beyond those marked required (EPCIS 2.0 section 12). */
function bindingRequires(name: string, status: number, method: string): boolean {
  const lower = name.toLowerCase();
  if (lower === 'gs1-epcis-version') return true;
  if (lower === 'allow') return method === 'options' && status === 204;
  if (lower === 'location') return status === 201 || status === 202;
  return false;
}

export class OpenApiConformance {
  readonly #ajv: Ajv;

  constructor(
    readonly spec: Record<string, any>,
    readonly id: string,
  ) {
    this.#ajv = id === SPEC_ID ? ajv : new Ajv(ajvOptions);
    if (id !== SPEC_ID) {
      (addFormats as (a: Ajv) => void)(this.#ajv);
      this.#ajv.addSchema(spec, id);
    }
  }

  #resolve(value: any): { node: any; pointer: string[] | null } {
    const ref: unknown = value?.$ref;
    if (typeof ref !== 'string') return { node: value, pointer: null };
    const pointerSegments = ref.slice(2).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    let node: any = this.spec;
    for (const s of pointerSegments) node = node?.[s];
    return { node, pointer: pointerSegments };
  }

  readonly #compiled = new Map<string, ValidateFunction>();

  #validate(segments: string[], value: unknown): string | null {
    const ref = `${this.id}#/${pointer(...segments)}`;
    let validate = this.#compiled.get(ref);
    if (!validate) this.#compiled.set(ref, (validate = this.#ajv.compile({ $ref: ref })));
    return validate(value) ? null : this.#ajv.errorsText(validate.errors, { separator: '; ' });
  }

  hasOperation(path: string, method: string): boolean {
    return this.spec.paths?.[path]?.[method] !== undefined;
  }

  /** What is wrong with the response to `method path` (empty: it conforms). */
  problems(path: string, method: string, res: ResponseToCheck): string[] {
    const op = this.spec.paths?.[path]?.[method];
    if (!op) return [`${this.id} has no ${method.toUpperCase()} ${path}`];
    const declared = op.responses?.[String(res.status)] ?? op.responses?.default;
    if (!declared) return [`status ${res.status} is not declared (declared: ${Object.keys(op.responses ?? {}).join(', ')})`];
    const base = declared.$ref ? this.#resolve(declared).pointer! : ['paths', path, method, 'responses', op.responses[String(res.status)] ? String(res.status) : 'default'];
    const response = this.#resolve(declared).node ?? declared;
    const out: string[] = [];
    for (const [name, header] of Object.entries<any>(response.headers ?? {})) {
      const resolved = this.#resolve(header);
      const value = res.headers.get(name);
      if (value === null) {
        if (resolved.node?.required === true || bindingRequires(name, res.status, method)) out.push(`header ${name} is missing`);
        continue;
      }
      const schemaPath = resolved.pointer ? [...resolved.pointer, 'schema'] : [...base, 'headers', name, 'schema'];
      const schemaType = resolved.node?.schema?.type ?? this.#resolve(resolved.node?.schema).node?.type;
      const typed = schemaType === 'integer' || schemaType === 'number' ? Number(value) : value;
      const error = resolved.node?.schema ? this.#validate(schemaPath, typed) : null;
      if (error) out.push(`header ${name}: ${JSON.stringify(value)}: ${error}`);
    }
    const content = response.content as Record<string, any> | undefined;
    const type = res.headers.get('content-type')?.split(';')[0]!.trim().toLowerCase();
    if (!content || Object.keys(content).length === 0) {
      if (res.text.length > 0) out.push(`a body (${type ?? 'no Content-Type'}) where none is declared`);
      return out;
    }
    if (!type || !content[type]) {
      out.push(`Content-Type ${type ?? '(none)'} is not one of ${Object.keys(content).join(', ')}`);
      return out;
    }
    if (content[type].schema && /json$/.test(type)) {
      let body: unknown;
      try {
        body = JSON.parse(res.text);
      } catch {
        return [...out, `the ${type} body is not JSON`];
      }
      const error = this.#validate([...base, 'content', type, 'schema'], body);
      if (error) out.push(`body: ${error}`);
    }
    return out;
  }
}

/** Conformance to GS1's openapi.json. */
export const GS1_CONFORMANCE = new OpenApiConformance(GS1_OPENAPI, SPEC_ID);
