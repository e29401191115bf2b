/** The owner's `accessLog` query: who read the organisation's data (the read policy decides what is logged; services/access-log.ts records it). */
import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import type { AccessLogRow } from '../../services/access-log.js';
import { requireViewer } from '../../services/read-context.js';
import type { Builder } from './builder.js';
import { InvalidIdentifierError } from './errors.js';
import { serve } from './serve.js';

function parseIdCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const id = Number(cursor);
  if (!Number.isSafeInteger(id) || id < 0) throw new InvalidIdentifierError(`bad cursor "${cursor}"`, { cursor });
  return id;
}

export function registerAccessLog(builder: Builder) {
  const AccessLogEntry = builder.objectRef<AccessLogRow>('AccessLogEntry').implement({
    description: 'One read of your data by another organisation.',
    fields: (t) => ({
      viewerOrg: t.exposeString('viewerOrgId', { description: 'The organisation that read it.' }),
      subjectType: t.exposeString('subjectType'),
      subjectId: t.exposeString('subjectId'),
      accessedAt: t.exposeString('accessedAt'),
    }),
  });

  builder.queryFields((t) => ({
    accessLog: t.connection({
      description: "Who read your organisation's data, newest first.",
      type: AccessLogEntry,
      errors: { types: [InvalidIdentifierError], directResult: true },
      resolve: (_root, args, ctx) =>
        serve(() => {
          requireViewer(ctx);
          return resolveCursorConnection({ args, toCursor: (row: AccessLogRow) => String(row.id) }, ({ before, after, limit, inverted }: ResolveCursorConnectionArgs) =>
            // Newest first: "after" a cursor means older (smaller ids).
            ctx.reads.accessLog.ownLog(ctx, { beforeId: parseIdCursor(after), afterId: parseIdCursor(before), limit, newestFirst: !inverted }),
          );
        }),
    }),
  }));
  return { AccessLogEntry };
}
