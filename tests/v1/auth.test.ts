// Console sign-in: session cookie, CSRF token, throttled failures that look alike.
import { addUser, anonymous, signIn } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';

let server: TestServer;
let orgId: string;
let user: { email: string; password: string; userId: string };

beforeAll(async () => {
  server = await startTestServer({
    env: { LOGIN_MAX_FAILURES_PER_ACCOUNT: '3', LOGIN_MAX_FAILURES_PER_IP: '1000', SESSION_TTL_SECONDS: '3600' },
  });
  orgId = (await server.services.orgs.create({ name: 'Auth Org' }, OPERATOR_CONTEXT)).id;
  user = await addUser(server, orgId, 'developer', { email: 'dev@auth.example.com' });
});
afterAll(() => server.stop());

const invalidCredentials = { error: 'invalid_credentials', error_description: 'the email or password is incorrect' };

describe('POST /v1/auth/login', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie and returns the user, memberships and CSRF token', async () => {
    const response = await anonymous(server).request('POST', '/v1/auth/login', { email: 'Dev@Auth.Example.com', password: user.password });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      type: 'user',
      user: { id: user.userId, email: 'dev@auth.example.com' },
      memberships: [{ org_id: orgId, org_name: 'Auth Org', role: 'developer', can_manage_credentials: false }],
      csrf_token: expect.stringMatching(/^[\w-]{32}$/),
      expires_at: expect.any(String),
    });
    expect(Date.parse(response.body.expires_at) - Date.now()).toBeGreaterThan(3590_000);
    const cookie = response.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^latchkey_session=[\w-]{43}; Path=\/v1; Expires=[^;]+; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toMatch(/Secure/); // served over http here; Secure when ISSUER is https
    expect(response.headers.get('cache-control')).toBe('no-store');

    const sessionId = cookie.split(';')[0]?.split('=')[1] ?? '';
    const rows = await server.db.knex('sessions').where({ user_id: user.userId });
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain(sessionId); // only its hash is stored
  });

  it('answers a wrong password and an unknown email the same way', async () => {
    const wrong = await anonymous(server).request('POST', '/v1/auth/login', { email: user.email, password: 'not-the-password' });
    const unknown = await anonymous(server).request('POST', '/v1/auth/login', { email: 'nobody@auth.example.com', password: 'whatever' });
    for (const response of [wrong, unknown]) {
      expect(response.status).toBe(401);
      expect(response.body).toEqual(invalidCredentials);
      expect(response.headers.get('set-cookie')).toBeNull();
    }
  });

  it('refuses bad bodies with the field named', async () => {
    const caller = anonymous(server);
    expect((await caller.request('POST', '/v1/auth/login', { email: user.email })).body).toEqual({
      error: 'invalid_request',
      error_description: 'password: is required',
    });
    expect((await caller.request('POST', '/v1/auth/login', { email: user.email, password: 'x', remember: true })).body).toEqual({
      error: 'invalid_request',
      error_description: 'Unrecognized key: "remember"',
    });
  });

  it('throttles failures per account before checking the password, then 429 with Retry-After, even for the right password', async () => {
    const victim = await addUser(server, orgId, 'member', { email: 'throttled@auth.example.com' });
    const caller = anonymous(server);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect((await caller.request('POST', '/v1/auth/login', { email: victim.email, password: `wrong-${attempt}` })).status).toBe(401);
    }
    const blocked = await caller.request('POST', '/v1/auth/login', { email: victim.email, password: victim.password });
    expect(blocked.status).toBe(429);
    expect(blocked.body).toEqual({ error: 'too_many_requests', error_description: expect.stringMatching(/^too many failed logins: try again in \d+ seconds$/) });
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // An unknown email is throttled exactly the same way.
    for (let attempt = 0; attempt < 3; attempt += 1) await caller.request('POST', '/v1/auth/login', { email: 'ghost@auth.example.com', password: 'x' });
    expect((await caller.request('POST', '/v1/auth/login', { email: 'ghost@auth.example.com', password: 'x' })).status).toBe(429);
  });

  it('throttles failures per IP across accounts', async () => {
    const perIp = await startTestServer({ env: { LOGIN_MAX_FAILURES_PER_ACCOUNT: '100', LOGIN_MAX_FAILURES_PER_IP: '4' } });
    try {
      const org = (await perIp.services.orgs.create({ name: 'IP Org' }, OPERATOR_CONTEXT)).id;
      const someone = await addUser(perIp, org, 'member');
      const caller = anonymous(perIp);
      for (let attempt = 0; attempt < 4; attempt += 1) {
        expect((await caller.request('POST', '/v1/auth/login', { email: `spray-${attempt}@example.com`, password: 'x' })).status).toBe(401);
      }
      expect((await caller.request('POST', '/v1/auth/login', { email: someone.email, password: someone.password })).status).toBe(429);
    } finally {
      await perIp.stop();
    }
  });
});

describe('session use', () => {
  it('GET /v1/me answers the signed-in user; logout ends the session', async () => {
    const session = await signIn(server, user.email, user.password);
    const me = await session.request('GET', '/v1/me');
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      type: 'user',
      user: { id: user.userId, email: user.email },
      memberships: [{ org_id: orgId, org_name: 'Auth Org', role: 'developer', can_manage_credentials: false }],
      csrf_token: session.csrfToken,
    });

    const logout = await session.request('POST', '/v1/auth/logout');
    expect(logout.status).toBe(204);
    expect(logout.headers.get('set-cookie')).toMatch(/^latchkey_session=; Path=\/v1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Strict$/);
    const after = await session.request('GET', '/v1/me');
    expect(after.status).toBe(401);
    expect(after.body).toEqual({ error: 'unauthorized', error_description: 'the session has expired or was signed out: sign in again' });
  });

  it('refuses an expired session', async () => {
    const session = await signIn(server, user.email, user.password);
    await server.db.knex('sessions').where({ user_id: user.userId }).update({ expires_at: new Date(Date.now() - 1000) });
    expect((await session.request('GET', '/v1/me')).status).toBe(401);
  });

  it('requires the CSRF token for changes made with the cookie', async () => {
    const session = await signIn(server, user.email, user.password);
    const body = { name: 'csrf probe', scopes: ['payroll:Read'] };
    const missing = await session.request('POST', `/v1/orgs/${orgId}/clients`, body, { 'x-csrf-token': '' });
    const wrong = await session.request('POST', `/v1/orgs/${orgId}/clients`, body, { 'x-csrf-token': 'not-the-token' });
    for (const response of [missing, wrong]) {
      expect(response.status).toBe(403);
      expect(response.body).toEqual({
        error: 'csrf_token_invalid',
        error_description: 'changes made with the session cookie need the X-CSRF-Token header from login or GET /v1/me',
      });
    }
    expect(await server.db.knex('api_clients').where({ name: 'csrf probe' }).first()).toBeUndefined();
    expect((await session.request('POST', `/v1/orgs/${orgId}/clients`, body)).status).toBe(201);
  });

  it('answers 401 without credentials and with a malformed Authorization header', async () => {
    const none = await anonymous(server).request('GET', '/v1/me');
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ error: 'unauthorized', error_description: 'sign in with POST /v1/auth/login or send a Bearer access token' });
    const basicAuth = await anonymous(server).request('GET', '/v1/me', undefined, { authorization: 'Basic abc' });
    expect(basicAuth.status).toBe(401);
    expect(basicAuth.body).toEqual({ error: 'invalid_token', error_description: 'the Authorization header must be "Bearer <access token>"' });
    expect(basicAuth.headers.get('www-authenticate')).toMatch(/^Bearer realm=".*\/v1", error="invalid_token"/);
  });

  it('records logins, failed logins and logouts in the audit log of the user\'s organization', async () => {
    const session = await signIn(server, user.email, user.password);
    await anonymous(server).request('POST', '/v1/auth/login', { email: user.email, password: 'nope' }, { 'user-agent': 'audit-probe' });
    await session.request('POST', '/v1/auth/logout');
    const events = await server.db.knex('audit_events').where({ org_id: orgId, actor_id: user.userId }).orderBy('at', 'desc');
    const actions = events.map((event: { action: string }) => event.action);
    expect(actions).toEqual(expect.arrayContaining(['user.login', 'user.login_failed', 'user.logout']));
    const failed = events.find((event: { action: string; user_agent: string }) => event.action === 'user.login_failed' && event.user_agent === 'audit-probe');
    expect(failed).toMatchObject({ actor_type: 'user', actor_name: user.email, target_type: 'user', target_id: user.userId, ip: '127.0.0.1', metadata: {} });
    expect(JSON.stringify(events)).not.toContain(user.password);
  });
});
