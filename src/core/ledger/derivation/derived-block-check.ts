/**
 * What an authority checks before it seals a derived block, as `provenant verify` checks a stored
 * one: the header's shape and hash, its place after the previous block (height, hash link, time
 * order, log size), its record count and Merkle root, and the authority set it names. Each record
 * was admitted by the deriver through admitRecord, the rule the chain verifier applies.
 */
import { indexRootOf, merkleRootOfRecordHashes } from '../block.js';
import { checkBlockHeader, type BlockFailure } from '../block-check.js';
import type { DerivedBlock } from './types.js';

export interface DerivedBlockFailure {
  code: BlockFailure['code'] | 'WRONG_HEIGHT' | 'BROKEN_HASH_LINK' | 'TIME_REVERSED' | 'LOG_SIZE_MISMATCH' | 'RECORD_COUNT_MISMATCH' | 'MERKLE_ROOT_MISMATCH' | 'INDEX_ROOT_MISMATCH';
  message: string;
}

export function checkDerivedBlock(block: DerivedBlock): DerivedBlockFailure[] {
  const { header, previous } = block;
  const height = previous.height + 1;
  const failures: DerivedBlockFailure[] = checkBlockHeader(header, block.hash, height).failures.map((f) => ({ code: f.code, message: f.message }));
  if (failures.length > 0) return failures;
  const fail = (code: DerivedBlockFailure['code'], message: string) => failures.push({ code, message: `block ${height}: ${message}` });
  if (header.height !== height) fail('WRONG_HEIGHT', `header claims height ${header.height}`);
  if (header.previousHash !== previous.hash) fail('BROKEN_HASH_LINK', 'previousHash is not the hash of the block before');
  if (header.timestamp < previous.timestamp) fail('TIME_REVERSED', `timestamp ${header.timestamp} is before ${previous.timestamp}`);
  if (header.recordCount !== block.recordHashes.length) fail('RECORD_COUNT_MISMATCH', `header says ${header.recordCount} records, the block holds ${block.recordHashes.length}`);
  if (header.logSize !== previous.logSize + block.recordHashes.length) fail('LOG_SIZE_MISMATCH', `header logSize ${header.logSize}, the log holds ${previous.logSize + block.recordHashes.length}`);
  if (header.merkleRoot !== merkleRootOfRecordHashes(block.recordHashes)) fail('MERKLE_ROOT_MISMATCH', 'Merkle root does not match its records');
  if (indexRootOf(header) !== block.index?.root) fail('INDEX_ROOT_MISMATCH', 'header indexRoot is not the root of the index map after its records');
  if (header.authoritySetHash !== block.authorities.hash) fail('AUTHORITY_SET_MISMATCH', 'header names another authority set than the one in force');
  return failures;
}
