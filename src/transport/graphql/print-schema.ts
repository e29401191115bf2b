/**
 * Prints the GraphQL schema from code to schema.graphql (sorted, so diffs are stable).
 * `--check` compares instead of writing and exits 1 when the committed file has drifted.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { buildSchema } from './schema.js';

// The same graphql instance Pothos builds with (its CommonJS entry): under vitest a plain import
// can resolve to the ESM build, and graphql refuses types from "another realm".
const { lexicographicSortSchema, printSchema } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

export const SCHEMA_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../schema.graphql');

export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(buildSchema()))}\n`;
}

/** Lines only in one side (a set difference: enough to say what drifted). */
export function schemaDiff(committed: string, generated: string): { added: string[]; removed: string[] } {
  const before = new Set(committed.split('\n'));
  const after = new Set(generated.split('\n'));
  return {
    added: [...after].filter((l) => !before.has(l) && l.trim() !== ''),
    removed: [...before].filter((l) => !after.has(l) && l.trim() !== ''),
  };
}

function main(): void {
  const generated = printedSchema();
  if (!process.argv.includes('--check')) {
    writeFileSync(SCHEMA_FILE, generated);
    console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
    return;
  }
  const committed = existsSync(SCHEMA_FILE) ? readFileSync(SCHEMA_FILE, 'utf8') : '';
  if (committed === generated) {
    console.log('schema.graphql is up to date');
    return;
  }
  const { added, removed } = schemaDiff(committed, generated);
  console.error(`schema.graphql differs from the schema in code: ${added.length} line(s) to add, ${removed.length} to remove`);
  for (const line of added.slice(0, 20)) console.error(`+ ${line}`);
  for (const line of removed.slice(0, 20)) console.error(`- ${line}`);
  if (added.length === 0 && removed.length === 0) console.error('(only ordering or blank lines differ)');
  console.error('run `npm run schema:print` and commit schema.graphql');
  process.exitCode = 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
