/**
 * What every record-kind module provides. A kind's payload format is versioned: a change to what
 * is signed adds a new version (old records stay valid), and docs/ states each format precisely
 * enough for an outside verifier.
 */
import { LedgerError } from '../errors.js';
import type { SignedRecord } from '../record.js';
import type { AdmissionState, OrgSigner, ResolvedSigner } from '../state-types.js';
import type { RecordKind } from './kinds.js';

export interface PayloadSchema<P> {
  /** Format version of the payload as the kind was introduced (every kind starts at 1). */
  readonly version: number;
  /** Every format a reader accepts, oldest first; the last is what is signed today (absent: only `version`). */
  readonly formats?: readonly number[];
  /** Checks an untrusted payload and returns a normalised copy; throws a typed error naming the field. */
  parse(value: unknown): P;
}

export interface AdmissionContext {
  recordHash: string;
  /** The log index the record takes if admitted. */
  logIndex: number;
  signer: ResolvedSigner;
}

export interface RecordKindModule<P = unknown> {
  readonly kind: RecordKind;
  readonly payload: PayloadSchema<P>;
  /** Device keys may sign only kinds that say so; every other kind needs an organisation key. */
  readonly signers: 'organisation' | 'organisation-or-device';
  /** Kinds that change membership, keys or authorities: a proof bundle carries all of them. */
  readonly changesMembership: boolean;
  /** A refusal that needs neither the signer nor the signature (checked first). */
  precheck?(state: AdmissionState, record: SignedRecord): void;
  /**
   * Checks the record against the state, then applies its effect; returns one line per effect.
   * Every check runs before the first change, so a refused record leaves the state untouched.
   */
  admit(state: AdmissionState, record: SignedRecord, context: AdmissionContext): string[];
  /**
   * Verification beyond signature and admission: the EPCIS event the record states, if any. The
   * hop and bundle verifiers hold the signer's organisation to that event's role rule
   * (rules/authorisation.ts) as of the record's log index.
   */
  statedEvent?(payload: unknown): unknown;
}

/** The event under payload.event, for kinds whose admission leaves the payload as signed. */
export function eventUnderPayload(payload: unknown): unknown {
  return typeof payload === 'object' && payload !== null ? (payload as { event?: unknown }).event : undefined;
}

/** The organisation that signed; a device key is NOT_AUTHORISED for kinds only organisations sign. */
export function requireOrgSigner(kind: RecordKind, signer: ResolvedSigner): OrgSigner {
  if (signer.type !== 'org') throw new LedgerError('NOT_AUTHORISED', `${kind} must be signed by an organisation key, not a device`);
  return signer;
}

/** Verdicts of the consortium (rule sets, breaches) are signed by an authority key in force. */
export function requireAuthoritySigner(state: AdmissionState, record: SignedRecord, signer: OrgSigner): void {
  if (!state.isAuthorityKey(record.signer)) {
    throw new LedgerError('NOT_AN_AUTHORITY', `${record.kind} must be signed by an authority key in force, not by "${signer.org.id}"`, {
      keyId: record.signer,
      orgId: signer.org.id,
      kind: record.kind,
    });
  }
}
