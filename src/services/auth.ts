/**
 * Who is calling: an organisation, identified by an API token (Authorization: Bearer pvn_...).
 * The token must be unrevoked and its organisation still active in the node's live state, so a
 * member removed by governance loses API access at once, without touching its tokens.
 */
import type { Role } from '../core/ledger/governance.js';
import type { LedgerNode } from './node/ledger-node.js';
import type { Database } from '../store/database.js';
import { findToken, isTokenLive, issueToken, listTokens, revokeToken, type IssuedToken, type StoredToken } from '../store/token-store.js';

/** A member organisation calling with an API token: always of one consortium, the token's. */
export interface Viewer {
  consortiumId: string;
  orgId: string;
  roles: ReadonlySet<Role>;
  /** Holds REGULATOR or CUSTOMS (informational: what each may read is decided by the read policy, services/read-policy.ts). */
  isRegulator: boolean;
  tokenHash: string;
}

export type Authentication = { viewer: Viewer; problem?: undefined } | { viewer: null; problem?: string };

/** The problem of a token this node never issued (a guess, as rate limits count it). */
export const UNKNOWN_TOKEN = 'unknown API token';

/** Accepts a raw header value ("Bearer pvn_..."), or the bare token. */
export function bearerToken(header: string | null | undefined): string | null {
  if (!header) return null;
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : header.trim() || null;
}

/** Resolves a bearer token to a viewer, or says why it could not (absent, unknown, revoked, org inactive). */
export async function authenticate(db: Database, node: LedgerNode, bearer: string | null | undefined): Promise<Authentication> {
  const token = bearerToken(bearer);
  if (!token) return { viewer: null };
  const row = await findToken(db, token);
  if (!row) return { viewer: null, problem: UNKNOWN_TOKEN };
  if (row.revokedAt) return { viewer: null, problem: 'API token revoked' };
  const standing = memberStanding(node, row.consortiumId, row.orgId);
  if (typeof standing === 'string') return { viewer: null, problem: standing };
  return { viewer: { consortiumId: row.consortiumId, orgId: row.orgId, roles: standing, isRegulator: standing.has('REGULATOR') || standing.has('CUSTOMS'), tokenHash: row.tokenHash } };
}

/** The organisation's roles while it is an active member of a hosted consortium, else why not ("no longer" for a stream already open). */
function memberStanding(node: LedgerNode, consortiumId: string, orgId: string, now = 'not'): Set<Role> | string {
  if (!node.consortia().includes(consortiumId)) return `consortium "${consortiumId}" is ${now} hosted here`;
  const org = node.state(consortiumId).orgs.get(orgId);
  if (!org || org.status !== 'active') return `organisation "${orgId}" is ${now} an active member`;
  return new Set(org.roles);
}

/**
 * The viewer as it stands now, for long-lived streams: its token still unrevoked, and its
 * organisation still active, with the roles the live consortium state gives it. Else why not.
 */
export async function liveViewer(db: Database, node: LedgerNode, viewer: Viewer): Promise<Viewer | string> {
  if (!(await isTokenLive(db, viewer.tokenHash))) return 'the API token was revoked';
  const standing = memberStanding(node, viewer.consortiumId, viewer.orgId, 'no longer');
  if (typeof standing === 'string') return standing;
  return { ...viewer, roles: standing, isRegulator: standing.has('REGULATOR') || standing.has('CUSTOMS') };
}

export async function resolveViewer(db: Database, node: LedgerNode, bearer: string | null | undefined): Promise<Viewer | null> {
  return (await authenticate(db, node, bearer)).viewer;
}

/** For the CLI: issue a token and return it with the one-time notice to print. */
export async function issueApiToken(db: Database, consortiumId: string, orgId: string, label?: string): Promise<IssuedToken> {
  return issueToken(db, consortiumId, orgId, label);
}

export async function revokeApiToken(db: Database, tokenOrHash: string): Promise<StoredToken> {
  return revokeToken(db, tokenOrHash);
}

export async function listApiTokens(db: Database, consortiumId: string, orgId?: string): Promise<StoredToken[]> {
  return listTokens(db, consortiumId, orgId);
}
