/**
 * A node's signed request for a peer's final blocks (docs/design/network.md "Catch-up over HTTP"):
 * the peer serves the chain only to a node of a member organisation, which proves it by signing the
 * request with an active key of that organisation. Header `X-Provenant-Peer: <keyId> <at> <signature>`;
 * the signature covers signingMessage(PEER_REQUEST, taggedHash(PEER_REQUEST, JCS(body))) with body
 * `{v: 1, consortium, fromHeight, limit, at, keyId}`.
 */
import { HashTag, canonicalBytes, encodeSignature, parseSignature, sign, signingMessage, taggedHash, verifySignature, type KeyPair, type PublicKey } from '../crypto/index.js';
import { isHash, isTimestamp } from './record.js';

export const PEER_REQUEST_HEADER = 'x-provenant-peer';
/** The most blocks one answer holds. */
export const PEER_PAGE_MAX = 50;
/** How far a request's time may be from the serving node's clock. */
export const PEER_REQUEST_MAX_SKEW_MS = 5 * 60 * 1000;

export interface PeerRequest {
  consortium: string;
  fromHeight: number;
  limit: number;
  /** RFC 3339 UTC with milliseconds: when the request was signed. */
  at: string;
}

function messageOf(request: PeerRequest, keyId: string): Uint8Array {
  const body = { v: 1, consortium: request.consortium, fromHeight: request.fromHeight, limit: request.limit, at: request.at, keyId };
  return signingMessage(HashTag.PEER_REQUEST, taggedHash(HashTag.PEER_REQUEST, canonicalBytes(body)));
}

/** The header value that signs the request with the key. */
export function signPeerRequest(request: PeerRequest, key: KeyPair): string {
  return `${key.keyId} ${request.at} ${encodeSignature(sign(key.privateKey, messageOf(request, key.keyId)))}`;
}

/** The key id and time a header claims (undefined: malformed). */
export function parsePeerHeader(value: unknown): { keyId: string; at: string; signature: string } | undefined {
  if (typeof value !== 'string') return undefined;
  const parts = value.trim().split(' ');
  if (parts.length !== 3 || !isHash(parts[0]) || !isTimestamp(parts[1])) return undefined;
  return { keyId: parts[0]!, at: parts[1]!, signature: parts[2]! };
}

/** True when the signature in the header covers this request under the key (never throws). */
export function isValidPeerRequest(request: Omit<PeerRequest, 'at'>, header: { keyId: string; at: string; signature: string }, publicKey: PublicKey): boolean {
  try {
    return verifySignature(publicKey, messageOf({ ...request, at: header.at }, header.keyId), parseSignature(header.signature));
  } catch {
    return false;
  }
}
