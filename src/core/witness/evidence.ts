/**
 * The evidence a witness keeps when it refuses to cosign: both signed checkpoints, where each came
 * from, and for an inconsistent log the consistency proof that failed. Anyone holding the
 * consortium's authority keys can re-check it (docs/witness.md, "Evidence").
 */
import type { Checkpoint, CheckpointSignature } from '../ledger/checkpoint.js';
import type { SignedCheckpoint, WitnessBreakCode } from './decision.js';

export const WITNESS_EVIDENCE_FORMAT = 'provenant-witness-evidence/1';

export interface EvidenceCheckpoint {
  checkpoint: Checkpoint;
  signatures: CheckpointSignature[];
  /** The node URL the witness got it from ("" when not recorded). */
  source: string;
}

export interface WitnessEvidence {
  format: typeof WITNESS_EVIDENCE_FORMAT;
  code: WitnessBreakCode;
  consortium: string;
  /** RFC 3339 UTC time the witness found it. */
  detectedAt: string;
  message: string;
  /** The witness's public key (`<alg>:<base64url>`). */
  witness: string;
  /** The checkpoint the witness held (its last cosigned, or the one remembered at that size). */
  first: EvidenceCheckpoint;
  /** The checkpoint that contradicts it. */
  second: EvidenceCheckpoint;
  /** INCONSISTENT_LOG: the proof the node served, from first.logSize to second.logSize (hex). */
  consistencyProof?: string[];
  /** INCONSISTENT_LOG: why the proof failed. */
  proofFailure?: string;
}

export function witnessEvidence(input: {
  code: WitnessBreakCode;
  message: string;
  detectedAt: string;
  witness: string;
  held: SignedCheckpoint;
  observed: SignedCheckpoint;
  consistencyProof?: readonly string[];
  proofFailure?: string;
}): WitnessEvidence {
  return {
    format: WITNESS_EVIDENCE_FORMAT,
    code: input.code,
    consortium: input.observed.checkpoint.consortium,
    detectedAt: input.detectedAt,
    message: input.message,
    witness: input.witness,
    first: { checkpoint: input.held.checkpoint, signatures: [...input.held.signatures], source: input.held.source ?? '' },
    second: { checkpoint: input.observed.checkpoint, signatures: [...input.observed.signatures], source: input.observed.source ?? '' },
    ...(input.code === 'INCONSISTENT_LOG' ? { consistencyProof: [...(input.consistencyProof ?? [])], proofFailure: input.proofFailure ?? '' } : {}),
  };
}
