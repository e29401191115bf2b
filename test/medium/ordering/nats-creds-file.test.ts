/** A node's NKey seed from a file (`--nats-creds`): a bare seed or a NATS .creds seed block; anything else is refused. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nkeys } from '@nats-io/transport-node';
import { afterAll, expect, it } from 'vitest';
import { resolveOrderingSettings } from '../../../src/platform/ordering/ordering-settings.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'provenant-creds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const seed = new TextDecoder().decode(nkeys.createUser().getSeed());

it('reads the seed, bare or inside a .creds file, into NKey credentials', () => {
  const bare = path.join(dir, 'bare.nk');
  writeFileSync(bare, `${seed}\n`);
  const creds = path.join(dir, 'node.creds');
  writeFileSync(creds, `-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`);
  for (const credsFile of [bare, creds]) {
    expect(resolveOrderingSettings({ url: 'nats://h:4222', user: 'fsa-node', credsFile })?.credentials).toEqual({ kind: 'nkey', user: 'fsa-node', seed });
  }
});

it('refuses a file without a user seed, or no file, with CONFIG_INVALID', () => {
  const other = path.join(dir, 'other.txt');
  writeFileSync(other, 'not a seed');
  for (const credsFile of [other, path.join(dir, 'missing')]) {
    expect(() => resolveOrderingSettings({ url: 'nats://h:4222', user: 'u', credsFile })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  }
});
