/**
 * Keys carry their algorithm. Ed25519 for organisations and authorities; ECDSA P-256 for devices,
 * whose secure elements often support nothing else. Text form: `<alg>:<base64url>`.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { CryptoError } from './errors.js';
import { HashTag, taggedHash } from './hash.js';
import { concatBytes, fromBase64Url, toBase64Url, toHex } from './encoding.js';

export const KEY_ALGORITHMS = ['ed25519', 'p256'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

export interface PublicKey {
  readonly alg: KeyAlgorithm;
  /** Ed25519: 32 bytes (RFC 8032). P-256: 33-byte compressed SEC1 point. */
  readonly bytes: Uint8Array;
}

export interface PrivateKey {
  readonly alg: KeyAlgorithm;
  readonly bytes: Uint8Array; // 32-byte seed (Ed25519) or scalar (P-256)
}

export interface KeyPair {
  readonly privateKey: PrivateKey;
  readonly publicKey: PublicKey;
  readonly keyId: string;
}

export function isKeyAlgorithm(value: unknown): value is KeyAlgorithm {
  return typeof value === 'string' && (KEY_ALGORITHMS as readonly string[]).includes(value);
}

function requireAlgorithm(alg: unknown): KeyAlgorithm {
  if (!isKeyAlgorithm(alg)) {
    throw new CryptoError('UNSUPPORTED_ALGORITHM', `unsupported key algorithm ${JSON.stringify(alg)}; expected ed25519 or p256`, { alg });
  }
  return alg;
}

/** Validates and normalises a public key. Ed25519 keys must be canonical encodings (RFC 8032 §5.1.3). */
export function publicKeyFromBytes(alg: KeyAlgorithm, bytes: Uint8Array): PublicKey {
  requireAlgorithm(alg);
  if (!(bytes instanceof Uint8Array)) throw new CryptoError('MALFORMED_KEY', 'public key must be bytes');
  try {
    if (alg === 'ed25519') {
      if (bytes.length !== 32) throw new Error(`length ${bytes.length}, expected 32`);
      ed25519.Point.fromBytes(bytes, false);
      return { alg, bytes: Uint8Array.from(bytes) };
    }
    if (bytes.length !== 33 && bytes.length !== 65) throw new Error(`length ${bytes.length}, expected 33 or 65`);
    const point = p256.Point.fromBytes(bytes);
    point.assertValidity();
    return { alg, bytes: point.toBytes(true) };
  } catch (err) {
    throw new CryptoError('MALFORMED_KEY', `malformed ${alg} public key: ${(err as Error).message}`, { alg });
  }
}

export function encodePublicKey(key: PublicKey): string {
  return `${key.alg}:${toBase64Url(key.bytes)}`;
}

export function parsePublicKey(text: unknown): PublicKey {
  if (typeof text !== 'string') throw new CryptoError('MALFORMED_KEY', 'public key must be a string "<alg>:<base64url>"');
  const sep = text.indexOf(':');
  if (sep < 0) throw new CryptoError('MALFORMED_KEY', 'public key must look like "<alg>:<base64url>"', { value: text.slice(0, 80) });
  const alg = requireAlgorithm(text.slice(0, sep));
  const bytes = fromBase64Url(text.slice(sep + 1));
  if (!bytes) throw new CryptoError('MALFORMED_KEY', 'public key is not valid unpadded base64url', { alg });
  return publicKeyFromBytes(alg, bytes);
}

/** A key id is derived from the public key, so it cannot be claimed for another key. */
export function keyIdOf(key: PublicKey): string {
  return toHex(taggedHash(HashTag.KEY_ID, concatBytes(new TextEncoder().encode(key.alg), new Uint8Array([0]), key.bytes)));
}

export function derivePublicKey(privateKey: PrivateKey): PublicKey {
  const alg = requireAlgorithm(privateKey.alg);
  if (!(privateKey.bytes instanceof Uint8Array) || privateKey.bytes.length !== 32) {
    throw new CryptoError('MALFORMED_KEY', `${alg} private key must be 32 bytes`, { alg });
  }
  try {
    if (alg === 'ed25519') return { alg, bytes: ed25519.getPublicKey(privateKey.bytes) };
    return { alg, bytes: p256.getPublicKey(privateKey.bytes, true) };
  } catch (err) {
    throw new CryptoError('MALFORMED_KEY', `malformed ${alg} private key: ${(err as Error).message}`, { alg });
  }
}

export function generateKeyPair(alg: KeyAlgorithm = 'ed25519'): KeyPair {
  requireAlgorithm(alg);
  const secret = alg === 'ed25519' ? ed25519.utils.randomSecretKey() : p256.utils.randomSecretKey();
  return keyPairFromPrivate({ alg, bytes: secret });
}

export function keyPairFromPrivate(privateKey: PrivateKey): KeyPair {
  const publicKey = derivePublicKey(privateKey);
  return { privateKey: { alg: privateKey.alg, bytes: Uint8Array.from(privateKey.bytes) }, publicKey, keyId: keyIdOf(publicKey) };
}

export function encodePrivateKey(key: PrivateKey): string {
  return `${key.alg}:${toBase64Url(key.bytes)}`;
}

export function parsePrivateKey(text: unknown): PrivateKey {
  if (typeof text !== 'string' || !text.includes(':')) {
    throw new CryptoError('MALFORMED_KEY', 'private key must look like "<alg>:<base64url>"');
  }
  const sep = text.indexOf(':');
  const alg = requireAlgorithm(text.slice(0, sep));
  const bytes = fromBase64Url(text.slice(sep + 1));
  if (!bytes || bytes.length !== 32) throw new CryptoError('MALFORMED_KEY', `${alg} private key must be 32 bytes of base64url`, { alg });
  derivePublicKey({ alg, bytes });
  return { alg, bytes };
}
