/**
 * evidence.equivocation: proof that one authority key sealed two different blocks at one height.
 * The payload is the two signed headers as their seal messages carried them; anyone can check it
 * from the payload and the chain's authority history alone: same consortium and height, different
 * block hashes, one key, an authority in force at that height, and both seals verify. Any
 * organisation may post it; it changes no membership (governance acts on it by proposal).
 */
import { assertHeaderShape, blockHash, type BlockHeader } from '../block.js';
import { isValidSignedHeader, type SignedHeader } from '../derivation/signed-messages.js';
import { LedgerError } from '../errors.js';
import { isPlainObject } from '../membership.js';
import { isHash } from '../record.js';
import type { AdmissionState } from '../state-types.js';
import { requireOrgSigner, type RecordKindModule } from './kind.js';
import { RecordKind } from './kinds.js';

export interface EquivocationPayload {
  first: SignedHeader;
  second: SignedHeader;
}

/** The part of the state the check reads: the authority set in force at a height. */
type AuthorityHistory = Pick<AdmissionState, 'authoritySetAtHeight'>;

function invalid(message: string, details: Record<string, unknown> = {}): LedgerError {
  return new LedgerError('INVALID_EVIDENCE', `invalid equivocation evidence: ${message}`, details);
}

function parseSignedHeader(value: unknown, field: string): SignedHeader {
  if (!isPlainObject(value) || Object.keys(value).length !== 2 || !('header' in value) || !('seal' in value)) throw invalid(`${field} must be exactly { header, seal }`, { field });
  try {
    assertHeaderShape(value.header);
  } catch (err) {
    throw invalid(`${field}.header: ${(err as Error).message}`, { field: `${field}.header` });
  }
  const seal = value.seal;
  if (!isPlainObject(seal) || Object.keys(seal).length !== 2 || !isHash(seal.keyId) || typeof seal.signature !== 'string') {
    throw invalid(`${field}.seal must be exactly { keyId, signature }`, { field: `${field}.seal` });
  }
  return { header: value.header as BlockHeader, seal: { keyId: seal.keyId, signature: seal.signature } };
}

export function parseEquivocationPayload(value: unknown): EquivocationPayload {
  if (!isPlainObject(value) || Object.keys(value).length !== 2) throw invalid('payload must be exactly { first, second }');
  return { first: parseSignedHeader(value.first, 'first'), second: parseSignedHeader(value.second, 'second') };
}

/** Throws INVALID_EVIDENCE unless the payload proves equivocation in this consortium; returns the authority's org. */
export function checkEquivocation(consortium: string, payload: EquivocationPayload, history: AuthorityHistory): { height: number; keyId: string; orgId: string } {
  const { first, second } = payload;
  if (first.header.consortium !== consortium || second.header.consortium !== consortium) throw invalid(`both headers must be of consortium "${consortium}"`);
  const height = first.header.height;
  if (second.header.height !== height) throw invalid(`the headers are of heights ${height} and ${second.header.height}`, { expected: height, computed: second.header.height });
  if (blockHash(first.header) === blockHash(second.header)) throw invalid('both seals are on the same block');
  const keyId = first.seal.keyId;
  if (second.seal.keyId !== keyId) throw invalid('the seals are by different keys', { keyIds: [keyId, second.seal.keyId] });
  if (height < 1) throw invalid('block 0 is sealed at genesis, not by a derived block', { height });
  const authority = history.authoritySetAtHeight(height)?.authorities.find((a) => a.keyId === keyId);
  if (!authority) throw invalid(`key ${keyId.slice(0, 16)} was not an authority in force at height ${height}`, { keyId, height });
  for (const [field, signed] of [['first', first], ['second', second]] as const) {
    if (!isValidSignedHeader(signed, authority.publicKey)) throw invalid(`the ${field} seal does not verify over its header`, { field, keyId });
  }
  return { height, keyId, orgId: authority.orgId };
}

export const equivocationRecord: RecordKindModule<EquivocationPayload> = {
  kind: RecordKind.EQUIVOCATION_EVIDENCE,
  payload: { version: 1, parse: parseEquivocationPayload },
  signers: 'organisation',
  changesMembership: false,
  admit(state: AdmissionState, record, { signer }) {
    requireOrgSigner(record.kind, signer);
    const proved = checkEquivocation(state.id, parseEquivocationPayload(record.payload), state);
    return [`equivocation by ${proved.orgId} (key ${proved.keyId.slice(0, 12)}) at height ${proved.height}`];
  },
};
