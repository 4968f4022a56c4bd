// Counts authentication events per credential without a database write per request: events are
// aggregated in memory into hourly buckets and buffered as API log rows, and both are written in
// a few statements every flush interval. A crash loses at most one interval.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Knex } from 'knex';
import type { Logger } from '../shared/logger.js';
import { emptyHistogram, slotOf } from './histogram.js';

export type CredentialType = 'api_client' | 'restricted_token';
export type UsageEndpoint = 'token' | 'introspection';
export type AuthEventName =
  | 'token.issued'
  | 'token.refused'
  | 'introspection.active'
  | 'introspection.inactive'
  | 'introspection.refused';

/** Who a request was about, as far as the endpoint found out; set while the request runs. */
export interface Attribution {
  credentialType: CredentialType;
  /** api_clients.client_id, or restricted_tokens.id. */
  credentialId: string;
  /** Unknown when a request was refused before its client was looked up; resolved at flush. */
  orgId: string | undefined;
  /** null: the request did what it asked (token issued, token active). */
  reason: string | null;
  event?: AuthEventName;
  scope?: string | null;
}

export interface AuthEvent extends Attribution {
  at: number;
  endpoint: UsageEndpoint;
  event: AuthEventName;
  status: number;
  latencyMs: number;
  ip: string | null;
  requestId: string | null;
}

const attributions = new WeakMap<IncomingMessage, Attribution>();

/** Records (or refines) which credential a request concerns and how it ended. */
export function attribute(req: IncomingMessage, attribution: Attribution): void {
  attributions.set(req, attribution);
}

interface Bucket {
  orgId: string | undefined;
  credentialType: CredentialType;
  credentialId: string;
  bucketStart: Date;
  endpoint: UsageEndpoint;
  outcome: string;
  histogram: number[];
}

export interface RecorderOptions {
  flushIntervalMs: number;
  /** API log rows kept per credential per second of flush interval; the rest is only counted. */
  maxLogEventsPerSecond: number;
}

/** Upper bounds on what waits in memory, whatever arrives (a flood of made-up client_ids). */
const MAX_BUCKETS = 100_000;
const MAX_LOG_ROWS = 50_000;
const HOUR_MS = 3_600_000;

export function createUsageRecorder(db: Knex, logger: Logger, options: RecorderOptions) {
  let buckets = new Map<string, Bucket>();
  let logRows: AuthEvent[] = [];
  let logCounts = new Map<string, number>();
  let dropped = { buckets: 0, logs: 0 };
  const stats = { recorded: 0, logsSuppressed: 0, flushes: 0, flushFailures: 0 };
  const logCapPerCredential = Math.max(1, Math.round((options.maxLogEventsPerSecond * options.flushIntervalMs) / 1000));

  function addBucket(bucket: Bucket, count: number) {
    const key = `${bucket.credentialId}|${bucket.bucketStart.getTime()}|${bucket.endpoint}|${bucket.outcome}`;
    const existing = buckets.get(key);
    if (existing) {
      existing.orgId ??= bucket.orgId;
      for (let slot = 0; slot < bucket.histogram.length; slot++) {
        existing.histogram[slot] = (existing.histogram[slot] ?? 0) + (bucket.histogram[slot] ?? 0);
      }
      return;
    }
    if (buckets.size >= MAX_BUCKETS) {
      dropped.buckets += count;
      return;
    }
    buckets.set(key, bucket);
  }

  function record(event: AuthEvent): void {
    stats.recorded++;
    const hour = Math.floor(event.at / HOUR_MS) * HOUR_MS;
    const outcome = event.reason ?? 'success';
    const slot = slotOf(event.latencyMs);
    // The common case, a bucket that already exists, allocates nothing.
    const existing = buckets.get(`${event.credentialId}|${hour}|${event.endpoint}|${outcome}`);
    if (existing) {
      existing.orgId ??= event.orgId;
      existing.histogram[slot] = (existing.histogram[slot] ?? 0) + 1;
    } else {
      const histogram = emptyHistogram();
      histogram[slot] = 1;
      const { orgId, credentialType, credentialId, endpoint } = event;
      addBucket({ orgId, credentialType, credentialId, bucketStart: new Date(hour), endpoint, outcome, histogram }, 1);
    }
    const logged = logCounts.get(event.credentialId) ?? 0;
    if (logged >= logCapPerCredential || logRows.length >= MAX_LOG_ROWS) {
      stats.logsSuppressed++;
      dropped.logs++;
      return;
    }
    logCounts.set(event.credentialId, logged + 1);
    logRows.push(event);
  }

  /** Organizations of API clients that were refused before their row was read; unknown ids drop. */
  async function resolveOrgs(clientIds: string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (let start = 0; start < clientIds.length; start += 1000) {
      const rows = (await db('api_clients')
        .select('client_id', 'org_id')
        .whereIn('client_id', clientIds.slice(start, start + 1000))) as Array<{ client_id: string; org_id: string }>;
      for (const row of rows) found.set(row.client_id, row.org_id);
    }
    return found;
  }

  async function write(pendingBuckets: Bucket[], pendingLogs: AuthEvent[]) {
    const unresolved = new Set<string>();
    for (const item of [...pendingBuckets, ...pendingLogs]) {
      if (item.orgId === undefined && item.credentialType === 'api_client') unresolved.add(item.credentialId);
    }
    const orgs = unresolved.size > 0 ? await resolveOrgs([...unresolved]) : new Map<string, string>();
    const orgOf = (item: { orgId: string | undefined; credentialId: string }) => item.orgId ?? orgs.get(item.credentialId);

    const bucketRows = pendingBuckets.flatMap((bucket) => {
      const orgId = orgOf(bucket);
      if (!orgId) return [];
      return [
        {
          org_id: orgId,
          credential_type: bucket.credentialType,
          credential_id: bucket.credentialId,
          bucket_start: bucket.bucketStart,
          endpoint: bucket.endpoint,
          outcome: bucket.outcome,
          requests: bucket.histogram.reduce((sum, count) => sum + count, 0),
          latency_histogram: bucket.histogram,
        },
      ];
    });
    const apiLogRows = pendingLogs.flatMap((event) => {
      const orgId = orgOf(event);
      if (!orgId) return [];
      return [
        {
          org_id: orgId,
          at: new Date(event.at),
          event: event.event,
          credential_type: event.credentialType,
          credential_id: event.credentialId,
          status: event.status,
          reason: event.reason,
          scope: event.scope ?? null,
          ip: event.ip,
          request_id: event.requestId,
          latency_ms: Math.round(event.latencyMs),
        },
      ];
    });
    if (bucketRows.length === 0 && apiLogRows.length === 0) return;
    await db.transaction(async (trx) => {
      // Sorted, so that two instances flushing the same buckets lock them in the same order.
      bucketRows.sort((a, b) =>
        a.credential_id === b.credential_id
          ? a.bucket_start.getTime() - b.bucket_start.getTime() || `${a.endpoint}|${a.outcome}`.localeCompare(`${b.endpoint}|${b.outcome}`)
          : a.credential_id < b.credential_id ? -1 : 1,
      );
      for (let start = 0; start < bucketRows.length; start += 500) {
        await trx('usage_buckets')
          .insert(bucketRows.slice(start, start + 500))
          .onConflict(['credential_id', 'bucket_start', 'endpoint', 'outcome'])
          .merge({
            requests: trx.raw('usage_buckets.requests + excluded.requests'),
            latency_histogram: trx.raw(
              'array(select a + b from unnest(usage_buckets.latency_histogram, excluded.latency_histogram) as h(a, b))',
            ),
          });
      }
      for (let start = 0; start < apiLogRows.length; start += 1000) {
        await trx('api_logs').insert(apiLogRows.slice(start, start + 1000));
      }
    });
  }

  let flushing: Promise<void> | undefined;

  /** Writes everything counted until now (after any write already under way). */
  async function flush(): Promise<void> {
    while (flushing) await flushing;
    flushing = (async () => {
      const pendingBuckets = [...buckets.values()];
      const pendingLogs = logRows;
      const lost = dropped;
      buckets = new Map();
      logRows = [];
      logCounts = new Map();
      dropped = { buckets: 0, logs: 0 };
      if (lost.buckets > 0 || lost.logs > 0) {
        logger.warn(
          { uncounted_requests: lost.buckets, unlogged_events: lost.logs },
          'usage recording over its limits: some requests were not counted or not written to the API log',
        );
      }
      try {
        await write(pendingBuckets, pendingLogs);
        stats.flushes++;
      } catch (error) {
        stats.flushFailures++;
        logger.warn({ err: error }, 'could not write usage counts and API logs; keeping the counts for the next flush');
        // Counts survive a database outage (up to the bounds); log rows of this interval do not.
        for (const bucket of pendingBuckets) addBucket(bucket, bucket.histogram.reduce((sum, count) => sum + count, 0));
      }
    })().finally(() => {
      flushing = undefined;
    });
    await flushing;
  }

  const timer = setInterval(() => void flush(), options.flushIntervalMs);
  timer.unref();

  /** Records the request's attributed outcome when its response is sent; call when it arrives. */
  function trackRequest(endpoint: UsageEndpoint, req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    res.on('finish', () => {
      const attribution = attributions.get(req);
      if (!attribution) return;
      const status = res.statusCode;
      const { id, ip } = req as IncomingMessage & { id?: unknown; ip?: string };
      // Field by field: a spread of attributions of varying shapes is one of V8's slow paths.
      record({
        credentialType: attribution.credentialType,
        credentialId: attribution.credentialId,
        orgId: attribution.orgId,
        reason: attribution.reason,
        scope: attribution.scope,
        event: attribution.event ?? (status === 200 ? 'token.issued' : 'token.refused'),
        at: Date.now(),
        endpoint,
        status,
        latencyMs: performance.now() - started,
        ip: ip ?? null,
        requestId: typeof id === 'string' ? id : null,
      });
    });
  }

  /** trackRequest as Express middleware. */
  function track(endpoint: UsageEndpoint): RequestHandler {
    return (req, res, next) => {
      trackRequest(endpoint, req, res);
      next();
    };
  }

  return {
    record,
    track,
    trackRequest,
    flush,
    stats: () => ({ ...stats }),
    /** Stops the timer and writes what is left. */
    async stop(): Promise<void> {
      clearInterval(timer);
      await flush();
    },
  };
}

export type UsageRecorder = ReturnType<typeof createUsageRecorder>;
