/**
 * The start-up check: cheap enough to run on every start, it rides on the replay the node does
 * when it loads a consortium. Counts per table against the counts the chain implies, the rows of
 * the last record each projection reflects, the membership tables in full, every Block and record
 * column that repeats signed data, the Consortium row, and every stored checkpoint against the log
 * (a checkpoint beyond the head is a rollback). Row-by-row comparison of everything is `verify`.
 */
import { blockHash } from '../../core/ledger/block.js';
import { verifyCheckpointSignatures, CHECKPOINT_VERSION, type Checkpoint, type CheckpointSignature } from '../../core/ledger/checkpoint.js';
import { blockColumnMismatches, consortiumRowOf } from '../../core/ledger/projections/chain-rows.js';
import { TABLE_SHAPES, diffRows, rowFailure, type ProjectionFailure } from '../../core/ledger/projections/compare.js';
import { canonicalMemo, citationRowsOf, eventOfPayload, identifierRowsOf } from '../../core/ledger/projections/event-rows.js';
import { membershipProjectionOf, orgIdentifierRowsOf } from '../../core/ledger/projections/membership-rows.js';
import type { ConsortiumRow, MembershipProjection } from '../../core/ledger/projections/rows.js';
import { RecordKind } from '../../core/ledger/record.js';
import { errorDeclarationOf } from '../../core/capture/corrections.js';
import { personRefOfEvent } from '../../core/capture/documents.js';

/** The person an event cites; none when the reference is malformed (capture refuses such events). */
function personRefOf(event: Record<string, unknown>): string | undefined {
  try {
    return personRefOfEvent(event);
  } catch {
    return undefined;
  }
}
import type { ConsortiumState } from '../../core/ledger/state.js';
import type { AuthorityEntry } from '../../core/ledger/state-types.js';
import type { QuorumRule } from '../../core/ledger/block.js';
import type { ChainStore, VerifiableBlockRow, VerifiableRecordRow } from '../../store/chain-store.js';
import { ProjectionStore, type StoredCheckpointRow } from '../../store/projection-store.js';
import type { LoadObserver } from '../node/ledger-node.js';
import { LastRecords } from './last-records.js';
import { LocationLinkCheck } from './location-link-check.js';
import { EVERY_ORGANISATION, type OffChainScope } from './off-chain-scope.js';

const CHECKPOINT = { table: 'Checkpoint' };

export class StartupCheck implements LoadObserver {
  readonly failures: ProjectionFailure[] = [];
  readonly #canonical = canonicalMemo();
  readonly #derived = { EpcisEvent: 0, EventIdentifier: 0, DocumentCitation: 0, EventCorrection: 0, windowed: 0 };
  /**
   * Records declaring an error: a correction (no event rows) or an event captured with its
   * declaration (event rows too). Which one needs the hash IDs of every earlier event, so the
   * stored rows say, and are held to it at the end (a correction's row names another record).
   */
  readonly #declaring = new Map<string, { identifiers: number; citations: number }>();
  readonly #last = new LastRecords();
  /** The location hierarchy the signed headers declare (compared whole: one row per distinct link). */
  readonly #locationLinks = new LocationLinkCheck();
  /** Documents and persons the events cite (capture admits none that is not held), to the first citing record. */
  readonly #citedDocuments = new Map<string, string>();
  readonly #citedPersons = new Map<string, string>();
  /** Log size and height of each block, for checkpoint gaps. */
  readonly #blocks: { height: number; logSize: number }[] = [];
  #consortium?: ConsortiumRow;
  #membership?: MembershipProjection;
  #storedMembership?: Awaited<ReturnType<ChainStore['readProjection']>> & { identifiers: unknown[] };
  #headLogSize = 0;
  #latestCheckpoint?: { statement: Checkpoint; stored: StoredCheckpointRow; authorities: readonly AuthorityEntry[]; quorum: QuorumRule };
  readonly #matched = new Set<number>();

  private constructor(
    readonly store: ProjectionStore,
    private readonly checkpoints: Map<number, StoredCheckpointRow>,
    private readonly checkpointEveryBlock: boolean,
    private readonly chain: ChainStore,
    private readonly offChainHere: OffChainScope,
  ) {}

  /**
   * `checkpointEveryBlock` false: a node of a multi-node consortium (checkpoints wait for a quorum
   * of cosignatures); `offChainHere`: whose records' documents, persons and readings it holds.
   */
  static async prepare(chain: ChainStore, consortiumId: string, options: { checkpointEveryBlock?: boolean; offChainHere?: OffChainScope } = {}): Promise<StartupCheck> {
    const store = new ProjectionStore(chain.db, consortiumId);
    return new StartupCheck(store, new Map((await store.checkpoints()).map((c) => [c.logSize, c])), options.checkpointEveryBlock ?? true, chain, options.offChainHere ?? EVERY_ORGANISATION);
  }

  record(row: VerifiableRecordRow, state: ConsortiumState): void {
    const { record, columns } = row;
    if (columns) {
      for (const column of ['kind', 'signer', 'signedAt'] as const) {
        if (columns[column] !== record[column]) this.failures.push(rowFailure('ROW_MISMATCH', { table: 'LedgerRecord' }, { hash: row.storedHash }, { column, expected: record[column], stored: columns[column], source: { recordHash: row.storedHash, logIndex: row.logIndex } }));
      }
    }
    const signer = state.resolveSigner(record.signer);
    const offChainHere = this.offChainHere(signer?.org.id);
    if (record.kind === RecordKind.EPCIS_EVENT) {
      const event = eventOfPayload(record.payload);
      if (!event || signer?.type !== 'org') return;
      this.#locationLinks.add(record.payload, signer.org.id, { recordHash: row.storedHash, logIndex: row.logIndex });
      if (errorDeclarationOf(event)) {
        this.#derived.EventCorrection += 1;
        this.#declaring.set(row.storedHash, { identifiers: identifierRowsOf(event, '', '', this.#canonical).length, citations: citationRowsOf(event, '').length });
        return;
      }
      this.#derived.EpcisEvent += 1;
      this.#derived.EventIdentifier += identifierRowsOf(event, '', '', this.#canonical).length;
      const citations = citationRowsOf(event, '');
      this.#derived.DocumentCitation += citations.length;
      if (offChainHere) for (const c of citations) if (!this.#citedDocuments.has(c.sha256)) this.#citedDocuments.set(c.sha256, row.storedHash);
      const person = personRefOf(event);
      if (offChainHere && person !== undefined && !this.#citedPersons.has(person)) this.#citedPersons.set(person, row.storedHash);
    }
    this.#last.see(row, state, (n) => (this.#derived.windowed += n), offChainHere);
  }

  block(block: VerifiableBlockRow, state: ConsortiumState, logRoot: () => string): void {
    const { header } = block;
    const hash = blockHash(header);
    this.#headLogSize = header.logSize;
    this.#blocks.push({ height: header.height, logSize: header.logSize });
    for (const m of blockColumnMismatches(block.columns ?? {}, header, hash)) {
      this.failures.push(rowFailure('ROW_MISMATCH', { table: 'Block' }, { height: header.height }, { column: m.column, expected: m.signed, stored: m.stored, source: { height: header.height } }));
    }
    if (header.height === 0) this.#consortium = consortiumRowOf(state, header, hash);
    const cp = this.checkpoints.get(header.logSize);
    if (!cp) return;
    this.#matched.add(cp.logSize);
    const statement: Checkpoint = { v: CHECKPOINT_VERSION, consortium: header.consortium, logSize: header.logSize, logRoot: logRoot(), blockHeight: header.height, blockHash: hash, timestamp: header.timestamp };
    for (const column of ['logRoot', 'blockHeight', 'blockHash', 'timestamp'] as const) {
      if (cp[column] !== statement[column]) {
        this.failures.push({ ...rowFailure('CHECKPOINT_MISMATCH', CHECKPOINT, { logSize: cp.logSize }, { column, expected: statement[column], stored: cp[column], source: { height: header.height } }), message: `Checkpoint row (logSize=${cp.logSize}) ${column} does not state the chain after block ${header.height}` });
      }
    }
    this.#latestCheckpoint = { statement, stored: cp, authorities: state.authoritiesInForce, quorum: state.quorum };
  }

  /** Reads the stored membership tables now, before the node's catch-up from the log writes later blocks' rows. */
  async caughtUp(): Promise<void> {
    for (const c of await this.store.checkpoints()) this.checkpoints.set(c.logSize, c);
  }

  async sealed(state: ConsortiumState): Promise<void> {
    this.#membership = membershipProjectionOf(state);
    this.#storedMembership = { ...(await this.chain.readProjection(this.store.consortiumId)), identifiers: await this.store.orgIdentifiers() };
  }

  #checkpointsBeyond(): void {
    for (const cp of this.checkpoints.values()) {
      if (this.#matched.has(cp.logSize)) continue;
      const beyond = cp.logSize > this.#headLogSize;
      this.failures.push({
        code: beyond ? 'CHECKPOINT_BEYOND_HEAD' : 'CHECKPOINT_MISMATCH',
        table: 'Checkpoint',
        key: { logSize: cp.logSize },
        expected: this.#headLogSize,
        stored: cp.logSize,
        message: beyond
          ? `Checkpoint row (logSize=${cp.logSize}) is signed for a log of ${cp.logSize} records, but the chain's head holds ${this.#headLogSize}: history was rolled back or is missing`
          : `Checkpoint row (logSize=${cp.logSize}): no block of the chain ends at that log size`,
      });
    }
    const latest = this.#latestCheckpoint;
    if (!latest) return;
    try {
      verifyCheckpointSignatures(latest.statement, JSON.parse(latest.stored.signatures) as CheckpointSignature[], latest.authorities, latest.quorum);
    } catch (err) {
      this.failures.push({ ...rowFailure('CHECKPOINT_MISMATCH', CHECKPOINT, { logSize: latest.stored.logSize }, { column: 'signatures' }), message: `Checkpoint row (logSize=${latest.stored.logSize}) signatures do not hold: ${(err as Error).message}` });
    }
  }

  /** Declaring records with an event row count as events; the others must be corrections of another record. */
  async #declaringRecords(): Promise<void> {
    const hashes = [...this.#declaring.keys()];
    if (hashes.length === 0) return;
    const events = await this.store.recordsWithEventRows(hashes);
    const corrections = new Map((await this.store.correctionsByRecordHashes(hashes)).map((c) => [c.recordHash, c]));
    for (const [hash, n] of this.#declaring) {
      if (events.has(hash)) {
        this.#derived.EpcisEvent += 1;
        this.#derived.EventIdentifier += n.identifiers;
        this.#derived.DocumentCitation += n.citations;
        continue;
      }
      const row = corrections.get(hash);
      if (row && row.correctedRecordHash === hash) {
        this.failures.push(rowFailure('ROW_MISSING', TABLE_SHAPES.EpcisEvent, { recordHash: hash }, { source: { recordHash: hash } }));
      }
    }
  }

  /** Cited documents and persons are held; from the first checkpoint on, every block has one (chain-columns-check.ts). */
  async #citedAndCheckpointed(): Promise<void> {
    const documents = await this.store.storedDocuments([...this.#citedDocuments.keys()]);
    for (const [sha256, recordHash] of this.#citedDocuments) if (!documents.has(sha256)) this.failures.push(rowFailure('ROW_MISSING', { table: 'Document' }, { sha256 }, { source: { recordHash } }));
    const persons = new Set((await this.store.persons([...this.#citedPersons.keys()])).map((p) => p.commitment));
    for (const [commitment, recordHash] of this.#citedPersons) if (!persons.has(commitment)) this.failures.push(rowFailure('ROW_MISSING', { table: 'PersonData' }, { commitment }, { source: { recordHash } }));
    const first = this.#blocks.findIndex((b) => this.#matched.has(b.logSize));
    const gap = first < 0 ? undefined : this.#blocks.slice(first).find((b) => !this.#matched.has(b.logSize));
    if (gap && this.checkpointEveryBlock) this.failures.push(rowFailure('ROW_MISSING', CHECKPOINT, { logSize: gap.logSize }, { source: { height: gap.height } }));
  }

  async #counts(): Promise<void> {
    await this.#declaringRecords();
    await this.#citedAndCheckpointed();
    const counts = await this.store.counts();
    for (const table of ['EpcisEvent', 'EventIdentifier', 'DocumentCitation', 'EventCorrection'] as const) {
      const derived = this.#derived[table];
      if (counts[table] !== derived) this.failures.push({ code: counts[table] > derived ? 'ROW_UNEXPECTED' : 'ROW_MISSING', table, key: {}, expected: derived, stored: counts[table], message: `${table} holds ${counts[table]} rows, the chain's records produce ${derived}` });
    }
    const windowed = await this.store.windowedReadingCount();
    if (windowed !== this.#derived.windowed) {
      this.failures.push({ code: windowed > this.#derived.windowed ? 'ROW_UNEXPECTED' : 'ROW_MISSING', table: 'DeviceReading', key: {}, column: 'windowRecordHash', expected: this.#derived.windowed, stored: windowed, message: `DeviceReading holds ${windowed} readings in windows, the chain's windows commit to ${this.#derived.windowed}` });
    }
    const orphanCustody = await this.store.custodyWithoutEvent(5);
    for (const row of orphanCustody) this.failures.push(rowFailure('ROW_UNEXPECTED', TABLE_SHAPES.Custody, { identifier: row.identifier }, { why: `its event ${row.eventId} is not captured` }));
  }

  /** Every disagreement found, once the node has loaded the consortium. */
  async finish(chain: ChainStore): Promise<ProjectionFailure[]> {
    this.#checkpointsBeyond();
    await this.#counts();
    if (this.#consortium) this.failures.push(...diffRows(TABLE_SHAPES.Consortium, [this.#consortium], [(await this.store.consortiumRow()) ?? {}].filter((r) => 'id' in r), () => ({ height: 0 })).failures);
    if (this.#membership) {
      const stored = this.#storedMembership ?? { ...(await chain.readProjection(this.store.consortiumId)), identifiers: await this.store.orgIdentifiers() };
      const pairs: [typeof TABLE_SHAPES[keyof typeof TABLE_SHAPES], unknown[], unknown[]][] = [
        [TABLE_SHAPES.Organisation, this.#membership.orgs, stored.orgs],
        [TABLE_SHAPES.OrgIdentifier, orgIdentifierRowsOf(this.#membership), stored.identifiers],
        [TABLE_SHAPES.OrgKey, this.#membership.keys, stored.keys],
        [TABLE_SHAPES.Device, this.#membership.devices, stored.devices],
      ];
      for (const [shape, derived, rows] of pairs) this.failures.push(...diffRows(shape, derived as object[], rows as Record<string, unknown>[], () => undefined).failures);
    }
    this.failures.push(...(await this.#last.check(this.store)));
    this.failures.push(...(await this.#locationLinks.compare(this.store)));
    return this.failures;
  }
}
