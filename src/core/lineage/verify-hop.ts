/**
 * Per-hop verification, pure given the fetched evidence. Block-level work (seal,
 * quorum, hash link to the head, the block's Merkle tree) is done once per block per query and
 * shared across hops; with a VerificationCache, work that holds across queries is reused when the
 * stored rows are exactly those it was computed from.
 */
import { fromHex } from '../crypto/index.js';
import { blockHash, type BlockHeader } from '../ledger/block.js';
import { checkBlock, type BlockFailure } from '../ledger/block-check.js';
import type { ConsortiumState } from '../ledger/consortium.js';
import { leafHash } from '../ledger/merkle-hash.js';
import { isValidInclusion } from '../ledger/merkle-verify.js';
import { BatchSignatureCache } from '../ledger/batch-signature.js';
import { assertRecordShape, recordHash, verifyRecordSignature, type SignedRecord } from '../ledger/record.js';
import { statedEventOf } from '../ledger/records/index.js';
import { ruleFor, type AuthorisationRule } from '../rules/authorisation.js';
import type { BlockEvidence, BreachEvidence, RecordEvidence } from './evidence.js';
import { identifiersOf } from '../epcis/epcis-model.js';
import { canonical, DAM_FIELD, itemEdges, type LineageEdge, type TraceResult } from './graph.js';
import { semanticReasonsByIndex, type HopReason } from './semantics.js';
import { BlockTree, type ChainLinkEntry, type VerificationCache } from './verify-cache.js';
import type { CompletenessReport } from './completeness.js';
import { deriveEventRows, eventRowFailures, recordPositionFailure, type DerivedEventRows } from './row-check.js';
import type { EventRow } from './graph.js';
import type { HopCorrection } from './hop-corrections.js';

export type HopStatus = 'VERIFIED' | 'WARNING' | 'FAILED';

export interface HopVerdict {
  edge: LineageEdge;
  recordHash: string;
  status: HopStatus;
  /**
   * FAILED: what failed. Record checks: signature, record-hash, signer-key, role, inclusion,
   * missing-record, index. Block checks use the codes every verifier uses (docs/verification-codes.md):
   * MALFORMED_BLOCK, MISSING_BLOCK, BLOCK_HASH_MISMATCH, BROKEN_HASH_LINK, AUTHORITY_SET_MISMATCH, BAD_SEAL, NO_QUORUM.
   * INCOMPLETE: an identifier at either end of the hop is not proven complete (details.identifier).
   */
  failures: HopReason[];
  warnings: HopReason[];
  /** Set when the hop's event was declared in error (hop-corrections.ts). */
  correction?: HopCorrection;
}

export interface VerificationEvidence {
  state: ConsortiumState;
  records: Map<string, RecordEvidence>;
  blocks: Map<number, BlockEvidence>;
  blockRecordHashes: Map<number, string[]>;
  breaches: BreachEvidence[];
  /** Trees already built (or cached) per height; otherwise built from blockRecordHashes. */
  trees?: Map<number, BlockTree>;
  /** Work that holds across queries (keyed by the exact stored rows). */
  cache?: VerificationCache;
  /** Completeness of the identifiers the walk visited (absent: not checked). */
  completeness?: CompletenessReport;
  /** Batch signatures checked in this verification run (made on first use). */ batchSignatures?: BatchSignatureCache;
}

/** What a record's body alone decides, kept across queries for the exact same body text. */
interface RecordMemo {
  computed: string;
  /** Signature verdict per public key (encoded): null when it verifies. */
  signatures: Map<string, HopReason | null>;
  /** Inclusion proofs that verified, as "height:index:size:root". */
  included: Set<string>;
  /** The role rule of the event the record states (null: none). */
  rule?: AuthorisationRule | null;
  /** What the record's event states, for the hop's edge (null: no row content to read). */
  stated?: Stated | HopReason | null;
  /** The index rows the body derives (row-check.ts), for the stored event ID they were derived under. */
  rows?: DerivedEventRows;
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

function hopReasonOf(failure: BlockFailure): HopReason {
  return { code: failure.code, message: failure.message, details: failure.details };
}

/** Verifies each block once: header hash, seals + quorum, and the previousHash chain up to the state's head. */
export class BlockVerifier {
  readonly #cache = new Map<number, BlockCheck>();
  readonly #trees = new Map<number, BlockTree>();
  readonly #hashes = new Map<number, { computed: string; previous: string }>();
  #linked?: Map<number, HopReason | null>;
  #epoch?: string;
  constructor(private readonly evidence: VerificationEvidence) {}

  check(height: number): BlockCheck {
    const cached = this.#cache.get(height);
    if (cached) return cached;
    const row = this.evidence.blocks.get(height);
    const shared = this.evidence.cache;
    // Seal verdicts depend on the authority sets the state knows: a change of set is a new epoch.
    this.#epoch ??= this.evidence.state.authoritySetHash();
    let base = row && shared ? shared.blockCheck<BlockCheck>(height, row, this.#epoch) : undefined;
    if (!base) {
      base = this.#checkOne(height);
      if (row && shared && base.header) shared.setBlockCheck(height, row, this.#epoch, base);
    }
    const link = base.header ? this.#linkToHead().get(height) : undefined;
    const result = link ? { header: base.header, failures: [...base.failures, link], warnings: base.warnings } : base;
    this.#cache.set(height, result);
    return result;
  }

  /** The block's RFC 6962 tree, built once per query (or taken from the evidence). */
  tree(height: number): BlockTree {
    let tree = this.#trees.get(height) ?? this.evidence.trees?.get(height);
    if (!tree) tree = BlockTree.fromRecordHashes(this.evidence.blockRecordHashes.get(height) ?? []);
    this.#trees.set(height, tree);
    return tree;
  }

  /** The block hash its stored header computes to, and the previousHash it names. */
  #hashesOf(height: number): { computed: string; previous: string } {
    let hashes = this.#hashes.get(height);
    if (!hashes) {
      try {
        const header = JSON.parse(this.evidence.blocks.get(height)!.header) as BlockHeader;
        hashes = { computed: blockHash(header), previous: header.previousHash };
      } catch {
        hashes = { computed: '(malformed)', previous: '' };
      }
      this.#hashes.set(height, hashes);
    }
    return hashes;
  }

  #checkOne(height: number): BlockCheck {
    const { state } = this.evidence;
    const row = this.evidence.blocks.get(height);
    if (!row) return { failures: [fail('MISSING_BLOCK', `block ${height} not found`, { height })], warnings: [] };
    let header: unknown;
    try {
      header = JSON.parse(row.header);
    } catch (err) {
      return { failures: [fail('MALFORMED_BLOCK', `block ${height}: header is not JSON: ${(err as Error).message}`, { height })], warnings: [] };
    }
    let seals: unknown;
    try {
      seals = JSON.parse(row.seals);
    } catch {
      seals = [];
    }
    // Seals are checked against the set governance put in force at this height, which the header must name.
    const inForce = Number.isSafeInteger(height) && height >= 0 ? state.authoritySetAtHeight(height) : undefined;
    const checked = checkBlock({ header, storedHash: row.hash, seals, height, authorities: { inForce, byHash: (h) => state.authoritySetByHash(h) } });
    const failures = checked.failures.map(hopReasonOf);
    return checked.header ? { header: checked.header, failures, warnings: [] } : { failures, warnings: [] };
  }

  /**
   * Walks previousHash from the head down once; a height maps to the first broken link above it
   * (null: linked). Where the cache already proved the chain from this head's ancestry, the walk
   * skips to the bottom of that proven run, and each stored row there must hash to the proven hash.
   */
  #linkToHead(): Map<number, HopReason | null> {
    if (this.#linked) return this.#linked;
    const { blocks, state, cache } = this.evidence;
    const linked = new Map<number, HopReason | null>();
    this.#linked = linked;
    if (blocks.size === 0) return linked;
    let lowest = Number.POSITIVE_INFINITY;
    for (const h of blocks.keys()) {
      if (h < lowest) lowest = h;
      if (h > state.height) linked.set(h, fail('BROKEN_HASH_LINK', `block ${h} is above the chain head ${state.height}`, { height: h, expected: state.height }));
    }
    const head = { height: state.height, hash: state.headHash };
    const topRun = new Map<number, ChainLinkEntry>();
    const bottomRun = new Map<number, ChainLinkEntry>();
    let run = topRun;
    let broken: HopReason | null = null;
    let expectedHash = state.headHash;
    for (let h = state.height; h >= lowest; ) {
      const known = broken ? undefined : cache?.chainAt(h);
      if (cache && known && known.hash === expectedHash) {
        const low = Math.max(cache.chainRange.low, lowest);
        for (let k = h; k >= low; k--) {
          if (!blocks.has(k)) continue;
          const expected = cache.chainAt(k)!.hash;
          const { computed } = this.#hashesOf(k);
          linked.set(k, computed === expected ? null : fail('BROKEN_HASH_LINK', `block ${k} is not linked to the chain head`, { height: k, expected, computed }));
        }
        expectedHash = cache.chainAt(low)!.previousHash;
        h = low - 1;
        run = bottomRun;
        continue;
      }
      if (!blocks.has(h)) {
        broken ??= fail('BROKEN_HASH_LINK', `block ${h} is missing from the chain to the head`, { height: h });
        h -= 1;
        continue;
      }
      const { computed, previous } = this.#hashesOf(h);
      if (!broken && computed !== expectedHash) broken = fail('BROKEN_HASH_LINK', `block ${h} is not linked to the chain head`, { height: h, expected: expectedHash, computed });
      linked.set(h, broken);
      if (!broken) run.set(h, { hash: computed, previousHash: previous });
      expectedHash = previous;
      h -= 1;
    }
    if (cache) {
      cache.addLinks(head, topRun);
      cache.addLinks(head, bottomRun);
    }
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
  // The body alone decides its shape, its hash and, for a given key, its signature: reuse them for the exact same text.
  let memo = evidence.cache?.record<RecordMemo>(hash, row.body);
  try {
    // The reader may hand over the body it parsed already (the same text).
    record = (row.parsed ?? JSON.parse(row.body)) as SignedRecord;
    // A memo exists only for a text whose shape was checked.
    if (!memo) assertRecordShape(record);
  } catch (err) {
    return { failures: [fail('record-hash', `record ${hash} body is malformed: ${(err as Error).message}`, { recordHash: hash })], warnings: [] };
  }
  if (!memo) {
    memo = { computed: recordHash(record), signatures: new Map(), included: new Set() };
    evidence.cache?.setRecord(hash, row.body, memo);
  }
  const { computed } = memo;
  if (computed !== hash) failures.push(fail('record-hash', 'record body does not hash to its stored hash', { expected: hash, computed }));
  const key = state.keys.get(record.signer) ?? state.deviceKeys.get(record.signer);
  if (!key) {
    failures.push(fail('signer-key', `signer key ${record.signer.slice(0, 16)} is not registered`, { keyId: record.signer }));
  } else {
    let signature = memo.signatures.get(key.encoded);
    if (signature === undefined) {
      try {
        verifyRecordSignature(record, key.publicKey, computed, (evidence.batchSignatures ??= new BatchSignatureCache()));
        signature = null;
      } catch (err) {
        signature = fail('signature', (err as Error).message, { keyId: record.signer, recordHash: computed, ...((err as { details?: object }).details ?? {}) });
      }
      memo.signatures.set(key.encoded, signature);
    }
    if (signature) failures.push(signature);
    const added = 'addedAtLogIndex' in key ? key.addedAtLogIndex : key.registeredAtLogIndex;
    const ended = 'addedAtLogIndex' in key ? key.endedAtLogIndex : key.revokedAtLogIndex;
    if (row.logIndex < added || (ended !== undefined && row.logIndex > ended)) {
      failures.push(fail('signer-key', `key ${record.signer.slice(0, 16)} was not in force at log index ${row.logIndex}`, { keyId: record.signer, logIndex: row.logIndex, addedAtLogIndex: added, endedAtLogIndex: ended ?? null }));
    }
    if (memo.rule === undefined) {
      const event = statedEventOf(record);
      memo.rule = (event !== undefined ? ruleFor(event) : undefined) ?? null;
    }
    const rule = memo.rule ?? undefined;
    // Roles as the organisation held them at the record's log index, not now.
    const held = rule && Number.isSafeInteger(row.logIndex) && row.logIndex >= 0 ? state.rolesAt(key.orgId, row.logIndex) : undefined;
    if (rule && (!held || !rule.roles.some((r) => held.has(r)))) {
      const heldText = held === undefined ? 'was not a member' : held.size === 0 ? 'held no roles' : `held ${[...held].sort().join(', ')}`;
      failures.push(
        fail('role', `${key.orgId} ${heldText} at log index ${row.logIndex}; rule ${rule.id} needs ${rule.roles.join(' or ')}`, {
          orgId: key.orgId,
          logIndex: row.logIndex,
          expected: [...rule.roles],
          computed: held ? [...held].sort() : [],
        }),
      );
    }
  }
  if (row.blockHeight === null || row.indexInBlock === null) {
    warnings.push(fail('NOT_SEALED', 'record is not sealed into a block yet', { recordHash: hash }));
    return { failures, warnings };
  }
  const block = blocks.check(row.blockHeight);
  if (block.header) {
    // A proof that verified against this root at this position stays valid: only misses build one.
    const position = `${row.blockHeight}:${row.indexInBlock}:${block.header.recordCount}:${block.header.merkleRoot}`;
    let ok = memo.included.has(position);
    if (!ok) {
      const tree = blocks.tree(row.blockHeight);
      if (row.indexInBlock < tree.size && tree.size === block.header.recordCount) {
        ok = isValidInclusion(leafHash(fromHex(computed, 32)), row.indexInBlock, tree.size, tree.proof(row.indexInBlock), fromHex(block.header.merkleRoot, 32));
      }
      if (ok) memo.included.add(position);
    }
    if (!ok) failures.push(fail('inclusion', `record is not included in block ${row.blockHeight} at index ${row.indexInBlock}`, { height: row.blockHeight, index: row.indexInBlock, expected: block.header.merkleRoot, computed }));
  }
  failures.push(...block.failures);
  warnings.push(...block.warnings);
  return { failures, warnings };
}

/** What a signed event states, canonical, by the roles lineage edges are made from. */
interface Stated {
  input: Set<string>;
  output: Set<string>;
  parent: string | undefined;
  child: Set<string>;
  epc: Set<string>;
  quantity: Set<string>;
  dam: string | undefined;
}

function statedBy(event: Record<string, unknown>): Stated {
  const ids = identifiersOf(event);
  const roleSet = (epcs: string[], role: string) => new Set([...epcs, ...ids.quantities.filter((q) => q.role === role).map((q) => q.epcClass)].map(canonical));
  const dam = event[DAM_FIELD];
  return {
    input: roleSet(ids.inputEPCs, 'input'),
    output: roleSet(ids.outputEPCs, 'output'),
    parent: ids.parentID !== undefined ? canonical(ids.parentID) : undefined,
    child: roleSet(ids.childEPCs, 'child'),
    epc: new Set(ids.epcs.map(canonical)),
    quantity: roleSet([], 'quantity'),
    dam: typeof dam === 'string' && dam.trim() !== '' ? canonical(dam) : undefined,
  };
}

/**
 * What the hop's signed event states (undefined: no row, or a malformed body verifyRecord reports).
 * Kept in the record's memo, so a body verified in an earlier query is not read again.
 */
function statedOfRecord(hash: string, row: RecordEvidence | undefined, cache: VerificationCache | undefined): Stated | HopReason | undefined {
  if (!row) return undefined;
  const memo = cache?.record<RecordMemo>(hash, row.body);
  if (memo?.stated !== undefined) return memo.stated ?? undefined;
  let event: unknown;
  try {
    event = ((row.parsed ?? JSON.parse(row.body)) as { payload?: { event?: unknown } }).payload?.event;
  } catch {
    return undefined;
  }
  const stated = typeof event === 'object' && event !== null ? statedBy(event as Record<string, unknown>) : fail('index', `record ${row.hash} holds no event to make lineage edges from`, { recordHash: row.hash });
  if (memo) memo.stated = stated;
  return stated;
}

/**
 * Edges come from the lineage index, which is not signed: the hop's signed event must state the
 * edge itself (its endpoints in the roles the edge kind is made from), or the hop fails.
 */
function indexFailure(edge: LineageEdge, stated: Stated | HopReason | undefined, recordHash: string): HopReason | undefined {
  if (stated === undefined) return undefined;
  if ('code' in stated) return stated;
  const s = stated;
  let ok: boolean;
  switch (edge.kind) {
    case 'TRANSFORMATION':
      ok = s.input.has(edge.from) && s.output.has(edge.to);
      break;
    case 'AGGREGATION':
    case 'ASSOCIATION':
      ok = s.parent === edge.to && s.child.has(edge.from);
      break;
    case 'FEEDING':
      ok = (s.quantity.has(edge.from) || s.epc.has(edge.from)) && s.epc.has(edge.to);
      break;
    case 'DAM':
      ok = s.dam === edge.from && s.epc.has(edge.to);
      break;
    default:
      ok = true;
  }
  return ok
    ? undefined
    : fail('index', `the signed event does not state the ${edge.kind} edge ${edge.from} -> ${edge.to}: the lineage index disagrees with the record`, {
        recordHash,
        kind: edge.kind,
        from: edge.from,
        to: edge.to,
      });
}

/**
 * The hop's stored event and index rows against its signed record (row-check.ts); what the body
 * derives is kept in the record's memo, the comparison runs on every read.
 */
function rowFailuresOf(row: EventRow | undefined, evidence: VerificationEvidence, headerAt: (height: number) => BlockHeader | undefined): HopReason[] {
  const rec = row ? evidence.records.get(row.recordHash) : undefined;
  if (!row || !rec) return [];
  const position = recordPositionFailure(rec, rec.blockHeight === null ? undefined : headerAt(rec.blockHeight));
  const memo = evidence.cache?.record<RecordMemo>(row.recordHash, rec.body);
  let derived = memo?.rows;
  if (!derived || derived.storedEventId !== row.eventId) {
    let record: SignedRecord;
    try {
      record = (rec.parsed ?? JSON.parse(rec.body)) as SignedRecord;
    } catch {
      return []; // verifyRecord reports a malformed body
    }
    const signer = evidence.state.keys.get(record.signer) ?? evidence.state.deviceKeys.get(record.signer);
    derived = deriveEventRows(record.payload, row.recordHash, signer?.orgId ?? '', row.eventId);
    if (memo) memo.rows = derived;
  }
  const failures = eventRowFailures(row, derived);
  return position ? [position, ...failures] : failures;
}

export interface TraceVerification {
  verdict: HopStatus;
  hops: HopVerdict[];
  /** Whether the events listed for each visited identifier are all there are, up to the checkpoint. */
  completeness?: CompletenessReport;
}

/** The INCOMPLETE reasons of the edge's ends. */
function incompleteEnds(edge: LineageEdge, report: CompletenessReport | undefined): HopReason[] {
  if (!report) return [];
  const out: HopReason[] = [];
  for (const id of edge.from === edge.to ? [edge.from] : [edge.from, edge.to]) {
    const c = report.byIdentifier.get(id);
    if (c?.status === 'INCOMPLETE' && c.reason) out.push(c.reason);
  }
  return out;
}

/** FAILED when any identifier the walk visited is INCOMPLETE (even one no hop reaches, e.g. the start). */
export function completenessVerdict(report: CompletenessReport | undefined): HopStatus {
  if (!report) return 'VERIFIED';
  for (const c of report.byIdentifier.values()) if (c.status === 'INCOMPLETE') return 'FAILED';
  return 'VERIFIED';
}

/** Every item edge of the trace as a hop: the edge's record checks plus the semantic warnings. */
export function verifyTrace(result: Pick<TraceResult, 'edges' | 'events'>, evidence: VerificationEvidence): TraceVerification {
  const blocks = new BlockVerifier(evidence);
  const recordChecks = new Map<string, RecordCheck>();
  const edges = itemEdges(result);
  const semantics = semanticReasonsByIndex(result, evidence.breaches, edges);
  // Per event once: its record's checks and row (many hops share one event, e.g. a pack-off's
  // outputs; they come in runs, so the last event's entry is kept at hand).
  const perEvent = new Map<string, { hash: string; check: RecordCheck; stated: Stated | HopReason | undefined; rows: HopReason[] }>();
  let lastEventId: string | undefined;
  let ev: { hash: string; check: RecordCheck; stated: Stated | HopReason | undefined; rows: HopReason[] } | undefined;
  let verdict: HopStatus = 'VERIFIED';
  const hops: HopVerdict[] = new Array(edges.length);
  for (let i = 0; i < edges.length; i++) {
    const edge = edges[i]!;
    if (edge.eventId !== lastEventId || !ev) {
      lastEventId = edge.eventId;
      ev = perEvent.get(edge.eventId);
      if (!ev) {
        const hash = result.events.get(edge.eventId)?.recordHash ?? '';
        let check = recordChecks.get(hash);
        if (!check) {
          check = verifyRecord(hash, evidence, blocks);
          recordChecks.set(hash, check);
        }
        // Rows are held to the signed record: a body that is not the record (record-hash) is reported as such alone.
        const unsigned = check.failures.some((f) => f.code === 'record-hash' || f.code === 'missing-record');
        const rows = unsigned ? [] : rowFailuresOf(result.events.get(edge.eventId), evidence, (h) => blocks.check(h).header);
        ev = { hash, check, stated: statedOfRecord(hash, evidence.records.get(hash), evidence.cache), rows };
        perEvent.set(edge.eventId, ev);
      }
    }
    const { hash, check } = ev;
    const semantic = semantics[i];
    const warnings = semantic && semantic.length > 0 ? [...check.warnings, ...semantic] : check.warnings;
    const unstated = indexFailure(edge, ev.stated, hash);
    const ends = incompleteEnds(edge, evidence.completeness);
    const failures = unstated || ev.rows.length > 0 || ends.length > 0 ? [...check.failures, ...ev.rows, ...(unstated ? [unstated] : []), ...ends] : check.failures;
    const status: HopStatus = failures.length > 0 ? 'FAILED' : warnings.length > 0 ? 'WARNING' : 'VERIFIED';
    if (RANK[status] > RANK[verdict]) verdict = status;
    hops[i] = { edge, recordHash: hash, status, failures, warnings };
  }
  // An event no hop reaches may have lost the very rows that made its hops: its rows still answer to its record.
  for (const [id, row] of result.events) if (!perEvent.has(id) && rowFailuresOf(row, evidence, () => undefined).length > 0) verdict = 'FAILED';
  if (completenessVerdict(evidence.completeness) === 'FAILED') verdict = 'FAILED';
  return evidence.completeness ? { verdict, hops, completeness: evidence.completeness } : { verdict, hops };
}

/** Heights whose blocks and record lists a verification needs, from the records. */
export function heightsOf(records: Iterable<RecordEvidence>): number[] {
  return [...new Set([...records].flatMap((r) => (r.blockHeight === null ? [] : [r.blockHeight])))].sort((a, b) => a - b);
}
