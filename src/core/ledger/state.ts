/**
 * Consortium state: members, keys, devices, authorities and pending proposals, with the history
 * verifiers need (which authority set was in force at each height, each organisation's standing
 * at each log index). States come only from a genesis; admission (admission.ts) changes them.
 */
import { DEFAULT_QUORUM, DEFAULT_SEAL_MAX_RECORDS, GENESIS_PREVIOUS_HASH, assertHeaderShape, blockHash, quorumSize, type Block, type BlockHeader, type QuorumRule } from './block.js';
import { LedgerError } from './errors.js';
import { invalidChange, parseMemberKey, type OrgSpec, type Role } from './membership.js';
import { RecordKind, assertRecordShape, recordHash, type SignedRecord } from './record.js';
import { applyGenesisRecord, assertGenesisBlockPosition, assertGenesisHeader } from './records/genesis.js';
import { assertSealQuorum } from './seals.js';
import { LEGACY_CUSTODY_RULES, type CustodyRulesVersion } from '../rules/custody-state.js';
import {
  hashAuthoritySet,
  type AdmissionState,
  type AuthorityEntry,
  type AuthoritySetSpan,
  type AuthoritySetVersion,
  type DeviceEntry,
  type KeyEntry,
  type OrgEntry,
  type OrgStanding,
  type ProposalEntry,
  type ResolvedSigner,
} from './state-types.js';

function identifierKey(scheme: string, value: string): string {
  return `${scheme}\u0000${value}`;
}

function sameAuthorities(a: readonly AuthorityEntry[], b: readonly AuthorityEntry[]): boolean {
  return a.length === b.length && a.every((x, i) => x.keyId === b[i]!.keyId && x.orgId === b[i]!.orgId && x.encoded === b[i]!.encoded);
}

function requireIndex(value: unknown, what: string, code: 'LOG_INDEX_MISMATCH' | 'WRONG_HEIGHT'): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new LedgerError(code, `${what} must be a non-negative integer, got ${String(value).slice(0, 40)}`, { computed: value });
  }
  return value as number;
}

const NO_ROLES: ReadonlySet<Role> = new Set<Role>();

export class ConsortiumState implements AdmissionState {
  id = '';
  name = '';
  quorum: QuorumRule = DEFAULT_QUORUM;
  /** A block is cut at the submission that brings it to this many records (genesis, or governance). */
  sealMaxRecords = DEFAULT_SEAL_MAX_RECORDS;
  /** Genesis setting: blocks commit to the identifier index map (headerVersionRule). */
  indexCommitment: boolean | undefined = undefined;
  /** Custody rule set in force from each log index (genesis, then governance); verifiers replay each record under its own. */
  #custodyRules: readonly { fromLogIndex: number; version: CustodyRulesVersion }[] = [{ fromLogIndex: 0, version: LEGACY_CUSTODY_RULES }];
  /** Height of the last closed block; -1 before genesis is closed. */
  height = -1;
  /** Records applied so far (the next record's log index). */
  logSize = 0;
  headHash = GENESIS_PREVIOUS_HASH;
  /** Timestamp of the last closed block ('' before genesis). */
  headTimestamp = '';
  orgs = new Map<string, OrgEntry>();
  keys = new Map<string, KeyEntry>();
  /** Current registration per device id. */
  devices = new Map<string, DeviceEntry>();
  deviceByKeyId = new Map<string, string>();
  /** Every device registration ever made, by key id (a re-registered device keeps its old entry here). */
  deviceKeys = new Map<string, DeviceEntry>();
  /** Authorities for the next block (approved authority changes land here). */
  pendingAuthorities: AuthorityEntry[] = [];
  proposals = new Map<string, ProposalEntry>();
  #identifierIndex = new Map<string, string>();
  #inForce: readonly AuthorityEntry[] = Object.freeze([]);
  /** Every set ever brought into force, by hash; and which set applies from which height. */
  #authoritySets = new Map<string, AuthoritySetVersion>();
  #authoritySchedule: AuthoritySetSpan[] = [];
  /** Per organisation, its standing versions in log order (verifiers check roles at a record's log index). */
  #standings = new Map<string, OrgStanding[]>();
  /** Replaced whenever who may sign can have changed; every copy of a state starts with its own. */
  #signerMark: object = {};

  private constructor() {}

  /**
   * Stands for the signers' standing as it is now: the same mark means no organisation, key or
   * device has changed since, so a signer checked under it still stands (admission.ts).
   */
  get signerMark(): object {
    return this.#signerMark;
  }

  /** Admission calls this after a record of a kind that changes membership, keys or devices. */
  signersChanged(): void {
    this.#signerMark = {};
  }

  /** Authorities that seal and approve in the open block. */
  get authoritiesInForce(): readonly AuthorityEntry[] {
    return this.#inForce;
  }

  /**
   * Brings a set into force for the block after the state's head (height + 1) and keeps it in
   * the history, so blocks sealed under it can still be checked once it is replaced.
   */
  set authoritiesInForce(authorities: readonly AuthorityEntry[]) {
    const next = Object.freeze([...authorities]);
    if (this.#authoritySchedule.length === 0 || !sameAuthorities(this.#inForce, next)) this.#scheduleInForce(next);
    this.#inForce = next;
  }

  #scheduleInForce(authorities: readonly AuthorityEntry[]): void {
    const hash = hashAuthoritySet(authorities.map((a) => ({ orgId: a.orgId, keyId: a.keyId, publicKey: a.encoded })));
    const fromHeight = this.height + 1;
    const last = this.#authoritySchedule[this.#authoritySchedule.length - 1];
    // Replaced before any block was sealed under it: it was never in force.
    if (last && last.fromHeight >= fromHeight) {
      this.#authoritySchedule.pop();
      if (last.hash !== hash && !this.#authoritySchedule.some((s) => s.hash === last.hash)) this.#authoritySets.delete(last.hash);
    }
    if (!this.#authoritySets.has(hash)) this.#authoritySets.set(hash, Object.freeze({ hash, authorities, quorum: Object.freeze({ ...this.quorum }) }));
    const previous = this.#authoritySchedule[this.#authoritySchedule.length - 1];
    if (!previous || previous.hash !== hash) this.#authoritySchedule.push(Object.freeze({ fromHeight, hash }));
  }

  /** Validates a genesis block fully (shape, record, signature, header, seals, quorum). */
  static fromGenesis(block: Block): ConsortiumState {
    assertHeaderShape(block.header);
    const header = block.header;
    assertGenesisBlockPosition(block);
    const record = block.records[0];
    assertRecordShape(record);
    const hash = recordHash(record);
    const state = ConsortiumState.fromGenesisRecord(record, hash);
    assertGenesisHeader(header, { consortium: state.id, authoritySetHash: state.authoritySetHash() }, hash);
    const hashHex = blockHash(header);
    assertSealQuorum(hashHex, block.seals, state.authoritiesInForce, state.quorum);
    closeBlock(state, header, hashHex);
    return state;
  }

  /**
   * The state after the genesis record alone (logSize 1, height -1: block 0 not closed yet).
   * Checks the payload and that a genesis authority signed it.
   */
  static fromGenesisRecord(record: SignedRecord, recordHashHex?: string): ConsortiumState {
    assertRecordShape(record);
    if (record.kind !== RecordKind.GENESIS) {
      throw new LedgerError('INVALID_GENESIS', `the first record must be ${RecordKind.GENESIS}, not ${record.kind}`, { kind: record.kind });
    }
    const hash = recordHashHex ?? recordHash(record);
    const state = new ConsortiumState();
    applyGenesisRecord(state, record, hash);
    return state;
  }

  /**
   * A deep copy. `keepSignerMark`: the copy keeps this state's signer mark, so a signer checked on
   * either still stands on the other until one of them admits a signer change (it then gets a mark
   * of its own); for a copy that tracks this state, as a node's pre-check state tracks its deriver's.
   */
  clone(options: { keepSignerMark?: boolean } = {}): ConsortiumState {
    const copy = new ConsortiumState();
    if (options.keepSignerMark) copy.#signerMark = this.#signerMark;
    copy.id = this.id;
    copy.name = this.name;
    copy.quorum = { ...this.quorum };
    copy.sealMaxRecords = this.sealMaxRecords;
    copy.indexCommitment = this.indexCommitment;
    copy.#custodyRules = this.#custodyRules;
    copy.height = this.height;
    copy.logSize = this.logSize;
    copy.headHash = this.headHash;
    copy.headTimestamp = this.headTimestamp;
    for (const [k, o] of this.orgs) {
      copy.orgs.set(k, { ...o, roles: new Set(o.roles), identifiers: Object.fromEntries(Object.entries(o.identifiers).map(([s, v]) => [s, [...v]])) });
    }
    for (const [k, key] of this.keys) copy.keys.set(k, { ...key });
    for (const [k, d] of this.deviceKeys) copy.deviceKeys.set(k, { ...d, attributes: structuredClone(d.attributes) });
    for (const [id, d] of this.devices) copy.devices.set(id, copy.deviceKeys.get(d.keyId)!);
    copy.deviceByKeyId = new Map(this.deviceByKeyId);
    copy.pendingAuthorities = [...this.pendingAuthorities];
    for (const [h, p] of this.proposals) copy.proposals.set(h, { ...p, approvals: new Set(p.approvals) });
    copy.#identifierIndex = new Map(this.#identifierIndex);
    // History entries are immutable, so the lists are copied and the entries shared.
    copy.#inForce = this.#inForce;
    copy.#authoritySets = new Map(this.#authoritySets);
    copy.#authoritySchedule = [...this.#authoritySchedule];
    copy.#standings = new Map([...this.#standings].map(([orgId, versions]) => [orgId, [...versions]]));
    return copy;
  }

  // ---- lookups ----

  /** The custody rule set records at this log index were admitted under. */
  custodyRulesAt(logIndex: number): CustodyRulesVersion {
    for (let i = this.#custodyRules.length - 1; i >= 0; i--) if (this.#custodyRules[i]!.fromLogIndex <= logIndex) return this.#custodyRules[i]!.version;
    return LEGACY_CUSTODY_RULES;
  }

  /** The custody rule set the next record is admitted under. */
  get custodyRules(): CustodyRulesVersion {
    return this.custodyRulesAt(this.logSize);
  }

  /** Puts a custody rule set in force from a log index on (the genesis, or an adopted governance change). */
  adoptCustodyRules(version: CustodyRulesVersion, fromLogIndex: number): void {
    const kept = this.#custodyRules.filter((s) => s.fromLogIndex < fromLogIndex);
    this.#custodyRules = Object.freeze([...kept, Object.freeze({ fromLogIndex, version })]);
  }

  authoritySetHash(): string {
    const last = this.#authoritySchedule[this.#authoritySchedule.length - 1];
    return last ? last.hash : hashAuthoritySet([]);
  }

  /** An authority set that was (or is) in force for some block of this chain, by its hash. */
  authoritySetByHash(hash: string): AuthoritySetVersion | undefined {
    return typeof hash === 'string' ? this.#authoritySets.get(hash) : undefined;
  }

  /** The authority set in force for the block at this height (including the open block and later, until a change). */
  authoritySetAtHeight(height: number): AuthoritySetVersion | undefined {
    requireIndex(height, 'block height', 'WRONG_HEIGHT');
    for (let i = this.#authoritySchedule.length - 1; i >= 0; i--) {
      const span = this.#authoritySchedule[i]!;
      if (span.fromHeight <= height) return this.#authoritySets.get(span.hash);
    }
    return undefined;
  }

  /** Which authority set was in force from which height, oldest first. */
  authoritySetSchedule(): readonly AuthoritySetSpan[] {
    return [...this.#authoritySchedule];
  }

  /** The organisation's standing at a log index; undefined before it joined (or for an unknown org). */
  standingAt(orgId: string, logIndex: number): OrgStanding | undefined {
    requireIndex(logIndex, 'log index', 'LOG_INDEX_MISMATCH');
    const versions = this.#standings.get(orgId);
    if (!versions) return undefined;
    for (let i = versions.length - 1; i >= 0; i--) if (versions[i]!.fromLogIndex <= logIndex) return versions[i];
    return undefined;
  }

  /**
   * Roles the organisation held for a record at this log index: empty once it was removed,
   * undefined before it joined. Changes applied at index i hold for records after i.
   */
  rolesAt(orgId: string, logIndex: number): ReadonlySet<Role> | undefined {
    const standing = this.standingAt(orgId, logIndex);
    if (!standing) return undefined;
    return standing.status === 'active' ? standing.roles : NO_ROLES;
  }

  /** Every standing version of the organisation, oldest first. */
  standingHistory(orgId: string): readonly OrgStanding[] {
    return [...(this.#standings.get(orgId) ?? [])];
  }

  /** Hash of the set that will be in force from the next block. */
  pendingAuthoritySetHash(): string {
    return hashAuthoritySet(this.pendingAuthorities.map((a) => ({ orgId: a.orgId, keyId: a.keyId, publicKey: a.encoded })));
  }

  /** Seals (and distinct authority-org approvals) needed in the open block. */
  requiredQuorum(): number {
    return quorumSize(this.authoritiesInForce.length, this.quorum);
  }

  orgOfKey(keyId: string): OrgEntry | undefined {
    const key = this.keys.get(keyId);
    if (key) return this.orgs.get(key.orgId);
    const device = this.deviceKeys.get(keyId);
    return device ? this.orgs.get(device.orgId) : undefined;
  }

  /** Active org holding the role. */
  hasRole(orgId: string, role: Role): boolean {
    const org = this.orgs.get(orgId);
    return org !== undefined && org.status === 'active' && org.roles.has(role);
  }

  /** True when keyId is in the authority set in force for the open block. */
  isAuthorityKey(keyId: string): boolean {
    return this.authoritiesInForce.some((a) => a.keyId === keyId);
  }

  isAuthorityOrg(orgId: string): boolean {
    return this.authoritiesInForce.some((a) => a.orgId === orgId);
  }

  /** Resolves any key ever registered, whatever its status (admitRecord checks standing). */
  resolveSigner(keyId: string): ResolvedSigner | undefined {
    const key = this.keys.get(keyId);
    if (key) {
      const org = this.orgs.get(key.orgId);
      return org ? { type: 'org', org, key } : undefined;
    }
    const device = this.deviceKeys.get(keyId);
    if (device) {
      const org = this.orgs.get(device.orgId);
      return org ? { type: 'device', device, org } : undefined;
    }
    return undefined;
  }

  /** Active org that holds the identifier (scheme e.g. 'gln', 'cph', 'fsaApproval', 'eori'). */
  orgByIdentifier(scheme: string, value: string): OrgEntry | undefined {
    const orgId = this.#identifierIndex.get(identifierKey(scheme, value));
    return orgId === undefined ? undefined : this.orgs.get(orgId);
  }

  // ---- mutation helpers used by governance (validated input only) ----

  addOrg(spec: OrgSpec, logIndex: number): OrgEntry {
    this.#assertChangeIndex(spec.id, logIndex);
    const identifiers: Record<string, string[]> = {};
    for (const [scheme, values] of Object.entries(spec.identifiers)) identifiers[scheme] = [...(values ?? [])];
    const org: OrgEntry = { id: spec.id, name: spec.name, roles: new Set(spec.roles), identifiers, status: 'active', addedAtLogIndex: logIndex };
    this.orgs.set(org.id, org);
    this.#recordStanding(org, logIndex);
    for (const text of spec.keys) this.addOrgKey(org.id, text, logIndex);
    for (const [scheme, values] of Object.entries(identifiers)) {
      for (const value of values) this.#identifierIndex.set(identifierKey(scheme, value), org.id);
    }
    return org;
  }

  addOrgKey(orgId: string, encodedKey: string, logIndex: number): KeyEntry {
    const parsed = parseMemberKey('key', encodedKey);
    const entry: KeyEntry = { keyId: parsed.keyId, orgId, publicKey: parsed.publicKey, encoded: parsed.encoded, status: 'active', addedAtLogIndex: logIndex };
    this.keys.set(entry.keyId, entry);
    return entry;
  }

  /** A removed org's identifiers become free for another member. */
  unindexIdentifiers(orgId: string): void {
    for (const [k, v] of this.#identifierIndex) if (v === orgId) this.#identifierIndex.delete(k);
  }

  grantRole(orgId: string, role: Role, logIndex: number): void {
    const org = this.#requireOrgChange(orgId, logIndex);
    org.roles.add(role);
    this.#recordStanding(org, logIndex);
  }

  revokeRole(orgId: string, role: Role, logIndex: number): void {
    const org = this.#requireOrgChange(orgId, logIndex);
    org.roles.delete(role);
    this.#recordStanding(org, logIndex);
  }

  /** Marks the org removed and frees its identifiers; its keys stop signing (requireActiveSigner). */
  removeOrg(orgId: string, logIndex: number): void {
    const org = this.#requireOrgChange(orgId, logIndex);
    org.status = 'removed';
    this.unindexIdentifiers(orgId);
    this.#recordStanding(org, logIndex);
  }

  /** Checks before any mutation: a known org, and a log index not older than its last change. */
  #requireOrgChange(orgId: string, logIndex: number): OrgEntry {
    this.#assertChangeIndex(orgId, logIndex);
    const org = this.orgs.get(orgId);
    if (!org) throw invalidChange(`unknown org "${orgId}"`, { orgId });
    return org;
  }

  /** History is kept in log order: a change may not be older than the org's last one. */
  #assertChangeIndex(orgId: string, logIndex: number): void {
    requireIndex(logIndex, 'log index', 'LOG_INDEX_MISMATCH');
    const versions = this.#standings.get(orgId);
    const last = versions?.[versions.length - 1];
    if (last && last.fromLogIndex > logIndex) {
      throw new LedgerError('LOG_INDEX_MISMATCH', `a change to "${orgId}" at log index ${logIndex} is older than its last change at ${last.fromLogIndex}`, {
        expected: `>= ${last.fromLogIndex}`,
        computed: logIndex,
      });
    }
  }

  #recordStanding(org: OrgEntry, logIndex: number): void {
    const versions = this.#standings.get(org.id) ?? [];
    const last = versions[versions.length - 1];
    const version: OrgStanding = Object.freeze({ fromLogIndex: logIndex, roles: new Set(org.roles) as ReadonlySet<Role>, status: org.status });
    if (last && last.fromLogIndex === logIndex) versions[versions.length - 1] = version;
    else versions.push(version);
    this.#standings.set(org.id, versions);
  }
}

/** Closes the block: records the head, and the pending authority set comes into force. */
export function closeBlock(state: ConsortiumState, header: BlockHeader, blockHashHex: string): void {
  state.height = header.height;
  state.headHash = blockHashHex;
  state.headTimestamp = header.timestamp;
  state.authoritiesInForce = [...state.pendingAuthorities];
}
