import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CONSORTIUM_ID } from '../../src/services/node/demo-consortium.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';

const run = promisify(execFile);
const repoRoot = path.resolve(__dirname, '../..');

describe('membership changes through the provenant CLI over HTTP', () => {
  let node: TestNode;
  let url: string;

  beforeAll(async () => {
    node = await startTestNode({ autoSeal: true, http: true });
    url = node.url;
  });
  afterAll(async () => {
    await node.destroy();
  });

  const cli = (args: string[]) =>
    run(process.execPath, [path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), path.join(repoRoot, 'src/transport/cli/main.ts'), ...args], { cwd: repoRoot }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  // Each CLI call is a fresh Node process that compiles TypeScript: slow on a loaded machine.
  const CLI_TEST_TIMEOUT_MS = 120_000;
  const keyFile = (org: string) => path.join(node.dataDir, 'keys', `demo-${org}.key.json`);
  const common = (org: string) => ['--consortium', DEMO_CONSORTIUM_ID, '--key', keyFile(org), '--url', url];

  it('applies a role grant only once a quorum of authorities approved it', async () => {
    const proposed = await cli(['propose', ...common('fsa'), '--change', JSON.stringify({ type: 'role.grant', orgId: 'meadow-farm', role: 'HAULIER' }), '--wait']);
    expect(proposed.stderr).toBe('');
    expect(proposed.code).toBe(0);
    const proposalHash = proposed.stdout.trim().split(' ').pop()!;
    expect(proposalHash).toMatch(/^[0-9a-f]{64}$/);
    // FSA's proposal counts as its approval; 3 of 4 authorities are needed.
    expect(node.node.state(DEMO_CONSORTIUM_ID).hasRole('meadow-farm', 'HAULIER')).toBe(false);
    expect((await cli(['approve', ...common('hmrc'), '--proposal', proposalHash])).code).toBe(0);
    expect(node.node.state(DEMO_CONSORTIUM_ID).hasRole('meadow-farm', 'HAULIER')).toBe(false);
    expect((await cli(['approve', ...common('riverside-retail'), '--proposal', proposalHash])).code).toBe(0);
    expect(node.node.state(DEMO_CONSORTIUM_ID).hasRole('meadow-farm', 'HAULIER')).toBe(true);
  }, CLI_TEST_TIMEOUT_MS);

  it('refuses an approval from a non-authority with a clear error and a non-zero exit', async () => {
    const proposed = await cli(['propose', ...common('fsa'), '--change', JSON.stringify({ type: 'role.grant', orgId: 'highfield-farm', role: 'RETAILER' })]);
    const proposalHash = proposed.stdout.trim().split(' ').pop()!;
    const refused = await cli(['approve', ...common('highfield-farm'), '--proposal', proposalHash]);
    expect(refused.code).toBe(1); // refused by the node, not a usage error
    expect(refused.stderr).toMatch(/NOT_AN_AUTHORITY/);
    expect(refused.stderr).toContain(`${url}/consortia/${DEMO_CONSORTIUM_ID}/records`);
    expect(refused.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  }, CLI_TEST_TIMEOUT_MS);
});
