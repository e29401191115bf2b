import { describe, expect, it } from 'vitest';
import { encodePublicKey, generateKeyPair, type KeyPair } from '../../../src/core/crypto/index.js';
import {
  ConsortiumState,
  RecordKind,
  admitRecord,
  createGenesisBlock,
  signRecord,
  verifyChain,
  type MembershipChange,
  type SignedRecord,
} from '../../../src/core/ledger/index.js';
import { CONSORTIUM, DemoChain, expectRejected, fingerprint, nextTimestamp, windowPayload } from './demo-consortium.js';

function newOrgChange(demo: DemoChain, id: string, key: KeyPair = demo.newKey()): MembershipChange {
  return { type: 'org.add', org: { id, name: `Org ${id}`, roles: ['PROCESSOR'], keys: [encodePublicKey(key.publicKey)], identifiers: {} } };
}

describe('governance needs a quorum of authority organisations', () => {
  it('a change without a quorum has no effect; with quorum it applies immediately', () => {
    const demo = new DemoChain();
    const key = demo.newKey();
    const proposal = demo.propose('fsa', newOrgChange(demo, 'new-proc', key));
    expect(proposal.effects.join('\n')).toMatch(/approved by fsa \(1\/3\)/);
    expect(demo.state.orgs.has('new-proc')).toBe(false);
    expectRejected(demo.state, demo.sign(key, RecordKind.EPCIS_EVENT, {}), 'UNKNOWN_SIGNER');
    demo.approve('hmrc', proposal.recordHash);
    expect(demo.state.orgs.has('new-proc')).toBe(false);
    const third = demo.approve('big-retail', proposal.recordHash);
    expect(third.effects).toEqual([expect.stringMatching(/approved by big-retail \(3\/3\)/), expect.stringMatching(/change applied: org.add new-proc/)]);
    expect(demo.state.orgs.get('new-proc')!.status).toBe('active');
    expect(demo.state.proposals.get(proposal.recordHash)!.status).toBe('applied');
    expect(demo.submit(demo.sign(key, RecordKind.EPCIS_EVENT, {})).signer).toMatchObject({ type: 'org', org: { id: 'new-proc' } });
  });

  it('a non-authority may propose, but its proposal is not an approval', () => {
    const demo = new DemoChain();
    const proposal = demo.propose('acme-abattoir', { type: 'role.grant', orgId: 'acme-abattoir', role: 'HAULIER' });
    expect(demo.state.proposals.get(proposal.recordHash)!.approvals.size).toBe(0);
    for (const a of ['fsa', 'hmrc']) demo.approve(a, proposal.recordHash);
    expect(demo.state.hasRole('acme-abattoir', 'HAULIER')).toBe(false);
    demo.approve('green-farm', proposal.recordHash);
    expect(demo.state.hasRole('acme-abattoir', 'HAULIER')).toBe(true);
  });

  it('rejects an approval by a non-authority, a duplicate approval, and an unknown or applied proposal', () => {
    const demo = new DemoChain();
    const proposal = demo.propose('fsa', { type: 'role.grant', orgId: 'swift-haulage', role: 'CARRIER' }).recordHash;
    expectRejected(demo.state, demo.sign('acme-abattoir', RecordKind.APPROVAL, { proposal }), 'NOT_AN_AUTHORITY', /acme-abattoir/);
    expectRejected(demo.state, demo.sign('fsa', RecordKind.APPROVAL, { proposal }), 'DUPLICATE_APPROVAL');
    demo.approve('hmrc', proposal);
    expectRejected(demo.state, demo.sign('hmrc', RecordKind.APPROVAL, { proposal }), 'DUPLICATE_APPROVAL');
    expectRejected(demo.state, demo.sign('hmrc', RecordKind.APPROVAL, { proposal: 'ab'.repeat(32) }), 'UNKNOWN_PROPOSAL');
    demo.approve('green-farm', proposal);
    expectRejected(demo.state, demo.sign('big-retail', RecordKind.APPROVAL, { proposal }), 'UNKNOWN_PROPOSAL', /already applied/);
    expectRejected(demo.state, demo.sign('hmrc', RecordKind.APPROVAL, { proposal, extra: 1 }), 'MALFORMED_RECORD');
  });

  it('validates changes against the current state with clear messages', () => {
    const demo = new DemoChain();
    const farmKey = demo.key('green-farm');
    const cases: [MembershipChange, RegExp][] = [
      [{ type: 'org.remove', orgId: 'no-such-org' }, /unknown org "no-such-org"/],
      [newOrgChange(demo, 'hmrc'), /duplicate org id "hmrc"/],
      [{ type: 'role.grant', orgId: 'green-farm', role: 'FARM' }, /already holds role FARM/],
      [{ type: 'role.revoke', orgId: 'green-farm', role: 'PORT' }, /does not hold role PORT/],
      [{ type: 'key.revoke', orgId: 'green-farm', keyId: 'ab'.repeat(32) }, /unknown key/],
      [{ type: 'key.revoke', orgId: 'swift-haulage', keyId: farmKey.keyId }, /belongs to org "green-farm", not "swift-haulage"/],
      [{ type: 'key.add', orgId: 'swift-haulage', publicKey: encodePublicKey(farmKey.publicKey) }, /already registered/],
      [{ type: 'authority.add', orgId: 'green-farm', keyId: farmKey.keyId }, /already an authority/],
      [{ type: 'authority.remove', keyId: demo.key('acme-abattoir').keyId }, /not an authority/],
      [
        { type: 'org.add', org: { id: 'copycat', name: 'Copycat', roles: ['FARM'], keys: [encodePublicKey(generateKeyPair().publicKey)], identifiers: { gln: ['5012345000017'] } } },
        /identifier gln 5012345000017 already belongs to org "green-farm"/,
      ],
      [{ type: 'role.grant', orgId: 'green-farm', role: 'WIZARD' as never }, /unknown role "WIZARD"/],
      [{ type: 'org.nuke' } as never, /unknown change type/],
    ];
    for (const [change, message] of cases) expectRejected(demo.state, demo.sign('fsa', RecordKind.PROPOSAL, { change }), 'INVALID_CHANGE', message);
  });

  it('refuses to remove the last authority', () => {
    const key = generateKeyPair();
    const genesis = createGenesisBlock(
      { consortiumId: 'solo-chain', name: 'Solo', members: [{ id: 'solo', name: 'Solo', roles: ['REGULATOR'], keys: [encodePublicKey(key.publicKey)], identifiers: {} }], authorities: [{ orgId: 'solo', keyId: key.keyId }] },
      [key],
      nextTimestamp(),
    );
    const state = ConsortiumState.fromGenesis(genesis);
    const sign = (change: MembershipChange) => signRecordFor('solo-chain', key, RecordKind.PROPOSAL, { change });
    expectRejected(state, sign({ type: 'authority.remove', keyId: key.keyId }), 'INVALID_CHANGE', /last authority/);
    expectRejected(state, sign({ type: 'org.remove', orgId: 'solo' }), 'INVALID_CHANGE', /last authority/);
    expectRejected(state, sign({ type: 'key.revoke', orgId: 'solo', keyId: key.keyId }), 'INVALID_CHANGE', /last authority/);
    // With one authority, its own proposal is the quorum.
    const result = admitRecord(state, sign({ type: 'role.grant', orgId: 'solo', role: 'CUSTOMS' }));
    expect(result.effects).toContainEqual(expect.stringMatching(/change applied: role.grant CUSTOMS to solo/));
  });

  it('a proposal that became invalid cannot be approved', () => {
    const demo = new DemoChain();
    const first = demo.propose('fsa', { type: 'role.grant', orgId: 'swift-haulage', role: 'CARRIER' }).recordHash;
    const second = demo.propose('hmrc', { type: 'role.grant', orgId: 'swift-haulage', role: 'CARRIER' }).recordHash;
    demo.approve('hmrc', first);
    demo.approve('green-farm', first);
    expect(demo.state.hasRole('swift-haulage', 'CARRIER')).toBe(true);
    expectRejected(demo.state, demo.sign('fsa', RecordKind.APPROVAL, { proposal: second }), 'INVALID_CHANGE', /can no longer be applied: .*already holds role CARRIER/);
  });

  it('org removal: its keys and devices stop signing and its identifiers are freed', () => {
    const demo = new DemoChain();
    const device = demo.newKey('p256');
    demo.submit(demo.sign('swift-haulage', RecordKind.DEVICE_REGISTER, { deviceId: 'truck-7', publicKey: encodePublicKey(device.publicKey) }));
    expect(demo.state.orgByIdentifier('gln', '5012345000017')!.id).toBe('green-farm');
    demo.govern({ type: 'org.remove', orgId: 'swift-haulage' });
    expectRejected(demo.state, demo.sign('swift-haulage', RecordKind.EPCIS_EVENT, {}), 'SIGNER_NOT_ACTIVE', /removed/);
    expectRejected(demo.state, demo.sign(device, RecordKind.SENSOR_WINDOW, {}), 'SIGNER_NOT_ACTIVE');
    expect(demo.state.hasRole('swift-haulage', 'HAULIER')).toBe(false);
    expectRejected(demo.state, demo.sign('fsa', RecordKind.PROPOSAL, { change: newOrgChange(demo, 'swift-haulage') }), 'INVALID_CHANGE', /duplicate org id/);
  });
});

describe('keys', () => {
  it('a revoked key cannot sign, and the chain with its earlier records still verifies', async () => {
    const demo = new DemoChain();
    const old = demo.key('swift-haulage');
    demo.event('swift-haulage', 2);
    demo.seal();
    demo.govern({ type: 'key.revoke', orgId: 'swift-haulage', keyId: old.keyId });
    const err = expectRejected(demo.state, demo.sign(old, RecordKind.EPCIS_EVENT, {}), 'SIGNER_REVOKED', /revoked at log index/);
    expect(err.details.endedAtLogIndex).toBe(demo.state.keys.get(old.keyId)!.endedAtLogIndex);
    demo.seal();
    const report = await verifyChain(demo.blocks);
    expect(report.ok).toBe(true);
    expect(report.finalState!.keys.get(old.keyId)!.status).toBe('revoked');
  });

  it('rotation: old records stay valid, the new key works, the old key is rejected', async () => {
    const demo = new DemoChain();
    const old = demo.key('acme-abattoir');
    demo.event('acme-abattoir');
    demo.seal();
    const fresh = demo.newKey();
    demo.govern({ type: 'key.rotate', orgId: 'acme-abattoir', oldKeyId: old.keyId, newPublicKey: encodePublicKey(fresh.publicKey) });
    expect(demo.state.keys.get(old.keyId)!.status).toBe('rotated');
    expectRejected(demo.state, demo.sign(old, RecordKind.EPCIS_EVENT, {}), 'SIGNER_NOT_ACTIVE', /rotated/);
    expect(demo.submit(demo.sign(fresh, RecordKind.EPCIS_EVENT, {})).signer).toMatchObject({ type: 'org', org: { id: 'acme-abattoir' } });
    demo.seal();
    expect((await verifyChain(demo.blocks)).ok).toBe(true);
  });

  it("rotating an authority's key moves its authority entry at the next block", async () => {
    const demo = new DemoChain();
    const old = demo.key('hmrc');
    const fresh = demo.newKey();
    demo.govern({ type: 'key.rotate', orgId: 'hmrc', oldKeyId: old.keyId, newPublicKey: encodePublicKey(fresh.publicKey) });
    expect(demo.state.isAuthorityKey(old.keyId)).toBe(true); // still in force for the open block
    demo.seal();
    expect(demo.state.isAuthorityKey(old.keyId)).toBe(false);
    expect(demo.state.isAuthorityKey(fresh.keyId)).toBe(true);
    demo.keys.set('hmrc', fresh);
    demo.event('hmrc');
    demo.seal();
    expect((await verifyChain(demo.blocks)).ok).toBe(true);
  });

  it('authority removal takes effect at the next block', () => {
    const demo = new DemoChain();
    const retail = demo.key('big-retail');
    demo.govern({ type: 'authority.remove', keyId: retail.keyId });
    expect(demo.state.isAuthorityKey(retail.keyId)).toBe(true);
    expect(demo.state.pendingAuthoritySetHash()).not.toBe(demo.state.authoritySetHash());
    demo.seal();
    expect(demo.state.isAuthorityKey(retail.keyId)).toBe(false);
    expect(demo.state.requiredQuorum()).toBe(3); // strictly more than 2/3 of 3
    expectRejected(demo.state, demo.sign('big-retail', RecordKind.APPROVAL, { proposal: 'ab'.repeat(32) }), 'NOT_AN_AUTHORITY');
  });
});

describe('devices', () => {
  it('register and revoke by the owner; a device may only sign sensor windows', () => {
    const demo = new DemoChain();
    const device = demo.newKey('p256');
    const reg = demo.submit(demo.sign('green-farm', RecordKind.DEVICE_REGISTER, { deviceId: 'probe-9', publicKey: encodePublicKey(device.publicKey), kind: 'sensor', attributes: { site: 'barn' } }));
    expect(reg.effects).toEqual(['device probe-9 registered to green-farm']);
    expect(demo.state.devices.get('probe-9')).toMatchObject({ orgId: 'green-farm', status: 'active', attributes: { site: 'barn' } });
    expect(demo.submit(demo.sign(device, RecordKind.SENSOR_WINDOW, windowPayload('probe-9'))).signer).toMatchObject({ type: 'device', device: { deviceId: 'probe-9' } });
    expectRejected(demo.state, demo.sign(device, RecordKind.EPCIS_EVENT, {}), 'NOT_AUTHORISED', /only sign sensor.window/);
    expectRejected(demo.state, demo.sign(device, RecordKind.DEVICE_REVOKE, { deviceId: 'probe-9' }), 'NOT_AUTHORISED');
    expectRejected(
      demo.state,
      demo.sign('green-farm', RecordKind.DEVICE_REGISTER, { deviceId: 'probe-9', publicKey: encodePublicKey(demo.newKey('p256').publicKey) }),
      'INVALID_CHANGE',
      /already registered and active/,
    );
    expectRejected(demo.state, demo.sign('swift-haulage', RecordKind.DEVICE_REVOKE, { deviceId: 'probe-9' }), 'NOT_AUTHORISED', /owner "green-farm" or an authority/);
    demo.submit(demo.sign('green-farm', RecordKind.DEVICE_REVOKE, { deviceId: 'probe-9', reason: 'lost' }));
    expectRejected(demo.state, demo.sign(device, RecordKind.SENSOR_WINDOW, {}), 'DEVICE_REVOKED');
    expectRejected(demo.state, demo.sign('green-farm', RecordKind.DEVICE_REVOKE, { deviceId: 'probe-9' }), 'DEVICE_REVOKED', /already revoked/);
    expectRejected(demo.state, demo.sign('green-farm', RecordKind.DEVICE_REVOKE, { deviceId: 'nope' }), 'UNKNOWN_DEVICE');
    // Re-registration of the revoked id by its owner with a new key; the old key stays revoked.
    const replacement = demo.newKey('p256');
    demo.submit(demo.sign('green-farm', RecordKind.DEVICE_REGISTER, { deviceId: 'probe-9', publicKey: encodePublicKey(replacement.publicKey) }));
    demo.submit(demo.sign(replacement, RecordKind.SENSOR_WINDOW, windowPayload('probe-9')));
    expectRejected(demo.state, demo.sign(device, RecordKind.SENSOR_WINDOW, {}), 'DEVICE_REVOKED');
    expectRejected(
      demo.state,
      demo.sign('green-farm', RecordKind.DEVICE_REGISTER, { deviceId: 'probe-10', publicKey: encodePublicKey(device.publicKey) }),
      'INVALID_CHANGE',
      /already registered/,
    );
  });

  it('any authority may revoke a device of another org', () => {
    const demo = new DemoChain();
    const device = demo.newKey('ed25519');
    demo.submit(demo.sign('swift-haulage', RecordKind.DEVICE_REGISTER, { deviceId: 'truck-1', publicKey: encodePublicKey(device.publicKey) }));
    const result = demo.submit(demo.sign('fsa', RecordKind.DEVICE_REVOKE, { deviceId: 'truck-1', reason: 'tampering' }));
    expect(result.effects).toEqual(['device truck-1 revoked by fsa']);
    expect(demo.state.devices.get('truck-1')!.status).toBe('revoked');
  });
});

describe('state helpers', () => {
  it('clone() is independent: a what-if on the clone leaves the original untouched', () => {
    const demo = new DemoChain();
    const before = fingerprint(demo.state);
    const copy = demo.state.clone();
    admitRecord(copy, demo.sign('fsa', RecordKind.PROPOSAL, { change: { type: 'role.grant', orgId: 'green-farm', role: 'PORT' } }));
    admitRecord(copy, demo.sign('hmrc', RecordKind.APPROVAL, { proposal: [...copy.proposals.keys()][0]! }));
    admitRecord(copy, demo.sign('big-retail', RecordKind.APPROVAL, { proposal: [...copy.proposals.keys()][0]! }));
    expect(copy.hasRole('green-farm', 'PORT')).toBe(true);
    expect(demo.state.hasRole('green-farm', 'PORT')).toBe(false);
    expect(fingerprint(demo.state)).toBe(before);
  });

  it('lookups: orgOfKey, hasRole, isAuthorityKey, resolveSigner, orgByIdentifier', () => {
    const demo = new DemoChain();
    expect(demo.state.orgOfKey(demo.key('hmrc').keyId)!.id).toBe('hmrc');
    expect(demo.state.hasRole('acme-abattoir', 'PROCESSOR')).toBe(true);
    expect(demo.state.isAuthorityKey(demo.key('hmrc').keyId)).toBe(true);
    expect(demo.state.isAuthorityKey(demo.key('acme-abattoir').keyId)).toBe(false);
    expect(demo.state.resolveSigner('ab'.repeat(32))).toBeUndefined();
    expect(demo.state.orgByIdentifier('fsaApproval', 'UK 1234 EC')!.id).toBe('acme-abattoir');
    expect(demo.state.id).toBe(CONSORTIUM);
  });
});

function signRecordFor(consortium: string, key: KeyPair, kind: RecordKind, payload: unknown): SignedRecord {
  return signRecord({ consortium, kind, payload: payload as never, signedAt: nextTimestamp() }, key);
}
