/**
 * "What rows does this record produce": the one derivation of every projected table from a record
 * and the consortium state as of its log position. Capture, the node and the replay in `verify`
 * and `rebuild-projections` all go through these functions.
 *
 * Replaying also re-applies the role table (docs/authorisation.md) to every record as of its log
 * position: an EPCIS event with role and custody as capture checks them (custody as the replay
 * derives it, not as a stored table says), any other record that states an event with the role
 * rule the hop verifier applies. A record the rules refuse is a finding, and changes no custody.
 */
import { ruleFor } from '../../rules/authorisation.js';
import type { SignedRecord } from '../record.js';
import { RecordKind, isRecordKind } from '../records/kinds.js';
import { recordKindModule, statedEventOf } from '../records/index.js';
import type { ConsortiumState } from '../state.js';
import type { OrgEntry } from '../state-types.js';
import { CustodyReplay } from './custody.js';
import { errorDeclarationOf } from '../../capture/corrections.js';
import { canonicalMemo, correctionRowOf, eventIdOfPayload, eventOfPayload, eventRowsOf } from './event-rows.js';
import { erasureEffectOf, windowAssignmentOf } from './record-effects.js';
import type { CorrectionRow, CustodyRow, ErasureEffect, EventRows, RowSource, WindowAssignment } from './rows.js';

/** A record the role table refuses as of its log position. */
export interface RuleFinding {
  code: 'NOT_AUTHORISED' | 'NOT_CUSTODIAN';
  message: string;
  details: Record<string, unknown>;
  source: Required<Pick<RowSource, 'recordHash' | 'logIndex'>> & RowSource;
}

export interface ProjectedRecord {
  source: Required<Pick<RowSource, 'recordHash' | 'logIndex'>> & RowSource;
  kind: string;
  /** An epcis.event's rows; eventId says whether the ID is fixed by the signed record (see eventIdOfPayload). */
  event?: { rows: EventRows; eventIdChecked: boolean; eventIdDetermined: boolean };
  /**
   * The EventCorrection row of a record declaring an error (EPCIS 2.0 section 7.4.1.4): a record
   * repeating a captured event's hash ID is a correction and derives no event rows; an event
   * captured with its declaration derives both.
   */
  correction?: CorrectionRow;
  /** Custody rows the record writes (after the rows of earlier records). */
  custody: CustodyRow[];
  window?: WindowAssignment;
  erasure?: ErasureEffect;
  /** Organisation, OrgIdentifier, OrgKey and Device are rewritten with the block that holds it. */
  changesMembership: boolean;
  finding?: RuleFinding;
}

/** The role rule of an event stated by a record that is not an EPCIS capture, as the hop verifier applies it. */
function roleFinding(event: unknown, org: OrgEntry, source: RuleFinding['source']): RuleFinding | undefined {
  const rule = ruleFor(event);
  if (!rule || rule.roles.some((r) => org.roles.has(r))) return undefined;
  const held = org.roles.size === 0 ? 'held no roles' : `held ${[...org.roles].sort().join(', ')}`;
  return {
    code: 'NOT_AUTHORISED',
    message: `${org.id} ${held} at log index ${source.logIndex}; rule ${rule.id} needs ${rule.roles.join(' or ')}`,
    details: { rule: rule.id, orgId: org.id, required: [...rule.roles], actual: [...org.roles].sort() },
    source,
  };
}

/** Replays records in log order and says what each produces. Pure: the caller hands in each record with the state as of it. */
export class ProjectionReplay {
  readonly custody = new CustodyReplay();
  readonly #canonical = canonicalMemo();
  /** Captured events by hash ID: record and capturing organisation (what a later declaration corrects). */
  readonly #events = new Map<string, string>();

  /**
   * The rows of one admitted record. `state` is the consortium state as of the record (records
   * that state events do not change it). `storedEventId` is the event hash ID a store holds for
   * the record, checked against the record where the record fixes it.
   */
  project(state: ConsortiumState, record: SignedRecord, source: ProjectedRecord['source'], storedEventId?: string): ProjectedRecord {
    const out: ProjectedRecord = { source, kind: record.kind, custody: [], changesMembership: isRecordKind(record.kind) && recordKindModule(record.kind).changesMembership };
    const signer = state.resolveSigner(record.signer);
    if (record.kind === RecordKind.EPCIS_EVENT) {
      const event = eventOfPayload(record.payload);
      const id = eventIdOfPayload(record.payload, storedEventId, (known) => this.#events.has(known));
      if (!event || !id || !signer || signer.type !== 'org') return out;
      // Where the signed record does not fix the ID (a v1 record under an unsigned @context), the stored one stands, unchecked.
      const eventId = !id.checked && !id.determined && storedEventId !== undefined ? storedEventId : id.eventId;
      const declaration = errorDeclarationOf(event);
      const original = this.#events.get(eventId);
      if (declaration && original !== undefined) return this.#correction(out, eventId, original, declaration, signer.org.id);
      const rows = eventRowsOf(event, eventId, source.recordHash, signer.org.id, this.#canonical);
      out.event = { rows, eventIdChecked: id.checked, eventIdDetermined: id.determined };
      this.#events.set(eventId, `${signer.org.id}\u0000${source.recordHash}`);
      if (declaration) out.correction = correctionRowOf(eventId, source.recordHash, source.recordHash, declaration, signer.org.id);
      const { decision, rows: custody } = this.custody.authorise(event, signer.org, eventId, rows.event.eventTime, state.custodyRulesAt(source.logIndex));
      out.custody = custody;
      if (!decision.ok) out.finding = { code: decision.code, message: decision.message, details: decision.details, source };
      return out;
    }
    if (record.kind === RecordKind.SENSOR_WINDOW) out.window = windowAssignmentOf(record.payload);
    if (record.kind === RecordKind.PERSONAL_DATA_ERASURE) out.erasure = erasureEffectOf(record.payload);
    const stated = statedEventOf(record);
    if (stated !== undefined && signer) out.finding = roleFinding(stated, signer.org, source);
    return out;
  }

  /** A correction: only the organisation that captured the event may declare an error in it (capture's rule). */
  #correction(out: ProjectedRecord, eventId: string, original: string, declaration: NonNullable<ReturnType<typeof errorDeclarationOf>>, orgId: string): ProjectedRecord {
    const cut = original.indexOf('\u0000');
    const [capturedBy, correctedRecordHash] = [original.slice(0, cut), original.slice(cut + 1)];
    out.correction = correctionRowOf(eventId, out.source.recordHash, correctedRecordHash, declaration, orgId);
    if (capturedBy !== orgId) {
      out.finding = {
        code: 'NOT_AUTHORISED',
        message: `${orgId} declared an error in event ${eventId}, which ${capturedBy} captured: only the capturing organisation may correct it`,
        details: { rule: 'correction', orgId, capturedBy, eventId },
        source: out.source,
      };
    }
    return out;
  }
}
