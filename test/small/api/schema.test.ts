import { readFileSync } from 'node:fs';
import { buildSchema as parseSdl, lexicographicSortSchema, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SCHEMA_FILE, printedSchema, schemaDiff } from '../../../src/transport/graphql/print-schema.js';
import { buildSchema } from '../../../src/transport/graphql/schema.js';

describe('committed schema.graphql', () => {
  it('matches the schema built from code (run `npm run schema:print` after changing types)', () => {
    const committed = readFileSync(SCHEMA_FILE, 'utf8');
    const generated = printedSchema();
    const diff = schemaDiff(committed, generated);
    expect(diff, 'schema.graphql drifted from the code').toEqual({ added: [], removed: [] });
    expect(committed).toBe(generated);
  });

  it('is sorted, so a reordering in code does not show as a change', () => {
    const committed = readFileSync(SCHEMA_FILE, 'utf8');
    expect(`${printSchema(lexicographicSortSchema(parseSdl(committed)))}\n`).toBe(committed);
  });

  it('reports drift as added and removed lines', () => {
    expect(schemaDiff('type A {\n  x: Int\n}\n', 'type A {\n  x: Int\n  y: Int\n}\n')).toEqual({ added: ['  y: Int'], removed: [] });
  });
});

describe('schema shape', () => {
  const schema = buildSchema();
  const query = schema.getQueryType()!.getFields();

  it('gives every query field but health a result union that includes Unauthenticated', () => {
    for (const [name, field] of Object.entries(query)) {
      if (name === 'health') continue;
      const type = field.type.toString().replace(/!$/, '');
      const union = schema.getType(type);
      expect(union && 'getTypes' in union, `${name} returns a union`).toBe(true);
      const members = (union as unknown as { getTypes(): { name: string }[] }).getTypes().map((t) => t.name);
      expect(members, name).toEqual(expect.arrayContaining(['Unauthenticated', 'Forbidden']));
    }
  });

  it('exposes message and code on every error type', () => {
    for (const name of ['Unauthenticated', 'Forbidden', 'NotFound', 'InvalidIdentifier']) {
      const type = schema.getType(name) as unknown as { getFields(): Record<string, unknown>; getInterfaces(): { name: string }[] };
      expect(Object.keys(type.getFields()).sort()).toEqual(['code', 'message']);
      expect(type.getInterfaces().map((i) => i.name)).toEqual(['Error']);
    }
  });

  it('has no global node field that would bypass the auth checks', () => {
    expect(query.node).toBeUndefined();
    expect(query.nodes).toBeUndefined();
  });
});
