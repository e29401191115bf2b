/**
 * Generic signed-record submission (membership proposals and approvals, device registrations,
 * erasures...). Records are signed by their authors; the node only admits or rejects them.
 */
import express, { type Express } from 'express';
import { RecordKind } from '../../core/ledger/record.js';
import type { AppContext } from './context.js';
import { ApiError, statusForCode } from './errors.js';

const MAX_RECORDS = 1000;

/**
 * Kinds this route admits. Others have their own pipeline with checks the ledger alone does not
 * make: EPCIS events go through capture (role, custody, indexes), erasures through /privacy (the
 * data is deleted in the same transaction), sensor windows and breaches are made by nodes.
 */
const GENERIC_KINDS = new Set<string>([
  RecordKind.PROPOSAL,
  RecordKind.APPROVAL,
  RecordKind.DEVICE_REGISTER,
  RecordKind.DEVICE_REVOKE,
  RecordKind.RULESET_PUBLISH,
  RecordKind.EQUIVOCATION_EVIDENCE,
]);
const ROUTE_OF_KIND: Record<string, string> = {
  [RecordKind.EPCIS_EVENT]: 'POST /epcis/capture',
  [RecordKind.PERSONAL_DATA_ERASURE]: 'the /privacy routes',
};

export function mountRecords(app: Express, ctx: AppContext): void {
  app.post('/consortia/:id/records', express.json({ limit: '5mb' }), async (req, res) => {
    const body = req.body as { records?: unknown };
    if (!body || !Array.isArray(body.records) || body.records.length === 0) {
      throw new ApiError(400, 'BAD_REQUEST', 'body must be { "records": [ signed records ] }');
    }
    if (body.records.length > MAX_RECORDS) {
      throw new ApiError(413, 'TOO_MANY_RECORDS', `at most ${MAX_RECORDS} records per request`, { count: body.records.length });
    }
    body.records.forEach((record, index) => {
      const kind = (record as { kind?: unknown } | null)?.kind;
      if (typeof kind === 'string' && !GENERIC_KINDS.has(kind)) {
        const route = ROUTE_OF_KIND[kind];
        throw new ApiError(400, 'WRONG_ROUTE', `records of kind ${kind} are not accepted here${route ? `; use ${route}` : ' (nodes create them)'}`, { index, kind });
      }
    });
    const atomic = req.query.mode !== 'partial';
    const outcomes = await ctx.node.submit(req.params.id, body.records, { atomic, waitForSeal: req.query.wait === 'seal' });
    const firstRejection = outcomes.find((o) => o.status === 'rejected');
    const status = firstRejection && atomic ? statusForCode(firstRejection.error.code) : 200;
    res.status(status).json({ results: outcomes });
  });
}
