/**
 * `provenant create-consortium` writes the index commitment into the genesis it signs: on unless
 * the spec says otherwise (docs/completeness.md section 5).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { encodePrivateKey, encodePublicKey, generateKeyPair } from '../../src/core/crypto/index.js';
import type { GenesisSpec } from '../../src/core/ledger/consortium.js';
import { loadConfig } from '../../src/platform/config.js';
import { openNode } from '../../src/services/node/bootstrap.js';

const run = promisify(execFile);
const repoRoot = path.resolve(__dirname, '../..');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'provenant-genesis-'));

function cli(args: string[]) {
  return run(process.execPath, [path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), path.join(repoRoot, 'src/transport/cli/main.ts'), ...args], {
    cwd: scratch,
    env: { ...process.env, DATABASE_URL: '', PROVENANT_DATA_DIR: '' },
    timeout: 60_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

/** A one-authority genesis spec and its key file. */
function specFiles(consortiumId: string, extra: Partial<GenesisSpec>): { spec: string; key: string } {
  const pair = generateKeyPair('ed25519');
  const key = path.join(scratch, `${consortiumId}.key.json`);
  writeFileSync(key, JSON.stringify({ label: consortiumId, keyId: pair.keyId, publicKey: encodePublicKey(pair.publicKey), privateKey: encodePrivateKey(pair.privateKey) }));
  const spec: GenesisSpec = {
    consortiumId,
    name: consortiumId,
    members: [{ id: 'regulator', name: 'Regulator', roles: ['REGULATOR'], keys: [encodePublicKey(pair.publicKey)], identifiers: {} }],
    authorities: [{ orgId: 'regulator', keyId: pair.keyId }],
    ...extra,
  };
  const file = path.join(scratch, `${consortiumId}.spec.json`);
  writeFileSync(file, JSON.stringify(spec));
  return { spec: file, key };
}

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('provenant create-consortium and the index commitment', () => {
  it('a spec that does not say gets it on; a spec that says off keeps it off', async () => {
    const data = path.join(scratch, 'data');
    for (const [id, extra] of [['unsaid', {}], ['says-off', { indexCommitment: false }]] as const) {
      const files = specFiles(id, extra);
      const out = await cli(['create-consortium', '--spec', files.spec, '--key', files.key, '--data', data]);
      expect(out.stderr).toBe('');
      expect(out.code).toBe(0);
    }
    const opened = await openNode(loadConfig({ dataDir: data }), { autoSeal: false });
    try {
      expect(opened.node.state('unsaid')!.indexCommitment).toBe(true);
      expect(opened.node.state('says-off')!.indexCommitment).toBe(false);
    } finally {
      await opened.close();
    }
  }, 180_000);
});
