import { describe, expect, it } from 'vitest';
import { WriteBatch, mergedStatements } from '../../../src/store/write-batch.js';
import { toPostgres } from '../../../src/store/dialect.js';

describe('mergedStatements (PostgreSQL commits)', () => {
  it('joins a run of the same INSERT into one multi-row INSERT with the parameters in row order', () => {
    const batch = new WriteBatch();
    batch.insert('EventIdentifier', ['a', 'b'], [[1, 'x'], [2, 'y'], [3, 'z']], 'OR IGNORE');
    const [merged, ...rest] = mergedStatements(batch.statements);
    expect(rest).toEqual([]);
    expect(merged!.sql).toBe('INSERT OR IGNORE INTO "EventIdentifier" ("a", "b") VALUES (?, ?), (?, ?), (?, ?)');
    expect(merged!.params).toEqual([1, 'x', 2, 'y', 3, 'z']);
    expect(toPostgres(merged!.sql)).toBe('INSERT INTO "EventIdentifier" ("a", "b") VALUES ($1, $2), ($3, $4), ($5, $6) ON CONFLICT DO NOTHING');
  });

  it('keeps upserts, statements whose row count is wanted and other statements one by one, in order', () => {
    const batch = new WriteBatch();
    batch.insert('Custody', ['consortiumId', 'identifier'], [['c', 'i'], ['c', 'i']], 'OR REPLACE');
    batch.add('INSERT INTO "T" ("a") VALUES (?)', [1], () => undefined);
    batch.add('INSERT INTO "T" ("a") VALUES (?)', [2], () => undefined);
    batch.add('DELETE FROM "T" WHERE "a" = ?', [3]);
    batch.insert('T', ['a'], [[4], [5]]);
    const out = mergedStatements(batch.statements);
    expect(out.map((s) => s.params)).toEqual([['c', 'i'], ['c', 'i'], [1], [2], [3], [4, 5]]);
    expect(out.slice(0, 5)).toEqual(batch.statements.slice(0, 5));
  });

  it('starts a new statement when the parameter bound would be passed', () => {
    const batch = new WriteBatch();
    const columns = Array.from({ length: 40 }, (_, i) => `c${i}`);
    batch.insert('Wide', columns, Array.from({ length: 1_600 }, (_, r) => columns.map((_c, i) => r * 100 + i)));
    const out = mergedStatements(batch.statements);
    expect(out.map((s) => s.params.length / 40)).toEqual([750, 750, 100]);
    expect(out.flatMap((s) => s.params)).toEqual(batch.statements.flatMap((s) => s.params));
  });
});
