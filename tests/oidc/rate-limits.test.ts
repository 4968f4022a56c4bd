// Per-credential rate limits at the token endpoint and introspection.
import { decodeJwt } from 'jose';
import { orgWithAdmin } from '../helpers/api.js';
import { basic, postToken } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { RATE_LIMIT_PER_MINUTE: '3', RATE_LIMIT_MAX_PER_MINUTE: '10' } });
});
afterAll(() => server.stop());

const grant = 'grant_type=client_credentials';

describe('rate limits per API client', () => {
  it('counts authenticated token requests, sends X-RateLimit headers, then answers 429 with Retry-After', async () => {
    const client = await server.createClient();
    const auth = { authorization: basic(client.client_id, client.client_secret) };
    // Wrong secrets do not spend the client's allowance.
    for (let i = 0; i < 2; i += 1) expect((await postToken(server.url, grant, { authorization: basic(client.client_id, 'lks_wrong') })).status).toBe(401);

    for (const remaining of ['2', '1', '0']) {
      const response = await postToken(server.url, grant, auth);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-ratelimit-limit')).toBe('3');
      expect(response.headers.get('x-ratelimit-remaining')).toBe(remaining);
      expect(Number(response.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
      expect(Number(response.headers.get('x-ratelimit-reset'))).toBeLessThanOrEqual(60);
    }
    const refused = await postToken(server.url, grant, auth);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      error: 'too_many_requests',
      error_description: expect.stringMatching(/^rate limit of 3 requests per minute exceeded: retry after \d+ seconds$/),
    });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');

    // Introspection by the same client shares its allowance.
    const introspection = await fetch(`${server.url}/oauth/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth },
      body: 'token=x',
    });
    expect(introspection.status).toBe(429);
    expect(introspection.headers.get('x-ratelimit-limit')).toBe('3');
  });

  it('lets an org admin set a client\'s limit within the operator maximum; the token carries it', async () => {
    const { org, session } = await orgWithAdmin(server);
    const created = (await session.request('POST', `/v1/orgs/${org.id}/clients`, { name: 'Bulk loader', scopes: ['payroll:Read'] })).body;
    expect(created.rate_limit).toEqual({ per_minute: 3, source: 'default' });

    const tooHigh = await session.request('PATCH', `/v1/orgs/${org.id}/clients/${created.id}`, { rate_limit_per_minute: 11 });
    expect(tooHigh.status).toBe(400);
    expect(tooHigh.body).toEqual({ error: 'invalid_request', error_description: "rate_limit_per_minute: must be at most 10 (the operator's maximum)" });

    const raised = await session.request('PATCH', `/v1/orgs/${org.id}/clients/${created.id}`, { rate_limit_per_minute: 5 });
    expect(raised.status).toBe(200);
    expect(raised.body.rate_limit).toEqual({ per_minute: 5, source: 'client' });

    const response = await postToken(server.url, grant, { authorization: basic(created.client_id, created.client_secret) });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-ratelimit-limit')).toBe('5');
    expect(decodeJwt((response.body as { access_token: string }).access_token).rate_limit_per_minute).toBe(5);

    const reset = await session.request('PATCH', `/v1/orgs/${org.id}/clients/${created.id}`, { rate_limit_per_minute: null });
    expect(reset.body.rate_limit).toEqual({ per_minute: 3, source: 'default' });
    const audit = await session.request('GET', `/v1/orgs/${org.id}/audit-events?action=api_client.updated`);
    expect(audit.body.events.map((event: { metadata: unknown }) => event.metadata)).toEqual([
      { changes: { rate_limit_per_minute: { from: 5, to: null } } },
      { changes: { rate_limit_per_minute: { from: null, to: 5 } } },
    ]);
  });

  it('limits how often each restricted token is introspected', async () => {
    const { org, session } = await orgWithAdmin(server);
    const rs = await server.services.resourceServers.create({ name: 'Kiosk API' }, OPERATOR_CONTEXT);
    const created = (await session.request('POST', `/v1/orgs/${org.id}/restricted-tokens`, { name: 'Kiosk', allowed_ips: ['127.0.0.1'], scopes: ['employees:Read'] })).body;
    const introspect = () =>
      fetch(`${server.url}/oauth/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(rs.client_id, rs.client_secret) },
        body: new URLSearchParams({ token: created.token, client_ip: '127.0.0.1' }).toString(),
      });
    for (const remaining of ['2', '1', '0']) {
      const response = await introspect();
      expect(response.status).toBe(200);
      expect(((await response.json()) as { active: boolean }).active).toBe(true);
      expect(response.headers.get('x-ratelimit-remaining')).toBe(remaining);
    }
    const refused = await introspect();
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({
      error: 'too_many_requests',
      error_description: expect.stringMatching(/^rate limit of 3 requests per minute exceeded: retry after \d+ seconds$/),
    });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another token of the same organization has its own allowance.
    const other = (await session.request('POST', `/v1/orgs/${org.id}/restricted-tokens`, { name: 'Kiosk 2', allowed_ips: ['127.0.0.1'], scopes: ['employees:Read'] })).body;
    const response = await fetch(`${server.url}/oauth/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(rs.client_id, rs.client_secret) },
      body: new URLSearchParams({ token: other.token }).toString(),
    });
    expect(response.status).toBe(200);
  });
});
