import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { p256 } from '@noble/curves/nist.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  concatBytes,
  CryptoError,
  derivePublicKey,
  encodePrivateKey,
  encodePublicKey,
  encodeSignature,
  fromHex,
  generateKeyPair,
  HashTag,
  keyIdOf,
  keyPairFromPrivate,
  KEY_ALGORITHMS,
  parsePrivateKey,
  parsePublicKey,
  parseSignature,
  sign,
  taggedHash,
  toBase64Url,
  toHex,
  verifyFast,
  verifyRaw,
  verifySignature,
  type CryptoErrorCode,
  type KeyAlgorithm,
  type Signature,
} from '../../../src/core/crypto/index.js';

const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const P256_P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const P256_B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
const ED25519_L = (1n << 252n) + 27742317777372353535851937790883648493n;
const ED25519_P = (1n << 255n) - 19n;

function expectCryptoError(action: () => unknown, code: CryptoErrorCode): CryptoError {
  let caught: unknown;
  try {
    action();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(CryptoError);
  expect((caught as CryptoError).code).toBe(code);
  return caught as CryptoError;
}

const bigEndian = (bytes: Uint8Array): bigint => BigInt(`0x${toHex(bytes) || '0'}`);
const littleEndian = (bytes: Uint8Array): bigint => bigEndian(Uint8Array.from(bytes).reverse());
const toBigEndian32 = (n: bigint): Uint8Array => fromHex(n.toString(16).padStart(64, '0'));
const toLittleEndian32 = (n: bigint): Uint8Array => toBigEndian32(n).reverse();
const mod = (a: bigint, m: bigint): bigint => ((a % m) + m) % m;
function modPow(base: bigint, exponent: bigint, m: bigint): bigint {
  let [result, b, e] = [1n, mod(base, m), exponent];
  for (; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) result = (result * b) % m;
  return result;
}

describe.each(KEY_ALGORITHMS)('%s keys', (alg) => {
  it('generates a key pair whose key id and public key derive from the private key', () => {
    const pair = generateKeyPair(alg);
    expect(pair.publicKey.alg).toBe(alg);
    expect(pair.publicKey.bytes.length).toBe(alg === 'ed25519' ? 32 : 33);
    expect(pair.keyId).toBe(keyIdOf(pair.publicKey));
    expect(pair.keyId).toMatch(/^[0-9a-f]{64}$/);
    expect(derivePublicKey(pair.privateKey)).toEqual(pair.publicKey);
    expect(keyPairFromPrivate(pair.privateKey)).toEqual(pair);
  });

  it('generates different keys each time', () => {
    expect(generateKeyPair(alg).keyId).not.toBe(generateKeyPair(alg).keyId);
  });

  it('round-trips public and private keys through text form', () => {
    const pair = generateKeyPair(alg);
    const text = encodePublicKey(pair.publicKey);
    expect(text.startsWith(`${alg}:`)).toBe(true);
    expect(parsePublicKey(text)).toEqual(pair.publicKey);
    expect(keyIdOf(parsePublicKey(text))).toBe(pair.keyId);
    expect(parsePrivateKey(encodePrivateKey(pair.privateKey))).toEqual(pair.privateKey);
  });

  it('derives key ids deterministically', () => {
    const pair = generateKeyPair(alg);
    expect(keyIdOf({ alg, bytes: Uint8Array.from(pair.publicKey.bytes) })).toBe(keyIdOf(pair.publicKey));
  });

  it('round-trips signatures through text form', () => {
    const pair = generateKeyPair(alg);
    const signature = sign(pair.privateKey, new Uint8Array([1, 2, 3]));
    expect(parseSignature(encodeSignature(signature))).toEqual(signature);
  });
});

describe('key ids', () => {
  it('differ across algorithms for the same key bytes', () => {
    const bytes = generateKeyPair('p256').publicKey.bytes.subarray(1); // any 32 bytes
    expect(keyIdOf({ alg: 'ed25519', bytes })).not.toBe(keyIdOf({ alg: 'p256', bytes }));
  });
});

describe('parsePublicKey rejects malformed keys', () => {
  const edKey = generateKeyPair('ed25519').publicKey;
  const edText = toBase64Url(edKey.bytes);

  it.each([
    ['padding in base64url', `ed25519:${edText}=`, 'MALFORMED_KEY'],
    ['standard base64 alphabet', `ed25519:${edText.replace(/.$/, '+')}`, 'MALFORMED_KEY'],
    ['non-canonical trailing base64url bits', `ed25519:${edText.slice(0, -1)}${edText.endsWith('B') ? 'C' : 'B'}`, 'MALFORMED_KEY'],
    ['no algorithm separator', edText, 'MALFORMED_KEY'],
    ['an empty key', 'ed25519:', 'MALFORMED_KEY'],
    ['31-byte ed25519 key', `ed25519:${toBase64Url(edKey.bytes.subarray(1))}`, 'MALFORMED_KEY'],
    ['33-byte ed25519 key', `ed25519:${toBase64Url(new Uint8Array([...edKey.bytes, 0]))}`, 'MALFORMED_KEY'],
    ['32-byte p256 key', `p256:${edText}`, 'MALFORMED_KEY'],
    ['unknown algorithm', `rsa:${edText}`, 'UNSUPPORTED_ALGORITHM'],
    ['algorithm in upper case', `ED25519:${edText}`, 'UNSUPPORTED_ALGORITHM'],
  ] as const)('%s', (_label, text, code) => {
    expectCryptoError(() => parsePublicKey(text), code);
  });

  it('rejects non-strings', () => {
    expectCryptoError(() => parsePublicKey(42), 'MALFORMED_KEY');
  });

  it('rejects a non-canonical ed25519 encoding (y = p, on the curve when reduced)', () => {
    const nonCanonical = toLittleEndian32(ED25519_P); // y = p ≡ 0, sign bit clear
    // The point exists when y is reduced mod p (ZIP-215 decoding accepts it), so only canonicality rejects it.
    expect(() => ed25519.Point.fromBytes(nonCanonical, true)).not.toThrow();
    expectCryptoError(() => parsePublicKey(`ed25519:${toBase64Url(nonCanonical)}`), 'MALFORMED_KEY');
  });

  it('rejects a P-256 point off the curve', () => {
    const point = p256.Point.fromBytes(generateKeyPair('p256').publicKey.bytes).toBytes(false);
    const offCurve = Uint8Array.from(point);
    offCurve[64] = offCurve[64]! ^ 1; // y + 1 or y - 1: y^2 no longer equals x^3 - 3x + b
    expectCryptoError(() => parsePublicKey(`p256:${toBase64Url(offCurve)}`), 'MALFORMED_KEY');
    expect(parsePublicKey(`p256:${toBase64Url(point)}`).bytes.length).toBe(33); // the unmodified point is fine
  });

  it('rejects a compressed P-256 x with no point on the curve', () => {
    // The smallest x for which x^3 - 3x + b is a quadratic non-residue mod p (Euler's criterion).
    let x = 0n;
    while (modPow(mod(x ** 3n - 3n * x + P256_B, P256_P), (P256_P - 1n) / 2n, P256_P) !== P256_P - 1n) x++;
    const noPoint = new Uint8Array([0x02, ...toBigEndian32(x)]);
    expectCryptoError(() => parsePublicKey(`p256:${toBase64Url(noPoint)}`), 'MALFORMED_KEY');
  });

  it('normalises an uncompressed P-256 key to its 33-byte compressed form', () => {
    const pair = generateKeyPair('p256');
    const uncompressed = p256.Point.fromBytes(pair.publicKey.bytes).toBytes(false);
    expect(parsePublicKey(`p256:${toBase64Url(uncompressed)}`)).toEqual(pair.publicKey);
  });
});

describe('parseSignature', () => {
  const signature = sign(generateKeyPair('ed25519').privateKey, new Uint8Array([9]));

  it.each([63, 65, 0])('rejects a %i-byte signature with MALFORMED_SIGNATURE', (length) => {
    const bytes = new Uint8Array(length).fill(7);
    const err = expectCryptoError(() => parseSignature(`ed25519:${toBase64Url(bytes)}`), 'MALFORMED_SIGNATURE');
    expect(err.details).toMatchObject({ expected: 64, actual: length });
  });

  it('rejects bad base64url and unknown algorithms', () => {
    expectCryptoError(() => parseSignature(`ed25519:${toBase64Url(signature.bytes)}==`), 'MALFORMED_SIGNATURE');
    expectCryptoError(() => parseSignature(toBase64Url(signature.bytes)), 'MALFORMED_SIGNATURE');
    expectCryptoError(() => parseSignature(`secp256k1:${toBase64Url(signature.bytes)}`), 'UNSUPPORTED_ALGORITHM');
  });
});

describe('verification rules', () => {
  const message = new TextEncoder().encode('provenant rule-set test');

  it('throws ALGORITHM_MISMATCH when the signature algorithm differs from the key', () => {
    const edPair = generateKeyPair('ed25519');
    const pPair = generateKeyPair('p256');
    const edSignature = sign(edPair.privateKey, message);
    const err = expectCryptoError(() => verifySignature(pPair.publicKey, message, edSignature), 'ALGORITHM_MISMATCH');
    expect(err.details).toEqual({ expected: 'p256', actual: 'ed25519' });
    expectCryptoError(() => verifySignature(edPair.publicKey, message, { alg: 'p256', bytes: edSignature.bytes }), 'ALGORITHM_MISMATCH');
  });

  it('P-256 accepts both the low-S and the high-S form (s and n - s) of a signature', () => {
    const pair = generateKeyPair('p256');
    const signature = sign(pair.privateKey, message);
    const r = signature.bytes.subarray(0, 32);
    const s = bigEndian(signature.bytes.subarray(32));
    const flipped: Signature = { alg: 'p256', bytes: new Uint8Array([...r, ...toBigEndian32(P256_N - s)]) };
    const forms = [signature, flipped];
    // Exactly one of the two is high-S, so both rules are exercised.
    expect(forms.filter((f) => bigEndian(f.bytes.subarray(32)) > P256_N / 2n)).toHaveLength(1);
    for (const form of forms) {
      expect(verifySignature(pair.publicKey, message, form)).toBe(true);
      expect(verifyRaw('p256', pair.publicKey.bytes, message, form.bytes)).toBe(true);
      expect(verifyFast('p256', pair.publicKey.bytes, message, form.bytes)).toBe(true);
    }
  });

  it('Ed25519 rejects S + L (strict RFC 8032 §5.1.7: S must be below L)', () => {
    const pair = generateKeyPair('ed25519');
    const signature = sign(pair.privateKey, message);
    const s = littleEndian(signature.bytes.subarray(32));
    const malleated = new Uint8Array([...signature.bytes.subarray(0, 32), ...toLittleEndian32(s + ED25519_L)]);
    // A lenient verifier reduces S mod L and would accept this; ours must not.
    expect(verifySignature(pair.publicKey, message, signature)).toBe(true);
    expect(verifySignature(pair.publicKey, message, { alg: 'ed25519', bytes: malleated })).toBe(false);
    expect(verifyRaw('ed25519', pair.publicKey.bytes, message, malleated)).toBe(false);
    expect(verifyFast('ed25519', pair.publicKey.bytes, message, malleated)).toBe(false);
  });

  it('rejects a signature by another key of the same algorithm', () => {
    for (const alg of KEY_ALGORITHMS) {
      const signature = sign(generateKeyPair(alg).privateKey, message);
      expect(verifySignature(generateKeyPair(alg).publicKey, message, signature)).toBe(false);
    }
  });

  it('verifyRaw and verifyFast never throw on garbage, they return false', () => {
    for (const alg of KEY_ALGORITHMS) {
      for (const key of [new Uint8Array(0), new Uint8Array(32), new Uint8Array(33), new Uint8Array(65).fill(4)]) {
        expect(verifyRaw(alg, key, message, new Uint8Array(64))).toBe(false);
        expect(verifyFast(alg, key, message, new Uint8Array(64))).toBe(false);
      }
    }
  });
});

describe('taggedHash', () => {
  it('gives a different digest for each tag over the same data', () => {
    const data = new TextEncoder().encode('same data');
    const digests = Object.values(HashTag).map((tag) => toHex(taggedHash(tag, data)));
    expect(new Set(digests).size).toBe(Object.values(HashTag).length);
  });

  it('is SHA-256(tag || 0x00 || data)', async () => {
    const { createHash } = await import('node:crypto');
    const data = new Uint8Array([1, 2, 3]);
    const expected = createHash('sha256').update(HashTag.RECORD).update(new Uint8Array([0])).update(data).digest('hex');
    expect(toHex(taggedHash(HashTag.RECORD, data))).toBe(expected);
  });
});

describe('sign/verify properties', () => {
  const pairs: Record<KeyAlgorithm, ReturnType<typeof generateKeyPair>> = {
    ed25519: generateKeyPair('ed25519'),
    p256: generateKeyPair('p256'),
  };

  it.each(KEY_ALGORITHMS)('%s: a signature verifies, and fails once any message bit is flipped', (alg) => {
    const { privateKey, publicKey } = pairs[alg];
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 256 }), fc.nat(), (message, bitSeed) => {
        const signature = sign(privateKey, message);
        expect(verifySignature(publicKey, message, signature)).toBe(true);
        expect(verifyRaw(alg, publicKey.bytes, message, signature.bytes)).toBe(true);
        const bit = bitSeed % (message.length * 8);
        const tampered = Uint8Array.from(message);
        tampered[bit >> 3] = tampered[bit >> 3]! ^ (1 << (bit & 7));
        expect(verifySignature(publicKey, tampered, signature)).toBe(false);
        expect(verifyRaw(alg, publicKey.bytes, tampered, signature.bytes)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it.each(KEY_ALGORITHMS)('%s: a flipped signature bit fails', (alg) => {
    const { privateKey, publicKey } = pairs[alg];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 511 }), (message, bit) => {
        const signature = sign(privateKey, message);
        const tampered = Uint8Array.from(signature.bytes);
        tampered[bit >> 3] = tampered[bit >> 3]! ^ (1 << (bit & 7));
        expect(verifySignature(publicKey, message, { alg, bytes: tampered })).toBe(false);
        expect(verifyRaw(alg, publicKey.bytes, message, tampered)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });
});

/**
 * Ed25519 cases Wycheproof lacks, where OpenSSL (cofactorless) and noble (cofactored, rejects
 * small-order keys) used to disagree. verifyRaw is the rule; verifyFast must give the same verdict.
 */
describe('verifyFast agrees with verifyRaw on crafted Ed25519 torsion cases', () => {
  const B = ed25519.Point.BASE;
  const torsion = ED25519_TORSION_SUBGROUP.map((hex) => ed25519.Point.fromHex(hex));
  const order8 = torsion.filter((t) => !t.multiply(4n).is0()); // the four points of order exactly 8
  const message = new TextEncoder().encode('torsion');
  const challenge = (R: Uint8Array, A: Uint8Array): bigint => littleEndian(sha512(concatBytes(R, A, message))) % ED25519_L;
  const bothVerdicts = (A: Uint8Array, sig: Uint8Array): [boolean, boolean] => [
    verifyRaw('ed25519', A, message, sig),
    verifyFast('ed25519', A, message, sig),
  ];

  it('small-order key with identity R and S = 0: rejected by both (it "verifies" any message cofactorlessly)', () => {
    for (const T of torsion) {
      const A = T.toBytes();
      expect(bothVerdicts(A, concatBytes(ed25519.Point.ZERO.toBytes(), new Uint8Array(32)))).toEqual([false, false]);
      expect(bothVerdicts(A, concatBytes(A, new Uint8Array(32)))).toEqual([false, false]);
    }
  });

  it('honest key, R with a small-order component: accepted by both (cofactored equation holds)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: ED25519_L - 1n }), fc.bigInt({ min: 1n, max: ED25519_L - 1n }), fc.constantFrom(...order8), (a, r, T) => {
        const A = B.multiply(a).toBytes();
        const R = B.multiply(r).add(T).toBytes();
        const S = (r + challenge(R, A) * a) % ED25519_L;
        expect(bothVerdicts(A, concatBytes(R, toLittleEndian32(S)))).toEqual([true, true]);
      }),
      { numRuns: 30 },
    );
  });

  it('mixed-order key (aB + T): both give the same verdict for every challenge residue', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: ED25519_L - 1n }), fc.bigInt({ min: 1n, max: ED25519_L - 1n }), fc.constantFrom(...order8), (a, r, T) => {
        const A = B.multiply(a).add(T).toBytes();
        const R = B.multiply(r).toBytes();
        const S = (r + challenge(R, A) * a) % ED25519_L;
        const [reference, fast] = bothVerdicts(A, concatBytes(R, toLittleEndian32(S)));
        expect(reference).toBe(true);
        expect(fast).toBe(reference);
      }),
      { numRuns: 30 },
    );
  });

  it('a wrong S is still rejected by both on torsion inputs', () => {
    const a = 0x1234n;
    const A = B.multiply(a).add(order8[0]!).toBytes();
    const R = B.multiply(0x5678n).add(order8[1]!).toBytes();
    const S = (0x5678n + challenge(R, A) * a + 1n) % ED25519_L;
    expect(bothVerdicts(A, concatBytes(R, toLittleEndian32(S)))).toEqual([false, false]);
  });
});

describe('Ed25519 signing through OpenSSL', () => {
  it('produces exactly the bytes of the noble reference (RFC 8032 signatures are deterministic)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), (seed, message) => {
        const fast = sign({ alg: 'ed25519', bytes: seed }, message);
        expect(toHex(fast.bytes)).toBe(toHex(ed25519.sign(message, seed)));
      }),
      { numRuns: 200 },
    );
  });

  it('reproduces RFC 8032 §7.1 TEST 2', () => {
    const seed = fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', 32);
    const signature = sign({ alg: 'ed25519', bytes: seed }, fromHex('72', 1));
    expect(toHex(signature.bytes)).toBe(
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
    );
  });
});
