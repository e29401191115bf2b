/** One request's record of what it showed the viewer of other organisations' data (one entry per subject per request). */
import type { VisibilityViewer } from '../core/lineage/visibility.js';
import type { AccessLogWriter } from '../store/access-log.js';
import type { AccessSubject, ReadDecision } from './read-policy.js';

/** Records what one request showed the viewer of other organisations' data (the read policy says what). */
export class AccessRecorder {
  readonly #seen = new Set<string>();

  constructor(
    readonly writer: AccessLogWriter,
    readonly viewer: Pick<VisibilityViewer, 'orgId' | 'consortiumId'> | null,
  ) {}

  /** Logs the entry a decision leaves (none for one's own data, anonymous callers or hidden items). */
  record(decision: Pick<ReadDecision, 'access'> | null | undefined): void {
    this.add(decision?.access ?? null);
  }

  add(subject: AccessSubject | null): void {
    const viewer = this.viewer;
    if (!subject || !viewer || viewer.orgId === subject.ownerOrgId) return;
    const key = `${subject.ownerOrgId}\u0000${subject.subjectType}\u0000${subject.subjectId}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.writer.add({
      consortiumId: viewer.consortiumId,
      viewerOrgId: viewer.orgId,
      ownerOrgId: subject.ownerOrgId,
      subjectType: subject.subjectType,
      subjectId: subject.subjectId,
      accessedAt: new Date().toISOString(),
    });
  }
}

