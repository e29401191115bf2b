/**
 * WD_readPoint and WD_bizLocation over the master-data hierarchy captured documents declare
 * (EPCIS 2.0 sections 6.5 and 8.2.7.1): a descendant's events are found, EQ_ still matches the
 * location alone, an organisation's links place only its own events, and the read policy applies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildConsortium } from '../../../src/services/projections/operations.js';
import { openNode } from '../../../src/services/node/bootstrap.js';
import { verifyStoredChain } from '../../../src/services/node/verify-stored-chain.js';
import { ChainStore } from '../../../src/store/chain-store.js';
import { openDatabase } from '../../../src/store/database.js';
import { eventHashIdsOfDocument } from '../../../src/core/epcis/event-hash.js';
import { MAX_DESCENDANTS } from '../../../src/core/epcis/query/location-hierarchy.js';
import { issueToken } from '../../../src/store/token-store.js';
import { hostOrganisation } from '../../helpers/capture-binding.js';
import { CAPTURE_TEST_CONSORTIUM as TEST_CONSORTIUM } from '../../helpers/consortia.js';
import { epcisDocument, objectEvent } from '../../helpers/epcis-documents.js';
import { openRawDatabase, type RawDatabase } from '../../helpers/raw-database.js';
import { captureDocument, eventsOf, getAs, startQueryNode, type QueryNode } from './query-harness.js';

const SITE = 'urn:epc:id:sgln:0614141.00001.0';
const WAREHOUSE = 'urn:epc:id:sgln:0614141.00002.0';
const DOCK = 'urn:epc:id:sgln:0614141.00003.0';
const ELSEWHERE = 'urn:epc:id:sgln:0614141.00009.0';
const DOOR = 'urn:epc:id:sgln:0614141.00002.7';
const CORRECTED_SITE = 'urn:epc:id:sgln:0614141.00020.0';
const CORRECTED_BAY = 'urn:epc:id:sgln:0614141.00020.1';
const BL = 'urn:epcglobal:epcis:vtype:BusinessLocation';
const RP = 'urn:epcglobal:epcis:vtype:ReadPoint';

function withHeader(events: Record<string, unknown>[], vocabularyList: unknown[]): Record<string, unknown> {
  return { ...epcisDocument(events), epcisHeader: { epcisMasterData: { vocabularyList } } };
}

const at = (n: number, bizLocation: string, readPoint?: string) =>
  objectEvent({ eventTime: `2026-11-21T08:0${n}:00.000Z`, epcList: [`urn:epc:id:sgtin:0614141.107346.${n}`], bizLocation: { id: bizLocation }, ...(readPoint ? { readPoint: { id: readPoint } } : {}) });

let node: QueryNode;
let processor: string;
let retailer: string;
const ids = new Map<string, string>();

async function capture(name: string, document: Record<string, unknown>, token = node.omni): Promise<void> {
  const job = await captureDocument(node, document, 'application/json', token);
  expect(job.success, JSON.stringify(job)).toBe(true);
  ids.set(name, eventHashIdsOfDocument(document)[0]!);
}

beforeAll(async () => {
  node = await startQueryNode();
  processor = await hostOrganisation(node.t, 'processor');
  retailer = (await issueToken(node.t.db, TEST_CONSORTIUM, 'retailer', 'hierarchy tests')).token;
  // SITE > WAREHOUSE > DOCK > SITE (a cycle), and the read point SITE > DOOR.
  await capture(
    'dock',
    withHeader([at(1, DOCK, DOOR)], [
      { type: BL, vocabularyElementList: [{ id: SITE, children: [WAREHOUSE] }, { id: WAREHOUSE, children: [DOCK] }, { id: DOCK, children: [SITE] }] },
      { type: RP, vocabularyElementList: [{ id: SITE, children: [DOOR] }] },
    ]),
  );
  await capture('site', epcisDocument([at(2, SITE)]));
  await capture('elsewhere', epcisDocument([at(3, ELSEWHERE)]));
  // Another organisation's event at omni's dock, and its own claim that omni's dock lies in ELSEWHERE.
  await capture('processorDock', withHeader([at(4, DOCK)], [{ type: BL, vocabularyElementList: [{ id: ELSEWHERE, children: [DOCK] }] }]), processor);
}, 60_000);

afterAll(async () => node?.close());

async function names(path: string, token = node.auth): Promise<string[]> {
  const res = await getAs(node, path, token);
  expect(res.status, res.text).toBe(200);
  const byId = new Map([...ids].map(([name, id]) => [id, name]));
  return eventsOf(res).map((e) => byId.get(e.eventID) ?? `?${e.eventID}`);
}

const q = (name: string, value: string) => `/events?${name}=${encodeURIComponent(value)}`;

describe('WD_bizLocation and WD_readPoint', () => {
  it('WD_ finds the events of every direct and indirect descendant; EQ_ only the location itself', async () => {
    expect(await names(q('WD_bizLocation', SITE))).toEqual(['dock', 'site']);
    expect(await names(q('WD_bizLocation', WAREHOUSE))).toEqual(['dock', 'site']);
    expect(await names(q('EQ_bizLocation', SITE))).toEqual(['site']);
    expect(await names(q('EQ_bizLocation', WAREHOUSE))).toEqual([]);
  });

  it('follows the ReadPoint vocabulary for WD_readPoint, not the BusinessLocation one', async () => {
    expect(await names(q('WD_readPoint', SITE))).toEqual(['dock']);
    expect(await names(q('EQ_readPoint', SITE))).toEqual([]);
    expect(await names(q('WD_readPoint', WAREHOUSE))).toEqual([]);
  });

  it("an organisation's links place only its own events", async () => {
    // omni's hierarchy does not place processor's event at the dock under SITE...
    expect(await names(q('EQ_bizLocation', DOCK))).toEqual(['dock', 'processorDock']);
    expect(await names(q('WD_bizLocation', SITE))).not.toContain('processorDock');
    // ...and processor's claim that the dock lies in ELSEWHERE does not pull in omni's event there.
    expect(await names(q('WD_bizLocation', ELSEWHERE))).toEqual(['elsewhere', 'processorDock']);
  });

  it('EQ_ and WD_ together must both hold; the discovery resources keep EQ_', async () => {
    expect(await names(`${q('WD_bizLocation', SITE)}&EQ_bizLocation=${encodeURIComponent(DOCK)}`)).toEqual(['dock']);
    expect(await names(`/bizLocations/${encodeURIComponent(SITE)}/events`)).toEqual(['site']);
  });

  it('the read policy still applies to the descendants found', async () => {
    expect(await names(q('WD_bizLocation', SITE), retailer)).toEqual([]);
    expect(await names(q('WD_bizLocation', SITE), node.omni)).toEqual(['dock', 'site']);
  });

  it('a hierarchy larger than the bound is a 413 QueryTooComplexException, not a partial answer', async () => {
    const root = 'urn:epc:id:sgln:0614141.00100.0';
    // Short URIs: a header is at most 64 KiB of JSON.
    const children = Array.from({ length: MAX_DESCENDANTS + 1 }, (_, i) => `urn:x:${i}`);
    await capture('wide', withHeader([at(5, root)], [{ type: BL, vocabularyElementList: [{ id: root, children }] }]));
    const res = await getAs(node, q('WD_bizLocation', root), node.auth);
    expect(res.status, res.text).toBe(413);
    expect(res.json.type).toBe('epcisException:QueryTooComplexException');
  });

  // Last: it stops the node.
  it('links missing (a store from before the hierarchy was indexed): verify and the start-up check name them and point to rebuild-projections, which derives the same links', async () => {
    const all = (db: RawDatabase) => db.all(`SELECT "vocabulary", "parentId", "orgId", "childId", "recordHash" FROM "LocationLink" WHERE "consortiumId" = ? ORDER BY 1, 2, 3, 4`, TEST_CONSORTIUM);
    // A correction's document signs its header too: capture indexes its links, and so must verify and rebuild.
    const corrected = { ...at(3, ELSEWHERE), errorDeclaration: { declarationTime: '2026-11-22T08:00:00.000Z', reason: 'incorrect_data' } };
    const job = await captureDocument(node, withHeader([corrected], [{ type: BL, vocabularyElementList: [{ id: CORRECTED_SITE, children: [CORRECTED_BAY] }] }]));
    expect(job.success, JSON.stringify(job)).toBe(true);
    await node.t.stop();
    const raw = await openRawDatabase({ dbFile: node.t.dbFile, databaseUrl: node.t.config.databaseUrl });
    try {
      const before = await all(raw);
      expect(before.length).toBeGreaterThan(MAX_DESCENDANTS);
      expect(before).toContainEqual(expect.objectContaining({ parentId: CORRECTED_SITE, childId: CORRECTED_BAY }));
      await raw.run(`DELETE FROM "LocationLink"`);
      const db = await openDatabase({ url: node.t.config.databaseUrl });
      const verified = await verifyStoredChain(new ChainStore(db), TEST_CONSORTIUM).finally(() => db.$disconnect());
      expect(verified.ok).toBe(false);
      const missing = verified.projections!.failures.filter((f) => f.table === 'LocationLink');
      expect(missing).toHaveLength(before.length);
      expect(missing.every((f) => f.code === 'ROW_MISSING' && /provenant rebuild-projections/.test(f.message))).toBe(true);
      expect(verified.projections!.tables['LocationLink']).toEqual({ derived: before.length, stored: 0 });
      const refusal = await openNode(node.t.config, { autoSeal: false }).then(
        async (opened) => (await opened.close(), undefined),
        (err: unknown) => err as { code?: string; message: string },
      );
      expect(refusal?.code).toBe('PROJECTIONS_DISAGREE');
      expect(refusal?.message).toMatch(/LocationLink row \(vocabulary=[^]*is missing[^]*provenant rebuild-projections/);
      const report = await rebuildConsortium(node.t.config, TEST_CONSORTIUM);
      expect(report.verification.ok).toBe(true);
      expect(report.written['LocationLink']).toBe(before.length);
      expect(await all(raw)).toEqual(before);
      expect(report.verification.projections?.tables['LocationLink']).toEqual({ derived: before.length, stored: before.length });
      await (await openNode(node.t.config, { autoSeal: false })).close();
    } finally {
      await raw.close();
    }
  }, 120_000);
});
