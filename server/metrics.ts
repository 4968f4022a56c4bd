// Prometheus metrics (prom-client) in a registry of this app's own: no module-level state, so two
// servers in one process keep separate counts.
import type { Knex } from 'knex';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FailureLimiter } from './shared/failure-limiter.js';
import type { SecretVerifier } from './shared/secrets.js';

export interface MetricsDeps {
  knex: Knex;
  verifier: SecretVerifier;
  limiter: FailureLimiter;
  clientCache: { stats(): { hits: number; misses: number; entries: number } };
}

/** knex's pool (tarn) exposes its counts; the embedded driver has none. */
interface PoolCounts {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

export function createMetrics({ knex, verifier, limiter, clientCache }: MetricsDeps) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'latchkey_' }); // includes event-loop lag

  const requests = new Counter({
    name: 'latchkey_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'latchkey_http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status',
    labelNames: ['route', 'method', 'status'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const tokensIssued = new Counter({ name: 'latchkey_tokens_issued_total', help: 'access tokens issued', registers: [registry] });
  const authFailures = new Counter({
    name: 'latchkey_auth_failures_total',
    help: 'failed client authentications by endpoint and reason',
    labelNames: ['endpoint', 'reason'],
    registers: [registry],
  });
  new Gauge({
    name: 'latchkey_auth_rate_limit_rejections',
    help: 'authentications refused with 429 before any secret check, since start',
    registers: [registry],
    collect() {
      this.set(limiter.stats().rejections);
    },
  });
  new Gauge({
    name: 'latchkey_bcrypt_verifications',
    help: 'bcrypt secret checks run since start',
    registers: [registry],
    collect() {
      this.set(verifier.stats().bcryptChecks);
    },
  });
  new Gauge({
    name: 'latchkey_verified_secret_cache_hit_ratio',
    help: 'share of secret checks answered by the verified-secret record, since start',
    registers: [registry],
    collect() {
      const { hits, misses } = verifier.stats();
      this.set(hits + misses === 0 ? 0 : hits / (hits + misses));
    },
  });
  new Gauge({
    name: 'latchkey_client_cache_hit_ratio',
    help: 'share of API client lookups answered from memory, since start',
    registers: [registry],
    collect() {
      const { hits, misses } = clientCache.stats();
      this.set(hits + misses === 0 ? 0 : hits / (hits + misses));
    },
  });
  new Gauge({
    name: 'latchkey_client_cache_entries',
    help: 'API clients (and unknown client_ids) held in memory',
    registers: [registry],
    collect() {
      this.set(clientCache.stats().entries);
    },
  });
  new Gauge({
    name: 'latchkey_db_pool_connections',
    help: 'database pool connections by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const pool = (knex.client as { pool?: PoolCounts }).pool;
      if (!pool || typeof pool.numUsed !== 'function') return;
      this.set({ state: 'used' }, pool.numUsed());
      this.set({ state: 'free' }, pool.numFree());
      this.set({ state: 'pending' }, pool.numPendingAcquires());
    },
  });

  // Label sets are few (routes × methods × statuses): their children are kept, so that counting a
  // request does not hash its labels again.
  const children = new Map<string, { requests: Counter.Internal; duration: Histogram.Internal<string> }>();
  function childrenOf(route: string, method: string, status: number) {
    const key = `${route} ${method} ${status}`;
    let child = children.get(key);
    if (!child) {
      const labels = { route, method, status: String(status) };
      child = { requests: requests.labels(labels), duration: duration.labels(labels) };
      if (children.size < 10_000) children.set(key, child);
    }
    return child;
  }
  const AUTHENTICATING = new Map([
    ['/oauth/token', 'token'],
    ['/oauth/introspect', 'introspect'],
    ['/oauth/revoke', 'revoke'],
  ]);

  /** Counts a finished request: `route` is the route it matched (never the raw URL), `path` its path. */
  function requestFinished(route: string, method: string, path: string, status: number, seconds: number) {
    const child = childrenOf(route, method, status);
    child.requests.inc();
    child.duration.observe(seconds);
    const endpoint = AUTHENTICATING.get(path);
    if (endpoint) {
      if (status === 401) authFailures.inc({ endpoint, reason: 'invalid_client' });
      if (status === 429) authFailures.inc({ endpoint, reason: 'too_many_failures' });
    }
  }

  return {
    registry,
    requestFinished,
    tokenIssued: () => tokensIssued.inc(),
    /** A token request refused ahead of Express (server/http/front-door.ts), counted as Express would. */
    refusedEarly(seconds: number) {
      requestFinished('/oauth/token', 'POST', '/oauth/token', 429, seconds);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
