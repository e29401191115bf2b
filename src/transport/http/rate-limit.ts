/**
 * Request rate limits, in memory per node: a token bucket per client address, one per API token
 * presented, and one per address for unknown API tokens (guessing). A refusal is 429 RATE_LIMITED
 * with Retry-After (RFC 9110 section 10.2.3). Liveness and readiness are never limited.
 */
import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { DEFAULT_LIMITS, type RequestLimits } from '../../platform/config.js';
import { UNKNOWN_TOKEN } from '../../services/auth.js';
import type { ReadServices } from '../../services/read-services.js';
import { ApiError } from './errors.js';

/** Buckets kept at most; past it the fullest-refilled (longest idle) half is dropped. */
const MAX_KEYS = 20_000;

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** `rate` tokens a second, up to `burst`; a rate of 0 never refuses. */
  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {}

  /** Takes one token; when there is none, the seconds until there will be one. */
  take(key: string, now = Date.now()): { ok: true } | { ok: false; retryAfterSeconds: number } {
    if (this.rate <= 0) return { ok: true };
    const bucket = this.refilled(key, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.rate)) };
  }

  /** Whether a token is there, without taking it. */
  has(key: string, now = Date.now()): boolean {
    return this.rate <= 0 || this.refilled(key, now).tokens >= 1;
  }

  private refilled(key: string, now: number): { tokens: number; at: number } {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= MAX_KEYS) this.evictIdle();
      bucket = { tokens: Math.max(1, this.burst), at: now };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(Math.max(1, this.burst), bucket.tokens + ((now - bucket.at) / 1000) * this.rate);
    bucket.at = now;
    return bucket;
  }

  private evictIdle(): void {
    const byAge = [...this.buckets].sort((a, b) => a[1].at - b[1].at);
    for (const [key] of byAge.slice(0, byAge.length / 2)) this.buckets.delete(key);
  }
}

const UNLIMITED_PATHS = new Set(['/health', '/ready']);

function refused(scope: string, retryAfterSeconds: number): ApiError {
  return new ApiError(429, 'RATE_LIMITED', `too many requests ${scope}; retry after ${retryAfterSeconds} s`, { scope, retryAfterSeconds });
}

export function rateLimits(reads: ReadServices, limits: RequestLimits = DEFAULT_LIMITS): RequestHandler {
  const perAddress = new TokenBuckets(limits.perAddressRate, limits.perAddressBurst);
  const perToken = new TokenBuckets(limits.perTokenRate, limits.perTokenBurst);
  const guesses = new TokenBuckets(limits.failedTokensPerMinute / 60, limits.failedTokensPerMinute);
  return (req, res, next) => {
    if (UNLIMITED_PATHS.has(req.path)) return next();
    const address = req.socket.remoteAddress ?? 'unknown';
    const refuse = (err: ApiError) => {
      res.setHeader('Retry-After', String(err.details!['retryAfterSeconds']));
      next(err);
    };
    const byAddress = perAddress.take(address);
    if (!byAddress.ok) return refuse(refused('from this address', byAddress.retryAfterSeconds));
    const header = req.headers.authorization;
    if (!header) return next();
    if (!guesses.has(address)) return refuse(refused('with unknown API tokens from this address', 60));
    const byToken = perToken.take(createHash('sha256').update(header).digest('hex'));
    if (!byToken.ok) return refuse(refused('with this API token', byToken.retryAfterSeconds));
    reads.authenticate(header).then(
      (auth) => {
        if (auth.problem === UNKNOWN_TOKEN) {
          const guess = guesses.take(address);
          if (!guess.ok) return refuse(refused('with unknown API tokens from this address', guess.retryAfterSeconds));
        }
        next();
      },
      (err: unknown) => next(err),
    );
  };
}
