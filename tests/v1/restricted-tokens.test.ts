// Restricted access tokens through the management API.
import { createHash } from 'node:crypto';
import { addUser, orgWithAdmin, signIn, type SignedIn } from '../helpers/api.js';
import { basic, postToken } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';

let server: TestServer;
let session: SignedIn;
let orgId: string;

beforeAll(async () => {
  server = await startTestServer();
  const setup = await orgWithAdmin(server, 'Tokens Org');
  session = setup.session;
  orgId = setup.org.id;
});
afterAll(() => server.stop());

const path = (suffix = '') => `/v1/orgs/${orgId}/restricted-tokens${suffix}`;

describe('POST /v1/orgs/:org/restricted-tokens', () => {
  it('creates a token shown once, stores only its SHA-256, and canonicalizes the IP allow-list', async () => {
    const response = await session.request('POST', path(), {
      name: 'Kiosk dashboard',
      allowed_ips: ['203.0.113.7', '10.1.2.3/8', '::ffff:192.0.2.1', '2001:DB8:0:0::1', '2001:db8::/32'],
      scopes: ['employees:Read', 'rosters:Read'],
      expires_at: '2099-01-01T00:00:00Z',
    });
    expect(response.status).toBe(201);
    const created = response.body;
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Kiosk dashboard',
      allowed_ips: ['203.0.113.7', '10.0.0.0/8', '192.0.2.1', '2001:db8::1', '2001:db8::/32'],
      scopes: ['employees:Read', 'rosters:Read'],
      token: expect.stringMatching(/^lkr_[\w-]{43}$/),
      token_last4: created.token.slice(-4),
      expires_at: '2099-01-01T00:00:00.000Z',
      created_at: expect.any(String),
      created_by: { type: 'user', id: expect.any(String), name: expect.stringMatching(/^admin-/) },
      last_used_at: null,
    });
    const row = await server.db.knex('restricted_tokens').where({ id: created.id }).first();
    expect(row.token_hash).toBe(createHash('sha256').update(created.token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(created.token);

    const { token, ...withoutToken } = created;
    const fetched = await session.request('GET', path(`/${created.id}`));
    expect(fetched.body).toEqual(withoutToken);
    const listed = await session.request('GET', path());
    const audit = await session.request('GET', `/v1/orgs/${orgId}/audit-events?format=csv`);
    for (const text of [fetched.text, listed.text, audit.text, server.logs.text]) expect(text).not.toContain(token);
  });

  it.each([
    [{ scopes: ['payroll:Write'] }, 'scopes: payroll:Write cannot be granted to a restricted token; use an API client for it'],
    [{ scopes: ['nope:Read'] }, 'scopes: unknown scope nope:Read; see the scope catalog'],
    [{ allowed_ips: [] }, 'allowed_ips: must hold at least one IP address or CIDR'],
    [{ allowed_ips: ['example.com'] }, 'allowed_ips.0: "example.com" is not an IPv4 or IPv6 address or CIDR'],
    [{ allowed_ips: ['127.1'] }, 'allowed_ips.0: "127.1" is not an IPv4 or IPv6 address or CIDR'],
    [{ allowed_ips: ['10.0.0.0/33'] }, 'allowed_ips.0: "10.0.0.0/33" has a prefix longer than /32'],
    [{ allowed_ips: ['0.0.0.0/0'] }, 'allowed_ips.0: "0.0.0.0/0" allows every address: list the addresses that may use the token'],
    [{ allowed_ips: ['10.0.0.1', '::ffff:10.0.0.1'] }, 'allowed_ips.1: duplicates 10.0.0.1'],
    [{ expires_at: '2001-01-01T00:00:00Z' }, 'expires_at: must be in the future'],
  ])('refuses %j with the field named, writing nothing', async (override, description) => {
    const before = await server.db.knex('restricted_tokens').count({ count: '*' }).first();
    const response = await session.request('POST', path(), { name: 'bad', allowed_ips: ['203.0.113.9'], scopes: ['employees:Read'], ...override });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_request', error_description: description });
    expect(await server.db.knex('restricted_tokens').count({ count: '*' }).first()).toEqual(before);
  });

  it('lets a member with can_manage_credentials create one, but not an API client', async () => {
    const manager = await addUser(server, orgId, 'member', { canManageCredentials: true });
    const caller = await signIn(server, manager.email, manager.password);
    const token = await caller.request('POST', path(), { name: 'from a member', allowed_ips: ['198.51.100.0/24'], scopes: ['reports:Read'] });
    expect(token.status).toBe(201);
    expect(token.body.created_by).toEqual({ type: 'user', id: manager.userId, name: manager.email });
    const client = await caller.request('POST', `/v1/orgs/${orgId}/clients`, { name: 'no', scopes: ['payroll:Read'] });
    expect(client.status).toBe(403);
  });
});

describe('PATCH and DELETE /v1/orgs/:org/restricted-tokens/:id', () => {
  async function create() {
    return (await session.request('POST', path(), { name: 'Wallboard', allowed_ips: ['203.0.113.1'], scopes: ['employees:Read'] })).body;
  }

  it('changes name and allowed IPs only', async () => {
    const token = await create();
    const updated = await session.request('PATCH', path(`/${token.id}`), { name: 'Lobby wallboard', allowed_ips: ['203.0.113.0/28', '2001:db8::2'] });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: 'Lobby wallboard', allowed_ips: ['203.0.113.0/28', '2001:db8::2'], scopes: ['employees:Read'] });
    const immutable = await session.request('PATCH', path(`/${token.id}`), { scopes: ['rosters:Read'] });
    expect(immutable.status).toBe(400);
    expect(immutable.body).toEqual({ error: 'invalid_request', error_description: 'scopes cannot be changed: create a new restricted token with the scopes you need' });
    expect((await session.request('GET', path(`/${token.id}`))).body.scopes).toEqual(['employees:Read']);
  });

  it('deletes: gone from the list and every route, row kept', async () => {
    const token = await create();
    const deleted = await session.request('DELETE', path(`/${token.id}`));
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ id: token.id, deleted: true });
    expect((await session.request('GET', path())).body.map((t: { id: string }) => t.id)).not.toContain(token.id);
    expect((await session.request('GET', path(`/${token.id}`))).body).toEqual({ error: 'not_found', error_description: 'restricted token not found' });
    expect(await server.db.knex('restricted_tokens').where({ id: token.id }).whereNotNull('deleted_at').first()).toBeDefined();
  });

  it('answers 409 past the limit, and deleting frees a slot', async () => {
    const { org, session: admin } = await orgWithAdmin(server);
    await server.services.orgs.setLimits(org.id, { max_restricted_tokens: 1 }, OPERATOR_CONTEXT);
    const body = { name: 'only one', allowed_ips: ['192.0.2.10'], scopes: ['employees:Read'] };
    const first = await admin.request('POST', `/v1/orgs/${org.id}/restricted-tokens`, body);
    expect(first.status).toBe(201);
    const refused = await admin.request('POST', `/v1/orgs/${org.id}/restricted-tokens`, body);
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      error: 'conflict',
      error_description: 'this organization is at its limit of restricted tokens (1 of 1): delete a restricted token to free a slot',
    });
    await admin.request('DELETE', `/v1/orgs/${org.id}/restricted-tokens/${first.body.id}`);
    expect((await admin.request('POST', `/v1/orgs/${org.id}/restricted-tokens`, body)).status).toBe(201);
  });
});

describe('POST /v1/orgs/:org/revoke-all', () => {
  it('disables every client and deletes every restricted token after the name is confirmed', async () => {
    const { org, session: admin } = await orgWithAdmin(server, 'Revoke Me Inc');
    const client = (await admin.request('POST', `/v1/orgs/${org.id}/clients`, { name: 'c', scopes: ['payroll:Read'] })).body;
    await admin.request('POST', `/v1/orgs/${org.id}/restricted-tokens`, { name: 't', allowed_ips: ['192.0.2.1'], scopes: ['employees:Read'] });

    const wrong = await admin.request('POST', `/v1/orgs/${org.id}/revoke-all`, { confirm: 'revoke me inc' });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toEqual({ error: 'invalid_request', error_description: "confirm: must be exactly the organization's name" });
    expect((await admin.request('GET', `/v1/orgs/${org.id}/clients/${client.id}`)).body.status).toBe('active');

    const revoked = await admin.request('POST', `/v1/orgs/${org.id}/revoke-all`, { confirm: 'Revoke Me Inc' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({ api_clients_disabled: 1, restricted_tokens_deleted: 1 });
    expect((await admin.request('GET', `/v1/orgs/${org.id}/clients/${client.id}`)).body.status).toBe('disabled');
    expect((await admin.request('GET', `/v1/orgs/${org.id}/restricted-tokens`)).body).toEqual([]);
    expect((await postToken(server.url, 'grant_type=client_credentials', { authorization: basic(client.client_id, client.client_secret) })).status).toBe(401);
  });
});
