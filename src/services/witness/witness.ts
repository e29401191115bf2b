/**
 * A witness: each round, for each node, it reads the node's latest checkpoint with the evidence to
 * check its authority signatures from the pinned genesis, asks for a consistency proof from the
 * last checkpoint it cosigned, decides (src/core/witness/decision.ts), and only then cosigns. The
 * new "last cosigned" is on disk before the cosignature leaves the process. A split view or an
 * inconsistent log is kept as an evidence file and ends the round: nothing more is cosigned.
 */
import { CodedError } from '../../core/coded-error.js';
import { encodePublicKey, type KeyPair } from '../../core/crypto/index.js';
import { cosignCheckpoint, verifyBundle, type ProofBundle, type WitnessCosignature } from '../../core/lineage/bundle.js';
import { consistencyProofNeeded, decideCheckpoint, rememberCosigned, type SignedCheckpoint, type WitnessMemory } from '../../core/witness/decision.js';
import { witnessEvidence } from '../../core/witness/evidence.js';
import { formatTimestamp } from '../../core/ledger/record.js';
import { WITNESS_STATE_FORMAT, WitnessStateDir, type WitnessState } from '../../platform/witness-state.js';
import { publishAndReport, type WitnessPeer } from './witness-peer.js';

export type { WitnessPeer } from './witness-peer.js';

/** Checkpoints remembered besides the last cosigned, to catch a node that shows another at a size already cosigned. */
const KEEP_RECENT = 256;

export type NodeOutcomeKind = 'cosigned' | 'unchanged' | 'smaller' | 'refused' | 'invalid' | 'unreachable';

export interface NodeOutcome {
  node: string;
  outcome: NodeOutcomeKind;
  /** SPLIT_VIEW, INCONSISTENT_LOG (refused); GENESIS_MISMATCH, WRONG_CONSORTIUM, BAD_CHECKPOINT (invalid); the peer's code (unreachable). */
  code?: string;
  message: string;
  logSize?: number;
  logRoot?: string;
  evidenceFile?: string;
  /** Whether the node took the cosignature (cosigned or re-sent). */
  published?: boolean;
  publishError?: string;
}

export interface RoundReport {
  at: string;
  nodes: NodeOutcome[];
  lastCosigned?: { logSize: number; logRoot: string; blockHeight: number };
  /** Set when the witness refused: a split view or an inconsistent log. */
  halted?: { code: string; evidenceFile: string };
}

export class WitnessSetupError extends CodedError<'WITNESS_STATE_MISMATCH'> {
  override readonly name = 'WitnessSetupError';
}

export interface WitnessOptions {
  consortium: string;
  key: KeyPair;
  stateDir: WitnessStateDir;
  peer: WitnessPeer;
  /** The genesis hash to pin (else the first node's, trusted on first contact). */
  genesis?: string;
  now?: () => Date;
}

export class Witness {
  readonly publicKey: string;
  #state: WitnessState | undefined;
  readonly #now: () => Date;

  private constructor(private readonly options: WitnessOptions) {
    this.publicKey = encodePublicKey(options.key.publicKey);
    this.#now = options.now ?? (() => new Date());
  }

  /** Takes the state directory's lock and loads what it pinned; a state of another consortium, key or genesis is refused. */
  static open(options: WitnessOptions): Witness {
    const witness = new Witness(options);
    options.stateDir.lock();
    try {
      witness.#state = options.stateDir.load();
      witness.#checkState();
    } catch (err) {
      options.stateDir.unlock();
      throw err;
    }
    return witness;
  }

  close(): void {
    this.options.stateDir.unlock();
  }

  get state(): WitnessState | undefined {
    return this.#state;
  }

  #checkState(): void {
    const s = this.#state;
    if (!s) return;
    const mismatch = (what: string, held: string, given: string) =>
      new WitnessSetupError('WITNESS_STATE_MISMATCH', `the witness state ${this.options.stateDir.stateFile} is for ${what} ${held}, not ${given}: use another --state directory`, { expected: held, computed: given });
    if (s.consortium !== this.options.consortium) throw mismatch('consortium', s.consortium, this.options.consortium);
    if (s.witnessKey !== this.publicKey) throw mismatch('witness key', s.witnessKey, this.publicKey);
    if (this.options.genesis !== undefined && s.genesisHash !== this.options.genesis.toLowerCase()) throw mismatch('genesis', s.genesisHash, this.options.genesis.toLowerCase());
  }

  #memory(): WitnessMemory {
    return { consortium: this.options.consortium, lastCosigned: this.#state?.lastCosigned, recent: this.#state?.recent ?? [] };
  }

  /** One pass over the nodes, in order; stops at the first split view or inconsistent log. */
  async round(nodes: readonly string[]): Promise<RoundReport> {
    const report: RoundReport = { at: formatTimestamp(this.#now()), nodes: [] };
    for (const node of nodes) {
      const outcome = await this.#visit(node);
      report.nodes.push(outcome);
      if (outcome.outcome === 'refused') {
        report.halted = { code: outcome.code!, evidenceFile: outcome.evidenceFile! };
        break;
      }
    }
    const last = this.#state?.lastCosigned?.checkpoint;
    if (last) report.lastCosigned = { logSize: last.logSize, logRoot: last.logRoot, blockHeight: last.blockHeight };
    return report;
  }

  /** The node's checkpoint, its signatures checked against the authorities replayed from the pinned genesis. */
  #checkedCheckpoint(node: string, served: unknown): SignedCheckpoint | NodeOutcome {
    const bundle = served as Partial<ProofBundle> | null;
    if (bundle?.consortium !== this.options.consortium) {
      return { node, outcome: 'invalid', code: 'WRONG_CONSORTIUM', message: `the node answered for consortium ${JSON.stringify(bundle?.consortium)}, not "${this.options.consortium}"` };
    }
    const genesis = this.#state?.genesisHash ?? this.options.genesis?.toLowerCase() ?? (typeof bundle.genesisHash === 'string' ? bundle.genesisHash : '');
    const report = verifyBundle(served, { genesis });
    if (!report.ok) {
      const first = report.failures[0]!;
      const code = first.code === 'GENESIS_MISMATCH' ? 'GENESIS_MISMATCH' : 'BAD_CHECKPOINT';
      return { node, outcome: 'invalid', code, message: `the node's checkpoint does not check against genesis ${genesis}: ${first.path || '/'}: ${first.code}: ${first.message}` };
    }
    if (!this.#state) {
      // First contact: pin the genesis before anything is cosigned against it.
      this.#state = { format: WITNESS_STATE_FORMAT, consortium: this.options.consortium, genesisHash: genesis, witnessKey: this.publicKey, recent: [] };
      this.options.stateDir.save(this.#state);
    }
    return { checkpoint: bundle.checkpoint!, signatures: bundle.checkpointSignatures!, source: node };
  }

  async #visit(node: string): Promise<NodeOutcome> {
    const peer = this.options.peer;
    let served: unknown;
    try {
      served = await peer.checkpointEvidence(node);
    } catch (err) {
      return unreachable(node, err);
    }
    const checked = this.#checkedCheckpoint(node, served);
    if ('outcome' in checked) return checked;
    const cp = checked.checkpoint;
    const at = { logSize: cp.logSize, logRoot: cp.logRoot };
    const need = consistencyProofNeeded(this.#memory(), cp);
    let proof: string[] | undefined;
    if (need) {
      try {
        proof = await peer.consistency(node, need.from, need.to);
      } catch (err) {
        return unreachable(node, err);
      }
    }
    const decision = decideCheckpoint(this.#memory(), checked, proof);
    switch (decision.action) {
      case 'cosign': {
        const cosignature = cosignCheckpoint(cp, this.options.key);
        const memory = rememberCosigned(this.#memory(), checked, KEEP_RECENT);
        this.#state = { ...this.#state!, lastCosigned: { ...checked, cosignature }, recent: [...memory.recent] };
        // Durable before it is published: a crash never leaves a published cosignature the witness does not remember.
        this.options.stateDir.save(this.#state);
        const message = decision.reason === 'first' ? 'cosigned its first checkpoint' : `cosigned: the log extends the last cosigned (size ${need!.from})`;
        return { node, outcome: 'cosigned', message, ...at, ...(await publishAndReport(peer, node, cp, cosignature)) };
      }
      case 'unchanged': {
        const cosignature = this.#state!.lastCosigned!.cosignature;
        const held = hasCosignature((served as ProofBundle).witnessCosignatures, cosignature);
        return { node, outcome: 'unchanged', message: 'the checkpoint last cosigned', ...at, ...(held ? { published: true } : await publishAndReport(peer, node, cp, cosignature)) };
      }
      case 'smaller':
        return { node, outcome: 'smaller', message: `not cosigned: log size ${cp.logSize} is behind the last cosigned (${decision.lastLogSize})`, ...at };
      case 'refuse': {
        const evidence = witnessEvidence({ code: decision.code, message: decision.message, detectedAt: formatTimestamp(this.#now()), witness: this.publicKey, held: decision.against, observed: checked, consistencyProof: proof, proofFailure: decision.proofFailure });
        const evidenceFile = this.options.stateDir.writeEvidence(evidence);
        return { node, outcome: 'refused', code: decision.code, message: decision.message, ...at, evidenceFile };
      }
    }
  }
}

function hasCosignature(list: unknown, mine: WitnessCosignature): boolean {
  return Array.isArray(list) && list.some((c: Partial<WitnessCosignature> | null) => c?.publicKey === mine.publicKey && c.signature === mine.signature);
}

function unreachable(node: string, err: unknown): NodeOutcome {
  const code = err instanceof CodedError ? err.code : 'NODE_UNREACHABLE';
  return { node, outcome: 'unreachable', code, message: err instanceof Error ? err.message : String(err) };
}
