/**
 * The consortium log for light clients: signed checkpoints, and RFC 6962 inclusion and
 * consistency proofs, so a client holding an old checkpoint can check today's log extends it.
 */
import type { Express, Request } from 'express';
import { fromHex, toHex } from '../../core/crypto/index.js';
import { leafHash } from '../../core/ledger/merkle-hash.js';
import { consistencyProof, inclusionProof, rootHash } from '../../core/ledger/merkle-tree.js';
import type { AppContext } from './context.js';
import { ApiError } from './errors.js';
import { authenticate } from '../../services/auth.js';

function sizeParam(req: Request, name: string, max: number): number {
  const raw = req.query[name];
  const value = Number(raw);
  if (typeof raw !== 'string' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new ApiError(400, 'BAD_SIZE', `${name} must be an integer from 0 to ${max}`, { [name]: raw ?? null });
  }
  return value;
}

export function mountLog(app: Express, ctx: AppContext): void {
  // Members only: an anonymous caller sees nothing but /health (docs/access.md).
  app.get('/consortia/:id/{*rest}', async (req, _res, next) => {
    const auth = await authenticate(ctx.db, ctx.node, req.headers.authorization);
    if (!auth.viewer) throw new ApiError(401, 'UNAUTHENTICATED', auth.problem ?? 'an API token is required (Authorization: Bearer pvn_...)');
    if (!(await ctx.store.consortiumExists(String(req.params['id'])))) throw new ApiError(404, 'UNKNOWN_CONSORTIUM', `unknown consortium "${String(req.params['id'])}"`);
    if (auth.viewer.consortiumId !== req.params['id']) {
      throw new ApiError(403, 'FORBIDDEN', `your token is for consortium "${auth.viewer.consortiumId}", not "${String(req.params['id'])}"`);
    }
    next();
  });
  const leavesOf = async (consortium: string) => {
    if (!(await ctx.store.consortiumExists(consortium))) {
      throw new ApiError(404, 'UNKNOWN_CONSORTIUM', `unknown consortium "${consortium}"`);
    }
    // Only sealed records are in the checkpointed log.
    const head = await ctx.store.head(consortium);
    const hashes = await ctx.store.logLeaves(consortium, head?.logSize ?? 0);
    return hashes.map((h) => leafHash(fromHex(h, 32)));
  };

  app.get('/consortia/:id/checkpoint', async (req, res) => {
    const cp = await ctx.store.latestCheckpoint(req.params.id);
    if (!cp) throw new ApiError(404, 'NOT_FOUND', `no checkpoint for consortium "${req.params.id}"`);
    res.json({
      checkpoint: { v: 1, consortium: cp.consortiumId, logSize: cp.logSize, logRoot: cp.logRoot, blockHeight: cp.blockHeight, blockHash: cp.blockHash, timestamp: cp.timestamp },
      signatures: JSON.parse(cp.signatures) as unknown,
    });
  });

  app.get('/consortia/:id/log/consistency', async (req, res) => {
    const leaves = await leavesOf(req.params.id);
    const from = sizeParam(req, 'from', leaves.length);
    const to = sizeParam(req, 'to', leaves.length);
    if (from > to) throw new ApiError(400, 'BAD_SIZE', 'from must not exceed to', { from, to });
    res.json({ from, to, root: toHex(rootHash(leaves.slice(0, to))), proof: consistencyProof(leaves, from, to).map(toHex) });
  });

  app.get('/consortia/:id/log/inclusion', async (req, res) => {
    const leaves = await leavesOf(req.params.id);
    const size = sizeParam(req, 'size', leaves.length);
    const index = sizeParam(req, 'index', Math.max(0, size - 1));
    if (size === 0) throw new ApiError(400, 'BAD_SIZE', 'the log is empty at size 0');
    res.json({ index, size, root: toHex(rootHash(leaves.slice(0, size))), proof: inclusionProof(leaves.slice(0, size), index).map(toHex) });
  });
}
