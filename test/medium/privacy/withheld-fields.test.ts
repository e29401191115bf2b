/**
 * Withheld fields as salted commitments (docs/redaction.md) on a real SQLite node with the
 * simulators' story: a post-mortem captured with its finding committed; the farm of origin opens
 * it, the retailer gets the commitment only; the audit's guessing attack (candidate findings
 * recomputed against the record hash and the commitment) never matches; an edited opening is
 * named by `verify` and shows FAILED; the story's clear (format 1) records still verify.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiToken } from '../../../src/services/auth.js';
import { DEMO_CONSORTIUM_ID as C, DEMO_ORGS } from '../../../src/services/node/demo-consortium.js';
import { signCaptureDocument, submitCapture } from '../../../src/client/capture-client.js';
import { checkWithheld } from '../../../src/client/withheld-check.js';
import type { JsonValue } from '../../../src/core/crypto/index.js';
import { recordHash, type SignedRecord } from '../../../src/core/ledger/record.js';
import { withheldCommitmentOf, WITHHELD_KEY } from '../../../src/core/privacy/withheld.js';
import { canonicalIdentifier } from '../../../src/core/rules/authorisation.js';
import { verifyBundle } from '../../../src/core/lineage/bundle-verify.js';
import { ChainStore } from '../../../src/store/chain-store.js';
import { verifyStoredChain } from '../../../src/services/node/verify-stored-chain.js';
import { runScenario, type ScenarioResult } from '../../../simulators/scenario.js';
import { EPCIS_CONTEXT, objectEvent } from '../../../simulators/participant.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

type Org = (typeof DEMO_ORGS)[number]['id'];
const FINDING = 'liver fluke; offal condemned';

let temp: TestNode;
let story: ScenarioResult;
const tokens = new Map<Org, string>();
/** The salted post-mortem (member-signed with the SDK) and one captured with a token (signed by the node). */
let memberHash: string;
let memberEventId: string;
let tokenHash: string;

function inspection(carcass: string, eventTime: string): Record<string, unknown> {
  return objectEvent({ eventTime, action: 'OBSERVE', bizStep: 'inspecting', epcList: [carcass], disposition: 'damaged', extra: { 'provenant:postMortem': FINDING } });
}

function documentOf(events: Record<string, unknown>[]): Record<string, unknown> {
  return { '@context': EPCIS_CONTEXT, type: 'EPCISDocument', schemaVersion: '2.0', creationDate: new Date().toISOString(), epcisBody: { eventList: events } };
}

async function gql(org: Org, query: string): Promise<any> {
  const res = await fetch(`${temp.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(org)}` }, body: JSON.stringify({ query }) });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return body.data;
}

const RECORD_SEL = `... on LedgerRecord { payload redacted withheldFields withheld { path commitment value salt verdict } } ... on Error { code }`;
const recordOf = (org: Org, hash: string) => gql(org, `{ r: record(hash: "${hash}") { __typename ${RECORD_SEL} } }`).then((d) => d.r);

async function storedRecord(hash: string): Promise<SignedRecord> {
  const rows = await temp.db.$queryRawUnsafe<{ body: string }[]>(`SELECT "body" FROM "LedgerRecord" WHERE "hash" = ?`, hash);
  return JSON.parse(rows[0]!.body) as SignedRecord;
}

beforeAll(async () => {
  temp = await startTestNode({ autoSeal: true, http: true });
  story = await runScenario({ baseUrl: temp.url, consortium: C, orgKeys: temp.demo.orgKeys });
  for (const org of DEMO_ORGS.map((o) => o.id) as Org[]) tokens.set(org, (await issueApiToken(temp.db, C, org, 'withheld')).token);
  const carcass = story.carcasses[1]!; // highfield's animal
  const key = temp.demo.orgKeys.get('northern-abattoir')!;
  const envelope = signCaptureDocument(documentOf([inspection(carcass, new Date(Date.now() - 60_000).toISOString())]), { consortium: C, key, withhold: true });
  const member = await submitCapture(temp.url, envelope, { wait: true });
  expect(member.results[0]).toMatchObject({ status: 'accepted' });
  memberHash = member.results[0]!.recordHash!;
  memberEventId = member.results[0]!.eventId;
  const hosted = temp.capture.signAsOrganisation(documentOf([inspection(carcass, new Date(Date.now() - 30_000).toISOString())]), C, 'northern-abattoir');
  const byToken = await temp.capture.capture(hosted, { wait: 'seal' });
  expect(byToken.results[0]).toMatchObject({ status: 'accepted' });
  tokenHash = byToken.results[0]!.recordHash!;
}, 180_000);

afterAll(async () => {
  await temp?.destroy();
});

describe('a post-mortem whose finding is committed', () => {
  it('is signed as payload format 3: commitments in place of the finding, nothing of it in clear', async () => {
    for (const hash of [memberHash, tokenHash]) {
      const record = await storedRecord(hash);
      const payload = record.payload as { format: number; event: Record<string, unknown> };
      expect(payload.format).toBe(3);
      expect(payload.event[WITHHELD_KEY]).toEqual([
        { path: 'disposition', commitment: expect.stringMatching(/^[0-9a-f]{64}$/) },
        { path: 'provenant:postMortem', commitment: expect.stringMatching(/^[0-9a-f]{64}$/) },
      ]);
      expect(JSON.stringify(record)).not.toMatch(/fluke|damaged/);
    }
  });

  it('the farm of origin gets value and salt, and its own check passes', async () => {
    for (const hash of [memberHash, tokenHash]) {
      const r = await recordOf('highfield-farm', hash);
      expect(r).toMatchObject({ __typename: 'LedgerRecord', redacted: false });
      expect(r.withheld).toEqual([
        { path: 'disposition', commitment: expect.any(String), value: 'damaged', salt: expect.stringMatching(/^[0-9a-f]{64}$/), verdict: 'VERIFIED' },
        { path: 'provenant:postMortem', commitment: expect.any(String), value: FINDING, salt: expect.stringMatching(/^[0-9a-f]{64}$/), verdict: 'VERIFIED' },
      ]);
      expect(checkWithheld(r.withheld, r.payload.event).map((c) => c.status)).toEqual(['OPENED', 'OPENED']);
    }
  });

  it('the retailer gets the commitments only: no value, no salt, no byte of the finding', async () => {
    const r = await recordOf('riverside-retail', memberHash);
    expect(r).toMatchObject({ __typename: 'LedgerRecord', redacted: true, withheldFields: ['disposition', 'provenant:postMortem'] });
    expect(r.withheld.map((w: any) => [w.path, w.value, w.salt, w.verdict])).toEqual([
      ['disposition', null, null, 'WITHHELD'],
      ['provenant:postMortem', null, null, 'WITHHELD'],
    ]);
    expect(JSON.stringify(r)).not.toMatch(/fluke|offal|damaged/);
    expect(checkWithheld(r.withheld, r.payload.event).map((c) => c.status)).toEqual(['COMMITTED', 'COMMITTED']);
    // The event answer (REST) likewise: opened for the farm of origin, commitments only for the retailer.
    const eventOf = async (org: Org) => {
      const res = await fetch(`${temp.url}/epcis/events/${encodeURIComponent(memberEventId)}`, { headers: { authorization: `Bearer ${tokens.get(org)}` } });
      expect(res.status, org).toBe(200);
      return (await res.json()) as any;
    };
    const farm = await eventOf('highfield-farm');
    expect(farm).toMatchObject({ redacted: false, event: { disposition: 'damaged', 'provenant:postMortem': FINDING } });
    expect(farm.withheld.map((w: any) => w.verdict)).toEqual(['VERIFIED', 'VERIFIED']);
    const retail = await eventOf('riverside-retail');
    expect(retail.redacted).toBe(true);
    expect(retail.withheld.map((w: any) => [w.value, w.salt, w.verdict])).toEqual([[null, null, 'WITHHELD'], [null, null, 'WITHHELD']]);
    expect(JSON.stringify(retail)).not.toMatch(/fluke|offal|damaged/);
  });

  it("replaying the audit's guessing attack over 1,000 candidate findings, the true one included, never matches", async () => {
    const record = await storedRecord(memberHash);
    const payload = record.payload as { event: Record<string, unknown>; context: JsonValue };
    const committed = (payload.event[WITHHELD_KEY] as { path: string; commitment: string }[]).find((c) => c.path === 'provenant:postMortem')!;
    const candidates = Array.from({ length: 999 }, (_, i) => `candidate finding ${i}`);
    candidates.splice(500, 0, FINDING);
    const { [WITHHELD_KEY]: _commitments, ...rest } = payload.event;
    let matches = 0;
    for (const guess of candidates) {
      for (const disposition of ['damaged', 'conformant']) {
        const event = { ...rest, disposition, 'provenant:postMortem': guess };
        // The record as it would be with the finding in clear (formats 1 and 2), and the commitment without its salt.
        const clear2 = { ...record, payload: { format: 2, event, context: payload.context } };
        const clear1 = { ...record, payload: { event } };
        if (recordHash(clear2) === memberHash || recordHash(clear1) === memberHash) matches += 1;
      }
      if (withheldCommitmentOf(guess, new Uint8Array(32)) === committed.commitment) matches += 1;
    }
    expect(matches).toBe(0);
    // The same attack on the story's clear post-mortem (format 1) finds the finding: the attack is real.
    const rows = await temp.db.$queryRawUnsafe<{ recordHash: string }[]>(
      `SELECT e."recordHash" FROM "EpcisEvent" e JOIN "EventIdentifier" i ON i."eventId" = e."eventId" AND i."consortiumId" = e."consortiumId" WHERE e."consortiumId" = ? AND e."bizStep" = 'inspecting' AND i."identifier" = ? AND e."recordHash" NOT IN (?, ?)`,
      C,
      canonicalIdentifier(story.carcasses[1]!),
      memberHash,
      tokenHash,
    );
    const clear = await storedRecord(rows[0]!.recordHash);
    const clearEvent = (clear.payload as { event: Record<string, unknown> }).event;
    const found = candidates.filter((guess) => recordHash({ ...clear, payload: { ...(clear.payload as object), event: { ...clearEvent, 'provenant:postMortem': guess } } }) === rows[0]!.recordHash);
    expect(found).toEqual([FINDING]);
  });

  it('proof bundles: the retailer gets the record with its commitments only, the farm of origin its openings; verify-bundle checks both', async () => {
    const bundleOf = async (org: Org) => {
      const res = await fetch(`${temp.url}/explorer/api/bundle`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(org)}` }, body: JSON.stringify({ records: [memberHash] }) });
      expect(res.status, org).toBe(200);
      return (await res.json()) as any;
    };
    const retail = await bundleOf('riverside-retail');
    expect(retail.records.map((r: any) => r.hash)).toEqual([memberHash]);
    expect(retail.openings).toBeUndefined();
    expect(JSON.stringify(retail)).not.toMatch(/fluke|offal|damaged/);
    expect(verifyBundle(retail).ok).toBe(true);
    const farm = await bundleOf('highfield-farm');
    expect(farm.openings.map((o: any) => [o.recordHash, o.path, o.value])).toEqual([[memberHash, 'disposition', 'damaged'], [memberHash, 'provenant:postMortem', FINDING]]);
    expect(verifyBundle(farm).ok).toBe(true);
    const forged = { ...farm, openings: farm.openings.map((o: any) => (o.path === 'disposition' ? { ...o, value: 'conformant' } : o)) };
    expect(verifyBundle(forged).failures.map((f) => [f.path, f.code])).toEqual([['/openings/0/value', 'OPENING_MISMATCH']]);
  });

  it('an edited opening is named by verify (table, row, record) and shows FAILED to the farm of origin; the clear records still verify', async () => {
    const before = await verifyStoredChain(new ChainStore(temp.db), C);
    expect(before.ok, JSON.stringify(before.projections?.failures ?? before)).toBe(true);
    await temp.db.$executeRawUnsafe(`UPDATE "WithheldField" SET "value" = ? WHERE "recordHash" = ? AND "path" = 'provenant:postMortem'`, JSON.stringify('no abnormality detected'), memberHash);
    const after = await verifyStoredChain(new ChainStore(temp.db), C);
    expect(after.ok).toBe(false);
    const failures = after.projections!.failures.filter((f) => f.table === 'WithheldField');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ code: 'COMMITMENT_MISMATCH', key: { recordHash: memberHash }, source: { recordHash: memberHash } });
    expect(failures[0]!.message).toContain(memberHash);
    const r = await recordOf('highfield-farm', memberHash);
    expect(r.withheld.find((w: any) => w.path === 'provenant:postMortem')).toMatchObject({ value: 'no abnormality detected', verdict: 'FAILED' });
    expect(checkWithheld(r.withheld, r.payload.event).map((c) => c.status)).toEqual(['OPENED', 'MISMATCH']);
  });
});
