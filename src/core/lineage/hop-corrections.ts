/**
 * Error declarations on lineage hops: a hop whose event was declared in error is marked CORRECTED
 * (with the corrective event IDs) or RETRACTED, with the reason. The mark comes from the signed
 * correction record, never from the index row alone: the record must hash to its hash, verify with
 * the key its signer holds, be signed by the organisation that captured the hop's event, and carry
 * the declaration the index names. Otherwise the hop fails with `correction`. Pure.
 */
import { canonicalize } from '../crypto/index.js';
import { correctionStatusOf, type CorrectionStatus } from '../capture/corrections.js';
import type { ConsortiumState } from '../ledger/consortium.js';
import { assertRecordShape, recordHash, verifyRecordSignature, type SignedRecord } from '../ledger/record.js';
import type { RecordEvidence } from './evidence.js';
import type { HopReason } from './semantics.js';

/** What a hop shows of the latest declaration about its event. */
export interface HopCorrection {
  status: CorrectionStatus;
  reason: string | null;
  declarationTime: string;
  correctiveEventIds: string[];
  /** The record carrying the declaration (a bundle carries it with the hop). */
  recordHash: string;
}

/** One declaration as the index holds it (EventCorrection). */
export interface CorrectionIndexRow {
  eventId: string;
  recordHash: string;
  declarationTime: string;
  reason: string | null;
  correctiveEventIds: string[];
  /** JCS text of the errorDeclaration. */
  declaration: string;
}

function failure(message: string, details: Record<string, unknown>): HopReason {
  return { code: 'correction', message, details };
}

/** Why the record does not back the row, or null when it does. */
function checkCorrectionRecord(row: CorrectionIndexRow, evidence: RecordEvidence | undefined, state: ConsortiumState, eventSignerOrg: string): HopReason | null {
  const details = { recordHash: row.recordHash, eventId: row.eventId };
  if (!evidence) return failure(`correction record ${row.recordHash} not found`, details);
  let record: SignedRecord;
  try {
    const parsed: unknown = evidence.parsed ?? JSON.parse(evidence.body);
    assertRecordShape(parsed);
    record = parsed;
  } catch (err) {
    return failure(`correction record is malformed: ${(err as Error).message}`, details);
  }
  if (recordHash(record) !== row.recordHash) return failure('correction record does not hash to its stored hash', details);
  const key = state.keys.get(record.signer);
  if (!key) return failure('correction record is signed by a key the consortium does not know', { ...details, keyId: record.signer });
  try {
    verifyRecordSignature(record, key.publicKey, row.recordHash);
  } catch (err) {
    return failure(`correction record signature: ${(err as Error).message}`, details);
  }
  if (key.orgId !== eventSignerOrg) return failure(`the declaration is signed by ${key.orgId}, not by ${eventSignerOrg}, which captured the event`, { ...details, expected: eventSignerOrg, computed: key.orgId });
  const declared = ((record.payload as { event?: { errorDeclaration?: unknown } } | null)?.event ?? {}).errorDeclaration;
  if (declared === undefined || canonicalize(declared) !== row.declaration) return failure('the correction record does not carry the declaration the index names', details);
  return null;
}

/**
 * The hop's mark from the declarations about its event (oldest first: the latest is shown), and
 * the failure of the first one whose record does not back it.
 */
export function correctionOfHop(
  rows: readonly CorrectionIndexRow[],
  records: ReadonlyMap<string, RecordEvidence>,
  state: ConsortiumState,
  eventSignerOrg: string,
): { correction?: HopCorrection; failure?: HopReason } {
  let latest: CorrectionIndexRow | undefined;
  for (const row of rows) {
    const problem = checkCorrectionRecord(row, records.get(row.recordHash), state, eventSignerOrg);
    if (problem) return { failure: problem };
    if (!latest || row.declarationTime >= latest.declarationTime) latest = row;
  }
  if (!latest) return {};
  return {
    correction: {
      status: correctionStatusOf(latest),
      reason: latest.reason,
      declarationTime: latest.declarationTime,
      correctiveEventIds: latest.correctiveEventIds,
      recordHash: latest.recordHash,
    },
  };
}
