/**
 * `provenant rebuild-projections`: derives every projected table from the chain again and writes
 * it in one transaction (all or nothing), then verifies the store. Only a chain that verifies can
 * be derived from: a damaged chain is refused (CHAIN_INVALID) and nothing is written. Columns that
 * repeat signed data (Block, LedgerRecord, Consortium) are rewritten from it; checkpoints that do
 * not state the chain are deleted (a new one needs the authorities' keys). Off-chain data the chain
 * only commits to (reading bodies, documents, personal data) cannot be rebuilt: verify names it.
 */
import { verifyChain, type ReplayedBlock, type ReplayedRecord } from '../../core/ledger/chain-verifier.js';
import { epcisHeaderOf, locationLinksOf } from '../../core/epcis/query/location-hierarchy.js';
import { admitRecord } from '../../core/ledger/admission.js';
import { BatchSignatureCache } from '../../core/ledger/batch-signature.js';
import { blockColumnMismatches, blockColumnsOf, consortiumRowOf } from '../../core/ledger/projections/chain-rows.js';
import { membershipProjectionOf } from '../../core/ledger/projections/membership-rows.js';
import { ProjectionReplay, type ProjectedRecord } from '../../core/ledger/projections/record-projection.js';
import { RecordKind, recordHash, type SignedRecord } from '../../core/ledger/record.js';
import type { ConsortiumState } from '../../core/ledger/state.js';
import type { ChainStore, VerifiableBlockRow, VerifiableRecordRow } from '../../store/chain-store.js';
import { ProjectionStore } from '../../store/projection-store.js';
import { ProjectionWriter } from '../../store/projection-writer.js';
import { verifyStoredChain, type StoredChainReport, type VerifyProgress, type VerifyStoredChainOptions } from '../node/verify-stored-chain.js';
import { ChainColumnsCheck } from './chain-columns-check.js';
import { ProjectionError } from './errors.js';
import { FailureSink } from './failure-sink.js';

export interface RebuildReport {
  consortium: string;
  records: number;
  /** Rows written per table. */
  written: Record<string, number>;
  /** Chain-table columns rewritten from the signed data, and checkpoints deleted. */
  repaired: { blockColumns: number; recordColumns: number; consortiumRow: boolean; checkpointsDeleted: number[] };
  /** The store verified after the rebuild. */
  verification: StoredChainReport;
}

/** The replay that writes what it derives. */
class RebuildReplay {
  readonly replay = new ProjectionReplay();
  readonly written: Record<string, number> = {};
  readonly repaired: RebuildReport['repaired'] = { blockColumns: 0, recordColumns: 0, consortiumRow: false, checkpointsDeleted: [] };
  readonly checkpoints: ChainColumnsCheck;
  readonly sink = new FailureSink();
  #storedEventIds = new Map<string, string>();
  #columns: Record<string, unknown> | undefined;

  constructor(
    readonly writer: ProjectionWriter,
    readonly store: ProjectionStore,
  ) {
    this.checkpoints = new ChainColumnsCheck(store, this.sink);
  }

  #count(table: string, n = 1): void {
    this.written[table] = (this.written[table] ?? 0) + n;
  }

  /** The stored event IDs of the block's events (a v1 record under an unsigned @context keeps its ID) and its record columns. */
  async prepare(records: readonly VerifiableRecordRow[]): Promise<void> {
    const hashes = records.filter((r) => r.record?.kind === RecordKind.EPCIS_EVENT).map((r) => r.storedHash);
    this.#storedEventIds = new Map((await this.store.eventsByRecordHashes(hashes)).map((e) => [e.recordHash, e.eventId]));
    for (const r of records) {
      const c = r.columns;
      const signed = r.record as Partial<SignedRecord> | null;
      if (typeof signed?.kind !== 'string' || typeof signed.signer !== 'string' || typeof signed.signedAt !== 'string') continue;
      if (c && (c.kind !== signed.kind || c.signer !== signed.signer || c.signedAt !== signed.signedAt)) {
        this.writer.recordColumns(r.storedHash, r.record);
        this.repaired.recordColumns += 1;
      }
    }
  }

  setColumns(columns: Record<string, unknown> | undefined): void {
    this.#columns = columns;
  }

  write(state: ConsortiumState, record: SignedRecord, source: ProjectedRecord['source']): void {
    const projected = this.replay.project(state, record, source, this.#storedEventIds.get(source.recordHash));
    if (projected.event) {
      this.writer.event(projected.event.rows);
      this.#count('EpcisEvent');
      this.#count('EventIdentifier', projected.event.rows.identifiers.length);
      this.#count('DocumentCitation', projected.event.rows.citations.length);
    }
    // A correction signs its document's header too, and capture indexes it like an event's.
    const declarer = projected.event?.rows.event.submitterOrg ?? projected.correction?.signerOrg;
    const header = declarer !== undefined ? epcisHeaderOf(record.payload) : undefined;
    if (header) {
      this.writer.locationLinks(locationLinksOf(header, declarer!), source.recordHash);
      this.#count('LocationLink', 0);
    }
    if (projected.correction) {
      this.writer.correction(projected.correction);
      this.#count('EventCorrection');
    }
    if (projected.window) {
      this.writer.window(source.recordHash, projected.window);
      this.#count('DeviceReading', 0);
    }
    if (projected.erasure) {
      this.writer.erase(projected.erasure.commitment, source.recordHash, record.signedAt);
      this.#count('PersonData', 0);
    }
  }

  readonly onRecord = (r: ReplayedRecord): void => {
    if (r.admitted) this.write(r.state, r.record, { recordHash: r.recordHash, logIndex: r.logIndex, height: r.height });
  };

  readonly onBlock = (b: ReplayedBlock): void => {
    this.checkpoints.onBlock(b);
    if (!b.header || !b.hash) return;
    if (blockColumnMismatches(this.#columns ?? {}, b.header, b.hash).length > 0) {
      this.writer.blockColumns(blockColumnsOf(b.header, b.hash));
      this.repaired.blockColumns += 1;
    }
    if (b.height === 0) {
      this.writer.consortium(consortiumRowOf(b.state, b.header, b.hash));
      this.repaired.consortiumRow = true;
    }
  };

  /** Records admitted after the last block, replayed on a copy of the sealed state. */
  pending(sealed: ConsortiumState, rows: readonly VerifiableRecordRow[]): number {
    const state = sealed.clone();
    const batchCache = new BatchSignatureCache();
    for (const row of rows) {
      if (row.logIndex !== state.logSize || recordHash(row.record) !== row.storedHash) break;
      admitRecord(state, row.record, { recordHash: row.storedHash, batchCache });
      this.write(state, row.record, { recordHash: row.storedHash, logIndex: row.logIndex });
    }
    return rows.length;
  }
}

async function* prepared(rebuild: RebuildReplay, blocks: AsyncIterable<VerifiableBlockRow>): AsyncGenerator<VerifiableBlockRow> {
  await rebuild.checkpoints.start();
  for await (const block of blocks) {
    // What the last block wrote goes to the database before the next is read (PostgreSQL queues it).
    await rebuild.writer.flush();
    await rebuild.prepare(block.records);
    rebuild.setColumns(block.columns);
    yield block;
  }
}

export async function rebuildProjections(chain: ChainStore, consortiumId: string, onProgress?: (p: VerifyProgress) => void, verifyOptions: VerifyStoredChainOptions = {}): Promise<RebuildReport> {
  const totalBlocks = await chain.blockCount(consortiumId);
  const store = new ProjectionStore(chain.db, consortiumId);
  const writer = await ProjectionWriter.open(chain.db, consortiumId);
  let records: number;
  let rebuild: RebuildReplay;
  try {
    writer.clearDerived();
    rebuild = new RebuildReplay(writer, store);
    const report = await verifyChain(prepared(rebuild, chain.streamBlocks(consortiumId, undefined, { markColumnMismatches: false })), {
      expectedConsortium: consortiumId,
      onProgress: onProgress ? (p) => onProgress({ ...p, totalBlocks }) : undefined,
      onRecord: rebuild.onRecord,
      onBlock: rebuild.onBlock,
    });
    // A Block row's hash column is a repeat of its header's hash: rewritten below, not a damaged chain.
    const damage = report.failures.filter((f) => f.code !== 'BLOCK_HASH_MISMATCH');
    if (damage.length > 0 || report.failuresTruncated || !report.finalState) {
      const first = damage[0];
      throw new ProjectionError('CHAIN_INVALID', `the chain of "${consortiumId}" fails verification (${damage.length} failure(s)${first ? `, first at block ${first.height}: ${first.code}: ${first.message}` : ''}); projections are derived only from a chain that verifies, nothing was written`, {
        consortium: consortiumId,
        failures: damage.slice(0, 20),
      });
    }
    records = report.records + rebuild.pending(report.finalState, await chain.pendingRecords(consortiumId));
    rebuild.checkpoints.finish();
    for (const f of rebuild.sink.failures) {
      const logSize = Number(f.key['logSize']);
      if (f.table === 'Checkpoint' && Number.isSafeInteger(logSize) && !rebuild.repaired.checkpointsDeleted.includes(logSize)) {
        writer.deleteCheckpoint(logSize);
        rebuild.repaired.checkpointsDeleted.push(logSize);
      }
    }
    const custody = [...rebuild.replay.custody.rows()];
    writer.custody(custody);
    rebuild.written['Custody'] = custody.length;
    writer.membership(membershipProjectionOf(report.finalState));
    await writer.commit();
    // Rows the database reported for the counted statements (links added, readings reached, persons erased).
    for (const table of ['LocationLink', 'DeviceReading', 'PersonData'] as const) if (table in rebuild.written) rebuild.written[table] = writer.tally[table];
  } finally {
    await writer.close();
  }
  onProgress?.({ height: -1, records: 0, totalBlocks, phase: 'verifying the rebuilt store' });
  const verification = await verifyStoredChain(chain, consortiumId, onProgress, verifyOptions);
  return { consortium: consortiumId, records, written: rebuild.written, repaired: rebuild.repaired, verification };
}
