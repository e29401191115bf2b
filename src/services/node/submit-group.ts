/**
 * Group commit of records as members sent them (LedgerNode.submit): the submissions that arrived
 * meanwhile are screened for duplicates against the store, pre-checked in order against the
 * tentative state, stored as pending rows in one transaction, and appended one message each. The
 * outcomes callers get are the deriver's decisions.
 */
import { assertRecordShape, recordHash, type SignedRecord } from '../../core/ledger/record.js';
import type { ChainStore } from '../../store/chain-store.js';
import { admitSubmission, errorOf, type AdmissionItem, type AdmittedItem } from './admission.js';
import type { ConsortiumChain } from './chain.js';
import { encodeInParts, outcomeOf, rejectAll, storePending, tryEncode } from './local-submission.js';
import { DuplicateScreen } from './staged.js';
import type { SubmitOptions, SubmitOutcome } from './submission.js';

export interface SubmitJob {
  records: unknown[];
  options: SubmitOptions;
  resolve: (done: { outcomes: Promise<SubmitOutcome[]> }) => void;
  reject: (err: unknown) => void;
}

/** Record hash per position, or the outcome of a record that is not even well-formed. */
function hashesOf(job: SubmitJob): (string | SubmitOutcome)[] {
  return job.records.map((r) => {
    try {
      assertRecordShape(r);
      return recordHash(r);
    } catch (err) {
      return { status: 'rejected', error: errorOf(err) };
    }
  });
}

interface Planned {
  outcomes: SubmitOutcome[];
  admitted: AdmittedItem[];
}

/** An atomic submission the log cannot take (too large) is refused whole, before admission. */
function refusedForSize(chain: ConsortiumChain, job: SubmitJob, items: readonly AdmissionItem[]): SubmitOutcome[] | undefined {
  if (job.options.atomic === false) return undefined;
  const records = items.flatMap((item) => ('record' in item ? [item.record] : []));
  if (records.length === 0) return undefined;
  const { refusal } = tryEncode(chain, records);
  return refusal ? rejectAll(items.map((item) => ('hash' in item ? { hash: item.hash } : {})), refusal) : undefined;
}

/** Screens, pre-checks and stores a group; returns, per job, its outcomes once the deriver decided. */
export async function commitSubmitted(store: ChainStore, chain: ConsortiumChain, jobs: readonly SubmitJob[], now: Date): Promise<Promise<SubmitOutcome[]>[]> {
  const hashes = jobs.map(hashesOf);
  const stored = await store.existingRecordHashes(chain.id, hashes.flat().filter((h): h is string => typeof h === 'string'));
  const screen = new DuplicateScreen(stored);
  const planned: Planned[] = jobs.map((job, j) => {
    const items = hashes[j]!.map((hash, i): AdmissionItem => {
      if (typeof hash !== 'string') return { outcome: hash };
      if (screen.screen(hash)) return { outcome: { status: 'duplicate', recordHash: hash } };
      return { record: job.records[i] as SignedRecord, hash, writes: job.options.writes?.[i] };
    });
    const refused = refusedForSize(chain, job, items);
    if (refused) {
      screen.end([]);
      return { outcomes: refused, admitted: [] };
    }
    const result = admitSubmission(chain.state, items, { atomic: job.options.atomic ?? true, verifySignatures: true, signerOrg: job.options.signerOrg });
    chain.adopt(result.state);
    screen.end(result.admitted.map((a) => a.hash));
    return { outcomes: result.outcomes, admitted: result.admitted };
  });
  await storePending(store, chain.id, planned.flatMap((p) => p.admitted), [], now);
  return planned.map((p) => appendJob(chain, p));
}

/** Appends a job's admitted records (one message, or parts of a non-atomic one) and maps the decisions back. */
function appendJob(chain: ConsortiumChain, planned: Planned): Promise<SubmitOutcome[]> {
  if (planned.admitted.length === 0) return Promise.resolve(planned.outcomes);
  const parts = encodeInParts(chain, planned.admitted).map((part) => ({
    items: part.items,
    decided: chain.appendSubmission(part.encoded, part.items, true),
  }));
  return (async () => {
    const outcomes = [...planned.outcomes];
    const position = new Map(planned.admitted.map((a) => [a.hash, outcomes.findIndex((o) => o.status === 'accepted' && o.recordHash === a.hash)]));
    for (const part of parts) {
      const decision = await part.decided;
      part.items.forEach((item, k) => {
        outcomes[position.get(item.hash)!] = outcomeOf(decision, k, item.hash);
      });
    }
    return outcomes;
  })();
}
