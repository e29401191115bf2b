import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCaptureDocument } from '../../../src/client/capture-client.js';
import { formatTimestamp, type SignedRecord } from '../../../src/core/ledger/record.js';
import { verifyBundle } from '../../../src/core/lineage/bundle.js';
import { canonicalIdentifier } from '../../../src/core/rules/authorisation.js';
import { verifyStoredChain } from '../../../src/services/node/verify-stored-chain.js';
import { trace } from '../../../src/services/lineage/queries.js';
import { exportProofBundle } from '../../../src/store/bundle-store.js';
import { ChainStore } from '../../../src/store/chain-store.js';
import { LineageStore } from '../../../src/store/lineage-store.js';
import { epcisDocument } from '../../helpers/epcis-documents.js';
import { post } from '../../helpers/http.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

const C = 'uk-red-meat';
const animals = ['UK123450600001', 'UK123450700002'].map((s) => `urn:provenant:animal:${s}`);
const carcasses = [1, 2].map((n) => `urn:epc:id:sgtin:5098765.011111.${n}`);
const t = (day: number) => `2026-03-${String(day).padStart(2, '0')}T08:00:00.000Z`;
const obj = (time: string, f: Record<string, unknown>) => ({ type: 'ObjectEvent', eventTime: time, eventTimeZoneOffset: '+00:00', action: 'OBSERVE', ...f });

describe('batch-signed capture over HTTP', () => {
  let h: TestNode;
  const sign = (org: string, events: Record<string, unknown>[], batch = true) =>
    signCaptureDocument(epcisDocument(events), { consortium: C, key: h.demo.orgKeys.get(org)!, batch, signedAt: formatTimestamp(new Date()) });
  const stored = async (hash: string): Promise<SignedRecord> => {
    const rows = await h.db.$queryRawUnsafe<{ body: string }[]>(`SELECT "body" FROM "LedgerRecord" WHERE "hash" = '${hash}'`);
    return JSON.parse(rows[0]!.body) as SignedRecord;
  };
  const hashes: Record<string, string[]> = {};

  beforeAll(async () => {
    h = await startTestNode({ http: true });
  }, 60_000);
  afterAll(async () => h?.destroy());

  it('an atomic batch-signed envelope is stored with one batch signature and a path per record', async () => {
    const envelope = sign('highfield-farm', [...animals.map((a) => obj(t(1), { action: 'ADD', bizStep: 'urn:provenant:bizstep:birth', epcList: [a] })), obj(t(3), { bizStep: 'shipping', epcList: animals })]);
    expect(envelope.signatures).toBeUndefined();
    const res = await post(h.url, envelope);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'accepted', 'accepted']);
    hashes.farm = res.body.results.map((r: { recordHash: string }) => r.recordHash);
    const records = await Promise.all(hashes.farm!.map(stored));
    expect(records.map((r) => r.signature)).toEqual([undefined, undefined, undefined]);
    expect(records.map((r) => [r.batch!.index, r.batch!.size, r.batch!.signature])).toEqual([0, 1, 2].map((i) => [i, 3, envelope.batchSignature]));
  });

  it('a plain document with the Provenant-Batch-Signature header is accepted; per-event documents still are', async () => {
    const envelope = sign('northern-abattoir', [obj(t(4), { bizStep: 'receiving', epcList: animals })]);
    const res = await post(h.url, envelope.document, '', {
      'Provenant-Consortium': envelope.consortium,
      'Provenant-Signer': envelope.signer,
      'Provenant-Signed-At': envelope.signedAt,
      'Provenant-Batch-Signature': envelope.batchSignature!,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const perEvent = await post(h.url, sign('northern-abattoir', [obj(t(4), { bizStep: 'inspecting', epcList: animals })], false));
    expect(perEvent.status).toBe(200);
    hashes.perEvent = [perEvent.body.results[0].recordHash];
    expect((await stored(hashes.perEvent[0]!)).signature).toMatch(/^ed25519:/);
  });

  it('a bad batch signature rejects every event, in both modes (BAD_SIGNATURE)', async () => {
    const events = animals.map((a, i) => ({ type: 'TransformationEvent', eventTime: t(5), eventTimeZoneOffset: '+00:00', inputEPCList: [a], outputEPCList: [carcasses[i]] }));
    const envelope = sign('northern-abattoir', events);
    const other = sign('northern-abattoir', [events[1]!, events[0]!]);
    for (const mode of ['', '?mode=partial']) {
      const res = await post(h.url, { ...envelope, batchSignature: other.batchSignature }, mode);
      expect(res.status).toBe(mode === '' ? 401 : 200);
      expect(res.body.results.map((r: { error: { code: string } }) => r.error.code)).toEqual(['BAD_SIGNATURE', 'BAD_SIGNATURE']);
    }
    const both = await post(h.url, { ...envelope, signatures: ['ed25519:AA', 'ed25519:AA'] });
    expect(both.status).toBe(400);
    expect(both.body.error.code).toBe('MALFORMED_ENVELOPE');
  });

  it('partial mode: a rejected event is not stored; the stored ones keep their paths into the whole tree', async () => {
    const events = [
      ...animals.map((a, i) => ({ type: 'TransformationEvent', eventTime: t(5), eventTimeZoneOffset: '+00:00', inputEPCList: [a], outputEPCList: [carcasses[i]] })),
      obj('2099-01-01T00:00:00.000Z', { bizStep: 'shipping', epcList: carcasses }),
      obj(t(6), { bizStep: 'shipping', epcList: carcasses }),
    ];
    const res = await post(h.url, sign('northern-abattoir', events), '?mode=partial');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'accepted', 'rejected', 'accepted']);
    expect(res.body.results[2].error.code).toBe('EVENT_TIME_IN_FUTURE');
    hashes.abattoir = [0, 1, 3].map((i) => res.body.results[i].recordHash as string);
    const records = await Promise.all(hashes.abattoir.map(stored));
    expect(records.map((r) => [r.batch!.index, r.batch!.size])).toEqual([
      [0, 4],
      [1, 4],
      [3, 4],
    ]);
    await h.node.sealNow(C);
  });

  it('verify passes over batch-signed and per-event records; lineage hops are VERIFIED; a bundle verifies offline', async () => {
    const report = await verifyStoredChain(h.node.store, C);
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
    const store = new LineageStore(h.db, C);
    const result = await trace({ source: store, evidence: store, state: h.node.state(C) }, carcasses[0]!, 'UPSTREAM');
    expect(result.trace.nodes).toEqual(expect.arrayContaining([canonicalIdentifier(animals[0]!)]));
    expect(result.verification.hops.length).toBeGreaterThan(0);
    for (const hop of result.verification.hops) expect({ status: hop.status, f: hop.failures }).toMatchObject({ status: 'VERIFIED', f: [] });
    const bundle = await exportProofBundle(new ChainStore(h.db), C, [...hashes.farm!, ...hashes.abattoir!, ...hashes.perEvent!]);
    expect(bundle.records.filter((r) => r.record.batch !== undefined)).toHaveLength(6);
    const offline = verifyBundle(JSON.parse(JSON.stringify(bundle)));
    expect(offline.failures).toEqual([]);
    expect(offline.ok).toBe(true);
    const tampered = JSON.parse(JSON.stringify(bundle));
    tampered.records[1].record.batch.index = 0;
    expect(verifyBundle(tampered).failures.map((f) => f.code)).toContain('BAD_SIGNATURE');
  });

  it('a tampered stored path is detected by verify, and fails exactly that lineage hop', async () => {
    const target = hashes.abattoir![0]!;
    const record = await stored(target);
    const path = [...record.batch!.path];
    path[0] = (path[0]![0] === '0' ? '1' : '0') + path[0]!.slice(1);
    const body = JSON.stringify({ ...record, batch: { ...record.batch!, path } });
    await h.db.$executeRawUnsafe(`UPDATE "LedgerRecord" SET "body" = ? WHERE "hash" = ?`, body, target);
    const report = await verifyStoredChain(h.node.store, C);
    expect(report.ok).toBe(false);
    expect(report.failures.filter((f) => f.recordHash === target).map((f) => f.code)).toContain('BAD_SIGNATURE');
    const store = new LineageStore(h.db, C);
    const result = await trace({ source: store, evidence: store, state: h.node.state(C) }, carcasses[0]!, 'UPSTREAM');
    const failed = result.verification.hops.filter((hop) => hop.status === 'FAILED');
    expect(failed.map((hop) => hop.recordHash)).toEqual([target]);
    expect(failed[0]!.failures.map((f) => f.code)).toEqual(['signature']);
  });
});
