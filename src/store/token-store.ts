/**
 * API tokens: one organisation per token, stored only as a domain-tagged SHA-256 hash. The token
 * itself ("pvn_" + 32 random bytes, base64url) is returned once, at issue time.
 */
import { randomBytes } from 'node:crypto';
import { HashTag, taggedHash, toBase64Url, toHex } from '../core/crypto/index.js';
import type { Database } from './database.js';

export const TOKEN_PREFIX = 'pvn_';
const TOKEN_SHAPE = /^pvn_[A-Za-z0-9_-]{43}$/;

export class TokenError extends Error {
  override readonly name = 'TokenError';
  constructor(
    readonly code: 'UNKNOWN_ORG' | 'ORG_NOT_ACTIVE' | 'UNKNOWN_TOKEN' | 'MALFORMED_TOKEN',
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface IssuedToken {
  /** Shown once; only its hash is stored. */
  token: string;
  tokenHash: string;
  consortiumId: string;
  orgId: string;
  label: string;
  createdAt: string;
}

export interface StoredToken {
  tokenHash: string;
  consortiumId: string;
  orgId: string;
  label: string;
  createdAt: string;
  revokedAt: string | null;
}

export function isTokenShaped(token: string): boolean {
  return TOKEN_SHAPE.test(token);
}

export function hashToken(token: string): string {
  return toHex(taggedHash(HashTag.API_TOKEN, new TextEncoder().encode(token)));
}

/** Issues a token for an organisation the membership projection lists as active. */
export async function issueToken(db: Database, consortiumId: string, orgId: string, label = 'api'): Promise<IssuedToken> {
  const org = await db.organisation.findUnique({ where: { consortiumId_id: { consortiumId, id: orgId } } });
  if (!org) throw new TokenError('UNKNOWN_ORG', `no organisation "${orgId}" in consortium "${consortiumId}"`, { consortiumId, orgId });
  if (org.status !== 'active') {
    throw new TokenError('ORG_NOT_ACTIVE', `organisation "${orgId}" is ${org.status}`, { consortiumId, orgId, status: org.status });
  }
  const token = TOKEN_PREFIX + toBase64Url(new Uint8Array(randomBytes(32)));
  const row = { tokenHash: hashToken(token), consortiumId, orgId, label, createdAt: new Date().toISOString() };
  await db.apiToken.create({ data: row });
  return { token, ...row };
}

/** Revokes by the token itself or by its hash (as listed). Revoking twice keeps the first time. */
export async function revokeToken(db: Database, tokenOrHash: string): Promise<StoredToken> {
  const tokenHash = tokenOrHash.startsWith(TOKEN_PREFIX) ? hashToken(tokenOrHash) : tokenOrHash.toLowerCase();
  const row = await db.apiToken.findUnique({ where: { tokenHash } });
  if (!row) throw new TokenError('UNKNOWN_TOKEN', 'no such token', { tokenHash });
  if (row.revokedAt) return row;
  return db.apiToken.update({ where: { tokenHash }, data: { revokedAt: new Date().toISOString() } });
}

export async function findToken(db: Database, token: string): Promise<StoredToken | null> {
  if (!isTokenShaped(token)) return null;
  return db.apiToken.findUnique({ where: { tokenHash: hashToken(token) } });
}

/** Whether the token (by hash) exists and is not revoked: long-lived streams re-check it. */
export async function isTokenLive(db: Database, tokenHash: string): Promise<boolean> {
  const row = await db.apiToken.findUnique({ where: { tokenHash }, select: { revokedAt: true } });
  return row !== null && row.revokedAt === null;
}

export async function listTokens(db: Database, consortiumId: string, orgId?: string): Promise<StoredToken[]> {
  return db.apiToken.findMany({ where: { consortiumId, ...(orgId ? { orgId } : {}) }, orderBy: { createdAt: 'asc' } });
}
