// Brute-force protection for client authentication (RFC 6749 §2.3.1): failed secret checks are
// counted per client_id and per source IP; past a threshold, further *unverified* attempts are
// refused before any bcrypt work. A secret that already verified (the verified-secret record) is
// let through even then, so an attacker hammering a client_id cannot lock out the real client.
import type { CounterStore } from './counters.js';
import type { SecretVerifier } from './secrets.js';

export interface FailureLimiterOptions {
  maxPerCredential: number;
  maxPerIp: number;
  windowSeconds: number;
}

export function createFailureLimiter({ maxPerCredential, maxPerIp, windowSeconds }: FailureLimiterOptions, counters: CounterStore) {
  const perCredential = counters.limiter({ keyPrefix: 'auth-credential', points: maxPerCredential, durationSeconds: windowSeconds });
  const perIp = counters.limiter({ keyPrefix: 'auth-ip', points: maxPerIp, durationSeconds: windowSeconds });
  let rejections = 0;
  // Secret checks that need bcrypt, one at a time per client_id (see checkClientSecret).
  const queues = new Map<string, Promise<unknown>>();
  // Blocks this process has seen, until when (ms): lets a flood be refused without any await.
  const seenBlocks = new Map<string, number>();
  const MAX_SEEN_BLOCKS = 10_000;

  return {
    /** Seconds to wait when the credential or the IP is blocked, else 0. */
    async retryAfterSeconds(credential: string, ip: string | undefined): Promise<number> {
      const [byCredential, byIp] = await Promise.all([perCredential.get(credential), ip ? perIp.get(ip) : null]);
      const waits = [byCredential, byIp]
        .filter((result) => result !== null && result.remainingPoints <= 0)
        .map((result) => Math.ceil((result?.msBeforeNext ?? 0) / 1000));
      if (waits.length === 0) return 0;
      rejections += 1;
      const wait = Math.max(1, ...waits);
      if (seenBlocks.size >= MAX_SEEN_BLOCKS) seenBlocks.clear();
      seenBlocks.set(credential, Date.now() + wait * 1000);
      return wait;
    },
    /**
     * Seconds left of a block of this credential that this process has already seen, without
     * asking the counters (0 when none is known; the counters remain the authority).
     */
    knownBlockSeconds(credential: string): number {
      const until = seenBlocks.get(credential);
      if (until === undefined) return 0;
      const left = until - Date.now();
      if (left <= 0) {
        seenBlocks.delete(credential);
        return 0;
      }
      rejections += 1;
      return Math.ceil(left / 1000);
    },
    async recordFailure(credential: string, ip: string | undefined): Promise<void> {
      await Promise.all([perCredential.penalty(credential, 1), ip ? perIp.penalty(ip, 1) : Promise.resolve()]);
    },
    stats: () => ({ rejections }),
    /** Runs `work` after every earlier queued work for `key` has finished. */
    async oneAtATime<T>(key: string, work: () => Promise<T>): Promise<T> {
      const run = (queues.get(key) ?? Promise.resolve()).catch(() => undefined).then(work);
      queues.set(key, run);
      try {
        return await run;
      } finally {
        if (queues.get(key) === run) queues.delete(key);
      }
    },
  };
}

export type FailureLimiter = ReturnType<typeof createFailureLimiter>;

/** Too many failed attempts: answer 429 with Retry-After. */
export class TooManyFailedAttempts extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`too many failed client authentications: retry after ${retryAfterSeconds} seconds`);
    this.name = 'TooManyFailedAttempts';
  }
}

/**
 * Checks a presented client secret against the stored hashes (the current one, and the previous
 * one during a rotation's grace period): a remembered success passes at once; otherwise a blocked
 * client_id or IP is refused with TooManyFailedAttempts before bcrypt runs, and a failure counts.
 */
export async function checkClientSecret(
  deps: { verifier: SecretVerifier; limiter: FailureLimiter },
  clientId: string,
  hashes: string[],
  presented: string,
  ip: string | undefined,
  /** The credential's hashes as stored now, when `hashes` came from a cache that may lag. */
  freshHashes?: () => Promise<string[] | undefined>,
  /** The HTTP request being authenticated (the secret is digested once per request). */
  request?: object,
): Promise<boolean> {
  const { verifier, limiter } = deps;
  if (verifier.rememberedHash(clientId, hashes, presented, request) !== undefined) return true;
  // Unverified attempts for one client_id take turns: a burst of wrong secrets then spends at most
  // the threshold's worth of bcrypt, one at a time, before the block refuses the rest; run side by
  // side, each would pass the threshold check before any had failed.
  return limiter.oneAtATime(clientId, async () => {
    const wait = await limiter.retryAfterSeconds(clientId, ip);
    if (wait > 0) throw new TooManyFailedAttempts(wait);
    for (const hash of hashes) if (await verifier.verify(clientId, hash, presented)) return true;
    // A secret rotated a moment ago elsewhere: the stored hashes may be newer than the cached ones.
    const fresh = (await freshHashes?.())?.filter((hash) => !hashes.includes(hash)) ?? [];
    for (const hash of fresh) if (await verifier.verify(clientId, hash, presented)) return true;
    await limiter.recordFailure(clientId, ip);
    return false;
  });
}
