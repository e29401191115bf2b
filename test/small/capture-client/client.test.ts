import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_HASH_DIR } from '../../vectors/index.js';
import { generateKeyPair } from '../../../src/core/crypto/index.js';
import { eventHashIdsOfDocument } from '../../../src/core/epcis/event-hash.js';
import { recordHash, verifyRecordSignature, RecordKind } from '../../../src/core/ledger/record.js';
import {
  CaptureClientError,
  captureUrl,
  eventIdsOf,
  isCaptureEnvelope,
  recordsOfEnvelope,
  signCaptureDocument,
  submitCapture,
} from '../../../src/client/capture-client.js';
import { DocumentRefError, documentRefsOfEvent, personRefOfEvent, withDocumentRefs } from '../../../src/core/capture/documents.js';

const vectors = readdirSync(EVENT_HASH_DIR)
  .filter((f) => f.endsWith('.jsonld'))
  .sort()
  .map((f) => ({ name: f, document: JSON.parse(readFileSync(path.join(EVENT_HASH_DIR, f), 'utf8')) as Record<string, unknown> }));

const key = generateKeyPair('ed25519');
const signedAt = '2026-11-21T08:00:00.000Z';

describe('signCaptureDocument', () => {
  it('has reference vectors to sign', () => {
    expect(vectors.length).toBeGreaterThan(5);
  });

  for (const { name, document } of vectors) {
    it(`signs every event of ${name} as its own verifiable epcis.event record`, () => {
      const envelope = signCaptureDocument(document, { consortium: 'uk-red-meat', key, signedAt });
      const events = (document.epcisBody as { eventList: unknown[] }).eventList;
      expect(envelope).toMatchObject({ consortium: 'uk-red-meat', signer: key.keyId, signedAt, document });
      expect(envelope.signatures).toHaveLength(events.length);
      const records = recordsOfEnvelope(envelope);
      records.forEach((record, i) => {
        expect(record.kind).toBe(RecordKind.EPCIS_EVENT);
        expect(record.payload).toEqual({ event: events[i] });
        expect(record.signedAt).toBe(signedAt);
        expect(() => verifyRecordSignature(record, key.publicKey)).not.toThrow();
      });
      expect(new Set(records.map((r) => recordHash(r))).size).toBe(events.length);
      expect(eventIdsOf(document)).toEqual(eventHashIdsOfDocument(document));
    });
  }

  it('signatures do not verify for another event order, consortium or signedAt', () => {
    const document = vectors.find((v) => v.name === 'TimeStampRoundOff.jsonld')!.document;
    const envelope = signCaptureDocument(document, { consortium: 'uk-red-meat', key, signedAt });
    const swapped = { ...envelope, signatures: [envelope.signatures![1]!, envelope.signatures![0]!, envelope.signatures![2]!] };
    expect(() => verifyRecordSignature(recordsOfEnvelope(swapped)[0]!, key.publicKey)).toThrow(/does not verify/);
    const otherTime = { ...envelope, signedAt: '2026-11-21T08:00:00.001Z' };
    expect(() => verifyRecordSignature(recordsOfEnvelope(otherTime)[0]!, key.publicKey)).toThrow(/does not verify/);
    const otherConsortium = { ...envelope, consortium: 'other-chain' };
    expect(() => verifyRecordSignature(recordsOfEnvelope(otherConsortium)[0]!, key.publicKey)).toThrow(/does not verify/);
  });

  it('defaults signedAt to now, in RFC 3339 UTC with milliseconds', () => {
    const before = Date.now();
    const envelope = signCaptureDocument(vectors[0]!.document, { consortium: 'uk-red-meat', key });
    expect(envelope.signedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(envelope.signedAt)).toBeGreaterThanOrEqual(before - 1);
    expect(isCaptureEnvelope(envelope)).toBe(true);
    expect(isCaptureEnvelope(vectors[0]!.document)).toBe(false);
  });

  it('refuses documents without events, with a typed error', () => {
    for (const bad of [{}, { epcisBody: {} }, { epcisBody: { eventList: [] } }, { epcisBody: { eventList: [1] } }]) {
      const err = (() => {
        try {
          signCaptureDocument(bad, { consortium: 'uk-red-meat', key, signedAt });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(CaptureClientError);
      expect((err as CaptureClientError).code).toBe('MALFORMED_DOCUMENT');
    }
  });

  it('refuses an envelope whose signature count does not match its events', () => {
    const envelope = signCaptureDocument(vectors[0]!.document, { consortium: 'uk-red-meat', key, signedAt });
    expect(() => recordsOfEnvelope({ ...envelope, signatures: [] })).toThrow(expect.objectContaining({ code: 'SIGNATURE_COUNT_MISMATCH' }));
  });
});

describe('document and person references', () => {
  const sha = 'a'.repeat(64);
  it('reads well-formed references and rejects malformed ones with typed errors', () => {
    const event = withDocumentRefs({ type: 'ObjectEvent' }, [{ sha256: sha, type: 'health-certificate', name: 'HC-1.pdf' }]);
    expect(documentRefsOfEvent(event)).toEqual([{ sha256: sha, type: 'health-certificate', name: 'HC-1.pdf' }]);
    expect(documentRefsOfEvent({})).toEqual([]);
    expect(() => documentRefsOfEvent({ 'provenant:documents': [{ sha256: 'xyz', type: 'invoice' }] })).toThrow(DocumentRefError);
    expect(() => documentRefsOfEvent({ 'provenant:documents': [{ sha256: sha, type: 'passport' }] })).toThrow(/type must be one of/);
    expect(() => documentRefsOfEvent({ 'provenant:documents': {} })).toThrow(/must be an array/);
    expect(personRefOfEvent({ 'provenant:personRef': sha })).toBe(sha);
    expect(personRefOfEvent({})).toBeUndefined();
    expect(() => personRefOfEvent({ 'provenant:personRef': 'Jane Smith' })).toThrow(expect.objectContaining({ code: 'MALFORMED_PERSON_REF' }));
  });

  it('the document hash is covered by the event signature', () => {
    const document = structuredClone(vectors[0]!.document);
    const events = (document.epcisBody as { eventList: Record<string, unknown>[] }).eventList;
    events[0] = withDocumentRefs(events[0]!, [{ sha256: sha, type: 'licence' }]);
    const envelope = signCaptureDocument(document, { consortium: 'uk-red-meat', key, signedAt });
    const [record] = recordsOfEnvelope(envelope);
    expect(() => verifyRecordSignature(record!, key.publicKey)).not.toThrow();
    events[0] = withDocumentRefs(events[0]!, [{ sha256: 'b'.repeat(64), type: 'licence' }]);
    expect(() => verifyRecordSignature(recordsOfEnvelope(envelope)[0]!, key.publicKey)).toThrow(/does not verify/);
  });
});

describe('submitCapture', () => {
  let server: Server;
  let baseUrl: string;
  const seen: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[] = [];
  let reply: { status: number; body: string } = { status: 200, body: '{}' };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(reply.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('posts the envelope as JSON with mode, wait and bearer token, and returns the parsed results', async () => {
    const envelope = signCaptureDocument(vectors[0]!.document, { consortium: 'uk-red-meat', key, signedAt });
    const [eventId] = eventIdsOf(vectors[0]!.document);
    const results = { results: [{ index: 0, eventId, status: 'accepted', recordHash: 'c'.repeat(64), block: { height: 3, hash: 'd'.repeat(64) } }] };
    reply = { status: 201, body: JSON.stringify(results) };
    const out = await submitCapture(baseUrl, envelope, { token: 'tok-123', mode: 'partial', wait: true });
    expect(out).toEqual(results);
    const last = seen.at(-1)!;
    expect(last.method).toBe('POST');
    expect(last.url).toBe('/epcis/capture?mode=partial&wait=seal');
    expect(last.headers['content-type']).toBe('application/json');
    expect(last.headers.authorization).toBe('Bearer tok-123');
    expect(JSON.parse(last.body)).toEqual(envelope);
  });

  it('throws CaptureClientError with status, code and message on a non-2xx answer', async () => {
    const envelope = signCaptureDocument(vectors[0]!.document, { consortium: 'uk-red-meat', key, signedAt });
    reply = { status: 401, body: JSON.stringify({ error: { code: 'STALE_SIGNATURE', message: 'signedAt is 400 s off', details: { skew: 400 } } }) };
    const err = await submitCapture(baseUrl, envelope).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaptureClientError);
    expect(err).toMatchObject({ status: 401, code: 'STALE_SIGNATURE', message: 'signedAt is 400 s off', details: { skew: 400 } });
    expect(seen.at(-1)!.url).toBe('/epcis/capture');
    expect(seen.at(-1)!.headers.authorization).toBeUndefined();

    reply = { status: 502, body: '<html>bad gateway</html>' };
    await expect(submitCapture(baseUrl, envelope)).rejects.toMatchObject({ status: 502, code: 'HTTP_502' });
  });

  it('reports an unreachable node as NETWORK_ERROR', async () => {
    const envelope = signCaptureDocument(vectors[0]!.document, { consortium: 'uk-red-meat', key, signedAt });
    await expect(submitCapture('http://127.0.0.1:1', envelope)).rejects.toMatchObject({ status: 0, code: 'NETWORK_ERROR' });
  });

  it('builds capture URLs relative to a base path', () => {
    expect(captureUrl('http://node.example/api', { mode: 'atomic' })).toBe('http://node.example/api/epcis/capture?mode=atomic');
  });
});
