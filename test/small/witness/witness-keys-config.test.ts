/** PROVENANT_WITNESS_KEYS: the witnesses a node expects to cosign its checkpoints (docs/witness.md section 8). */
import { describe, expect, it } from 'vitest';
import { encodePublicKey, generateKeyPair } from '../../../src/core/crypto/index.js';
import { loadConfig } from '../../../src/platform/config.js';

describe('PROVENANT_WITNESS_KEYS', () => {
  it('unset lists none, set lists each key once, and a key that does not parse is CONFIG_INVALID', () => {
    const saved = process.env.PROVENANT_WITNESS_KEYS;
    const a = encodePublicKey(generateKeyPair('ed25519').publicKey);
    const b = encodePublicKey(generateKeyPair('p256').publicKey);
    try {
      delete process.env.PROVENANT_WITNESS_KEYS;
      expect(loadConfig({ dataDir: '/tmp/x' }).witnessKeys).toBeUndefined();
      process.env.PROVENANT_WITNESS_KEYS = ` ${a}, ${b},${a} `;
      expect(loadConfig({ dataDir: '/tmp/x' }).witnessKeys).toEqual([a, b]);
      process.env.PROVENANT_WITNESS_KEYS = `${a},ed25519:not-a-key`;
      expect(() => loadConfig({ dataDir: '/tmp/x' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    } finally {
      if (saved === undefined) delete process.env.PROVENANT_WITNESS_KEYS;
      else process.env.PROVENANT_WITNESS_KEYS = saved;
    }
  });
});
