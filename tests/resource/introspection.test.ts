// Introspection (RFC 7662), revocation (RFC 7009) and the revocation feed, through real HTTP.
import type * as oauth from 'oauth4webapi';
import { anonymous, machine } from '../helpers/api.js';
import { basic, discover, requestToken } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';
import { createRevocationRepository } from '../../server/revocation/revocation.repository.js';

let server: TestServer;
let as: oauth.AuthorizationServer;
let rs: { client_id: string; client_secret: string };

beforeAll(async () => {
  server = await startTestServer();
  as = await discover(server.issuer);
  rs = await server.services.resourceServers.create({ name: 'Payroll API' }, OPERATOR_CONTEXT);
});
afterAll(() => server.stop());

async function form(path: string, params: Record<string, string>, credentials?: { client_id: string; client_secret: string }) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(credentials ? { authorization: basic(credentials.client_id, credentials.client_secret) } : {}),
    },
    body: new URLSearchParams(params).toString(),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

const introspect = (token: string, caller: { client_id: string; client_secret: string } = rs, extra: Record<string, string> = {}) =>
  form('/oauth/introspect', { token, ...extra }, caller);
const revoke = (token: string, caller: { client_id: string; client_secret: string }) => form('/oauth/revoke', { token }, caller);
const INACTIVE = { active: false };
/** Revocations cover tokens issued in earlier seconds (iat has whole seconds): wait for the next one. */
const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1010 - (Date.now() % 1000)));

async function clientWithToken(orgId?: string) {
  const client = await server.createClient({}, orgId);
  const token = (await requestToken(as, client)).access_token;
  return { client, token };
}

describe('POST /oauth/introspect', () => {
  it('answers an active JWT with its claims', async () => {
    const { client, token } = await clientWithToken();
    const response = await introspect(token);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.body).toEqual({
      active: true,
      token_type: 'Bearer',
      scope: 'employees:Read payroll:Read',
      client_id: client.client_id,
      org_id: client.org_id,
      sub: client.client_id,
      aud: 'https://api.example.com',
      iss: server.issuer,
      iat: expect.any(Number),
      exp: expect.any(Number),
      jti: expect.any(String),
    });
    expect(response.body.exp - response.body.iat).toBe(3600);
  });

  it('requires client authentication', async () => {
    const { token } = await clientWithToken();
    const none = await form('/oauth/introspect', { token });
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
    const wrong = await introspect(token, { client_id: rs.client_id, client_secret: `${rs.client_secret}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe(`Basic realm="${server.issuer}", error="invalid_client", error_description="client authentication failed"`);
    const missing = await introspect('', rs);
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ error: 'invalid_request', error_description: "missing required parameter 'token'" });
  });

  it('lets an API client introspect its own tokens only, never another client\'s or another org\'s', async () => {
    const mine = await clientWithToken();
    const sameOrg = await clientWithToken(mine.client.org_id);
    const otherOrg = await clientWithToken();
    expect((await introspect(mine.token, mine.client)).body.active).toBe(true);
    expect((await introspect(sameOrg.token, mine.client)).body).toEqual(INACTIVE);
    expect((await introspect(otherOrg.token, mine.client)).body).toEqual(INACTIVE);
  });

  it.each(['not-a-token', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'lkr_unknown'])('answers exactly {"active": false} for %s', async (token) => {
    expect((await introspect(token)).body).toEqual(INACTIVE);
  });

  it('answers inactive for tokens of disabled, deleted, expired and revoked-all clients', async () => {
    const disabled = await clientWithToken();
    const deletedClient = await clientWithToken();
    const revokedAll = await clientWithToken();
    await nextSecond();
    await server.services.clients.setStatus(disabled.client.org_id, disabled.client.id, 'disabled', OPERATOR_CONTEXT);
    const deleted = deletedClient;
    await server.services.clients.delete(deleted.client.org_id, deleted.client.id, OPERATOR_CONTEXT);
    const expired = await clientWithToken();
    await server.updateClientRow(expired.client.id, { expires_at: new Date(Date.now() - 1000) });
    const org = await server.services.orgs.get(revokedAll.client.org_id);
    await server.services.revokeAll(org.id, { confirm: org.name }, OPERATOR_CONTEXT);
    for (const { token } of [disabled, deleted, expired, revokedAll]) expect((await introspect(token)).body).toEqual(INACTIVE);
  });

  it('keeps a disabled-then-enabled client\'s old tokens revoked, and accepts its new ones', async () => {
    const { client, token } = await clientWithToken();
    await nextSecond();
    await server.services.clients.setStatus(client.org_id, client.id, 'disabled', OPERATOR_CONTEXT);
    await server.services.clients.setStatus(client.org_id, client.id, 'active', OPERATOR_CONTEXT);
    expect((await introspect(token)).body).toEqual(INACTIVE);
    // A token issued right after, even within the same second, is good.
    const fresh = (await requestToken(as, client)).access_token;
    expect((await introspect(fresh)).body.active).toBe(true);
  });

  it('rotation without grace revokes issued tokens at once; with grace, when the grace ends', async () => {
    const now = await clientWithToken();
    await nextSecond();
    const rotated = await server.services.clients.rotateSecret(now.client.org_id, now.client.id, {}, OPERATOR_CONTEXT);
    expect((await introspect(now.token)).body).toEqual(INACTIVE);
    const afterRotation = (await requestToken(as, { client_id: now.client.client_id, client_secret: rotated.client_secret })).access_token;
    expect((await introspect(afterRotation)).body.active).toBe(true);

    const graceful = await clientWithToken();
    await server.services.clients.rotateSecret(graceful.client.org_id, graceful.client.id, { grace_period_seconds: 600 }, OPERATOR_CONTEXT);
    expect((await introspect(graceful.token)).body.active).toBe(true);
    // The grace period ends (moved to now rather than waited for).
    await nextSecond();
    await server.updateClientRow(graceful.client.id, { tokens_not_before: new Date() });
    expect((await introspect(graceful.token)).body).toEqual(INACTIVE);
  });

  it('lets a later rotation replace a pending grace end, and keeps earlier revocations in force', async () => {
    const twice = await clientWithToken();
    await server.services.clients.rotateSecret(twice.client.org_id, twice.client.id, { grace_period_seconds: 600 }, OPERATOR_CONTEXT);
    expect((await introspect(twice.token)).body.active).toBe(true);
    await nextSecond();
    const second = await server.services.clients.rotateSecret(twice.client.org_id, twice.client.id, {}, OPERATOR_CONTEXT);
    expect((await introspect(twice.token)).body).toEqual(INACTIVE);
    const newest = (await requestToken(as, { client_id: twice.client.client_id, client_secret: second.client_secret })).access_token;
    expect((await introspect(newest)).body.active).toBe(true);
    const row = await server.db.knex('api_clients').where({ id: twice.client.id }).first();
    expect(row.tokens_not_before_pending).toBeNull(); // the first rotation's grace end no longer looms

    const earlier = await clientWithToken();
    await nextSecond();
    await server.services.clients.setStatus(earlier.client.org_id, earlier.client.id, 'disabled', OPERATOR_CONTEXT);
    await server.services.clients.setStatus(earlier.client.org_id, earlier.client.id, 'active', OPERATOR_CONTEXT);
    await server.services.clients.rotateSecret(earlier.client.org_id, earlier.client.id, { grace_period_seconds: 600 }, OPERATOR_CONTEXT);
    expect((await introspect(earlier.token)).body).toEqual(INACTIVE);
  });

  it('answers a restricted token with whether the caller\'s end user may use it from client_ip', async () => {
    const org = (await server.services.orgs.create({ name: 'Restricted Org' }, OPERATOR_CONTEXT)).id;
    const created = await server.services.restrictedTokens.create(
      org,
      { name: 'Wallboard', allowed_ips: ['127.0.0.1', '10.0.0.0/8', '2001:db8::/32'], scopes: ['employees:Read', 'reports:Read'] },
      OPERATOR_CONTEXT,
    );
    const base = {
      active: true,
      token_type: 'restricted_access_token',
      scope: 'employees:Read reports:Read',
      org_id: org,
      sub: created.id,
      aud: ['https://api.example.com', 'https://reports.example.com'],
      iat: Math.floor(Date.parse(created.created_at) / 1000),
    };
    expect((await introspect(created.token)).body).toEqual(base);
    for (const [ip, allowed] of [
      ['127.0.0.1', true],
      ['127.0.0.2', false],
      ['::ffff:127.0.0.1', true],
      ['10.200.3.4', true],
      ['11.0.0.1', false],
      ['2001:db8:1::5', true],
      ['::1', false],
    ] as const) {
      expect((await introspect(created.token, rs, { client_ip: ip })).body).toEqual({ ...base, client_ip_allowed: allowed });
    }
    const bad = await introspect(created.token, rs, { client_ip: '127.1' });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: 'invalid_request', error_description: "'client_ip' must be an IPv4 or IPv6 address" });

    // API clients cannot introspect restricted tokens.
    const { client } = await clientWithToken(org);
    expect((await introspect(created.token, client)).body).toEqual(INACTIVE);

    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await server.services.restrictedTokens.get(org, created.id)).last_used_at).not.toBeNull();

    await server.db.knex('restricted_tokens').where({ id: created.id }).update({ expires_at: new Date(Date.now() - 1000) });
    expect((await introspect(created.token)).body).toEqual(INACTIVE);
    const other = await server.services.restrictedTokens.create(org, { name: 'Gone', allowed_ips: ['127.0.0.1'], scopes: ['employees:Read'] }, OPERATOR_CONTEXT);
    await server.services.restrictedTokens.delete(org, other.id, OPERATOR_CONTEXT);
    expect((await introspect(other.token)).body).toEqual(INACTIVE);
  });
});

describe('POST /oauth/revoke', () => {
  it('revokes a client\'s own token until its exp; 200 for unknown, malformed and repeated ones', async () => {
    const { client, token } = await clientWithToken();
    const revoked = await revoke(token, client);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toBeUndefined();
    expect((await introspect(token)).body).toEqual(INACTIVE);
    expect((await revoke(token, client)).status).toBe(200);
    expect((await revoke('garbage', client)).status).toBe(200);
    expect((await revoke('lkr_nope', client)).status).toBe(200);
    const row = await server.db.knex('revoked_tokens').where({ client_id: client.client_id }).first();
    expect(row.expires_at.getTime()).toBeGreaterThan(Date.now() + 3500_000);
  });

  it('leaves another client\'s token active', async () => {
    const victim = await clientWithToken();
    const attacker = await clientWithToken(victim.client.org_id);
    expect((await revoke(victim.token, attacker.client)).status).toBe(200);
    expect((await revoke(victim.token, rs)).status).toBe(200);
    expect((await introspect(victim.token)).body.active).toBe(true);
  });

  it('requires client authentication', async () => {
    const { token } = await clientWithToken();
    expect((await form('/oauth/revoke', { token })).status).toBe(401);
  });

  it('ends a management API Bearer token at once', async () => {
    const org = (await server.services.orgs.create({ name: 'Bearer Revoke' }, OPERATOR_CONTEXT)).id;
    const bot = await machine(server, org, ['credentials:read']);
    expect((await bot.request('GET', `/v1/orgs/${org}/clients`)).status).toBe(200);
    await revoke(bot.accessToken, bot.client);
    const refused = await bot.request('GET', `/v1/orgs/${org}/clients`);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_token');
  });
});

describe('GET /v1/revocations', () => {
  const feed = (query = '') =>
    anonymous(server).request('GET', `/v1/revocations${query}`, undefined, { authorization: basic(rs.client_id, rs.client_secret) });

  it('lists revoked jtis and per-client not-before times, pages by cursor, and forgets what no token can need', async () => {
    const start = (await feed()).body;
    const revokedToken = await clientWithToken();
    await revoke(revokedToken.token, revokedToken.client);
    const disabled = await clientWithToken();
    await server.services.clients.setStatus(disabled.client.org_id, disabled.client.id, 'disabled', OPERATOR_CONTEXT);

    const all = (await feed()).body;
    expect(all.poll_interval_seconds).toBe(15);
    const jti = JSON.parse(Buffer.from(revokedToken.token.split('.')[1] as string, 'base64url').toString()).jti;
    expect(all.entries).toEqual(
      expect.arrayContaining([
        { type: 'token', jti, client_id: revokedToken.client.client_id, exp: expect.any(Number) },
        { type: 'client', client_id: disabled.client.client_id, not_before: expect.any(Number), pending_not_before: null },
      ]),
    );
    expect(all.entries.length).toBeGreaterThanOrEqual(start.entries.length + 2);
    // Entries under five seconds old are not passed by the cursor: they come again next time.
    expect((await feed(`?since=${all.next_cursor}`)).body.entries).toEqual(expect.arrayContaining([expect.objectContaining({ jti })]));

    const pageOne = (await feed('?limit=1')).body;
    expect(pageOne.entries).toHaveLength(1);

    const bad = await feed('?since=garbage');
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: 'invalid_request', error_description: 'since: is not a cursor this server gave out' });

    await server.db.knex('revocation_events').update({ relevant_until: new Date(Date.now() - 1000) });
    await server.db.knex('revoked_tokens').update({ expires_at: new Date(Date.now() - 1000) });
    await createRevocationRepository(server.db.knex).prune();
    expect((await feed()).body.entries).toEqual([]);
  });

  it('is for resource servers only', async () => {
    const { client } = await clientWithToken();
    const attempts: Array<Record<string, string>> = [{}, { authorization: basic(client.client_id, client.client_secret) }, { authorization: basic(rs.client_id, 'wrong') }];
    for (const headers of attempts) {
      const response = await anonymous(server).request('GET', '/v1/revocations', undefined, headers);
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: 'invalid_client', error_description: 'resource-server credentials (HTTP Basic) are missing or wrong' });
    }
  });
});
