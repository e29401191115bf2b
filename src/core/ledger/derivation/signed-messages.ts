/**
 * The signed ordering messages an authority publishes: cut markers (close block `height`) and seal
 * messages (its seal on the block it derived, with the whole header, so two seals by one key at one
 * height are self-contained evidence). A cut marker's signature covers
 * signingMessage(CUT_MARKER, taggedHash(CUT_MARKER, cutMarkerSigningBytes(marker))), as records do
 * with their own tag; a seal message carries an ordinary block seal (block.ts).
 */
import { HashTag, encodeSignature, parseSignature, sign, signingMessage, taggedHash, verifySignature, type KeyPair, type PublicKey } from '../../crypto/index.js';
import { blockHash, isValidSeal, sealBlock, type BlockHeader, type Seal } from '../block.js';
import { ORDERING_MESSAGE_VERSION, OrderingMessageKind, cutMarkerSigningBytes, type CutMarkerMessage, type SealMessage } from '../ordering-message.js';

function cutMarkerMessageBytes(marker: Pick<CutMarkerMessage, 'consortium' | 'height' | 'signer'>): Uint8Array {
  const body = { v: ORDERING_MESSAGE_VERSION, consortium: marker.consortium, kind: OrderingMessageKind.CUT, height: marker.height, signer: marker.signer } as const;
  return signingMessage(HashTag.CUT_MARKER, taggedHash(HashTag.CUT_MARKER, cutMarkerSigningBytes(body)));
}

/** A cut marker closing block `height` of the consortium, signed by an authority key. */
export function signCutMarker(consortium: string, height: number, authority: KeyPair): CutMarkerMessage {
  const unsigned = { consortium, height, signer: authority.keyId };
  return {
    v: ORDERING_MESSAGE_VERSION,
    consortium,
    kind: OrderingMessageKind.CUT,
    height,
    signer: authority.keyId,
    signature: encodeSignature(sign(authority.privateKey, cutMarkerMessageBytes(unsigned))),
  };
}

/** True when the marker's signature verifies under the key (never throws). */
export function isValidCutMarker(marker: CutMarkerMessage, publicKey: PublicKey): boolean {
  try {
    return verifySignature(publicKey, cutMarkerMessageBytes(marker), parseSignature(marker.signature));
  } catch {
    return false;
  }
}

/** An authority's seal on a header, as the message it publishes. */
export function sealMessageOf(header: BlockHeader, authority: KeyPair): SealMessage {
  return { v: ORDERING_MESSAGE_VERSION, consortium: header.consortium, kind: OrderingMessageKind.SEAL, header, seal: sealBlock(blockHash(header), authority) };
}

/** A header and a seal on its hash: what a seal message proves on its own. */
export interface SignedHeader {
  readonly header: BlockHeader;
  readonly seal: Seal;
}

/** True when the seal verifies over the header's hash under the key (never throws). */
export function isValidSignedHeader(signed: SignedHeader, publicKey: PublicKey): boolean {
  try {
    return isValidSeal(blockHash(signed.header), signed.seal, publicKey);
  } catch {
    return false;
  }
}
