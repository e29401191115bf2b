/**
 * Reads behind GraphQL subscriptions: the EPCIS events and cold-chain breach records
 * of a sealed block.
 */
import type { Database } from './database.js';
import type { EventRow } from '../core/lineage/graph.js';
import { LineageStore } from './lineage-store.js';

const IN_CHUNK = 400;
const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += IN_CHUNK) out.push(items.slice(i, i + IN_CHUNK));
  return out;
}

/** A sealed 'coldchain.breach' record as stored (payload not yet validated). */
export interface StoredBreachRecord {
  recordHash: string;
  signer: string;
  signedAt: string;
  payload: unknown;
}

export class SubscriptionStore {
  readonly #lineage: LineageStore;

  constructor(
    private readonly db: Database,
    readonly consortiumId: string,
  ) {
    this.#lineage = new LineageStore(db, consortiumId);
  }

  /** The captured EPCIS events among the records, in the records' order (block order). */
  async epcisEventsOf(recordHashes: readonly string[]): Promise<EventRow[]> {
    const eventIdsByRecord = new Map<string, string[]>();
    for (const chunk of chunks([...new Set(recordHashes)])) {
      const rows = await this.db.$queryRawUnsafe<{ eventId: string; recordHash: string }[]>(
        `SELECT "eventId", "recordHash" FROM "EpcisEvent" WHERE "consortiumId" = ? AND "recordHash" IN (${marks(chunk.length)})`,
        this.consortiumId,
        ...chunk,
      );
      for (const r of rows) eventIdsByRecord.set(r.recordHash, [...(eventIdsByRecord.get(r.recordHash) ?? []), r.eventId]);
    }
    if (eventIdsByRecord.size === 0) return [];
    const events = await this.#lineage.eventsById([...eventIdsByRecord.values()].flat());
    const position = new Map(recordHashes.map((h, i) => [h, i]));
    return events.sort((a, b) => (position.get(a.recordHash) ?? 0) - (position.get(b.recordHash) ?? 0) || (a.eventId < b.eventId ? -1 : 1));
  }

  /** The 'coldchain.breach' records among the hashes, in the given order. */
  async breachRecordsOf(recordHashes: readonly string[]): Promise<StoredBreachRecord[]> {
    const found = new Map<string, StoredBreachRecord>();
    for (const chunk of chunks([...new Set(recordHashes)])) {
      const rows = await this.db.$queryRawUnsafe<{ hash: string; signer: string; signedAt: string; body: string }[]>(
        `SELECT "hash", "signer", "signedAt", "body" FROM "LedgerRecord" WHERE "consortiumId" = ? AND "kind" = 'coldchain.breach' AND "hash" IN (${marks(chunk.length)})`,
        this.consortiumId,
        ...chunk,
      );
      for (const r of rows) {
        let payload: unknown = null;
        try {
          payload = (JSON.parse(r.body) as { payload?: unknown }).payload ?? null;
        } catch {
          // Stored bodies are verified JCS; a broken one is reported by chain verification.
        }
        found.set(r.hash, { recordHash: r.hash, signer: r.signer, signedAt: r.signedAt, payload });
      }
    }
    return recordHashes.filter((h) => found.has(h)).map((h) => found.get(h)!);
  }
}
