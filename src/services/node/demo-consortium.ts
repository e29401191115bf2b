/**
 * The demo consortium: a UK red-meat and cargo chain with four authorities (FSA, HMRC, a retailer
 * and a port). Keys are generated fresh and kept in the node's keystore; nothing secret is fixed here.
 */
import { encodePublicKey, generateKeyPair, type KeyPair } from '../../core/crypto/index.js';
import type { GenesisSpec } from '../../core/ledger/consortium.js';
import type { OrgSpec, Role } from '../../core/ledger/governance.js';

export const DEMO_CONSORTIUM_ID = 'uk-red-meat';

interface DemoOrg {
  id: string;
  name: string;
  roles: Role[];
  identifiers: OrgSpec['identifiers'];
  authority?: boolean;
}

export const DEMO_ORGS: readonly DemoOrg[] = [
  { id: 'fsa', name: 'Food Standards Agency', roles: ['REGULATOR'], identifiers: {}, authority: true },
  { id: 'hmrc', name: 'HMRC Border Force', roles: ['CUSTOMS'], identifiers: { eori: ['GB000000000000'] }, authority: true },
  { id: 'riverside-retail', name: 'Riverside Retail', roles: ['RETAILER'], identifiers: { gln: ['5012345000009'] }, authority: true },
  { id: 'port-felixstowe', name: 'Port of Felixstowe', roles: ['PORT'], identifiers: { unlocode: ['GBFXT'] }, authority: true },
  { id: 'highfield-farm', name: 'Highfield Farm', roles: ['FARM'], identifiers: { cph: ['12/345/6789'] } },
  { id: 'meadow-farm', name: 'Meadow Farm', roles: ['FARM'], identifiers: { cph: ['23/456/7890'] } },
  { id: 'northern-abattoir', name: 'Northern Abattoir Ltd', roles: ['ABATTOIR'], identifiers: { fsaApproval: ['1234'] } },
  { id: 'vale-processors', name: 'Vale Processors', roles: ['PROCESSOR'], identifiers: { gln: ['5098765000008'] } },
  { id: 'swift-haulage', name: 'Swift Haulage', roles: ['HAULIER'], identifiers: {} },
  { id: 'oceanic-line', name: 'Oceanic Line', roles: ['CARRIER'], identifiers: { eori: ['GB123456789000'] } },
];

/**
 * Further public bodies that seal in larger networks (`provenant network init --orgs 5` to 7): the
 * single-node demo keeps its four authorities.
 */
export const NETWORK_EXTRA_AUTHORITIES: readonly DemoOrg[] = [
  { id: 'apha', name: 'Animal and Plant Health Agency', roles: ['REGULATOR'], identifiers: {}, authority: true },
  { id: 'food-standards-scotland', name: 'Food Standards Scotland', roles: ['REGULATOR'], identifiers: {}, authority: true },
  { id: 'port-southampton', name: 'Port of Southampton', roles: ['PORT'], identifiers: { unlocode: ['GBSOU'] }, authority: true },
];

export interface DemoConsortium {
  spec: GenesisSpec;
  /** Organisation id -> its signing key. */
  orgKeys: Map<string, KeyPair>;
  authorityKeys: KeyPair[];
}

export function buildDemoConsortium(consortiumId = DEMO_CONSORTIUM_ID): DemoConsortium {
  const orgKeys = new Map(DEMO_ORGS.map((o) => [o.id, generateKeyPair('ed25519')]));
  const members: OrgSpec[] = DEMO_ORGS.map((o) => ({
    id: o.id,
    name: o.name,
    roles: o.roles,
    keys: [encodePublicKey(orgKeys.get(o.id)!.publicKey)],
    identifiers: o.identifiers,
  }));
  const authorities = DEMO_ORGS.filter((o) => o.authority).map((o) => ({ orgId: o.id, keyId: orgKeys.get(o.id)!.keyId }));
  return {
    // New demo consortia commit to the identifier index map from their first block (a genesis setting).
    spec: { consortiumId, name: 'UK red meat and cargo (demo)', members, authorities, indexCommitment: true },
    orgKeys,
    authorityKeys: authorities.map((a) => orgKeys.get(a.orgId)!),
  };
}
