/**
 * Token-authenticated capture (docs/design/capture-submission.md, "Unsigned capture with an API
 * token"): a stock EPCIS client sends a plain EPCISDocument with its organisation's API token, and
 * the node signs each event with that organisation's key, from its own keystore. Only a node that
 * hosts the organisation (holds one of its active keys) can: any other refuses, and the records
 * show which key signed, as every record does.
 */
import type { KeyPair } from '../../core/crypto/index.js';
import { CaptureError } from '../../core/capture/errors.js';
import { commitDocumentFields } from '../../core/capture/openings.js';
import { documentFieldsOf, documentEventList, type CaptureEnvelope, type JsonObject } from '../../core/capture/envelope.js';
import type { ConsortiumState } from '../../core/ledger/consortium.js';
import { RecordKind, formatTimestamp, signRecord } from '../../core/ledger/record.js';
import { EPCIS_EVENT_FORMAT, epcisEventPayload } from '../../core/ledger/records/epcis-event.js';
import type { JsonValue } from '../../core/crypto/index.js';
import type { Keystore } from '../node/keystore.js';

/** An active key of the organisation that this node's keystore holds (the first by label), if any. */
export function hostedOrgKey(keystore: Keystore, state: ConsortiumState, orgId: string): KeyPair | undefined {
  for (const stored of keystore.list()) {
    const entry = state.keys.get(stored.keyPair.keyId);
    if (entry && entry.orgId === orgId && entry.status === 'active') return stored.keyPair;
  }
  return undefined;
}

/** Refuses clearly when the node holds no key of the organisation, or the organisation is not an active member. */
export function requireHostedKey(keystore: Keystore | undefined, state: ConsortiumState, consortium: string, orgId: string): KeyPair {
  const org = state.orgs.get(orgId);
  if (!org || org.status !== 'active') throw new CaptureError('NOT_AUTHORISED', `organisation "${orgId}" is not an active member of ${consortium}`, { orgId, consortium });
  const key = keystore ? hostedOrgKey(keystore, state, orgId) : undefined;
  if (!key) {
    throw new CaptureError(
      'NO_HOSTED_KEY',
      `this node holds no key of organisation "${orgId}", so it cannot sign for it: capture at your organisation's own node, or sign the events yourself (provenant sign, or the Provenant-Signatures headers)`,
      { orgId, consortium },
    );
  }
  return key;
}

/**
 * The document's events signed with the hosted key (payload format 2), as the envelope a member
 * would have sent; sensitive fields are committed first (format 3, docs/redaction.md), their
 * openings sent along for the node to keep off-chain.
 */
export function signAsHost(clear: JsonObject, consortium: string, key: KeyPair, now: Date = new Date()): CaptureEnvelope {
  const { document, openings } = commitDocumentFields(clear);
  const signedAt = formatTimestamp(now);
  const fields = documentFieldsOf(document);
  const signatures = documentEventList(document).map(
    (event) => signRecord({ consortium, kind: RecordKind.EPCIS_EVENT, payload: epcisEventPayload(event, EPCIS_EVENT_FORMAT, fields) as JsonValue, signedAt }, key).signature,
  );
  return { consortium, signer: key.keyId, signedAt, signatures, document, payloadFormat: EPCIS_EVENT_FORMAT, ...(openings.length > 0 ? { openings } : {}) };
}
