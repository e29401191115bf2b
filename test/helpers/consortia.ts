/** Consortia the tests run on: the demo consortium (src/services/node/demo-consortium.ts) and the capture tests' one. */
import { encodePublicKey, generateKeyPair, type KeyPair } from '../../src/core/crypto/index.js';
import type { GenesisSpec } from '../../src/core/ledger/consortium.js';
import { ROLES, type OrgSpec, type Role } from '../../src/core/ledger/governance.js';
import { buildDemoConsortium, DEMO_CONSORTIUM_ID, type DemoConsortium } from '../../src/services/node/demo-consortium.js';
import type { TestNodeOptions } from './test-node.js';

/** A consortium to create on a test node: its genesis, its organisations' keys and the authorities' keys. */
export type ConsortiumFixture = DemoConsortium;

export { buildDemoConsortium, DEMO_CONSORTIUM_ID };

export const CAPTURE_TEST_CONSORTIUM = 'capture-test';

/**
 * The capture tests' consortium: 'auth' (sole authority, REGULATOR), 'omni' (every role, FSA
 * approved), 'victim' (PROCESSOR with two keys, so one can be revoked; 'victim-2' is the second)
 * and one organisation per role, named after it in lower case.
 */
export function captureTestConsortium(consortiumId = CAPTURE_TEST_CONSORTIUM): ConsortiumFixture {
  const orgKeys = new Map<string, KeyPair>();
  const key = (id: string) => {
    const k = generateKeyPair('ed25519');
    orgKeys.set(id, k);
    return encodePublicKey(k.publicKey);
  };
  const members: OrgSpec[] = [
    { id: 'auth', name: 'Authority', roles: ['REGULATOR'], keys: [key('auth')], identifiers: {} },
    { id: 'omni', name: 'Omni', roles: [...ROLES], keys: [key('omni')], identifiers: { fsaApproval: ['9999'] } },
    { id: 'victim', name: 'Victim', roles: ['PROCESSOR'], keys: [key('victim'), key('victim-2')], identifiers: {} },
    ...(['FARM', 'ABATTOIR', 'PROCESSOR', 'HAULIER', 'RETAILER', 'CUSTOMS'] as Role[]).map((role) => ({
      id: role.toLowerCase(),
      name: role,
      roles: [role],
      keys: [key(role.toLowerCase())],
      identifiers: role === 'ABATTOIR' ? { fsaApproval: ['4321'] } : {},
    })),
  ];
  const authority = orgKeys.get('auth')!;
  const spec: GenesisSpec = { consortiumId, name: 'Capture tests', members, authorities: [{ orgId: 'auth', keyId: authority.keyId }] };
  return { spec, orgKeys, authorityKeys: [authority] };
}

/**
 * Options of a node for the capture tests: the demo consortium and the capture tests' one (the
 * primary), the node's HTTP app, sealing on its timer, and an API token for the regulator 'auth'.
 */
export function captureTestNodeOptions(): TestNodeOptions {
  return { autoSeal: true, http: true, consortia: [captureTestConsortium()], primary: CAPTURE_TEST_CONSORTIUM, tokens: ['auth'] };
}
