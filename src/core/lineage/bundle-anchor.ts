/**
 * Tying a proof bundle to what its reader trusts. A bundle is self-consistent on its own: anyone
 * can make a consortium of the same name with their own keys and a bundle that checks. It means
 * something only against an anchor the reader brings: the genesis hash of the consortium they mean,
 * the authorities' public keys (a quorum of the checkpoint's signatures must be theirs), or
 * witnesses they name, enough of whom cosigned the checkpoint.
 */
import { HashTag, encodePublicKey, encodeSignature, fromHex, keyIdOf, parsePublicKey, parseSignature, sign, signingMessage, verifySignature, type KeyPair } from '../crypto/index.js';
import { quorumSize } from '../ledger/block.js';
import { checkpointHash, type Checkpoint } from '../ledger/checkpoint.js';
import type { BundleAnchor, BundleFailure, ProofBundle, WitnessCosignature } from './bundle-types.js';

function cosignatureMessage(cp: Checkpoint): Uint8Array {
  return signingMessage(HashTag.WITNESS_COSIGNATURE, fromHex(checkpointHash(cp), 32));
}

/** True when the cosignature is a valid signature on the checkpoint by the public key it names; never throws. */
export function verifyWitnessCosignature(cp: Checkpoint, cosignature: WitnessCosignature): boolean {
  try {
    return verifySignature(parsePublicKey(cosignature.publicKey), cosignatureMessage(cp), parseSignature(cosignature.signature));
  } catch {
    return false;
  }
}

/** A witness's cosignature on a checkpoint it checked. */
export function cosignCheckpoint(cp: Checkpoint, witness: KeyPair): WitnessCosignature {
  return { publicKey: encodePublicKey(witness.publicKey), signature: encodeSignature(sign(witness.privateKey, cosignatureMessage(cp))) };
}

function keyIdOrUndefined(text: string): string | undefined {
  try {
    return keyIdOf(parsePublicKey(text));
  } catch {
    return undefined;
  }
}

/** Witnesses among those named whose cosignature on the checkpoint verifies (each counted once). */
function validWitnesses(bundle: ProofBundle, named: readonly string[]): Set<string> {
  const wanted = new Set(named.map(keyIdOrUndefined).filter((k): k is string => k !== undefined));
  const message = cosignatureMessage(bundle.checkpoint);
  const valid = new Set<string>();
  for (const c of Array.isArray(bundle.witnessCosignatures) ? bundle.witnessCosignatures : []) {
    try {
      const key = parsePublicKey(c?.publicKey);
      const id = keyIdOf(key);
      if (wanted.has(id) && verifySignature(key, message, parseSignature(c.signature))) valid.add(id);
    } catch {
      // a malformed cosignature counts for nothing
    }
  }
  return valid;
}

/**
 * Checks a self-consistent bundle (its report has no failures) against the anchor. Returns the
 * failures (UNANCHORED when the anchor names nothing) and how the bundle was anchored.
 */
export function checkAnchor(bundle: ProofBundle, anchor: BundleAnchor): { failures: BundleFailure[]; anchoredBy: string[] } {
  const failures: BundleFailure[] = [];
  const anchoredBy: string[] = [];
  const given = anchor.genesis !== undefined || anchor.authorities !== undefined || anchor.witnesses !== undefined;
  if (!given) {
    failures.push({ path: '', code: 'UNANCHORED', message: 'no trust anchor: give the genesis hash (--genesis), the authorities (--authorities) or the witnesses (--witness) you trust' });
    return { failures, anchoredBy };
  }
  if (anchor.genesis !== undefined) {
    if (bundle.genesisHash === anchor.genesis.toLowerCase()) anchoredBy.push(`genesis ${anchor.genesis.toLowerCase()}`);
    else failures.push({ path: '/genesisHash', code: 'GENESIS_MISMATCH', message: 'the bundle is from another consortium (its genesis is not the one you trust)', expected: anchor.genesis, computed: bundle.genesisHash });
  }
  if (anchor.authorities !== undefined) {
    const trusted = new Set(anchor.authorities.map(keyIdOrUndefined).filter((k): k is string => k !== undefined));
    const signing = bundle.authoritySets.find((s) => s.signsCheckpoint);
    const required = signing ? quorumSize(signing.authorities.length, signing.quorum) : 1;
    const byTrusted = new Set(bundle.checkpointSignatures.filter((s) => trusted.has(s.keyId)).map((s) => s.keyId)).size;
    if (byTrusted >= required) anchoredBy.push(`${byTrusted} checkpoint signature(s) by authorities you trust`);
    else failures.push({ path: '/checkpointSignatures', code: 'UNTRUSTED_AUTHORITIES', message: `the checkpoint is signed by ${byTrusted} of the authorities you trust, ${required} needed`, expected: required, computed: byTrusted });
  }
  if (anchor.witnesses !== undefined) {
    const valid = validWitnesses(bundle, anchor.witnesses.keys);
    if (valid.size >= anchor.witnesses.required) anchoredBy.push(`${valid.size} witness cosignature(s)`);
    else failures.push({ path: '/witnessCosignatures', code: 'WITNESS_QUORUM', message: `${valid.size} of the witnesses you named cosigned the checkpoint, ${anchor.witnesses.required} needed`, expected: anchor.witnesses.required, computed: valid.size });
  }
  return { failures, anchoredBy };
}
