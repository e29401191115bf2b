/**
 * Custody as capture admits events against it: replayed from each item's signed history
 * (core/rules/custody-history.ts), whose completeness is proven against the index map the node
 * holds (sealed entries) and the records it has admitted since (pending entries). The Custody
 * table is a projection for reads; a row moved in it gives nobody the right to ship the item.
 * Replays are kept per item while its chain head and pending entries stay the same.
 */
import { recordHash, type SignedRecord } from '../../core/ledger/record.js';
import type { ConsortiumState } from '../../core/ledger/consortium.js';
import type { IndexEntry } from '../../core/ledger/index-map/index.js';
import { checkCompleteness, type IdentifierCompleteness, type ListedEntry } from '../../core/lineage/completeness.js';
import { custodyFromHistory, type HistoryEvent } from '../../core/rules/custody-history.js';
import type { KnownCustody, CustodyState } from '../../core/rules/custody-state.js';
import type { Database } from '../../store/database.js';
import { custodyOf } from '../../store/event-index.js';
import { LineageStore } from '../../store/lineage-store.js';
import type { LedgerNode } from '../node/ledger-node.js';
import { inSlices, yieldToEventLoop } from '../../platform/event-loop.js';

export interface VerifiedCustodyView {
  /** Custody state per identifier (from the table alone: an org id, or null for nobody); identifiers never seen are absent. */
  custody: Map<string, KnownCustody>;
  /** Identifiers whose history cannot be proven complete, with why: events touching them are refused. */
  unverified: Map<string, string>;
}

const KEPT = 100_000;
/** Identifiers proven per step between turns of the event loop (about 30 ms of work). */
const PROVEN_PER_STEP = 2_000;

interface Kept {
  head: string;
  pending: string;
  holder: CustodyState | undefined;
}

function sameEntries(a: readonly IndexEntry[], b: readonly IndexEntry[]): boolean {
  return a.length === b.length && a.every((e, i) => e.recordHash === b[i]!.recordHash && e.role === b[i]!.role && e.logIndex === b[i]!.logIndex);
}

export class VerifiedCustody {
  readonly #kept = new Map<string, Kept>();

  constructor(
    private readonly node: LedgerNode,
    private readonly db: Database,
    private readonly consortiumId: string,
  ) {}

  /** Custody of the identifiers from their proven histories (the ledger lane must be held: nothing is admitted meanwhile). */
  async of(identifiers: readonly string[], state: ConsortiumState): Promise<VerifiedCustodyView> {
    const unique = [...new Set(identifiers)];
    // Events that move no custody (observations, most sensor reads) need no history read.
    if (unique.length === 0) return { custody: new Map(), unverified: new Map() };
    const index = this.node.trustedIndex(this.consortiumId);
    // A node that keeps no map (version-1 sealing) has only the table to go by.
    if (!index) return { custody: await custodyOf(this.db, this.consortiumId, unique), unverified: new Map() };
    const store = new LineageStore(this.db, this.consortiumId);
    const pinned = index.current()!;
    const listed = await store.indexEntries(unique);
    // In slices: proving 10,000s of identifiers at once would hold the event loop for a second.
    const report = { byIdentifier: new Map<string, IdentifierCompleteness>() };
    await inSlices(unique, PROVEN_PER_STEP, async (slice) => {
      const part = await checkCompleteness(slice, listed, { index, pinned, bucketLeaves: (b) => store.indexLeaves(b), memo: store.completenessMemo }, { requireSigned: false });
      for (const [id, c] of part.byIdentifier) report.byIdentifier.set(id, c);
    });
    await yieldToEventLoop();
    // From the pinned map on: a block stored after it was pinned is not in it, yet no longer pending.
    const pendingAll = await this.node.pendingIndexEntries(this.consortiumId, pinned.logSize);
    const custody = new Map<string, KnownCustody>();
    const unverified = new Map<string, string>();
    const replay = new Map<string, IndexEntry[]>();
    for (const id of unique) {
      const c = report.byIdentifier.get(id)!;
      const history = this.#history(c, listed.get(id) ?? [], pendingAll.get(id) ?? []);
      if (typeof history === 'string') {
        unverified.set(id, history);
        continue;
      }
      const kept = this.#kept.get(id);
      const pendingKey = (pendingAll.get(id) ?? []).map((e) => `${e.recordHash}:${e.role}`).join(',');
      if (kept && kept.head === c.leaf!.head && kept.pending === pendingKey) {
        if (kept.holder !== undefined) custody.set(id, kept.holder);
      } else replay.set(id, history);
    }
    if (replay.size > 0) await this.#replay(store, state, replay, report.byIdentifier, pendingAll, custody, unverified);
    return { custody, unverified };
  }

  /** The identifier's whole history (proven sealed entries, then the pending ones the node holds), or why it is not proven. */
  #history(c: IdentifierCompleteness, listed: readonly ListedEntry[], pending: readonly IndexEntry[]): IndexEntry[] | string {
    if (c.status !== 'COMPLETE' || !c.provenAt || !c.leaf) return c.reason?.message ?? `${c.identifier}: its index entries cannot be proven complete`;
    const after = listed.filter((e) => e.logIndex !== null && e.logIndex >= c.provenAt!.logSize) as IndexEntry[];
    after.sort((a, b) => a.logIndex - b.logIndex || (a.role < b.role ? -1 : a.role > b.role ? 1 : 0));
    if (!sameEntries(after, pending)) return `${c.identifier}: its index rows since block ${c.provenAt.height} are not the records the node admitted`;
    return [...c.entries, ...pending];
  }

  async #replay(
    store: LineageStore,
    state: ConsortiumState,
    histories: Map<string, IndexEntry[]>,
    reports: ReadonlyMap<string, IdentifierCompleteness>,
    pendingAll: ReadonlyMap<string, IndexEntry[]>,
    custody: Map<string, KnownCustody>,
    unverified: Map<string, string>,
  ): Promise<void> {
    const hashes = [...new Set([...histories.values()].flatMap((h) => h.map((e) => e.recordHash)))];
    const records = new Map<string, SignedRecord>();
    for (const r of await store.records(hashes)) {
      try {
        const record = JSON.parse(r.body) as SignedRecord;
        // The body must be the record the chain names: a rewritten body is not its history.
        if (recordHash(record) === r.hash) records.set(r.hash, record);
      } catch {
        // left out: the identifier is then unverified below
      }
    }
    for (const [id, history] of histories) {
      const events: HistoryEvent[] = [];
      let missing: string | undefined;
      let last: string | undefined;
      for (const e of history) {
        if (e.recordHash === last) continue; // one record, two roles
        last = e.recordHash;
        const record = records.get(e.recordHash);
        if (!record) {
          missing = e.recordHash;
          break;
        }
        const signer = state.resolveSigner(record.signer);
        const roles = signer ? state.rolesAt(signer.org.id, e.logIndex) : undefined;
        const event = (record.payload as { event?: unknown } | undefined)?.event;
        events.push({ event, signer: signer && roles ? { id: signer.org.id, roles, identifiers: signer.org.identifiers } : undefined, rules: state.custodyRulesAt(e.logIndex) });
      }
      if (missing) {
        unverified.set(id, `${id}: record ${missing} of its history is missing or altered`);
        continue;
      }
      const holder = custodyFromHistory(id, events);
      if (holder !== undefined) custody.set(id, holder);
      if (this.#kept.size >= KEPT) this.#kept.clear();
      this.#kept.set(id, { head: reports.get(id)!.leaf!.head, pending: (pendingAll.get(id) ?? []).map((e) => `${e.recordHash}:${e.role}`).join(','), holder });
    }
  }
}
