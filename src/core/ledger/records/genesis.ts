/**
 * consortium.genesis: the one record of block 0. It names the consortium, its founding members and
 * authorities and the seal quorum, and is signed by one of those authorities. It creates the
 * state (ConsortiumState.fromGenesisRecord); any later genesis record is refused.
 */
import { DEFAULT_QUORUM, GENESIS_PREVIOUS_HASH, MAX_SEAL_MAX_RECORDS, isSealMaxRecords, merkleRootOfRecordHashes, type Block, type BlockHeader, type QuorumRule } from '../block.js';
import { LedgerError } from '../errors.js';
import { validateChange } from '../membership-change.js';
import { invalidChange, isPlainObject, validateOrgSpec, type AuthoritySpec, type OrgSpec } from '../membership.js';
import { verifyRecordSignature, type SignedRecord } from '../record.js';
import type { AdmissionState } from '../state-types.js';
import type { RecordKindModule } from './kind.js';
import { RecordKind } from './kinds.js';
import { CUSTODY_RULES_VERSIONS, isCustodyRulesVersion, type CustodyRulesVersion } from '../../rules/custody-state.js';

export interface GenesisPayload {
  consortium: { id: string; name: string };
  members: OrgSpec[];
  authorities: AuthoritySpec[];
  /** Seals/approvals needed: strictly more than numerator/denominator of the authorities. */
  quorum: QuorumRule;
  /** Records after which a block is cut without a cut marker; absent: DEFAULT_SEAL_MAX_RECORDS. */
  sealMaxRecords?: number;
  /** Blocks commit to the identifier index map (version-2 headers); fixed at genesis. Absent: see headerVersionRule. */
  indexCommitment?: boolean;
  /** Custody rule set (rules/custody-state.ts) in force from the genesis on; absent: rule set 1. */
  custodyRules?: CustodyRulesVersion;
}

export interface GenesisSpec {
  consortiumId: string;
  name: string;
  members: OrgSpec[];
  authorities: AuthoritySpec[];
  quorum?: QuorumRule;
  sealMaxRecords?: number;
  indexCommitment?: boolean;
  /** Absent: the latest rule set (LATEST_CUSTODY_RULES). */
  custodyRules?: CustodyRulesVersion;
}

/** Runs fn, turning its INVALID_CHANGE into INVALID_GENESIS (a genesis is not a governance change). */
export function asGenesis<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof LedgerError && err.code === 'INVALID_CHANGE') {
      throw new LedgerError('INVALID_GENESIS', `invalid genesis: ${err.message}`, err.details);
    }
    throw err;
  }
}

function parseQuorum(value: unknown): QuorumRule {
  const quorum = value === undefined ? DEFAULT_QUORUM : value;
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
  return { numerator: numerator as number, denominator: denominator as number };
}

/** Shape of the payload (members and authorities are checked against each other by applyGenesisRecord). Throws INVALID_CHANGE. */
export function parseGenesisPayload(value: unknown): GenesisPayload {
  if (!isPlainObject(value)) throw invalidChange('payload must be an object');
  const allowed = ['consortium', 'members', 'authorities', 'quorum', 'sealMaxRecords', 'indexCommitment', 'custodyRules'];
  for (const key of Object.keys(value)) if (!allowed.includes(key)) throw invalidChange(`payload has unexpected field "${key}"`);
  const c = value.consortium;
  if (!isPlainObject(c) || typeof c.id !== 'string' || typeof c.name !== 'string' || c.name.trim() === '' || Object.keys(c).length !== 2) {
    throw invalidChange('payload.consortium must be exactly { id, name }');
  }
  if (!Array.isArray(value.members) || value.members.length === 0) throw invalidChange('payload.members must be a non-empty array of OrgSpec');
  if (!Array.isArray(value.authorities) || value.authorities.length === 0) throw invalidChange('payload.authorities must be a non-empty array');
  const quorum = parseQuorum(value.quorum);
  if (value.sealMaxRecords !== undefined && !isSealMaxRecords(value.sealMaxRecords)) {
    throw invalidChange(`payload.sealMaxRecords must be an integer from 1 to ${MAX_SEAL_MAX_RECORDS}`, { sealMaxRecords: value.sealMaxRecords });
  }
  if (value.indexCommitment !== undefined && typeof value.indexCommitment !== 'boolean') throw invalidChange('payload.indexCommitment must be true or false', { indexCommitment: value.indexCommitment });
  if (value.custodyRules !== undefined && !isCustodyRulesVersion(value.custodyRules)) {
    throw invalidChange(`payload.custodyRules must be one of ${CUSTODY_RULES_VERSIONS.join(', ')}`, { custodyRules: value.custodyRules });
  }
  return {
    consortium: { id: c.id, name: c.name },
    members: value.members as OrgSpec[],
    authorities: value.authorities as AuthoritySpec[],
    quorum,
    ...(value.sealMaxRecords !== undefined ? { sealMaxRecords: value.sealMaxRecords } : {}),
    ...(value.indexCommitment !== undefined ? { indexCommitment: value.indexCommitment } : {}),
    ...(value.custodyRules !== undefined ? { custodyRules: value.custodyRules } : {}),
  };
}

/**
 * Fills a blank state from the genesis record: members, authorities (in force for block 0), quorum.
 * Checks the payload and that a genesis authority signed it; logSize becomes 1.
 */
export function applyGenesisRecord(state: AdmissionState, record: SignedRecord, hash: string): void {
  const payload = asGenesis(() => parseGenesisPayload(record.payload));
  if (payload.consortium.id !== record.consortium) {
    throw new LedgerError('WRONG_CONSORTIUM', `genesis payload names consortium "${payload.consortium.id}" but the record is for "${record.consortium}"`, {
      expected: record.consortium,
      computed: payload.consortium.id,
    });
  }
  state.id = payload.consortium.id;
  state.name = payload.consortium.name;
  state.quorum = payload.quorum;
  if (payload.sealMaxRecords !== undefined) state.sealMaxRecords = payload.sealMaxRecords;
  if (payload.indexCommitment !== undefined) state.indexCommitment = payload.indexCommitment;
  if (payload.custodyRules !== undefined) state.adoptCustodyRules(payload.custodyRules, 0);
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
}

/** Block 0's place in the chain: height 0, no previous block, exactly one record. */
export function assertGenesisBlockPosition(block: Block): void {
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
}

/** The genesis header commits to the genesis record and the genesis authority set. */
export function assertGenesisHeader(header: BlockHeader, genesis: { consortium: string; authoritySetHash: string }, genesisRecordHash: string): void {
  if (header.consortium !== genesis.consortium) {
    throw new LedgerError('WRONG_CONSORTIUM', `genesis header is for "${header.consortium}", its record for "${genesis.consortium}"`, {
      expected: header.consortium,
      computed: genesis.consortium,
    });
  }
  if (header.recordCount !== 1) throw new LedgerError('RECORD_COUNT_MISMATCH', 'genesis header recordCount must be 1', { expected: header.recordCount, computed: 1 });
  if (header.logSize !== 1) throw new LedgerError('LOG_SIZE_MISMATCH', 'genesis header logSize must be 1', { expected: header.logSize, computed: 1 });
  const root = merkleRootOfRecordHashes([genesisRecordHash]);
  if (header.merkleRoot !== root) throw new LedgerError('MERKLE_ROOT_MISMATCH', 'genesis merkleRoot does not match its record', { expected: header.merkleRoot, computed: root });
  if (header.authoritySetHash !== genesis.authoritySetHash) {
    throw new LedgerError('AUTHORITY_SET_MISMATCH', 'genesis authoritySetHash does not match the genesis authorities', {
      expected: header.authoritySetHash,
      computed: genesis.authoritySetHash,
    });
  }
}

function duplicateGenesis(state: AdmissionState): LedgerError {
  return new LedgerError('DUPLICATE_GENESIS', `consortium "${state.id}" already has its genesis; a second ${RecordKind.GENESIS} record is not allowed`);
}

export const genesisRecord: RecordKindModule<GenesisPayload> = {
  kind: RecordKind.GENESIS,
  payload: { version: 1, parse: (value) => asGenesis(() => parseGenesisPayload(value)) },
  signers: 'organisation',
  changesMembership: true,
  precheck(state) {
    throw duplicateGenesis(state);
  },
  admit(state) {
    throw duplicateGenesis(state);
  },
};
