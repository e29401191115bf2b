/**
 * Seals as the deriver collects them, per height: the first valid seal of each authority key, the
 * organisations behind each sealed hash, and what they prove. A block is final once its own hash
 * holds seals from more than the quorum share of the authority set in force at its height and the
 * block below it is final; finality never reverses. Two seals by one key at one height on different
 * hashes are equivocation; a seal on another hash than the derived one is a conflicting seal; seals
 * on different hashes that leave the derived one short of a quorum are divergent seals; all are
 * kept as evidence with their signed headers (docs/design/network.md).
 */
import { blockHash, quorumSize, type Seal } from '../block.js';
import type { SealMessage } from '../ordering-message.js';
import type { AuthoritySetVersion } from '../state-types.js';
import { isValidSignedHeader, type SignedHeader } from './signed-messages.js';
import type { DerivationOutput, IgnoredReason } from './types.js';

/** What the seal book needs to know about a height: the hash derived there and the set in force. */
export interface HeightView {
  readonly hash: string;
  readonly authorities: AuthoritySetVersion;
  readonly final: boolean;
}

interface HashTally {
  readonly orgs: Set<string>;
  /** One seal per organisation, in log order. */
  readonly seals: Seal[];
  /** The entry at which the tally reached the quorum. */
  completedAt?: number;
}

interface HeightSeals {
  readonly byKey: Map<string, { hash: string; signed: SignedHeader; orgId: string }>;
  readonly byHash: Map<string, HashTally>;
  stuckReported: boolean;
  divergenceReported: boolean;
}

export interface SealOutcome {
  readonly outputs: DerivationOutput[];
  /** The derived hash at this height reached its quorum with this seal. */
  readonly quorumReached: boolean;
  /** Another hash than the derived one reached a quorum: the chain cannot follow this node's derivation. */
  readonly diverged: boolean;
}

const ignored = (sequence: number, reason: IgnoredReason, detail: string): SealOutcome => ({
  outputs: [{ type: 'ignored', sequence, reason, detail }],
  quorumReached: false,
  diverged: false,
});

export class SealBook {
  readonly #heights = new Map<number, HeightSeals>();

  constructor(readonly consortium: string) {}

  #at(height: number): HeightSeals {
    let seals = this.#heights.get(height);
    if (!seals) {
      seals = { byKey: new Map(), byHash: new Map(), stuckReported: false, divergenceReported: false };
      this.#heights.set(height, seals);
    }
    return seals;
  }

  /** The seals on the derived hash at this height once it holds a quorum: one per organisation, in log order. */
  quorumSeals(height: number, hash: string): { seals: Seal[]; completedAt: number } | undefined {
    const tally = this.#heights.get(height)?.byHash.get(hash);
    if (!tally || tally.completedAt === undefined) return undefined;
    return { seals: [...tally.seals], completedAt: tally.completedAt };
  }

  /** Key ids with a valid seal recorded at this height (on any hash). */
  sealedKeys(height: number): ReadonlySet<string> {
    return new Set(this.#heights.get(height)?.byKey.keys() ?? []);
  }

  /** Forgets heights below `height` (late seals for them are then too old to judge). */
  forgetBelow(height: number): void {
    for (const h of this.#heights.keys()) if (h < height) this.#heights.delete(h);
  }

  /** Judges one seal message on a height this node has derived (or holds as final). */
  add(sequence: number, message: SealMessage, view: HeightView): SealOutcome {
    const { header, seal } = message;
    const authority = view.authorities.authorities.find((a) => a.keyId === seal.keyId);
    if (!authority) return ignored(sequence, 'SEAL_NOT_BY_AUTHORITY', `key ${seal.keyId.slice(0, 16)} is not an authority in force at height ${header.height}`);
    const signed: SignedHeader = { header, seal };
    if (!isValidSignedHeader(signed, authority.publicKey)) return ignored(sequence, 'SEAL_BAD_SIGNATURE', `seal by ${authority.orgId} does not verify over its header`);
    const hash = blockHash(header);
    const height = header.height;
    const book = this.#at(height);
    const prior = book.byKey.get(seal.keyId);
    if (prior) {
      if (prior.hash === hash) return ignored(sequence, 'SEAL_REPEATED', `${authority.orgId} already sealed this block`);
      const evidence = { kind: 'equivocation', consortium: this.consortium, height, keyId: seal.keyId, orgId: authority.orgId, first: prior.signed, second: signed, sequence } as const;
      return { outputs: [{ type: 'evidence', evidence }], quorumReached: false, diverged: false };
    }
    book.byKey.set(seal.keyId, { hash, signed, orgId: authority.orgId });
    const outputs: DerivationOutput[] = [];
    if (hash !== view.hash) {
      const evidence = { kind: 'conflicting-seal', consortium: this.consortium, height, keyId: seal.keyId, orgId: authority.orgId, sealed: signed, derivedHash: view.hash, sequence } as const;
      outputs.push({ type: 'evidence', evidence });
    }
    const tally = book.byHash.get(hash) ?? { orgs: new Set<string>(), seals: [] };
    book.byHash.set(hash, tally);
    if (tally.orgs.has(authority.orgId)) return { outputs, quorumReached: false, diverged: false };
    tally.orgs.add(authority.orgId);
    tally.seals.push(seal);
    if (view.final && hash === view.hash) {
      // One more authority vouches for a block already final: it is kept with the block.
      outputs.push({ type: 'late-seal', height, hash, seal });
      return { outputs, quorumReached: false, diverged: false };
    }
    const required = quorumSize(view.authorities.authorities.length, view.authorities.quorum);
    if (tally.completedAt === undefined && tally.orgs.size >= required) tally.completedAt = sequence;
    const completedNow = tally.completedAt === sequence;
    const quorumReached = completedNow && hash === view.hash;
    const diverged = completedNow && hash !== view.hash;
    if (!view.final && !diverged) {
      outputs.push(...this.#stuck(height, view, book, required));
      outputs.push(...this.#divergence(sequence, message, authority.orgId, view, book));
    }
    return { outputs, quorumReached, diverged };
  }

  /**
   * Reported once, when the height is stuck and its seals name at least two hashes: every key's
   * first seal there, which shows to anyone that honest authorities derived different blocks.
   */
  #divergence(sequence: number, message: SealMessage, orgId: string, view: HeightView, book: HeightSeals): DerivationOutput[] {
    if (!book.stuckReported || book.divergenceReported || book.byHash.size < 2) return [];
    book.divergenceReported = true;
    const signedHeaders = [...book.byKey.values()].map((s) => ({ orgId: s.orgId, header: s.signed.header, seal: s.signed.seal }));
    const { header, seal } = message;
    const evidence = { kind: 'divergent-seals', consortium: this.consortium, height: header.height, keyId: seal.keyId, orgId, derivedHash: view.hash, signedHeaders, sequence } as const;
    return [{ type: 'evidence', evidence }];
  }

  /** Reported once: organisations that sealed other hashes leave too few to reach the quorum. */
  #stuck(height: number, view: HeightView, book: HeightSeals, required: number): DerivationOutput[] {
    if (book.stuckReported) return [];
    const elsewhere = new Set<string>();
    for (const [hash, tally] of book.byHash) if (hash !== view.hash) for (const org of tally.orgs) elsewhere.add(org);
    const orgs = new Set(view.authorities.authorities.map((a) => a.orgId));
    if (orgs.size - elsewhere.size >= required) return [];
    book.stuckReported = true;
    return [
      {
        type: 'stuck',
        height,
        detail: `${elsewhere.size} of ${orgs.size} authorities sealed another block at height ${height}; ${required} seals are needed, so block ${view.hash.slice(0, 16)} cannot become final`,
      },
    ];
  }
}
