import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentStore, MAX_DOCUMENT_BYTES } from '../../../src/store/document-store.js';
import { bearerIsOrg, documentRoutes, expectJsonError } from '../../helpers/http.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('documents API (open access, as in tests and the local demo)', () => {
  let t: TestNode;
  const logged: unknown[] = [];
  beforeAll(async () => {
    t = await startTestNode({ http: { routes: documentRoutes(), logErrors: (err) => logged.push(err) } });
  });
  afterAll(() => t.destroy());

  const pdf = new Uint8Array(Buffer.concat([Buffer.from('%PDF-1.7 health certificate HC-2026-001\n'), randomBytes(4096)]));

  it('stores bytes under their SHA-256 and serves them back unchanged with their media type', async () => {
    const up = await fetch(`${t.url}/documents`, { method: 'POST', headers: { 'content-type': 'application/pdf', 'provenant-org': 'fsa' }, body: pdf });
    expect(up.status).toBe(201);
    const body = (await up.json()) as { sha256: string; size: number; consortium: string };
    expect(body).toMatchObject({ sha256: sha(pdf), size: pdf.length, consortium: 'uk-red-meat' });

    const again = await fetch(`${t.url}/documents`, { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: pdf });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { sha256: string }).sha256).toBe(sha(pdf));

    const got = await fetch(`${t.url}/documents/${sha(pdf)}`);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('application/pdf');
    expect(got.headers.get('etag')).toBe(`"${sha(pdf)}"`);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(pdf);
    const meta = await new DocumentStore(t.db).meta(sha(pdf));
    expect(meta).toMatchObject({ uploadedByOrg: 'fsa', mediaType: 'application/pdf', size: pdf.length });
  });

  it('detects bytes altered in storage and never serves them', async () => {
    const original = new Uint8Array(Buffer.from('Export licence EL-77 for 40 head of cattle'));
    const up = await fetch(`${t.url}/documents`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: original });
    const { sha256: address } = (await up.json()) as { sha256: string };
    // Edit the stored bytes behind the API's back, same length, one word changed.
    const forged = Buffer.from('Export licence EL-77 for 90 head of cattle');
    await t.db.$executeRawUnsafe('UPDATE "Document" SET "bytes" = ? WHERE "sha256" = ?', forged, address);
    const res = await fetch(`${t.url}/documents/${address}`);
    const error = await expectJsonError(res, 500, 'DOCUMENT_TAMPERED');
    expect(error.details).toMatchObject({ expected: address, computed: sha(forged) });
    expect(logged.some((e) => (e as { code?: string }).code === 'DOCUMENT_TAMPERED')).toBe(true);
    await expect(new DocumentStore(t.db).get(address)).rejects.toMatchObject({ code: 'DOCUMENT_TAMPERED' });
  });

  it('answers typed JSON errors: unknown, malformed address, empty body, too large, unknown consortium', async () => {
    await expectJsonError(await fetch(`${t.url}/documents/${'0'.repeat(64)}`), 404, 'DOCUMENT_NOT_FOUND');
    await expectJsonError(await fetch(`${t.url}/documents/not-a-hash`), 400, 'MALFORMED_DOCUMENT_ADDRESS');
    await expectJsonError(await fetch(`${t.url}/documents`, { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: new Uint8Array(0) }), 400, 'EMPTY_DOCUMENT');
    await expectJsonError(
      await fetch(`${t.url}/documents`, { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: new Uint8Array(MAX_DOCUMENT_BYTES + 1) }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    await expectJsonError(
      await fetch(`${t.url}/documents?consortium=no-such-chain`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }),
      404,
      'UNKNOWN_CONSORTIUM',
    );
  });

  it('accepts a document of exactly 20 MB', async () => {
    const big = new Uint8Array(randomBytes(MAX_DOCUMENT_BYTES));
    const up = await fetch(`${t.url}/documents`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: big });
    expect(up.status).toBe(201);
    const got = await fetch(`${t.url}/documents/${sha(big)}`);
    expect(sha(new Uint8Array(await got.arrayBuffer()))).toBe(sha(big));
  });
});

describe('documents API with an authorise hook', () => {
  let t: TestNode;
  const logged: unknown[] = [];
  beforeAll(async () => {
    // Stands in for API tokens: the bearer token is the org id.
    t = await startTestNode({ http: { routes: documentRoutes(bearerIsOrg()), logErrors: (err) => logged.push(err) } });
  });
  afterAll(() => t.destroy());

  it('requires a viewer, records the uploader, and serves only to entitled consortium members', async () => {
    const bytes = new Uint8Array(Buffer.from('Invoice INV-1 £12,400'));
    await expectJsonError(await fetch(`${t.url}/documents`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: bytes }), 401, 'UNAUTHENTICATED');
    await expectJsonError(
      await fetch(`${t.url}/documents`, { method: 'POST', headers: { 'content-type': 'text/plain', authorization: 'Bearer stranger' }, body: bytes }),
      403,
      'NOT_AUTHORISED',
    );
    const up = await fetch(`${t.url}/documents`, { method: 'POST', headers: { 'content-type': 'text/plain', authorization: 'Bearer highfield-farm' }, body: bytes });
    expect(up.status).toBe(201);
    expect((await new DocumentStore(t.db).meta(sha(bytes)))?.uploadedByOrg).toBe('highfield-farm');

    await expectJsonError(await fetch(`${t.url}/documents/${sha(bytes)}`), 401, 'UNAUTHENTICATED');
    await expectJsonError(await fetch(`${t.url}/documents/${sha(bytes)}`, { headers: { authorization: 'Bearer stranger' } }), 404, 'DOCUMENT_NOT_FOUND');
    // A member with no visible event citing it is not entitled (test/medium/capture/document-access.test.ts).
    await expectJsonError(await fetch(`${t.url}/documents/${sha(bytes)}`, { headers: { authorization: 'Bearer northern-abattoir' } }), 404, 'DOCUMENT_NOT_FOUND');
    const got = await fetch(`${t.url}/documents/${sha(bytes)}`, { headers: { authorization: 'Bearer highfield-farm' } });
    expect(got.status).toBe(200);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(bytes);
  });
});
