/**
 * What a witness decides about a checkpoint a node shows it, given what it cosigned before. Pure:
 * the caller has already checked the checkpoint's authority signatures (a quorum of the set in
 * force, replayed from the pinned genesis) and fetches the consistency proof this module asks for.
 *
 * A witness never cosigns a log smaller than the last one it cosigned, cosigns a larger one only
 * when an RFC 9162 §2.1.4 consistency proof from the last cosigned checkpoint holds, and keeps two
 * differing signed checkpoints of one log size as evidence of a split view (docs/witness.md).
 */
import { CodedError } from '../coded-error.js';
import { LedgerError } from '../ledger/errors.js';
import { assertCheckpointShape, checkpointHash, verifyCheckpointExtends, type Checkpoint, type CheckpointSignature } from '../ledger/checkpoint.js';

/** A checkpoint with the authority signatures it was served with. */
export interface SignedCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly signatures: readonly CheckpointSignature[];
  /** Where it was served from (a node URL), when known. */
  readonly source?: string;
}

/** What the witness remembers: the last checkpoint it cosigned, and recent ones (any order). */
export interface WitnessMemory {
  readonly consortium: string;
  readonly lastCosigned?: SignedCheckpoint;
  readonly recent: readonly SignedCheckpoint[];
}

export type WitnessBreakCode = 'SPLIT_VIEW' | 'INCONSISTENT_LOG';

export type WitnessDecision =
  /** Cosign: the first checkpoint this witness sees, or one whose log provably extends the last cosigned. */
  | { readonly action: 'cosign'; readonly reason: 'first' | 'extends' }
  /** The very checkpoint last cosigned (a node that has not moved, or a second node showing the same). */
  | { readonly action: 'unchanged' }
  /** A log smaller than the last cosigned and not contradicting anything remembered: a node behind. Not cosigned. */
  | { readonly action: 'smaller'; readonly lastLogSize: number }
  /** A split view or a log that does not extend the last cosigned: refuse, and keep the evidence. */
  | { readonly action: 'refuse'; readonly code: WitnessBreakCode; readonly message: string; readonly against: SignedCheckpoint; readonly proofFailure?: string };

export class WitnessInputError extends CodedError<'WRONG_CONSORTIUM' | 'MALFORMED_CHECKPOINT' | 'PROOF_REQUIRED'> {
  override readonly name = 'WitnessInputError';
}

function checkInput(memory: WitnessMemory, observed: SignedCheckpoint): void {
  try {
    assertCheckpointShape(observed?.checkpoint);
  } catch (err) {
    throw new WitnessInputError('MALFORMED_CHECKPOINT', (err as Error).message);
  }
  if (observed.checkpoint.consortium !== memory.consortium) {
    throw new WitnessInputError('WRONG_CONSORTIUM', `the checkpoint is for consortium "${observed.checkpoint.consortium}", this witness watches "${memory.consortium}"`, {
      expected: memory.consortium,
      computed: observed.checkpoint.consortium,
    });
  }
}

/** The consistency proof the decision needs (from the last cosigned size to the observed one), or undefined. */
export function consistencyProofNeeded(memory: WitnessMemory, observed: Checkpoint): { from: number; to: number } | undefined {
  const last = memory.lastCosigned?.checkpoint;
  if (!last || observed.logSize <= last.logSize) return undefined;
  return { from: last.logSize, to: observed.logSize };
}

/** The fields in which two checkpoints of one log size differ, for the message. */
function differingFields(a: Checkpoint, b: Checkpoint): string[] {
  return (['logRoot', 'blockHeight', 'blockHash', 'timestamp'] as const).filter((f) => a[f] !== b[f]);
}

function splitView(remembered: SignedCheckpoint, observed: Checkpoint): WitnessDecision {
  const fields = differingFields(remembered.checkpoint, observed);
  const what = fields.includes('logRoot') ? `different roots (${remembered.checkpoint.logRoot} and ${observed.logRoot})` : `the same root but different ${fields.join(', ')}`;
  return {
    action: 'refuse',
    code: 'SPLIT_VIEW',
    message: `split view: two signed checkpoints of log size ${observed.logSize} with ${what}`,
    against: remembered,
  };
}

/** The remembered checkpoint of this log size, if any (the last cosigned first). */
function rememberedAt(memory: WitnessMemory, logSize: number): SignedCheckpoint | undefined {
  if (memory.lastCosigned?.checkpoint.logSize === logSize) return memory.lastCosigned;
  return memory.recent.find((r) => r.checkpoint.logSize === logSize);
}

/**
 * The decision about `observed`. `proof` is the consistency proof consistencyProofNeeded asked for
 * (hex hashes as the node served them); it is required when the observed log is larger.
 */
export function decideCheckpoint(memory: WitnessMemory, observed: SignedCheckpoint, proof?: readonly string[]): WitnessDecision {
  checkInput(memory, observed);
  const cp = observed.checkpoint;
  const same = rememberedAt(memory, cp.logSize);
  if (same) return checkpointHash(same.checkpoint) === checkpointHash(cp) ? (same === memory.lastCosigned ? { action: 'unchanged' } : { action: 'smaller', lastLogSize: memory.lastCosigned!.checkpoint.logSize }) : splitView(same, cp);
  const last = memory.lastCosigned;
  if (!last) return { action: 'cosign', reason: 'first' };
  if (cp.logSize < last.checkpoint.logSize) return { action: 'smaller', lastLogSize: last.checkpoint.logSize };
  if (proof === undefined) throw new WitnessInputError('PROOF_REQUIRED', `a consistency proof from log size ${last.checkpoint.logSize} to ${cp.logSize} is needed`);
  try {
    verifyCheckpointExtends(last.checkpoint, cp, proof);
  } catch (err) {
    if (!(err instanceof LedgerError)) throw err;
    return {
      action: 'refuse',
      code: 'INCONSISTENT_LOG',
      message: `inconsistent log: the checkpoint of log size ${cp.logSize} does not extend the one of size ${last.checkpoint.logSize} this witness cosigned (${err.code}: ${err.message})`,
      against: last,
      proofFailure: `${err.code}: ${err.message}`,
    };
  }
  return { action: 'cosign', reason: 'extends' };
}

/** The memory after cosigning `cosigned`: it becomes the last cosigned; at most `keep` recent ones are kept. */
export function rememberCosigned(memory: WitnessMemory, cosigned: SignedCheckpoint, keep: number): WitnessMemory {
  const recent = [...memory.recent.filter((r) => r.checkpoint.logSize !== cosigned.checkpoint.logSize), cosigned]
    .sort((a, b) => a.checkpoint.logSize - b.checkpoint.logSize)
    .slice(-Math.max(1, keep));
  return { consortium: memory.consortium, lastCosigned: cosigned, recent };
}
