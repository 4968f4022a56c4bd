import { basic, postToken } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('operations endpoints and headers', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('GET /healthz says the process is alive', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz says the database is reachable and migrated', async () => {
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready' });
  });

  it('sends helmet security headers and a request id', async () => {
    const response = await fetch(`${server.url}/.well-known/openid-configuration`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('strict-transport-security')).toMatch(/max-age=/);
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(response.headers.get('x-powered-by')).toBeNull();
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('echoes a well-formed X-Request-Id and replaces a malformed one', async () => {
    const echoed = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'trace-123' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-123');
    const replaced = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown paths and provider endpoints it does not offer with a JSON 404', async () => {
    for (const path of ['/nope', '/auth', '/me', '/token/introspection', '/session/end']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: 'not_found', error_description: 'no such endpoint' });
    }
  });

  it('logs each request as JSON with its id, without credentials or secret query values', async () => {
    const client = await server.createClient();
    await postToken(server.url, 'grant_type=client_credentials', {
      authorization: basic(client.client_id, client.client_secret),
      'x-request-id': 'canary-request',
    });
    const line = server.logs.lines.find((entry) => (entry.req as { id?: string } | undefined)?.id === 'canary-request');
    expect(line).toMatchObject({
      level: 30,
      service: 'latchkey',
      msg: 'request completed',
      req: { id: 'canary-request', method: 'POST', url: '/oauth/token', ip: expect.stringMatching(/127\.0\.0\.1$/) },
      res: { statusCode: 200 },
    });
    expect(JSON.stringify(line)).not.toMatch(/authorization/i);
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY trusts the proxy', async () => {
    const forwarded = { 'x-forwarded-for': '203.0.113.9', 'x-request-id': 'forwarded-untrusted' };
    await fetch(`${server.url}/.well-known/jwks.json`, { headers: forwarded });
    const untrusted = server.logs.lines.find((entry) => (entry.req as { id?: string } | undefined)?.id === 'forwarded-untrusted');
    expect((untrusted?.req as { ip?: string }).ip).toMatch(/127\.0\.0\.1$/);

    const behindProxy = await startTestServer({ env: { TRUST_PROXY: 'loopback' } });
    try {
      await fetch(`${behindProxy.url}/.well-known/jwks.json`, { headers: { ...forwarded, 'x-request-id': 'forwarded-trusted' } });
      const trusted = behindProxy.logs.lines.find((entry) => (entry.req as { id?: string } | undefined)?.id === 'forwarded-trusted');
      expect((trusted?.req as { ip?: string }).ip).toBe('203.0.113.9');
    } finally {
      await behindProxy.stop();
    }
  });

  it('GET /readyz answers 503 when the database is unreachable, while /healthz stays 200', async () => {
    const broken = await startTestServer();
    await broken.db.knex.destroy();
    const ready = await fetch(`${broken.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'unavailable' });
    expect((await fetch(`${broken.url}/healthz`)).status).toBe(200);
    await broken.stop();
  });
});
