/**
 * Who is calling: an organisation, identified by an API token (Authorization: Bearer pvn_...).
 * The token must be unrevoked and its organisation still active in the node's live state, so a
 * member removed by governance loses API access at once, without touching its tokens.
 */
import type { Role } from '../core/ledger/governance.js';
import type { LedgerNode } from './node/ledger-node.js';
import type { Database } from '../store/database.js';
import { findToken, issueToken, revokeToken, type IssuedToken, type StoredToken } from '../store/token-store.js';

export interface Viewer {
  consortiumId: string;
  orgId: string;
  roles: ReadonlySet<Role>;
  /** FSA (REGULATOR) and customs (CUSTOMS) read across organisations under their statutory powers. */
  isRegulator: boolean;
  tokenHash: string;
}

export type Authentication = { viewer: Viewer; problem?: undefined } | { viewer: null; problem?: string };

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
  if (!row) return { viewer: null, problem: 'unknown API token' };
  if (row.revokedAt) return { viewer: null, problem: 'API token revoked' };
  if (!node.consortia().includes(row.consortiumId)) return { viewer: null, problem: `consortium "${row.consortiumId}" is not hosted here` };
  const org = node.state(row.consortiumId).orgs.get(row.orgId);
  if (!org || org.status !== 'active') return { viewer: null, problem: `organisation "${row.orgId}" is not an active member` };
  const roles = new Set(org.roles);
  return {
    viewer: {
      consortiumId: row.consortiumId,
      orgId: row.orgId,
      roles,
      isRegulator: roles.has('REGULATOR') || roles.has('CUSTOMS'),
      tokenHash: row.tokenHash,
    },
  };
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
