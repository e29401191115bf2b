/**
 * The SQLite plans of GET /events scans on a store without planner statistics (a node never runs
 * ANALYZE): queries by item or event ID look their rows up by key; a bizStep and eventTime window
 * seeks its index. Measured on the benchmark's generated store before the change, MATCH_epc of one
 * item walked the consortium's whole eventTime index: 0.36 s at 296,000 events, 19 ms after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEventQuery } from '../../../src/core/epcis/query/event-query.js';
import { openDatabase, type Database } from '../../../src/store/database.js';
import { scanEvents } from '../../../src/store/event-query-store.js';

const C = 'plan-consortium';
let dir: string;
let db: Database;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'provenant-query-plan-'));
  // SQLite whatever the run's engine: the plan is SQLite's.
  db = await openDatabase({ url: `file:${path.join(dir, 'provenant.db')}` });
}, 60_000);

afterAll(async () => {
  await db?.$disconnect();
  rmSync(dir, { recursive: true, force: true });
});

/** The plan SQLite chooses for the scan of GET /events with these parameters, one step per line. */
async function planOf(parameters: string): Promise<string> {
  const { query } = parseEventQuery(new URLSearchParams(parameters));
  let sql = '';
  let args: unknown[] = [];
  const capture = {
    $queryRawUnsafe: async (text: string, ...values: unknown[]) => {
      sql = text;
      args = values;
      return [];
    },
    $executeRawUnsafe: async () => 0,
  } as unknown as Database;
  await scanEvents(capture, { consortiumId: C, query, limit: 100 });
  const rows = await db.$queryRawUnsafe<{ detail: string }[]>(`EXPLAIN QUERY PLAN ${sql}`, ...args);
  return rows.map((r) => r.detail).join('\n');
}

describe('GET /events scans on a store without statistics', () => {
  it('MATCH_epc looks the item events up by key, not by walking the eventTime index', async () => {
    const plan = await planOf('MATCH_epc=urn:epc:id:sgtin:5012345.012345.1001');
    expect(plan).toMatch(/SEARCH e USING INDEX sqlite_autoindex_EpcisEvent_1 \(consortiumId=\? AND eventId=\?\)/);
    expect(plan).toMatch(/SEARCH i USING COVERING INDEX sqlite_autoindex_EventIdentifier_1 \(consortiumId=\? AND identifier=\?\)/);
    expect(plan).not.toMatch(/eventTimeUtc/);
  });

  it('EQ_eventID looks the event up by key', async () => {
    const plan = await planOf('EQ_eventID=ni:///sha-256;AAAA?ver=CBV2.0');
    expect(plan).not.toMatch(/eventTimeUtc/);
  });

  it('EQ_bizStep with a one-day eventTime window seeks a time index to the day, in its order', async () => {
    const plan = await planOf('EQ_bizStep=retail_selling&GE_eventTime=2024-03-01T00:00:00.000Z&LT_eventTime=2024-03-02T00:00:00.000Z');
    // Without statistics SQLite takes either time index; both read only the day's entries.
    expect(plan).toMatch(/SEARCH e USING INDEX EpcisEvent_query_(bizStep_)?eventTimeUtc_idx \(consortiumId=\? (AND bizStep=\? )?AND <expr>>\? AND <expr><\?\)/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
  });
});
