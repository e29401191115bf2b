/**
 * Personal data off-chain (UK GDPR).
 *   POST /persons { data: { name, role?, ... }, consortium? } -> 201 { personRef }   (the commitment)
 *   GET  /persons/:ref -> { personRef, orgId, data, createdAt }   (entitled only)
 *   POST /persons/:ref/erasure <signed privacy.erasure record> -> { recordHash, erasedAt }
 *
 * Events carry `"provenant:personRef": "<commitment>"`; the chain never holds the data.
 * Access: the registering organisation and REGULATOR or CUSTOMS organisations of the consortium
 * may read a person; only the registering organisation may erase: the erasure record's signature
 * is its credential (no API token needed). Without an `authorise` hook the `Provenant-Org` header
 * names the organisation (tests, local demo), and reads without one are allowed.
 */
import express, { type Express, type Request, type RequestHandler } from 'express';
import type { AppContext } from './context.js';
import { ApiError, statusForCode } from './errors.js';
import { isActiveMember, requestConsortium, viewerOf, type AccessOptions } from './document-routes.js';
import { assertPersonalData, commitPersonalData, isCommitment } from '../../core/privacy/commitment.js';
import { parseErasurePayload } from '../../core/privacy/erasure.js';
import { PersonStore, type PersonRow } from '../../store/person-store.js';
import { RecordKind, assertRecordShape, recordHash } from '../../core/ledger/record.js';
import { WriteBatch } from '../../store/write-batch.js';

const wrap =
  (handler: (req: Request, res: express.Response) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    handler(req, res).catch(next);
  };

function canRead(ctx: AppContext, person: PersonRow, orgId: string): boolean {
  if (!isActiveMember(ctx, person.consortiumId, orgId)) return false;
  if (orgId === person.orgId) return true;
  // Same reach as src/api/auth.ts's isRegulator: FSA and customs read under their statutory powers.
  const roles = ctx.node.state(person.consortiumId).orgs.get(orgId)?.roles;
  return !!roles && (roles.has('REGULATOR') || roles.has('CUSTOMS'));
}

export function mountPrivacy(app: Express, ctx: AppContext, options: AccessOptions = {}): PersonStore {
  const persons = new PersonStore(ctx.db);
  const json = express.json({ limit: '64kb' });

  const lookup = async (ref: string): Promise<PersonRow> => {
    if (!isCommitment(ref)) throw new ApiError(400, 'MALFORMED_PERSON_REF', 'person reference must be 64 lower-case hex characters', { field: 'ref' });
    const person = await persons.get(ref);
    if (!person) throw new ApiError(404, 'PERSON_NOT_FOUND', `no person ${ref}`, { personRef: ref });
    return person;
  };

  app.post(
    '/persons',
    json,
    wrap(async (req, res) => {
      const viewer = await viewerOf(req, options.authorise);
      const body: unknown = req.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiError(400, 'MALFORMED_REQUEST', 'body must be { data: { name, ... } }');
      const { data, consortium } = body as { data?: unknown; consortium?: unknown };
      const consortiumId = requestConsortium(ctx, req, consortium);
      if (!viewer.orgId) throw new ApiError(401, 'UNAUTHENTICATED', 'registering a person needs the registering organisation (credentials or Provenant-Org)');
      if (!isActiveMember(ctx, consortiumId, viewer.orgId)) {
        throw new ApiError(403, 'NOT_AUTHORISED', `organisation "${viewer.orgId}" is not an active member of "${consortiumId}"`, { orgId: viewer.orgId });
      }
      assertPersonalData(data);
      const { commitment, salt } = commitPersonalData(data);
      await persons.register({ commitment, consortiumId, orgId: viewer.orgId, data, salt });
      // The salt stays here: handing it out would leave a copy that erasure cannot reach.
      res.status(201).json({ personRef: commitment, consortium: consortiumId });
    }),
  );

  app.get(
    '/persons/:ref',
    wrap(async (req, res) => {
      const viewer = await viewerOf(req, options.authorise);
      const person = await lookup(String(req.params.ref));
      if (viewer.orgId !== null && !canRead(ctx, person, viewer.orgId)) {
        if (viewer.enforced && !isActiveMember(ctx, person.consortiumId, viewer.orgId)) {
          throw new ApiError(404, 'PERSON_NOT_FOUND', `no person ${person.commitment}`, { personRef: person.commitment });
        }
        throw new ApiError(403, 'NOT_AUTHORISED', 'only the registering organisation, a regulator or customs may read this person', { orgId: viewer.orgId });
      }
      if (person.erasedAt !== null) {
        throw new ApiError(410, 'PERSON_ERASED', 'this person\'s data was erased', { personRef: person.commitment, erasedAt: person.erasedAt, erasureRecordHash: person.erasureRecordHash });
      }
      res.json({ personRef: person.commitment, consortium: person.consortiumId, orgId: person.orgId, data: person.data, createdAt: person.createdAt });
    }),
  );

  app.post(
    '/persons/:ref/erasure',
    json,
    wrap(async (req, res) => {
      const person = await lookup(String(req.params.ref));
      if (person.erasedAt !== null) {
        throw new ApiError(409, 'ALREADY_ERASED', 'this person\'s data was already erased', { personRef: person.commitment, erasureRecordHash: person.erasureRecordHash });
      }
      const record: unknown = req.body;
      assertRecordShape(record);
      if (record.kind !== RecordKind.PERSONAL_DATA_ERASURE) {
        throw new ApiError(400, 'WRONG_RECORD_KIND', `expected a ${RecordKind.PERSONAL_DATA_ERASURE} record`, { expected: RecordKind.PERSONAL_DATA_ERASURE, actual: record.kind });
      }
      const payload = parseErasurePayload(record.payload);
      if (payload.commitment !== person.commitment) {
        throw new ApiError(400, 'COMMITMENT_MISMATCH', 'the signed erasure names another person', { expected: person.commitment, actual: payload.commitment });
      }
      if (record.consortium !== person.consortiumId) {
        throw new ApiError(400, 'WRONG_CONSORTIUM', 'the signed erasure is for another consortium', { expected: person.consortiumId, actual: record.consortium });
      }
      const erasedAt = new Date().toISOString();
      let erased = 0;
      const writes = new WriteBatch();
      PersonStore.eraseInBatch(writes, person.commitment, recordHash(record), erasedAt, (count) => (erased += count));
      const [outcome] = await ctx.node.submit(person.consortiumId, [record], {
        signerOrg: { orgId: person.orgId, message: `only "${person.orgId}", which registered this person, may erase it` },
        writes: [writes],
      });
      if (!outcome || outcome.status === 'rejected') {
        const error = outcome?.status === 'rejected' ? outcome.error : { code: 'REJECTED', message: 'erasure record was not accepted' };
        throw new ApiError(statusForCode(error.code), error.code, error.message, error.details);
      }
      if (outcome.status !== 'accepted' || erased === 0) {
        throw new ApiError(409, 'ALREADY_ERASED', 'this erasure record is already on the ledger', { recordHash: outcome.recordHash });
      }
      res.status(200).json({ personRef: person.commitment, recordHash: outcome.recordHash, erasedAt });
    }),
  );
  return persons;
}
