/**
 * The entries a consortium state holds, and AdmissionState: the part of the state that record
 * admission and governance read and change. Kept apart from the ConsortiumState class so the
 * record-kind modules and the governance rules can take a state without importing the class
 * (which itself builds on them for genesis).
 */
import { HashTag, hashCanonical, type PublicKey } from '../crypto/index.js';
import type { QuorumRule } from './block.js';
import type { MembershipChange, OrgSpec, Role } from './membership.js';
import type { NodeEndpoint } from './node-endpoint.js';

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
  /** The organisation's node as registered on chain (node.endpoint), from that log index on. */
  node?: Readonly<NodeEndpoint & { fromLogIndex: number }>;
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

export type ResolvedSigner = { type: 'org'; org: OrgEntry; key: KeyEntry } | { type: 'device'; device: DeviceEntry; org: OrgEntry };
export type OrgSigner = Extract<ResolvedSigner, { type: 'org' }>;

/**
 * What admission and governance read and change. ConsortiumState implements it; the mutation
 * helpers take validated input only.
 */
export interface AdmissionState {
  id: string;
  name: string;
  quorum: QuorumRule;
  /** Records after which a block is cut without a cut marker. */
  sealMaxRecords: number;
  /** The genesis setting: blocks commit to the identifier index map (undefined: the genesis does not say). */
  indexCommitment: boolean | undefined;
  /** Puts a custody rule set in force from a log index on (rules/custody-state.ts). */
  adoptCustodyRules(version: 1 | 2, fromLogIndex: number): void;
  /** The custody rule set the next record is admitted under. */
  readonly custodyRules: 1 | 2;
  /** Records applied so far (the next record's log index). */
  logSize: number;
  readonly orgs: Map<string, OrgEntry>;
  readonly keys: Map<string, KeyEntry>;
  /** Current registration per device id. */
  readonly devices: Map<string, DeviceEntry>;
  /** Every device registration ever made, by key id. */
  readonly deviceKeys: Map<string, DeviceEntry>;
  readonly deviceByKeyId: Map<string, string>;
  readonly proposals: Map<string, ProposalEntry>;
  /** Authorities for the next block (approved authority changes land here). */
  pendingAuthorities: AuthorityEntry[];
  /** Authorities that seal and approve in the open block. */
  authoritiesInForce: readonly AuthorityEntry[];
  isAuthorityKey(keyId: string): boolean;
  isAuthorityOrg(orgId: string): boolean;
  /** The authority set in force for the block at this height (the open block and later: the current one). */
  authoritySetAtHeight(height: number): AuthoritySetVersion | undefined;
  requiredQuorum(): number;
  orgByIdentifier(scheme: string, value: string): OrgEntry | undefined;
  addOrg(spec: OrgSpec, logIndex: number): OrgEntry;
  addOrgKey(orgId: string, encodedKey: string, logIndex: number): KeyEntry;
  grantRole(orgId: string, role: Role, logIndex: number): void;
  revokeRole(orgId: string, role: Role, logIndex: number): void;
  removeOrg(orgId: string, logIndex: number): void;
}

/** The authority-set hash committed in every block header: sorted by keyId, JCS, tagged SHA-256. */
export function hashAuthoritySet(authorities: readonly { orgId: string; keyId: string; publicKey: string }[]): string {
  const sorted = [...authorities]
    .sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0))
    .map((a) => ({ orgId: a.orgId, keyId: a.keyId, publicKey: a.publicKey }));
  return hashCanonical(HashTag.AUTHORITY_SET, sorted);
}
