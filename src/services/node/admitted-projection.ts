/**
 * Records another node captured, projected here as this node's capture projects its own. Every
 * node of a network keeps the query tables (EpcisEvent, EventIdentifier, Custody,
 * DocumentCitation, EventCorrection, LocationLink) of every epcis.event record the log admits, so
 * queries, lineage and custody checks see them, and the start-up check and `verify` find the rows
 * the chain produces. The rows come from the shared derivation (core/ledger/projections) that
 * capture and the replay use; custody is decided on each item's stored history as
 * custodyFromHistory decides it; the rows go in the transaction that stores the records.
 */
import { errorDeclarationOf } from '../../core/capture/corrections.js';
import { epcisHeaderOf } from '../../core/epcis/query/location-hierarchy.js';
import type { ConsortiumState } from '../../core/ledger/consortium.js';
import { correctionRowOf, custodyIdentifiersOf, eventIdOfPayload, eventOfPayload } from '../../core/ledger/projections/event-rows.js';
import { RecordKind, type SignedRecord } from '../../core/ledger/record.js';
import { authoriseEvent, custodyStateOfChange, type SignerOrg } from '../../core/rules/authorisation.js';
import { custodyFromHistory, type HistoryEvent } from '../../core/rules/custody-history.js';
import type { CustodyState } from '../../core/rules/custody-state.js';
import type { Database } from '../../store/database.js';
import { captureViewOf, identifierHistories, projectedRecordHashes, writeEventIndex, type StoredEventRef } from '../../store/event-index.js';
import { WriteBatch } from '../../store/write-batch.js';
import { IndexRows } from '../capture/index-rows.js';
import type { ChainContext } from './chain-context.js';

export interface AdmittedRecord {
  record: SignedRecord;
  hash: string;
  logIndex: number;
}

type EpcisRecord = AdmittedRecord & { event: Record<string, unknown> };

/** The signer's organisation as it stood at the log index (roles change with membership records). */
function signerAt(state: ConsortiumState, keyId: string, logIndex: number): SignerOrg | undefined {
  const signer = state.resolveSigner(keyId);
  if (signer?.type !== 'org') return undefined;
  const roles = state.rolesAt(signer.org.id, logIndex);
  return roles ? { id: signer.org.id, roles, identifiers: signer.org.identifiers } : undefined;
}

/** Custody of each identifier from the stored events that touch it before `before` in the log. */
async function custodyBefore(db: Database, consortiumId: string, state: ConsortiumState, identifiers: readonly string[], before: number): Promise<Map<string, CustodyState>> {
  const out = new Map<string, CustodyState>();
  if (identifiers.length === 0) return out;
  const histories = await identifierHistories(db, consortiumId, identifiers);
  for (const id of identifiers) {
    const events: HistoryEvent[] = [];
    for (const entry of histories.get(id) ?? []) {
      if (entry.logIndex >= before) break;
      let record: SignedRecord;
      try {
        record = JSON.parse(entry.body) as SignedRecord;
      } catch {
        continue;
      }
      events.push({ event: eventOfPayload(record.payload), signer: signerAt(state, record.signer, entry.logIndex), rules: state.custodyRulesAt(entry.logIndex) });
    }
    const holder = custodyFromHistory(id, events);
    if (holder !== undefined) out.set(id, holder);
  }
  return out;
}

/**
 * Adds to `batch` the query-table rows of the admitted epcis.event records whose rows this store
 * does not hold yet (records captured here have theirs from capture). `state` is the consortium state the
 * records were admitted under. Returns how many records it projected.
 */
export async function projectAdmitted(db: Database, consortiumId: string, state: ConsortiumState, admitted: readonly AdmittedRecord[], batch: WriteBatch): Promise<number> {
  const epcis = admitted
    .filter((r) => r.record.kind === RecordKind.EPCIS_EVENT)
    .map((r) => ({ ...r, event: eventOfPayload(r.record.payload) }))
    .filter((r): r is EpcisRecord => r.event !== undefined)
    .sort((a, b) => a.logIndex - b.logIndex);
  if (epcis.length === 0) return 0;
  // Rows, not LedgerRecord rows, say what is projected: placing another node's records deletes this
  // node's pending rows in their places, while the rows capture staged for those records stay.
  const projected = await projectedRecordHashes(db, consortiumId, epcis.map((r) => r.hash));
  const fresh = epcis.filter((r) => !projected.has(r.hash));
  if (fresh.length === 0) return 0;
  const candidateIds = fresh.map((r) => eventIdOfPayload(r.record.payload)?.eventId).filter((id): id is string => id !== undefined);
  const view = await captureViewOf(db, consortiumId, { eventIds: candidateIds, recordHashes: [], identifiers: [], documents: [], persons: [] });
  const events = new Map<string, StoredEventRef>(view.events);
  const identifiers = [...new Set(fresh.flatMap((r) => custodyIdentifiersOf(r.event)))];
  const custody = await custodyBefore(db, consortiumId, state, identifiers, fresh[0]!.logIndex);
  const rows = new IndexRows();
  for (const r of fresh) {
    const org = signerAt(state, r.record.signer, r.logIndex);
    const id = org ? eventIdOfPayload(r.record.payload, undefined, (known) => events.has(known)) : undefined;
    if (!org || !id) continue;
    const header = epcisHeaderOf(r.record.payload);
    if (header !== undefined) rows.addHeader(header, r.hash, org.id);
    const declaration = errorDeclarationOf(r.event);
    const original = events.get(id.eventId);
    // A declaration about a known event is a correction: it adds no event, identifier or custody rows.
    if (declaration && original) {
      rows.addCorrection(correctionRowOf(id.eventId, r.hash, original.recordHash, declaration, org.id));
      continue;
    }
    // The replay's rule: an event the role table refuses keeps its rows but changes no custody.
    const decision = authoriseEvent(r.event, org, (identifier) => custody.get(identifier), state.custodyRulesAt(r.logIndex));
    const changes = decision.ok ? decision.custodyChanges : [];
    for (const c of changes) custody.set(c.identifier, custodyStateOfChange(c));
    rows.add(r.event, id.eventId, r.hash, org.id, changes, declaration ?? undefined);
    events.set(id.eventId, { recordHash: r.hash, submitterOrg: org.id });
  }
  writeEventIndex(batch, consortiumId, rows);
  return fresh.length;
}

/** Stores admitted records in their log places with the query-table rows of those captured elsewhere, in one transaction. */
export async function placeWithProjection(ctx: Pick<ChainContext, 'store' | 'derivation'>, consortiumId: string, state: ConsortiumState, records: readonly AdmittedRecord[], receivedAt: string): Promise<void> {
  const projected = new WriteBatch();
  await projectAdmitted(ctx.store.db, consortiumId, state, records, projected);
  await ctx.derivation.placeAdmitted(consortiumId, records, receivedAt, projected);
}
