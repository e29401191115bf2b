/**
 * A group of this node's own submissions on their way into the log: pre-checked against the
 * tentative state, stored as pending rows with the writes that go with them (one transaction), then
 * appended one ordering message per submission. The deriver's decisions come back later; this
 * module turns them into the outcomes callers get.
 */
import { CodedError } from '../../core/coded-error.js';
import type { SubmissionDecision } from '../../core/ledger/derivation/index.js';
import { LedgerError } from '../../core/ledger/errors.js';
import { MAX_SUBMISSION_RECORDS, OrderingMessageError, type SubmissionMessage } from '../../core/ledger/ordering-message.js';
import { formatTimestamp, type SignedRecord } from '../../core/ledger/record.js';
import type { ChainStore } from '../../store/chain-store.js';
import type { WriteBatch } from '../../store/write-batch.js';
import type { AdmittedItem } from './admission.js';
import type { ConsortiumChain } from './chain.js';
import { canonicalTextOf } from './record-text.js';
import type { OutcomeError, SealedIn, SubmitOutcome } from './submission.js';

export type Encoded = { message: SubmissionMessage; bytes: Uint8Array };


/** Why a submission is refused before anything is admitted: its message would exceed the log's limit. */
export function tooLarge(err: unknown): OutcomeError | undefined {
  if (err instanceof OrderingMessageError && err.code === 'ORDERING_MESSAGE_TOO_LARGE') {
    return { code: 'SUBMISSION_TOO_LARGE', message: `${err.message}; submit fewer or smaller records at once`, details: err.details };
  }
  return undefined;
}

/**
 * Encodes a submission before anything is admitted: its bytes, or why the log cannot take it
 * (SUBMISSION_TOO_LARGE). A record the message cannot carry for another reason (another
 * consortium's, malformed) gives neither: admission refuses it with its own code.
 */
export function tryEncode(chain: ConsortiumChain, records: readonly SignedRecord[]): { encoded?: Encoded; refusal?: OutcomeError } {
  if (records.length > MAX_SUBMISSION_RECORDS) {
    return { refusal: { code: 'SUBMISSION_TOO_LARGE', message: `a submission holds at most ${MAX_SUBMISSION_RECORDS} records; submit fewer at once`, details: { count: records.length, limit: MAX_SUBMISSION_RECORDS } } };
  }
  try {
    return { encoded: chain.encodeSubmission(records) };
  } catch (err) {
    const refusal = tooLarge(err);
    if (refusal) return { refusal };
    // Not a well-formed record of this consortium: admission refuses it with its own code.
    if (err instanceof CodedError) return {};
    throw err;
  }
}

/** Encodes the records as one message, or as several under the log's limits (halving as needed). */
export function encodeInParts(chain: ConsortiumChain, items: readonly AdmittedItem[]): { encoded: Encoded; items: AdmittedItem[] }[] {
  if (items.length > MAX_SUBMISSION_RECORDS) {
    const half = Math.ceil(items.length / 2);
    return [...encodeInParts(chain, items.slice(0, half)), ...encodeInParts(chain, items.slice(half))];
  }
  try {
    return [{ encoded: chain.encodeSubmission(items.map((i) => i.record)), items: [...items] }];
  } catch (err) {
    if (!tooLarge(err) || items.length < 2) throw err;
    const half = Math.ceil(items.length / 2);
    return [...encodeInParts(chain, items.slice(0, half)), ...encodeInParts(chain, items.slice(half))];
  }
}

/** Stores admitted records (and their writes) as pending rows, in one transaction. */
export async function storePending(store: ChainStore, consortiumId: string, admitted: readonly AdmittedItem[], extra: readonly WriteBatch[], now: Date): Promise<void> {
  if (admitted.length === 0 && extra.length === 0) return;
  const receivedAt = formatTimestamp(now);
  await store.appendPending(
    consortiumId,
    admitted.map((a) => ({ record: a.record, hash: a.hash, logIndex: a.logIndex, receivedAt, body: canonicalTextOf(a.record) })),
    [...admitted.flatMap((a) => (a.writes ? [a.writes] : [])), ...extra],
  );
}

/** One record's outcome as the deriver decided its submission. */
export function outcomeOf(decision: SubmissionDecision, position: number, fallbackHash: string): SubmitOutcome {
  if (decision.admitted) {
    const r = decision.records[position]!;
    return { status: 'accepted', recordHash: r.hash, logIndex: r.logIndex };
  }
  const refusal = decision.outcomes[position];
  if (!refusal) return { status: 'not_stored', recordHash: fallbackHash, reason: 'the ordering log refused the submission' };
  return refusal.status === 'rejected'
    ? { status: 'rejected', recordHash: refusal.recordHash ?? fallbackHash, error: refusal.error }
    : { status: 'not_stored', recordHash: refusal.recordHash ?? fallbackHash, reason: refusal.reason };
}

/** The first refusal of a decision this node did not expect, as an error for callers that cannot take outcomes. */
export function unexpectedRefusal(decision: SubmissionDecision): CodedError {
  const first = decision.admitted ? undefined : decision.outcomes.find((o) => o.status === 'rejected');
  if (first && first.status === 'rejected') return new LedgerError(first.error.code as never, `the ledger refused a record after its pre-check: ${first.error.message}`, first.error.details ?? {});
  return new LedgerError('NOT_AUTHORISED', 'the ledger refused a submission after its pre-check');
}

/** The block that seals an accepted outcome, when the caller waits for it. */
export function withBlock(outcome: SubmitOutcome, sealed: (logIndex: number) => Promise<SealedIn>): Promise<SubmitOutcome> {
  if (outcome.status !== 'accepted') return Promise.resolve(outcome);
  return sealed(outcome.logIndex).then((block) => ({ ...outcome, block }));
}

/** Records of a refused (too large) submission, all rejected with the same error. */
export function rejectAll(records: readonly { hash?: string }[], error: OutcomeError): SubmitOutcome[] {
  return records.map((r) => ({ status: 'rejected', ...(r.hash ? { recordHash: r.hash } : {}), error }));
}

export type { SignedRecord };
