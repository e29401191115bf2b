import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DialectError, REPLACE_KEYS, toPostgres } from '../../../src/store/dialect.js';
import { POSTGRES_MIGRATIONS_DIR, readMigrations, splitStatements } from '../../../src/store/migrate.js';

describe('toPostgres', () => {
  it('numbers ? placeholders, leaving quoted text and identifiers alone', () => {
    expect(toPostgres(`SELECT "a?" FROM "T" WHERE "x" = ? AND "y" = '?' AND "z" IN (?, ?)`)).toBe(`SELECT "a?" FROM "T" WHERE "x" = $1 AND "y" = '?' AND "z" IN ($2, $3)`);
  });

  it('passes statements that already use $n placeholders (Prisma\'s own) through unchanged', () => {
    const sql = `SELECT "public"."Consortium"."id" FROM "public"."Consortium" WHERE "id" = $1 LIMIT $2`;
    expect(toPostgres(sql)).toBe(sql);
  });

  it('turns INSERT OR IGNORE into ON CONFLICT DO NOTHING', () => {
    expect(toPostgres(`INSERT OR IGNORE INTO "EventIdentifier" ("a", "b") VALUES (?,?)`)).toBe(`INSERT INTO "EventIdentifier" ("a", "b") VALUES ($1,$2) ON CONFLICT DO NOTHING`);
  });

  it('turns INSERT OR REPLACE into an upsert on the primary key', () => {
    expect(toPostgres(`INSERT OR REPLACE INTO "IndexState" ("consortiumId", "height", "logSize", "root") VALUES (?, ?, ?, ?)`)).toBe(
      `INSERT INTO "IndexState" ("consortiumId", "height", "logSize", "root") VALUES ($1, $2, $3, $4) ON CONFLICT ("consortiumId") DO UPDATE SET "height" = EXCLUDED."height", "logSize" = EXCLUDED."logSize", "root" = EXCLUDED."root"`,
    );
  });

  it('refuses INSERT OR REPLACE into a table whose key it does not know', () => {
    expect(() => toPostgres(`INSERT OR REPLACE INTO "Nope" ("a") VALUES (?)`)).toThrow(DialectError);
    expect(() => toPostgres(`INSERT OR ROLLBACK INTO "Custody" ("a") VALUES (?)`)).toThrow(DialectError);
  });

  it('rewrites the JSON and text functions the store uses', () => {
    expect(toPostgres(`SELECT j.value FROM json_each(?) j`)).toBe(`SELECT j.value FROM json_array_elements_text(CAST($1 AS json)) j`);
    expect(toPostgres(`SELECT 1 FROM json_each(r."body", '$.payload.containedItems') j`)).toBe(`SELECT 1 FROM json_array_elements_text(CAST(r."body" AS json) #> '{payload,containedItems}') j`);
    expect(toPostgres(`SELECT json_extract("body", '$.payload."provenant:x".y') = ?`)).toBe(`SELECT (CAST("body" AS json) #>> '{payload,provenant:x,y}') = $1`);
    expect(toPostgres(`SELECT group_concat(i."a" || char(31) || i."b", char(30))`)).toBe(`SELECT string_agg(i."a" || chr(31) || i."b", chr(30))`);
    expect(toPostgres(`SELECT printf('%012d', r."logIndex")`)).toBe(`SELECT lpad(CAST(r."logIndex" AS text), 12, '0')`);
    expect(toPostgres(`SELECT strftime('%Y-%m-%dT%H:%M:%fZ', e."eventTime")`)).toBe(`SELECT provenant_utc_millis(e."eventTime")`);
    expect(toPostgres(`SELECT 1 LIMIT -1 OFFSET ?`)).toBe(`SELECT 1 LIMIT ALL OFFSET $1`);
  });

  it('knows the primary key of every table it upserts, as prisma/schema.prisma declares it', () => {
    const schema = readFileSync('prisma/schema.prisma', 'utf8');
    for (const [table, key] of Object.entries(REPLACE_KEYS)) {
      const model = new RegExp(`model ${table} \\{([^}]*)\\}`).exec(schema)?.[1];
      expect(model, table).toBeDefined();
      const compound = /@@id\(\[([^\]]*)\]\)/.exec(model!)?.[1]?.split(',').map((c) => c.trim());
      const single = /^\s*(\w+)\s+\w+\s+@id\b/m.exec(model!)?.[1];
      expect(compound ?? [single], table).toEqual([...key]);
    }
  });
});

describe('PostgreSQL migrations', () => {
  it('port every SQLite migration under the same name, and split into statements', () => {
    const sqlite = readMigrations().map((m) => m.name);
    const postgres = readMigrations(POSTGRES_MIGRATIONS_DIR);
    expect(postgres.map((m) => m.name)).toEqual(expect.arrayContaining(sqlite));
    for (const m of postgres) expect(splitStatements(m.sql).length, m.name).toBeGreaterThan(0);
  });

  it('keeps a $$-quoted function body whole', () => {
    const sql = `CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  UPDATE "A" SET "n" = 1;\n  RETURN NULL;\nEND\n$$;\nCREATE TRIGGER "t" AFTER DELETE ON "A" FOR EACH STATEMENT EXECUTE FUNCTION f();`;
    expect(splitStatements(sql)).toEqual([
      `CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  UPDATE "A" SET "n" = 1;\nRETURN NULL;\nEND\n$$`,
      `CREATE TRIGGER "t" AFTER DELETE ON "A" FOR EACH STATEMENT EXECUTE FUNCTION f()`,
    ]);
  });
});
