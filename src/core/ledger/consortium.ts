/**
 * Consortium state and record admission. One deterministic function (admitRecord) decides whether
 * a record may join the log and applies its effect; the live node and the chain verifier both use
 * it, so they cannot disagree. Governance changes need a quorum of authority organisations;
 * authority-set changes take effect at the next block (closeBlock).
 */
import { HashTag, hashCanonical, type JsonValue, type KeyPair, type PublicKey } from '../crypto/index.js';
import {
  DEFAULT_QUORUM,
  GENESIS_PREVIOUS_HASH,
  assertHeaderShape,
  blockHash,
  isValidSeal,
  merkleRootOfRecordHashes,
  quorumSize,
  sealBlock,
  type Block,
  type BlockHeader,
  type QuorumRule,
  type Seal,
} from './block.js';
import { LedgerError } from './errors.js';
import {
  applyChange,
  describeChange,
  invalidChange,
  isPlainObject,
  parseApprovalPayload,
  parseDeviceRegisterPayload,
  parseDeviceRevokePayload,
  parseMemberKey,
  parseProposalPayload,
  validateChange,
  validateOrgSpec,
  type AuthoritySpec,
  type MembershipChange,
  type OrgSpec,
  type Role,
} from './governance.js';
import { RecordKind, assertRecordShape, isHash, isTimestamp, recordHash, signRecord, verifyRecordSignature, type SignedRecord } from './record.js';

export interface GenesisPayload {
  consortium: { id: string; name: string };
  members: OrgSpec[];
  authorities: AuthoritySpec[];
  /** Seals/approvals needed: strictly more than numerator/denominator of the authorities. */
  quorum: QuorumRule;
}

export interface GenesisSpec {
  consortiumId: string;
  name: string;
  members: OrgSpec[];
  authorities: AuthoritySpec[];
  quorum?: QuorumRule;
}

export type OrgStatus = 'active' | 'removed';
export type KeyStatus = 'active' | 'revoked' | 'rotated';
export type DeviceStatus = 'active' | 'revoked';

export interface OrgEntry {
  id: string;
  name: string;
  roles: Set<Role>;
  identifiers: Record<string, string[]>;
  status: OrgStatus;
  addedAtLogIndex: number;
}

export interface KeyEntry {
  keyId: string;
  orgId: string;
  publicKey: PublicKey;
  encoded: string;
  status: KeyStatus;
  addedAtLogIndex: number;
  endedAtLogIndex?: number;
}

export interface DeviceEntry {
  deviceId: string;
  orgId: string;
  keyId: string;
  publicKey: PublicKey;
  encoded: string;
  kind: 'sensor' | 'gateway';
  status: DeviceStatus;
  registeredAtLogIndex: number;
  revokedAtLogIndex?: number;
  attributes: Record<string, unknown>;
}

export interface AuthorityEntry {
  orgId: string;
  keyId: string;
  publicKey: PublicKey;
  encoded: string;
}

export interface ProposalEntry {
  /** Record hash of the governance.proposal record. */
  hash: string;
  change: MembershipChange;
  reason?: string;
  proposerOrgId: string;
  /** Authority organisations that approved (a proposing authority counts as approving). */
  approvals: Set<string>;
  status: 'pending' | 'applied';
  proposedAtLogIndex: number;
  appliedAtLogIndex?: number;
}

/** One version of an organisation's standing; applies from fromLogIndex until the next version. */
export interface OrgStanding {
  fromLogIndex: number;
  roles: ReadonlySet<Role>;
  status: OrgStatus;
}

/** An authority set that has been in force for some block, as its header hash names it. */
export interface AuthoritySetVersion {
  hash: string;
  authorities: readonly AuthorityEntry[];
  quorum: Readonly<QuorumRule>;
}

/** The set named by hash is in force from block fromHeight until the next span starts. */
export interface AuthoritySetSpan {
  fromHeight: number;
  hash: string;
}

export type ResolvedSigner =
  | { type: 'org'; org: OrgEntry; key: KeyEntry }
  | { type: 'device'; device: DeviceEntry; org: OrgEntry };

export interface AdmitOptions {
  /** The record's hash if the caller already computed it (trusted: not recomputed). */
  recordHash?: string;
  /** Default true. Only skip when the signature was verified already. */
  verifySignature?: boolean;
}

export interface AdmissionResult {
  recordHash: string;
  logIndex: number;
  signer: ResolvedSigner;
  effects: string[];
}

/** The authority-set hash committed in every block header: sorted by keyId, JCS, tagged SHA-256. */
export function hashAuthoritySet(authorities: readonly { orgId: string; keyId: string; publicKey: string }[]): string {
  const sorted = [...authorities]
    .sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0))
    .map((a) => ({ orgId: a.orgId, keyId: a.keyId, publicKey: a.publicKey }));
  return hashCanonical(HashTag.AUTHORITY_SET, sorted);
}

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

export class ConsortiumState {
  id = '';
  name = '';
  quorum: QuorumRule = DEFAULT_QUORUM;
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

  private constructor() {}

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
    if (header.height !== 0) {
      const isGenesisKind = Array.isArray(block.records) && block.records.some((r) => (r as { kind?: unknown } | null)?.kind === RecordKind.GENESIS);
      if (isGenesisKind) {
        throw new LedgerError('DUPLICATE_GENESIS', `a ${RecordKind.GENESIS} record may only be the record of block 0, found at height ${header.height}`, {
          expected: 0,
          computed: header.height,
        });
      }
      throw new LedgerError('WRONG_HEIGHT', `genesis block must have height 0, has ${header.height}`, { expected: 0, computed: header.height });
    }
    if (header.previousHash !== GENESIS_PREVIOUS_HASH) {
      throw new LedgerError('BROKEN_HASH_LINK', 'genesis block previousHash must be 64 zeros', { expected: GENESIS_PREVIOUS_HASH, computed: header.previousHash });
    }
    if (!Array.isArray(block.records) || block.records.length !== 1) {
      throw new LedgerError('MALFORMED_BLOCK', `genesis block must hold exactly one record, holds ${Array.isArray(block.records) ? block.records.length : 'none'}`);
    }
    const record = block.records[0];
    assertRecordShape(record);
    const hash = recordHash(record);
    const state = ConsortiumState.fromGenesisRecord(record, hash);
    assertGenesisHeader(state, header, hash);
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
    const payload = asGenesis(() => parseGenesisShape(record.payload));
    if (payload.consortium.id !== record.consortium) {
      throw new LedgerError('WRONG_CONSORTIUM', `genesis payload names consortium "${payload.consortium.id}" but the record is for "${record.consortium}"`, {
        expected: record.consortium,
        computed: payload.consortium.id,
      });
    }
    state.id = payload.consortium.id;
    state.name = payload.consortium.name;
    state.quorum = payload.quorum;
    asGenesis(() => {
      payload.members.forEach((member, i) => {
        const org = validateOrgSpec(member, `members[${i}]`);
        validateChange(state, { type: 'org.add', org });
        state.addOrg(org, 0);
      });
      payload.authorities.forEach((a, i) => {
        if (!isPlainObject(a) || typeof a.orgId !== 'string' || typeof a.keyId !== 'string' || Object.keys(a).length !== 2) {
          throw invalidChange(`authorities[${i}] must be exactly { orgId, keyId }`);
        }
        validateChange(state, { type: 'authority.add', orgId: a.orgId, keyId: a.keyId });
        const key = state.keys.get(a.keyId)!;
        state.pendingAuthorities.push({ orgId: a.orgId, keyId: key.keyId, publicKey: key.publicKey, encoded: key.encoded });
      });
    });
    state.authoritiesInForce = [...state.pendingAuthorities];
    if (!state.isAuthorityKey(record.signer)) {
      throw new LedgerError('NOT_AN_AUTHORITY', 'the genesis record must be signed by one of the genesis authority keys', { signer: record.signer });
    }
    verifyRecordSignature(record, state.keys.get(record.signer)!.publicKey, hash);
    state.logSize = 1;
    return state;
  }

  clone(): ConsortiumState {
    const copy = new ConsortiumState();
    copy.id = this.id;
    copy.name = this.name;
    copy.quorum = { ...this.quorum };
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

const NO_ROLES: ReadonlySet<Role> = new Set<Role>();

function asGenesis<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof LedgerError && err.code === 'INVALID_CHANGE') {
      throw new LedgerError('INVALID_GENESIS', `invalid genesis: ${err.message}`, err.details);
    }
    throw err;
  }
}

function parseGenesisShape(value: unknown): GenesisPayload {
  if (!isPlainObject(value)) throw invalidChange('payload must be an object');
  const allowed = ['consortium', 'members', 'authorities', 'quorum'];
  for (const key of Object.keys(value)) if (!allowed.includes(key)) throw invalidChange(`payload has unexpected field "${key}"`);
  const c = value.consortium;
  if (!isPlainObject(c) || typeof c.id !== 'string' || typeof c.name !== 'string' || c.name.trim() === '' || Object.keys(c).length !== 2) {
    throw invalidChange('payload.consortium must be exactly { id, name }');
  }
  if (!Array.isArray(value.members) || value.members.length === 0) throw invalidChange('payload.members must be a non-empty array of OrgSpec');
  if (!Array.isArray(value.authorities) || value.authorities.length === 0) throw invalidChange('payload.authorities must be a non-empty array');
  const quorum = value.quorum === undefined ? DEFAULT_QUORUM : value.quorum;
  if (!isPlainObject(quorum) || Object.keys(quorum).length !== 2) throw invalidChange('payload.quorum must be { numerator, denominator }');
  const { numerator, denominator } = quorum as { numerator: unknown; denominator: unknown };
  // At least one half: two quorums must always share an honest authority, or a fork could finalise.
  if (
    !Number.isSafeInteger(numerator) ||
    !Number.isSafeInteger(denominator) ||
    (denominator as number) < 2 ||
    (denominator as number) > 1000 ||
    (numerator as number) >= (denominator as number) ||
    2 * (numerator as number) < (denominator as number)
  ) {
    throw invalidChange('payload.quorum must be integers with 1/2 <= numerator/denominator < 1 (denominator <= 1000)', { quorum });
  }
  return {
    consortium: { id: c.id, name: c.name },
    members: value.members as OrgSpec[],
    authorities: value.authorities as AuthoritySpec[],
    quorum: { numerator: numerator as number, denominator: denominator as number },
  };
}

function assertGenesisHeader(state: ConsortiumState, header: BlockHeader, genesisRecordHash: string): void {
  if (header.consortium !== state.id) {
    throw new LedgerError('WRONG_CONSORTIUM', `genesis header is for "${header.consortium}", its record for "${state.id}"`, { expected: header.consortium, computed: state.id });
  }
  if (header.recordCount !== 1) throw new LedgerError('RECORD_COUNT_MISMATCH', 'genesis header recordCount must be 1', { expected: header.recordCount, computed: 1 });
  if (header.logSize !== 1) throw new LedgerError('LOG_SIZE_MISMATCH', 'genesis header logSize must be 1', { expected: header.logSize, computed: 1 });
  const root = merkleRootOfRecordHashes([genesisRecordHash]);
  if (header.merkleRoot !== root) throw new LedgerError('MERKLE_ROOT_MISMATCH', 'genesis merkleRoot does not match its record', { expected: header.merkleRoot, computed: root });
  const setHash = state.authoritySetHash();
  if (header.authoritySetHash !== setHash) {
    throw new LedgerError('AUTHORITY_SET_MISMATCH', 'genesis authoritySetHash does not match the genesis authorities', { expected: header.authoritySetHash, computed: setHash });
  }
}

// ---- seals ----

export interface SealCheck {
  /** Key ids of valid, distinct authority seals. */
  valid: string[];
  /** One typed BAD_SEAL error per rejected seal, with its index in details.sealIndex. */
  problems: LedgerError[];
  required: number;
}

/** Checks every seal against the authority set in force for the block; never throws. */
export function checkSeals(blockHashHex: string, seals: readonly Seal[], authorities: readonly AuthorityEntry[], quorum: QuorumRule): SealCheck {
  const valid: string[] = [];
  const problems: LedgerError[] = [];
  const orgsSeen = new Set<string>();
  (Array.isArray(seals) ? seals : []).forEach((seal, sealIndex) => {
    const keyId = isPlainObject(seal) && typeof seal.keyId === 'string' ? seal.keyId : '(missing)';
    const authority = authorities.find((a) => a.keyId === keyId);
    if (!authority) {
      problems.push(new LedgerError('BAD_SEAL', `seal ${sealIndex} is by key ${keyId.slice(0, 16)}, which is not an authority in force for this block`, { sealIndex, keyId }));
      return;
    }
    if (orgsSeen.has(authority.orgId)) {
      problems.push(new LedgerError('BAD_SEAL', `seal ${sealIndex} duplicates a seal by authority "${authority.orgId}"`, { sealIndex, keyId, orgId: authority.orgId }));
      return;
    }
    if (typeof seal.signature !== 'string' || !isValidSeal(blockHashHex, seal, authority.publicKey)) {
      problems.push(new LedgerError('BAD_SEAL', `seal ${sealIndex} by authority "${authority.orgId}" does not verify over the block hash`, { sealIndex, keyId, orgId: authority.orgId, blockHash: blockHashHex }));
      return;
    }
    orgsSeen.add(authority.orgId);
    valid.push(keyId);
  });
  return { valid, problems, required: quorumSize(authorities.length, quorum) };
}

/** Throws BAD_SEAL for the first bad seal, or NO_QUORUM when too few valid distinct seals. */
export function assertSealQuorum(blockHashHex: string, seals: readonly Seal[], authorities: readonly AuthorityEntry[], quorum: QuorumRule): string[] {
  const check = checkSeals(blockHashHex, seals, authorities, quorum);
  if (check.problems.length > 0) throw check.problems[0]!;
  if (check.valid.length < check.required) {
    throw new LedgerError('NO_QUORUM', `block has ${check.valid.length} valid seals, needs ${check.required} of ${authorities.length} authorities`, {
      expected: check.required,
      computed: check.valid.length,
      blockHash: blockHashHex,
    });
  }
  return check.valid;
}

// ---- admission ----

/** Throws unless keyId may sign a record of this kind now; returns the resolved signer. */
export function requireActiveSigner(state: ConsortiumState, keyId: string, kind: RecordKind): ResolvedSigner {
  const signer = state.resolveSigner(keyId);
  if (!signer) throw new LedgerError('UNKNOWN_SIGNER', `signer key ${keyId.slice(0, 16)} is not registered in consortium "${state.id}"`, { keyId });
  if (signer.org.status !== 'active') {
    throw new LedgerError('SIGNER_NOT_ACTIVE', `signer's org "${signer.org.id}" has been removed from the consortium`, { keyId, orgId: signer.org.id });
  }
  if (signer.type === 'org') {
    if (signer.key.status === 'revoked') {
      throw new LedgerError('SIGNER_REVOKED', `key ${keyId.slice(0, 16)} of "${signer.org.id}" was revoked at log index ${signer.key.endedAtLogIndex}`, {
        keyId,
        orgId: signer.org.id,
        endedAtLogIndex: signer.key.endedAtLogIndex,
      });
    }
    if (signer.key.status !== 'active') {
      throw new LedgerError('SIGNER_NOT_ACTIVE', `key ${keyId.slice(0, 16)} of "${signer.org.id}" was ${signer.key.status} at log index ${signer.key.endedAtLogIndex}`, {
        keyId,
        orgId: signer.org.id,
        status: signer.key.status,
        endedAtLogIndex: signer.key.endedAtLogIndex,
      });
    }
    return signer;
  }
  if (signer.device.status !== 'active' || state.devices.get(signer.device.deviceId) !== signer.device) {
    throw new LedgerError('DEVICE_REVOKED', `device "${signer.device.deviceId}" key was revoked at log index ${signer.device.revokedAtLogIndex}`, {
      keyId,
      deviceId: signer.device.deviceId,
    });
  }
  if (kind !== RecordKind.SENSOR_WINDOW) {
    throw new LedgerError('NOT_AUTHORISED', `device keys may only sign ${RecordKind.SENSOR_WINDOW} records, not ${kind}`, { keyId, deviceId: signer.device.deviceId, kind });
  }
  return signer;
}

/**
 * Admits one record: either throws a typed LedgerError leaving the state untouched, or applies
 * the record's effect and increments logSize. All checks happen before the first mutation.
 */
export function admitRecord(state: ConsortiumState, record: SignedRecord, opts: AdmitOptions = {}): AdmissionResult {
  assertRecordShape(record);
  if (record.consortium !== state.id) {
    throw new LedgerError('WRONG_CONSORTIUM', `record is for consortium "${record.consortium}", this ledger is "${state.id}"`, {
      expected: state.id,
      computed: record.consortium,
    });
  }
  if (record.kind === RecordKind.GENESIS) {
    throw new LedgerError('DUPLICATE_GENESIS', `consortium "${state.id}" already has its genesis; a second ${RecordKind.GENESIS} record is not allowed`);
  }
  const hash = opts.recordHash ?? recordHash(record);
  const signer = requireActiveSigner(state, record.signer, record.kind);
  const publicKey = signer.type === 'org' ? signer.key.publicKey : signer.device.publicKey;
  if (opts.verifySignature !== false) verifyRecordSignature(record, publicKey, hash);
  const logIndex = state.logSize;
  const effects = applyKind(state, record, hash, signer, logIndex);
  state.logSize = logIndex + 1;
  return { recordHash: hash, logIndex, signer, effects };
}

function requireOrgSigner(signer: ResolvedSigner, kind: string): Extract<ResolvedSigner, { type: 'org' }> {
  if (signer.type !== 'org') throw new LedgerError('NOT_AUTHORISED', `${kind} must be signed by an organisation key, not a device`);
  return signer;
}

function applyKind(state: ConsortiumState, record: SignedRecord, hash: string, signer: ResolvedSigner, logIndex: number): string[] {
  switch (record.kind) {
    case RecordKind.PROPOSAL:
      return admitProposal(state, record, hash, requireOrgSigner(signer, record.kind), logIndex);
    case RecordKind.APPROVAL:
      return admitApproval(state, record, signer, logIndex);
    case RecordKind.DEVICE_REGISTER:
      return admitDeviceRegister(state, record, requireOrgSigner(signer, record.kind), logIndex);
    case RecordKind.DEVICE_REVOKE:
      return admitDeviceRevoke(state, record, requireOrgSigner(signer, record.kind), logIndex);
    case RecordKind.RULESET_PUBLISH:
      return admitRuleSetPublish(state, record, requireOrgSigner(signer, record.kind));
    case RecordKind.COLD_CHAIN_BREACH:
      // Rule verdicts are the consortium's, evaluated alike on every node: only authorities sign them.
      requireAuthoritySigner(state, record, requireOrgSigner(signer, record.kind));
      return [`cold-chain breach recorded by ${signer.org.id}`];
    default:
      return [];
  }
}

function requireAuthoritySigner(state: ConsortiumState, record: SignedRecord, signer: Extract<ResolvedSigner, { type: 'org' }>): void {
  if (!state.isAuthorityKey(record.signer)) {
    throw new LedgerError('NOT_AN_AUTHORITY', `${record.kind} must be signed by an authority key in force, not by "${signer.org.id}"`, {
      keyId: record.signer,
      orgId: signer.org.id,
      kind: record.kind,
    });
  }
}

/** A rule set goes on chain with its hash, so verdicts can cite {id, version, hash}. */
function admitRuleSetPublish(state: ConsortiumState, record: SignedRecord, signer: Extract<ResolvedSigner, { type: 'org' }>): string[] {
  requireAuthoritySigner(state, record, signer);
  const p = record.payload as Record<string, unknown>;
  if (!isPlainObject(p) || Object.keys(p).length !== 2 || !isPlainObject(p['ruleSet']) || !isHash(p['hash'])) {
    throw invalidChange('rules.publish payload must be exactly { ruleSet, hash }');
  }
  const computed = hashCanonical(HashTag.RULESET, p['ruleSet'] as JsonValue);
  if (computed !== p['hash']) throw new LedgerError('INVALID_CHANGE', 'rules.publish hash does not match its rule set', { expected: p['hash'], computed });
  const ruleSet = p['ruleSet'] as { id?: unknown; version?: unknown };
  return [`rule set ${String(ruleSet.id)} v${String(ruleSet.version)} published by ${signer.org.id}`];
}

function admitProposal(state: ConsortiumState, record: SignedRecord, hash: string, signer: Extract<ResolvedSigner, { type: 'org' }>, logIndex: number): string[] {
  const payload = parseProposalPayload(record.payload);
  validateChange(state, payload.change);
  if (state.proposals.has(hash)) throw new LedgerError('DUPLICATE_RECORD', `proposal ${hash} is already in the log`, { recordHash: hash });
  const proposal: ProposalEntry = {
    hash,
    change: payload.change,
    proposerOrgId: signer.org.id,
    approvals: new Set(),
    status: 'pending',
    proposedAtLogIndex: logIndex,
  };
  if (payload.reason !== undefined) proposal.reason = payload.reason;
  const effects = [`proposal ${hash.slice(0, 12)} by ${signer.org.id}: ${describeChange(payload.change)}`];
  if (state.isAuthorityKey(signer.key.keyId)) proposal.approvals.add(signer.org.id);
  state.proposals.set(hash, proposal);
  if (proposal.approvals.size > 0) effects.push(approvalEffect(state, proposal, signer.org.id));
  return [...effects, ...applyIfQuorum(state, proposal, logIndex)];
}

function admitApproval(state: ConsortiumState, record: SignedRecord, signer: ResolvedSigner, logIndex: number): string[] {
  if (signer.type !== 'org' || !state.isAuthorityKey(record.signer)) {
    throw new LedgerError('NOT_AN_AUTHORITY', `approval signer "${signer.org.id}" is not an authority in force for this block`, {
      keyId: record.signer,
      orgId: signer.org.id,
    });
  }
  const { proposal: proposalHash } = parseApprovalPayload(record.payload);
  const proposal = state.proposals.get(proposalHash);
  if (!proposal) throw new LedgerError('UNKNOWN_PROPOSAL', `no proposal ${proposalHash} in the log`, { proposal: proposalHash });
  if (proposal.status !== 'pending') {
    throw new LedgerError('UNKNOWN_PROPOSAL', `proposal ${proposalHash} was already applied at log index ${proposal.appliedAtLogIndex}`, { proposal: proposalHash });
  }
  if (proposal.approvals.has(signer.org.id)) {
    throw new LedgerError('DUPLICATE_APPROVAL', `authority "${signer.org.id}" already approved proposal ${proposalHash}`, { proposal: proposalHash, orgId: signer.org.id });
  }
  try {
    validateChange(state, proposal.change);
  } catch (err) {
    if (err instanceof LedgerError) {
      throw new LedgerError('INVALID_CHANGE', `proposal ${proposalHash.slice(0, 12)} can no longer be applied: ${err.message}`, { ...err.details, proposal: proposalHash });
    }
    throw err;
  }
  proposal.approvals.add(signer.org.id);
  return [approvalEffect(state, proposal, signer.org.id), ...applyIfQuorum(state, proposal, logIndex)];
}

function countApprovals(state: ConsortiumState, proposal: ProposalEntry): number {
  let n = 0;
  for (const orgId of proposal.approvals) if (state.isAuthorityOrg(orgId)) n += 1;
  return n;
}

function approvalEffect(state: ConsortiumState, proposal: ProposalEntry, orgId: string): string {
  return `proposal ${proposal.hash.slice(0, 12)} approved by ${orgId} (${countApprovals(state, proposal)}/${state.requiredQuorum()})`;
}

function applyIfQuorum(state: ConsortiumState, proposal: ProposalEntry, logIndex: number): string[] {
  if (countApprovals(state, proposal) < state.requiredQuorum()) return [];
  const effects = applyChange(state, proposal.change, logIndex);
  proposal.status = 'applied';
  proposal.appliedAtLogIndex = logIndex;
  return effects;
}

function admitDeviceRegister(state: ConsortiumState, record: SignedRecord, signer: Extract<ResolvedSigner, { type: 'org' }>, logIndex: number): string[] {
  const p = parseDeviceRegisterPayload(record.payload);
  const existing = state.devices.get(p.deviceId);
  if (existing && existing.status === 'active') throw invalidChange(`device "${p.deviceId}" is already registered and active`, { deviceId: p.deviceId });
  if (existing && existing.orgId !== signer.org.id) {
    throw invalidChange(`device id "${p.deviceId}" belongs to org "${existing.orgId}"`, { deviceId: p.deviceId, owner: existing.orgId });
  }
  const keyId = p.parsedKey.keyId;
  if (state.keys.has(keyId) || state.deviceKeys.has(keyId)) throw invalidChange('device key is already registered to another org or device', { keyId });
  const device: DeviceEntry = {
    deviceId: p.deviceId,
    orgId: signer.org.id,
    keyId,
    publicKey: p.parsedKey.publicKey,
    encoded: p.parsedKey.encoded,
    kind: p.kind ?? 'sensor',
    status: 'active',
    registeredAtLogIndex: logIndex,
    attributes: structuredClone(p.attributes ?? {}),
  };
  state.devices.set(device.deviceId, device);
  state.deviceKeys.set(keyId, device);
  state.deviceByKeyId.set(keyId, device.deviceId);
  return [`device ${device.deviceId} registered to ${device.orgId}`];
}

function admitDeviceRevoke(state: ConsortiumState, record: SignedRecord, signer: Extract<ResolvedSigner, { type: 'org' }>, logIndex: number): string[] {
  const p = parseDeviceRevokePayload(record.payload);
  const device = state.devices.get(p.deviceId);
  if (!device) throw new LedgerError('UNKNOWN_DEVICE', `no device "${p.deviceId}" is registered`, { deviceId: p.deviceId });
  if (device.status !== 'active') throw new LedgerError('DEVICE_REVOKED', `device "${p.deviceId}" is already revoked`, { deviceId: p.deviceId });
  if (signer.org.id !== device.orgId && !state.isAuthorityKey(record.signer)) {
    throw new LedgerError('NOT_AUTHORISED', `only the owner "${device.orgId}" or an authority may revoke device "${p.deviceId}"`, {
      deviceId: p.deviceId,
      signerOrg: signer.org.id,
    });
  }
  device.status = 'revoked';
  device.revokedAtLogIndex = logIndex;
  return [`device ${device.deviceId} revoked by ${signer.org.id}`];
}

// ---- blocks ----

/**
 * Builds the header for the open block after its records were admitted: logSize is the state's,
 * authoritySetHash the set in force for THIS block.
 */
export function buildBlockHeader(
  state: ConsortiumState,
  previous: { height: number; hash: string } | null,
  recordHashes: readonly string[],
  timestamp: string,
): BlockHeader {
  if (!isTimestamp(timestamp)) throw new LedgerError('MALFORMED_BLOCK', 'block timestamp must be RFC 3339 UTC with milliseconds', { timestamp });
  if (previous === null ? state.height !== -1 : previous.height !== state.height) {
    throw new LedgerError('WRONG_HEIGHT', `previous block height ${previous?.height ?? 'none'} is not the state's head ${state.height}`, {
      expected: state.height,
      computed: previous?.height ?? null,
    });
  }
  const previousHash = previous?.hash ?? GENESIS_PREVIOUS_HASH;
  if (previous !== null && previousHash !== state.headHash) {
    throw new LedgerError('BROKEN_HASH_LINK', "previous block hash is not the state's head hash", { expected: state.headHash, computed: previousHash });
  }
  if (state.headTimestamp !== '' && timestamp < state.headTimestamp) {
    throw new LedgerError('TIME_REVERSED', `block timestamp ${timestamp} is before the previous block's ${state.headTimestamp}`, {
      expected: state.headTimestamp,
      computed: timestamp,
    });
  }
  return {
    v: 1,
    consortium: state.id,
    height: state.height + 1,
    previousHash,
    merkleRoot: merkleRootOfRecordHashes(recordHashes),
    recordCount: recordHashes.length,
    logSize: state.logSize,
    timestamp,
    authoritySetHash: state.authoritySetHash(),
  };
}

/** Closes the block: records the head, and the pending authority set comes into force. */
export function closeBlock(state: ConsortiumState, header: BlockHeader, blockHashHex: string): void {
  state.height = header.height;
  state.headHash = blockHashHex;
  state.headTimestamp = header.timestamp;
  state.authoritiesInForce = [...state.pendingAuthorities];
}

/** Signs the genesis record with authorityKeys[0] and seals with every given key in the set. */
export function createGenesisBlock(spec: GenesisSpec, authorityKeys: readonly KeyPair[], timestamp: string): Block {
  const signer = authorityKeys[0];
  if (!signer) throw new LedgerError('INVALID_GENESIS', 'createGenesisBlock needs at least one authority key pair');
  const payload: GenesisPayload = {
    consortium: { id: spec.consortiumId, name: spec.name },
    members: spec.members.map((m, i) => asGenesis(() => validateOrgSpec(m, `members[${i}]`))),
    authorities: spec.authorities.map((a) => ({ orgId: a.orgId, keyId: a.keyId })),
    quorum: spec.quorum ?? DEFAULT_QUORUM,
  };
  const record = signRecord({ consortium: spec.consortiumId, kind: RecordKind.GENESIS, payload: payload as unknown as JsonValue, signedAt: timestamp }, signer);
  const hash = recordHash(record);
  const state = ConsortiumState.fromGenesisRecord(record, hash);
  const header = buildBlockHeader(state, null, [hash], timestamp);
  const hashHex = blockHash(header);
  const seals = authorityKeys.filter((k) => state.isAuthorityKey(k.keyId)).map((k) => sealBlock(hashHex, k));
  const block: Block = { header, records: [record], seals };
  ConsortiumState.fromGenesis(block);
  return block;
}

/** Parses an encoded key for callers that hold authority lists as text. */
export function authorityEntryOf(orgId: string, encodedKey: string): AuthorityEntry {
  const parsed = parseMemberKey('authority key', encodedKey);
  return { orgId, keyId: parsed.keyId, publicKey: parsed.publicKey, encoded: parsed.encoded };
}
