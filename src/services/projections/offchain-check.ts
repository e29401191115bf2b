/**
 * Off-chain rows the chain commits to or acts on: device readings (each sealed sensor.window
 * commits to its readings), personal data (each privacy.erasure erased one person's data) and
 * documents (an event cites a document by the SHA-256 of its bytes).
 */
import { toHex, type PublicKey } from '../../core/crypto/index.js';
import { sha256 } from '../../core/crypto/hash.js';
import { rowFailure } from '../../core/ledger/projections/compare.js';
import { windowReadingFailures } from '../../core/ledger/projections/readings-check.js';
import type { RowSource, WindowAssignment } from '../../core/ledger/projections/rows.js';
import { verifyCommitment, type PersonalData } from '../../core/privacy/commitment.js';
import { personRefOfEvent } from '../../core/capture/documents.js';
import { eventOfPayload } from '../../core/ledger/projections/event-rows.js';
import type { ProjectionStore, StoredPersonRow } from '../../store/projection-store.js';
import type { FailureSink } from './failure-sink.js';

const PAGE = 500;
const ORPHAN_LIMIT = 1000;

interface BufferedWindow {
  hash: string;
  window: WindowAssignment;
  key: PublicKey | undefined;
  source: RowSource;
}

export class ReadingsCheck {
  #buffer: BufferedWindow[] = [];
  #seen = 0;

  constructor(
    private readonly store: ProjectionStore,
    private readonly sink: FailureSink,
  ) {}

  /** A replayed sensor.window record, with the device key registered as of it. */
  add(hash: string, window: WindowAssignment, key: PublicKey | undefined, source: RowSource): void {
    this.#buffer.push({ hash, window, key, source });
  }

  get buffered(): number {
    return this.#buffer.length;
  }

  async flush(): Promise<void> {
    const buffer = this.#buffer;
    this.#buffer = [];
    if (buffer.length === 0) return;
    const pointing = await this.store.readingsOfWindows(buffer.map((b) => b.hash));
    for (const b of buffer) {
      const inRange = await this.store.readingsInRange(b.window.deviceId, b.window.firstSeq, b.window.lastSeq);
      const mine = pointing.filter((r) => r.windowRecordHash === b.hash);
      this.#seen += mine.length;
      this.sink.add(...windowReadingFailures(b.window, b.hash, inRange, mine, b.key, b.source));
      this.sink.count('DeviceReading', b.window.count, mine.length);
    }
  }

  /** Readings that point at a record no sealed window of the chain is. */
  async finish(): Promise<void> {
    await this.flush();
    const stored = await this.store.windowedReadingCount();
    if (stored <= this.#seen) return;
    const orphans = await this.store.orphanWindowedReadings(ORPHAN_LIMIT);
    for (const o of orphans) {
      this.sink.add(rowFailure('ROW_MISMATCH', { table: 'DeviceReading' }, { deviceId: o.deviceId, seq: o.seq }, { column: 'windowRecordHash', expected: null, stored: o.windowRecordHash }));
    }
    const rest = stored - this.#seen - orphans.length;
    if (rest > 0) this.sink.add({ code: 'ROW_MISMATCH', table: 'DeviceReading', key: {}, column: 'windowRecordHash', message: `${rest} more DeviceReading row(s) name a window than the chain's windows commit to` });
  }
}

/**
 * PersonData: erased exactly by the chain's privacy.erasure records, each signed by the organisation
 * that registered the person; the data of the others opens its commitment; every person an event
 * cites is held (capture admits no event citing an unknown one).
 */
export class PersonsCheck {
  /** Commitment -> the first erasure record naming it, and its signer's organisation. */
  readonly #erasures = new Map<string, RowSource & { recordHash: string; orgId?: string }>();
  /** Commitment -> the first event record citing it. */
  readonly #cited = new Map<string, RowSource>();

  constructor(
    private readonly store: ProjectionStore,
    private readonly sink: FailureSink,
  ) {}

  add(commitment: string, source: RowSource & { recordHash: string }, orgId?: string): void {
    if (!this.#erasures.has(commitment)) this.#erasures.set(commitment, { ...source, ...(orgId !== undefined ? { orgId } : {}) });
  }

  /** The person an epcis.event payload cites, if any. */
  cite(payload: unknown, source: RowSource): void {
    const event = eventOfPayload(payload);
    let ref: string | undefined;
    try {
      ref = event ? personRefOfEvent(event) : undefined;
    } catch {
      ref = undefined;
    }
    if (ref !== undefined && !this.#cited.has(ref)) this.#cited.set(ref, source);
  }

  #rowFailures(row: StoredPersonRow): void {
    const key = { commitment: row.commitment };
    const table = { table: 'PersonData' };
    const erasure = this.#erasures.get(row.commitment);
    if (erasure) {
      for (const [column, expected] of [['erasureRecordHash', erasure.recordHash], ['data', null], ['salt', null]] as const) {
        if (row[column] !== expected) this.sink.add(rowFailure('ROW_MISMATCH', table, key, { column, expected, stored: row[column], source: erasure }));
      }
      if (row.erasedAt === null) this.sink.add(rowFailure('ROW_MISMATCH', table, key, { column: 'erasedAt', expected: '(the erasure time)', stored: null, source: erasure }));
      // Only the registering organisation erases (services/persons.ts): its signer names the owner.
      if (erasure.orgId !== undefined && row.orgId !== erasure.orgId) this.sink.add(rowFailure('ROW_MISMATCH', table, key, { column: 'orgId', expected: erasure.orgId, stored: row.orgId, source: erasure }));
      return;
    }
    if (row.erasedAt !== null || row.erasureRecordHash !== null) {
      this.sink.add(rowFailure('ROW_MISMATCH', table, key, { column: 'erasureRecordHash', expected: null, stored: row.erasureRecordHash, why: 'no erasure record on the chain names it' }));
      return;
    }
    let data: PersonalData | undefined;
    try {
      data = row.data === null ? undefined : (JSON.parse(row.data) as PersonalData);
    } catch {
      data = undefined;
    }
    if (!data || row.salt === null || !verifyCommitment(row.commitment, data, row.salt)) {
      this.sink.add({ ...rowFailure('COMMITMENT_MISMATCH', table, key, { column: 'data' }), message: `PersonData row (commitment=${row.commitment}): data and salt do not open the commitment` });
    }
  }

  async finish(): Promise<void> {
    let after: string | null = null;
    let rows = 0;
    const held = new Set<string>();
    for (;;) {
      const page = await this.store.personPage(after, PAGE);
      for (const row of page) {
        held.add(row.commitment);
        this.#rowFailures(row);
      }
      rows += page.length;
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.commitment;
    }
    for (const [commitment, source] of [...this.#cited, ...this.#erasures]) {
      if (!held.has(commitment)) this.sink.add(rowFailure('ROW_MISSING', { table: 'PersonData' }, { commitment }, { source }));
      held.add(commitment);
    }
    this.sink.count('PersonData', this.#erasures.size, rows);
  }
}

/** Documents: every cited one is stored, and every stored one is the SHA-256 of its bytes. */
export async function checkDocuments(store: ProjectionStore, sink: FailureSink, cited: ReadonlyMap<string, RowSource>): Promise<void> {
  const table = { table: 'Document' };
  const present = await store.storedDocuments([...cited.keys()]);
  for (const [sha, source] of cited) if (!present.has(sha)) sink.add(rowFailure('ROW_MISSING', table, { sha256: sha }, { source }));
  let after: string | null = null;
  let rows = 0;
  for (;;) {
    const page = await store.documentPage(after, 50);
    for (const d of page) {
      const bytes = new Uint8Array(d.bytes);
      const computed = toHex(sha256(bytes));
      if (computed !== d.sha256) sink.add({ ...rowFailure('COMMITMENT_MISMATCH', table, { sha256: d.sha256 }, { column: 'bytes', expected: d.sha256, stored: computed }), message: `Document row (sha256=${d.sha256}): its bytes hash to ${computed}` });
      if (d.size !== bytes.length) sink.add(rowFailure('ROW_MISMATCH', table, { sha256: d.sha256 }, { column: 'size', expected: bytes.length, stored: d.size }));
    }
    rows += page.length;
    if (page.length < 50) break;
    after = page[page.length - 1]!.sha256;
  }
  sink.count('Document', cited.size, rows);
}
