// Usage analytics and API logs: what a burst of real token requests and introspections leaves in
// the hourly buckets and the API log, read back through the management API.
import { orgWithAdmin, type SignedIn } from '../helpers/api.js';
import { basic, postToken } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';
import { pruneUsageAndLogs } from '../../server/usage/retention.js';
import { emptyHistogram, percentile } from '../../server/usage/histogram.js';

let server: TestServer;
let rs: { client_id: string; client_secret: string };
beforeAll(async () => {
  // Flushes are triggered by the tests; the timer would make counts arrive at random moments.
  server = await startTestServer({
    env: { USAGE_FLUSH_INTERVAL_MS: '60000', API_LOG_MAX_EVENTS_PER_SECOND: '1', AUTH_MAX_FAILURES_PER_CLIENT: '3' },
  });
  rs = await server.services.resourceServers.create({ name: 'Payroll API' }, OPERATOR_CONTEXT);
});
afterAll(() => server.stop());

const grant = 'grant_type=client_credentials';
const HOUR = 3_600_000;
const zeroFigures = { requests: 0, successes: 0, failures: 0, failures_by_reason: {}, latency_ms: { p50: null, p95: null } };
const zeroPoint = { ...zeroFigures, endpoints: { token: zeroFigures, introspection: zeroFigures } };
const latency = { p50: expect.any(Number), p95: expect.any(Number) };

async function introspect(token: string, extra: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/oauth/introspect`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(rs.client_id, rs.client_secret) },
    body: new URLSearchParams({ token, ...extra }).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function burst(session: SignedIn, orgId: string) {
  const created = (await session.request('POST', `/v1/orgs/${orgId}/clients`, { name: 'Payroll export', scopes: ['payroll:Read'] })).body;
  const auth = { authorization: basic(created.client_id, created.client_secret) };
  const tokens: string[] = [];
  for (let i = 0; i < 4; i += 1) {
    const response = await postToken(server.url, grant, auth);
    expect(response.status).toBe(200);
    tokens.push((response.body as { access_token: string }).access_token);
  }
  expect((await postToken(server.url, `${grant}&scope=payroll:Write`, auth)).status).toBe(400);
  expect((await postToken(server.url, grant, { authorization: basic(created.client_id, 'lks_wrong') })).status).toBe(401);
  expect((await postToken(server.url, grant, { authorization: basic(created.client_id, 'lks_wrong') })).status).toBe(401);
  expect((await introspect(tokens[0] as string)).body.active).toBe(true);
  return { created, tokens };
}

describe('usage of an API client', () => {
  it('counts a burst into the current hour: requests, successes, failures by reason, latency', async () => {
    const { org, session } = await orgWithAdmin(server);
    const { created } = await burst(session, org.id);
    await server.flushUsage();

    const response = await session.request('GET', `/v1/orgs/${org.id}/clients/${created.id}/usage`);
    expect(response.status).toBe(200);
    const now = Date.now();
    const to = Math.ceil(now / HOUR) * HOUR;
    const current = {
      requests: 8,
      successes: 5,
      failures: 3,
      failures_by_reason: { invalid_client: 2, invalid_scope: 1 },
      latency_ms: latency,
      endpoints: {
        token: { requests: 7, successes: 4, failures: 3, failures_by_reason: { invalid_client: 2, invalid_scope: 1 }, latency_ms: latency },
        introspection: { requests: 1, successes: 1, failures: 0, failures_by_reason: {}, latency_ms: latency },
      },
    };
    expect(response.body).toEqual({
      credential: { type: 'api_client', id: created.id, client_id: created.client_id, name: 'Payroll export', last_used_at: expect.any(String) },
      granularity: 'hour',
      from: new Date(to - 24 * HOUR).toISOString(),
      to: new Date(to).toISOString(),
      totals: current,
      series: Array.from({ length: 24 }, (_, i) => ({ start: new Date(to - (24 - i) * HOUR).toISOString(), ...(i === 23 ? current : zeroPoint) })),
    });
    const { p50, p95 } = response.body.totals.latency_ms;
    expect(p50).toBeGreaterThan(0);
    expect(p95).toBeGreaterThanOrEqual(p50);

    // The client_id names the same client; a later flush adds to the same bucket.
    expect((await postToken(server.url, grant, { authorization: basic(created.client_id, created.client_secret) })).status).toBe(200);
    await server.flushUsage();
    const again = await session.request('GET', `/v1/orgs/${org.id}/clients/${created.client_id}/usage`);
    expect(again.body.totals.requests).toBe(9);
    expect(again.body.totals.endpoints.token.successes).toBe(5);
    const rows = await server.db.knex('usage_buckets').where({ credential_id: created.client_id }).orderBy(['endpoint', 'outcome']);
    expect(rows.map((row) => [row.endpoint, row.outcome, Number(row.requests), row.org_id])).toEqual([
      ['introspection', 'success', 1, org.id],
      ['token', 'invalid_client', 2, org.id],
      ['token', 'invalid_scope', 1, org.id],
      ['token', 'success', 5, org.id],
    ]);
    for (const row of rows) {
      expect(row.latency_histogram.map(Number).reduce((a: number, b: number) => a + b, 0)).toBe(Number(row.requests));
    }
  });

  it('sums days at granularity=day and validates the range', async () => {
    const { org, session } = await orgWithAdmin(server);
    const { created } = await burst(session, org.id);
    await server.flushUsage();
    const day = 86_400_000;
    const today = Math.floor(Date.now() / day) * day;
    const response = await session.request(
      'GET',
      `/v1/orgs/${org.id}/clients/${created.id}/usage?granularity=day&from=${new Date(today - 2 * day + 5000).toISOString()}&to=${new Date(today + 1000).toISOString()}`,
    );
    expect(response.status).toBe(200);
    expect(response.body.from).toBe(new Date(today - 2 * day).toISOString());
    expect(response.body.to).toBe(new Date(today + day).toISOString());
    expect(response.body.series.map((point: { start: string; requests: number }) => [point.start, point.requests])).toEqual([
      [new Date(today - 2 * day).toISOString(), 0],
      [new Date(today - day).toISOString(), 0],
      [new Date(today).toISOString(), 8],
    ]);

    const path = `/v1/orgs/${org.id}/clients/${created.id}/usage`;
    const errors = {
      '?granularity=minute': 'granularity: must be hour or day',
      '?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z': 'from: must be before to',
      '?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z': 'to: with granularity=hour the range may span at most 744 hours (31 days); use granularity=day',
      '?granularity=day&from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z': 'to: with granularity=day the range may span at most 366 days',
      '?from=yesterday': 'from: must be an ISO 8601 date-time with a time zone',
      '?bucket=hour': 'query: unknown field "bucket"',
    };
    for (const [query, description] of Object.entries(errors)) {
      const refused = await session.request('GET', `${path}${query}`);
      expect([query, refused.status, refused.body]).toEqual([query, 400, { error: 'invalid_request', error_description: description }]);
    }
    expect((await session.request('GET', `/v1/orgs/${org.id}/clients/lkc_nosuchclient/usage`)).body).toEqual({
      error: 'not_found',
      error_description: 'API client not found',
    });
  });

  it('counts refusals before the secret check against the client_id, and rate-limit refusals', async () => {
    const { org, session } = await orgWithAdmin(server);
    const created = (await session.request('POST', `/v1/orgs/${org.id}/clients`, { name: 'Flooded', scopes: ['payroll:Read'] })).body;
    expect((await session.request('PATCH', `/v1/orgs/${org.id}/clients/${created.id}`, { rate_limit_per_minute: 1 })).status).toBe(200);
    const right = { authorization: basic(created.client_id, created.client_secret) };
    expect((await postToken(server.url, grant, right)).status).toBe(200);
    const wrong = { authorization: basic(created.client_id, 'lks_wrong') };
    for (let i = 0; i < 3; i += 1) expect((await postToken(server.url, grant, wrong)).status).toBe(401);
    expect((await postToken(server.url, grant, wrong)).status).toBe(429); // refused before the client lookup
    // The verified secret still passes the block, and then meets its 1 request per minute.
    expect((await postToken(server.url, grant, right)).status).toBe(429);
    await server.flushUsage();

    const usage = await session.request('GET', `/v1/orgs/${org.id}/clients/${created.id}/usage`);
    expect(usage.body.totals.endpoints.token).toEqual({
      requests: 6,
      successes: 1,
      failures: 5,
      failures_by_reason: { invalid_client: 3, too_many_failures: 1, rate_limited: 1 },
      latency_ms: latency,
    });
    const logs = await session.request('GET', `/v1/orgs/${org.id}/api-logs?credential=${created.client_id}&status=429`);
    expect(logs.body.events.map((event: { event: string; reason: string; status: number }) => [event.event, event.reason, event.status])).toEqual([
      ['token.refused', 'rate_limited', 429],
      ['token.refused', 'too_many_failures', 429],
    ]);
  });

  it('drops what concerns no client: unknown client_ids are not counted anywhere', async () => {
    await server.flushUsage();
    const before = Number((await server.db.knex('usage_buckets').count({ n: '*' }).first())?.n);
    expect((await postToken(server.url, grant, { authorization: basic('lkc_doesnotexist', 'lks_wrong') })).status).toBe(401);
    await server.flushUsage();
    expect(Number((await server.db.knex('usage_buckets').count({ n: '*' }).first())?.n)).toBe(before);
    expect(await server.db.knex('api_logs').where({ credential_id: 'lkc_doesnotexist' })).toEqual([]);
  });
});

describe('usage of a restricted token', () => {
  it('counts introspections by resource servers, with ip_not_allowed as a failure', async () => {
    const { org, session } = await orgWithAdmin(server);
    const created = (
      await session.request('POST', `/v1/orgs/${org.id}/restricted-tokens`, { name: 'Kiosk', allowed_ips: ['203.0.113.0/24'], scopes: ['employees:Read'] })
    ).body;
    expect((await introspect(created.token, { client_ip: '203.0.113.7' })).body.client_ip_allowed).toBe(true);
    expect((await introspect(created.token, { client_ip: '198.51.100.1' })).body.client_ip_allowed).toBe(false);
    expect((await introspect(created.token)).body.active).toBe(true);
    await server.flushUsage();

    const usage = await session.request('GET', `/v1/orgs/${org.id}/restricted-tokens/${created.id}/usage`);
    expect(usage.status).toBe(200);
    expect(usage.body.credential).toEqual({ type: 'restricted_token', id: created.id, client_id: null, name: 'Kiosk', last_used_at: expect.any(String) });
    expect(usage.body.totals).toEqual({
      requests: 3,
      successes: 2,
      failures: 1,
      failures_by_reason: { ip_not_allowed: 1 },
      latency_ms: latency,
      endpoints: {
        token: zeroFigures,
        introspection: { requests: 3, successes: 2, failures: 1, failures_by_reason: { ip_not_allowed: 1 }, latency_ms: latency },
      },
    });
    const logs = await session.request('GET', `/v1/orgs/${org.id}/api-logs?credential=${created.id}`);
    expect(logs.body.events).toEqual(
      [null, 'ip_not_allowed', null].map((reason) => ({
        id: expect.stringMatching(/^\d+$/),
        at: expect.any(String),
        event: 'introspection.active',
        credential: { type: 'restricted_token', id: created.id, client_id: null, name: 'Kiosk' },
        status: 200,
        reason,
        scope: 'employees:Read',
        ip: expect.any(String),
        request_id: expect.any(String),
        latency_ms: expect.any(Number),
      })),
    );
    expect((await session.request('GET', `/v1/orgs/${org.id}/restricted-tokens/not-a-uuid/usage`)).status).toBe(404);
  });
});

describe('the organization overview', () => {
  it('sums every credential and lists each one, busiest first', async () => {
    const { org, session } = await orgWithAdmin(server);
    const { created } = await burst(session, org.id);
    const quiet = (await session.request('POST', `/v1/orgs/${org.id}/clients`, { name: 'Quiet one', scopes: ['payroll:Read'] })).body;
    expect((await postToken(server.url, grant, { authorization: basic(quiet.client_id, quiet.client_secret) })).status).toBe(200);
    const token = (await session.request('POST', `/v1/orgs/${org.id}/restricted-tokens`, { name: 'Kiosk', allowed_ips: ['127.0.0.1'], scopes: ['employees:Read'] })).body;
    await introspect(token.token);
    await server.flushUsage();

    const response = await session.request('GET', `/v1/orgs/${org.id}/usage`);
    expect(response.status).toBe(200);
    expect(response.body.org_id).toBe(org.id);
    expect(response.body.totals).toMatchObject({ requests: 10, successes: 7, failures: 3, failures_by_reason: { invalid_client: 2, invalid_scope: 1 } });
    expect(response.body.series).toHaveLength(24);
    expect(response.body.series[23].requests).toBe(10);
    expect(response.body.credentials).toEqual([
      { type: 'api_client', id: created.id, client_id: created.client_id, name: 'Payroll export', deleted: false, last_used_at: expect.any(String), requests: 8, successes: 5, failures: 3 },
      { type: 'restricted_token', id: token.id, client_id: null, name: 'Kiosk', deleted: false, last_used_at: expect.any(String), requests: 1, successes: 1, failures: 0 },
      { type: 'api_client', id: quiet.id, client_id: quiet.client_id, name: 'Quiet one', deleted: false, last_used_at: expect.any(String), requests: 1, successes: 1, failures: 0 },
    ]);

    // A deleted client's past traffic stays in the overview, marked deleted.
    expect((await session.request('DELETE', `/v1/orgs/${org.id}/clients/${quiet.id}`)).status).toBe(200);
    const after = await session.request('GET', `/v1/orgs/${org.id}/usage`);
    expect(after.body.credentials[2]).toMatchObject({ id: quiet.id, deleted: true, requests: 1 });
    // Another organization sees none of it.
    const other = await orgWithAdmin(server);
    expect((await other.session.request('GET', `/v1/orgs/${other.org.id}/usage`)).body.totals.requests).toBe(0);
    expect((await other.session.request('GET', `/v1/orgs/${other.org.id}/clients/${created.id}/usage`)).status).toBe(404);
  });
});

describe('API logs', () => {
  it('lists authentication events newest first, filters them, pages them and exports CSV', async () => {
    const { org, session } = await orgWithAdmin(server);
    const { created } = await burst(session, org.id);
    await server.flushUsage();

    const all = await session.request('GET', `/v1/orgs/${org.id}/api-logs`);
    expect(all.status).toBe(200);
    const credential = { type: 'api_client', id: created.id, client_id: created.client_id, name: 'Payroll export' };
    const entry = (event: string, status: number, reason: string | null, scope: string | null) => ({
      id: expect.stringMatching(/^\d+$/),
      at: expect.any(String),
      event,
      credential,
      status,
      reason,
      scope,
      ip: '::ffff:127.0.0.1',
      request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      latency_ms: expect.any(Number),
    });
    expect(all.body).toEqual({
      events: [
        entry('introspection.active', 200, null, 'payroll:Read'),
        entry('token.refused', 401, 'invalid_client', null),
        entry('token.refused', 401, 'invalid_client', null),
        entry('token.refused', 400, 'invalid_scope', null),
        ...Array.from({ length: 4 }, () => entry('token.issued', 200, null, 'payroll:Read')),
      ],
      next_cursor: null,
    });
    const rows = await server.db.knex('api_logs').where({ org_id: org.id });
    expect(rows).toHaveLength(8);

    const filtered = async (query: string) =>
      (await session.request('GET', `/v1/orgs/${org.id}/api-logs?${query}`)).body.events.map((event: { event: string; status: number }) => `${event.event} ${event.status}`);
    expect(await filtered('event=token.refused')).toEqual(['token.refused 401', 'token.refused 401', 'token.refused 400']);
    expect(await filtered('status=4xx')).toEqual(['token.refused 401', 'token.refused 401', 'token.refused 400']);
    expect(await filtered('status=400,2xx&event=token.issued,token.refused')).toEqual([
      'token.refused 400',
      ...Array.from({ length: 4 }, () => 'token.issued 200'),
    ]);
    expect(await filtered(`credential=${created.id}&event=introspection.active`)).toEqual(['introspection.active 200']);
    expect(await filtered('credential=lkc_someoneelse')).toEqual([]);
    expect(await filtered(`from=${new Date(Date.now() + 60_000).toISOString()}`)).toEqual([]);

    // Paging: three pages of three, three, two, in the same order as the whole list.
    const ids: string[] = [];
    let cursor: string | null = '';
    for (let page = 0; page < 5 && cursor !== null; page += 1) {
      const response: { body: { events: Array<{ id: string }>; next_cursor: string | null } } = await session.request(
        'GET',
        `/v1/orgs/${org.id}/api-logs?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      ids.push(...response.body.events.map((event) => event.id));
      cursor = response.body.next_cursor;
    }
    expect(ids).toEqual(all.body.events.map((event: { id: string }) => event.id));

    const csv = await session.request('GET', `/v1/orgs/${org.id}/api-logs?format=csv&event=token.refused`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="api-logs-${org.id}.csv"`);
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('id,at,event,credential_type,credential_id,credential_name,status,reason,scope,ip,request_id,latency_ms');
    expect(lines.slice(1).map((line: string) => line.split(',').slice(2, 10))).toEqual([
      ['token.refused', 'api_client', created.client_id, 'Payroll export', '401', 'invalid_client', '', '::ffff:127.0.0.1'],
      ['token.refused', 'api_client', created.client_id, 'Payroll export', '401', 'invalid_client', '', '::ffff:127.0.0.1'],
      ['token.refused', 'api_client', created.client_id, 'Payroll export', '400', 'invalid_scope', '', '::ffff:127.0.0.1'],
    ]);

    const errors = {
      'event=token.stolen': 'event: unknown event "token.stolen"; one of token.issued, token.refused, introspection.active, introspection.inactive, introspection.refused',
      'status=abc': 'status: must be HTTP status codes or classes like 4xx, comma-separated',
      'cursor=bm9wZQ': 'cursor: is not a cursor this server gave out',
      'limit=500': 'limit: must be at most 200',
    };
    for (const [query, description] of Object.entries(errors)) {
      const refused = await session.request('GET', `/v1/orgs/${org.id}/api-logs?${query}`);
      expect([query, refused.status, refused.body]).toEqual([query, 400, { error: 'invalid_request', error_description: description }]);
    }
  });

  it('writes at most API_LOG_MAX_EVENTS_PER_SECOND rows per credential per interval, counts all, and says so', async () => {
    const client = await server.createClient({ scopes: ['payroll:Read'] });
    const auth = { authorization: basic(client.client_id, client.client_secret) };
    // 1 per second over a 60 s interval: 60 rows; the 5 beyond are counted in usage only.
    for (let i = 0; i < 65; i += 1) expect((await postToken(server.url, grant, auth)).status).toBe(200);
    await server.flushUsage();
    expect(Number((await server.db.knex('api_logs').where({ credential_id: client.client_id }).count({ n: '*' }).first())?.n)).toBe(60);
    const buckets = await server.db.knex('usage_buckets').where({ credential_id: client.client_id });
    expect(buckets.map((row) => [row.outcome, Number(row.requests)])).toEqual([['success', 65]]);
    expect(server.logs.lines.some((line) => line.msg?.toString().startsWith('usage recording over its limits') && line.unlogged_events === 5)).toBe(true);
  });

  it('keeps rows for API_LOG_RETENTION_DAYS and buckets for USAGE_RETENTION_DAYS', async () => {
    const { org } = await orgWithAdmin(server);
    const now = new Date('2026-06-30T12:00:00Z');
    const day = 86_400_000;
    const log = (at: Date) => ({ org_id: org.id, at, event: 'token.issued', credential_type: 'api_client', credential_id: 'lkc_retention', status: 200, latency_ms: 3 });
    await server.db.knex('api_logs').insert([log(new Date(now.getTime() - 31 * day)), log(new Date(now.getTime() - 29 * day)), log(now)]);
    const bucket = (at: Date) => ({
      org_id: org.id, credential_type: 'api_client', credential_id: 'lkc_retention', bucket_start: at, endpoint: 'token', outcome: 'success', requests: 1,
      latency_histogram: [1, ...emptyHistogram().slice(1)],
    });
    await server.db.knex('usage_buckets').insert([bucket(new Date(now.getTime() - 41 * day)), bucket(new Date(now.getTime() - 39 * day))]);

    const pruned = await pruneUsageAndLogs(server.db.knex, { apiLogRetentionDays: 30, usageRetentionDays: 40 }, now);
    expect(pruned.apiLogs).toBeGreaterThanOrEqual(1);
    const left = await server.db.knex('api_logs').where({ credential_id: 'lkc_retention' }).orderBy('at');
    expect(left.map((row) => row.at.toISOString())).toEqual([new Date(now.getTime() - 29 * day).toISOString(), now.toISOString()]);
    const buckets = await server.db.knex('usage_buckets').where({ credential_id: 'lkc_retention' });
    expect(buckets.map((row) => row.bucket_start.toISOString())).toEqual([new Date(now.getTime() - 39 * day).toISOString()]);
  });
});

describe('latency percentiles', () => {
  it('interpolates within the histogram bucket the rank falls in', () => {
    const histogram = emptyHistogram();
    expect(percentile(histogram, 0.5)).toBeNull();
    histogram[0] = 50; // ≤ 1 ms
    histogram[3] = 50; // 5–10 ms
    expect(percentile(histogram, 0.5)).toBe(1);
    expect(percentile(histogram, 0.95)).toBe(9.5);
    histogram[12] = 100; // beyond 5 s
    expect(percentile(histogram, 0.99)).toBe(9900);
  });
});
