/**
 * Error declarations (EPCIS 2.0 section 7.4.1.4) on the demo consortium: the capturing organisation
 * re-sends its event with an errorDeclaration; it is stored as a signed correction linked to the
 * event (never reported as a duplicate and dropped), marks the lineage hop, and is refused from
 * anyone else.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eventHashIdsOfDocument } from '../../../src/core/epcis/event-hash.js';
import { DEMO_CONSORTIUM_ID } from '../../../src/services/node/demo-consortium.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';
import { verifyBundle, type ProofBundle } from '../../../src/core/lineage/bundle.js';
import { hopRecordHashes } from '../../../web/src/types.js';
import { binding, finishedJob } from '../../helpers/capture-binding.js';
import { epcisDocument as doc } from '../../helpers/epcis-documents.js';
import { getEvent } from '../../helpers/http.js';
import { verifyStoredChain } from '../../../src/services/node/verify-stored-chain.js';

const C = DEMO_CONSORTIUM_ID;
const animal = 'urn:provenant:animal:UK123450600001';
const carcass = 'urn:epc:id:sgtin:5098765.011111.1';
const corrected = 'urn:epc:id:sgtin:5098765.011111.2';
const t = (day: number) => `2026-03-${String(day).padStart(2, '0')}T08:00:00.000Z`;
const obj = (time: string, f: Record<string, unknown>) => ({ type: 'ObjectEvent', eventTime: time, eventTimeZoneOffset: '+00:00', action: 'OBSERVE', ...f });
const slaughter = (output: string) => ({ type: 'TransformationEvent', eventTime: t(5), eventTimeZoneOffset: '+00:00', inputEPCList: [animal], outputEPCList: [output] });

const TRACE = `query Trace($c: ID!, $id: String!) {
  trace(consortium: $c, id: $id, direction: UPSTREAM) {
    __typename
    ... on LineageTrace { verdict hops { recordHash status edge { eventId kind } failures { code } warnings { code } correction { status reason declarationTime correctiveEventIds recordHash } } }
    ... on Error { code message }
  }
}`;

describe('corrections of captured events', () => {
  let temp: TestNode;
  let url: string;
  const tokens = new Map<string, string>();
  let slaughterId: string;
  let slaughterRecord: string;
  let correctiveId: string;

  /**
   * Captures through POST /capture with the organisation's token (the node hosts every demo key),
   * then waits for the seal timer to make what it admitted final (the traces check sealed hops).
   */
  async function capture(org: string, document: Record<string, unknown>, behaviour = 'rollback') {
    const token = tokens.get(org)!;
    const res = await binding(url, { body: document, headers: { authorization: `Bearer ${token}`, 'gs1-capture-error-behaviour': behaviour } });
    expect(res.status, res.text).toBe(202);
    const job = await finishedJob(url, res.headers.get('location')!, token);
    await vi.waitFor(() => expect(temp.node.pendingCount(C)).toBe(0), { timeout: 10_000, interval: 20 });
    return job;
  }

  async function trace(id: string) {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.get('fsa')}` },
      body: JSON.stringify({ query: TRACE, variables: { c: C, id } }),
    });
    const body = (await res.json()) as { data?: { trace: any }; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    return body.data!.trace;
  }

  const declaration = (extra: Record<string, unknown>) => ({ ...slaughter(carcass), errorDeclaration: { declarationTime: '2026-03-06T09:00:00.000+01:00', reason: 'incorrect_data', ...extra } });

  beforeAll(async () => {
    temp = await startTestNode({ autoSeal: true, http: true });
    url = temp.url;
    for (const org of ['fsa', 'highfield-farm', 'northern-abattoir', 'vale-processors']) tokens.set(org, await temp.issueToken(org, { label: 'corrections' }));
    const farm = await capture('highfield-farm', doc([obj(t(1), { action: 'ADD', bizStep: 'urn:provenant:bizstep:birth', epcList: [animal] }), obj(t(3), { bizStep: 'shipping', epcList: [animal] })]));
    expect(farm.success, JSON.stringify(farm.errors)).toBe(true);
    const abattoir = await capture('northern-abattoir', doc([obj(t(4), { bizStep: 'receiving', epcList: [animal] }), slaughter(carcass)]));
    expect(abattoir.success, JSON.stringify(abattoir.errors)).toBe(true);
    slaughterId = abattoir['provenant:results'][1].eventId;
    slaughterRecord = abattoir['provenant:results'][1].recordHash;
    correctiveId = eventHashIdsOfDocument(doc([slaughter(corrected)]))[0]!;
  }, 60_000);

  afterAll(async () => {
    await temp?.destroy();
  });

  it('a hop starts unmarked', async () => {
    const before = await trace(carcass);
    const hop = before.hops.find((h: any) => h.edge.eventId === slaughterId);
    expect(hop).toMatchObject({ status: 'VERIFIED', correction: null });
  });

  it('another organisation may not declare an error in the event', async () => {
    const job = await capture('vale-processors', doc([declaration({ correctiveEventIDs: [correctiveId] })]));
    expect(job.success).toBe(false);
    expect(job.errors[0]).toMatchObject({ code: 'CORRECTION_NOT_PERMITTED', status: 403, type: 'epcisException:SecurityException', details: { capturedBy: 'northern-abattoir' } });
  });

  it('the capturing organisation corrects it: stored as a signed correction linked to the event, the hop is marked CORRECTED', async () => {
    const job = await capture('northern-abattoir', doc([slaughter(corrected), declaration({ correctiveEventIDs: [correctiveId] })]));
    expect(job.success, JSON.stringify(job.errors)).toBe(true);
    const [fix, correction] = job['provenant:results'];
    expect(fix).toMatchObject({ status: 'accepted', eventId: correctiveId });
    expect(correction).toMatchObject({ status: 'accepted', eventId: slaughterId, correctionOf: slaughterRecord });
    expect(correction.recordHash).not.toBe(slaughterRecord);

    const got = await getEvent(url, tokens.get('fsa')!, slaughterId);
    expect(got.body.recordHash).toBe(slaughterRecord);
    expect(got.body.event.errorDeclaration).toBeUndefined();
    expect(got.body.corrections).toEqual([
      expect.objectContaining({ status: 'CORRECTED', reason: 'incorrect_data', declarationTime: '2026-03-06T08:00:00.000Z', correctiveEventIds: [correctiveId], recordHash: correction.recordHash, correctedRecordHash: slaughterRecord, signerOrg: 'northern-abattoir' }),
    ]);

    const after = await trace(carcass);
    const hop = after.hops.find((h: any) => h.edge.eventId === slaughterId);
    expect(hop.correction).toEqual({ status: 'CORRECTED', reason: 'incorrect_data', declarationTime: '2026-03-06T08:00:00.000Z', correctiveEventIds: [correctiveId], recordHash: correction.recordHash });
    // The record still verifies; the corrective event reuses the animal, which the semantic checks flag.
    expect(hop.status, JSON.stringify(hop.warnings)).not.toBe('FAILED');
  });

  it('the same declaration again is a duplicate; a later one without corrective events retracts the event', async () => {
    const again = await capture('northern-abattoir', doc([declaration({ correctiveEventIDs: [correctiveId] })]));
    expect(again['provenant:results'][0]).toMatchObject({ status: 'duplicate', eventId: slaughterId });
    const retraction = await capture('northern-abattoir', doc([declaration({ declarationTime: '2026-03-07T08:00:00.000Z', reason: 'did_not_occur' })]));
    expect(retraction['provenant:results'][0]).toMatchObject({ status: 'accepted', correctionOf: slaughterRecord });
    const hop = (await trace(carcass)).hops.find((h: any) => h.edge.eventId === slaughterId);
    expect(hop.correction).toMatchObject({ status: 'RETRACTED', reason: 'did_not_occur', correctiveEventIds: [] });
  });

  it("the correction record travels with the hop in the answer's proof bundle", async () => {
    await temp.node.sealNow(C);
    const result = await trace(carcass);
    const hop = result.hops.find((h: any) => h.edge.eventId === slaughterId);
    const records = hopRecordHashes(result.hops);
    expect(records).toContain(hop.correction.recordHash);
    const res = await fetch(`${url}/explorer/api/bundle`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.get('fsa')}` }, body: JSON.stringify({ records }) });
    const text = await res.clone().text();
    expect(res.status, text).toBe(200);
    expect(res.headers.get('x-provenant-omitted-records')).toBe('0');
    const bundle = (await res.json()) as ProofBundle;
    expect(bundle.records.map((r) => r.hash)).toEqual(expect.arrayContaining([hop.recordHash, hop.correction.recordHash]));
    expect(verifyBundle(bundle).ok).toBe(true);
  });

  it('verify re-derives the correction rows and the declared event IDs from the chain', async () => {
    const report = await verifyStoredChain(temp.store, C);
    expect(report.projections?.failures).toEqual([]);
    expect(report.projections?.ruleFailures).toEqual([]);
    expect(report.projections?.tables['EventCorrection']).toEqual({ derived: 2, stored: 2 });
    expect(report.ok).toBe(true);
  });

  it('a correction row the signed record does not back fails the hop', async () => {
    await temp.db.$executeRawUnsafe(`UPDATE "EventCorrection" SET "declaration" = '{"declarationTime":"2026-03-07T08:00:00.000Z","reason":"forged"}' WHERE "eventId" = ? AND "reason" = 'did_not_occur'`, slaughterId);
    const result = await trace(carcass);
    const hop = result.hops.find((h: any) => h.edge.eventId === slaughterId);
    expect(hop.status).toBe('FAILED');
    expect(hop.failures.map((f: any) => f.code)).toContain('correction');
    expect(result.verdict).toBe('FAILED');
  });

  it('verify names a changed correction row and the record it comes from', async () => {
    const report = await verifyStoredChain(temp.store, C);
    expect(report.ok).toBe(false);
    const failure = report.projections!.failures.find((f) => f.table === 'EventCorrection');
    expect(failure).toMatchObject({ code: 'ROW_MISMATCH', column: 'declaration', key: { eventId: slaughterId } });
    expect(failure!.source?.recordHash).toBe(failure!.key['recordHash']);
  });
});
