/**
 * Wycheproof (C2SP) verification vectors for our rule set:
 * - Ed25519, strict RFC 8032: 'valid' must verify, 'invalid' must not.
 * - ECDSA P-256/SHA-256, IEEE P1363 r||s, low and high S both accepted: same.
 * 'acceptable' vectors (neither file has any today) would be rejected: both rules are strict, and
 * no flag in either file names a leniency we adopt. ACCEPTED_ACCEPTABLE_FLAGS lists any we would.
 * verifyFast (OpenSSL) must give exactly verifyRaw's (noble) verdict on every vector.
 */
import fs from 'node:fs';
import path from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import { describe, expect, it } from 'vitest';
import { fromHex, verifyFast, verifyRaw, type KeyAlgorithm } from '../../../src/core/crypto/index.js';
import { WYCHEPROOF_DIR } from '../../vectors/index.js';

interface WycheproofTest {
  tcId: number;
  comment: string;
  flags: string[];
  msg: string;
  sig: string;
  result: 'valid' | 'invalid' | 'acceptable';
}
interface WycheproofFile {
  algorithm: string;
  numberOfTests: number;
  testGroups: { publicKey: { pk?: string; uncompressed?: string }; tests: WycheproofTest[] }[];
}

const ACCEPTED_ACCEPTABLE_FLAGS: Record<KeyAlgorithm, readonly string[]> = { ed25519: [], p256: [] };

function expectedVerdict(alg: KeyAlgorithm, test: WycheproofTest): boolean {
  if (test.result === 'acceptable') return test.flags.some((flag) => ACCEPTED_ACCEPTABLE_FLAGS[alg].includes(flag));
  return test.result === 'valid';
}

interface Case {
  name: string;
  publicKey: Uint8Array;
  test: WycheproofTest;
}

function loadCases(file: string, alg: KeyAlgorithm): { data: WycheproofFile; cases: Case[] } {
  const data = JSON.parse(fs.readFileSync(path.join(WYCHEPROOF_DIR, file), 'utf8')) as WycheproofFile;
  const cases = data.testGroups.flatMap((group) => {
    // Ed25519 groups carry the raw 32-byte key as pk; ECDSA groups the 65-byte SEC1 point as uncompressed.
    const keyHex = alg === 'ed25519' ? group.publicKey.pk : group.publicKey.uncompressed;
    if (keyHex === undefined) throw new Error(`${file}: group without a public key`);
    const publicKey = fromHex(keyHex);
    return group.tests.map((test) => ({
      name: `tcId ${test.tcId} ${test.result} [${test.flags.join(',')}] ${test.comment}`,
      publicKey,
      test,
    }));
  });
  return { data, cases };
}

const suites = [
  { alg: 'ed25519' as const, file: 'ed25519_test.json', algorithm: 'EDDSA', keyLength: 32 },
  { alg: 'p256' as const, file: 'ecdsa_secp256r1_sha256_p1363_test.json', algorithm: 'ECDSA', keyLength: 65 },
];

for (const { alg, file, algorithm, keyLength } of suites) {
  const { data, cases } = loadCases(file, alg);
  const count = (result: WycheproofTest['result']): number => cases.filter((c) => c.test.result === result).length;

  describe(`${alg}: ${file} (${cases.length} vectors: ${count('valid')} valid, ${count('invalid')} invalid, ${count('acceptable')} acceptable)`, () => {
    it('runs every vector the file declares', () => {
      expect(data.algorithm).toBe(algorithm);
      expect(cases.length).toBe(data.numberOfTests);
      expect(cases.length).toBeGreaterThan(100);
      expect(cases.every((c) => c.publicKey.length === keyLength)).toBe(true);
      // Both verdicts must be exercised, or a verifier that always says one thing could pass.
      expect(count('valid')).toBeGreaterThan(0);
      expect(count('invalid')).toBeGreaterThan(0);
    });

    it.each(cases)('$name', ({ publicKey, test }) => {
      const message = fromHex(test.msg);
      const signature = fromHex(test.sig);
      const reference = verifyRaw(alg, publicKey, message, signature);
      expect(reference, 'verifyRaw (noble)').toBe(expectedVerdict(alg, test));
      expect(verifyFast(alg, publicKey, message, signature), 'verifyFast (OpenSSL) must agree with verifyRaw').toBe(reference);
    });
  });
}

describe('P-256 keys in compressed form give the same verdicts', () => {
  it('every ECDSA vector, with the group key compressed to 33 bytes', () => {
    const { cases } = loadCases('ecdsa_secp256r1_sha256_p1363_test.json', 'p256');
    for (const { name, publicKey, test } of cases) {
      const compressed = p256.Point.fromBytes(publicKey).toBytes(true);
      const [message, signature] = [fromHex(test.msg), fromHex(test.sig)];
      expect(verifyRaw('p256', compressed, message, signature), name).toBe(expectedVerdict('p256', test));
      expect(verifyFast('p256', compressed, message, signature), name).toBe(expectedVerdict('p256', test));
    }
  });
});
