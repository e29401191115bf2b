/**
 * Final blocks for peer nodes that catch up beyond the ordering log's retention
 * (docs/design/network.md "Catch-up over HTTP"): the request is signed by a member organisation's
 * key (X-Provenant-Peer), not an API token, since a node holds keys, not tokens of other nodes.
 */
import type { Express } from 'express';
import { PEER_REQUEST_HEADER } from '../../core/ledger/peer-request.js';
import { peerBlocks } from '../../services/peer-blocks.js';
import type { AppContext } from './context.js';

export function mountPeerBlocks(app: Express, ctx: AppContext): void {
  app.get('/peer/consortia/:id/blocks', async (req, res) => {
    res.json(await peerBlocks(ctx, String(req.params.id), { fromHeight: req.query['from'], limit: req.query['limit'] }, req.headers[PEER_REQUEST_HEADER]));
  });
}
