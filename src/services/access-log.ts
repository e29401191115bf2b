/**
 * The access log as the read surfaces use it: one recorder per request (one entry per subject per
 * request, written off the request path in batches), and an owner's own log, newest first.
 */
import type { VisibilityViewer } from '../core/lineage/visibility.js';
import { accessLogWriter, readAccessLog, type AccessLogRow, type AccessLogWriter } from '../store/access-log.js';
import type { Database } from '../store/database.js';
import { AccessRecorder } from './access-recorder.js';
import { decideRead } from './read-policy.js';
import { requireViewer, type ReadContext } from './read-context.js';

export type { AccessLogRow } from '../store/access-log.js';
export { AccessRecorder } from './access-recorder.js';

export interface AccessLogPage {
  /** Exclusive id bounds: newest first, "before" is older (smaller ids). */
  beforeId?: number;
  afterId?: number;
  limit: number;
  newestFirst: boolean;
}

export class AccessLogService {
  readonly writer: AccessLogWriter;

  constructor(private readonly db: Database) {
    this.writer = accessLogWriter(db);
  }

  /** A recorder for one request of this viewer. */
  recorder(viewer: Pick<VisibilityViewer, 'orgId' | 'consortiumId'> | null): AccessRecorder {
    return new AccessRecorder(this.writer, viewer);
  }

  /** A page of the viewer's own organisation's log (entries buffered by earlier requests included). */
  async ownLog(rc: Pick<ReadContext, 'viewer' | 'authProblem'>, page: AccessLogPage): Promise<AccessLogRow[]> {
    const viewer = requireViewer(rc);
    // Always the viewer's own: the policy is asked so every read surface goes through it.
    const decision = decideRead(viewer, { kind: 'access-log', consortiumId: viewer.consortiumId, ownerOrg: viewer.orgId });
    if (decision.visibility === 'HIDDEN') return [];
    await this.writer.flush();
    return readAccessLog(this.db, { consortiumId: viewer.consortiumId, ownerOrgId: viewer.orgId, ...page });
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }
}
