// Organization members: adding (with a show-once password for new users), roles, the last admin.
import { addUser, anonymous, machine, orgWithAdmin, signIn } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

describe('members', () => {
  it('adds a new user with a generated password shown once, which signs in', async () => {
    const { org, session } = await orgWithAdmin(server, 'Members Org');
    const added = await session.request('POST', `/v1/orgs/${org.id}/members`, { email: 'New.Dev@Example.com', role: 'developer' });
    expect(added.status).toBe(201);
    expect(added.body).toEqual({
      user_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      email: 'new.dev@example.com',
      role: 'developer',
      can_manage_credentials: false,
      password: expect.stringMatching(/^[\w-]{24}$/),
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const user = await server.db.knex('users').where({ id: added.body.user_id }).first();
    expect(user.password_hash).toMatch(/^\$2b\$/);
    expect(JSON.stringify(user)).not.toContain(added.body.password);
    const signedIn = await signIn(server, 'new.dev@example.com', added.body.password);
    expect((await signedIn.request('GET', '/v1/me')).body.memberships).toEqual([
      { org_id: org.id, org_name: 'Members Org', role: 'developer', can_manage_credentials: false },
    ]);
    const listed = await session.request('GET', `/v1/orgs/${org.id}/members`);
    expect(listed.text).not.toContain(added.body.password);
    expect(listed.body.map((member: { email: string; role: string }) => [member.email, member.role])).toEqual(
      expect.arrayContaining([['new.dev@example.com', 'developer']]),
    );
  });

  it('adds an existing user to another organization without a new password; twice is a 409', async () => {
    const first = await orgWithAdmin(server);
    const second = await orgWithAdmin(server);
    const user = await addUser(server, first.org.id, 'member');
    const added = await second.session.request('POST', `/v1/orgs/${second.org.id}/members`, { email: user.email, role: 'member', can_manage_credentials: true });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ user_id: user.userId, password: null, can_manage_credentials: true });
    const again = await second.session.request('POST', `/v1/orgs/${second.org.id}/members`, { email: user.email, role: 'admin' });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ error: 'conflict', error_description: `${user.email} is already a member of this organization` });
    // The old password still works and sees both organizations.
    const session = await signIn(server, user.email, user.password);
    expect((await session.request('GET', '/v1/orgs')).body.map((org: { id: string }) => org.id).sort()).toEqual([first.org.id, second.org.id].sort());
  });

  it('changes roles, and keeps at least one admin', async () => {
    const { org, admin, session } = await orgWithAdmin(server);
    const dev = await addUser(server, org.id, 'developer');
    const promoted = await session.request('PATCH', `/v1/orgs/${org.id}/members/${dev.userId}`, { role: 'member', can_manage_credentials: true });
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({ user_id: dev.userId, role: 'member', can_manage_credentials: true });

    const lastAdmin = { error: 'conflict', error_description: "this is the organization's last admin: make another member admin first" };
    const demote = await session.request('PATCH', `/v1/orgs/${org.id}/members/${admin.userId}`, { role: 'developer' });
    expect(demote.status).toBe(409);
    expect(demote.body).toEqual(lastAdmin);
    const remove = await session.request('DELETE', `/v1/orgs/${org.id}/members/${admin.userId}`);
    expect(remove.status).toBe(409);
    expect(remove.body).toEqual(lastAdmin);
    expect((await server.db.knex('memberships').where({ org_id: org.id, user_id: admin.userId }).first()).role).toBe('admin');

    await session.request('PATCH', `/v1/orgs/${org.id}/members/${dev.userId}`, { role: 'admin' });
    expect((await session.request('DELETE', `/v1/orgs/${org.id}/members/${admin.userId}`)).body).toEqual({ user_id: admin.userId, removed: true });
    // The removed admin's session no longer reaches the organization.
    expect((await session.request('GET', `/v1/orgs/${org.id}`)).status).toBe(404);
  });

  it.each([
    [{ email: 'not-an-email', role: 'member' }, 'email: must be an email address'],
    [{ email: 'a@example.com', role: 'owner' }, 'role: must be one of admin, developer, member'],
    [{ email: 'a@example.com', role: 'member', can_manage_credentials: 'yes' }, 'can_manage_credentials: must be true or false'],
    [{ email: 'a@example.com', role: 'member', password: 'chosen' }, 'Unrecognized key: "password"'],
  ])('refuses %j with the field named, writing nothing', async (body, description) => {
    const { org, session } = await orgWithAdmin(server);
    const usersBefore = await server.db.knex('users').count({ count: '*' }).first();
    const response = await session.request('POST', `/v1/orgs/${org.id}/members`, body);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_request', error_description: description });
    expect(await server.db.knex('users').count({ count: '*' }).first()).toEqual(usersBefore);
  });

  it('lets a machine caller with members:write manage members but never the admin role', async () => {
    const { org, admin } = await orgWithAdmin(server);
    const bot = await machine(server, org.id, ['members:write']);
    const refusal = { error: 'forbidden', error_description: 'only an organization admin can grant, change or remove the admin role' };
    const added = await bot.request('POST', `/v1/orgs/${org.id}/members`, { email: 'bot-made@example.com', role: 'developer' });
    expect(added.status).toBe(201);
    const grant = await bot.request('POST', `/v1/orgs/${org.id}/members`, { email: 'would-be-admin@example.com', role: 'admin' });
    expect(grant.status).toBe(403);
    expect(grant.body).toEqual(refusal);
    expect(await server.db.knex('users').where({ email: 'would-be-admin@example.com' }).first()).toBeUndefined();
    expect((await bot.request('PATCH', `/v1/orgs/${org.id}/members/${added.body.user_id}`, { role: 'admin' })).body).toEqual(refusal);
    expect((await bot.request('PATCH', `/v1/orgs/${org.id}/members/${admin.userId}`, { role: 'member' })).body).toEqual(refusal);
    expect((await bot.request('DELETE', `/v1/orgs/${org.id}/members/${admin.userId}`)).body).toEqual(refusal);
    expect((await server.db.knex('memberships').where({ org_id: org.id, user_id: admin.userId }).first()).role).toBe('admin');
    expect((await bot.request('PATCH', `/v1/orgs/${org.id}/members/${added.body.user_id}`, { role: 'member' })).status).toBe(200);
  });

  it('is for admins: a developer can read members but not change them', async () => {
    const { org } = await orgWithAdmin(server);
    const dev = await addUser(server, org.id, 'developer');
    const session = await signIn(server, dev.email, dev.password);
    expect((await session.request('GET', `/v1/orgs/${org.id}/members`)).status).toBe(200);
    const refused = await session.request('POST', `/v1/orgs/${org.id}/members`, { email: 'x@example.com', role: 'admin' });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ error: 'forbidden', error_description: 'the developer role does not allow this (members:write)' });
    expect((await anonymous(server).request('GET', `/v1/orgs/${org.id}/members`)).status).toBe(401);
  });
});
