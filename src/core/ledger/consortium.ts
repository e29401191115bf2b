/**
 * Consortium state and record admission, as one import: the state (state.ts), admission
 * (admission.ts, with each kind's rules in records/), seals (seals.ts) and block building
 * (block-build.ts). Governance changes need a quorum of authority organisations; authority-set
 * changes take effect at the next block (closeBlock).
 */
export type {
  AuthorityEntry,
  AuthoritySetSpan,
  AuthoritySetVersion,
  DeviceEntry,
  DeviceStatus,
  KeyEntry,
  KeyStatus,
  OrgEntry,
  OrgStanding,
  OrgStatus,
  ProposalEntry,
  ResolvedSigner,
} from './state-types.js';
export { hashAuthoritySet } from './state-types.js';
export { ConsortiumState, closeBlock } from './state.js';
export { admitRecord, checkSigner, currentSigner, requireActiveSigner, type AdmissionResult, type AdmitOptions, type CheckedSigner } from './admission.js';
export { assertSealQuorum, checkSeals, type SealCheck } from './seals.js';
export { authorityEntryOf, buildBlockHeader, createGenesisBlock } from './block-build.js';
export type { GenesisPayload, GenesisSpec } from './records/genesis.js';
