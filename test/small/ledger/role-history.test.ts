import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodePublicKey } from '../../../src/core/crypto/index.js';
import {
  ConsortiumState,
  LedgerError,
  RecordKind,
  ROLES,
  admitRecord,
  checkSeals,
  closeBlock,
  hashAuthoritySet,
  verifyChain,
  type AuthorityEntry,
  type MembershipChange,
  type Role,
} from '../../../src/core/ledger/index.js';
import { DEMO_ORGS, DemoChain } from './demo-consortium.js';

const ORG_IDS = DEMO_ORGS.map((o) => o.id);

type Snapshot = Map<string, { roles: string[]; status: string }>;

/** What the live state says right now, per org: the oracle for rolesAt at the index just admitted. */
function snapshot(state: ConsortiumState): Snapshot {
  return new Map([...state.orgs.values()].map((o) => [o.id, { roles: [...o.roles].sort(), status: o.status }]));
}

function expectedRoles(snap: Snapshot | undefined, orgId: string): string[] | null {
  const entry = snap?.get(orgId);
  if (!entry) return null;
  return entry.status === 'active' ? entry.roles : [];
}

function rolesAtSorted(state: ConsortiumState, orgId: string, logIndex: number): string[] | null {
  const roles = state.rolesAt(orgId, logIndex);
  return roles === undefined ? null : [...roles].sort();
}

/** Every (org, log index) answer of a state, as plain data. */
function answers(state: ConsortiumState, orgIds: readonly string[], upTo = state.logSize): (string[] | null)[][] {
  return orgIds.map((orgId) => Array.from({ length: upTo }, (_, i) => rolesAtSorted(state, orgId, i)));
}

function setHashOf(authorities: readonly AuthorityEntry[]): string {
  return hashAuthoritySet(authorities.map((a) => ({ orgId: a.orgId, keyId: a.keyId, publicKey: a.encoded })));
}

/** Replays the stored chain the way LedgerNode.#load does (blocks, then pending records). */
function replay(demo: DemoChain): ConsortiumState {
  const state = ConsortiumState.fromGenesis(demo.genesis);
  for (const block of demo.blocks.slice(1)) {
    for (const r of block.records) admitRecord(state, r.record, { recordHash: r.storedHash, verifySignature: false });
    closeBlock(state, block.header, block.storedHash);
  }
  for (const p of demo.pending) admitRecord(state, p.record, { recordHash: p.hash, verifySignature: false });
  return state;
}

/** Drives one demo chain; every admitted record's log index gets a snapshot of the live roles. */
class Driver {
  readonly demo = new DemoChain();
  readonly model = new Map<number, Snapshot>([[0, snapshot(this.demo.state)]]);
  /** Height -> the authority set in force when the block was sealed (independently hashed). */
  readonly sealedUnder = new Map<number, { hash: string; keyIds: string[] }>([[0, { hash: setHashOf(this.demo.state.authoritiesInForce), keyIds: keyIdsOf(this.demo.state.authoritiesInForce) }]]);

  get state(): ConsortiumState {
    return this.demo.state;
  }

  admit(signerOrg: string, kind: RecordKind, payload: unknown): ReturnType<DemoChain['submit']> {
    const result = this.demo.submit(this.demo.sign(signerOrg, kind, payload));
    this.model.set(result.logIndex, snapshot(this.state));
    return result;
  }

  activeAuthorityOrgs(): string[] {
    return this.state.authoritiesInForce.map((a) => a.orgId).filter((id) => this.state.orgs.get(id)?.status === 'active');
  }

  /** Proposes with one in-force authority and approves with the others until the change applies. */
  govern(change: MembershipChange): void {
    const [proposer, ...approvers] = this.activeAuthorityOrgs();
    const proposal = this.admit(proposer!, RecordKind.PROPOSAL, { change }).recordHash;
    for (const orgId of approvers) {
      if (this.state.proposals.get(proposal)!.status === 'applied') break;
      this.admit(orgId, RecordKind.APPROVAL, { proposal });
    }
    expect(this.state.proposals.get(proposal)!.status).toBe('applied');
  }

  seal(): void {
    const inForce = this.state.authoritiesInForce;
    const height = this.state.height + 1;
    this.sealedUnder.set(height, { hash: setHashOf(inForce), keyIds: keyIdsOf(inForce) });
    this.demo.seal();
  }
}

function keyIdsOf(authorities: readonly AuthorityEntry[]): string[] {
  return authorities.map((a) => a.keyId).sort();
}

type Command =
  | { t: 'event'; org: number }
  | { t: 'grant' | 'revoke'; org: number; role: number }
  | { t: 'remove' | 'authAdd' | 'authRemove'; org: number }
  | { t: 'seal' };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ t: fc.constant('event' as const), org: fc.nat(ORG_IDS.length - 1) }),
  fc.record({ t: fc.constantFrom('grant' as const, 'revoke' as const), org: fc.nat(ORG_IDS.length - 1), role: fc.nat(ROLES.length - 1) }),
  fc.record({ t: fc.constantFrom('remove' as const, 'authAdd' as const, 'authRemove' as const), org: fc.nat(ORG_IDS.length - 1) }),
  fc.constant({ t: 'seal' as const }),
);

/** Runs a command when its preconditions hold in the live state (else skips it). */
function run(driver: Driver, cmd: Command): void {
  const state = driver.state;
  if (cmd.t === 'seal') {
    if (driver.demo.pending.length > 0) driver.seal();
    return;
  }
  const orgId = ORG_IDS[cmd.org]!;
  const org = state.orgs.get(orgId)!;
  const active = org.status === 'active';
  const pending = state.pendingAuthorities;
  const isAuthority = state.isAuthorityOrg(orgId) || pending.some((a) => a.orgId === orgId);
  switch (cmd.t) {
    case 'event':
      if (active) driver.admit(orgId, RecordKind.EPCIS_EVENT, { n: driver.state.logSize });
      return;
    case 'grant':
    case 'revoke': {
      const role: Role = ROLES[cmd.role]!;
      if (active && org.roles.has(role) === (cmd.t === 'revoke')) driver.govern({ type: cmd.t === 'grant' ? 'role.grant' : 'role.revoke', orgId, role });
      return;
    }
    case 'remove':
      if (active && !isAuthority) driver.govern({ type: 'org.remove', orgId });
      return;
    case 'authAdd':
      if (active && !pending.some((a) => a.orgId === orgId)) driver.govern({ type: 'authority.add', orgId, keyId: driver.demo.key(orgId).keyId });
      return;
    case 'authRemove': {
      const entry = pending.find((a) => a.orgId === orgId);
      if (entry && pending.length > 1) driver.govern({ type: 'authority.remove', keyId: entry.keyId });
      return;
    }
  }
}

describe('role and authority-set history in ConsortiumState', () => {
  it('property: rolesAt matches the live roles at every log index, and replay (as a restarted node) answers the same', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commandArb, { minLength: 1, maxLength: 30 }), fc.nat(30), async (commands, cloneAt) => {
        const driver = new Driver();
        let clone: { state: ConsortiumState; answers: (string[] | null)[][]; schedule: unknown } | undefined;
        commands.forEach((cmd, i) => {
          if (i === Math.min(cloneAt, commands.length - 1)) {
            const state = driver.state.clone();
            clone = { state, answers: answers(state, ORG_IDS), schedule: state.authoritySetSchedule() };
          }
          run(driver, cmd);
        });
        const live = driver.state;

        // The oracle: the roles the live state held right after each record was admitted.
        for (const orgId of ORG_IDS) {
          let snap: Snapshot | undefined;
          for (let i = 0; i < live.logSize; i++) {
            snap = driver.model.get(i) ?? snap;
            expect(rolesAtSorted(live, orgId, i), `${orgId} at ${i}`).toEqual(expectedRoles(snap, orgId));
          }
        }

        // A restarted node (replay of blocks and pending records) and the chain verifier answer the same.
        const replayed = replay(driver.demo);
        expect(answers(replayed, ORG_IDS)).toEqual(answers(live, ORG_IDS));
        for (const orgId of ORG_IDS) expect(replayed.standingHistory(orgId)).toEqual(live.standingHistory(orgId));
        expect(replayed.authoritySetSchedule()).toEqual(live.authoritySetSchedule());
        const verified = await verifyChain(driver.demo.blocks);
        expect(verified.failures).toEqual([]);
        const sealedSize = verified.finalState!.logSize;
        expect(answers(verified.finalState!, ORG_IDS)).toEqual(answers(live, ORG_IDS, sealedSize));
        expect(verified.finalState!.authoritySetSchedule()).toEqual(live.authoritySetSchedule());

        // Every sealed block: its header names the set in force at its height, and its seals reach that set's quorum.
        const scheduleHashes = new Set(live.authoritySetSchedule().map((s) => s.hash));
        for (const block of driver.demo.blocks) {
          const h = block.header.height;
          const expected = driver.sealedUnder.get(h)!;
          expect(block.header.authoritySetHash).toBe(expected.hash);
          expect(live.authoritySetAtHeight(h)!.hash).toBe(expected.hash);
          const set = live.authoritySetByHash(block.header.authoritySetHash)!;
          expect(keyIdsOf(set.authorities)).toEqual(expected.keyIds);
          const seals = checkSeals(block.storedHash, block.seals, set.authorities, set.quorum);
          expect(seals.problems).toEqual([]);
          expect(seals.valid.length).toBeGreaterThanOrEqual(seals.required);
          expect(scheduleHashes.has(expected.hash)).toBe(true);
        }
        // Only sets that sealed a block, or the one in force for the open block, are in the history.
        const headerHashes = new Set(driver.demo.blocks.map((b) => b.header.authoritySetHash));
        for (const hash of scheduleHashes) expect(headerHashes.has(hash) || hash === setHashOf(live.authoritiesInForce)).toBe(true);

        // The clone kept the answers it had when taken, and changing it leaves the original alone.
        const before = answers(live, ORG_IDS);
        const scheduleBefore = live.authoritySetSchedule();
        expect(answers(clone!.state, ORG_IDS)).toEqual(clone!.answers);
        expect(clone!.state.authoritySetSchedule()).toEqual(clone!.schedule);
        const target = [...clone!.state.orgs.values()].find((o) => o.status === 'active' && !o.roles.has('CUSTOMS'));
        if (target) {
          clone!.state.grantRole(target.id, 'CUSTOMS', clone!.state.logSize);
          expect(clone!.state.rolesAt(target.id, clone!.state.logSize)!.has('CUSTOMS')).toBe(true);
        }
        clone!.state.authoritiesInForce = clone!.state.authoritiesInForce.slice(0, 1);
        expect(answers(live, ORG_IDS)).toEqual(before);
        expect(live.authoritySetSchedule()).toEqual(scheduleBefore);
      }),
      { numRuns: 25 },
    );
  }, 120_000);

  it('a role granted at log index g holds from g on; before an org joins rolesAt is undefined; after removal it is empty', () => {
    const driver = new Driver();
    const eventBefore = driver.admit('swift-haulage', RecordKind.EPCIS_EVENT, { n: 1 }).logIndex;
    driver.govern({ type: 'role.grant', orgId: 'swift-haulage', role: 'CARRIER' });
    const grantedAt = driver.state.standingHistory('swift-haulage').at(-1)!.fromLogIndex;
    expect(grantedAt).toBe(driver.state.logSize - 1);
    expect(driver.state.rolesAt('swift-haulage', eventBefore)).toEqual(new Set(['HAULIER']));
    expect(driver.state.rolesAt('swift-haulage', grantedAt - 1)).toEqual(new Set(['HAULIER']));
    expect(driver.state.rolesAt('swift-haulage', grantedAt)).toEqual(new Set(['HAULIER', 'CARRIER']));
    expect(driver.state.rolesAt('swift-haulage', 10_000)).toEqual(new Set(['HAULIER', 'CARRIER']));

    const key = driver.demo.newKey();
    driver.govern({ type: 'org.add', org: { id: 'late-joiner', name: 'Late Joiner', roles: ['PROCESSOR'], keys: [encodePublicKey(key.publicKey)], identifiers: {} } });
    const joinedAt = driver.state.orgs.get('late-joiner')!.addedAtLogIndex;
    expect(driver.state.rolesAt('late-joiner', joinedAt - 1)).toBeUndefined();
    expect(driver.state.rolesAt('late-joiner', joinedAt)).toEqual(new Set(['PROCESSOR']));

    driver.govern({ type: 'org.remove', orgId: 'acme-abattoir' });
    const removedAt = driver.state.logSize - 1;
    expect(driver.state.rolesAt('acme-abattoir', removedAt - 1)).toEqual(new Set(['ABATTOIR', 'PROCESSOR']));
    expect(driver.state.rolesAt('acme-abattoir', removedAt)!.size).toBe(0);
    expect(driver.state.standingAt('acme-abattoir', removedAt)).toMatchObject({ status: 'removed', fromLogIndex: removedAt });
    expect(driver.state.rolesAt('no-such-org', 0)).toBeUndefined();
    // The history is not the live entry: revoking later does not rewrite earlier versions.
    driver.govern({ type: 'role.revoke', orgId: 'swift-haulage', role: 'HAULIER' });
    expect(driver.state.rolesAt('swift-haulage', eventBefore)).toEqual(new Set(['HAULIER']));
    expect(driver.state.rolesAt('swift-haulage', driver.state.logSize - 1)).toEqual(new Set(['CARRIER']));
  });

  it('rejects malformed log indexes and heights with typed errors', () => {
    const state = new DemoChain().state;
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '3' as unknown as number]) {
      expect(() => state.rolesAt('fsa', bad)).toThrowError(LedgerError);
      expect(() => state.rolesAt('fsa', bad)).toThrow(/log index must be a non-negative integer/);
      expect(() => state.authoritySetAtHeight(bad)).toThrow(expect.objectContaining({ code: 'WRONG_HEIGHT' }));
    }
    expect(state.authoritySetByHash('not a hash')).toBeUndefined();
    expect(state.authoritySetByHash(42 as unknown as string)).toBeUndefined();
  });

  it('refuses a change older than the org\'s last one, or for an unknown org, before changing anything', () => {
    const state = new DemoChain().state.clone();
    state.grantRole('swift-haulage', 'CARRIER', 5);
    const history = state.standingHistory('swift-haulage');
    expect(() => state.revokeRole('swift-haulage', 'CARRIER', 4)).toThrow(expect.objectContaining({ code: 'LOG_INDEX_MISMATCH', details: { expected: '>= 5', computed: 4 } }));
    expect(() => state.removeOrg('swift-haulage', -2)).toThrow(expect.objectContaining({ code: 'LOG_INDEX_MISMATCH' }));
    expect(() => state.grantRole('no-such-org', 'FARM', 6)).toThrow(expect.objectContaining({ code: 'INVALID_CHANGE' }));
    expect([...state.orgs.get('swift-haulage')!.roles].sort()).toEqual(['CARRIER', 'HAULIER']);
    expect(state.orgs.get('swift-haulage')!.status).toBe('active');
    expect(state.standingHistory('swift-haulage')).toEqual(history);
  });

  it('an authority change applies from the next block; the old set stays answerable by hash and height', () => {
    const driver = new Driver();
    const genesisSet = driver.state.authoritySetHash();
    expect(driver.state.authoritySetSchedule()).toEqual([{ fromHeight: 0, hash: genesisSet }]);
    expect(driver.demo.genesis.header.authoritySetHash).toBe(genesisSet);
    driver.admit('green-farm', RecordKind.EPCIS_EVENT, { n: 1 });
    driver.seal(); // block 1
    driver.govern({ type: 'authority.remove', keyId: driver.demo.key('big-retail').keyId });
    // Approved in the open block 2: block 2 is still sealed by the old set.
    expect(driver.state.authoritySetHash()).toBe(genesisSet);
    driver.seal(); // block 2
    const newSet = driver.state.authoritySetHash();
    expect(newSet).not.toBe(genesisSet);
    expect(driver.state.authoritySetSchedule()).toEqual([
      { fromHeight: 0, hash: genesisSet },
      { fromHeight: 3, hash: newSet },
    ]);
    expect(driver.demo.blocks[2]!.header.authoritySetHash).toBe(genesisSet);
    expect(driver.state.authoritySetAtHeight(2)!.hash).toBe(genesisSet);
    expect(driver.state.authoritySetAtHeight(3)!.hash).toBe(newSet);
    expect(driver.state.authoritySetByHash(genesisSet)!.authorities.map((a) => a.orgId).sort()).toEqual(['big-retail', 'fsa', 'green-farm', 'hmrc']);
    expect(driver.state.authoritySetByHash(newSet)!.authorities.map((a) => a.orgId).sort()).toEqual(['fsa', 'green-farm', 'hmrc']);
    expect(driver.state.authoritySetByHash(newSet)!.quorum).toEqual(driver.state.quorum);

    // Added and removed again within one block: that set never sealed anything and is not in the history.
    driver.govern({ type: 'authority.add', orgId: 'swift-haulage', keyId: driver.demo.key('swift-haulage').keyId });
    const transient = driver.state.pendingAuthoritySetHash();
    driver.govern({ type: 'authority.remove', keyId: driver.demo.key('swift-haulage').keyId });
    driver.seal();
    expect(driver.state.authoritySetByHash(transient)).toBeUndefined();
    expect(driver.state.authoritySetSchedule()).toHaveLength(2);
  });

  it('a set brought into force twice at the same height keeps only the last one', () => {
    const state = new DemoChain().state.clone();
    const original = state.authoritiesInForce;
    state.authoritiesInForce = original.slice(0, 2);
    const twoHash = state.authoritySetHash();
    state.authoritiesInForce = original.slice(0, 3);
    expect(state.authoritySetByHash(twoHash)).toBeUndefined();
    expect(state.authoritySetSchedule().map((s) => s.fromHeight)).toEqual([0, 1]);
    expect(state.authoritySetAtHeight(1)!.authorities).toHaveLength(3);
    expect(state.authoritySetAtHeight(0)!.authorities).toHaveLength(4);
  });
});
