/**
 * The block deriver: a pure, deterministic function of a consortium's chain state and its ordered
 * log. It decides each submission (admitted whole or refused, with admission's error codes), cuts
 * blocks at cut markers or when a block is full, collects seals, decides finality and keeps what
 * seals prove. It reads no clock: block time is the log's own timestamp, kept monotonic. Two
 * derivers fed the same entries from the same state give the same outputs, so every honest node
 * derives the same blocks. The rules are written down in docs/design/network.md.
 */
import { CodedError } from '../../coded-error.js';
import { blockHash } from '../block.js';
import { buildBlockHeader } from '../block-build.js';
import type { DerivingIndexMap } from '../index-map/deriving.js';
import type { CutMarkerMessage, SealMessage, SubmissionMessage } from '../ordering-message.js';
import { isTimestamp, type SignedRecord } from '../record.js';
import { closeBlock, type ConsortiumState } from '../state.js';
import type { AuthoritySetVersion } from '../state-types.js';
import { SealBook, type HeightView } from './seal-book.js';
import { isValidCutMarker } from './signed-messages.js';
import { admitSubmissionRecords } from './submission-admission.js';
import type { DerivationEntry, DerivationFacts, DerivationOutput, DerivedBlock, FinalBlock, IgnoredReason } from './types.js';

/** Final heights whose seals are still judged (late seals, equivocation) once they are final. */
export const FINAL_WINDOW = 64;
/** Seals for the open height, held until it is cut: at most this many per key (two prove equivocation). */
const EARLY_SEALS_PER_KEY = 2;

export class DerivationError extends CodedError<'DERIVATION_OUT_OF_ORDER' | 'DERIVATION_BAD_INPUT'> {
  override readonly name = 'DerivationError';
}

export interface DeriverOptions {
  /** The state after the last final block; the deriver works on its own copy. */
  readonly state: ConsortiumState;
  /** The last log entry covered by final blocks (0: none). */
  readonly afterSequence: number;
  /**
   * Forget a block's record hashes once it is final: the caller's isStoredRecord then answers for
   * them. Without it the deriver keeps every record hash it admitted.
   */
  readonly forgetFinalRecords?: boolean;
  /**
   * The identifier index map after the last final block: with it every block cut is version 2 and
   * commits to the map after its records (docs/completeness.md); without it, version 1.
   */
  readonly index?: DerivingIndexMap;
}

interface OpenBlock {
  records: SignedRecord[];
  recordHashes: string[];
  membershipChanged: boolean;
}

interface FinalRef {
  readonly hash: string;
  readonly authorities: AuthoritySetVersion;
}

const ignored = (sequence: number, reason: IgnoredReason, detail: string): DerivationOutput => ({ type: 'ignored', sequence, reason, detail });

export class Deriver {
  #state: ConsortiumState;
  #lastSequence: number;
  /** The latest log timestamp seen: block time never runs backwards even if the log's clock does. */
  #runningMax: string;
  #open: OpenBlock = { records: [], recordHashes: [], membershipChanged: false };
  /** Record hashes admitted since the base and not yet forgotten. */
  readonly #admitted = new Set<string>();
  /** Derived blocks not yet final, by height. */
  readonly #derived = new Map<number, DerivedBlock>();
  /** Recent final blocks, by height (late seals are judged against them). */
  readonly #finals = new Map<number, FinalRef>();
  #finalHeight: number;
  readonly #seals: SealBook;
  /** Seals on the open height, in log order, until it is cut. */
  #early: { sequence: number; message: SealMessage }[] = [];
  readonly #forgetFinal: boolean;
  #halted: { height: number; detail: string } | undefined;
  readonly #index: DerivingIndexMap | undefined;

  constructor(options: DeriverOptions) {
    if (!Number.isSafeInteger(options.afterSequence) || options.afterSequence < 0) {
      throw new DerivationError('DERIVATION_BAD_INPUT', 'afterSequence must be a non-negative integer', { afterSequence: options.afterSequence });
    }
    if (options.state.height < 0) throw new DerivationError('DERIVATION_BAD_INPUT', 'the state must have its genesis block closed');
    this.#state = options.state.clone();
    this.#lastSequence = options.afterSequence;
    this.#runningMax = this.#state.headTimestamp;
    this.#finalHeight = this.#state.height;
    this.#finals.set(this.#finalHeight, { hash: this.#state.headHash, authorities: this.#state.authoritySetAtHeight(this.#finalHeight)! });
    this.#seals = new SealBook(this.#state.id);
    this.#forgetFinal = options.forgetFinalRecords ?? false;
    this.#index = options.index;
  }

  /** The derived state: everything admitted so far, blocks closed as cut. Read only. */
  get state(): ConsortiumState {
    return this.#state;
  }

  get lastSequence(): number {
    return this.#lastSequence;
  }

  get finalHeight(): number {
    return this.#finalHeight;
  }

  /** The height of the last block cut (final or not). */
  get derivedHeight(): number {
    return this.#state.height;
  }

  /** Records admitted into the block not cut yet. */
  get openRecordCount(): number {
    return this.#open.recordHashes.length;
  }

  get halted(): { height: number; detail: string } | undefined {
    return this.#halted;
  }

  /** Records admitted into the block not cut yet, in block order. */
  openRecords(): readonly SignedRecord[] {
    return this.#open.records;
  }

  /** Derived blocks waiting for their quorum, lowest first. */
  unfinalBlocks(): DerivedBlock[] {
    return [...this.#derived.values()].sort((a, b) => a.header.height - b.header.height);
  }

  /** Key ids whose valid seal at this height the deriver holds (on any hash). */
  sealedKeys(height: number): ReadonlySet<string> {
    return this.#seals.sealedKeys(height);
  }

  /** Applies the next entry of the log; entries must come in sequence, each once. */
  apply(entry: DerivationEntry, facts: DerivationFacts = {}): DerivationOutput[] {
    if (entry.sequence !== this.#lastSequence + 1) {
      throw new DerivationError('DERIVATION_OUT_OF_ORDER', `expected log entry ${this.#lastSequence + 1}, got ${entry.sequence}`, {
        expected: this.#lastSequence + 1,
        actual: entry.sequence,
      });
    }
    this.#lastSequence = entry.sequence;
    if (isTimestamp(entry.timestamp) && entry.timestamp > this.#runningMax) this.#runningMax = entry.timestamp;
    const m = entry.message;
    if (this.#halted) return [ignored(entry.sequence, 'HALTED', `derivation stopped at height ${this.#halted.height}`)];
    if (!m) return [ignored(entry.sequence, 'MALFORMED_MESSAGE', 'not a well-formed ordering message')];
    if (m.consortium !== this.#state.id) return [ignored(entry.sequence, 'OTHER_CONSORTIUM', `message for consortium "${m.consortium}"`)];
    switch (m.kind) {
      case 'submission':
        return this.#submission(entry.sequence, m, facts);
      case 'cut':
        return this.#cutMarker(entry.sequence, m);
      case 'seal':
        return this.#seal(entry.sequence, m);
      default:
        return [ignored(entry.sequence, 'NOT_FOR_DERIVATION', `${m.kind} messages do not take part in block derivation`)];
    }
  }

  #submission(sequence: number, m: SubmissionMessage, facts: DerivationFacts): DerivationOutput[] {
    const seen = (hash: string) => this.#admitted.has(hash) || (facts.isStoredRecord?.(hash) ?? false);
    const result = admitSubmissionRecords(this.#state, m.records, seen, facts);
    this.#state = result.state;
    if (!result.admitted) return [{ type: 'submission', sequence, decision: { admitted: false, outcomes: result.refusals } }];
    for (const r of result.admitted) {
      this.#admitted.add(r.hash);
      this.#open.records.push(r.record);
      this.#open.recordHashes.push(r.hash);
    }
    if (result.membershipChanged) this.#open.membershipChanged = true;
    const outputs: DerivationOutput[] = [{ type: 'submission', sequence, decision: { admitted: true, height: this.#state.height + 1, records: result.admitted } }];
    if (this.#open.recordHashes.length >= this.#state.sealMaxRecords) outputs.push(...this.#cut(sequence));
    return outputs;
  }

  #cutMarker(sequence: number, m: CutMarkerMessage): DerivationOutput[] {
    const openHeight = this.#state.height + 1;
    if (m.height < openHeight) return [ignored(sequence, 'CUT_STALE', `height ${m.height} is already cut`)];
    if (m.height > openHeight) return [ignored(sequence, 'CUT_EARLY', `height ${m.height} is not open yet (open: ${openHeight})`)];
    const authority = this.#state.authoritiesInForce.find((a) => a.keyId === m.signer);
    if (!authority) return [ignored(sequence, 'CUT_NOT_BY_AUTHORITY', `key ${m.signer.slice(0, 16)} is not an authority in force`)];
    if (!isValidCutMarker(m, authority.publicKey)) return [ignored(sequence, 'CUT_BAD_SIGNATURE', `cut marker by ${authority.orgId} does not verify`)];
    if (this.#open.recordHashes.length === 0) return [ignored(sequence, 'CUT_EMPTY_BLOCK', `block ${openHeight} holds no record yet`)];
    return this.#cut(sequence);
  }

  /** Closes the open block at this entry, then judges the seals that were waiting for it. */
  #cut(sequence: number): DerivationOutput[] {
    const state = this.#state;
    const previous = { height: state.height, hash: state.headHash, timestamp: state.headTimestamp, logSize: state.logSize - this.#open.recordHashes.length };
    const authorities = state.authoritySetAtHeight(state.height + 1)!;
    const index = this.#index?.applyBlock(this.#open.records, this.#open.recordHashes, previous.logSize);
    const header = buildBlockHeader(state, { height: state.height, hash: state.headHash }, this.#open.recordHashes, this.#runningMax, index?.root);
    const hash = blockHash(header);
    closeBlock(state, header, hash);
    const block: DerivedBlock = {
      header,
      hash,
      records: this.#open.records,
      recordHashes: this.#open.recordHashes,
      cutSequence: sequence,
      previous,
      authorities,
      membershipChanged: this.#open.membershipChanged,
      ...(index ? { index } : {}),
      ...(this.#open.membershipChanged ? { stateAfter: state.clone() } : {}),
    };
    this.#derived.set(header.height, block);
    this.#open = { records: [], recordHashes: [], membershipChanged: false };
    const outputs: DerivationOutput[] = [{ type: 'block', block }];
    const early = this.#early;
    this.#early = [];
    for (const held of early) outputs.push(...this.#judgeSeal(held.sequence, held.message, sequence));
    return outputs;
  }

  #seal(sequence: number, m: SealMessage): DerivationOutput[] {
    const height = m.header.height;
    const openHeight = this.#state.height + 1;
    if (height > openHeight) return [ignored(sequence, 'SEAL_TOO_EARLY', `height ${height} is not open yet (open: ${openHeight})`)];
    if (height === openHeight) {
      const byKey = this.#early.filter((e) => e.message.seal.keyId === m.seal.keyId).length;
      if (byKey >= EARLY_SEALS_PER_KEY) return [ignored(sequence, 'SEAL_REPEATED', `more seals by one key for the open height ${height}`)];
      this.#early.push({ sequence, message: m });
      return [];
    }
    return this.#judgeSeal(sequence, m, sequence);
  }

  /** A seal on a cut height: evidence, quorum, then finality in height order. `now` is the entry being applied. */
  #judgeSeal(sequence: number, m: SealMessage, now: number): DerivationOutput[] {
    const height = m.header.height;
    const view = this.#viewOf(height);
    if (!view) return [ignored(sequence, 'SEAL_TOO_OLD', `height ${height} is final and out of the judged window`)];
    const outcome = this.#seals.add(sequence, m, view);
    const outputs = [...outcome.outputs];
    if (outcome.diverged) {
      this.#halted = { height, detail: `a quorum of authorities sealed block ${m.header.height} with hash ${blockHash(m.header).slice(0, 16)}, not the ${view.hash.slice(0, 16)} derived here` };
      outputs.push({ type: 'halted', ...this.#halted });
      return outputs;
    }
    if (outcome.quorumReached && !view.final) outputs.push(...this.#finalise(now));
    return outputs;
  }

  #viewOf(height: number): HeightView | undefined {
    const derived = this.#derived.get(height);
    if (derived) return { hash: derived.hash, authorities: derived.authorities, final: false };
    const final = this.#finals.get(height);
    return final ? { hash: final.hash, authorities: final.authorities, final: true } : undefined;
  }

  /** Blocks whose own quorum is in, in height order, as long as the block below is final. */
  #finalise(now: number): DerivationOutput[] {
    const outputs: DerivationOutput[] = [];
    for (;;) {
      const block = this.#derived.get(this.#finalHeight + 1);
      const quorum = block && this.#seals.quorumSeals(block.header.height, block.hash);
      if (!block || !quorum) return outputs;
      const final: FinalBlock = { block, seals: quorum.seals, finalSequence: now };
      this.#derived.delete(block.header.height);
      this.#finalHeight = block.header.height;
      this.#finals.set(block.header.height, { hash: block.hash, authorities: block.authorities });
      this.#finals.delete(block.header.height - FINAL_WINDOW);
      this.#seals.forgetBelow(block.header.height - FINAL_WINDOW + 1);
      if (this.#forgetFinal) for (const h of block.recordHashes) this.#admitted.delete(h);
      outputs.push({ type: 'final', final });
    }
  }
}
