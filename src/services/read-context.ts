/**
 * Who is reading, for one request (or one subscription stream): the viewer an API token named,
 * why a presented token was refused, and the recorder of what the request showed of others' data.
 */
import type { Viewer } from './auth.js';
import type { AccessRecorder } from './access-recorder.js';
import { decideRead } from './read-policy.js';
import { otherConsortium, unauthenticated } from './read-errors.js';

export interface ReadContext {
  viewer: Viewer | null;
  /** Why a presented token was refused (unknown, revoked, organisation removed). */
  authProblem?: string;
  access: AccessRecorder;
}

/** The calling organisation, or UNAUTHENTICATED. */
export function requireViewer(rc: Pick<ReadContext, 'viewer' | 'authProblem'>): Viewer {
  if (!rc.viewer) throw unauthenticated(rc.authProblem);
  return rc.viewer;
}

/** The viewer, who must be a member of the consortium asked about (the read policy's consortium rule). */
export function requireMember(rc: Pick<ReadContext, 'viewer' | 'authProblem'>, consortiumId: string): Viewer {
  const viewer = requireViewer(rc);
  const decision = decideRead(viewer, { kind: 'consortium', consortiumId });
  if (decision.visibility === 'HIDDEN') throw otherConsortium(viewer.consortiumId, consortiumId);
  return viewer;
}
