/**
 * `provenant device-credential`: prints the MQTT credential the embedded broker checks
 * (docs/mqtt.md), signed with the device key file; clear exit-2 errors for a missing or bad key
 * file and bad options.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodePrivateKey, encodePublicKey, generateKeyPair } from '../../../src/core/crypto/index.js';
import { authenticateDevice } from '../../../src/core/readings/mqtt-access.js';
import { runCliCaptured } from '../../helpers/cli-run.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'provenant-device-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const key = generateKeyPair('p256');
const keyFile = path.join(dir, 'probe.key.json');
writeFileSync(keyFile, JSON.stringify({ label: 'probe', keyId: key.keyId, publicKey: encodePublicKey(key.publicKey), privateKey: encodePrivateKey(key.privateKey) }));
const registered = (consortium: string, deviceId: string) => (consortium === 'uk-red-meat' && deviceId === 'reefer-7/probe-1' ? { publicKey: key.publicKey, status: 'active' as const } : undefined);
const args = ['device-credential', '--key', keyFile, '--consortium', 'uk-red-meat', '--device', 'reefer-7/probe-1'];

function noStackTrace(stderr: string): void {
  expect(stderr).not.toMatch(/\n\s+at .+:\d+/);
}

describe('provenant device-credential', () => {
  it('prints a credential the embedded broker accepts for the registered key, valid for an hour by default', async () => {
    const before = Math.floor(Date.now() / 1000);
    const run = await runCliCaptured([...args, '--json']);
    expect(run).toMatchObject({ exitCode: 0, stderr: '' });
    const credential = JSON.parse(run.stdout) as { username: string; password: string; expiresAt: number };
    expect(credential.username).toBe('reefer-7/probe-1');
    expect(credential.password).toMatch(/^uk-red-meat\|\d+\|p256:[A-Za-z0-9_-]{86}$/);
    expect(credential.expiresAt - before).toBeGreaterThanOrEqual(3600);
    expect(credential.expiresAt - before).toBeLessThanOrEqual(3601);
    const decision = authenticateDevice(credential.username, credential.password, registered, { nowMs: Date.now() });
    expect(decision.ok).toBe(true);
    // Another key's credential for the same device is refused.
    const other = await runCliCaptured(['device-credential', '--key', writeKey('other.json', generateKeyPair('p256')), '--consortium', 'uk-red-meat', '--device', 'reefer-7/probe-1', '--json']);
    const forged = JSON.parse(other.stdout) as { username: string; password: string };
    expect(authenticateDevice(forged.username, forged.password, registered, { nowMs: Date.now() })).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('prints username, password and expiry as lines without --json', async () => {
    const run = await runCliCaptured(args);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^username: reefer-7\/probe-1\npassword: uk-red-meat\|\d+\|p256:\S+\nexpiresAt: \d+ \(\d{4}-\d\d-\d\dT[\d:.]+Z\)\n$/);
  });

  it('a --ttl beyond 24 h makes a Mosquitto password-file credential: the embedded broker refuses it, and the command says so', async () => {
    const run = await runCliCaptured([...args, '--json', '--ttl', String(365 * 24 * 3600)]);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toMatch(/embedded broker refuses it/);
    const credential = JSON.parse(run.stdout) as { username: string; password: string };
    expect(authenticateDevice(credential.username, credential.password, registered, { nowMs: Date.now() })).toMatchObject({ ok: false, reason: 'lifetime_too_long' });
  });

  const bad: [string, () => string[], RegExp][] = [
    ['a missing key file', () => ['--key', path.join(dir, 'missing.json')], /cannot read the key file --key ".*missing\.json": no such file/],
    ['a directory', () => ['--key', mkdir('a-dir')], /cannot read the key file --key ".*a-dir": it is a directory/],
    ['a file that is not JSON', () => ['--key', writeText('text.json', 'not json')], /is not a Provenant key file .*: not JSON/],
    ['JSON that is not an object', () => ['--key', writeText('array.json', '[1]')], /is not a Provenant key file .*: not a JSON object/],
    ['an object without privateKey', () => ['--key', writeText('public.json', JSON.stringify({ publicKey: encodePublicKey(key.publicKey) }))], /no "privateKey"/],
    ['a malformed privateKey', () => ['--key', writeText('short.json', JSON.stringify({ privateKey: 'ed25519:AAAA' }))], /"privateKey": ed25519 private key must be 32 bytes/],
    ['an unknown algorithm', () => ['--key', writeText('rsa.json', JSON.stringify({ privateKey: 'rsa:AAAA' }))], /"privateKey": /],
  ];
  for (const [what, keyArgs, message] of bad) {
    it(`${what}: exit 2, one line naming the file, no stack trace`, async () => {
      const run = await runCliCaptured(['device-credential', ...keyArgs(), '--consortium', 'uk-red-meat', '--device', 'reefer-7/probe-1']);
      expect(run.exitCode).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      noStackTrace(run.stderr);
    });
  }

  it('refuses a bad device id, consortium id or --ttl with exit 2, before reading the key', async () => {
    for (const [option, value] of [['--device', 'bad id with spaces'], ['--consortium', 'Not A Consortium!'], ['--ttl', '0'], ['--ttl', '1.5'], ['--ttl', '99999999999']] as const) {
      const flags: Record<string, string> = { '--key': path.join(dir, 'missing.json'), '--consortium': 'uk-red-meat', '--device': 'reefer-7/probe-1', [option]: value };
      const run = await runCliCaptured(['device-credential', ...Object.entries(flags).flat()]);
      expect(run.exitCode, `${option} ${value}`).toBe(2);
      expect(run.stderr).toContain(`option '${option} <`);
      expect(run.stderr).not.toContain('cannot read the key file');
      noStackTrace(run.stderr);
    }
  });
});

function writeText(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

function writeKey(name: string, pair: ReturnType<typeof generateKeyPair>): string {
  return writeText(name, JSON.stringify({ privateKey: encodePrivateKey(pair.privateKey) }));
}

function mkdir(name: string): string {
  const d = path.join(dir, name);
  mkdirSync(d, { recursive: true });
  return d;
}
