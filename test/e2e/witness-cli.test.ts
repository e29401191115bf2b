/**
 * `provenant witness` as a real process, round after round: it cosigns the node's checkpoint, then
 * the next one once the node seals again, and stops cleanly on SIGTERM, releasing its lock.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePrivateKey, encodePublicKey, generateKeyPair } from '../../src/core/crypto/index.js';
import type { Checkpoint } from '../../src/core/ledger/checkpoint.js';
import { RecordKind, signRecord } from '../../src/core/ledger/record.js';
import { cosignCheckpoint } from '../../src/core/lineage/bundle.js';
import { DEMO_CONSORTIUM_ID as C } from '../helpers/consortia.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const WAIT_MS = 90_000;

describe('provenant witness as a process', () => {
  let node: TestNode;
  let dir: string;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    node = await startTestNode({ http: true, tokens: ['fsa'] });
    dir = mkdtempSync(path.join(os.tmpdir(), 'provenant-witness-e2e-'));
  });
  afterAll(async () => {
    if (child?.exitCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
    await node?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const latest = async () => {
    const res = await fetch(`${node.url}/consortia/${C}/checkpoint`, { headers: { authorization: `Bearer ${node.tokens['fsa']}` } });
    return (await res.json()) as { checkpoint: Checkpoint; witnessCosignatures: unknown[] };
  };
  const until = async (what: string, check: () => Promise<boolean>, output: () => string) => {
    const deadline = Date.now() + WAIT_MS;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the witness printed:\n${output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const seal = (tag: string) => node.submitSealed([signRecord({ consortium: C, kind: RecordKind.EPCIS_EVENT, payload: { tag } }, node.key('highfield-farm'))]);

  it('cosigns each new checkpoint as the node seals, and stops on SIGTERM', async () => {
    await seal('first');
    const key = generateKeyPair('ed25519');
    const keyFile = path.join(dir, 'witness.key.json');
    writeFileSync(keyFile, JSON.stringify({ label: 'witness', keyId: key.keyId, publicKey: encodePublicKey(key.publicKey), privateKey: encodePrivateKey(key.privateKey) }), { mode: 0o600 });
    const state = path.join(dir, 'state');
    // One process (tsx as a loader, not its CLI wrapper), so that SIGTERM reaches the witness itself.
    const args = ['--import', 'tsx', path.join(repoRoot, 'src/transport/cli/main.ts'), 'witness', '--consortium', C, '--key', keyFile, '--state', state, '--node', node.url, '--interval', '200'];
    // The token from the environment, as an operator would pass it.
    child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, PROVENANT_TOKEN: node.tokens['fsa'] }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (output += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (output += s));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

    const cosigned = async () => {
      const { checkpoint, witnessCosignatures } = await latest();
      return witnessCosignatures.some((c) => JSON.stringify(c) === JSON.stringify(cosignCheckpoint(checkpoint, key)));
    };
    await until('the first cosignature', cosigned, () => output);
    expect(existsSync(path.join(state, 'witness.lock'))).toBe(true);
    await seal('second');
    await until('the cosignature of the next checkpoint', cosigned, () => output);
    const last = (await latest()).checkpoint;

    process.kill(-child.pid!, 'SIGTERM');
    expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 30_000))])).toBe(0);
    expect(output).toContain('cosigned: the log extends the last cosigned');
    expect(existsSync(path.join(state, 'witness.lock'))).toBe(false);
    expect((JSON.parse(readFileSync(path.join(state, 'witness-state.json'), 'utf8')) as { lastCosigned: { checkpoint: Checkpoint } }).lastCosigned.checkpoint).toEqual(last);
  }, 240_000);
});
