/**
 * Re-derives every projected table from the chain during `verify`'s replay and compares it with
 * the store (docs/projections.md). It rides on the chain verifier: wrap() reads what the next
 * block's records need before the verifier replays it (and compares batches after), onRecord and
 * onBlock take each record and block as replayed, finish() compares what only the whole chain
 * decides (custody, membership, checkpoints, stored rows no record accounts for).
 */
import type { ReplayedBlock, ReplayedRecord } from '../../core/ledger/chain-verifier.js';
import { admitRecord } from '../../core/ledger/admission.js';
import { BatchSignatureCache } from '../../core/ledger/batch-signature.js';
import { TABLE_SHAPES, diffRows, rowFailure, type ProjectionFailure } from '../../core/ledger/projections/compare.js';
import { ProjectionReplay, type ProjectedRecord, type RuleFinding } from '../../core/ledger/projections/record-projection.js';
import type { CustodyRow, RowSource } from '../../core/ledger/projections/rows.js';
import { RecordKind, recordHash, type SignedRecord } from '../../core/ledger/record.js';
import type { ConsortiumState } from '../../core/ledger/state.js';
import type { ChainStore, VerifiableBlockRow, VerifiableRecordRow } from '../../store/chain-store.js';
import { ProjectionStore } from '../../store/projection-store.js';
import { ChainColumnsCheck } from './chain-columns-check.js';
import { EventRowsCheck } from './event-check.js';
import { FailureSink } from './failure-sink.js';
import { LocationLinkCheck } from './location-link-check.js';
import { MembershipCheck } from './membership-check.js';
import { PersonsCheck, ReadingsCheck, checkDocuments } from './offchain-check.js';
import { EVERY_ORGANISATION, type OffChainScope } from './off-chain-scope.js';
import { WithheldCheck } from './withheld-check.js';

/** Records replayed between two comparisons of event rows (one IN-list read per table). */
const EVENT_FLUSH = 1000;
const WINDOW_FLUSH = 200;
const CUSTODY_PAGE = 5000;

export interface ProjectionReport {
  /** Every stored projection row that differs from what the chain derives, and every chain column or checkpoint that misstates it. */
  failures: ProjectionFailure[];
  /** Records the role table refuses as of their log position. */
  ruleFailures: ProjectionFailure[];
  failuresTruncated: boolean;
  /** Per table: rows the chain derives, and stored rows compared. */
  tables: Record<string, { derived: number; stored: number }>;
  /** Event IDs of v1 records whose unsigned @context leaves them open: taken as stored. */
  eventIdsUnchecked: number;
  /** Records admitted but not sealed yet, replayed after the chain. */
  pendingRecords: number;
}

export interface ProjectionVerifierOptions {
  maxFailures?: number;
  /** What the verifier is doing after the chain's blocks (long phases on large stores). */
  onPhase?(phase: string): void;
  /** A checkpoint is stored with every block from the first on (default true); false where authorities cosign across nodes. */
  checkpointEveryBlock?: boolean;
  /** Whose records' off-chain data (readings, documents, persons, withheld openings) this store holds (default: everyone's). */
  offChainHere?: OffChainScope;
}

function ruleFailure(finding: RuleFinding): ProjectionFailure {
  const { source } = finding;
  return {
    code: finding.code,
    table: 'LedgerRecord',
    key: { hash: source.recordHash },
    source,
    expected: finding.details['required'] ?? finding.details['expected'],
    stored: finding.details['actual'],
    message: `record ${source.recordHash.slice(0, 16)}… at log index ${source.logIndex}: ${finding.message}`,
  };
}

export class ProjectionVerifier {
  readonly store: ProjectionStore;
  readonly #sink: FailureSink;
  readonly #replay = new ProjectionReplay();
  readonly #events: EventRowsCheck;
  readonly #chainColumns: ChainColumnsCheck;
  readonly #membership: MembershipCheck;
  readonly #readings: ReadingsCheck;
  readonly #persons: PersonsCheck;
  readonly #withheld: WithheldCheck;
  readonly #locationLinks = new LocationLinkCheck();
  /** The record each derived custody row comes from. */
  readonly #custodySources = new Map<string, RowSource>();
  /** Events whose off-chain data (cited documents) another node holds. */
  readonly #offChainElsewhere = new Set<string>();
  #pending = 0;

  constructor(
    private readonly chain: ChainStore,
    consortiumId: string,
    private readonly options: ProjectionVerifierOptions = {},
  ) {
    this.store = new ProjectionStore(chain.db, consortiumId);
    this.#sink = new FailureSink(options.maxFailures);
    this.#events = new EventRowsCheck(this.store, this.#sink);
    this.#chainColumns = new ChainColumnsCheck(this.store, this.#sink, options.checkpointEveryBlock ?? true);
    this.#membership = new MembershipCheck(this.#sink);
    this.#readings = new ReadingsCheck(this.store, this.#sink);
    this.#persons = new PersonsCheck(this.store, this.#sink);
    this.#withheld = new WithheldCheck(chain.db, consortiumId, this.#sink);
  }

  /** The chain's blocks as stored, with each block's stored rows read before it is replayed. */
  async *wrap(blocks: AsyncIterable<VerifiableBlockRow>): AsyncGenerator<VerifiableBlockRow> {
    await this.#chainColumns.start();
    for await (const block of blocks) {
      await this.#prefetch(block.records);
      this.#chainColumns.setColumns(block.columns);
      yield block;
      if (this.#events.buffered >= EVENT_FLUSH) await this.#events.flush();
      if (this.#readings.buffered >= WINDOW_FLUSH) await this.#readings.flush();
    }
  }

  async #prefetch(records: readonly VerifiableRecordRow[]): Promise<void> {
    const hashes = records.filter((r) => (r.record as { kind?: unknown } | null)?.kind === RecordKind.EPCIS_EVENT).map((r) => r.storedHash);
    await this.#events.prefetch(hashes);
  }

  readonly onRecord = (r: ReplayedRecord): void => {
    this.#project(r.state, r.record, { recordHash: r.recordHash, logIndex: r.logIndex, height: r.height }, r.admitted);
  };

  readonly onBlock = (b: ReplayedBlock): void => {
    this.#chainColumns.onBlock(b);
    this.#membership.onBlock(b);
  };

  #project(state: ConsortiumState, record: SignedRecord, source: ProjectedRecord['source'], admitted: boolean): void {
    const isEvent = record.kind === RecordKind.EPCIS_EVENT;
    if (!admitted) {
      if (isEvent) this.#events.add(source.recordHash, undefined);
      return;
    }
    const projected = this.#replay.project(state, record, source, isEvent ? this.#events.storedEventId(source.recordHash) : undefined);
    if (isEvent) this.#events.add(source.recordHash, projected);
    for (const row of projected.custody) this.#custodySources.set(row.identifier, source);
    const signerOrg = state.resolveSigner(record.signer)?.org.id;
    const offChainHere = (this.options.offChainHere ?? EVERY_ORGANISATION)(signerOrg);
    if (!offChainHere && projected.event) this.#offChainElsewhere.add(source.recordHash);
    if (offChainHere && projected.window) this.#readings.add(source.recordHash, projected.window, state.devices.get(projected.window.deviceId)?.publicKey, source);
    if (projected.erasure) this.#persons.add(projected.erasure.commitment, source, signerOrg);
    if (offChainHere && projected.event) this.#persons.cite(record.payload, source);
    if (offChainHere && projected.event) this.#withheld.add(record.payload, source);
    const declarer = projected.event?.rows.event.submitterOrg ?? projected.correction?.signerOrg;
    if (declarer !== undefined) this.#locationLinks.add(record.payload, declarer, source);
    if (projected.changesMembership) this.#membership.onMembershipRecord(source);
    if (projected.finding) this.#sink.rule(ruleFailure(projected.finding));
  }

  /** Replays the records admitted after the last sealed block (their rows are written at admission). */
  async #replayPending(sealed: ConsortiumState, rows: readonly VerifiableRecordRow[]): Promise<void> {
    if (rows.length === 0) return;
    const state = sealed.clone();
    await this.#prefetch(rows);
    const batchCache = new BatchSignatureCache();
    for (const row of rows) {
      const source = { recordHash: row.storedHash, logIndex: row.logIndex };
      let admitted = row.logIndex === state.logSize;
      try {
        admitted &&= recordHash(row.record) === row.storedHash;
        if (admitted) admitRecord(state, row.record, { recordHash: row.storedHash, batchCache });
      } catch {
        admitted = false;
      }
      this.#project(state, row.record, source, admitted);
      this.#pending += 1;
    }
  }

  async #checkCustody(): Promise<void> {
    const derived = this.#replay.custody;
    const matched = new Set<string>();
    const shape = TABLE_SHAPES.Custody;
    let after: string | null = null;
    let stored = 0;
    for (;;) {
      const page = await this.store.custodyPage(after, CUSTODY_PAGE);
      const expected: CustodyRow[] = [];
      for (const row of page) {
        const d = derived.get(row.identifier);
        if (d) {
          expected.push(d);
          matched.add(row.identifier);
        }
      }
      this.#sink.add(...diffRows(shape, expected, page as unknown as Record<string, unknown>[], (r) => this.#custodySources.get(r.identifier)).failures);
      stored += page.length;
      if (page.length < CUSTODY_PAGE) break;
      after = page[page.length - 1]!.identifier;
    }
    if (matched.size < derived.size) {
      const missing = [...derived.rows()].filter((r) => !matched.has(r.identifier));
      this.#sink.add(...diffRows(shape, missing, [], (r) => this.#custodySources.get(r.identifier)).failures);
    }
    this.#sink.count('Custody', derived.size, stored);
  }

  /**
   * Compares what only the whole chain decides. `sealed` is the state after the last sealed block
   * (undefined when the chain could not be replayed: then only the rows seen so far were compared).
   */
  async finish(sealed: ConsortiumState | undefined, pending: readonly VerifiableRecordRow[]): Promise<ProjectionReport> {
    const phase = (p: string) => this.options.onPhase?.(p);
    if (sealed) {
      phase('membership tables');
      await this.#membership.finish(sealed, this.chain, this.store);
      phase('records not sealed yet');
      await this.#replayPending(sealed, pending);
    }
    phase('event index rows');
    const counts = await this.store.counts();
    await this.#events.finish(counts);
    this.#chainColumns.finish();
    phase('record positions');
    for (const r of await this.store.recordPositionMismatches(100)) {
      this.#sink.add({
        ...rowFailure('ROW_MISMATCH', { table: 'LedgerRecord' }, { hash: r.hash }, { column: 'logIndex', expected: r.expected, stored: r.logIndex, source: { height: r.blockHeight } }),
        message: `LedgerRecord row (hash=${r.hash}) is at log index ${r.logIndex} and index ${r.indexInBlock} of block ${r.blockHeight}; the block's signed header places that index at log index ${r.expected}`,
      });
    }
    if (sealed) {
      phase('custody');
      await this.#checkCustody();
    }
    phase('device readings');
    await this.#readings.finish();
    phase('personal data and documents');
    await this.#persons.finish();
    await checkDocuments(this.store, this.#sink, new Map([...this.#events.cited].filter(([, source]) => !this.#offChainElsewhere.has(source.recordHash ?? ''))));
    phase('withheld fields');
    await this.#withheld.finish();
    phase('location hierarchy');
    this.#sink.add(...(await this.#locationLinks.compare(this.store, (derived, stored) => this.#sink.count('LocationLink', derived, stored))));
    return {
      failures: this.#sink.failures,
      ruleFailures: this.#sink.ruleFailures,
      failuresTruncated: this.#sink.truncated,
      tables: Object.fromEntries(this.#sink.tables),
      eventIdsUnchecked: this.#events.eventIdsUnchecked,
      pendingRecords: this.#pending,
    };
  }
}
