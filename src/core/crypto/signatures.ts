/**
 * One exact verification rule set, so every node reaches the same verdict:
 * - Ed25519: strict RFC 8032 (canonical A and R, S < L), no ZIP-215 leniency.
 * - ECDSA P-256 over SHA-256, FIPS 186-5: both low and high S are accepted, because device secure
 *   elements do not normalise S. Signatures are therefore malleable and never used as identifiers.
 * Signatures are 64 bytes for both algorithms (P-256 as IEEE P1363 r||s).
 */
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { CryptoError } from './errors.js';
import { fromBase64Url, toBase64Url } from './encoding.js';
import { isKeyAlgorithm, type KeyAlgorithm, type PrivateKey, type PublicKey } from './keys.js';

export const SIGNATURE_LENGTH = 64;

export interface Signature {
  readonly alg: KeyAlgorithm;
  readonly bytes: Uint8Array;
}

export function encodeSignature(sig: Signature): string {
  return `${sig.alg}:${toBase64Url(sig.bytes)}`;
}

export function parseSignature(text: unknown): Signature {
  if (typeof text !== 'string' || !text.includes(':')) {
    throw new CryptoError('MALFORMED_SIGNATURE', 'signature must look like "<alg>:<base64url>"');
  }
  const sep = text.indexOf(':');
  const alg = text.slice(0, sep);
  if (!isKeyAlgorithm(alg)) throw new CryptoError('UNSUPPORTED_ALGORITHM', `unsupported signature algorithm ${JSON.stringify(alg)}`, { alg });
  const bytes = fromBase64Url(text.slice(sep + 1));
  if (!bytes) throw new CryptoError('MALFORMED_SIGNATURE', 'signature is not valid unpadded base64url', { alg });
  if (bytes.length !== SIGNATURE_LENGTH) {
    throw new CryptoError('MALFORMED_SIGNATURE', `${alg} signature must be ${SIGNATURE_LENGTH} bytes, got ${bytes.length}`, {
      alg,
      expected: SIGNATURE_LENGTH,
      actual: bytes.length,
    });
  }
  return { alg, bytes };
}

export function sign(privateKey: PrivateKey, message: Uint8Array): Signature {
  if (privateKey.alg === 'ed25519') return { alg: 'ed25519', bytes: ed25519SignFast(privateKey.bytes, message) };
  if (privateKey.alg === 'p256') {
    return { alg: 'p256', bytes: p256.sign(message, privateKey.bytes, { prehash: true, lowS: false }) };
  }
  throw new CryptoError('UNSUPPORTED_ALGORITHM', `unsupported key algorithm ${String((privateKey as PrivateKey).alg)}`);
}

/**
 * The reference rule set, on raw bytes: true only for a valid signature. Never throws, so malformed
 * input of any length is simply invalid (as Wycheproof expects).
 */
export function verifyRaw(alg: KeyAlgorithm, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (signature.length !== SIGNATURE_LENGTH) return false;
    if (alg === 'ed25519') {
      if (publicKey.length !== 32) return false;
      return ed25519.verify(signature, message, publicKey, { zip215: false });
    }
    if (alg === 'p256') return p256.verify(signature, message, publicKey, { prehash: true, lowS: false, format: 'compact' });
    return false;
  } catch {
    return false;
  }
}

/**
 * Verifies with the key's algorithm. A signature of another algorithm than the key is a typed
 * error (a caller bug or an attack), not merely "invalid".
 */
export function verifySignature(publicKey: PublicKey, message: Uint8Array, signature: Signature): boolean {
  if (publicKey.alg !== signature.alg) {
    throw new CryptoError('ALGORITHM_MISMATCH', `signature algorithm ${signature.alg} does not match key algorithm ${publicKey.alg}`, {
      expected: publicKey.alg,
      actual: signature.alg,
    });
  }
  return verifyFast(publicKey.alg, publicKey.bytes, message, signature.bytes);
}

// ---- Fast path: OpenSSL through node:crypto, held to the reference rule set by pre-checks. ----

// Ed25519 group order L (RFC 8032 §5.1).
const ED25519_L = (1n << 252n) + 27742317777372353535851937790883648493n;
const keyObjectCache = new Map<string, KeyObject | null>();
const KEY_CACHE_LIMIT = 10_000;

function cachedKeyObject(alg: KeyAlgorithm, publicKey: Uint8Array): KeyObject | null {
  const cacheKey = `${alg}:${toBase64Url(publicKey)}`;
  let keyObject = keyObjectCache.get(cacheKey);
  if (keyObject !== undefined) return keyObject;
  keyObject = null;
  try {
    if (alg === 'ed25519' && publicKey.length === 32) {
      // Canonical A, as RFC 8032 strict requires; small-order A is rejected, as verifyRaw (noble strict) does.
      if (ed25519.Point.fromBytes(publicKey, false).isSmallOrder()) throw new Error('small-order key');
      keyObject = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(publicKey) }, format: 'jwk' });
    } else if (alg === 'p256' && (publicKey.length === 33 || publicKey.length === 65)) {
      const point = p256.Point.fromBytes(publicKey);
      point.assertValidity();
      const raw = point.toBytes(false);
      keyObject = createPublicKey({
        key: { kty: 'EC', crv: 'P-256', x: toBase64Url(raw.subarray(1, 33)), y: toBase64Url(raw.subarray(33, 65)) },
        format: 'jwk',
      });
    }
  } catch {
    keyObject = null;
  }
  if (keyObjectCache.size >= KEY_CACHE_LIMIT) keyObjectCache.clear();
  keyObjectCache.set(cacheKey, keyObject);
  return keyObject;
}

// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410 §7).
const ED25519_PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
const signingKeyCache = new WeakMap<Uint8Array, KeyObject>();

/**
 * Ed25519 signing through OpenSSL: RFC 8032 signatures are deterministic, so the bytes are the
 * same as noble's (a property test checks this); about 20x faster, which matters to the sealer,
 * sensor windows and bulk clients.
 */
function ed25519SignFast(seed: Uint8Array, message: Uint8Array): Uint8Array {
  if (seed.length !== 32) return ed25519.sign(message, seed);
  let keyObject = signingKeyCache.get(seed);
  if (!keyObject) {
    const der = new Uint8Array(ED25519_PKCS8_PREFIX.length + 32);
    der.set(ED25519_PKCS8_PREFIX);
    der.set(seed, ED25519_PKCS8_PREFIX.length);
    keyObject = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
    signingKeyCache.set(seed, keyObject);
  }
  return new Uint8Array(nodeSign(null, message, keyObject));
}

function ed25519ScalarIsCanonical(signature: Uint8Array): boolean {
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i]!);
  return s < ED25519_L;
}

/**
 * Same verdicts as verifyRaw (tests check every Wycheproof vector and crafted torsion cases), about
 * 10x faster for valid Ed25519 signatures. OpenSSL checks the cofactorless equation [S]B = R + [k]A,
 * noble the cofactored one (RFC 8032 §5.1.7 allows either): a pass implies noble's pass, but a
 * fail does not when R or A has a small-order component, so a fail is settled by verifyRaw.
 */
export function verifyFast(alg: KeyAlgorithm, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_LENGTH) return false;
  const keyObject = cachedKeyObject(alg, publicKey);
  if (!keyObject) return false;
  try {
    if (alg === 'ed25519') {
      if (!ed25519ScalarIsCanonical(signature)) return false;
      return nodeVerify(null, message, keyObject, signature) || verifyRaw(alg, publicKey, message, signature);
    }
    return nodeVerify('sha256', message, { key: keyObject, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}
