import { describe, expect, it } from 'vitest';
import type { BlockHeader } from '../../../src/core/ledger/block.js';
import { verifyChain } from '../../../src/core/ledger/chain-verifier.js';
import { MemoryIndexMap, recordAdditions } from '../../../src/core/ledger/index-map/index.js';
import { RecordKind } from '../../../src/core/ledger/record.js';
import { DemoChain } from '../ledger/demo-consortium.js';

/** A chain whose blocks after genesis are version 2, each committing to `rootOf(the honest root, height)`. */
function chainWithRoots(rootOf: (honest: string, height: number) => string) {
  const demo = new DemoChain();
  const map = new MemoryIndexMap();
  for (let b = 0; b < 3; b++) {
    for (let i = 0; i < 3; i++) {
      const epc = `urn:epc:id:sgtin:5012345.000001.B${b}-${i % 2}`;
      demo.submit(demo.sign('green-farm', RecordKind.EPCIS_EVENT, { event: { type: 'ObjectEvent', action: 'OBSERVE', epcList: [epc], readPoint: { id: 'urn:epc:id:sgln:5012345.00001.0' } } }));
    }
    const pending = (demo as unknown as { pending: { record: never; hash: string; logIndex: number }[] }).pending;
    map.apply(pending.flatMap((p) => recordAdditions(p.record, p.hash, p.logIndex)));
    const honest = map.rootHex();
    demo.seal(undefined, (h): BlockHeader => ({ ...h, v: 2, indexRoot: rootOf(honest, h.height) }));
  }
  return demo;
}

describe('provenant verify replays the index map', () => {
  it('version-2 blocks committing to the replayed root verify', async () => {
    const report = await verifyChain(chainWithRoots((honest) => honest).blocks);
    expect(report.failures).toEqual([]);
  });

  it('a block committing to another root is INDEX_ROOT_MISMATCH at its height, with both roots', async () => {
    const forged = 'ab'.repeat(32);
    const report = await verifyChain(chainWithRoots((honest, height) => (height === 2 ? forged : honest)).blocks);
    expect(report.failures.map((f) => [f.code, f.height])).toEqual([['INDEX_ROOT_MISMATCH', 2]]);
    expect(report.failures[0]!.expected).toBe(forged);
  });
});
