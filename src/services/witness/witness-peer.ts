/** What a witness asks of a node (the HTTP client in src/transport/cli/witness-http-peer.ts implements it). */
import type { Checkpoint } from '../../core/ledger/checkpoint.js';
import type { WitnessCosignature } from '../../core/lineage/bundle.js';

export interface WitnessPeer {
  /** GET /consortia/:id/log/checkpoint-evidence: the latest checkpoint as a proof bundle of no records. */
  checkpointEvidence(node: string): Promise<unknown>;
  /** GET /consortia/:id/log/consistency?from&to: the proof's hashes (hex). */
  consistency(node: string, from: number, to: number): Promise<string[]>;
  /** POST /consortia/:id/log/cosignatures. */
  postCosignature(node: string, checkpoint: Checkpoint, cosignature: WitnessCosignature): Promise<void>;
}

/** Posts the cosignature; a node that does not take it is reported, never fatal (the cosignature is already kept). */
export async function publishAndReport(peer: WitnessPeer, node: string, checkpoint: Checkpoint, cosignature: WitnessCosignature): Promise<{ published: boolean; publishError?: string }> {
  try {
    await peer.postCosignature(node, checkpoint, cosignature);
    return { published: true };
  } catch (err) {
    return { published: false, publishError: err instanceof Error ? err.message : String(err) };
  }
}
