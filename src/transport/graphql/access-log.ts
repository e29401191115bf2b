/** Access logging for resolvers, and the owner's `accessLog` query. */
import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import { readAccessLog, type AccessLogRow } from '../../store/access-log.js';
import { requireViewer, type Builder, type GraphqlContext } from './builder.js';
import { InvalidIdentifierError } from './errors.js';

/** Subject types written to the access log, so an owner can tell what a reader was shown. */
export const ACCESS_SUBJECT = {
  /** An event shown in full. */
  EVENT: 'EpcisEvent',
  /** An event shown with its inspection finding withheld. */
  REDACTED_EVENT: 'EpcisEvent:redacted',
  /** An event not shown, whose content decided a verdict that was (authenticity check). */
  VERDICT_EVENT: 'EpcisEvent:verdict',
  /** A ledger record's payload shown in full. */
  RECORD: 'LedgerRecord',
  /** A ledger record's payload shown with its finding withheld. */
  REDACTED_RECORD: 'LedgerRecord:redacted',
} as const;

export type AccessSubjectType = (typeof ACCESS_SUBJECT)[keyof typeof ACCESS_SUBJECT];

export interface AccessSubject {
  ownerOrgId: string;
  subjectType: string;
  subjectId: string;
}

/**
 * Records that the viewer read another organisation's data. Buffered (written after the response,
 * in batches); reading your own data, or anonymous reads (which see nothing), are not recorded.
 */
export function recordAccess(ctx: GraphqlContext, subject: AccessSubject): void {
  const viewer = ctx.viewer;
  if (!viewer || viewer.orgId === subject.ownerOrgId) return;
  const key = `${subject.ownerOrgId}\u0000${subject.subjectType}\u0000${subject.subjectId}`;
  if (ctx.accessSeen.has(key)) return;
  ctx.accessSeen.add(key);
  ctx.access.add({
    consortiumId: viewer.consortiumId,
    viewerOrgId: viewer.orgId,
    ownerOrgId: subject.ownerOrgId,
    subjectType: subject.subjectType,
    subjectId: subject.subjectId,
    accessedAt: new Date().toISOString(),
  });
}

/** Records that the viewer was shown (or, for VERDICT_EVENT, judged by) another organisation's event. */
export function recordEventAccess(ctx: GraphqlContext, ownerOrgId: string, eventId: string, subjectType: AccessSubjectType = ACCESS_SUBJECT.EVENT): void {
  recordAccess(ctx, { ownerOrgId, subjectType, subjectId: eventId });
}

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
      resolve: async (_root, args, ctx) => {
        const viewer = requireViewer(ctx);
        // Entries buffered by earlier requests belong in the answer.
        await ctx.access.flush();
        return resolveCursorConnection(
          { args, toCursor: (row: AccessLogRow) => String(row.id) },
          ({ before, after, limit, inverted }: ResolveCursorConnectionArgs) =>
            readAccessLog(ctx.app.db, {
              consortiumId: viewer.consortiumId,
              ownerOrgId: viewer.orgId,
              // Newest first: "after" a cursor means older (smaller ids).
              beforeId: parseIdCursor(after),
              afterId: parseIdCursor(before),
              limit,
              newestFirst: !inverted,
            }),
        );
      },
    }),
  }));
  return { AccessLogEntry };
}
