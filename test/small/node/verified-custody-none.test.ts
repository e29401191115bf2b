import { describe, expect, it } from 'vitest';
import { VerifiedCustody } from '../../../src/services/capture/verified-custody.js';
import type { ConsortiumState } from '../../../src/core/ledger/consortium.js';
import type { Database } from '../../../src/store/database.js';
import type { LedgerNode } from '../../../src/services/node/ledger-node.js';

describe('VerifiedCustody for a group whose events move no custody', () => {
  it('answers without reading the index, the pending records or the store', async () => {
    const untouchable = new Proxy(
      {},
      {
        get(_, name) {
          throw new Error(`read ${String(name)}`);
        },
      },
    );
    const custody = new VerifiedCustody(untouchable as LedgerNode, untouchable as Database, 'c1');
    expect(await custody.of([], untouchable as ConsortiumState)).toEqual({ custody: new Map(), unverified: new Map() });
  });
});
