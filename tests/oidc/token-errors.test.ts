import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';
// RFC 6749 §5.2 error responses of the token endpoint, each asserted whole.
import { basic, postToken } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js';

let server: TestServer;
let client: TestClient;
let auth: Record<string, string>;
const grant = 'grant_type=client_credentials';

beforeAll(async () => {
  server = await startTestServer();
  client = await server.createClient();
  auth = { authorization: basic(client.client_id, client.client_secret) };
});
afterAll(() => server.stop());

const invalidRequest = (description: string) => ({ error: 'invalid_request', error_description: description });
const invalidClient = { error: 'invalid_client', error_description: 'client authentication failed' };

describe('POST /oauth/token with bad input', () => {
  it.each<[string, string | undefined, () => Record<string, string>, number, Record<string, unknown>]>([
    ['a missing grant_type', 'scope=payroll:Read', () => auth, 400, invalidRequest("missing required parameter 'grant_type'")],
    ['an empty body', undefined, () => auth, 400, invalidRequest("missing required parameter 'grant_type'")],
    ['an unknown grant_type', 'grant_type=password&username=a&password=b', () => auth, 400, {
      error: 'unsupported_grant_type',
      error_description: 'unsupported grant_type requested',
    }],
    ['a grant_type this server does not offer', 'grant_type=authorization_code&code=x', () => auth, 400, {
      error: 'unsupported_grant_type',
      error_description: 'unsupported grant_type requested',
    }],
    ['a Basic header without a colon', grant, () => ({ authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` }), 400,
      invalidRequest('invalid authorization header value format')],
    ['a Basic header that is not base64', grant, () => ({ authorization: 'Basic %%%not-base64' }), 400,
      invalidRequest('invalid authorization header value format')],
    ['a Basic header with bad %-encoding', grant,
      () => ({ authorization: `Basic ${Buffer.from(`${client.client_id}:%zz`).toString('base64')}` }), 400,
      invalidRequest('client_id and client_secret in the authorization header are not properly encoded')],
    ['a non-Basic Authorization scheme', grant, () => ({ authorization: 'Bearer abc' }), 400,
      invalidRequest('invalid authorization header value format')],
    ['credentials in both the Basic header and the body', `${grant}&client_id=${'X'}&client_secret=Y`, () => auth, 400,
      invalidRequest('client authentication must only be provided using one mechanism')],
    ['no client authentication', grant, () => ({}), 400, invalidRequest('no client authentication mechanism provided')],
    ['a scope outside the client grant', `${grant}&scope=payroll:Write`, () => auth, 400, {
      error: 'invalid_scope',
      error_description: 'requested scope is not granted to this client',
      scope: 'payroll:Write',
    }],
    ['a scope unknown to the catalog', `${grant}&scope=payroll:Read%20nope:Read`, () => auth, 400, {
      error: 'invalid_scope',
      error_description: 'requested scope is not known to this server',
      scope: 'nope:Read',
    }],
    ['an unknown resource', `${grant}&resource=${encodeURIComponent('https://unknown.example.com')}`, () => auth, 400, {
      error: 'invalid_target',
      error_description: 'the requested resource is not known to this server',
    }],
    ['a resource the client holds no scope of', `${grant}&resource=${encodeURIComponent('https://reports.example.com')}`, () => auth, 400, {
      error: 'invalid_target',
      error_description: 'this client holds no scope of the requested resource',
    }],
    ['two resources', `${grant}&resource=${encodeURIComponent('https://api.example.com')}&resource=${encodeURIComponent('https://reports.example.com')}`, () => auth, 400, {
      error: 'invalid_target',
      error_description: 'only one resource may be requested per access token',
    }],
    ['a JSON body', JSON.stringify({ grant_type: 'client_credentials' }), () => ({ ...auth, 'content-type': 'application/json' }), 400,
      invalidRequest('only application/x-www-form-urlencoded content-type bodies are supported on POST /oauth/token')],
    ['an oversized body', `${grant}&padding=${'a'.repeat(20_000)}`, () => auth, 413,
      invalidRequest('the request body must not exceed 16384 bytes')],
    ['a repeated grant_type', `${grant}&${grant}`, () => auth, 400, invalidRequest("'grant_type' parameter must not be provided twice")],
    ['a repeated scope', `${grant}&scope=payroll:Read&scope=employees:Read`, () => auth, 400,
      invalidRequest("'scope' parameter must not be provided twice")],
    ['a repeated client_secret', `${grant}&client_id=${'A'}&client_secret=B&client_secret=C`, () => ({}), 400,
      invalidRequest("'client_secret' parameter must not be provided twice")],
  ])('rejects %s', async (_name, body, headers, status, expected) => {
    const response = await postToken(server.url, body, headers());
    expect(response.status).toBe(status);
    expect(response.body).toEqual(expected);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('answers JSON even when the client prefers HTML', async () => {
    const response = await postToken(server.url, grant, { authorization: basic('lkc_unknown', 'x'), accept: 'text/html' });
    expect(response.status).toBe(401);
    expect(response.body).toEqual(invalidClient);
  });

  it('refuses GET on the token endpoint', async () => {
    const response = await fetch(`${server.url}/oauth/token?grant_type=client_credentials`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST, OPTIONS');
    expect(await response.json()).toEqual(invalidRequest('the token endpoint only accepts POST'));
  });
});

describe('POST /oauth/token client authentication failures', () => {
  const wwwAuthenticate = () =>
    `Basic realm="${server.issuer}", error="invalid_client", error_description="client authentication failed"`;

  async function expectInvalidClient(id: string, secret: string) {
    const viaBasic = await postToken(server.url, grant, { authorization: basic(id, secret) });
    expect(viaBasic.status).toBe(401);
    expect(viaBasic.body).toEqual(invalidClient);
    expect(viaBasic.headers.get('www-authenticate')).toBe(wwwAuthenticate());

    const viaPost = await postToken(
      server.url,
      `${grant}&client_id=${encodeURIComponent(id)}&client_secret=${encodeURIComponent(secret)}`,
    );
    expect(viaPost.status).toBe(401);
    expect(viaPost.body).toEqual(invalidClient);
    expect(viaPost.headers.get('www-authenticate')).toBeNull();
  }

  it('answers an unknown client with invalid_client', async () => {
    await expectInvalidClient('lkc_doesnotexist', client.client_secret);
  });

  it('answers a wrong secret with invalid_client', async () => {
    await expectInvalidClient(client.client_id, `${client.client_secret.slice(0, -1)}x`);
  });

  it('answers a disabled client with invalid_client, even right after a cached success', async () => {
    const victim = await server.createClient({}, client.org_id);
    expect((await postToken(server.url, grant, { authorization: basic(victim.client_id, victim.client_secret) })).status).toBe(200);
    await server.services.clients.setStatus(victim.org_id, victim.id, 'disabled', OPERATOR_CONTEXT);
    await expectInvalidClient(victim.client_id, victim.client_secret);
    await server.services.clients.setStatus(victim.org_id, victim.id, 'active', OPERATOR_CONTEXT);
    expect((await postToken(server.url, grant, { authorization: basic(victim.client_id, victim.client_secret) })).status).toBe(200);
  });

  it('answers a deleted client with invalid_client', async () => {
    const victim = await server.createClient({}, client.org_id);
    expect((await postToken(server.url, grant, { authorization: basic(victim.client_id, victim.client_secret) })).status).toBe(200);
    await server.services.clients.delete(victim.org_id, victim.id, OPERATOR_CONTEXT);
    await expectInvalidClient(victim.client_id, victim.client_secret);
  });

  it('answers an expired client with invalid_client', async () => {
    const victim = await server.createClient({ expires_at: new Date(Date.now() + 60_000).toISOString() }, client.org_id);
    expect((await postToken(server.url, grant, { authorization: basic(victim.client_id, victim.client_secret) })).status).toBe(200);
    await server.updateClientRow(victim.id, { expires_at: new Date(Date.now() - 1000) });
    await expectInvalidClient(victim.client_id, victim.client_secret);
  });

  it('decodes form-urlencoded Basic credentials (RFC 6749 §2.3.1)', async () => {
    const encoded = Buffer.from(`${client.client_id}:${encodeURIComponent(client.client_secret)}`).toString('base64');
    const response = await postToken(server.url, grant, { authorization: `Basic ${encoded}` });
    expect(response.status).toBe(200);
  });
});
