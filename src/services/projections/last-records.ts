/**
 * The last record each projection reflects, checked row for row at start-up: the last captured
 * event (its event, index, citation and custody rows), the last sensor window (its readings) and
 * the last erasure (its person row). A store that lost its newest writes, or kept rows the chain
 * no longer holds, fails here even when the counts happen to agree.
 */
import type { PublicKey } from '../../core/crypto/index.js';
import { TABLE_SHAPES, diffRows, rowFailure, type ProjectionFailure } from '../../core/ledger/projections/compare.js';
import { custodyRowsOf } from '../../core/ledger/projections/custody.js';
import { eventIdOfPayload, eventOfPayload, eventRowsOf } from '../../core/ledger/projections/event-rows.js';
import { windowReadingFailures } from '../../core/ledger/projections/readings-check.js';
import { erasureEffectOf, windowAssignmentOf } from '../../core/ledger/projections/record-effects.js';
import type { RowSource, WindowAssignment } from '../../core/ledger/projections/rows.js';
import { RecordKind, type SignedRecord } from '../../core/ledger/record.js';
import { errorDeclarationOf } from '../../core/capture/corrections.js';
import type { ConsortiumState } from '../../core/ledger/state.js';
import type { CustodyRulesVersion } from '../../core/rules/custody-state.js';
import { authoriseEvent, type SignerOrg } from '../../core/rules/authorisation.js';
import type { VerifiableRecordRow } from '../../store/chain-store.js';
import type { ProjectionStore } from '../../store/projection-store.js';

interface LastEvent {
  record: SignedRecord;
  source: Required<Pick<RowSource, 'recordHash' | 'logIndex'>>;
  /** The signer's organisation as it stood then (roles and identifiers may change later). */
  org: SignerOrg;
  /** The custody rule set in force at its log index (an authority's assignment exists only in rule set 2). */
  rules: CustodyRulesVersion;
}

type Rows = Record<string, unknown>[];

export class LastRecords {
  #event?: LastEvent;
  #window?: { hash: string; window: WindowAssignment; key?: PublicKey; source: RowSource };
  #erasure?: { commitment: string; source: RowSource & { recordHash: string } };

  /**
   * Remembers the record if it is the newest of its kind; `windowed` counts a window's readings.
   * Windows and erasures whose readings or person this node does not hold (`offChainHere` false) are passed over.
   */
  see(row: VerifiableRecordRow, state: ConsortiumState, windowed: (count: number) => void, offChainHere = true): void {
    const { record } = row;
    const source = { recordHash: row.storedHash, logIndex: row.logIndex };
    if (record.kind === RecordKind.EPCIS_EVENT) {
      const signer = state.resolveSigner(record.signer);
      const event = eventOfPayload(record.payload);
      // A declaring record may be a correction, which derives no event rows: the last plain event is checked.
      if (signer?.type !== 'org' || !event || errorDeclarationOf(event)) return;
      const org = signer.org;
      this.#event = { record, source, org: { id: org.id, roles: new Set(org.roles), identifiers: { ...org.identifiers } }, rules: state.custodyRulesAt(row.logIndex) };
    } else if (!offChainHere) {
      return;
    } else if (record.kind === RecordKind.SENSOR_WINDOW) {
      const window = windowAssignmentOf(record.payload);
      if (!window) return;
      windowed(window.count);
      this.#window = { hash: row.storedHash, window, key: state.devices.get(window.deviceId)?.publicKey, source };
    } else if (record.kind === RecordKind.PERSONAL_DATA_ERASURE) {
      const erasure = erasureEffectOf(record.payload);
      if (erasure) this.#erasure = { commitment: erasure.commitment, source };
    }
  }

  async #eventFailures(store: ProjectionStore, last: LastEvent): Promise<ProjectionFailure[]> {
    const { record, source, org, rules } = last;
    const event = eventOfPayload(record.payload)!;
    const storedEvents = await store.eventsByRecordHashes([source.recordHash]);
    const id = eventIdOfPayload(record.payload, storedEvents[0]?.eventId);
    if (!id) return [];
    const eventId = !id.checked && !id.determined && storedEvents[0] ? storedEvents[0].eventId : id.eventId;
    const rows = eventRowsOf(event, eventId, source.recordHash, org.id);
    const sourceOf = () => source;
    const out = [
      ...diffRows(TABLE_SHAPES.EpcisEvent, [rows.event], storedEvents as unknown as Rows, sourceOf).failures,
      ...diffRows(TABLE_SHAPES.EventIdentifier, rows.identifiers, (await store.identifiersByEventIds([eventId])) as unknown as Rows, sourceOf).failures,
      ...diffRows(TABLE_SHAPES.DocumentCitation, rows.citations, (await store.citationsByEventIds([eventId])) as unknown as Rows, sourceOf).failures,
    ];
    // Nothing comes after the last event: whatever custody it changed must read as it left it.
    const decision = authoriseEvent(event, org, () => undefined, rules);
    if (decision.ok) {
      const custody = custodyRowsOf(decision.custodyChanges, eventId, rows.event.eventTime);
      const stored = await store.custodyOf(custody.map((c) => c.identifier));
      out.push(...diffRows(TABLE_SHAPES.Custody, custody, stored as unknown as Rows, sourceOf).failures);
    }
    return out;
  }

  async check(store: ProjectionStore): Promise<ProjectionFailure[]> {
    const out: ProjectionFailure[] = [];
    if (this.#event) out.push(...(await this.#eventFailures(store, this.#event)));
    const w = this.#window;
    if (w) {
      const inRange = await store.readingsInRange(w.window.deviceId, w.window.firstSeq, w.window.lastSeq);
      const pointing = await store.readingsOfWindows([w.hash]);
      out.push(...windowReadingFailures(w.window, w.hash, inRange, pointing, w.key, w.source));
    }
    const e = this.#erasure;
    if (e) {
      const [person] = await store.persons([e.commitment]);
      if (person && (person.erasureRecordHash !== e.source.recordHash || person.data !== null || person.salt !== null)) {
        out.push(rowFailure('ROW_MISMATCH', { table: 'PersonData' }, { commitment: e.commitment }, { column: 'erasureRecordHash', expected: e.source.recordHash, stored: person.erasureRecordHash, source: e.source }));
      }
    }
    return out;
  }
}
