// Reading usage: time series per credential and per organization from the hourly buckets, with
// requests, successes, failures by reason and latency percentiles, for the token endpoint and
// introspection separately and together.
import type { Knex } from 'knex';
import { z } from 'zod';
import type { ClientsService } from '../clients/clients.service.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import type { RestrictedTokensService } from '../restricted-tokens/restricted-tokens.service.js';
import { AppError } from '../shared/errors.js';
import { instant, isoDateTime } from '../shared/query.js';
import { addInto, emptyHistogram, HISTOGRAM_SLOTS, percentile } from './histogram.js';
import type { CredentialType, UsageEndpoint } from './recorder.js';

export const usageQuerySchema = z
  .object({
    from: isoDateTime().optional().meta({ description: 'start (rounded down to the hour or day); default: 24 hours or 30 days before to' }),
    to: isoDateTime().optional().meta({ description: 'end, exclusive (rounded up to the hour or day); default: now' }),
    granularity: z.enum(['hour', 'day'], { error: 'must be hour or day' }).optional().meta({ description: 'default hour; days are UTC days' }),
  })
  .strict();

export type UsageQuery = z.output<typeof usageQuerySchema>;

const STEP_MS = { hour: 3_600_000, day: 86_400_000 } as const;
const DEFAULT_POINTS = { hour: 24, day: 30 } as const;
const MAX_POINTS = { hour: 24 * 31, day: 366 } as const;
const ENDPOINTS: UsageEndpoint[] = ['token', 'introspection'];

interface Range {
  from: Date;
  to: Date;
  granularity: 'hour' | 'day';
}

function rangeOf(query: UsageQuery, now = Date.now()): Range {
  const granularity = query.granularity ?? 'hour';
  const step = STEP_MS[granularity];
  const toValue = instant('to', query.to)?.getTime() ?? now;
  const to = Math.ceil(toValue / step) * step;
  const fromValue = instant('from', query.from)?.getTime();
  const from = fromValue === undefined ? to - DEFAULT_POINTS[granularity] * step : Math.floor(fromValue / step) * step;
  if (from >= to) throw AppError.invalidRequest('from: must be before to');
  if ((to - from) / step > MAX_POINTS[granularity]) {
    throw AppError.invalidRequest(
      granularity === 'hour'
        ? `to: with granularity=hour the range may span at most ${MAX_POINTS.hour} hours (31 days); use granularity=day`
        : `to: with granularity=day the range may span at most ${MAX_POINTS.day} days`,
    );
  }
  return { from: new Date(from), to: new Date(to), granularity };
}

/** Histograms by outcome, the raw material of every figure below. */
type Outcomes = Map<string, number[]>;

function statsOf(outcomes: Outcomes) {
  const all = emptyHistogram();
  let requests = 0;
  let successes = 0;
  const failuresByReason: Record<string, number> = {};
  for (const [outcome, histogram] of outcomes) {
    const count = histogram.reduce((sum, value) => sum + value, 0);
    addInto(all, histogram);
    requests += count;
    if (outcome === 'success') successes += count;
    else failuresByReason[outcome] = (failuresByReason[outcome] ?? 0) + count;
  }
  return {
    requests,
    successes,
    failures: requests - successes,
    failures_by_reason: failuresByReason,
    latency_ms: { p50: percentile(all, 0.5), p95: percentile(all, 0.95) },
  };
}

/** Outcomes per endpoint, summed into the totals and the per-endpoint figures. */
class Cell {
  readonly byEndpoint = new Map<UsageEndpoint, Outcomes>(ENDPOINTS.map((endpoint) => [endpoint, new Map()]));

  add(endpoint: UsageEndpoint, outcome: string, histogram: readonly number[]) {
    const outcomes = this.byEndpoint.get(endpoint) as Outcomes;
    const existing = outcomes.get(outcome) ?? emptyHistogram();
    addInto(existing, histogram);
    outcomes.set(outcome, existing);
  }

  addCell(other: Cell) {
    for (const [endpoint, outcomes] of other.byEndpoint) {
      for (const [outcome, histogram] of outcomes) this.add(endpoint, outcome, histogram);
    }
  }

  toJson() {
    const combined: Outcomes = new Map();
    for (const outcomes of this.byEndpoint.values()) {
      for (const [outcome, histogram] of outcomes) {
        const existing = combined.get(outcome) ?? emptyHistogram();
        addInto(existing, histogram);
        combined.set(outcome, existing);
      }
    }
    return {
      ...statsOf(combined),
      endpoints: {
        token: statsOf(this.byEndpoint.get('token') as Outcomes),
        introspection: statsOf(this.byEndpoint.get('introspection') as Outcomes),
      },
    };
  }
}

interface SeriesRow {
  start: Date;
  endpoint: UsageEndpoint;
  outcome: string;
  slot: number;
  count: string | number;
}

interface CredentialRow {
  credential_type: CredentialType;
  credential_id: string;
  outcome: string;
  requests: string | number;
}

/** The credentials' own services: their lookups (by id or client_id, not deleted, 404) are the usage routes' too. */
interface UsageDeps {
  db: Knex;
  orgs: OrgsService;
  clients: Pick<ClientsService, 'get'>;
  restrictedTokens: Pick<RestrictedTokensService, 'get'>;
}

export function createUsageService({ db, orgs, clients, restrictedTokens }: UsageDeps) {
  /** One point per step of the range (zeros where nothing happened), and their totals. */
  async function series(orgId: string, credentialId: string | undefined, range: Range) {
    const query = db('usage_buckets as b')
      .joinRaw('cross join lateral unnest(b.latency_histogram) with ordinality as h(v, i)')
      .where('b.org_id', orgId)
      .andWhere('b.bucket_start', '>=', range.from)
      .andWhere('b.bucket_start', '<', range.to)
      .select(
        db.raw("date_trunc(?, b.bucket_start, 'UTC') as start", [range.granularity]),
        'b.endpoint',
        'b.outcome',
        db.raw('h.i::int - 1 as slot'),
        db.raw('sum(h.v)::bigint as count'),
      )
      .groupByRaw('1, 2, 3, 4');
    if (credentialId !== undefined) query.andWhere('b.credential_id', credentialId);
    const rows = (await query) as SeriesRow[];

    const step = STEP_MS[range.granularity];
    const cells = new Map<number, Cell>();
    for (let at = range.from.getTime(); at < range.to.getTime(); at += step) cells.set(at, new Cell());
    const histograms = new Map<string, { start: number; endpoint: UsageEndpoint; outcome: string; histogram: number[] }>();
    for (const row of rows) {
      const start = new Date(row.start).getTime();
      const key = `${start}|${row.endpoint}|${row.outcome}`;
      const entry = histograms.get(key) ?? { start, endpoint: row.endpoint, outcome: row.outcome, histogram: emptyHistogram() };
      if (row.slot >= 0 && row.slot < HISTOGRAM_SLOTS) entry.histogram[row.slot] = Number(row.count);
      histograms.set(key, entry);
    }
    for (const entry of histograms.values()) cells.get(entry.start)?.add(entry.endpoint, entry.outcome, entry.histogram);

    const totals = new Cell();
    const points = [...cells].map(([start, cell]) => {
      totals.addCell(cell);
      return { start: new Date(start).toISOString(), ...cell.toJson() };
    });
    return {
      granularity: range.granularity,
      from: range.from.toISOString(),
      to: range.to.toISOString(),
      totals: totals.toJson(),
      series: points,
    };
  }

  return {
    async forClient(orgId: string, id: string, query: UsageQuery) {
      const range = rangeOf(query);
      const client = await clients.get(orgId, id);
      return {
        credential: { type: 'api_client' as const, id: client.id, client_id: client.client_id, name: client.name, last_used_at: client.last_used_at },
        ...(await series(orgId, client.client_id, range)),
      };
    },

    async forRestrictedToken(orgId: string, id: string, query: UsageQuery) {
      const range = rangeOf(query);
      const token = await restrictedTokens.get(orgId, id);
      return {
        credential: { type: 'restricted_token' as const, id: token.id, client_id: null, name: token.name, last_used_at: token.last_used_at },
        ...(await series(orgId, token.id, range)),
      };
    },

    /** The organization's series, and each credential's totals over the range (busiest first). */
    async forOrganization(orgId: string, query: UsageQuery) {
      const range = rangeOf(query);
      await orgs.require(orgId);
      const result = await series(orgId, undefined, range);
      const rows = (await db('usage_buckets')
        .where('org_id', orgId)
        .andWhere('bucket_start', '>=', range.from)
        .andWhere('bucket_start', '<', range.to)
        .select('credential_type', 'credential_id', 'outcome', db.raw('sum(requests)::bigint as requests'))
        .groupBy('credential_type', 'credential_id', 'outcome')) as CredentialRow[];

      const counts = new Map<string, { type: CredentialType; requests: number; successes: number }>();
      for (const row of rows) {
        const entry = counts.get(row.credential_id) ?? { type: row.credential_type, requests: 0, successes: 0 };
        entry.requests += Number(row.requests);
        if (row.outcome === 'success') entry.successes += Number(row.requests);
        counts.set(row.credential_id, entry);
      }
      const clientIds = [...counts].filter(([, entry]) => entry.type === 'api_client').map(([id]) => id);
      const tokenIds = [...counts].filter(([, entry]) => entry.type === 'restricted_token').map(([id]) => id);
      const clients = clientIds.length
        ? ((await db('api_clients').where('org_id', orgId).whereIn('client_id', clientIds).select('id', 'client_id', 'name', 'deleted_at', 'last_used_at')) as Array<{
            id: string;
            client_id: string;
            name: string;
            deleted_at: Date | null;
            last_used_at: Date | null;
          }>)
        : [];
      const tokens = tokenIds.length
        ? ((await db('restricted_tokens').where('org_id', orgId).whereIn('id', tokenIds).select('id', 'name', 'deleted_at', 'last_used_at')) as Array<{
            id: string;
            name: string;
            deleted_at: Date | null;
            last_used_at: Date | null;
          }>)
        : [];
      const figures = (key: string) => {
        const entry = counts.get(key) as { requests: number; successes: number };
        return { requests: entry.requests, successes: entry.successes, failures: entry.requests - entry.successes };
      };
      const credentials = [
        ...clients.map((client) => ({
          type: 'api_client' as const,
          id: client.id,
          client_id: client.client_id,
          name: client.name,
          deleted: client.deleted_at !== null,
          last_used_at: client.last_used_at?.toISOString() ?? null,
          ...figures(client.client_id),
        })),
        ...tokens.map((token) => ({
          type: 'restricted_token' as const,
          id: token.id,
          client_id: null,
          name: token.name,
          deleted: token.deleted_at !== null,
          last_used_at: token.last_used_at?.toISOString() ?? null,
          ...figures(token.id),
        })),
      ].sort((a, b) => b.requests - a.requests || a.name.localeCompare(b.name));
      return { org_id: orgId, ...result, credentials };
    },
  };
}

export type UsageService = ReturnType<typeof createUsageService>;
