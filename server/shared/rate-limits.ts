// Per-credential rate limits: authenticated requests per minute, counted where the throttling
// counters live (this process, or Redis with REDIS_URL). Only requests that authenticated count,
// so nobody can spend a client's allowance by sending its client_id with wrong secrets.
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { Counter, CounterStore } from './counters.js';

export interface RateLimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

export function createRateLimits(counters: CounterStore) {
  // One limiter per distinct limit value: a client whose limit changes starts a fresh window.
  const limiters = new Map<number, Counter>();
  const limiterFor = (perMinute: number) => {
    let limiter = limiters.get(perMinute);
    if (!limiter) {
      limiter = counters.limiter({ keyPrefix: `rate-${perMinute}`, points: perMinute, durationSeconds: 60 });
      limiters.set(perMinute, limiter);
    }
    return limiter;
  };

  return {
    async take(credential: string, perMinute: number): Promise<RateLimitResult> {
      try {
        const result = await limiterFor(perMinute).consume(credential, 1);
        return { allowed: true, limit: perMinute, remaining: result.remainingPoints, resetSeconds: Math.ceil(result.msBeforeNext / 1000) };
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) throw error;
        return { allowed: false, limit: perMinute, remaining: 0, resetSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)) };
      }
    },
  };
}

export type RateLimits = ReturnType<typeof createRateLimits>;

/** The X-RateLimit-* headers of a result (and Retry-After when refused). */
export function rateLimitHeaders(result: RateLimitResult): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(result.limit),
    'X-RateLimit-Remaining': String(result.remaining),
    'X-RateLimit-Reset': String(result.resetSeconds),
    ...(result.allowed ? {} : { 'Retry-After': String(result.resetSeconds) }),
  };
}
