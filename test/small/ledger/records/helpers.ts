/** Shared set-up for the record-kind tests: a demo consortium, a registered device, typed-error capture. */
import { expect } from 'vitest';
import { encodePublicKey, type KeyPair } from '../../../../src/core/crypto/index.js';
import { RecordKind } from '../../../../src/core/ledger/index.js';
import { DemoChain } from '../demo-consortium.js';

export { DemoChain, expectRejected } from '../demo-consortium.js';

/** A demo chain with device probe-1 registered to green-farm. */
export function withDevice(): { demo: DemoChain; device: KeyPair } {
  const demo = new DemoChain();
  const device = demo.newKey('p256');
  demo.submit(demo.sign('green-farm', RecordKind.DEVICE_REGISTER, { deviceId: 'probe-1', publicKey: encodePublicKey(device.publicKey) }));
  return { demo, device };
}

/** The code of the typed error fn throws. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toHaveProperty('code');
    return (err as { code: string }).code;
  }
  throw new Error('expected a typed error');
}
