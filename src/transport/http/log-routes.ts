/**
 * The consortium log for light clients: signed checkpoints, and RFC 6962 inclusion and
 * consistency proofs, so a client holding an old checkpoint can check today's log extends it.
 * Witnesses read the checkpoint with its evidence and post their cosignatures (docs/witness.md).
 */
import express, { type Express, type Request, type Response } from 'express';
import type { ReadContext } from '../../services/read-context.js';
import type { AppContext } from './context.js';
import { ApiError } from './errors.js';
import { readContext, readsOf } from './requests.js';

function sizeParam(req: Request, name: string, max: number): number {
  const raw = req.query[name];
  const value = Number(raw);
  if (typeof raw !== 'string' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new ApiError(400, 'BAD_SIZE', `${name} must be an integer from 0 to ${max}`, { [name]: raw ?? null });
  }
  return value;
}

export function mountLog(app: Express, ctx: AppContext): void {
  const reads = readsOf(ctx);
  const chain = reads.chain;
  // Members of the consortium only: an anonymous caller sees nothing but /health (docs/access.md).
  app.get('/consortia/:id/{*rest}', async (req, res, next) => {
    const rc = await readContext(reads, req);
    if (!rc.viewer) throw new ApiError(401, 'UNAUTHENTICATED', rc.authProblem ?? 'an API token is required (Authorization: Bearer pvn_...)');
    await chain.requireLogReader(rc, String(req.params['id']));
    res.locals['reader'] = rc;
    next();
  });
  const readerOf = (res: Response): ReadContext => res.locals['reader'] as ReadContext;

  app.get('/consortia/:id/checkpoint', async (req, res) => {
    const signed = await chain.checkpoint(readerOf(res), req.params.id);
    const { witnessCosignatures } = await reads.witnesses.list(readerOf(res), req.params.id, signed.checkpoint.logSize);
    res.json({ ...signed, witnessCosignatures });
  });

  app.get('/consortia/:id/log/checkpoint-evidence', async (req, res) => {
    res.json(await reads.witnesses.checkpointEvidence(readerOf(res), req.params.id));
  });

  app.get('/consortia/:id/log/cosignatures', async (req, res) => {
    const logSize = req.query['logSize'] === undefined ? undefined : sizeParam(req, 'logSize', Number.MAX_SAFE_INTEGER);
    res.json(await reads.witnesses.list(readerOf(res), req.params.id, logSize));
  });

  // The GET guard above does not cover POST: this route authenticates for itself.
  app.post('/consortia/:id/log/cosignatures', express.json({ limit: '16kb' }), async (req, res) => {
    const rc = await readContext(reads, req);
    if (!rc.viewer) throw new ApiError(401, 'UNAUTHENTICATED', rc.authProblem ?? 'an API token is required (Authorization: Bearer pvn_...)');
    const receipt = await reads.witnesses.accept(rc, String(req.params['id']), req.body);
    res.status(receipt.status === 'stored' ? 201 : 200).json(receipt);
  });

  app.get('/consortia/:id/log/consistency', async (req, res) => {
    const leaves = await chain.logLeaves(readerOf(res), req.params.id);
    const from = sizeParam(req, 'from', leaves.length);
    const to = sizeParam(req, 'to', leaves.length);
    if (from > to) throw new ApiError(400, 'BAD_SIZE', 'from must not exceed to', { from, to });
    res.json(chain.consistency(leaves, from, to));
  });

  app.get('/consortia/:id/log/inclusion', async (req, res) => {
    const leaves = await chain.logLeaves(readerOf(res), req.params.id);
    const size = sizeParam(req, 'size', leaves.length);
    const index = sizeParam(req, 'index', Math.max(0, size - 1));
    if (size === 0) throw new ApiError(400, 'BAD_SIZE', 'the log is empty at size 0');
    res.json(chain.inclusion(leaves, index, size));
  });
}
