import { decodeProtectedHeader } from 'jose';
import type * as oauth from 'oauth4webapi';
import { discover, postToken, requestToken, verifyAccessToken, basic } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js';

let server: TestServer;
let as: oauth.AuthorizationServer;
let client: TestClient;

beforeAll(async () => {
  server = await startTestServer();
  as = await discover(server.issuer);
  client = await server.createClient({
    scopes: ['payroll:Read', 'employees:Read', 'reports:Read'],
    allowed_origins: ['https://app.example.com'],
  });
});
afterAll(() => server.stop());

describe('discovery', () => {
  it.each(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'])(
    'serves RFC 8414 metadata at %s',
    async (path) => {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        issuer: server.issuer,
        token_endpoint: `${server.issuer}/oauth/token`,
        jwks_uri: `${server.issuer}/.well-known/jwks.json`,
        introspection_endpoint: `${server.issuer}/oauth/introspect`,
        revocation_endpoint: `${server.issuer}/oauth/revoke`,
        grant_types_supported: ['client_credentials'],
        response_types_supported: [],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        scopes_supported: expect.arrayContaining(['payroll:Read', 'reports:Read', 'credentials:read']),
        access_token_signing_alg_values_supported: ['ES256'],
      });
    },
  );

  it('publishes only public signing keys in the JWKS', async () => {
    const jwks = (await (await fetch(as.jwks_uri as string)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toHaveLength(1);
    const [key] = jwks.keys;
    expect(Object.keys(key ?? {}).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
  });
});

describe('POST /oauth/token grant_type=client_credentials', () => {
  it('issues an RFC 9068 JWT that verifies against the JWKS with every claim', async () => {
    const result = await requestToken(as, client);
    expect(result.token_type).toBe('bearer');
    expect(result.expires_in).toBe(3600);
    expect(result.scope).toBe('employees:Read payroll:Read');

    const header = decodeProtectedHeader(result.access_token);
    const { payload, protectedHeader } = await verifyAccessToken(as, result.access_token);
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: header.kid });
    expect(payload).toEqual({
      iss: server.issuer,
      sub: client.client_id,
      client_id: client.client_id,
      aud: 'https://api.example.com',
      scope: 'employees:Read payroll:Read',
      iat: expect.any(Number),
      exp: expect.any(Number),
      jti: expect.stringMatching(/^[\w-]{20,}$/),
      org_id: client.org_id,
      rate_limit_per_minute: 600,
      allowed_origins: ['https://app.example.com'],
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
    expect(Math.abs((payload.iat ?? 0) - Date.now() / 1000)).toBeLessThan(10);
  });

  it('answers with Cache-Control: no-store', async () => {
    const response = await postToken(server.url, 'grant_type=client_credentials', {
      authorization: basic(client.client_id, client.client_secret),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('accepts client_secret_post', async () => {
    const result = await requestToken(as, client, { method: 'post' });
    const { payload } = await verifyAccessToken(as, result.access_token);
    expect(payload.client_id).toBe(client.client_id);
  });

  it('narrows the token to the requested scopes', async () => {
    const result = await requestToken(as, client, { scope: 'payroll:Read' });
    expect(result.scope).toBe('payroll:Read');
    const { payload } = await verifyAccessToken(as, result.access_token);
    expect(payload.scope).toBe('payroll:Read');
  });

  it('issues a token for another resource named with resource (RFC 8707)', async () => {
    const result = await requestToken(as, client, { resource: 'https://reports.example.com' });
    expect(result.scope).toBe('reports:Read');
    const { payload } = await verifyAccessToken(as, result.access_token, 'https://reports.example.com');
    expect(payload).toMatchObject({ aud: 'https://reports.example.com', scope: 'reports:Read' });
  });

  it('defaults to a resource the client holds scopes of when it holds none of the default', async () => {
    const reporter = await server.createClient({ scopes: ['reports:Export'] }, client.org_id);
    const result = await requestToken(as, reporter);
    const { payload } = await verifyAccessToken(as, result.access_token, 'https://reports.example.com');
    expect(payload).toMatchObject({ aud: 'https://reports.example.com', scope: 'reports:Export' });
    expect(payload.allowed_origins).toBeUndefined();
  });

  it('never lets a token outlive its client', async () => {
    const expiresAt = new Date(Date.now() + 20 * 60 * 1000);
    const shortLived = await server.createClient({ expires_at: expiresAt.toISOString() }, client.org_id);
    const result = await requestToken(as, shortLived);
    const { payload } = await verifyAccessToken(as, result.access_token);
    expect(payload.exp).toBeLessThanOrEqual(Math.floor(expiresAt.getTime() / 1000));
    expect(payload.exp).toBeGreaterThan(Math.floor(expiresAt.getTime() / 1000) - 10);
    expect(result.expires_in).toBeLessThanOrEqual(20 * 60);
  });

  it('records last use when a client authenticates', async () => {
    const fresh = await server.createClient({}, client.org_id);
    expect((await server.services.clients.get(fresh.org_id, fresh.id)).last_used_at).toBeNull();
    await requestToken(as, fresh);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const usedAt = (await server.services.clients.get(fresh.org_id, fresh.id)).last_used_at;
    expect(usedAt).not.toBeNull();
    expect(Math.abs(Date.parse(usedAt as string) - Date.now())).toBeLessThan(10_000);
  });
});
