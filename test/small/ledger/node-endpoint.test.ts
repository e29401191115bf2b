import { describe, expect, it } from 'vitest';
import { RecordKind, verifyChain } from '../../../src/core/ledger/index.js';
import { describeChange, parseMembershipChange } from '../../../src/core/ledger/membership.js';
import { validateChange } from '../../../src/core/ledger/membership-change.js';
import { isValidPeerRequest, parsePeerHeader, signPeerRequest } from '../../../src/core/ledger/peer-request.js';
import { nodesOf } from '../../../src/services/node/chain-peers.js';
import { peerNodesOf } from '../../../src/services/node/peer-catch-up.js';
import { DemoChain, expectRejected } from './demo-consortium.js';

const NKEY = `U${'A'.repeat(55)}`;
const change = (over: Record<string, unknown> = {}) => ({ type: 'node.endpoint', orgId: 'hmrc', url: 'https://node.hmrc.example/provenant', ordering: { natsUser: 'hmrc-node' }, ...over });

describe('the node.endpoint membership change', () => {
  it('accepts an https URL (or http on a loopback host) and a NATS user or NKey public key', () => {
    expect(parseMembershipChange(change())).toEqual(change());
    expect(parseMembershipChange(change({ url: 'http://127.0.0.1:4100' }))).toMatchObject({ url: 'http://127.0.0.1:4100' });
    expect(parseMembershipChange(change({ url: 'http://localhost:4100' }))).toMatchObject({ url: 'http://localhost:4100' });
    expect(parseMembershipChange(change({ ordering: { nkey: NKEY } }))).toMatchObject({ ordering: { nkey: NKEY } });
    expect(describeChange(parseMembershipChange(change()))).toBe('node.endpoint hmrc at https://node.hmrc.example/provenant (natsUser:hmrc-node)');
  });

  it.each([
    ['plain http to a public host', { url: 'http://node.hmrc.example' }, /https/],
    ['a trailing slash', { url: 'https://node.hmrc.example/' }, /written as "https:\/\/node.hmrc.example"/],
    ['a query', { url: 'https://node.hmrc.example/x?a=1' }, /query/],
    ['user info', { url: 'https://u:p@node.hmrc.example' }, /user info/],
    ['an upper-case host', { url: 'https://Node.HMRC.example' }, /written as/],
    ['a default port spelled out', { url: 'https://node.hmrc.example:443' }, /written as/],
    ['another scheme', { url: 'ftp://node.hmrc.example' }, /https/],
    ['no URL at all', { url: 'node.hmrc.example' }, /absolute URL/],
    ['both identities', { ordering: { natsUser: 'a', nkey: NKEY } }, /exactly one/],
    ['a secret-looking identity', { ordering: { nkey: `S${'A'.repeat(55)}` } }, /public key/],
    ['a password beside the user', { ordering: { natsUser: 'a', password: 'x' } }, /unexpected field "password"/],
    ['a bad user name', { ordering: { natsUser: 'a b' } }, /natsUser/],
    ['an extra field', { port: 1 }, /unexpected field "port"/],
  ])('refuses %s', (_what, over, message) => {
    expect(() => parseMembershipChange(change(over))).toThrow(message);
  });

  it('is applied by quorum like any membership change, replaces an earlier registration, and survives a state copy', () => {
    const demo = new DemoChain();
    const proposal = demo.propose('hmrc', parseMembershipChange(change()));
    expect(demo.state.orgs.get('hmrc')!.node).toBeUndefined();
    demo.approve('fsa', proposal.recordHash);
    expect(demo.state.orgs.get('hmrc')!.node).toBeUndefined();
    const applied = demo.approve('green-farm', proposal.recordHash);
    expect(applied.effects.join('\n')).toMatch(/change applied: node.endpoint hmrc/);
    expect(demo.state.orgs.get('hmrc')!.node).toEqual({ url: 'https://node.hmrc.example/provenant', ordering: { natsUser: 'hmrc-node' }, fromLogIndex: applied.logIndex });
    demo.govern(parseMembershipChange(change({ url: 'https://node2.hmrc.example' })));
    expect(demo.state.clone().orgs.get('hmrc')!.node!.url).toBe('https://node2.hmrc.example');
  });

  it('refuses a URL or ordering identity another organisation registered, and an unknown organisation', () => {
    const demo = new DemoChain();
    demo.govern(parseMembershipChange(change()));
    expect(() => validateChange(demo.state, parseMembershipChange(change({ orgId: 'fsa', ordering: { natsUser: 'fsa-node' } })))).toThrow(/registered to org "hmrc"/);
    expect(() => validateChange(demo.state, parseMembershipChange(change({ orgId: 'fsa', url: 'https://fsa.example' })))).toThrow(/ordering identity natsUser:hmrc-node is registered to org "hmrc"/);
    expect(() => validateChange(demo.state, parseMembershipChange(change({ orgId: 'nobody' })))).toThrow(/unknown org/);
    expectRejected(demo.state, demo.sign('fsa', RecordKind.PROPOSAL, { change: change({ orgId: 'fsa', ordering: { natsUser: 'fsa-node' } }) }), 'INVALID_CHANGE', /registered to org "hmrc"/);
  });

  it('a chain holding the change verifies from genesis, and its other records keep their hashes', async () => {
    const demo = new DemoChain();
    demo.event('green-farm', 2);
    demo.seal();
    const before = demo.blocks.map((b) => b.records.map((r) => r.storedHash));
    demo.govern(parseMembershipChange(change()));
    demo.seal();
    const report = await verifyChain(demo.blocks);
    expect(report.failures).toEqual([]);
    expect(report.finalState!.orgs.get('hmrc')!.node!.url).toBe('https://node.hmrc.example/provenant');
    expect(demo.blocks.slice(0, before.length).map((b) => b.records.map((r) => r.storedHash))).toEqual(before);
  });
});

describe('signed peer requests', () => {
  it('verify under the signing key only for the request signed', () => {
    const demo = new DemoChain();
    const key = demo.key('fsa');
    const request = { consortium: 'uk-food-chain', fromHeight: 5, limit: 50, at: '2026-12-07T18:00:00.000Z' };
    const header = parsePeerHeader(signPeerRequest(request, key))!;
    expect(header).toMatchObject({ keyId: key.keyId, at: request.at });
    expect(isValidPeerRequest(request, header, key.publicKey)).toBe(true);
    expect(isValidPeerRequest({ ...request, fromHeight: 4 }, header, key.publicKey)).toBe(false);
    expect(isValidPeerRequest(request, { ...header, at: '2026-12-07T18:00:01.000Z' }, key.publicKey)).toBe(false);
    expect(isValidPeerRequest(request, header, demo.key('hmrc').publicKey)).toBe(false);
    expect(parsePeerHeader('not a header')).toBeUndefined();
    expect(parsePeerHeader(undefined)).toBeUndefined();
  });
});

describe('peers from the registered nodes', () => {
  it('lists active members with a node, by org id, leaving out this node\'s own and removed organisations', () => {
    const demo = new DemoChain();
    demo.govern(parseMembershipChange(change()));
    demo.govern(parseMembershipChange(change({ orgId: 'acme-abattoir', url: 'https://acme.example', ordering: { nkey: NKEY } })));
    demo.govern(parseMembershipChange(change({ orgId: 'big-retail', url: 'https://retail.example', ordering: { natsUser: 'retail-node' } })));
    demo.govern({ type: 'org.remove', orgId: 'acme-abattoir' });
    expect(peerNodesOf(demo.state, new Set(['big-retail']))).toEqual([{ orgId: 'hmrc', url: 'https://node.hmrc.example/provenant' }]);
    const views = nodesOf(demo.state, new Set([demo.key('hmrc').keyId]));
    expect(views.map((v) => [v.orgId, v.ordering, v.local])).toEqual([
      ['big-retail', 'natsUser:retail-node', false],
      ['hmrc', 'natsUser:hmrc-node', true],
    ]);
  });
});
