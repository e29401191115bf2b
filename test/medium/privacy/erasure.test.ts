import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordKind, signRecord } from '../../../src/core/ledger/record.js';
import { DEMO_CONSORTIUM_ID } from '../../../src/services/node/demo-consortium.js';
import { verifyStoredChain } from '../../../src/services/node/verify-stored-chain.js';
import { signErasure } from '../../../src/core/privacy/erasure.js';
import { verifyCommitment } from '../../../src/core/privacy/commitment.js';
import { PersonStore } from '../../../src/store/person-store.js';
import { PERSON_REF_FIELD } from '../../../src/core/capture/documents.js';
import { bearerIsOrg, documentRoutes, expectJsonError } from '../../helpers/http.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

describe('personal data registry and erasure', () => {
  let t: TestNode;
  const logged: unknown[] = [];
  beforeAll(async () => {
    t = await startTestNode({ http: { routes: documentRoutes(), logErrors: (err) => logged.push(err) } });
  });
  afterAll(() => t.destroy());

  const register = async (org: string, data: Record<string, unknown>): Promise<string> => {
    const res = await fetch(`${t.url}/persons`, { method: 'POST', headers: { 'content-type': 'application/json', 'provenant-org': org }, body: JSON.stringify({ data }) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { personRef: string }).personRef;
  };
  const erase = (ref: string, record: unknown) =>
    fetch(`${t.url}/persons/${ref}/erasure`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(record) });

  it('keeps the data off-chain and erases data and salt with a signed record; the chain still verifies', async () => {
    const farmer = { name: 'Ann Hughes', role: 'farmer', phone: '+44 7700 900123' };
    const ref = await register('highfield-farm', farmer);
    const stored = await new PersonStore(t.db).get(ref);
    expect(stored).toMatchObject({ orgId: 'highfield-farm', data: farmer });
    expect(verifyCommitment(ref, farmer, stored!.salt!)).toBe(true);

    // An event that names the farmer by commitment only.
    const farmKey = t.demo.orgKeys.get('highfield-farm')!;
    const event = { type: 'ObjectEvent', eventTime: '2026-11-21T08:00:00.000Z', eventTimeZoneOffset: '+00:00', action: 'OBSERVE', epcList: ['urn:epc:id:sgtin:5012345.000001.1'], [PERSON_REF_FIELD]: ref };
    // Captured as a member captures it, so the event is indexed like any other.
    const {
      results: [eventOutcome],
    } = await t.captureEvents('highfield-farm', [event]);
    expect(eventOutcome!.status).toBe('accepted');
    await t.node.sealNow(DEMO_CONSORTIUM_ID);
    const chainText = await t.db.$queryRawUnsafe<{ body: string }[]>('SELECT body FROM "LedgerRecord"');
    expect(chainText.map((r) => r.body).join('\n')).not.toContain('Ann Hughes');

    const readable = await fetch(`${t.url}/persons/${ref}`, { headers: { 'provenant-org': 'fsa' } });
    expect(readable.status).toBe(200);
    expect(((await readable.json()) as { data: unknown }).data).toEqual(farmer);

    const res = await erase(ref, signErasure({ commitment: ref, reason: 'data subject request (UK GDPR art. 17)' }, { consortium: DEMO_CONSORTIUM_ID, key: farmKey }));
    expect(res.status).toBe(200);
    const { recordHash } = (await res.json()) as { recordHash: string };
    expect(recordHash).toMatch(/^[0-9a-f]{64}$/);

    const raw = await t.db.$queryRawUnsafe<{ data: string | null; salt: string | null; erasureRecordHash: string }[]>(
      'SELECT "data", "salt", "erasureRecordHash" FROM "PersonData" WHERE "commitment" = ?',
      ref,
    );
    expect(raw).toEqual([{ data: null, salt: null, erasureRecordHash: recordHash }]);
    const ledgerRow = await t.db.$queryRawUnsafe<{ kind: string }[]>('SELECT "kind" FROM "LedgerRecord" WHERE "hash" = ?', recordHash);
    expect(ledgerRow).toEqual([{ kind: RecordKind.PERSONAL_DATA_ERASURE }]);

    await expectJsonError(await fetch(`${t.url}/persons/${ref}`), 410, 'PERSON_ERASED');
    await expectJsonError(await erase(ref, signErasure({ commitment: ref, reason: 'again' }, { consortium: DEMO_CONSORTIUM_ID, key: farmKey })), 409, 'ALREADY_ERASED');

    await t.node.sealNow(DEMO_CONSORTIUM_ID);
    const report = await verifyStoredChain(t.store, DEMO_CONSORTIUM_ID);
    expect([...report.failures, ...report.storeFailures]).toEqual([]);
    expect(report.ok).toBe(true);
    // Nothing left anywhere can open the commitment.
    const dump = await t.db.$queryRawUnsafe<Record<string, unknown>[]>('SELECT * FROM "PersonData"');
    expect(JSON.stringify(dump)).not.toContain('Ann Hughes');
    expect(JSON.stringify(dump)).not.toContain(stored!.salt!);
  });

  it('only the registering organisation may erase; nothing is erased or stored otherwise', async () => {
    const ref = await register('swift-haulage', { name: 'Tom Baker', role: 'driver' });
    const before = await t.db.$queryRawUnsafe<{ n: number }[]>('SELECT COUNT(*) AS n FROM "LedgerRecord"');
    const other = signErasure({ commitment: ref, reason: 'not mine' }, { consortium: DEMO_CONSORTIUM_ID, key: t.demo.orgKeys.get('meadow-farm')! });
    await expectJsonError(await erase(ref, other), 403, 'NOT_AUTHORISED');
    const after = await t.db.$queryRawUnsafe<{ n: number }[]>('SELECT COUNT(*) AS n FROM "LedgerRecord"');
    expect(Number(after[0]!.n)).toBe(Number(before[0]!.n));
    expect((await new PersonStore(t.db).get(ref))?.data).toEqual({ name: 'Tom Baker', role: 'driver' });

    const key = t.demo.orgKeys.get('swift-haulage')!;
    const forged = { ...signErasure({ commitment: ref, reason: 'x' }, { consortium: DEMO_CONSORTIUM_ID, key }), signedAt: '2026-01-01T00:00:00.000Z' };
    await expectJsonError(await erase(ref, forged), 401, 'BAD_SIGNATURE');
    const otherPerson = await register('swift-haulage', { name: 'Sam Lee' });
    await expectJsonError(await erase(ref, signErasure({ commitment: otherPerson, reason: 'x' }, { consortium: DEMO_CONSORTIUM_ID, key })), 400, 'COMMITMENT_MISMATCH');
    const wrongKind = signRecord({ consortium: DEMO_CONSORTIUM_ID, kind: RecordKind.EPCIS_EVENT, payload: { commitment: ref, reason: 'x' } }, key);
    await expectJsonError(await erase(ref, wrongKind), 400, 'WRONG_RECORD_KIND');
    await expectJsonError(await erase(ref, { hello: 'world' }), 400, 'MALFORMED_RECORD');
    expect((await new PersonStore(t.db).get(ref))?.salt).toMatch(/^[0-9a-f]{64}$/);
  });

  it('answers typed JSON errors for unknown refs, bad input and readers who are not entitled', async () => {
    const unknown = 'f'.repeat(64);
    const key = t.demo.orgKeys.get('highfield-farm')!;
    await expectJsonError(await erase(unknown, signErasure({ commitment: unknown, reason: 'x' }, { consortium: DEMO_CONSORTIUM_ID, key })), 404, 'PERSON_NOT_FOUND');
    await expectJsonError(await fetch(`${t.url}/persons/${unknown}`), 404, 'PERSON_NOT_FOUND');
    await expectJsonError(await fetch(`${t.url}/persons/Ann%20Hughes`), 400, 'MALFORMED_PERSON_REF');
    await expectJsonError(
      await fetch(`${t.url}/persons`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: { name: 'X' } }) }),
      401,
      'UNAUTHENTICATED',
    );
    await expectJsonError(
      await fetch(`${t.url}/persons`, { method: 'POST', headers: { 'content-type': 'application/json', 'provenant-org': 'meadow-farm' }, body: JSON.stringify({ data: { role: 'vet' } }) }),
      400,
      'INVALID_PERSONAL_DATA',
    );
    await expectJsonError(
      await fetch(`${t.url}/persons`, { method: 'POST', headers: { 'content-type': 'application/json', 'provenant-org': 'meadow-farm' }, body: '{"data": ' }),
      400,
      'MALFORMED_JSON',
    );
    const ref = await register('meadow-farm', { name: 'Dr Vet', role: 'vet' });
    await expectJsonError(await fetch(`${t.url}/persons/${ref}`, { headers: { 'provenant-org': 'vale-processors' } }), 403, 'NOT_AUTHORISED');
    expect((await fetch(`${t.url}/persons/${ref}`, { headers: { 'provenant-org': 'meadow-farm' } })).status).toBe(200);
    // Customs is not a regulator: a person is for the registering organisation and the FSA only (docs/access.md).
    await expectJsonError(await fetch(`${t.url}/persons/${ref}`, { headers: { 'provenant-org': 'hmrc' } }), 403, 'NOT_AUTHORISED');
    expect((await fetch(`${t.url}/persons/${ref}`, { headers: { 'provenant-org': 'fsa' } })).status).toBe(200);
  });
});

describe('personal data registry with an authorise hook', () => {
  let t: TestNode;
  const logged: unknown[] = [];
  beforeAll(async () => {
    // Stands in for API tokens: the bearer token is the org id; Provenant-Org is then ignored.
    t = await startTestNode({ http: { routes: documentRoutes(bearerIsOrg()), logErrors: (err) => logged.push(err) } });
  });
  afterAll(() => t.destroy());

  it('needs credentials to register or read, and ignores the Provenant-Org header', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${t.url}/persons`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ data: { name: 'Ann Hughes' } }) });
    await expectJsonError(await post({ 'provenant-org': 'highfield-farm' }), 401, 'UNAUTHENTICATED');
    await expectJsonError(await post({ authorization: 'Bearer stranger' }), 403, 'NOT_AUTHORISED');
    const res = await post({ authorization: 'Bearer highfield-farm' });
    expect(res.status).toBe(201);
    const { personRef } = (await res.json()) as { personRef: string };
    await expectJsonError(await fetch(`${t.url}/persons/${personRef}`, { headers: { 'provenant-org': 'highfield-farm' } }), 401, 'UNAUTHENTICATED');
    await expectJsonError(await fetch(`${t.url}/persons/${personRef}`, { headers: { authorization: 'Bearer stranger' } }), 404, 'PERSON_NOT_FOUND');
    await expectJsonError(await fetch(`${t.url}/persons/${personRef}`, { headers: { authorization: 'Bearer meadow-farm' } }), 403, 'NOT_AUTHORISED');
    expect((await fetch(`${t.url}/persons/${personRef}`, { headers: { authorization: 'Bearer fsa' } })).status).toBe(200);
  });
});
