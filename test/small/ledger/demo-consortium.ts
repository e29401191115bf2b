/** Test helper: a demo consortium whose blocks are built, admitted and sealed purely in memory. */
import { expect } from 'vitest';
import { encodePublicKey, generateKeyPair, type JsonValue, type KeyPair } from '../../../src/core/crypto/index.js';
import {
  ConsortiumState,
  LedgerError,
  RecordKind,
  admitRecord,
  blockHash,
  buildBlockHeader,
  closeBlock,
  createGenesisBlock,
  recordHash,
  sealBlock,
  signRecord,
  type AdmissionResult,
  type Block,
  type BlockHeader,
  type MembershipChange,
  type OrgSpec,
  type Role,
  type SignedRecord,
  type VerifiableBlock,
} from '../../../src/core/ledger/index.js';

export const CONSORTIUM = 'uk-food-chain';

/** Authorities: fsa, hmrc, green-farm, big-retail (quorum 3 of 4). Members only: acme-abattoir, swift-haulage. */
export const DEMO_ORGS: { id: string; name: string; roles: Role[]; authority: boolean; identifiers: OrgSpec['identifiers'] }[] = [
  { id: 'fsa', name: 'Food Standards Agency', roles: ['REGULATOR'], authority: true, identifiers: {} },
  { id: 'hmrc', name: 'HM Revenue & Customs', roles: ['CUSTOMS'], authority: true, identifiers: {} },
  { id: 'green-farm', name: 'Green Farm Ltd', roles: ['FARM'], authority: true, identifiers: { gln: ['5012345000017'], cph: ['12/345/6789'] } },
  { id: 'big-retail', name: 'Big Retail plc', roles: ['RETAILER'], authority: true, identifiers: { gln: ['5098765000019'] } },
  { id: 'acme-abattoir', name: 'Acme Abattoir', roles: ['ABATTOIR', 'PROCESSOR'], authority: false, identifiers: { fsaApproval: ['UK 1234 EC'] } },
  { id: 'swift-haulage', name: 'Swift Haulage', roles: ['HAULIER'], authority: false, identifiers: {} },
];

let clock = Date.parse('2025-03-01T08:00:00.000Z');
export function nextTimestamp(): string {
  clock += 1000;
  return new Date(clock).toISOString();
}

export interface PendingRecord {
  record: SignedRecord;
  hash: string;
  logIndex: number;
}

export class DemoChain {
  readonly keys = new Map<string, KeyPair>(); // orgId -> current signing key
  readonly keyring = new Map<string, KeyPair>(); // keyId -> key pair (every key ever made)
  readonly blocks: VerifiableBlock[] = [];
  state: ConsortiumState;
  genesis: Block;
  pending: PendingRecord[] = [];

  constructor() {
    const members: OrgSpec[] = DEMO_ORGS.map((o) => {
      const key = this.newKey();
      this.keys.set(o.id, key);
      return { id: o.id, name: o.name, roles: o.roles, keys: [encodePublicKey(key.publicKey)], identifiers: o.identifiers };
    });
    const authorities = DEMO_ORGS.filter((o) => o.authority).map((o) => ({ orgId: o.id, keyId: this.key(o.id).keyId }));
    const ts = nextTimestamp();
    this.genesis = createGenesisBlock({ consortiumId: CONSORTIUM, name: 'UK Food Chain', members, authorities }, authorities.map((a) => this.key(a.orgId)), ts);
    this.state = ConsortiumState.fromGenesis(this.genesis);
    const record = this.genesis.records[0]!;
    this.blocks.push({
      header: this.genesis.header,
      storedHash: blockHash(this.genesis.header),
      seals: [...this.genesis.seals],
      records: [{ record, storedHash: recordHash(record), logIndex: 0 }],
    });
  }

  newKey(alg: 'ed25519' | 'p256' = 'ed25519'): KeyPair {
    const key = generateKeyPair(alg);
    this.keyring.set(key.keyId, key);
    return key;
  }

  key(orgId: string): KeyPair {
    const key = this.keys.get(orgId);
    if (!key) throw new Error(`no key for ${orgId}`);
    return key;
  }

  sign(signer: string | KeyPair, kind: RecordKind, payload: unknown): SignedRecord {
    const key = typeof signer === 'string' ? this.key(signer) : signer;
    return signRecord({ consortium: CONSORTIUM, kind, payload: payload as JsonValue, signedAt: nextTimestamp() }, key);
  }

  /** Admits into the live state and queues for the open block. */
  /** Queues a record for the open block WITHOUT admission (simulates a faulty or malicious node). */
  forceQueue(record: SignedRecord): void {
    this.pending.push({ record, hash: recordHash(record), logIndex: this.state.logSize });
    this.state.logSize += 1;
  }

  submit(record: SignedRecord): AdmissionResult {
    const result = admitRecord(this.state, record);
    this.pending.push({ record, hash: result.recordHash, logIndex: result.logIndex });
    return result;
  }

  event(orgId: string, n = 1): AdmissionResult[] {
    return Array.from({ length: n }, (_, i) =>
      this.submit(this.sign(orgId, RecordKind.EPCIS_EVENT, { type: 'ObjectEvent', action: 'OBSERVE', epc: `urn:epc:id:sgtin:5012345.000001.${orgId}-${i}-${Math.random()}` })),
    );
  }

  propose(orgId: string, change: MembershipChange, signer?: KeyPair): AdmissionResult {
    return this.submit(this.sign(signer ?? orgId, RecordKind.PROPOSAL, { change }));
  }

  approve(orgId: string, proposal: string, signer?: KeyPair): AdmissionResult {
    return this.submit(this.sign(signer ?? orgId, RecordKind.APPROVAL, { proposal }));
  }

  /** Proposes by `proposer` and approves by authorities until the quorum applies it. */
  govern(change: MembershipChange, proposer = 'fsa', approvers = ['hmrc', 'green-farm']): string {
    const proposal = this.propose(proposer, change).recordHash;
    for (const a of approvers) this.approve(a, proposal);
    return proposal;
  }

  /** Seals the open block with the given authority keys (default: every in-force authority key we hold). */
  seal(sealers?: KeyPair[], mutateHeader?: (header: BlockHeader) => BlockHeader): VerifiableBlock {
    const last = this.blocks[this.blocks.length - 1]!;
    let header = buildBlockHeader(this.state, { height: last.header.height, hash: last.storedHash }, this.pending.map((p) => p.hash), nextTimestamp());
    if (mutateHeader) header = mutateHeader(header);
    const hash = blockHash(header);
    const keys = sealers ?? this.state.authoritiesInForce.map((a) => this.keyring.get(a.keyId)!).filter(Boolean);
    const block: VerifiableBlock = {
      header,
      storedHash: hash,
      seals: keys.map((k) => sealBlock(hash, k)),
      records: this.pending.map((p) => ({ record: p.record, storedHash: p.hash, logIndex: p.logIndex })),
    };
    closeBlock(this.state, header, hash);
    this.blocks.push(block);
    this.pending = [];
    return block;
  }

  /** Deep copy of the stored chain, for tampering. */
  copyBlocks(): VerifiableBlock[] {
    return structuredClone(this.blocks);
  }
}

/** A well-formed sensor.window payload (format 1) for a device; `over` replaces or adds members. */
export function windowPayload(deviceId: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    deviceId,
    windowStart: '2025-03-01T08:00:00.000Z',
    windowEnd: '2025-03-01T08:01:00.000Z',
    count: 2,
    firstSeq: 1,
    lastSeq: 2,
    gaps: [],
    readingsRoot: 'ab'.repeat(32),
    event: { type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'sensor_reporting' },
    ...over,
  };
}

/**
 * A good chain of 5 blocks: events, device registration and sensor windows, an org added by
 * governance, a key rotation, a device revocation.
 */
export function buildGoodChain(): { demo: DemoChain; device: KeyPair; newOrgKey: KeyPair } {
  const demo = new DemoChain();
  const device = demo.newKey('p256');
  // block 1
  demo.event('green-farm', 2);
  demo.submit(demo.sign('green-farm', RecordKind.DEVICE_REGISTER, { deviceId: 'probe-1', publicKey: encodePublicKey(device.publicKey), attributes: { model: 'T100' } }));
  demo.submit(demo.sign(device, RecordKind.SENSOR_WINDOW, windowPayload('probe-1')));
  demo.seal();
  // block 2: add a new org with quorum
  const newOrgKey = demo.newKey();
  demo.govern({ type: 'org.add', org: { id: 'north-port', name: 'North Port', roles: ['PORT'], keys: [encodePublicKey(newOrgKey.publicKey)], identifiers: { gln: ['5000000000011'] } } });
  demo.keys.set('north-port', newOrgKey);
  demo.event('acme-abattoir');
  demo.seal();
  // block 3
  demo.event('north-port', 2);
  demo.event('swift-haulage');
  demo.seal();
  // block 4: rotate acme's key, revoke the device
  const rotated = demo.newKey();
  demo.govern({ type: 'key.rotate', orgId: 'acme-abattoir', oldKeyId: demo.key('acme-abattoir').keyId, newPublicKey: encodePublicKey(rotated.publicKey) });
  demo.keys.set('acme-abattoir', rotated);
  demo.event('acme-abattoir');
  demo.submit(demo.sign('green-farm', RecordKind.DEVICE_REVOKE, { deviceId: 'probe-1', reason: 'battery failure' }));
  demo.seal();
  // block 5
  demo.event('big-retail', 3);
  demo.seal();
  return { demo, device, newOrgKey };
}

/** A fingerprint of everything admission may change, to prove a rejected record changed nothing. */
export function fingerprint(state: ConsortiumState): string {
  return JSON.stringify({
    logSize: state.logSize,
    orgs: [...state.orgs.values()].map((o) => [o.id, o.status, [...o.roles].sort()]),
    keys: [...state.keys.values()].map((k) => [k.keyId, k.status]),
    devices: [...state.devices.values()].map((d) => [d.deviceId, d.keyId, d.status]),
    inForce: state.authoritySetHash(),
    pending: state.pendingAuthoritySetHash(),
    proposals: [...state.proposals.values()].map((p) => [p.hash, p.status, [...p.approvals].sort()]),
  });
}

export function expectRejected(state: ConsortiumState, record: SignedRecord, code: string, message?: RegExp): LedgerError {
  const before = fingerprint(state);
  let error: unknown;
  try {
    admitRecord(state, record);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(LedgerError);
  expect((error as LedgerError).code).toBe(code);
  if (message) expect((error as LedgerError).message).toMatch(message);
  expect(fingerprint(state)).toBe(before);
  return error as LedgerError;
}

