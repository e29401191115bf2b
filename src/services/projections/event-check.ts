/**
 * EpcisEvent, EventIdentifier, DocumentCitation and EventCorrection against the replay: the stored rows of each
 * epcis.event record (found by record hash, read just before its block is replayed) and of each
 * event it derives, compared in batches; at the end, stored rows no record accounts for.
 */
import { TABLE_SHAPES, diffRows, rowFailure, sameValue, type ProjectionFailure } from '../../core/ledger/projections/compare.js';
import type { ProjectedRecord } from '../../core/ledger/projections/record-projection.js';
import type { CorrectionRow, EpcisEventRow, RowSource } from '../../core/ledger/projections/rows.js';
import type { ProjectionStore, StoredCorrectionRow } from '../../store/projection-store.js';
import type { FailureSink } from './failure-sink.js';

const ORPHAN_LIMIT = 1000;

interface Buffered {
  recordHash: string;
  projected?: ProjectedRecord;
}

/** Compares one record's EpcisEvent row: by record hash, every column including the event ID. */
function eventRowFailures(derived: EpcisEventRow | undefined, stored: readonly EpcisEventRow[], source: RowSource | undefined, why: string): ProjectionFailure[] {
  const shape = TABLE_SHAPES.EpcisEvent;
  const out: ProjectionFailure[] = [];
  let rest = stored;
  if (derived) {
    const match = stored.find((s) => s.eventId === derived.eventId) ?? stored[0];
    if (!match) return [rowFailure('ROW_MISSING', shape, { eventId: derived.eventId }, { source })];
    rest = stored.filter((s) => s !== match);
    for (const column of ['eventId', ...shape.columns] as const) {
      const d = derived[column as keyof EpcisEventRow];
      const s = match[column as keyof EpcisEventRow];
      if (!sameValue(d, s)) out.push(rowFailure('ROW_MISMATCH', shape, { eventId: match.eventId }, { column, expected: d ?? null, stored: s ?? null, source }));
    }
  }
  for (const s of rest) out.push(rowFailure('ROW_UNEXPECTED', shape, { eventId: s.eventId }, { why }));
  return out;
}

export class EventRowsCheck {
  readonly #stored = new Map<string, EpcisEventRow[]>();
  readonly #storedCorrections = new Map<string, StoredCorrectionRow[]>();
  #buffer: Buffered[] = [];
  readonly #seen = { EpcisEvent: 0, EventIdentifier: 0, DocumentCitation: 0, EventCorrection: 0 };
  /** Event IDs a v1 record does not fix (its @context is not signed): taken as stored. */
  eventIdsUnchecked = 0;
  /** Documents the derived events cite (checked against the Document table at the end). */
  readonly cited = new Map<string, RowSource>();

  constructor(
    private readonly store: ProjectionStore,
    private readonly sink: FailureSink,
  ) {}

  /** Reads the stored EpcisEvent rows of these epcis.event records (before their block is replayed). */
  async prefetch(recordHashes: readonly string[]): Promise<void> {
    if (recordHashes.length === 0) return;
    for (const row of await this.store.eventsByRecordHashes(recordHashes)) {
      const list = this.#stored.get(row.recordHash) ?? [];
      list.push(row);
      this.#stored.set(row.recordHash, list);
    }
    for (const row of await this.store.correctionsByRecordHashes(recordHashes)) {
      const list = this.#storedCorrections.get(row.recordHash) ?? [];
      list.push(row);
      this.#storedCorrections.set(row.recordHash, list);
    }
  }

  /** The event ID stored for a record, if any. */
  storedEventId(recordHash: string): string | undefined {
    return this.#stored.get(recordHash)?.[0]?.eventId;
  }

  /** An epcis.event record as replayed (projected undefined: refused by re-admission, so it derives nothing). */
  add(recordHash: string, projected: ProjectedRecord | undefined): void {
    this.#buffer.push({ recordHash, projected });
    const event = projected?.event;
    if (event && !event.eventIdChecked && !event.eventIdDetermined && this.#stored.has(recordHash)) this.eventIdsUnchecked += 1;
    if (event) for (const c of event.rows.citations) if (!this.cited.has(c.sha256)) this.cited.set(c.sha256, projected.source);
  }

  get buffered(): number {
    return this.#buffer.length;
  }

  async flush(): Promise<void> {
    const buffer = this.#buffer;
    this.#buffer = [];
    if (buffer.length === 0) return;
    const sources = new Map<string, RowSource>();
    const identifiers = [];
    const citations = [];
    const eventIds = new Set<string>();
    const corrections: CorrectionRow[] = [];
    const storedCorrections: StoredCorrectionRow[] = [];
    let derivedEvents = 0;
    let storedEvents = 0;
    for (const { recordHash, projected } of buffer) {
      const stored = this.#stored.get(recordHash) ?? [];
      this.#stored.delete(recordHash);
      storedCorrections.push(...(this.#storedCorrections.get(recordHash) ?? []));
      this.#storedCorrections.delete(recordHash);
      if (projected?.correction) {
        corrections.push(projected.correction);
        sources.set(`${projected.correction.recordHash}`, projected.source);
      }
      storedEvents += stored.length;
      const rows = projected?.event?.rows;
      if (rows) {
        derivedEvents += 1;
        sources.set(rows.event.eventId, projected.source);
        eventIds.add(rows.event.eventId);
        identifiers.push(...rows.identifiers);
        citations.push(...rows.citations);
      } else {
        for (const s of stored) eventIds.add(s.eventId);
      }
      this.sink.add(...eventRowFailures(rows?.event, stored, projected?.source, projected ? 'the record states no event' : 'the record fails verification'));
    }
    this.#seen.EpcisEvent += storedEvents;
    this.sink.count('EpcisEvent', derivedEvents, storedEvents);
    const ids = [...eventIds];
    const sourceOf = (row: { eventId: string }) => sources.get(row.eventId);
    const storedIdentifiers = await this.store.identifiersByEventIds(ids);
    const i = diffRows(TABLE_SHAPES.EventIdentifier, identifiers, storedIdentifiers as unknown as Record<string, unknown>[], sourceOf);
    this.sink.add(...i.failures);
    this.#seen.EventIdentifier += i.seen;
    this.sink.count('EventIdentifier', identifiers.length, i.seen);
    const storedCitations = await this.store.citationsByEventIds(ids);
    const c = diffRows(TABLE_SHAPES.DocumentCitation, citations, storedCitations as unknown as Record<string, unknown>[], sourceOf);
    this.sink.add(...c.failures);
    this.#seen.DocumentCitation += c.seen;
    this.sink.count('DocumentCitation', citations.length, c.seen);
    // Stored as JSON text: compared in that form.
    const derivedCorrections = corrections.map((r) => ({ ...r, correctiveEventIds: JSON.stringify(r.correctiveEventIds) }));
    const k = diffRows(TABLE_SHAPES.EventCorrection, derivedCorrections, storedCorrections as unknown as Record<string, unknown>[], (row) => sources.get(row.recordHash));
    this.sink.add(...k.failures);
    this.#seen.EventCorrection += k.seen;
    this.sink.count('EventCorrection', corrections.length, k.seen);
  }

  /** Stored rows no replayed record accounts for (rows of events that are not on the chain). */
  async finish(counts: { EpcisEvent: number; EventIdentifier: number; DocumentCitation: number; EventCorrection: number }): Promise<void> {
    await this.flush();
    const shapes = TABLE_SHAPES;
    if (counts.EpcisEvent > this.#seen.EpcisEvent) {
      const orphans = await this.store.orphanEvents(ORPHAN_LIMIT);
      for (const o of orphans) this.sink.add(rowFailure('ROW_UNEXPECTED', shapes.EpcisEvent, { eventId: o.eventId }, { why: `its record ${o.recordHash.slice(0, 16)}… is not an epcis.event record on the chain` }));
      this.#remainder('EpcisEvent', counts.EpcisEvent - this.#seen.EpcisEvent - orphans.length);
    }
    if (counts.EventCorrection > this.#seen.EventCorrection) {
      const orphans = await this.store.orphanCorrections(ORPHAN_LIMIT);
      for (const o of orphans) this.sink.add(rowFailure('ROW_UNEXPECTED', shapes.EventCorrection, { eventId: o.eventId, recordHash: o.recordHash }, { why: 'its record is not an epcis.event record on the chain' }));
      this.#remainder('EventCorrection', counts.EventCorrection - this.#seen.EventCorrection - orphans.length);
    }
    for (const table of ['EventIdentifier', 'DocumentCitation'] as const) {
      if (counts[table] <= this.#seen[table]) continue;
      const columns = table === 'EventIdentifier' ? '"identifier", "eventId", "role"' : '"sha256", "eventId"';
      const orphans = await this.store.orphansByEvent<Record<string, unknown>>(table, columns, ORPHAN_LIMIT);
      const shape = shapes[table];
      for (const o of orphans) this.sink.add(rowFailure('ROW_UNEXPECTED', shape, Object.fromEntries(shape.key.map((k) => [k, o[k]])), { why: 'its event is not captured on the chain' }));
      this.#remainder(table, counts[table] - this.#seen[table] - orphans.length);
    }
  }

  #remainder(table: string, n: number): void {
    if (n <= 0) return;
    this.sink.add({ code: 'ROW_UNEXPECTED', table, key: {}, message: `${n} more ${table} row(s) are stored than the chain's records produce` });
  }
}
