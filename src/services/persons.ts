/**
 * Personal data off-chain (UK GDPR), behind salted commitments on the chain. A member registers
 * people in its own consortium; the registering organisation and the consortium's regulators read
 * them (reads by a regulator go into the registering organisation's access log); only the
 * registering organisation erases, by a signed `privacy.erasure` record.
 */
import { RecordKind, assertRecordShape, recordHash } from '../core/ledger/record.js';
import { assertPersonalData, commitPersonalData, isCommitment } from '../core/privacy/commitment.js';
import { parseErasurePayload } from '../core/privacy/erasure.js';
import { PersonStore, type PersonRow } from '../store/person-store.js';
import { WriteBatch } from '../store/write-batch.js';
import { isActiveMember, viewerOfCaller, type Caller } from './callers.js';
import type { NodeHandles } from './node-handles.js';
import type { AccessRecorder } from './access-recorder.js';
import { ReadError } from './read-errors.js';
import { decideRead } from './read-policy.js';

export interface PersonView {
  personRef: string;
  consortium: string;
  orgId: string;
  data: unknown;
  createdAt: string;
}

export class PersonService {
  readonly #persons: PersonStore;

  constructor(private readonly handles: NodeHandles) {
    this.#persons = new PersonStore(handles.db);
  }

  /** Registers a person for the caller's organisation; the salt stays here (a copy handed out could not be erased). */
  async register(caller: Caller, consortiumId: string, data: unknown): Promise<{ personRef: string; consortium: string }> {
    if (caller.orgId === null) throw new ReadError('UNAUTHENTICATED', 'registering a person needs the registering organisation (credentials or Provenant-Org)');
    const ownConsortium = caller.kind === 'open' || caller.consortiumId === consortiumId;
    if (!ownConsortium || !isActiveMember(this.handles.node, consortiumId, caller.orgId)) {
      throw new ReadError('NOT_AUTHORISED', `organisation "${caller.orgId}" is not an active member of "${consortiumId}"`, { orgId: caller.orgId });
    }
    assertPersonalData(data);
    const { commitment, salt } = commitPersonalData(data);
    await this.#persons.register({ commitment, consortiumId, orgId: caller.orgId, data, salt });
    return { personRef: commitment, consortium: consortiumId };
  }

  async #lookup(ref: string): Promise<PersonRow> {
    if (!isCommitment(ref)) throw new ReadError('MALFORMED_PERSON_REF', 'person reference must be 64 lower-case hex characters', { field: 'ref' });
    const person = await this.#persons.get(ref);
    if (!person) throw new ReadError('PERSON_NOT_FOUND', `no person ${ref}`, { personRef: ref });
    return person;
  }

  /** A person's data for the registering organisation and regulators; others of the consortium are refused, anyone else is told it does not exist. */
  async read(caller: Caller, ref: string, access: AccessRecorder): Promise<PersonView> {
    const person = await this.#lookup(ref);
    if (caller.orgId !== null) {
      const viewer = viewerOfCaller(this.handles.node, caller, person.consortiumId);
      const decision = decideRead(viewer, { kind: 'person', consortiumId: person.consortiumId, id: person.commitment, ownerOrg: person.orgId });
      if (decision.visibility === 'HIDDEN') {
        if (caller.kind === 'member' && decision.reason !== 'NOT_ENTITLED') throw new ReadError('PERSON_NOT_FOUND', `no person ${person.commitment}`, { personRef: person.commitment });
        throw new ReadError('NOT_AUTHORISED', 'only the registering organisation or a regulator may read this person', { orgId: caller.orgId });
      }
      if (person.erasedAt === null) access.record(decision);
    }
    if (person.erasedAt !== null) {
      throw new ReadError('PERSON_ERASED', "this person's data was erased", { personRef: person.commitment, erasedAt: person.erasedAt, erasureRecordHash: person.erasureRecordHash });
    }
    return { personRef: person.commitment, consortium: person.consortiumId, orgId: person.orgId, data: person.data, createdAt: person.createdAt };
  }

  /** Erases data and salt with the signed erasure record, in the transaction that stores it. The signature is the credential. */
  async erase(ref: string, record: unknown): Promise<{ personRef: string; recordHash: string; erasedAt: string }> {
    const person = await this.#lookup(ref);
    if (person.erasedAt !== null) throw new ReadError('ALREADY_ERASED', "this person's data was already erased", { personRef: person.commitment, erasureRecordHash: person.erasureRecordHash });
    assertRecordShape(record);
    if (record.kind !== RecordKind.PERSONAL_DATA_ERASURE) {
      throw new ReadError('WRONG_RECORD_KIND', `expected a ${RecordKind.PERSONAL_DATA_ERASURE} record`, { expected: RecordKind.PERSONAL_DATA_ERASURE, actual: record.kind });
    }
    const payload = parseErasurePayload(record.payload);
    if (payload.commitment !== person.commitment) throw new ReadError('COMMITMENT_MISMATCH', 'the signed erasure names another person', { expected: person.commitment, actual: payload.commitment });
    if (record.consortium !== person.consortiumId) throw new ReadError('WRONG_CONSORTIUM', 'the signed erasure is for another consortium', { expected: person.consortiumId, actual: record.consortium });
    const erasedAt = new Date().toISOString();
    let erased = 0;
    const writes = new WriteBatch();
    PersonStore.eraseInBatch(writes, person.commitment, recordHash(record), erasedAt, (count) => (erased += count));
    const [outcome] = await this.handles.node.submit(person.consortiumId, [record], {
      signerOrg: { orgId: person.orgId, message: `only "${person.orgId}", which registered this person, may erase it` },
      writes: [writes],
    });
    if (!outcome || outcome.status === 'rejected') {
      const error = outcome?.status === 'rejected' ? outcome.error : { code: 'REJECTED', message: 'erasure record was not accepted', details: undefined };
      throw new ReadError(error.code, error.message, error.details ?? {});
    }
    if (outcome.status !== 'accepted' || erased === 0) throw new ReadError('ALREADY_ERASED', 'this erasure record is already on the ledger', { recordHash: outcome.recordHash });
    return { personRef: person.commitment, recordHash: outcome.recordHash, erasedAt };
  }
}
