/**
 * Chain persistence: consortia, blocks, records and checkpoints, plus the membership projections
 * (organisations, keys, devices) rebuilt from the consortium state when a block changes them.
 * Hot paths use raw SQL through Prisma (multi-row inserts inside one transaction): the query
 * builder issues one statement per row, which is too slow for thousands of records per second.
 */
import { canonicalize } from '../core/crypto/index.js';
import type { Block, BlockHeader, Seal } from '../core/ledger/block.js';
import type { SignedRecord } from '../core/ledger/record.js';
import type { MembershipProjection } from '../core/ledger/projections/rows.js';
import { orgIdentifierRowsOf } from '../core/ledger/projections/membership-rows.js';
import { LedgerError } from '../core/ledger/errors.js';
import type { Database } from './database.js';
import { WriteBatch, commitWriteBatch, selectWhereIn } from './write-batch.js';

export interface StoredCheckpointInput {
  consortium: string;
  logSize: number;
  logRoot: string;
  blockHeight: number;
  blockHash: string;
  timestamp: string;
  signatures: { keyId: string; signature: string }[];
}

export interface StoredRecordInput {
  record: SignedRecord;
  hash: string;
  logIndex: number;
  receivedAt: string;
  /** canonicalize(record), when the caller has it already. */
  body?: string;
}

export interface VerifiableRecordRow {
  record: SignedRecord;
  storedHash: string;
  logIndex: number;
  /** The row's columns that repeat its signed body, as stored (streamBlocks fills them in). */
  columns?: { kind: string; signer: string; signedAt: string };
}

export interface VerifiableBlockRow {
  header: BlockHeader;
  storedHash: string;
  seals: Seal[];
  records: VerifiableRecordRow[];
  /** The Block row's own columns as stored (those that repeat the header are compared with it). */
  columns?: Record<string, unknown>;
}

export type { MembershipProjection } from '../core/ledger/projections/rows.js';

type Tx = Parameters<Parameters<Database['$transaction']>[0]>[0];
type Executor = Pick<Database, '$executeRawUnsafe' | '$queryRawUnsafe'> | Tx;

const RECORD_COLUMNS = ['hash', 'consortiumId', 'logIndex', 'kind', 'signer', 'signedAt', 'receivedAt', 'body'];
const toNumber = (value: unknown): number => (typeof value === 'bigint' ? Number(value) : (value as number));
const SQLITE_MAX_PARAMS = 32_000;

/** Inserts rows with as few statements as the parameter limit allows. */
async function insertRows(db: Executor, table: string, columns: string[], rows: unknown[][], conflict = ''): Promise<void> {
  if (rows.length === 0) return;
  const perStatement = Math.max(1, Math.floor(SQLITE_MAX_PARAMS / columns.length));
  const columnList = columns.map((c) => `"${c}"`).join(', ');
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const sql = `INSERT ${conflict} INTO "${table}" (${columnList}) VALUES ${chunk.map(() => tuple).join(', ')}`;
    await db.$executeRawUnsafe(sql, ...chunk.flat());
  }
}

export class ChainStore {
  constructor(readonly db: Database) {}

  async listConsortia(): Promise<{ id: string; name: string; genesisHash: string }[]> {
    return this.db.consortium.findMany({ select: { id: true, name: true, genesisHash: true }, orderBy: { id: 'asc' } });
  }

  async consortiumExists(id: string): Promise<boolean> {
    return (await this.db.consortium.count({ where: { id } })) > 0;
  }

  /** Writes genesis as block 0 in one transaction. A second genesis for the same id is refused. */
  async createConsortium(input: {
    block: Block;
    blockHash: string;
    recordHashes: string[];
    name: string;
    quorum: { numerator: number; denominator: number };
    projection: MembershipProjection;
  }): Promise<void> {
    const { header } = input.block;
    if (await this.consortiumExists(header.consortium)) {
      throw new LedgerError('DUPLICATE_GENESIS', `consortium ${header.consortium} already has a genesis block`, {
        consortium: header.consortium,
      });
    }
    const now = new Date().toISOString();
    await this.db.$transaction(async (tx) => {
      await tx.consortium.create({
        data: {
          id: header.consortium,
          name: input.name,
          genesisHash: input.blockHash,
          quorumNumerator: input.quorum.numerator,
          quorumDenominator: input.quorum.denominator,
          createdAt: header.timestamp,
        },
      });
      await this.insertRecords(
        tx,
        header.consortium,
        input.block.records.map((record, i) => ({ record, hash: input.recordHashes[i]!, logIndex: i, receivedAt: now })),
      );
      // Genesis comes before the ordering log: a restart reads the log from its start.
      await this.insertBlock(tx, input.block.header, input.blockHash, input.block.seals, input.recordHashes, { cut: 0, final: 0 });
      await this.writeProjection(tx, header.consortium, input.projection);
    });
  }

  /**
   * Durably appends admitted records that are not yet sealed (blockHeight stays NULL), with the
   * writes that go with them (indexes), in one transaction.
   */
  async appendPending(consortiumId: string, rows: StoredRecordInput[], writes: readonly WriteBatch[] = []): Promise<void> {
    if (rows.length === 0 && writes.length === 0) return;
    const batch = new WriteBatch();
    batch.insert(
      'LedgerRecord',
      RECORD_COLUMNS,
      rows.map((r) => [r.hash, consortiumId, r.logIndex, r.record.kind, r.record.signer, r.record.signedAt, r.receivedAt, r.body ?? canonicalize(r.record)]),
    );
    for (const w of writes) batch.append(w);
    await commitWriteBatch(this.db, batch);
  }

  private async insertRecords(tx: Executor, consortiumId: string, rows: StoredRecordInput[]): Promise<void> {
    await insertRows(
      tx,
      'LedgerRecord',
      RECORD_COLUMNS,
      rows.map((r) => [r.hash, consortiumId, r.logIndex, r.record.kind, r.record.signer, r.record.signedAt, r.receivedAt, canonicalize(r.record)]),
    );
  }

  private async insertBlock(
    tx: Executor,
    header: BlockHeader,
    hash: string,
    seals: readonly Seal[],
    recordHashes: readonly string[],
    sequences: { cut: number; final: number } | null,
  ): Promise<void> {
    await insertRows(
      tx,
      'Block',
      ['consortiumId', 'height', 'hash', 'previousHash', 'merkleRoot', 'recordCount', 'logSize', 'timestamp', 'authoritySetHash', 'header', 'seals', 'cutSequence', 'finalSequence'],
      [[
        header.consortium,
        header.height,
        hash,
        header.previousHash,
        header.merkleRoot,
        header.recordCount,
        header.logSize,
        header.timestamp,
        header.authoritySetHash,
        canonicalize(header),
        JSON.stringify(seals),
        sequences?.cut ?? null,
        sequences?.final ?? null,
      ]],
    );
    // Assign records to the block by their position in the log: one statement, not one per record.
    const firstLogIndex = header.logSize - header.recordCount;
    await tx.$executeRawUnsafe(
      `UPDATE "LedgerRecord" SET "blockHeight" = ?, "indexInBlock" = "logIndex" - ?
       WHERE "consortiumId" = ? AND "logIndex" >= ? AND "logIndex" < ?`,
      header.height,
      firstLogIndex,
      header.consortium,
      firstLogIndex,
      header.logSize,
    );
    const assigned = await tx.$queryRawUnsafe<{ n: bigint }[]>(
      `SELECT count(*) AS n FROM "LedgerRecord" WHERE "consortiumId" = ? AND "blockHeight" = ?`,
      header.consortium,
      header.height,
    );
    if (toNumber(assigned[0]?.n) !== recordHashes.length) {
      throw new LedgerError('RECORD_COUNT_MISMATCH', `block ${header.height}: ${recordHashes.length} records expected in the log, found ${toNumber(assigned[0]?.n)}`, {
        expected: recordHashes.length,
        computed: toNumber(assigned[0]?.n),
      });
    }
  }

  /** Seals a block: inserts it, assigns its pending records, and refreshes projections, atomically. */
  async commitBlock(input: {
    header: BlockHeader;
    blockHash: string;
    seals: readonly Seal[];
    recordHashes: readonly string[];
    /** The ordering log entries that cut the block and made it final (a restart resumes after the cut). */
    sequences?: { cut: number; final: number };
    projection?: MembershipProjection;
    /** The signed checkpoint of the log after this block, written in the same transaction. */
    checkpoint?: StoredCheckpointInput;
    extra?: (tx: Tx) => Promise<void>;
  }): Promise<void> {
    await this.db.$transaction(async (tx) => {
      await this.insertBlock(tx, input.header, input.blockHash, input.seals, input.recordHashes, input.sequences ?? null);
      if (input.projection) await this.writeProjection(tx, input.header.consortium, input.projection);
      if (input.checkpoint) await this.insertCheckpoint(tx, input.checkpoint);
      if (input.extra) await input.extra(tx);
    });
  }

  private async writeProjection(tx: Executor, consortiumId: string, projection: MembershipProjection): Promise<void> {
    for (const table of ['Organisation', 'OrgIdentifier', 'OrgKey', 'Device']) {
      await tx.$executeRawUnsafe(`DELETE FROM "${table}" WHERE "consortiumId" = ?`, consortiumId);
    }
    await insertRows(
      tx,
      'Organisation',
      ['consortiumId', 'id', 'name', 'roles', 'identifiers', 'status', 'isAuthority'],
      projection.orgs.map((o) => [consortiumId, o.id, o.name, JSON.stringify(o.roles), JSON.stringify(o.identifiers), o.status, o.isAuthority ? 1 : 0]),
    );
    const identifierRows = orgIdentifierRowsOf(projection).map((r) => [consortiumId, r.scheme, r.value, r.orgId]);
    await insertRows(tx, 'OrgIdentifier', ['consortiumId', 'scheme', 'value', 'orgId'], identifierRows);
    await insertRows(
      tx,
      'OrgKey',
      ['consortiumId', 'keyId', 'orgId', 'alg', 'publicKey', 'status', 'addedAtLogIndex', 'endedAtLogIndex'],
      projection.keys.map((k) => [consortiumId, k.keyId, k.orgId, k.alg, k.publicKey, k.status, k.addedAtLogIndex, k.endedAtLogIndex]),
    );
    await insertRows(
      tx,
      'Device',
      ['consortiumId', 'deviceId', 'orgId', 'keyId', 'alg', 'publicKey', 'status', 'registeredAtLogIndex', 'revokedAtLogIndex', 'attributes'],
      projection.devices.map((d) => [
        consortiumId,
        d.deviceId,
        d.orgId,
        d.keyId,
        d.alg,
        d.publicKey,
        d.status,
        d.registeredAtLogIndex,
        d.revokedAtLogIndex,
        JSON.stringify(d.attributes),
      ]),
    );
  }

  async head(consortiumId: string): Promise<{ height: number; hash: string; logSize: number; timestamp: string } | null> {
    const block = await this.db.block.findFirst({ where: { consortiumId }, orderBy: { height: 'desc' } });
    return block ? { height: block.height, hash: block.hash, logSize: block.logSize, timestamp: block.timestamp } : null;
  }

  async logSize(consortiumId: string): Promise<number> {
    const rows = await this.db.$queryRawUnsafe<{ n: bigint | null }[]>(
      `SELECT max("logIndex") + 1 AS n FROM "LedgerRecord" WHERE "consortiumId" = ?`,
      consortiumId,
    );
    return toNumber(rows[0]?.n ?? 0) || 0;
  }

  async pendingRecords(consortiumId: string): Promise<VerifiableRecordRow[]> {
    const rows = await this.db.ledgerRecord.findMany({
      where: { consortiumId, blockHeight: null },
      orderBy: { logIndex: 'asc' },
      select: { hash: true, logIndex: true, body: true },
    });
    return rows.map((r) => ({ record: JSON.parse(r.body) as SignedRecord, storedHash: r.hash, logIndex: r.logIndex }));
  }

  /**
   * The pending records and those stored at or after `logSize` (in a block a reader's pinned index
   * map may not hold yet: a block is stored before its map is published), in log order.
   */
  async recordsAfterMap(consortiumId: string, logSize: number): Promise<VerifiableRecordRow[]> {
    const rows = await this.db.ledgerRecord.findMany({
      where: { consortiumId, OR: [{ blockHeight: null }, { logIndex: { gte: logSize } }] },
      orderBy: { logIndex: 'asc' },
      select: { hash: true, logIndex: true, body: true },
    });
    return rows.map((r) => ({ record: JSON.parse(r.body) as SignedRecord, storedHash: r.hash, logIndex: r.logIndex }));
  }

  async recordsByKinds(consortiumId: string, kinds: string[]): Promise<VerifiableRecordRow[]> {
    const rows = await this.db.ledgerRecord.findMany({
      where: { consortiumId, kind: { in: kinds } },
      orderBy: { logIndex: 'asc' },
      select: { hash: true, logIndex: true, body: true },
    });
    return rows.map((r) => ({ record: JSON.parse(r.body) as SignedRecord, storedHash: r.hash, logIndex: r.logIndex }));
  }

  /** Which of these record hashes are already stored (for idempotent, duplicate-reporting capture). */
  async existingRecordHashes(consortiumId: string, hashes: string[]): Promise<Set<string>> {
    const rows = await selectWhereIn<{ hash: string }>(this.db, { before: `SELECT "hash" FROM "LedgerRecord" WHERE "consortiumId" = ? AND "hash"` }, [consortiumId], hashes);
    return new Set(rows.map((r) => r.hash));
  }

  async blockCount(consortiumId: string): Promise<number> {
    return this.db.block.count({ where: { consortiumId } });
  }

  /**
   * Streams blocks with their records exactly as stored, for re-verification from genesis.
   * Records are read by the block they claim, in the order they claim, so a moved, deleted or
   * inserted row shows up as a mismatch in that block. Records that claim no existing block, or
   * a block beyond the head, are yielded in a final pseudo-block so they cannot hide.
   */
  async *streamBlocks(consortiumId: string, batchSize = 200, options: { markColumnMismatches?: boolean; fromHeight?: number } = {}): AsyncGenerator<VerifiableBlockRow> {
    const mark = options.markColumnMismatches !== false;
    let nextHeight = options.fromHeight ?? 0;
    for (;;) {
      const blocks = await this.db.block.findMany({
        where: { consortiumId, height: { gte: nextHeight } },
        orderBy: { height: 'asc' },
        take: batchSize,
      });
      if (blocks.length === 0) return;
      const first = blocks[0]!.height;
      const last = blocks[blocks.length - 1]!.height;
      const records = await this.db.ledgerRecord.findMany({
        where: { consortiumId, blockHeight: { gte: first, lte: last } },
        orderBy: [{ blockHeight: 'asc' }, { indexInBlock: 'asc' }, { logIndex: 'asc' }],
        select: { hash: true, logIndex: true, body: true, blockHeight: true, kind: true, signer: true, signedAt: true },
      });
      const byHeight = new Map<number, VerifiableRecordRow[]>();
      for (const row of records) {
        let record: SignedRecord;
        try {
          record = JSON.parse(row.body) as SignedRecord;
        } catch {
          record = { unparseable: row.body } as unknown as SignedRecord;
        }
        const list = byHeight.get(row.blockHeight!) ?? [];
        list.push({ record, storedHash: row.hash, logIndex: row.logIndex, columns: { kind: row.kind, signer: row.signer, signedAt: row.signedAt } });
        byHeight.set(row.blockHeight!, list);
      }
      for (const block of blocks) {
        let header: BlockHeader;
        let seals: Seal[];
        try {
          header = JSON.parse(block.header) as BlockHeader;
          seals = JSON.parse(block.seals) as Seal[];
        } catch {
          header = { unparseable: block.header } as unknown as BlockHeader;
          seals = [];
        }
        // The indexed columns must say what the signed header says; a mismatch is tampering too.
        const columns = { height: block.height, previousHash: block.previousHash, merkleRoot: block.merkleRoot, logSize: block.logSize };
        for (const [field, value] of Object.entries(columns)) {
          if (mark && (header as unknown as Record<string, unknown>)[field] !== value) {
            (header as unknown as Record<string, unknown>)[field] = `column ${field}=${value} disagrees with header ${(header as unknown as Record<string, unknown>)[field]}`;
          }
        }
        const { consortiumId: _c, header: _h, seals: _s, ...stored } = block;
        yield { header, storedHash: block.hash, seals, records: byHeight.get(block.height) ?? [], columns: stored };
      }
      nextHeight = last + 1;
    }
  }

  /** Record rows whose indexed columns disagree with their signed body (an edit of a column alone). */
  async indexColumnMismatches(consortiumId: string): Promise<
    { hash: string; logIndex: number; blockHeight: number | null; indexInBlock: number | null; column: string; stored: string; signed: string }[]
  > {
    const out: { hash: string; logIndex: number; blockHeight: number | null; indexInBlock: number | null; column: string; stored: string; signed: string }[] = [];
    let after = -1;
    for (;;) {
      const rows = await this.db.ledgerRecord.findMany({
        where: { consortiumId, logIndex: { gt: after } },
        orderBy: { logIndex: 'asc' },
        take: 5000,
        select: { hash: true, logIndex: true, blockHeight: true, indexInBlock: true, kind: true, signer: true, signedAt: true, body: true },
      });
      if (rows.length === 0) return out;
      for (const row of rows) {
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(row.body) as Record<string, unknown>;
        } catch {
          continue; // the chain verifier reports an unparseable body
        }
        for (const column of ['kind', 'signer', 'signedAt'] as const) {
          if (body[column] !== row[column]) {
            out.push({ hash: row.hash, logIndex: row.logIndex, blockHeight: row.blockHeight, indexInBlock: row.indexInBlock, column, stored: String(row[column]), signed: String(body[column]) });
          }
        }
      }
      after = rows[rows.length - 1]!.logIndex;
    }
  }

  async readProjection(consortiumId: string): Promise<MembershipProjection> {
    const [orgs, keys, devices] = await Promise.all([
      this.db.organisation.findMany({ where: { consortiumId } }),
      this.db.orgKey.findMany({ where: { consortiumId } }),
      this.db.device.findMany({ where: { consortiumId } }),
    ]);
    return {
      orgs: orgs.map((o) => ({
        id: o.id,
        name: o.name,
        roles: JSON.parse(o.roles) as string[],
        identifiers: JSON.parse(o.identifiers) as Record<string, string[]>,
        status: o.status,
        isAuthority: o.isAuthority,
      })),
      keys: keys.map((k) => ({
        keyId: k.keyId,
        orgId: k.orgId,
        alg: k.alg,
        publicKey: k.publicKey,
        status: k.status,
        addedAtLogIndex: k.addedAtLogIndex,
        endedAtLogIndex: k.endedAtLogIndex,
      })),
      devices: devices.map((d) => ({
        deviceId: d.deviceId,
        orgId: d.orgId,
        keyId: d.keyId,
        alg: d.alg,
        publicKey: d.publicKey,
        status: d.status,
        registeredAtLogIndex: d.registeredAtLogIndex,
        revokedAtLogIndex: d.revokedAtLogIndex,
        attributes: JSON.parse(d.attributes) as Record<string, unknown>,
      })),
    };
  }

  async orphanRecordCount(consortiumId: string, headHeight: number): Promise<number> {
    return this.db.ledgerRecord.count({ where: { consortiumId, blockHeight: { gt: headHeight } } });
  }

  async saveCheckpoint(cp: StoredCheckpointInput): Promise<void> {
    await this.insertCheckpoint(this.db, cp);
  }

  private async insertCheckpoint(db: Pick<Database, 'checkpoint'> | Tx, cp: StoredCheckpointInput): Promise<void> {
    await db.checkpoint.upsert({
      where: { consortiumId_logSize: { consortiumId: cp.consortium, logSize: cp.logSize } },
      create: {
        consortiumId: cp.consortium,
        logSize: cp.logSize,
        logRoot: cp.logRoot,
        blockHeight: cp.blockHeight,
        blockHash: cp.blockHash,
        timestamp: cp.timestamp,
        signatures: JSON.stringify(cp.signatures),
      },
      update: {},
    });
  }

  async latestCheckpoint(consortiumId: string) {
    return this.db.checkpoint.findFirst({ where: { consortiumId }, orderBy: { logSize: 'desc' } });
  }

  /** Record hashes in log order, for log roots and inclusion/consistency proofs. */
  async logLeaves(consortiumId: string, size?: number): Promise<string[]> {
    const rows = await this.db.ledgerRecord.findMany({
      where: { consortiumId, ...(size !== undefined ? { logIndex: { lt: size } } : {}) },
      orderBy: { logIndex: 'asc' },
      select: { hash: true },
    });
    return rows.map((r) => r.hash);
  }
}
