/**
 * GET /metrics: the process's prom-client registry in Prometheus text format, for a member API
 * token (Prometheus sends it as `authorization: Bearer ...`). Series labelled with another
 * consortium are left out, so one node hosting several consortia shows each only its own.
 */
import type { Express } from 'express';
import client from 'prom-client';
import type { AppContext } from './context.js';
import { ApiError } from './errors.js';
import type { LineageReads } from '../../services/lineage/reads.js';
import { readContext, readsOf } from './requests.js';
import { consortiumGauge } from '../../services/operations-metrics.js';

/** Apps whose lineage counts the gauges read (tests and tools may run several in one process). */
const live = new Map<AppContext, LineageReads>();

function lineageGauge(name: string, help: string, pick: (stats: ReturnType<LineageReads['stats']>) => number): void {
  consortiumGauge(name, help, function* () {
    for (const [ctx, lineage] of live) for (const id of ctx.node.consortia()) yield [id, pick(lineage.stats(id))] as const;
  });
}

let registered = false;

function registerMetrics(): void {
  if (registered) return;
  registered = true;
  client.collectDefaultMetrics();
  lineageGauge('provenant_lineage_rows_kept', 'Event rows lineage served from what it kept (no read), since start', (s) => s.rowsKept);
  lineageGauge('provenant_lineage_rows_read', 'Event rows lineage read from the database, since start', (s) => s.rowsRead);
  lineageGauge('provenant_lineage_identifiers_kept', 'Frontier identifier lookups lineage served from what it kept, since start', (s) => s.identifiersKept);
  lineageGauge('provenant_lineage_identifiers_read', 'Frontier identifier lookups lineage read from the database, since start', (s) => s.identifiersRead);
}

/** Drops sample lines labelled with a consortium other than `consortiumId` (comments and unlabelled series stay). */
export function onlyConsortium(text: string, consortiumId: string): string {
  const own = `consortium="${consortiumId.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
  return text
    .split('\n')
    .filter((line) => line.startsWith('#') || !/[{,]consortium="/.test(line) || line.includes(own))
    .join('\n');
}

export function mountMetrics(app: Express, ctx: AppContext): { close(): void } {
  registerMetrics();
  const reads = readsOf(ctx);
  live.set(ctx, reads.lineage);
  app.get('/metrics', async (req, res, next) => {
    try {
      const rc = await readContext(reads, req);
      if (!rc.viewer) throw new ApiError(401, 'UNAUTHENTICATED', 'metrics need a member API token (Authorization: Bearer pvn_...)');
      res.type(client.register.contentType).send(onlyConsortium(await client.register.metrics(), reads.chain.metricsConsortium(rc)));
    } catch (error) {
      next(error);
    }
  });
  return { close: () => live.delete(ctx) };
}
