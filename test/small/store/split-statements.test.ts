import { describe, expect, it } from 'vitest';
import { MigrationError, readMigrations, splitStatements } from '../../../src/store/migrate.js';

describe('splitStatements', () => {
  it('splits on semicolons and drops comment lines', () => {
    expect(splitStatements('-- a comment; with a semicolon\nCREATE TABLE "A" ("x" INTEGER);\n\nINSERT INTO "A" VALUES (1);\n')).toEqual([
      'CREATE TABLE "A" ("x" INTEGER)',
      'INSERT INTO "A" VALUES (1)',
    ]);
  });

  it('keeps a trigger body, semicolons and all, with its CREATE TRIGGER', () => {
    const sql = `CREATE TRIGGER "t" AFTER DELETE ON "A"
BEGIN
  UPDATE "B" SET "n" = "n" + 1;
  INSERT INTO "C" VALUES (OLD."x");
END;
CREATE TEMP TRIGGER "u" AFTER INSERT ON "A" BEGIN SELECT 1; END;
DROP TABLE "D";`;
    expect(splitStatements(sql)).toEqual([
      'CREATE TRIGGER "t" AFTER DELETE ON "A"\nBEGIN\n  UPDATE "B" SET "n" = "n" + 1;\nINSERT INTO "C" VALUES (OLD."x");\nEND',
      'CREATE TEMP TRIGGER "u" AFTER INSERT ON "A" BEGIN SELECT 1;\nEND',
      'DROP TABLE "D"',
    ]);
  });

  it('refuses a trigger that never reaches END', () => {
    expect(() => splitStatements('CREATE TRIGGER "t" AFTER DELETE ON "A" BEGIN UPDATE "B" SET "n" = 1;')).toThrow(MigrationError);
  });

  it('gives every trigger of the lineage epoch migration as one statement', () => {
    const migration = readMigrations().find((m) => m.name.endsWith('_lineage_epoch'))!;
    const statements = splitStatements(migration.sql);
    const triggers = statements.filter((s) => s.startsWith('CREATE TRIGGER'));
    expect(triggers).toHaveLength(6);
    for (const trigger of triggers) expect(trigger).toMatch(/BEGIN\s+UPDATE "LineageEpoch" SET "epoch" = coalesce\("epoch", 0\) \+ 1 WHERE "id" = 1;\s+END$/);
  });
});
