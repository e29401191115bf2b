/**
 * Proof bundle: one self-contained JSON file that proves a set of records offline.
 * It holds the records with RFC 6962 inclusion proofs in their blocks and in the consortium log
 * at a signed checkpoint, the sealed block headers, and every membership record up to the
 * checkpoint (genesis, proposals, approvals, device registrations) so the verifier can replay who
 * held which key and role at each record's log index and which authority set was in force at each
 * height. The authority sets and signers listed in the bundle are for readers; the verifier
 * re-derives them and compares.
 *
 * Pure: no I/O. buildBundle assembles fetched evidence; verifyBundle (bundle-verify.ts) checks a parsed bundle.
 */
import { deriveAuthoritySets, deriveSigners, neededHeights, replayMembership } from './bundle-replay.js';
import { BUNDLE_FORMAT, BUNDLE_FORMAT_V2, BundleError, type BundleEvidence, type ProofBundle } from './bundle-types.js';
import { verifyBundle } from './bundle-verify.js';

export * from './bundle-types.js';
export { verifyBundle } from './bundle-verify.js';
export { checkAnchor, cosignCheckpoint, verifyWitnessCosignature } from './bundle-anchor.js';

/** Assembles a bundle from evidence fetched from a store, deriving authority sets and signers by replay (v2 when it states an answer). */
export function buildBundle(evidence: BundleEvidence): ProofBundle {
  const blocks = [...evidence.blocks].sort((a, b) => a.header.height - b.header.height);
  const genesis = blocks.find((b) => b.header.height === 0);
  if (!genesis) throw new BundleError('BUNDLE_MISSING_EVIDENCE', 'the genesis block is missing from the evidence');
  const membershipRecords = [...evidence.membershipRecords].sort((a, b) => a.logIndex - b.logIndex);
  const replay = replayMembership(membershipRecords, evidence.records, neededHeights(blocks, evidence.checkpoint), () => undefined);
  if (!replay) throw new BundleError('BUNDLE_INVALID', 'membership records do not replay from genesis');
  const bundle: ProofBundle = {
    format: evidence.answer ? BUNDLE_FORMAT_V2 : BUNDLE_FORMAT,
    consortium: evidence.consortium,
    genesisHash: genesis.hash,
    checkpoint: evidence.checkpoint,
    checkpointSignatures: evidence.checkpointSignatures,
    authoritySets: deriveAuthoritySets(replay, blocks, evidence.checkpoint),
    blocks,
    records: evidence.records,
    membershipRecords,
    signers: deriveSigners(replay.finalState, evidence.records),
    ...(evidence.witnessCosignatures ? { witnessCosignatures: evidence.witnessCosignatures } : {}),
    ...(evidence.answer && evidence.completeness ? { answer: evidence.answer, completeness: evidence.completeness } : {}),
  };
  const report = verifyBundle(bundle);
  if (!report.ok) {
    const first = report.failures[0]!;
    throw new BundleError('BUNDLE_INVALID', `the exported bundle does not verify: ${first.path}: ${first.code}: ${first.message}`, { failures: report.failures });
  }
  return bundle;
}
