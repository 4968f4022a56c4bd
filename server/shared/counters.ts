// Where throttling counters live: in this process by default; in Redis with REDIS_URL, so that
// limits hold across every instance. When Redis cannot be reached the counters fall back to this
// process (rate-limiter-flexible's insurance limiter) and the server keeps serving; it logs the
// outage and the recovery, and goes back to Redis by itself.
import { AsyncResource } from 'node:async_hooks';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract, type RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from './logger.js';

export interface CounterOptions {
  keyPrefix: string;
  points: number;
  durationSeconds: number;
}

/** The operations Latchkey uses on a rate-limiter-flexible limiter. */
export interface Counter {
  consume(key: string, points?: number): Promise<RateLimiterRes>;
  get(key: string): Promise<RateLimiterRes | null>;
  penalty(key: string, points?: number): Promise<RateLimiterRes>;
  delete(key: string): Promise<boolean>;
}

// A timer keeps the async context it was created in (every AsyncLocalStorage store of it). The
// in-memory limiter starts a timer per key, to forget the key when its window ends: started while
// oidc-provider handles a request, it kept that request's whole koa context (req, res, token,
// client) alive for the window — a minute of tokens for 1,000 clients held 1,000 requests. The
// counters run in a scope created here, outside every request.
const outsideRequests = new AsyncResource('latchkey-counters');

/** `limiter`, each call run outside the caller's async context. */
function detached(limiter: RateLimiterAbstract): Counter {
  return {
    consume: (key, points) => outsideRequests.runInAsyncScope(() => limiter.consume(key, points)),
    get: (key) => outsideRequests.runInAsyncScope(() => limiter.get(key)),
    penalty: (key, points) => outsideRequests.runInAsyncScope(() => limiter.penalty(key, points)),
    delete: (key) => outsideRequests.runInAsyncScope(() => limiter.delete(key)),
  };
}

export interface CounterStore {
  limiter(options: CounterOptions): Counter;
  /** Whether counters are shared through Redis right now. */
  shared(): boolean;
  close(): Promise<void>;
}

export function createCounterStore(redisUrl: string | undefined, logger: Logger): CounterStore {
  const memory = ({ keyPrefix, points, durationSeconds }: CounterOptions) =>
    new RateLimiterMemory({ keyPrefix, points, duration: durationSeconds });
  if (!redisUrl) {
    return { limiter: (options) => detached(memory(options)), shared: () => false, close: async () => {} };
  }

  // rate-limiter-flexible wants commands to fail at once while Redis is away, not to queue.
  const redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
  let up = false;
  redis.on('ready', () => {
    if (!up) logger.info('Redis reachable: throttling counters are shared by every instance');
    up = true;
  });
  redis.on('error', (error: Error) => {
    if (up) logger.warn({ err: { message: error.message } }, 'Redis unreachable: counting in this process until it returns');
    up = false;
  });
  redis.on('end', () => {
    up = false;
  });

  return {
    limiter: (options) =>
      detached(
        new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: `latchkey:${options.keyPrefix}`,
          points: options.points,
          duration: options.durationSeconds,
          insuranceLimiter: memory(options),
        }),
      ),
    shared: () => up,
    close: async () => {
      redis.disconnect();
    },
  };
}
