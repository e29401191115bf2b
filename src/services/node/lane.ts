/**
 * The ledger lane: exclusive use of a consortium's ledger for a service that checked its records
 * against the state and the store itself (capture). A commit pre-checks the prepared submissions
 * (all or none), stores them with their writes in one transaction, and appends one message per
 * submission; from then on the lane is handed to the next holder, which sees them in the state and
 * the store, while this commit waits for the deriver's decisions.
 */
import type { ChainStore } from '../../store/chain-store.js';
import type { WriteBatch } from '../../store/write-batch.js';
import { admitPrepared } from './admission.js';
import type { ConsortiumChain } from './chain.js';
import { storePending, tryEncode, unexpectedRefusal, type Encoded } from './local-submission.js';
import type { Mutex } from './mutex.js';
import type { AdmittedRecord, LaneCommit, LedgerLane, PreparedSubmission, RefusedRecord } from './submission.js';

export interface LaneDeps {
  store: ChainStore;
  now(): Date;
}

/** Encodes each submission; one the log cannot take refuses every record of it, before anything is admitted. */
function encodeAll(chain: ConsortiumChain, submissions: readonly PreparedSubmission[]): { encoded: (Encoded | undefined)[]; refused: RefusedRecord[] } {
  const refused: RefusedRecord[] = [];
  const encoded = submissions.map((s, submission) => {
    if (s.records.length === 0) return undefined;
    const { encoded: bytes, refusal } = tryEncode(chain, s.records.map((r) => r.record));
    if (refusal) s.records.forEach((r, index) => refused.push({ submission, index, recordHash: r.hash, error: refusal }));
    return bytes;
  });
  return { encoded, refused };
}

export async function openLane(mutex: Mutex, chain: ConsortiumChain, deps: LaneDeps): Promise<LedgerLane> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await new Promise<void>((entered) => {
    void mutex.run(async () => {
      entered();
      await released;
    });
  });
  let open = true;
  const unhold = chain.hold();
  const handOver = () => {
    if (!open) return;
    open = false;
    unhold();
    release();
  };
  try {
    await chain.settle();
  } catch (err) {
    handOver();
    throw err;
  }

  const commit = async (submissions: readonly PreparedSubmission[], writes?: WriteBatch): Promise<LaneCommit> => {
    if (!open) throw new Error('the ledger lane was released');
    if (submissions.every((s) => s.records.length === 0)) return { ok: true, admitted: submissions.map(() => []) };
    await chain.settle();
    const { encoded, refused } = encodeAll(chain, submissions);
    if (refused.length > 0) return { ok: false, refused };
    const result = admitPrepared(chain.state, submissions);
    chain.adopt(result.state);
    if (result.refused.length > 0) return { ok: false, refused: result.refused };
    try {
      await storePending(deps.store, chain.id, result.admitted.flat(), writes ? [writes] : [], deps.now());
    } catch (err) {
      chain.invalidate();
      throw err;
    }
    // A submission admission passed can always be encoded (admission checks what the message does).
    const decided = submissions.map((s, i) => {
      if (s.records.length === 0) return undefined;
      const bytes = encoded[i] ?? chain.encodeSubmission(s.records.map((r) => r.record));
      return chain.appendSubmission(bytes, result.admitted[i]!, s.signaturesVerified ?? false, s.signer);
    });
    handOver();
    const admitted = await Promise.all(
      decided.map(async (d, s): Promise<AdmittedRecord[]> => {
        if (!d) return [];
        const decision = await d;
        if (!decision.admitted) throw unexpectedRefusal(decision);
        return decision.records.map((r) => ({
          recordHash: r.hash,
          logIndex: r.logIndex,
          ...(submissions[s]!.waitForSeal ? { sealed: chain.sealedIn(r.logIndex) } : {}),
        }));
      }),
    );
    return { ok: true, admitted };
  };

  return {
    get state() {
      return chain.state;
    },
    get open() {
      return open;
    },
    commit,
    release: handOver,
  };
}
