/**
 * Per-hop verification (issue #4 §3), pure given the fetched evidence. Block-level work (seal,
 * quorum, hash link to the head) is done once per block per query and shared across hops.
 */
import { fromHex } from '../crypto/index.js';
import { assertHeaderShape, blockHash, type BlockHeader, type Seal } from '../ledger/block.js';
import { checkSeals, type ConsortiumState } from '../ledger/consortium.js';
import { leafHash } from '../ledger/merkle-hash.js';
import { inclusionProof } from '../ledger/merkle-tree.js';
import { isValidInclusion } from '../ledger/merkle-verify.js';
import { assertRecordShape, recordHash, verifyRecordSignature, type SignedRecord } from '../ledger/record.js';
import { ruleFor } from '../rules/authorisation.js';
import type { BlockEvidence, BreachEvidence, RecordEvidence } from './evidence.js';
import { itemEdges, type LineageEdge, type TraceResult } from './graph.js';
import { semanticReasons, type HopReason } from './semantics.js';

export type HopStatus = 'VERIFIED' | 'WARNING' | 'FAILED';

export interface HopVerdict {
  edge: LineageEdge;
  recordHash: string;
  status: HopStatus;
  /** FAILED: what failed (check: signature, record-hash, signer-key, role, inclusion, seal, block-hash, hash-link, missing-record). */
  failures: HopReason[];
  warnings: HopReason[];
}

export interface VerificationEvidence {
  state: ConsortiumState;
  records: Map<string, RecordEvidence>;
  blocks: Map<number, BlockEvidence>;
  blockRecordHashes: Map<number, string[]>;
  breaches: BreachEvidence[];
}

export interface RecordCheck {
  failures: HopReason[];
  warnings: HopReason[];
}

interface BlockCheck {
  header?: BlockHeader;
  failures: HopReason[];
  warnings: HopReason[];
}

const RANK: Record<HopStatus, number> = { VERIFIED: 0, WARNING: 1, FAILED: 2 };

export function worst(statuses: Iterable<HopStatus>): HopStatus {
  let w: HopStatus = 'VERIFIED';
  for (const s of statuses) if (RANK[s] > RANK[w]) w = s;
  return w;
}

function fail(code: string, message: string, details: Record<string, unknown> = {}): HopReason {
  return { code, message, details };
}

/** Verifies each block once: header hash, seals + quorum, and the previousHash chain up to the state's head. */
export class BlockVerifier {
  readonly #cache = new Map<number, BlockCheck>();
  #linked?: Map<number, HopReason | null>;
  constructor(private readonly evidence: VerificationEvidence) {}

  check(height: number): BlockCheck {
    const cached = this.#cache.get(height);
    if (cached) return cached;
    const result = this.#checkOne(height);
    this.#cache.set(height, result);
    return result;
  }

  #checkOne(height: number): BlockCheck {
    const { state } = this.evidence;
    const row = this.evidence.blocks.get(height);
    if (!row) return { failures: [fail('missing-block', `block ${height} not found`, { height })], warnings: [] };
    let header: BlockHeader;
    try {
      header = JSON.parse(row.header) as BlockHeader;
      assertHeaderShape(header);
    } catch (err) {
      return { failures: [fail('block-hash', `block ${height} header is malformed: ${(err as Error).message}`, { height })], warnings: [] };
    }
    const failures: HopReason[] = [];
    const warnings: HopReason[] = [];
    const computed = blockHash(header);
    if (computed !== row.hash) failures.push(fail('block-hash', `block ${height} header does not hash to its stored hash`, { height, expected: row.hash, computed }));
    if (header.authoritySetHash === state.authoritySetHash()) {
      let seals: Seal[] = [];
      try {
        seals = JSON.parse(row.seals) as Seal[];
      } catch {
        seals = [];
      }
      const sealCheck = checkSeals(computed, seals, state.authoritiesInForce, state.quorum);
      if (sealCheck.problems.length > 0 || sealCheck.valid.length < sealCheck.required) {
        failures.push(
          fail('seal', `block ${height} has ${sealCheck.valid.length} valid seals, needs ${sealCheck.required}`, {
            height,
            expected: sealCheck.required,
            computed: sealCheck.valid.length,
            problems: sealCheck.problems.map((p) => p.message),
          }),
        );
      }
    } else {
      // First version: seals are checked only against the authority set in force now.
      warnings.push(fail('AUTHORITY_SET_CHANGED', `block ${height} was sealed under another authority set; seals not checked`, { height, expected: header.authoritySetHash, computed: state.authoritySetHash() }));
    }
    const link = this.#linkToHead().get(height);
    if (link) failures.push(link);
    return { header, failures, warnings };
  }

  /** Walks previousHash from the head down once; a height maps to the first broken link above it (null: linked). */
  #linkToHead(): Map<number, HopReason | null> {
    if (this.#linked) return this.#linked;
    const { blocks, state } = this.evidence;
    const linked = new Map<number, HopReason | null>();
    const heights = [...blocks.keys()].sort((a, b) => b - a);
    let broken: HopReason | null = null;
    let expectedHash = state.headHash;
    let expectedHeight = state.height;
    for (const h of heights) {
      const row = blocks.get(h)!;
      if (!broken && h !== expectedHeight) broken = fail('hash-link', `block ${expectedHeight} is missing from the chain to the head`, { height: expectedHeight });
      let computed = '';
      let previous = '';
      try {
        const header = JSON.parse(row.header) as BlockHeader;
        computed = blockHash(header);
        previous = header.previousHash;
      } catch {
        computed = '(malformed)';
      }
      if (!broken && computed !== expectedHash) {
        broken = fail('hash-link', `block ${h} is not linked to the chain head`, { height: h, expected: expectedHash, computed });
      }
      linked.set(h, broken);
      expectedHash = previous;
      expectedHeight = h - 1;
    }
    this.#linked = linked;
    return linked;
  }
}

/** Signature, signer key window, role, inclusion, and the block checks for one record. */
export function verifyRecord(hash: string, evidence: VerificationEvidence, blocks: BlockVerifier): RecordCheck {
  const { state } = evidence;
  const row = evidence.records.get(hash);
  if (!row) return { failures: [fail('missing-record', `record ${hash} not found`, { recordHash: hash })], warnings: [] };
  const failures: HopReason[] = [];
  const warnings: HopReason[] = [];
  let record: SignedRecord;
  try {
    record = JSON.parse(row.body) as SignedRecord;
    assertRecordShape(record);
  } catch (err) {
    return { failures: [fail('record-hash', `record ${hash} body is malformed: ${(err as Error).message}`, { recordHash: hash })], warnings: [] };
  }
  const computed = recordHash(record);
  if (computed !== hash) failures.push(fail('record-hash', 'record body does not hash to its stored hash', { expected: hash, computed }));
  const key = state.keys.get(record.signer) ?? state.deviceKeys.get(record.signer);
  if (!key) {
    failures.push(fail('signer-key', `signer key ${record.signer.slice(0, 16)} is not registered`, { keyId: record.signer }));
  } else {
    try {
      verifyRecordSignature(record, key.publicKey, computed);
    } catch (err) {
      failures.push(fail('signature', (err as Error).message, { keyId: record.signer, recordHash: computed, ...((err as { details?: object }).details ?? {}) }));
    }
    const added = 'addedAtLogIndex' in key ? key.addedAtLogIndex : key.registeredAtLogIndex;
    const ended = 'addedAtLogIndex' in key ? key.endedAtLogIndex : key.revokedAtLogIndex;
    if (row.logIndex < added || (ended !== undefined && row.logIndex > ended)) {
      failures.push(fail('signer-key', `key ${record.signer.slice(0, 16)} was not in force at log index ${row.logIndex}`, { keyId: record.signer, logIndex: row.logIndex, addedAtLogIndex: added, endedAtLogIndex: ended ?? null }));
    }
    const org = state.orgs.get(key.orgId);
    const event = (record.payload as { event?: unknown } | null)?.event;
    const rule = event !== undefined ? ruleFor(event) : undefined;
    // Roles are checked against the organisation's roles now (role history is not kept in the state).
    if (rule && (!org || !rule.roles.some((r) => org.roles.has(r)))) {
      failures.push(fail('role', `${key.orgId} does not hold ${rule.roles.join(' or ')} needed for rule ${rule.id}`, { orgId: key.orgId, expected: [...rule.roles], computed: org ? [...org.roles] : [] }));
    }
  }
  if (row.blockHeight === null || row.indexInBlock === null) {
    warnings.push(fail('NOT_SEALED', 'record is not sealed into a block yet', { recordHash: hash }));
    return { failures, warnings };
  }
  const block = blocks.check(row.blockHeight);
  const hashes = evidence.blockRecordHashes.get(row.blockHeight) ?? [];
  if (block.header) {
    const leaves = hashes.map((h) => leafHash(fromHex(h, 32)));
    let ok = false;
    if (row.indexInBlock < leaves.length && leaves.length === block.header.recordCount) {
      const proof = inclusionProof(leaves, row.indexInBlock);
      ok = isValidInclusion(leafHash(fromHex(computed, 32)), row.indexInBlock, leaves.length, proof, fromHex(block.header.merkleRoot, 32));
    }
    if (!ok) failures.push(fail('inclusion', `record is not included in block ${row.blockHeight} at index ${row.indexInBlock}`, { height: row.blockHeight, index: row.indexInBlock, expected: block.header.merkleRoot, computed }));
  }
  failures.push(...block.failures);
  warnings.push(...block.warnings);
  return { failures, warnings };
}

export interface TraceVerification {
  verdict: HopStatus;
  hops: HopVerdict[];
}

/** Every item edge of the trace as a hop: the edge's record checks plus the semantic warnings. */
export function verifyTrace(result: Pick<TraceResult, 'edges' | 'events'>, evidence: VerificationEvidence): TraceVerification {
  const blocks = new BlockVerifier(evidence);
  const recordChecks = new Map<string, RecordCheck>();
  const semantics = semanticReasons(result, evidence.breaches);
  const hops: HopVerdict[] = itemEdges(result).map((edge) => {
    const hash = result.events.get(edge.eventId)?.recordHash ?? '';
    let check = recordChecks.get(hash);
    if (!check) {
      check = verifyRecord(hash, evidence, blocks);
      recordChecks.set(hash, check);
    }
    const warnings = [...check.warnings, ...(semantics.get(edge) ?? [])];
    const status: HopStatus = check.failures.length > 0 ? 'FAILED' : warnings.length > 0 ? 'WARNING' : 'VERIFIED';
    return { edge, recordHash: hash, status, failures: check.failures, warnings };
  });
  return { verdict: worst(hops.map((h) => h.status)), hops };
}

/** Heights whose blocks and record lists a verification needs, from the records. */
export function heightsOf(records: Iterable<RecordEvidence>): number[] {
  return [...new Set([...records].flatMap((r) => (r.blockHeight === null ? [] : [r.blockHeight])))].sort((a, b) => a - b);
}
