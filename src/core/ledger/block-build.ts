/** Building blocks for the open state: the next header, and a sealed genesis block from a spec. */
import type { JsonValue, KeyPair } from '../crypto/index.js';
import { DEFAULT_QUORUM, GENESIS_PREVIOUS_HASH, blockHash, merkleRootOfRecordHashes, sealBlock, type Block, type BlockHeader } from './block.js';
import { LedgerError } from './errors.js';
import { parseMemberKey, validateOrgSpec } from './membership.js';
import { RecordKind, isHash, isTimestamp, recordHash, signRecord } from './record.js';
import { asGenesis, type GenesisPayload, type GenesisSpec } from './records/genesis.js';
import { ConsortiumState } from './state.js';
import { LATEST_CUSTODY_RULES } from '../rules/custody-state.js';
import type { AuthorityEntry } from './state-types.js';

/**
 * Builds the header for the open block after its records were admitted: logSize is the state's,
 * authoritySetHash the set in force for THIS block. With an indexRoot (the index map after the
 * block's records) the header is version 2, without one version 1.
 */
export function buildBlockHeader(
  state: ConsortiumState,
  previous: { height: number; hash: string } | null,
  recordHashes: readonly string[],
  timestamp: string,
  indexRoot?: string,
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
  if (indexRoot !== undefined && !isHash(indexRoot)) throw new LedgerError('MALFORMED_BLOCK', 'indexRoot must be 64 lower-case hex digits', { indexRoot });
  const common = {
    consortium: state.id,
    height: state.height + 1,
    previousHash,
    merkleRoot: merkleRootOfRecordHashes(recordHashes),
    recordCount: recordHashes.length,
    logSize: state.logSize,
    timestamp,
    authoritySetHash: state.authoritySetHash(),
  };
  return indexRoot === undefined ? { v: 1, ...common } : { v: 2, ...common, indexRoot };
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
    ...(spec.sealMaxRecords !== undefined ? { sealMaxRecords: spec.sealMaxRecords } : {}),
    ...(spec.indexCommitment !== undefined ? { indexCommitment: spec.indexCommitment } : {}),
    custodyRules: spec.custodyRules ?? LATEST_CUSTODY_RULES,
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
