/** How a node lists the authority nodes it sees sealing in the ordering log. */
import { describe, expect, it } from 'vitest';
import type { DerivationOutput } from '../../../src/core/ledger/derivation/types.js';
import type { SealMessage } from '../../../src/core/ledger/ordering-message.js';
import { ConsortiumState, createGenesisBlock } from '../../../src/core/ledger/consortium.js';
import { formatTimestamp } from '../../../src/core/ledger/record.js';
import { ChainPeers, peersOf } from '../../../src/services/node/chain-peers.js';
import { buildDemoConsortium } from '../../../src/services/node/demo-consortium.js';

const sealBy = (keyId: string, height: number) => ({ kind: 'seal', consortium: 'c', header: { height }, seal: { keyId } }) as unknown as SealMessage;
const at = (sequence: number) => ({ sequence, timestamp: `2026-12-07T10:00:0${sequence}.000Z` });
const ignoredAt = (sequence: number): DerivationOutput[] => [{ type: 'ignored', sequence, reason: 'SEAL_BAD_SIGNATURE', detail: 'forged' }];

describe('ChainPeers', () => {
  it("keeps each key's highest valid seal with the log entry and log time that carried it", () => {
    const peers = new ChainPeers();
    peers.seal(sealBy('b', 1), at(3), new Set(['a', 'b']), []);
    peers.seal(sealBy('a', 1), at(4), new Set(['a', 'b']), []);
    peers.seal(sealBy('a', 2), at(7), new Set(['a']), []);
    // A late seal for a lower height does not move a key back.
    peers.seal(sealBy('a', 1), at(8), new Set(['a', 'b']), []);
    expect(peers.list()).toEqual([
      { keyId: 'a', lastSealedHeight: 2, lastSequence: 7, lastSeenAt: at(7).timestamp },
      { keyId: 'b', lastSealedHeight: 1, lastSequence: 3, lastSeenAt: at(3).timestamp },
    ]);
  });

  it('ignores seals the deriver did not accept: unknown keys, and forged copies naming a key that sealed validly', () => {
    const peers = new ChainPeers();
    peers.seal(sealBy('x', 1), at(1), new Set(), []);
    expect(peers.list()).toEqual([]);
    peers.seal(sealBy('a', 1), at(2), new Set(['a']), []);
    peers.seal(sealBy('a', 1), at(5), new Set(['a']), ignoredAt(5));
    expect(peers.list()).toEqual([{ keyId: 'a', lastSealedHeight: 1, lastSequence: 2, lastSeenAt: at(2).timestamp }]);
  });
});

describe('peersOf', () => {
  it('lists every authority in force, by key id, null where no seal was seen, and keys no longer in force that sealed', () => {
    const demo = buildDemoConsortium('peer-view');
    const state = ConsortiumState.fromGenesis(createGenesisBlock(demo.spec, demo.authorityKeys, formatTimestamp(new Date())));
    const [first, second] = state.authoritiesInForce;
    const seen = [
      { keyId: first!.keyId, lastSealedHeight: 4, lastSequence: 9, lastSeenAt: at(9).timestamp },
      { keyId: 'f'.repeat(64), lastSealedHeight: 2, lastSequence: 5, lastSeenAt: at(5).timestamp },
    ];
    const view = peersOf(state, seen, new Set([second!.keyId]));
    expect(view.map((p) => p.keyId)).toEqual([...state.authoritiesInForce.map((a) => a.keyId), 'f'.repeat(64)].sort());
    expect(view.find((p) => p.keyId === first!.keyId)).toEqual({ keyId: first!.keyId, orgId: first!.orgId, local: false, inForce: true, lastSealedHeight: 4, lastSequence: 9, lastSeenAt: at(9).timestamp });
    expect(view.find((p) => p.keyId === second!.keyId)).toEqual({ keyId: second!.keyId, orgId: second!.orgId, local: true, inForce: true, lastSealedHeight: null, lastSequence: null, lastSeenAt: null });
    expect(view.find((p) => p.keyId === 'f'.repeat(64))).toMatchObject({ orgId: null, inForce: false, lastSealedHeight: 2 });
  });
});
