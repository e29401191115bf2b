import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { registerTokenCommands } from '../../../src/transport/cli/token-commands.js';
import { resolveViewer } from '../../../src/services/auth.js';
import { DEMO_CONSORTIUM_ID } from '../../../src/services/node/demo-consortium.js';
import { hashToken, issueToken, revokeToken, TokenError } from '../../../src/store/token-store.js';
import { startTestNode, type TestNode } from '../../helpers/test-node.js';

describe('API tokens on a real store', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode();
  });
  afterAll(async () => {
    await node.destroy();
  });

  it('stores only the hash and resolves the viewer with roles', async () => {
    const issued = await issueToken(node.db, DEMO_CONSORTIUM_ID, 'fsa', 'inspector');
    expect(issued.token).toMatch(/^pvn_[A-Za-z0-9_-]{43}$/);
    const row = await node.db.apiToken.findUniqueOrThrow({ where: { tokenHash: hashToken(issued.token) } });
    expect(JSON.stringify(row)).not.toContain(issued.token.slice(4));
    const viewer = await resolveViewer(node.db, node.node, `Bearer ${issued.token}`);
    expect(viewer).toMatchObject({ consortiumId: DEMO_CONSORTIUM_ID, orgId: 'fsa', isRegulator: true });
    expect([...viewer!.roles]).toEqual(['REGULATOR']);
    const farm = await resolveViewer(node.db, node.node, (await issueToken(node.db, DEMO_CONSORTIUM_ID, 'meadow-farm')).token);
    expect(farm?.isRegulator).toBe(false);
    await revokeToken(node.db, issued.token);
    expect(await resolveViewer(node.db, node.node, `Bearer ${issued.token}`)).toBeNull();
  });

  it('refuses tokens for unknown organisations', async () => {
    await expect(issueToken(node.db, DEMO_CONSORTIUM_ID, 'nobody')).rejects.toBeInstanceOf(TokenError);
    await expect(revokeToken(node.db, 'ab'.repeat(32))).rejects.toMatchObject({ code: 'UNKNOWN_TOKEN' });
  });

  it('issues and revokes through the CLI commands', async () => {
    await node.close();
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    // A node on PostgreSQL is found through DATABASE_URL, as an operator's CLI finds it; on SQLite, through --data.
    if (node.config.databaseUrl.startsWith('postgresql:')) vi.stubEnv('DATABASE_URL', node.config.databaseUrl);
    try {
      const program = new Command().exitOverride();
      registerTokenCommands(program);
      await program.parseAsync(['token', 'issue', '--consortium', DEMO_CONSORTIUM_ID, '--org', 'hmrc', '--label', 'border', '--data', node.dataDir], { from: 'user' });
      const issued = JSON.parse(lines[0]!) as { token: string; tokenHash: string; org: string };
      expect(issued.org).toBe('hmrc');
      expect(issued.tokenHash).toBe(hashToken(issued.token));
      await program.parseAsync(['token', 'revoke', issued.token, '--data', node.dataDir], { from: 'user' });
      expect(lines[1]).toMatch(new RegExp(`revoked token ${issued.tokenHash}`));
    } finally {
      log.mockRestore();
      err.mockRestore();
      vi.unstubAllEnvs();
    }
    node = await node.reopen();
    const row = await node.db.apiToken.findFirstOrThrow({ where: { orgId: 'hmrc' } });
    expect(row.revokedAt).not.toBeNull();
  });
});
