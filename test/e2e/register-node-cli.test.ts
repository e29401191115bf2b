/**
 * `provenant register-node` against a node over HTTP: the proposal is posted, applies once a quorum
 * of authorities approved it, and the node lists the registered URL in chainStatus. What it refuses
 * itself (a URL admission would refuse, no ordering identity, no key) exits 2 with one clear line
 * before anything is sent; what the node refuses exits 1 with the node's code.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CONSORTIUM_ID } from '../../src/services/node/demo-consortium.js';
import { runCliCaptured } from '../helpers/cli-run.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';

/** Nothing listens here: a refusal that names it was sent nowhere. */
const NOWHERE = 'http://127.0.0.1:9';

describe('provenant register-node', () => {
  let node: TestNode;

  beforeAll(async () => {
    node = await startTestNode({ autoSeal: true, http: true, tokens: ['fsa'] });
  });
  afterAll(async () => {
    await node.destroy();
  });

  const keyFile = (org: string) => path.join(node.dataDir, 'keys', `demo-${org}.key.json`);
  const common = (org: string, url = node.url) => ['--consortium', DEMO_CONSORTIUM_ID, '--key', keyFile(org), '--url', url];
  const registerNode = (org: string, rest: string[], url?: string) => runCliCaptured(['register-node', ...common(org, url), '--org', org, ...rest]);

  const registeredNodes = async (): Promise<{ orgId: string; url: string; ordering: string; registeredAtLogIndex: number }[]> => {
    const res = await fetch(`${node.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${node.tokens.fsa}` },
      body: JSON.stringify({ query: `{ chainStatus(consortium: "${DEMO_CONSORTIUM_ID}") { ... on ChainStatus { finality { nodes { orgId url ordering registeredAtLogIndex } } } } }` }),
    });
    const body = (await res.json()) as { data?: { chainStatus: { finality: { nodes: { orgId: string; url: string; ordering: string; registeredAtLogIndex: number }[] } } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    return body.data!.chainStatus.finality.nodes;
  };

  it('proposes the node endpoint; it applies once a quorum of authorities approved it, and chainStatus lists the URL', async () => {
    const proposed = await registerNode('meadow-farm', ['--node-url', 'https://node.meadow.example', '--nats-user', 'meadow-node', '--reason', 'our node', '--wait']);
    expect(proposed.stderr).toBe('');
    expect(proposed.exitCode).toBe(0);
    const [status, kind, proposalHash] = proposed.stdout.trim().split(' ');
    expect([status, kind]).toEqual(['accepted', 'governance.proposal']);
    expect(proposalHash).toMatch(/^[0-9a-f]{64}$/);
    // A member's proposal is no approval: 3 of the 4 demo authorities must approve.
    expect(await registeredNodes()).toEqual([]);
    for (const authority of ['fsa', 'hmrc']) {
      expect((await runCliCaptured(['approve', ...common(authority), '--proposal', proposalHash!, '--wait'])).exitCode).toBe(0);
      expect(await registeredNodes()).toEqual([]);
    }
    expect((await runCliCaptured(['approve', ...common('riverside-retail'), '--proposal', proposalHash!, '--wait'])).exitCode).toBe(0);
    const nodes = await registeredNodes();
    expect(nodes).toMatchObject([{ orgId: 'meadow-farm', url: 'https://node.meadow.example', ordering: 'natsUser:meadow-node' }]);
    expect(nodes[0]!.registeredAtLogIndex).toBeGreaterThan(0);
  }, 60_000);

  it('takes an http URL of a loopback host, and an NKey identity', async () => {
    const nkey = `U${'A'.repeat(55)}`;
    const proposed = await registerNode('highfield-farm', ['--node-url', 'http://127.0.0.1:4100', '--nkey', nkey]);
    expect(proposed.stderr).toBe('');
    expect(proposed.exitCode).toBe(0);
    expect(proposed.stdout).toMatch(/^accepted governance\.proposal [0-9a-f]{64}\n$/);
  }, 60_000);

  it.each([
    ['not a URL', ['--node-url', 'node.meadow.example', '--nats-user', 'u'], /--node-url is not an absolute URL/],
    ['http on a non-loopback host', ['--node-url', 'http://node.meadow.example', '--nats-user', 'u'], /--node-url must use https \(http only for a loopback host\)/],
    ['a trailing "/"', ['--node-url', 'https://node.meadow.example/', '--nats-user', 'u'], /--node-url must be written as "https:\/\/node\.meadow\.example"/],
    ['a query', ['--node-url', 'https://node.meadow.example?x=1', '--nats-user', 'u'], /--node-url must not carry user info, a query or a fragment/],
    ['no ordering identity', ['--node-url', 'https://node.meadow.example'], /give exactly one of --nats-user and --nkey/],
    ['two ordering identities', ['--node-url', 'https://node.meadow.example', '--nats-user', 'u', '--nkey', `U${'A'.repeat(55)}`], /give exactly one of --nats-user and --nkey/],
    ['a NATS user name with a space', ['--node-url', 'https://node.meadow.example', '--nats-user', 'my node'], /--nats-user: ordering\.natsUser must be 1 to 64 letters/],
    ['an NKey that is not a user public key', ['--node-url', 'https://node.meadow.example', '--nkey', 'SUAAAA'], /--nkey: ordering\.nkey must be a NATS user public key/],
  ])('refuses %s with exit code 2 and one line, before sending anything', async (_what, rest, message) => {
    const refused = await registerNode('meadow-farm', rest, NOWHERE);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(message);
    expect(refused.stderr).not.toMatch(/could not reach/);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stdout).toBe('');
  });

  it('refuses a missing or unreadable key with exit code 2', async () => {
    const missing = await runCliCaptured(['register-node', '--consortium', DEMO_CONSORTIUM_ID, '--url', NOWHERE, '--org', 'meadow-farm', '--node-url', 'https://node.meadow.example', '--nats-user', 'u']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/required option '--key <file>' not specified/);
    const unreadable = await runCliCaptured(['register-node', '--consortium', DEMO_CONSORTIUM_ID, '--key', path.join(node.dataDir, 'no-such.key.json'), '--url', NOWHERE, '--org', 'meadow-farm', '--node-url', 'https://node.meadow.example', '--nats-user', 'u']);
    expect(unreadable.exitCode).toBe(2);
    expect(unreadable.stderr).toMatch(/cannot read the key file --key ".*no-such\.key\.json": no such file/);
  });

  it("exits 1 with the node's code when admission refuses the change: a URL another organisation registered", async () => {
    const refused = await registerNode('highfield-farm', ['--node-url', 'https://node.meadow.example', '--nats-user', 'highfield-node']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/INVALID_CHANGE/);
    expect(refused.stderr).toMatch(/node URL https:\/\/node\.meadow\.example is registered to org "meadow-farm"/);
    expect(refused.stderr).not.toMatch(/at .*\.ts:\d+/);
  }, 60_000);

  it('refuses an unreachable node with exit code 2, naming the URL', async () => {
    const refused = await registerNode('meadow-farm', ['--node-url', 'https://node2.meadow.example', '--nats-user', 'meadow-node'], NOWHERE);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain(`could not reach ${NOWHERE}/consortia/${DEMO_CONSORTIUM_ID}/records`);
  });
});
