// GET /metrics: Prometheus exposition behind METRICS_TOKEN.
import { orgWithAdmin } from '../helpers/api.js';
import { basic, postToken } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const TOKEN = 'metrics-token-for-tests-0123456789';

/** Parses the text exposition format into name{labels} -> value; throws on a malformed line. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$/.exec(line);
    if (!match) throw new Error(`not Prometheus text format: ${line}`);
    samples.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]));
  }
  return samples;
}

describe('GET /metrics', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { METRICS_TOKEN: TOKEN } });
  });
  afterAll(() => server.stop());

  const scrape = (authorization?: string) => fetch(`${server.url}/metrics`, { headers: authorization ? { authorization } : {} });

  it('requires the metrics bearer token', async () => {
    for (const authorization of [undefined, 'Bearer wrong', `Basic ${TOKEN}`]) {
      const response = await scrape(authorization);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: 'unauthorized', error_description: 'GET /metrics needs the METRICS_TOKEN bearer token' });
    }
  });

  it('counts requests by route and status, tokens, failures, bcrypt checks and cache hits', async () => {
    const client = await server.createClient();
    const good = { authorization: basic(client.client_id, client.client_secret) };
    for (let i = 0; i < 3; i += 1) expect((await postToken(server.url, 'grant_type=client_credentials', good)).status).toBe(200);
    expect((await postToken(server.url, 'grant_type=client_credentials', { authorization: basic(client.client_id, 'lks_wrong') })).status).toBe(401);
    const { org, session } = await orgWithAdmin(server);
    expect((await session.request('GET', `/v1/orgs/${org.id}/clients`)).status).toBe(200);

    const response = await scrape(`Bearer ${TOKEN}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parseExposition(await response.text());

    expect(samples.get('latchkey_tokens_issued_total')).toBe(3);
    expect(samples.get('latchkey_http_requests_total{route="/oauth/token",method="POST",status="200"}')).toBe(3);
    expect(samples.get('latchkey_http_requests_total{route="/oauth/token",method="POST",status="401"}')).toBe(1);
    expect(samples.get('latchkey_http_requests_total{route="/v1/orgs/:org/clients",method="GET",status="200"}')).toBe(1);
    expect(samples.get('latchkey_http_request_duration_seconds_count{route="/oauth/token",method="POST",status="200"}')).toBe(3);
    expect(samples.get('latchkey_auth_failures_total{endpoint="token",reason="invalid_client"}')).toBe(1);
    // One bcrypt check for the first success and one for the wrong secret; the rest were remembered.
    expect(samples.get('latchkey_bcrypt_verifications')).toBe(2);
    expect(samples.get('latchkey_verified_secret_cache_hit_ratio')).toBeCloseTo(2 / 4, 5);
    expect(samples.get('latchkey_auth_rate_limit_rejections')).toBe(0);
    // Four lookups of one client: one or two reads (the insert's notification may come after the first).
    expect(samples.get('latchkey_client_cache_hit_ratio')).toBeGreaterThanOrEqual(2 / 4);
    expect(samples.get('latchkey_client_cache_entries')).toBeGreaterThanOrEqual(1);
    expect(samples.has('latchkey_nodejs_eventloop_lag_seconds')).toBe(true);
    expect(samples.get('latchkey_db_pool_connections{state="used"}')).toBeGreaterThanOrEqual(0);
    // The scrape itself is not counted under a raw URL, and no id becomes a label.
    expect([...samples.keys()].some((key) => key.includes(org.id) || key.includes(client.client_id))).toBe(false);
  });
});

it('serves no /metrics when METRICS_TOKEN is unset', async () => {
  const server = await startTestServer();
  try {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
  } finally {
    await server.stop();
  }
});
