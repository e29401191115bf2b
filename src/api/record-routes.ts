/**
 * Generic signed-record submission (membership proposals and approvals, device registrations,
 * erasures...). Records are signed by their authors; the node only admits or rejects them.
 */
import express, { type Express } from 'express';
import type { AppContext } from './context.js';
import { ApiError, statusForCode } from './errors.js';

const MAX_RECORDS = 1000;

export function mountRecords(app: Express, ctx: AppContext): void {
  app.post('/consortia/:id/records', express.json({ limit: '5mb' }), async (req, res) => {
    const body = req.body as { records?: unknown };
    if (!body || !Array.isArray(body.records) || body.records.length === 0) {
      throw new ApiError(400, 'BAD_REQUEST', 'body must be { "records": [ signed records ] }');
    }
    if (body.records.length > MAX_RECORDS) {
      throw new ApiError(413, 'TOO_MANY_RECORDS', `at most ${MAX_RECORDS} records per request`, { count: body.records.length });
    }
    const atomic = req.query.mode !== 'partial';
    const outcomes = await ctx.node.submit(req.params.id, body.records, { atomic, waitForSeal: req.query.wait === 'seal' });
    const firstRejection = outcomes.find((o) => o.status === 'rejected');
    const status = firstRejection && atomic ? statusForCode(firstRejection.error.code) : 200;
    res.status(status).json({ results: outcomes });
  });
}
