import { describe, expect, it } from 'vitest';
import { ConsortiumState, sealBlock, type VerifiableBlock } from '../../../src/core/ledger/index.js';
import { verifyBlockRange, type ServedBlock } from '../../../src/core/ledger/block-range.js';
import { parseMembershipChange } from '../../../src/core/ledger/membership.js';
import { DemoChain } from './demo-consortium.js';

/** A demo chain of 3 blocks after genesis (events, a node.endpoint change, events), as a peer would serve them. */
function servedChain(): { demo: DemoChain; genesis: ConsortiumState; served: ServedBlock[] } {
  const demo = new DemoChain();
  const genesis = ConsortiumState.fromGenesis(demo.genesis);
  demo.event('green-farm', 2);
  demo.seal();
  demo.govern(parseMembershipChange({ type: 'node.endpoint', orgId: 'fsa', url: 'https://fsa.example', ordering: { natsUser: 'fsa-node' } }));
  demo.seal();
  demo.event('acme-abattoir', 3);
  demo.seal();
  return { demo, genesis, served: demo.blocks.slice(1).map(serve) };
}

function serve(block: VerifiableBlock): ServedBlock {
  const height = block.header.height;
  return {
    header: structuredClone(block.header),
    hash: block.storedHash,
    seals: structuredClone(block.seals),
    records: block.records.map((r) => ({ record: structuredClone(r.record), hash: r.storedHash, logIndex: r.logIndex })),
    cutSequence: height * 10,
    finalSequence: height * 10 + 3,
  };
}

const headOf = (demo: DemoChain) => ({ header: demo.genesis.header, cutSequence: 0 });

describe('verifyBlockRange: final blocks a peer served, on top of the node state', () => {
  it('takes a good range and leaves the state as the chain has it', () => {
    const { demo, genesis, served } = servedChain();
    const result = verifyBlockRange(genesis, headOf(demo), served);
    expect(result.failure).toBeUndefined();
    expect(result.verified.map((b) => b.header.height)).toEqual([1, 2, 3]);
    expect(result.state.headHash).toBe(demo.state.headHash);
    expect(result.state.logSize).toBe(demo.state.logSize);
    expect(result.state.orgs.get('fsa')!.node!.url).toBe('https://fsa.example');
    expect(result.verified.map((b) => b.membershipChanged)).toEqual([false, true, false]);
    expect(result.verified[1]!.stateAfter!.orgs.get('fsa')!.node).toBeDefined();
    expect(result.verified[2]).toMatchObject({ cutSequence: 30, finalSequence: 33 });
    // The state passed in is not touched.
    expect(genesis.height).toBe(0);
    expect(genesis.orgs.get('fsa')!.node).toBeUndefined();
  });

  it('continues from a later head', () => {
    const { demo, genesis, served } = servedChain();
    const first = verifyBlockRange(genesis, headOf(demo), served.slice(0, 1));
    const rest = verifyBlockRange(first.state, { header: first.verified[0]!.header, cutSequence: 10 }, served.slice(1));
    expect(rest.failure).toBeUndefined();
    expect(rest.state.headHash).toBe(demo.state.headHash);
  });

  type Tamper = (served: ServedBlock[], demo: DemoChain) => void;
  const cases: [string, Tamper, number, string][] = [
    ['an edited record', (s) => ((s[1]!.records as { record: { payload: { change: { url: string } } } }[])[0]!.record.payload.change.url = 'https://evil.example'), 2, 'RECORD_HASH_MISMATCH'],
    ['a record left out', (s) => (s[0]!.records as unknown[]).pop(), 1, 'RECORD_COUNT_MISMATCH'],
    ['a seal left out (no quorum)', (s) => (s[2]!.seals as unknown[]).splice(0, 2), 3, 'NO_QUORUM'],
    ['a seal by a key outside the authority set', (s, demo) => (s[0]!.seals as unknown[]).push(sealBlock(s[0]!.hash as string, demo.key('acme-abattoir'))), 1, 'BAD_SEAL'],
    ['a header edited after sealing', (s) => ((s[0]!.header as { timestamp: string }).timestamp = '2099-01-01T00:00:00.000Z'), 1, 'BLOCK_HASH_MISMATCH'],
    ['blocks out of order', (s) => s.reverse(), 1, 'WRONG_HEIGHT'],
    ['a cut sequence that does not move forward', (s) => (s[1]!.cutSequence = 10), 2, 'BAD_SEQUENCE'],
    ['a log index out of place', (s) => ((s[2]!.records as { logIndex: number }[])[0]!.logIndex += 1), 3, 'LOG_INDEX_MISMATCH'],
    ['not a block', (s) => (s[1] = 'block' as unknown as ServedBlock), 2, 'MALFORMED_BLOCK'],
  ];
  it.each(cases)('stops at %s, keeping the blocks before it', (_what, tamper, height, code) => {
    const { demo, genesis, served } = servedChain();
    tamper(served, demo);
    const result = verifyBlockRange(genesis, headOf(demo), served);
    expect(result.failure).toMatchObject({ height, code });
    expect(result.verified.map((b) => b.header.height)).toEqual(Array.from({ length: height - 1 }, (_, i) => i + 1));
    expect(result.state.height).toBe(height - 1);
  });

  it('refuses a record the node already holds in a final block', () => {
    const { demo, genesis, served } = servedChain();
    const held = (served[2]!.records as { hash: string }[])[1]!.hash;
    const result = verifyBlockRange(genesis, headOf(demo), served, (h) => h === held);
    expect(result.failure).toMatchObject({ height: 3, code: 'DUPLICATE_RECORD' });
  });

  it('refuses a block whose record was re-signed by a key that is not the signer it names', () => {
    const { demo, genesis, served } = servedChain();
    const rows = served[0]!.records as { record: { signature: string } }[];
    rows[0]!.record.signature = rows[1]!.record.signature;
    const result = verifyBlockRange(genesis, headOf(demo), served);
    expect(result.failure?.height).toBe(1);
    expect(result.verified).toEqual([]);
  });
});
