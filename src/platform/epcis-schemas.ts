/**
 * The GS1 EPCIS 2.0 JSON Schemas the validator compiles: read once from the shipped assets
 * (assets/epcis/JSON-Schema) or from PROVENANT_EPCIS_SCHEMA_DIR, and the validator built from
 * them kept per source for the life of the process. Validation itself is pure (core/epcis/epcis-validate.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { EpcisSchemaError, validatorFromBundle, type EpcisValidator, type SchemaBundle } from '../core/epcis/epcis-validate.js';
import { assetPath } from './assets.js';

export { EpcisSchemaError, type EpcisValidator, type SchemaBundle } from '../core/epcis/epcis-validate.js';

export const SCHEMA_DIR_ENV = 'PROVENANT_EPCIS_SCHEMA_DIR';

const REQUIRED_SCHEMA_FILE = 'EPCIS-JSON-Schema-root.json';

export interface EpcisValidatorOptions {
  /** Explicit schema directory (holding EPCIS-JSON-Schema-root.json and schemas/). */
  schemaDir?: string;
  /** Also apply Provenant's own rules (epcis-rules.ts) after the schema. Default false. */
  withRules?: boolean;
}

function isSchemaDir(dir: string): boolean {
  return existsSync(path.join(dir, REQUIRED_SCHEMA_FILE));
}

/** Reads every *.json in the directory and its schemas/ subfolder. */
export function loadSchemaDirectory(dir: string): SchemaBundle {
  const files: string[] = [];
  for (const folder of [dir, path.join(dir, 'schemas')]) {
    if (!existsSync(folder) || !statSync(folder).isDirectory()) continue;
    for (const name of readdirSync(folder).sort()) {
      if (name.endsWith('.json')) files.push(path.join(folder, name));
    }
  }
  const schemas = files.map((file) => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as object;
    } catch (cause) {
      throw new EpcisSchemaError('EPCIS_SCHEMA_INVALID', `EPCIS schema file ${file} is not valid JSON`, {
        file,
        cause: String(cause),
      });
    }
  });
  return { source: dir, schemas };
}

/** Resolves the schema source: option, env var, then the schemas shipped in `assets/epcis/JSON-Schema`. */
export function resolveSchemaBundle(options: Pick<EpcisValidatorOptions, 'schemaDir'> = {}): SchemaBundle {
  const explicit = options.schemaDir ?? process.env[SCHEMA_DIR_ENV];
  if (explicit) {
    if (isSchemaDir(explicit)) return loadSchemaDirectory(explicit);
    throw new EpcisSchemaError(
      'EPCIS_SCHEMA_NOT_FOUND',
      `EPCIS JSON Schema directory ${explicit} (from ${options.schemaDir ? 'options.schemaDir' : SCHEMA_DIR_ENV}) has no ${REQUIRED_SCHEMA_FILE}`,
      { envVar: SCHEMA_DIR_ENV, tried: [explicit] },
    );
  }
  const shipped = assetPath('epcis', 'JSON-Schema');
  if (isSchemaDir(shipped)) return loadSchemaDirectory(shipped);
  throw new EpcisSchemaError(
    'EPCIS_SCHEMA_NOT_FOUND',
    `EPCIS 2.0 JSON Schemas not found in ${shipped}: the installation is incomplete; set ${SCHEMA_DIR_ENV} to a directory holding ${REQUIRED_SCHEMA_FILE}`,
    { envVar: SCHEMA_DIR_ENV, tried: [shipped] },
  );
}

interface CompiledCacheEntry {
  bundle: SchemaBundle;
  validators: Map<boolean, EpcisValidator>;
}

/** Compiling the schemas takes a while: one validator per schema source and rule setting. */
const cache = new Map<string, CompiledCacheEntry>();

/**
 * A cached EPCIS 2.0 validator. Throws EpcisSchemaError (code EPCIS_SCHEMA_NOT_FOUND, naming
 * PROVENANT_EPCIS_SCHEMA_DIR) when no schema source can be found.
 */
export function createEpcisValidator(options: EpcisValidatorOptions = {}): EpcisValidator {
  const key = options.schemaDir ?? process.env[SCHEMA_DIR_ENV] ?? '(default)';
  let entry = cache.get(key);
  if (!entry) {
    entry = { bundle: resolveSchemaBundle(options), validators: new Map() };
    cache.set(key, entry);
  }
  const withRules = options.withRules ?? false;
  let validator = entry.validators.get(withRules);
  if (!validator) {
    validator = validatorFromBundle(entry.bundle, { withRules });
    entry.validators.set(withRules, validator);
  }
  return validator;
}
