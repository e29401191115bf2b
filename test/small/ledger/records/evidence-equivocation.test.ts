import { describe, expect, it } from 'vitest';
import { RecordKind, blockHash, sealBlock, verifyChain, type BlockHeader } from '../../../../src/core/ledger/index.js';
import { encodePublicKey, type KeyPair } from '../../../../src/core/crypto/index.js';
import { DemoChain, expectRejected } from './helpers.js';

/** Two headers of height 1 that differ, and a signed-header pair maker. */
function twoHeaders(demo: DemoChain): { a: BlockHeader; b: BlockHeader; signed: (header: BlockHeader, key: KeyPair) => { header: BlockHeader; seal: { keyId: string; signature: string } } } {
  demo.event('green-farm');
  const block = demo.seal();
  const a = block.header;
  const b = { ...a, merkleRoot: 'ab'.repeat(32) };
  return { a, b, signed: (header, key) => ({ header, seal: sealBlock(blockHash(header), key) }) };
}

describe('evidence.equivocation', () => {
  it('is admitted from any organisation when one authority key sealed two blocks at one height, and verifies in the chain', () => {
    const demo = new DemoChain();
    const { a, b, signed } = twoHeaders(demo);
    const hmrc = demo.key('hmrc');
    const result = demo.submit(demo.sign('swift-haulage', RecordKind.EQUIVOCATION_EVIDENCE, { first: signed(a, hmrc), second: signed(b, hmrc) }));
    expect(result.effects).toEqual([`equivocation by hmrc (key ${hmrc.keyId.slice(0, 12)}) at height 1`]);
    demo.seal();
    return verifyChain(demo.blocks).then((report) => expect(report.failures).toEqual([]));
  });

  it('refuses what does not prove equivocation, naming why', () => {
    const demo = new DemoChain();
    const { a, b, signed } = twoHeaders(demo);
    const hmrc = demo.key('hmrc');
    const post = (payload: unknown) => demo.sign('swift-haulage', RecordKind.EQUIVOCATION_EVIDENCE, payload);
    expectRejected(demo.state, post({ first: signed(a, hmrc), second: signed(a, hmrc) }), 'INVALID_EVIDENCE', /same block/);
    expectRejected(demo.state, post({ first: signed(a, hmrc), second: signed(b, demo.key('fsa')) }), 'INVALID_EVIDENCE', /different keys/);
    expectRejected(demo.state, post({ first: signed(a, hmrc), second: signed({ ...b, height: 2 }, hmrc) }), 'INVALID_EVIDENCE', /heights 1 and 2/);
    const abattoir = demo.key('acme-abattoir');
    expectRejected(demo.state, post({ first: signed(a, abattoir), second: signed(b, abattoir) }), 'INVALID_EVIDENCE', /not an authority in force at height 1/);
    const forged = { ...signed(b, hmrc), seal: { keyId: hmrc.keyId, signature: signed(b, demo.key('fsa')).seal.signature } };
    expectRejected(demo.state, post({ first: signed(a, hmrc), second: forged }), 'INVALID_EVIDENCE', /second seal does not verify/);
    expectRejected(demo.state, post({ first: signed({ ...a, consortium: 'other-chain' }, hmrc), second: signed({ ...b, consortium: 'other-chain' }, hmrc) }), 'INVALID_EVIDENCE', /consortium/);
    expectRejected(demo.state, post({ first: signed(a, hmrc) }), 'INVALID_EVIDENCE', /exactly \{ first, second \}/);
    expectRejected(demo.state, post({ first: signed(a, hmrc), second: { header: { ...b, extra: 1 }, seal: signed(b, hmrc).seal } }), 'INVALID_EVIDENCE', /second\.header/);
  });

  it('needs an organisation key: a device may not post it', () => {
    const demo = new DemoChain();
    const { a, b, signed } = twoHeaders(demo);
    const device = demo.newKey('p256');
    demo.submit(demo.sign('green-farm', RecordKind.DEVICE_REGISTER, { deviceId: 'probe-9', publicKey: encodePublicKey(device.publicKey) }));
    const hmrc = demo.key('hmrc');
    expectRejected(demo.state, demo.sign(device, RecordKind.EQUIVOCATION_EVIDENCE, { first: signed(a, hmrc), second: signed(b, hmrc) }), 'NOT_AUTHORISED');
  });
});
