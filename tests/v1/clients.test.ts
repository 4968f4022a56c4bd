// API clients through the management API, checked where it matters: at the token endpoint.
import type * as oauth from 'oauth4webapi';
import { addUser, machine, orgWithAdmin, signIn, type SignedIn } from '../helpers/api.js';
import { basic, discover, postToken, requestToken, verifyAccessToken } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';

let server: TestServer;
let as: oauth.AuthorizationServer;
let session: SignedIn;
let orgId: string;
let adminId: string;
let adminEmail: string;

beforeAll(async () => {
  server = await startTestServer();
  as = await discover(server.issuer);
  const setup = await orgWithAdmin(server, 'Clients Org');
  session = setup.session;
  orgId = setup.org.id;
  adminId = setup.admin.userId;
  adminEmail = setup.admin.email;
});
afterAll(() => server.stop());

const tokenStatus = async (clientId: string, secret: string) =>
  (await postToken(server.url, 'grant_type=client_credentials', { authorization: basic(clientId, secret) })).status;

async function createClient(body: Record<string, unknown> = {}) {
  const response = await session.request('POST', `/v1/orgs/${orgId}/clients`, { name: 'Roster sync', scopes: ['rosters:Read'], ...body });
  expect(response.status).toBe(201);
  return response.body as { id: string; client_id: string; client_secret: string; name: string };
}

describe('POST /v1/orgs/:org/clients', () => {
  it('creates a client whose secret is shown once and works at the token endpoint', async () => {
    const response = await session.request('POST', `/v1/orgs/${orgId}/clients`, {
      name: 'Payroll export',
      description: 'Nightly export to the warehouse',
      scopes: ['payroll:Read', 'employees:Read'],
      allowed_origins: ['https://App.Example.com:443'],
      expires_at: '2099-06-30T12:00:00+02:00',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const created = response.body;
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      client_id: expect.stringMatching(/^lkc_[\w-]{22}$/),
      client_secret: expect.stringMatching(/^lks_[\w-]{43}$/),
      name: 'Payroll export',
      description: 'Nightly export to the warehouse',
      scopes: ['payroll:Read', 'employees:Read'],
      allowed_origins: ['https://app.example.com'],
      status: 'active',
      secret_last4: created.client_secret.slice(-4),
      expires_at: '2099-06-30T10:00:00.000Z',
      created_at: expect.any(String),
      created_by: { type: 'user', id: adminId, name: adminEmail },
      updated_at: created.created_at,
      last_used_at: null,
      rate_limit: { per_minute: 600, source: 'default' },
    });

    const token = await requestToken(as, created);
    const { payload } = await verifyAccessToken(as, token.access_token);
    expect(payload).toMatchObject({ client_id: created.client_id, org_id: orgId, allowed_origins: ['https://app.example.com'] });

    // Show-once: no later answer, log line or audit event holds the secret.
    const { client_secret: secret, ...withoutSecret } = created;
    const fetched = await session.request('GET', `/v1/orgs/${orgId}/clients/${created.id}`);
    expect(fetched.body).toEqual({ ...withoutSecret, last_used_at: expect.any(String) });
    const listed = await session.request('GET', `/v1/orgs/${orgId}/clients`);
    const audit = await session.request('GET', `/v1/orgs/${orgId}/audit-events?format=csv`);
    for (const text of [fetched.text, listed.text, audit.text, server.logs.text]) expect(text).not.toContain(secret);
    const row = await server.db.knex('api_clients').where({ id: created.id }).first();
    expect(row.secret_hash).toMatch(/^\$2b\$04\$/);
    expect(JSON.stringify(row)).not.toContain(secret);
  });

  it('lists clients by name, case-insensitively', async () => {
    const { org, session: admin } = await orgWithAdmin(server);
    for (const name of ['delta', 'Bravo', 'alpha', 'Charlie']) {
      expect((await admin.request('POST', `/v1/orgs/${org.id}/clients`, { name, scopes: ['payroll:Read'] })).status).toBe(201);
    }
    const listed = await admin.request('GET', `/v1/orgs/${org.id}/clients`);
    expect(listed.body.map((client: { name: string }) => client.name)).toEqual(['alpha', 'Bravo', 'Charlie', 'delta']);
  });
});

describe('PATCH /v1/orgs/:org/clients/:id', () => {
  it('changes name, description and allowed origins, stored canonically', async () => {
    const client = await createClient();
    const response = await session.request('PATCH', `/v1/orgs/${orgId}/clients/${client.id}`, {
      name: ' Renamed ',
      description: 'new words',
      allowed_origins: ['HTTP://LOCALHOST:5173', 'https://b.example.com:443'],
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      name: 'Renamed',
      description: 'new words',
      allowed_origins: ['http://localhost:5173', 'https://b.example.com'],
      scopes: ['rosters:Read'],
    });
    expect(Date.parse(response.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(response.body.created_at));
  });

  it.each([
    ['scopes', ['payroll:Write'], 'scopes cannot be changed: create a new API client with the scopes you need'],
    ['expires_at', '2099-01-01T00:00:00Z', 'expires_at cannot be changed: create a new API client with the expiry you need'],
    ['status', 'active', 'status cannot be set here: use the disable route'],
    ['client_id', 'lkc_mine', 'client_id is assigned by the server'],
  ])('refuses a change of %s with a 400 naming it, changing nothing', async (field, value, description) => {
    const client = await createClient();
    const before = await server.db.knex('api_clients').where({ id: client.id }).first();
    const response = await session.request('PATCH', `/v1/orgs/${orgId}/clients/${client.id}`, { name: 'x', [field]: value });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_request', error_description: description });
    expect(await server.db.knex('api_clients').where({ id: client.id }).first()).toEqual(before);
  });
});

describe('disable and delete', () => {
  it('disables at once, for good as far as the organization is concerned', async () => {
    const client = await createClient();
    expect(await tokenStatus(client.client_id, client.client_secret)).toBe(200);
    const disabled = await session.request('POST', `/v1/orgs/${orgId}/clients/${client.id}/disable`);
    expect(disabled.status).toBe(200);
    expect(disabled.body.status).toBe('disabled');
    expect(await tokenStatus(client.client_id, client.client_secret)).toBe(401);
    // No route re-enables it; only the operator can.
    expect((await session.request('POST', `/v1/orgs/${orgId}/clients/${client.id}/enable`)).status).toBe(404);
    expect((await session.request('PATCH', `/v1/orgs/${orgId}/clients/${client.id}`, { status: 'active' })).status).toBe(400);
    await server.services.clients.setStatus(orgId, client.id, 'active', OPERATOR_CONTEXT);
    expect(await tokenStatus(client.client_id, client.client_secret)).toBe(200);
  });

  it('deletes: gone from every list and route, row kept, token endpoint refuses at once', async () => {
    const client = await createClient();
    const deleted = await session.request('DELETE', `/v1/orgs/${orgId}/clients/${client.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ id: client.id, client_id: client.client_id, deleted: true });
    expect((await session.request('GET', `/v1/orgs/${orgId}/clients`)).body.map((c: { id: string }) => c.id)).not.toContain(client.id);
    const gone = await session.request('GET', `/v1/orgs/${orgId}/clients/${client.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ error: 'not_found', error_description: 'API client not found' });
    expect((await session.request('DELETE', `/v1/orgs/${orgId}/clients/${client.id}`)).status).toBe(404);
    expect(await server.db.knex('api_clients').where({ id: client.id }).whereNotNull('deleted_at').first()).toBeDefined();
    expect(await tokenStatus(client.client_id, client.client_secret)).toBe(401);
  });
});

describe('POST /v1/orgs/:org/clients/:id/rotate-secret', () => {
  it('without a grace period: the new secret works and the old one is refused at once', async () => {
    const client = await createClient();
    expect(await tokenStatus(client.client_id, client.client_secret)).toBe(200); // warms the verified-secret record
    // Every field is optional, so the body may be left out.
    const rotated = await session.request('POST', `/v1/orgs/${orgId}/clients/${client.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({
      id: client.id,
      client_id: client.client_id,
      client_secret: expect.stringMatching(/^lks_/),
      previous_secret_expires_at: null,
    });
    expect(rotated.body.secret_last4).toBe(rotated.body.client_secret.slice(-4));
    expect(rotated.body.client_secret).not.toBe(client.client_secret);
    expect(await tokenStatus(client.client_id, client.client_secret)).toBe(401);
    expect(await tokenStatus(client.client_id, rotated.body.client_secret)).toBe(200);
    expect((await session.request('GET', `/v1/orgs/${orgId}/clients/${client.id}`)).text).not.toContain(rotated.body.client_secret);
  });

  it('with a grace period: both secrets work until it ends, then only the new one', async () => {
    const client = await createClient();
    const rotated = await session.request('POST', `/v1/orgs/${orgId}/clients/${client.id}/rotate-secret`, { grace_period_seconds: 3600 });
    expect(rotated.status).toBe(200);
    const until = Date.parse(rotated.body.previous_secret_expires_at);
    expect(until - Date.now()).toBeGreaterThan(3590_000);
    expect(until - Date.now()).toBeLessThanOrEqual(3600_000);
    expect(await tokenStatus(client.client_id, client.client_secret)).toBe(200);
    expect(await tokenStatus(client.client_id, rotated.body.client_secret)).toBe(200);

    // The grace period ends (moved into the past rather than waited for).
    await server.updateClientRow(client.id, { previous_secret_expires_at: new Date(Date.now() - 1000) });
    expect(await tokenStatus(client.client_id, client.client_secret)).toBe(401);
    expect(await tokenStatus(client.client_id, rotated.body.client_secret)).toBe(200);
  });

  it('a second rotation ends the first one\'s grace period', async () => {
    const client = await createClient();
    const first = await session.request('POST', `/v1/orgs/${orgId}/clients/${client.id}/rotate-secret`, { grace_period_seconds: 600 });
    const second = await session.request('POST', `/v1/orgs/${orgId}/clients/${client.id}/rotate-secret`, {});
    expect(await tokenStatus(client.client_id, client.client_secret)).toBe(401);
    expect(await tokenStatus(client.client_id, first.body.client_secret)).toBe(401);
    expect(await tokenStatus(client.client_id, second.body.client_secret)).toBe(200);
  });

  it.each([
    [{ grace_period_seconds: 604801 }, 'grace_period_seconds: must be at most 604800 (7 days)'],
    [{ grace_period_seconds: -1 }, 'grace_period_seconds: must be at least 0'],
    [{ grace_period_seconds: 1.5 }, 'grace_period_seconds: must be a whole number of seconds'],
    [{ grace_period_seconds: '60' }, 'grace_period_seconds: must be a whole number of seconds'],
  ])('refuses %j and keeps the old secret', async (body, description) => {
    const client = await createClient();
    const response = await session.request('POST', `/v1/orgs/${orgId}/clients/${client.id}/rotate-secret`, body);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_request', error_description: description });
    expect(await tokenStatus(client.client_id, client.client_secret)).toBe(200);
  });
});

describe('who may grant what', () => {
  it('refuses a management scope the caller does not hold itself', async () => {
    const { org, session: admin } = await orgWithAdmin(server);
    const dev = await addUser(server, org.id, 'developer');
    const developer = await signIn(server, dev.email, dev.password);
    const refused = await developer.request('POST', `/v1/orgs/${org.id}/clients`, { name: 'escalator', scopes: ['payroll:Read', 'members:write'] });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ error: 'forbidden', error_description: 'you cannot give an API client members:write: it grants more than you hold' });
    expect(await server.db.knex('api_clients').where({ org_id: org.id, name: 'escalator' }).first()).toBeUndefined();
    // What a developer holds, it may hand on; an admin holds everything.
    expect((await developer.request('POST', `/v1/orgs/${org.id}/clients`, { name: 'automation', scopes: ['credentials:write', 'audit:read'] })).status).toBe(201);
    expect((await admin.request('POST', `/v1/orgs/${org.id}/clients`, { name: 'provisioner', scopes: ['members:write'] })).status).toBe(201);

    const bot = await machine(server, org.id, ['credentials:write']);
    const botRefused = await bot.request('POST', `/v1/orgs/${org.id}/clients`, { name: 'bot child', scopes: ['audit:read'] });
    expect(botRefused.status).toBe(403);
    expect(botRefused.body).toEqual({ error: 'forbidden', error_description: 'you cannot give an API client audit:read: it grants more than you hold' });
    expect((await bot.request('POST', `/v1/orgs/${org.id}/clients`, { name: 'bot child', scopes: ['credentials:read', 'payroll:Read'] })).status).toBe(201);
  });
});

describe('limits', () => {
  it('answers 409 past the organization\'s limit and counts only active, live, unexpired clients', async () => {
    const { org, session: admin } = await orgWithAdmin(server);
    await server.services.orgs.setLimits(org.id, { max_api_clients: 2 }, OPERATOR_CONTEXT);
    const create = (name: string) => admin.request('POST', `/v1/orgs/${org.id}/clients`, { name, scopes: ['payroll:Read'] });
    const first = await create('one');
    const second = await create('two');
    expect([first.status, second.status]).toEqual([201, 201]);
    const refused = await create('three');
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      error: 'conflict',
      error_description: 'this organization is at its limit of active API clients (2 of 2): disable or delete an API client to free a slot',
    });
    expect(Number((await server.db.knex('api_clients').where({ org_id: org.id }).count({ count: '*' }).first())?.count)).toBe(2);
    expect((await admin.request('GET', `/v1/orgs/${org.id}/clients`)).body).toHaveLength(2);

    await admin.request('POST', `/v1/orgs/${org.id}/clients/${first.body.id}/disable`);
    const third = await create('three');
    expect(third.status).toBe(201);
    await admin.request('DELETE', `/v1/orgs/${org.id}/clients/${second.body.id}`);
    expect((await create('four')).status).toBe(201);
    expect((await create('five')).status).toBe(409);
    // The operator cannot re-enable past the limit either; an already active client is no change.
    await expect(server.services.clients.setStatus(org.id, first.body.id, 'active', OPERATOR_CONTEXT)).rejects.toMatchObject({ status: 409 });
    expect((await server.services.clients.setStatus(org.id, third.body.id, 'active', OPERATOR_CONTEXT)).status).toBe('active');

    await server.services.orgs.setLimits(org.id, { max_api_clients: 0 }, OPERATOR_CONTEXT);
    expect((await create('unlimited')).status).toBe(201);
    expect((await admin.request('GET', `/v1/orgs/${org.id}`)).body.limits).toEqual({ max_api_clients: 0, max_restricted_tokens: 0 });
  });
});
