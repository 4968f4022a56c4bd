// Where throttling counters live: in this process by default; in Redis with REDIS_URL, so that
// limits hold across every instance. When Redis cannot be reached the counters fall back to this
// process (rate-limiter-flexible's insurance limiter) and the server keeps serving; it logs the
// outage and the recovery, and goes back to Redis by itself.
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from './logger.js';

export interface CounterOptions {
  keyPrefix: string;
  points: number;
  durationSeconds: number;
}

export interface CounterStore {
  limiter(options: CounterOptions): RateLimiterAbstract;
  /** Whether counters are shared through Redis right now. */
  shared(): boolean;
  close(): Promise<void>;
}

export function createCounterStore(redisUrl: string | undefined, logger: Logger): CounterStore {
  const memory = ({ keyPrefix, points, durationSeconds }: CounterOptions) =>
    new RateLimiterMemory({ keyPrefix, points, duration: durationSeconds });
  if (!redisUrl) {
    return { limiter: memory, shared: () => false, close: async () => {} };
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
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `latchkey:${options.keyPrefix}`,
        points: options.points,
        duration: options.durationSeconds,
        insuranceLimiter: memory(options),
      }),
    shared: () => up,
    close: async () => {
      redis.disconnect();
    },
  };
}
