import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_HASH_DIR } from '../../vectors/index.js';
import { encodePrivateKey, encodePublicKey, generateKeyPair } from '../../../src/core/crypto/index.js';
import { verifyRecordSignature } from '../../../src/core/ledger/record.js';
import { eventIdsOf, recordsOfEnvelope, type CaptureEnvelope } from '../../../src/client/capture-client.js';
import { registerMemberCommands, runSubmit, type Output } from '../../../src/transport/cli/member-commands.js';

const names = readdirSync(EVENT_HASH_DIR)
  .filter((f) => f.endsWith('.jsonld'))
  .sort()
  .map((f) => f.slice(0, -'.jsonld'.length));

const dir = mkdtempSync(path.join(os.tmpdir(), 'provenant-cli-'));
const key = generateKeyPair('ed25519');
const keyFile = path.join(dir, 'farm.key.json');
writeFileSync(keyFile, JSON.stringify({ label: 'farm', keyId: key.keyId, publicKey: encodePublicKey(key.publicKey), privateKey: encodePrivateKey(key.privateKey) }));

function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

/** A test-local program with only the member commands, as main.ts will register them. */
async function run(args: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const io = capture();
  const program = new Command().exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  registerMemberCommands(program, io);
  const previous = process.exitCode;
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'provenant', ...args]);
    return { code: Number(process.exitCode ?? 0), stdout: io.stdout, stderr: io.stderr };
  } finally {
    process.exitCode = previous;
  }
}

afterEach(() => {
  process.exitCode = 0;
});

describe('provenant event-hash', () => {
  it('has reference vectors', () => expect(names.length).toBeGreaterThan(5));
  for (const name of names) {
    it(`prints the reference hashes of ${name}, in document order`, async () => {
      const expected = readFileSync(path.join(EVENT_HASH_DIR, `${name}.hashes`), 'utf8').split(/\r?\n/).filter(Boolean);
      const { code, stdout, stderr } = await run(['event-hash', path.join(EVENT_HASH_DIR, `${name}.jsonld`)]);
      expect(stderr).toEqual([]);
      expect(code).toBe(0);
      expect(stdout).toEqual(expected);
    });
  }

  it('fails clearly on a missing file, invalid JSON and a document without events', async () => {
    const missing = await run(['event-hash', path.join(dir, 'nope.json')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.join('\n')).toMatch(/UNREADABLE_FILE: cannot read .*nope\.json: ENOENT/);
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{ "type": "EPCISDocument", ');
    const invalid = await run(['event-hash', broken]);
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr.join('\n')).toMatch(/INVALID_JSON: .*broken\.json is not valid JSON/);
    const empty = path.join(dir, 'empty.json');
    writeFileSync(empty, JSON.stringify({ type: 'EPCISDocument', epcisBody: { eventList: [] } }));
    const none = await run(['event-hash', empty]);
    expect(none.code).not.toBe(0);
    expect(none.stderr.join('\n')).toMatch(/MALFORMED_DOCUMENT/);
    expect([missing, invalid, none].flatMap((r) => r.stderr).join('\n')).not.toMatch(/\n\s+at /);
  });
});

describe('provenant sign', () => {
  it('writes an envelope whose records verify with the key file', async () => {
    const input = path.join(EVENT_HASH_DIR, 'epcisDocWithVariousEventTypes.jsonld');
    const out = path.join(dir, 'signed.json');
    const { code } = await run(['sign', input, '--key', keyFile, '--consortium', 'uk-red-meat', '--out', out]);
    expect(code).toBe(0);
    const envelope = JSON.parse(readFileSync(out, 'utf8')) as CaptureEnvelope;
    expect(envelope.signer).toBe(key.keyId);
    expect(envelope.consortium).toBe('uk-red-meat');
    expect(envelope.document).toEqual(JSON.parse(readFileSync(input, 'utf8')));
    const records = recordsOfEnvelope(envelope);
    expect(records).toHaveLength(13);
    for (const r of records) verifyRecordSignature(r, key.publicKey);
  });

  it('needs --key and --consortium to sign', async () => {
    const input = path.join(EVENT_HASH_DIR, 'epcisDocWithSingleEvent.jsonld');
    expect((await run(['sign', input, '--consortium', 'uk-red-meat'])).stderr.join('')).toMatch(/KEY_REQUIRED/);
    const noConsortium = await run(['sign', input, '--key', keyFile]);
    expect(noConsortium.code).not.toBe(0);
    expect(noConsortium.stderr.join('')).toMatch(/CONSORTIUM_REQUIRED/);
    const badKey = await run(['sign', input, '--key', input, '--consortium', 'uk-red-meat']);
    expect(badKey.stderr.join('')).toMatch(/UNREADABLE_KEY/);
  });
});

describe('provenant submit', () => {
  let server: Server;
  let url: string;
  let received: CaptureEnvelope[] = [];
  let lastQuery = '';
  let respond: (envelope: CaptureEnvelope) => { status: number; body: unknown } = () => ({ status: 200, body: { results: [] } });

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        const envelope = JSON.parse(body) as CaptureEnvelope;
        received.push(envelope);
        lastQuery = req.url ?? '';
        const { status, body: answer } = respond(envelope);
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const input = path.join(EVENT_HASH_DIR, 'TimeStampRoundOff.jsonld');
  const ids = eventIdsOf(JSON.parse(readFileSync(input, 'utf8')) as Record<string, unknown>);

  it('signs, posts and prints one line per event; exit 0 when all accepted', async () => {
    received = [];
    respond = () => ({ status: 201, body: { results: ids.map((eventId, index) => ({ index, eventId, status: index === 1 ? 'duplicate' : 'accepted', recordHash: String(index).repeat(64) })) } });
    const { code, stdout } = await run(['submit', input, '--key', keyFile, '--consortium', 'uk-red-meat', '--url', url, '--partial', '--wait']);
    expect(code).toBe(0);
    expect(lastQuery).toBe('/epcis/capture?mode=partial&wait=seal');
    expect(received).toHaveLength(1);
    for (const r of recordsOfEnvelope(received[0]!)) verifyRecordSignature(r, key.publicKey);
    expect(stdout).toEqual([`0\taccepted\t${ids[0]}\t${'0'.repeat(64)}`, `1\tduplicate\t${ids[1]}\t${'1'.repeat(64)}`, `2\taccepted\t${ids[2]}\t${'2'.repeat(64)}`]);
  });

  it('exits non-zero and prints the error when any event is rejected', async () => {
    respond = () => ({
      status: 200,
      body: { results: ids.map((eventId, index) => (index === 2 ? { index, eventId, status: 'rejected', error: { code: 'NOT_CUSTODIAN', message: 'not yours' } } : { index, eventId, status: 'accepted', recordHash: 'e'.repeat(64) })) },
    });
    const io = capture();
    const code = await runSubmit(input, { key: keyFile, consortium: 'uk-red-meat', url, partial: true }, io);
    expect(code).toBe(1);
    expect(io.stdout[2]).toBe(`2\trejected\t${ids[2]}\tNOT_CUSTODIAN: not yours`);
  });

  it('takes an already signed envelope as it is, and reports HTTP errors with their code', async () => {
    const signed = path.join(dir, 'presigned.json');
    expect((await run(['sign', input, '--key', keyFile, '--consortium', 'uk-red-meat', '--out', signed])).code).toBe(0);
    const envelope = JSON.parse(readFileSync(signed, 'utf8')) as CaptureEnvelope;
    received = [];
    respond = () => ({ status: 403, body: { error: { code: 'NOT_AUTHORISED', message: 'farm may not ship' } } });
    const { code, stdout, stderr } = await run(['submit', signed, '--url', url]);
    expect(received[0]).toEqual(envelope);
    expect(lastQuery).toBe('/epcis/capture?mode=atomic');
    expect(code).toBe(1);
    expect(stdout).toEqual([]);
    expect(stderr.join('\n')).toMatch(/HTTP 403 NOT_AUTHORISED: farm may not ship/);
  });
});
