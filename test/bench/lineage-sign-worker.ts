/**
 * Worker for the lineage benchmark's generator: signs event records with the organisation keys and
 * derives what capture would derive from each event (event hash ID, lineage index rows), so the
 * main thread only admits, checks roles and custody, and writes.
 */
import { parentPort } from 'node:worker_threads';
import { HashTag, encodeSignature, parsePrivateKey, sign, signingMessage, toHex, type JsonValue, type PrivateKey } from '../../src/core/crypto/index.js';
import { RECORD_VERSION, RecordKind, recordHashBytes, type RecordBody } from '../../src/core/ledger/record.js';
import { eventHashId } from '../../src/core/epcis/event-hash.js';
import { identifierRowsOf } from '../../src/services/capture/capture-service.js';
import { createEpcisValidator } from '../../src/platform/epcis-schemas.js';

export interface SignInit {
  type: 'init';
  consortium: string;
  context: unknown;
  /** Per signer index: encoded private key and key id. */
  keys: { privateKey: string; keyId: string }[];
}

export interface SignItem {
  signer: number;
  signedAt: string;
  event: Record<string, unknown>;
  /** Validate the event against the EPCIS 2.0 schema and rules (a sample, to keep the build fast). */
  validate?: boolean;
}

export interface SignRequest {
  type: 'sign';
  id: number;
  items: SignItem[];
}

export interface SignedItem {
  signature: string;
  hash: string;
  eventId: string;
  /** [canonical identifier, role] pairs exactly as capture indexes them. */
  ids: [string, string][];
}

export type SignResponse = { id: number; results: SignedItem[] } | { id: number; error: string };

let consortium = '';
let context: unknown;
let keys: { privateKey: PrivateKey; keyId: string }[] = [];
let validator: ReturnType<typeof createEpcisValidator> | undefined;

function signOne(item: SignItem): SignedItem {
  const key = keys[item.signer]!;
  const body: RecordBody = { v: RECORD_VERSION, consortium, kind: RecordKind.EPCIS_EVENT, payload: { event: item.event } as unknown as JsonValue, signer: key.keyId, signedAt: item.signedAt };
  const digest = recordHashBytes(body);
  const signature = encodeSignature(sign(key.privateKey, signingMessage(HashTag.RECORD, digest)));
  const eventId = eventHashId(item.event, context);
  const ids = identifierRowsOf(item.event, eventId, String(item.event['eventTime'])).map((r): [string, string] => [r.identifier, r.role]);
  if (item.validate) {
    validator ??= createEpcisValidator({ withRules: true });
    const result = validator.validateDocument({ '@context': context, type: 'EPCISDocument', schemaVersion: '2.0', creationDate: item.signedAt, epcisBody: { eventList: [item.event] } });
    if (!result.ok) throw new Error(`generated event is not valid EPCIS 2.0: ${JSON.stringify(result.errors.slice(0, 3))} in ${JSON.stringify(item.event).slice(0, 400)}`);
  }
  return { signature, hash: toHex(digest), eventId, ids };
}

parentPort!.on('message', (msg: SignInit | SignRequest) => {
  if (msg.type === 'init') {
    consortium = msg.consortium;
    context = msg.context;
    keys = msg.keys.map((k) => ({ privateKey: parsePrivateKey(k.privateKey), keyId: k.keyId }));
    return;
  }
  try {
    parentPort!.postMessage({ id: msg.id, results: msg.items.map(signOne) } satisfies SignResponse);
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: (err as Error).message } satisfies SignResponse);
  }
});
