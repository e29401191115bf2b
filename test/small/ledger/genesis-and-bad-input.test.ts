import { describe, expect, it } from 'vitest';
import { encodePublicKey, encodeSignature, generateKeyPair, sign, toBase64Url, type KeyPair } from '../../../src/core/crypto/index.js';
import {
  ConsortiumState,
  GENESIS_PREVIOUS_HASH,
  LedgerError,
  RecordKind,
  blockHash,
  buildBlockHeader,
  createGenesisBlock,
  quorumSize,
  recordHash,
  signRecord,
  verifyChain,
  type Block,
  type GenesisSpec,
  type OrgSpec,
} from '../../../src/core/ledger/index.js';
import { CONSORTIUM, DemoChain, expectRejected, nextTimestamp } from './demo-consortium.js';

function catchLedger(fn: () => unknown): LedgerError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LedgerError);
    return err as LedgerError;
  }
  throw new Error('expected a LedgerError');
}

function org(id: string, key: KeyPair, extra: Partial<OrgSpec> = {}): OrgSpec {
  return { id, name: id.toUpperCase(), roles: ['REGULATOR'], keys: [encodePublicKey(key.publicKey)], identifiers: {}, ...extra };
}

function threeAuthorities(): { spec: GenesisSpec; keys: KeyPair[] } {
  const keys = [generateKeyPair(), generateKeyPair('p256'), generateKeyPair()];
  const ids = ['auth-a', 'auth-b', 'auth-c'];
  return {
    spec: { consortiumId: 'test-chain', name: 'Test', members: ids.map((id, i) => org(id, keys[i]!)), authorities: ids.map((id, i) => ({ orgId: id, keyId: keys[i]!.keyId })) },
    keys,
  };
}

describe('genesis', () => {
  it('creates and validates a genesis block', () => {
    const { spec, keys } = threeAuthorities();
    const block = createGenesisBlock(spec, keys, nextTimestamp());
    expect(block.header).toMatchObject({ height: 0, previousHash: GENESIS_PREVIOUS_HASH, recordCount: 1, logSize: 1, consortium: 'test-chain' });
    expect(block.seals).toHaveLength(3);
    const state = ConsortiumState.fromGenesis(block);
    expect(state).toMatchObject({ id: 'test-chain', name: 'Test', height: 0, logSize: 1, headHash: blockHash(block.header) });
    expect(state.quorum).toEqual({ numerator: 2, denominator: 3 });
    expect(state.requiredQuorum()).toBe(quorumSize(3, state.quorum));
    expect(state.authoritySetHash()).toBe(block.header.authoritySetHash);
    expect(state.orgs.get('auth-b')!.roles).toEqual(new Set(['REGULATOR']));
  });

  it('rejects invalid genesis payloads with typed errors naming the problem', () => {
    const { spec, keys } = threeAuthorities();
    const ts = nextTimestamp();
    const bad: [Partial<GenesisSpec>, string, RegExp][] = [
      [{ members: [] }, 'INVALID_GENESIS', /members must be a non-empty array/],
      [{ members: [...spec.members, spec.members[0]!] }, 'INVALID_GENESIS', /duplicate org id "auth-a"/],
      [{ members: [spec.members[0]!, { ...spec.members[1]!, keys: ['ed25519:not-a-key!'] }, spec.members[2]!] }, 'INVALID_GENESIS', /members\[1\]\.keys\[0\]: public key is not valid unpadded base64url/],
      [{ members: [spec.members[0]!, { ...spec.members[1]!, keys: ['rsa:AAAA'] }, spec.members[2]!] }, 'INVALID_GENESIS', /unsupported key algorithm "rsa"/],
      [{ members: [spec.members[0]!, { ...spec.members[1]!, keys: [`ed25519:${toBase64Url(new Uint8Array(31))}`] }, spec.members[2]!] }, 'INVALID_GENESIS', /length 31, expected 32/],
      [{ members: [spec.members[0]!, { ...spec.members[1]!, roles: ['KING' as never] }, spec.members[2]!] }, 'INVALID_GENESIS', /unknown role "KING"/],
      [{ members: [spec.members[0]!, { ...spec.members[1]!, id: 'Bad Id' }, spec.members[2]!] }, 'INVALID_GENESIS', /slug/],
      [{ authorities: [{ orgId: 'auth-a', keyId: keys[1]!.keyId }] }, 'INVALID_GENESIS', /belongs to org "auth-b", not "auth-a"/],
      [{ authorities: [{ orgId: 'nobody', keyId: keys[0]!.keyId }] }, 'INVALID_GENESIS', /unknown org "nobody"/],
      [{ authorities: [...spec.authorities, spec.authorities[0]!] }, 'INVALID_GENESIS', /already an authority/],
      [{ quorum: { numerator: 1, denominator: 3 } }, 'INVALID_GENESIS', /1\/2 <= numerator\/denominator < 1/],
      [{ quorum: { numerator: 3, denominator: 3 } }, 'INVALID_GENESIS', /numerator\/denominator/],
      [{ consortiumId: 'Not A Slug' }, 'MALFORMED_RECORD', /consortium must be a lower-case slug/],
    ];
    for (const [override, code, message] of bad) {
      const err = catchLedger(() => createGenesisBlock({ ...spec, ...override }, keys, ts));
      expect([err.code, err.message]).toEqual([code, expect.stringMatching(message)]);
    }
  });

  it('rejects a genesis without a quorum of seals, signed by a non-authority, or with a bad header', () => {
    const { spec, keys } = threeAuthorities();
    expect(catchLedger(() => createGenesisBlock(spec, keys.slice(0, 2), nextTimestamp())).code).toBe('NO_QUORUM');
    const good = createGenesisBlock(spec, keys, nextTimestamp());
    const outsider = generateKeyPair();
    const foreign = signRecord({ consortium: 'test-chain', kind: RecordKind.GENESIS, payload: good.records[0]!.payload, signedAt: nextTimestamp() }, outsider);
    expect(catchLedger(() => ConsortiumState.fromGenesisRecord(foreign)).code).toBe('NOT_AN_AUTHORITY');
    const variants: [(b: Block) => Block, string][] = [
      [(b) => ({ ...b, records: [...b.records, b.records[0]!] }), 'MALFORMED_BLOCK'],
      [(b) => ({ ...b, header: { ...b.header, previousHash: 'ab'.repeat(32) } }), 'BROKEN_HASH_LINK'],
      [(b) => ({ ...b, header: { ...b.header, merkleRoot: 'ab'.repeat(32) } }), 'MERKLE_ROOT_MISMATCH'],
      [(b) => ({ ...b, header: { ...b.header, authoritySetHash: 'ab'.repeat(32) } }), 'AUTHORITY_SET_MISMATCH'],
      [(b) => ({ ...b, header: { ...b.header, consortium: 'other-chain' } }), 'WRONG_CONSORTIUM'],
      [(b) => ({ ...b, seals: [b.seals[0]!, b.seals[0]!, b.seals[1]!] }), 'BAD_SEAL'],
      [(b) => ({ ...b, seals: b.seals.slice(0, 2) }), 'NO_QUORUM'],
      [(b) => ({ ...b, header: { ...b.header, extra: 1 } as never }), 'MALFORMED_BLOCK'],
    ];
    for (const [mutate, code] of variants) expect(catchLedger(() => ConsortiumState.fromGenesis(mutate(good))).code).toBe(code);
  });

  it('a second genesis is DUPLICATE_GENESIS, live and in the verifier', async () => {
    const demo = new DemoChain();
    const again = demo.genesis.records[0]!;
    // fromGenesis on a genesis-kind record in a block at height > 0
    const later: Block = { ...demo.genesis, header: { ...demo.genesis.header, height: 3 } };
    expect(catchLedger(() => ConsortiumState.fromGenesis(later)).code).toBe('DUPLICATE_GENESIS');
    const fresh = signRecord({ consortium: CONSORTIUM, kind: RecordKind.GENESIS, payload: again.payload, signedAt: nextTimestamp() }, demo.key('fsa'));
    expectRejected(demo.state, fresh, 'DUPLICATE_GENESIS');
    demo.event('hmrc');
    demo.forceQueue(fresh);
    demo.seal();
    const report = await verifyChain(demo.blocks);
    expect(report.failures).toEqual([expect.objectContaining({ height: 1, recordIndex: 1, code: 'DUPLICATE_GENESIS' })]);
  });
});

describe('bad input is a typed LedgerError and leaves the state unchanged', () => {
  it('malformed keys in a proposed OrgSpec', () => {
    const demo = new DemoChain();
    const change = { type: 'org.add', org: { id: 'bad-keys', name: 'Bad', roles: ['FARM'], keys: ['p256:AAAA'], identifiers: {} } };
    expectRejected(demo.state, demo.sign('fsa', RecordKind.PROPOSAL, { change }), 'INVALID_CHANGE', /change\.org\.keys\[0\]: malformed p256 public key/);
    const noKeys = { type: 'org.add', org: { id: 'no-keys', name: 'None', roles: ['FARM'], keys: [], identifiers: {} } };
    expectRejected(demo.state, demo.sign('fsa', RecordKind.PROPOSAL, { change: noKeys }), 'INVALID_CHANGE', /keys must be a non-empty array/);
    expectRejected(demo.state, demo.sign('green-farm', RecordKind.DEVICE_REGISTER, { deviceId: 'x1', publicKey: 'ed25519:' }), 'INVALID_CHANGE', /device publicKey/);
  });

  it('signatures of the wrong length or algorithm, or by another key', () => {
    const demo = new DemoChain();
    const record = demo.sign('green-farm', RecordKind.EPCIS_EVENT, { n: 1 });
    const [alg, b64] = record.signature!.split(':') as [string, string];
    const short = { ...record, signature: `${alg}:${b64.slice(0, 40)}` };
    expectRejected(demo.state, short, 'BAD_SIGNATURE', /must be 64 bytes/);
    const wrongAlg = { ...record, signature: `p256:${b64}` };
    expectRejected(demo.state, wrongAlg, 'BAD_SIGNATURE', /algorithm p256 does not match key algorithm ed25519/);
    const unknownAlg = { ...record, signature: `rsa:${b64}` };
    expectRejected(demo.state, unknownAlg, 'BAD_SIGNATURE', /unsupported signature algorithm/);
    const byOther = { ...record, signature: encodeSignature(sign(demo.key('hmrc').privateKey, new Uint8Array([1, 2, 3]))) };
    expectRejected(demo.state, byOther, 'BAD_SIGNATURE', /does not verify/);
    expectRejected(demo.state, { ...record, signature: 42 } as never, 'MALFORMED_RECORD', /signature is missing/);
  });

  it('unknown consortium, unknown signer, malformed records', () => {
    const demo = new DemoChain();
    const foreign = signRecord({ consortium: 'other-chain', kind: RecordKind.EPCIS_EVENT, payload: {}, signedAt: nextTimestamp() }, demo.key('fsa'));
    expectRejected(demo.state, foreign, 'WRONG_CONSORTIUM', /"other-chain"/);
    expectRejected(demo.state, demo.sign(generateKeyPair(), RecordKind.EPCIS_EVENT, {}), 'UNKNOWN_SIGNER', /not registered/);
    const record = demo.sign('fsa', RecordKind.EPCIS_EVENT, {});
    expectRejected(demo.state, { ...record, extra: true } as never, 'MALFORMED_RECORD', /unexpected field "extra"/);
    expectRejected(demo.state, { ...record, kind: 'made.up' } as never, 'MALFORMED_RECORD', /unknown kind/);
    expectRejected(demo.state, { ...record, signedAt: 'yesterday' } as never, 'MALFORMED_RECORD', /signedAt/);
    expectRejected(demo.state, null as never, 'MALFORMED_RECORD');
    expectRejected(demo.state, demo.sign('fsa', RecordKind.PROPOSAL, { change: { type: 'role.grant', orgId: 'fsa', role: 'FARM' }, extra: 1 }), 'INVALID_CHANGE', /unexpected field "extra"/);
  });

  it('a block at the wrong height, with a broken link, or back in time', () => {
    const demo = new DemoChain();
    const head = { height: 0, hash: demo.blocks[0]!.storedHash };
    const hashes = [recordHash(demo.sign('fsa', RecordKind.EPCIS_EVENT, {}))];
    expect(catchLedger(() => buildBlockHeader(demo.state, { ...head, height: 4 }, hashes, nextTimestamp())).code).toBe('WRONG_HEIGHT');
    expect(catchLedger(() => buildBlockHeader(demo.state, null, hashes, nextTimestamp())).code).toBe('WRONG_HEIGHT');
    expect(catchLedger(() => buildBlockHeader(demo.state, { ...head, hash: 'ab'.repeat(32) }, hashes, nextTimestamp())).code).toBe('BROKEN_HASH_LINK');
    expect(catchLedger(() => buildBlockHeader(demo.state, head, hashes, '2000-01-01T00:00:00.000Z')).code).toBe('TIME_REVERSED');
    expect(catchLedger(() => buildBlockHeader(demo.state, head, hashes, 'now')).code).toBe('MALFORMED_BLOCK');
    expect(buildBlockHeader(demo.state, head, hashes, nextTimestamp()).height).toBe(1);
  });
});
