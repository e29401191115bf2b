/** `provenant event-hash`, `sign` and `submit` take EPCIS XML documents as well as JSON. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EPCIS_XML_EXAMPLES_DIR } from '../../vectors/index.js';
import { encodePrivateKey, encodePublicKey, generateKeyPair } from '../../../src/core/crypto/index.js';
import { eventHashIdsOfDocument } from '../../../src/core/epcis/event-hash.js';
import { parseEpcisXml } from '../../../src/core/epcis/xml/index.js';
import { verifyRecordSignature } from '../../../src/core/ledger/record.js';
import { recordsOfEnvelope, signCaptureDocument, type CaptureEnvelope } from '../../../src/client/capture-client.js';
import { runEventHash, runSign, runSubmit, type Output } from '../../../src/transport/cli/member-commands.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'provenant-cli-xml-'));
const key = generateKeyPair('ed25519');
const keyFile = path.join(dir, 'farm.key.json');
writeFileSync(keyFile, JSON.stringify({ label: 'farm', keyId: key.keyId, publicKey: encodePublicKey(key.publicKey), privateKey: encodePrivateKey(key.privateKey) }));
const example = path.join(EPCIS_XML_EXAMPLES_DIR, 'WithExtension__ObjectEvent.xml');
const xmlText = readFileSync(example, 'utf8');
const ids = eventHashIdsOfDocument(parseEpcisXml(xmlText));

function io(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

describe('the member CLI reads EPCIS XML', () => {
  it('event-hash prints the same IDs as the JSON binding of the same document', async () => {
    const out = io();
    expect(await runEventHash(example, out)).toBe(0);
    expect(out.stdout).toEqual(ids);
    expect(ids).toHaveLength(2);
  });

  it('sign writes an envelope of the JSON-LD model, signed with its @context (payload format 2)', async () => {
    const file = path.join(dir, 'signed.json');
    expect(await runSign(example, { key: keyFile, consortium: 'uk-red-meat', out: file }, io())).toBe(0);
    const envelope = JSON.parse(readFileSync(file, 'utf8')) as CaptureEnvelope;
    expect(envelope.payloadFormat).toBe(2);
    expect(envelope.document).toEqual(parseEpcisXml(xmlText));
    const records = recordsOfEnvelope(envelope);
    expect((records[0]!.payload as { context: unknown }).context).toEqual(envelope.document['@context']);
    for (const r of records) verifyRecordSignature(r, key.publicKey);
  });

  it('sign --batch writes one batch signature; the rebuilt records verify; a signature over another header does not', async () => {
    const file = path.join(dir, 'batch-signed.json');
    const out = io();
    expect(await runSign(example, { key: keyFile, consortium: 'uk-red-meat', out: file, batch: true }, out)).toBe(0);
    expect(out.stderr.join('\n')).toContain('signed 2 event(s)');
    const envelope = JSON.parse(readFileSync(file, 'utf8')) as CaptureEnvelope;
    expect(envelope.signatures).toBeUndefined();
    expect(envelope.batchSignature).toMatch(/^ed25519:/);
    const records = recordsOfEnvelope(envelope);
    expect(records.map((r) => [r.batch!.index, r.batch!.size])).toEqual([
      [0, 2],
      [1, 2],
    ]);
    for (const r of records) verifyRecordSignature(r, key.publicKey);
    const other = signCaptureDocument(envelope.document, { consortium: 'uk-red-meat', key, batch: true, payloadFormat: 2, signedAt: '2026-01-01T00:00:00.000Z' });
    const forged = recordsOfEnvelope({ ...envelope, batchSignature: other.batchSignature });
    expect(() => verifyRecordSignature(forged[0]!, key.publicKey)).toThrow(/batch signature does not verify/);
  });

  it('an XML file that breaks the XSD is a usage error naming the file', async () => {
    const bad = path.join(dir, 'bad.xml');
    writeFileSync(bad, xmlText.replace(/<action>OBSERVE<\/action>/, '<action>MAYBE</action>'));
    const out = io();
    expect(await runEventHash(bad, out)).toBe(2);
    expect(out.stderr.join('\n')).toMatch(/INVALID_XML|not a valid EPCIS 2\.0 XML document/);
    expect(out.stderr.join('\n')).toContain('bad.xml');
  });

  describe('submit with a token and no key', () => {
    let server: Server;
    let url: string;
    const seen: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
    beforeAll(async () => {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString('utf8')));
        req.on('end', () => {
          seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
          if (req.method === 'POST') {
            res.writeHead(202, { location: '/capture/job-1' });
            res.end();
            return;
          }
          const results = ids.map((eventId, index) => ({ index, eventId, status: 'accepted', recordHash: String(index).repeat(64) }));
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ captureID: 'job-1', createdAt: 'x', running: false, success: true, captureErrorBehaviour: 'proceed', errors: [], 'provenant:results': results }));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('posts the XML as it is to POST /capture and prints the job results', async () => {
      const out = io();
      expect(await runSubmit(example, { url, token: 'pvn_test', partial: true }, out)).toBe(0);
      const [post, get] = seen;
      expect(post).toMatchObject({ method: 'POST', url: '/capture', body: xmlText });
      expect(post!.headers['content-type']).toBe('application/xml');
      expect(post!.headers['authorization']).toBe('Bearer pvn_test');
      expect(post!.headers['gs1-capture-error-behaviour']).toBe('proceed');
      expect(get).toMatchObject({ method: 'GET', url: '/capture/job-1' });
      expect(out.stdout).toEqual(ids.map((id, i) => `${i}\taccepted\t${id}\t${String(i).repeat(64)}`));
    });
  });
});
