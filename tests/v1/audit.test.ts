// The audit log (GET /v1/orgs/:org/audit-events): every change writes exactly one event with the
// change itself, naming who did it, to what, from where; failures write nothing; filters, keyset
// paging and CSV export; nothing secret ever lands in it; nobody can change it through the API.
import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';
import { anonymous, machine, orgWithAdmin, signIn, type ApiCaller } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface AuditEvent {
  id: string;
  at: string;
  action: string;
  actor: { type: 'operator' | 'user' | 'client'; id: string | null; name: string };
  target: { type: string; id: string | null; name: string | null } | null;
  ip: string | null;
  user_agent: string | null;
  metadata: Record<string, unknown>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const USER_AGENT = 'Acme-Console/2.4 (audit test)';
const withAgent = { 'user-agent': USER_AGENT };
const OPERATOR = { type: 'operator', id: null, name: 'operator' };
const invalidRequest = (description: string) => ({ error: 'invalid_request', error_description: description });
const CSV_HEADER = ['id', 'at', 'action', 'actor_type', 'actor_id', 'actor_name', 'target_type', 'target_id', 'target_name', 'ip', 'user_agent', 'metadata'];

let server: TestServer;
let acme: Awaited<ReturnType<typeof orgWithAdmin>>;
let robot: Awaited<ReturnType<typeof machine>>;
/** Every secret, token and password the server showed or was sent in this file. */
const shown: string[] = [];

beforeAll(async () => {
  server = await startTestServer();
  acme = await orgWithAdmin(server, 'Acme Payroll');
  robot = await machine(server, acme.org.id, ['credentials:write', 'audit:read', 'members:write'], 'Provisioning robot');
  shown.push(acme.admin.password, robot.client.client_secret, robot.accessToken, acme.session.cookie.split('=')[1] ?? '');
});
afterAll(() => server.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The organization's audit log as `reader` sees it through the API, newest first. */
async function auditOf(reader: ApiCaller, orgId: string, query: Record<string, string> = {}): Promise<AuditEvent[]> {
  const response = await reader.request('GET', `/v1/orgs/${orgId}/audit-events?${new URLSearchParams({ limit: '200', ...query })}`);
  expect(response.status).toBe(200);
  return response.body.events as AuditEvent[];
}

const countRows = async (table: string) => Number((await server.db.knex(table).count({ count: '*' }).first())?.count);

/** Runs `change` and returns what it returned with the one audit event it wrote (in any org: exactly one). */
async function expectOneEvent<T>(change: () => Promise<T>, orgId = acme.org.id, reader: ApiCaller = acme.session): Promise<[T, AuditEvent]> {
  const before = new Set((await auditOf(reader, orgId)).map((event) => event.id));
  const rowsBefore = await countRows('audit_events');
  const result = await change();
  const added = (await auditOf(reader, orgId)).filter((event) => !before.has(event.id));
  expect(added).toHaveLength(1);
  expect(await countRows('audit_events')).toBe(rowsBefore + 1);
  return [result, added[0] as AuditEvent];
}

/**
 * The event carries the change's own transaction time: audit_events.at is now() of the
 * transaction that wrote it, and so is the changed row's timestamp when both commit together.
 */
async function expectSameTransaction(event: AuditEvent, table: string, where: Record<string, string>, column: string) {
  const row = await server.db.knex(table).where(where).first(server.db.knex.raw("date_trunc('milliseconds', ??) as at", [column]));
  expect((row as { at: Date }).at.toISOString()).toBe(event.at);
}

const byUser = (caller: { userId: string; email: string }) => ({ type: 'user', id: caller.userId, name: caller.email });
const byRobot = () => ({ type: 'client', id: robot.client.client_id, name: 'Provisioning robot' });
const fromHere = { ip: '127.0.0.1', user_agent: USER_AGENT };

describe('every change writes exactly one audit event, with the change', () => {
  let payroll: Record<string, any>;

  it('api_client.created: a user with a session, with the created values but no secret', async () => {
    const [created, event] = await expectOneEvent(() =>
      acme.session.request('POST', `/v1/orgs/${acme.org.id}/clients`, {
        name: 'Payroll export',
        description: 'Nightly export',
        scopes: ['payroll:Read', 'employees:Read'],
        allowed_origins: ['https://app.acme.example'],
      }, withAgent),
    );
    expect(created.status).toBe(201);
    payroll = created.body;
    shown.push(payroll.client_secret);
    expect(event).toEqual({
      id: expect.stringMatching(UUID),
      at: payroll.created_at,
      action: 'api_client.created',
      actor: byUser(acme.admin),
      target: { type: 'api_client', id: payroll.id, name: 'Payroll export' },
      ...fromHere,
      metadata: {
        client_id: payroll.client_id,
        name: 'Payroll export',
        description: 'Nightly export',
        allowed_origins: ['https://app.acme.example'],
        scopes: ['payroll:Read', 'employees:Read'],
        expires_at: null,
      },
    });
    await expectSameTransaction(event, 'api_clients', { id: payroll.id }, 'created_at');
  });

  it('api_client.created: a machine client with a Bearer token', async () => {
    const [created, event] = await expectOneEvent(() =>
      robot.request('POST', `/v1/orgs/${acme.org.id}/clients`, { name: 'Roster sync', scopes: ['rosters:Read'] }, withAgent),
    );
    expect(created.status).toBe(201);
    shown.push(created.body.client_secret);
    expect(event).toEqual({
      id: expect.stringMatching(UUID),
      at: created.body.created_at,
      action: 'api_client.created',
      actor: byRobot(),
      target: { type: 'api_client', id: created.body.id, name: 'Roster sync' },
      ...fromHere,
      metadata: {
        client_id: created.body.client_id,
        name: 'Roster sync',
        description: '',
        allowed_origins: [],
        scopes: ['rosters:Read'],
        expires_at: null,
      },
    });
  });

  it('api_client.updated: only the fields that changed, from and to', async () => {
    const [updated, event] = await expectOneEvent(() =>
      acme.session.request('PATCH', `/v1/orgs/${acme.org.id}/clients/${payroll.id}`, {
        name: 'Payroll export (EU)',
        description: 'Nightly export', // unchanged: not in the diff
        allowed_origins: ['https://app.acme.example', 'https://eu.acme.example'],
      }, withAgent),
    );
    expect(updated.status).toBe(200);
    expect(event).toEqual({
      id: expect.stringMatching(UUID),
      at: updated.body.updated_at,
      action: 'api_client.updated',
      actor: byUser(acme.admin),
      target: { type: 'api_client', id: payroll.id, name: 'Payroll export (EU)' },
      ...fromHere,
      metadata: {
        changes: {
          name: { from: 'Payroll export', to: 'Payroll export (EU)' },
          allowed_origins: {
            from: ['https://app.acme.example'],
            to: ['https://app.acme.example', 'https://eu.acme.example'],
          },
        },
      },
    });
    await expectSameTransaction(event, 'api_clients', { id: payroll.id }, 'updated_at');
  });

  it('an update that changes nothing writes no event', async () => {
    const before = await countRows('audit_events');
    const response = await acme.session.request('PATCH', `/v1/orgs/${acme.org.id}/clients/${payroll.id}`, { name: 'Payroll export (EU)' });
    expect(response.status).toBe(200);
    expect(await countRows('audit_events')).toBe(before);
  });

  it('api_client.secret_rotated: grace period and the old secret\'s last four characters, never a secret', async () => {
    const [rotated, event] = await expectOneEvent(() =>
      acme.session.request('POST', `/v1/orgs/${acme.org.id}/clients/${payroll.id}/rotate-secret`, { grace_period_seconds: 3600 }, withAgent),
    );
    expect(rotated.status).toBe(200);
    shown.push(rotated.body.client_secret);
    expect(event).toEqual({
      id: expect.stringMatching(UUID),
      at: rotated.body.updated_at,
      action: 'api_client.secret_rotated',
      actor: byUser(acme.admin),
      target: { type: 'api_client', id: payroll.id, name: 'Payroll export (EU)' },
      ...fromHere,
      metadata: {
        client_id: payroll.client_id,
        grace_period_seconds: 3600,
        previous_secret_last4: payroll.secret_last4,
        previous_secret_expires_at: rotated.body.previous_secret_expires_at,
      },
    });
    await expectSameTransaction(event, 'api_clients', { id: payroll.id }, 'secret_rotated_at');
  });

  it('api_client.disabled: by a machine client', async () => {
    const [disabled, event] = await expectOneEvent(() =>
      robot.request('POST', `/v1/orgs/${acme.org.id}/clients/${payroll.id}/disable`, undefined, withAgent),
    );
    expect(disabled.status).toBe(200);
    expect(event).toEqual({
      id: expect.stringMatching(UUID),
      at: disabled.body.updated_at,
      action: 'api_client.disabled',
      actor: byRobot(),
      target: { type: 'api_client', id: payroll.id, name: 'Payroll export (EU)' },
      ...fromHere,
      metadata: { client_id: payroll.client_id },
    });
    await expectSameTransaction(event, 'api_clients', { id: payroll.id }, 'disabled_at');
  });

  it('api_client.enabled: by the operator (CLI), with no address', async () => {
    const [enabled, event] = await expectOneEvent(() =>
      server.services.clients.setStatus(acme.org.id, payroll.id, 'active', OPERATOR_CONTEXT),
    );
    expect(event).toEqual({
      id: expect.stringMatching(UUID),
      at: enabled.updated_at,
      action: 'api_client.enabled',
      actor: OPERATOR,
      target: { type: 'api_client', id: payroll.id, name: 'Payroll export (EU)' },
      ip: null,
      user_agent: 'latchkey-cli',
      metadata: { client_id: payroll.client_id },
    });
  });

  it('api_client.deleted: the row is kept, the event names it', async () => {
    const [deleted, event] = await expectOneEvent(() =>
      robot.request('DELETE', `/v1/orgs/${acme.org.id}/clients/${payroll.id}`, undefined, withAgent),
    );
    expect(deleted.body).toEqual({ id: payroll.id, client_id: payroll.client_id, deleted: true });
    expect(event).toEqual({
      id: expect.stringMatching(UUID),
      at: expect.any(String),
      action: 'api_client.deleted',
      actor: byRobot(),
      target: { type: 'api_client', id: payroll.id, name: 'Payroll export (EU)' },
      ...fromHere,
      metadata: { client_id: payroll.client_id },
    });
    await expectSameTransaction(event, 'api_clients', { id: payroll.id }, 'deleted_at');
  });

  it('restricted_token.created, .updated and .deleted', async () => {
    const [created, createdEvent] = await expectOneEvent(() =>
      robot.request('POST', `/v1/orgs/${acme.org.id}/restricted-tokens`, {
        name: 'Kiosk', allowed_ips: ['203.0.113.7', '10.1.2.3/8'], scopes: ['rosters:Read'],
      }, withAgent),
    );
    expect(created.status).toBe(201);
    const token = created.body;
    shown.push(token.token);
    expect(createdEvent).toEqual({
      id: expect.stringMatching(UUID),
      at: token.created_at,
      action: 'restricted_token.created',
      actor: byRobot(),
      target: { type: 'restricted_token', id: token.id, name: 'Kiosk' },
      ...fromHere,
      metadata: { name: 'Kiosk', allowed_ips: ['203.0.113.7', '10.0.0.0/8'], scopes: ['rosters:Read'], expires_at: null },
    });
    await expectSameTransaction(createdEvent, 'restricted_tokens', { id: token.id }, 'created_at');

    const [updated, updatedEvent] = await expectOneEvent(() =>
      acme.session.request('PATCH', `/v1/orgs/${acme.org.id}/restricted-tokens/${token.id}`, { allowed_ips: ['203.0.113.8'] }, withAgent),
    );
    expect(updated.status).toBe(200);
    expect(updatedEvent).toEqual({
      id: expect.stringMatching(UUID),
      at: expect.any(String),
      action: 'restricted_token.updated',
      actor: byUser(acme.admin),
      target: { type: 'restricted_token', id: token.id, name: 'Kiosk' },
      ...fromHere,
      metadata: { changes: { allowed_ips: { from: ['203.0.113.7', '10.0.0.0/8'], to: ['203.0.113.8'] } } },
    });
    await expectSameTransaction(updatedEvent, 'restricted_tokens', { id: token.id }, 'updated_at');

    const [deleted, deletedEvent] = await expectOneEvent(() =>
      acme.session.request('DELETE', `/v1/orgs/${acme.org.id}/restricted-tokens/${token.id}`, undefined, withAgent),
    );
    expect(deleted.body).toEqual({ id: token.id, deleted: true });
    expect(deletedEvent).toEqual({
      id: expect.stringMatching(UUID),
      at: expect.any(String),
      action: 'restricted_token.deleted',
      actor: byUser(acme.admin),
      target: { type: 'restricted_token', id: token.id, name: 'Kiosk' },
      ...fromHere,
      metadata: { token_last4: token.token_last4 },
    });
    await expectSameTransaction(deletedEvent, 'restricted_tokens', { id: token.id }, 'deleted_at');
  });

  it('member.added, .updated and .removed', async () => {
    const [added, addedEvent] = await expectOneEvent(() =>
      acme.session.request('POST', `/v1/orgs/${acme.org.id}/members`, { email: 'Dana@Acme.example', role: 'member' }, withAgent),
    );
    expect(added.status).toBe(201);
    shown.push(added.body.password);
    const dana = { type: 'user', id: added.body.user_id, name: 'dana@acme.example' };
    expect(addedEvent).toEqual({
      id: expect.stringMatching(UUID),
      at: added.body.created_at,
      action: 'member.added',
      actor: byUser(acme.admin),
      target: dana,
      ...fromHere,
      metadata: { role: 'member', can_manage_credentials: false, new_user: true },
    });
    await expectSameTransaction(addedEvent, 'memberships', { org_id: acme.org.id, user_id: dana.id }, 'created_at');

    const [updated, updatedEvent] = await expectOneEvent(() =>
      acme.session.request('PATCH', `/v1/orgs/${acme.org.id}/members/${dana.id}`, { role: 'developer', can_manage_credentials: true }, withAgent),
    );
    expect(updated.status).toBe(200);
    expect(updatedEvent).toEqual({
      id: expect.stringMatching(UUID),
      at: updated.body.updated_at,
      action: 'member.updated',
      actor: byUser(acme.admin),
      target: dana,
      ...fromHere,
      metadata: { changes: { role: { from: 'member', to: 'developer' }, can_manage_credentials: { from: false, to: true } } },
    });

    const [removed, removedEvent] = await expectOneEvent(() =>
      robot.request('DELETE', `/v1/orgs/${acme.org.id}/members/${dana.id}`, undefined, withAgent),
    );
    expect(removed.body).toEqual({ user_id: dana.id, removed: true });
    expect(removedEvent).toEqual({
      id: expect.stringMatching(UUID),
      at: expect.any(String),
      action: 'member.removed',
      actor: byRobot(),
      target: dana,
      ...fromHere,
      metadata: { role: 'developer' },
    });

    // An existing user joins with the password they have: none is generated, new_user is false.
    const [again, againEvent] = await expectOneEvent(() =>
      acme.session.request('POST', `/v1/orgs/${acme.org.id}/members`, { email: 'dana@acme.example', role: 'member' }, withAgent),
    );
    expect(again.body.password).toBeNull();
    expect(againEvent.metadata).toEqual({ role: 'member', can_manage_credentials: false, new_user: false });
  });

  it('org.limits_changed: by the operator, as a diff', async () => {
    const [org, event] = await expectOneEvent(() =>
      server.services.orgs.setLimits(acme.org.id, { max_restricted_tokens: 10 }, OPERATOR_CONTEXT),
    );
    expect(event).toEqual({
      id: expect.stringMatching(UUID),
      at: org.updated_at,
      action: 'org.limits_changed',
      actor: OPERATOR,
      target: { type: 'organization', id: acme.org.id, name: 'Acme Payroll' },
      ip: null,
      user_agent: 'latchkey-cli',
      metadata: { changes: { max_restricted_tokens: { from: null, to: 10 } } },
    });
    await expectSameTransaction(event, 'organizations', { id: acme.org.id }, 'updated_at');
  });

  it('org.revoke_all: lists what it disabled and deleted', async () => {
    const revoked = await orgWithAdmin(server, 'Revoke Co');
    const first = await server.createClient({ name: 'First' }, revoked.org.id);
    const second = await server.createClient({ name: 'Second' }, revoked.org.id);
    const token = await server.services.restrictedTokens.create(
      revoked.org.id, { name: 'Kiosk', allowed_ips: ['203.0.113.7'], scopes: ['rosters:Read'] }, OPERATOR_CONTEXT,
    );
    shown.push(revoked.admin.password, first.client_secret, second.client_secret, token.token);

    const [response, event] = await expectOneEvent(
      () => revoked.session.request('POST', `/v1/orgs/${revoked.org.id}/revoke-all`, { confirm: 'Revoke Co' }, withAgent),
      revoked.org.id,
      revoked.session,
    );
    expect(response.body).toEqual({ api_clients_disabled: 2, restricted_tokens_deleted: 1 });
    expect(event).toEqual({
      id: expect.stringMatching(UUID),
      at: expect.any(String),
      action: 'org.revoke_all',
      actor: byUser(revoked.admin),
      target: { type: 'organization', id: revoked.org.id, name: 'Revoke Co' },
      ...fromHere,
      metadata: { api_clients_disabled: expect.any(Array), restricted_tokens_deleted: [token.id] },
    });
    expect((event.metadata.api_clients_disabled as string[]).sort()).toEqual([first.client_id, second.client_id].sort());
    await expectSameTransaction(event, 'api_clients', { id: first.id }, 'disabled_at');
    await expectSameTransaction(event, 'restricted_tokens', { id: token.id }, 'deleted_at');
  });

  it('user.login, user.login_failed and user.logout, with the caller\'s address and agent', async () => {
    const caller = anonymous(server);
    const [login, loginEvent] = await expectOneEvent(() =>
      caller.request('POST', '/v1/auth/login', { email: acme.admin.email, password: acme.admin.password }, withAgent),
    );
    expect(login.status).toBe(200);
    const self = { type: 'user', id: acme.admin.userId, name: acme.admin.email };
    expect(loginEvent).toEqual({ id: expect.stringMatching(UUID), at: expect.any(String), action: 'user.login', actor: self, target: self, ...fromHere, metadata: {} });

    const wrongPassword = `wrong-${Math.random().toString(36).slice(2)}`;
    shown.push(wrongPassword);
    const [failed, failedEvent] = await expectOneEvent(() =>
      caller.request('POST', '/v1/auth/login', { email: acme.admin.email, password: wrongPassword }, withAgent),
    );
    expect(failed.status).toBe(401);
    expect(failedEvent).toEqual({
      id: expect.stringMatching(UUID), at: expect.any(String), action: 'user.login_failed', actor: self, target: self, ...fromHere, metadata: {},
    });

    const session = await signIn(server, acme.admin.email, acme.admin.password);
    const [logout, logoutEvent] = await expectOneEvent(() => session.request('POST', '/v1/auth/logout', undefined, withAgent));
    expect(logout.status).toBe(204);
    expect(logoutEvent).toEqual({
      id: expect.stringMatching(UUID), at: expect.any(String), action: 'user.logout', actor: self, target: self, ...fromHere, metadata: {},
    });
  });

  it('a failed login for an unknown email is recorded outside every organization', async () => {
    const before = await countRows('audit_events');
    const wrongPassword = `guess-${Math.random().toString(36).slice(2)}`;
    shown.push(wrongPassword);
    const response = await anonymous(server).request('POST', '/v1/auth/login', { email: 'Nobody@Nowhere.example', password: wrongPassword }, withAgent);
    expect(response.status).toBe(401);
    expect(await countRows('audit_events')).toBe(before + 1);
    const rows = await server.db.knex('audit_events').where({ actor_name: 'nobody@nowhere.example' });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      org_id: null, action: 'user.login_failed', actor_type: 'user', actor_id: null, actor_name: 'nobody@nowhere.example',
      target_type: 'user', target_id: null, target_name: 'nobody@nowhere.example', ip: '127.0.0.1', user_agent: USER_AGENT, metadata: {},
    });
  });

  it('a login writes one event in each organization of the user', async () => {
    const other = await orgWithAdmin(server, 'Second Org');
    await server.services.members.add(other.org.id, { email: acme.admin.email, role: 'member' }, OPERATOR_CONTEXT);
    const acmeBefore = (await auditOf(acme.session, acme.org.id)).length;
    const otherBefore = (await auditOf(other.session, other.org.id)).length;
    await signIn(server, acme.admin.email, acme.admin.password);
    const [acmeEvent] = await auditOf(acme.session, acme.org.id);
    const [otherEvent] = await auditOf(other.session, other.org.id);
    expect((await auditOf(acme.session, acme.org.id)).length).toBe(acmeBefore + 1);
    expect((await auditOf(other.session, other.org.id)).length).toBe(otherBefore + 1);
    expect([acmeEvent?.action, otherEvent?.action]).toEqual(['user.login', 'user.login']);
    expect(acmeEvent?.actor).toEqual(otherEvent?.actor);
    expect(acmeEvent?.id).not.toBe(otherEvent?.id);
  });
});

describe('a failed request writes no event and no row', () => {
  let limited: Awaited<ReturnType<typeof orgWithAdmin>>;

  beforeAll(async () => {
    limited = await orgWithAdmin(server, 'Limited Co');
    shown.push(limited.admin.password);
  });

  async function expectNothingWritten(request: () => Promise<{ status: number; body: unknown }>, status: number, body: unknown) {
    const tables = ['audit_events', 'api_clients', 'restricted_tokens', 'memberships', 'users'];
    const before = await Promise.all(tables.map(countRows));
    const response = await request();
    expect(response.status).toBe(status);
    expect(response.body).toEqual(body);
    expect(await Promise.all(tables.map(countRows))).toEqual(before);
  }

  it('refuses invalid input without writing', async () => {
    await expectNothingWritten(
      () => limited.session.request('POST', `/v1/orgs/${limited.org.id}/clients`, { name: 'x'.repeat(65), scopes: ['payroll:Read'] }),
      400, invalidRequest('name: must be at most 64 characters'),
    );
    await expectNothingWritten(
      () => limited.session.request('POST', `/v1/orgs/${limited.org.id}/restricted-tokens`, { name: 'T', allowed_ips: ['10.0.0.1'], scopes: ['payroll:Write'] }),
      400, invalidRequest('scopes: payroll:Write cannot be granted to a restricted token; use an API client for it'),
    );
    await expectNothingWritten(
      () => limited.session.request('POST', `/v1/orgs/${limited.org.id}/members`, { email: 'not-an-email', role: 'member' }),
      400, invalidRequest('email: must be an email address'),
    );
    await expectNothingWritten(
      () => limited.session.request('PATCH', `/v1/orgs/${limited.org.id}/clients/00000000-0000-4000-8000-000000000000`, { name: 'x' }),
      404, { error: 'not_found', error_description: 'API client not found' },
    );
  });

  it('refuses a client over the organization\'s limit without writing', async () => {
    const [, event] = await expectOneEvent(
      () => server.services.orgs.setLimits(limited.org.id, { max_api_clients: 1 }, OPERATOR_CONTEXT),
      limited.org.id, limited.session,
    );
    expect(event.metadata).toEqual({ changes: { max_api_clients: { from: null, to: 1 } } });
    const first = await limited.session.request('POST', `/v1/orgs/${limited.org.id}/clients`, { name: 'Only one', scopes: ['payroll:Read'] });
    expect(first.status).toBe(201);
    shown.push(first.body.client_secret);
    await expectNothingWritten(
      () => limited.session.request('POST', `/v1/orgs/${limited.org.id}/clients`, { name: 'One too many', scopes: ['payroll:Read'] }),
      409, {
        error: 'conflict',
        error_description: 'this organization is at its limit of active API clients (1 of 1): disable or delete an API client to free a slot',
      },
    );
  });

  it('refuses removing the last admin without writing', async () => {
    await expectNothingWritten(
      () => limited.session.request('DELETE', `/v1/orgs/${limited.org.id}/members/${limited.admin.userId}`),
      409, { error: 'conflict', error_description: 'this is the organization\'s last admin: make another member admin first' },
    );
  });
});

describe('a change and its audit event commit together or not at all', () => {
  let org: Awaited<ReturnType<typeof orgWithAdmin>>;
  const knex = () => server.db.knex;

  // A trigger that refuses audit writes while the switch is on: the change must roll back with it.
  beforeAll(async () => {
    org = await orgWithAdmin(server, 'Atomic Co');
    shown.push(org.admin.password);
    await knex().raw('create table audit_write_failure (refuse boolean not null)');
    await knex().raw(`
      create function audit_write_failure() returns trigger language plpgsql as $$
      begin
        if exists (select 1 from audit_write_failure where refuse) then raise exception 'audit write refused by the test'; end if;
        return new;
      end $$`);
    await knex().raw('create trigger audit_write_failure before insert on audit_events for each row execute function audit_write_failure()');
  });
  afterAll(async () => {
    await knex().raw('drop trigger audit_write_failure on audit_events');
    await knex().raw('drop function audit_write_failure()');
    await knex().raw('drop table audit_write_failure');
  });

  async function whileAuditFails(request: () => Promise<{ status: number; body: unknown }>) {
    await knex()('audit_write_failure').insert({ refuse: true });
    try {
      const response = await request();
      expect(response.status).toBe(500);
      expect(response.body).toEqual({ error: 'server_error', error_description: 'an unexpected error occurred' });
    } finally {
      await knex()('audit_write_failure').del();
    }
  }

  it('rolls back every kind of change when its event cannot be written', async () => {
    const client = await server.createClient({ name: 'Kept as is' }, org.org.id);
    const token = await server.services.restrictedTokens.create(org.org.id, { name: 'Kiosk', allowed_ips: ['203.0.113.7'], scopes: ['rosters:Read'] }, OPERATOR_CONTEXT);
    shown.push(client.client_secret, token.token);
    const snapshot = async () => ({
      clients: await knex()('api_clients').where({ org_id: org.org.id }).orderBy('id'),
      tokens: await knex()('restricted_tokens').where({ org_id: org.org.id }).orderBy('id'),
      members: await knex()('memberships').where({ org_id: org.org.id }).orderBy('user_id'),
      users: await countRows('users'),
      org: await knex()('organizations').where({ id: org.org.id }).first(),
      events: await countRows('audit_events'),
    });
    const before = await snapshot();
    const base = `/v1/orgs/${org.org.id}`;

    await whileAuditFails(() => org.session.request('POST', `${base}/clients`, { name: 'Never', scopes: ['payroll:Read'] }));
    await whileAuditFails(() => org.session.request('PATCH', `${base}/clients/${client.id}`, { name: 'Renamed' }));
    await whileAuditFails(() => org.session.request('POST', `${base}/clients/${client.id}/rotate-secret`, { grace_period_seconds: 0 }));
    await whileAuditFails(() => org.session.request('POST', `${base}/clients/${client.id}/disable`));
    await whileAuditFails(() => org.session.request('DELETE', `${base}/clients/${client.id}`));
    await whileAuditFails(() => org.session.request('POST', `${base}/restricted-tokens`, { name: 'Never', allowed_ips: ['10.0.0.1'], scopes: ['rosters:Read'] }));
    await whileAuditFails(() => org.session.request('PATCH', `${base}/restricted-tokens/${token.id}`, { name: 'Renamed' }));
    await whileAuditFails(() => org.session.request('DELETE', `${base}/restricted-tokens/${token.id}`));
    await whileAuditFails(() => org.session.request('POST', `${base}/members`, { email: 'never@atomic.example', role: 'member' }));
    await whileAuditFails(() => org.session.request('POST', `${base}/revoke-all`, { confirm: org.org.name }));

    expect(await snapshot()).toEqual(before);
  });
});

describe('GET /v1/orgs/:org/audit-events filters', () => {
  let org: Awaited<ReturnType<typeof orgWithAdmin>>;
  let bot: Awaited<ReturnType<typeof machine>>;
  let all: AuditEvent[];
  /** The events of the five steps, in the order they happened. */
  const step: AuditEvent[] = [];
  const ids = (events: AuditEvent[]) => events.map((event) => event.id);
  const query = (q: Record<string, string>) => auditOf(org.session, org.org.id, q);

  beforeAll(async () => {
    org = await orgWithAdmin(server, 'Filters Inc');
    bot = await machine(server, org.org.id, ['credentials:write', 'audit:read'], 'Filter bot');
    shown.push(org.admin.password, bot.client.client_secret, bot.accessToken);
    const base = `/v1/orgs/${org.org.id}`;
    const changes: Array<() => Promise<unknown>> = [
      () => org.session.request('POST', `${base}/clients`, { name: 'X', scopes: ['payroll:Read'] }),
      () => bot.request('POST', `${base}/clients`, { name: 'Y', scopes: ['payroll:Read'] }),
      () => org.session.request('PATCH', `${base}/clients/${step[0]?.target?.id}`, { name: 'X2' }),
      () => bot.request('POST', `${base}/clients/${step[1]?.target?.id}/disable`),
      () => org.session.request('DELETE', `${base}/clients/${step[0]?.target?.id}`),
    ];
    for (const change of changes) {
      await sleep(5); // distinct timestamps, so that from/to can split between any two steps
      const [response, event] = await expectOneEvent(change, org.org.id, org.session);
      shown.push((response as { body: { client_secret?: string } }).body.client_secret ?? '');
      step.push(event);
    }
    all = await query({});
  });

  const at = (index: number) => step[index]?.at as string;

  it('lists newest first by default', () => {
    expect(ids(all.slice(0, 5))).toEqual(ids([...step].reverse()));
    // Set-up events may share a millisecond; their order among themselves is by id.
    expect(all.slice(5).map((event) => event.action).sort()).toEqual(['api_client.created', 'member.added', 'org.created', 'user.login']);
    for (let index = 1; index < all.length; index += 1) expect((all[index - 1] as AuditEvent).at >= (all[index] as AuditEvent).at).toBe(true);
  });

  it('from is inclusive and to is exclusive (half-open)', async () => {
    expect(ids(await query({ from: at(2) }))).toEqual(ids([step[4], step[3], step[2]] as AuditEvent[]));
    expect(ids(await query({ to: at(2) }))).toEqual(ids(all.filter((event) => event.at < at(2))));
    expect(ids(await query({ to: at(2) }))).not.toContain(step[2]?.id);
    expect(ids(await query({ from: at(1), to: at(3) }))).toEqual(ids([step[2], step[1]] as AuditEvent[]));
  });

  it('understands any time zone offset', async () => {
    const plusTwo = new Date(Date.parse(at(2)) + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    expect(ids(await query({ from: plusTwo }))).toEqual(ids([step[4], step[3], step[2]] as AuditEvent[]));
  });

  it('filters by one action or a comma-separated list', async () => {
    const created = await query({ action: 'api_client.created' });
    expect(created.map((event) => event.action)).toEqual(['api_client.created', 'api_client.created', 'api_client.created']);
    expect(ids(created).slice(0, 2)).toEqual(ids([step[1], step[0]] as AuditEvent[]));
    expect(ids(await query({ action: 'api_client.updated, api_client.disabled' }))).toEqual(ids([step[3], step[2]] as AuditEvent[]));
    expect(ids(await query({ action: 'api_client.deleted,user.login' }))).toEqual(
      ids(all.filter((event) => event.action === 'api_client.deleted' || event.action === 'user.login')),
    );
    expect(await query({ action: 'no.such_action' })).toEqual([]);
  });

  it('filters by actor id: a user id or a client_id', async () => {
    expect(ids(await query({ actor: org.admin.userId }))).toEqual(ids(all.filter((event) => event.actor.id === org.admin.userId)));
    expect((await query({ actor: org.admin.userId })).map((event) => event.action)).toEqual([
      'api_client.deleted', 'api_client.updated', 'api_client.created', 'user.login',
    ]);
    expect(ids(await query({ actor: bot.client.client_id }))).toEqual(ids([step[3], step[1]] as AuditEvent[]));
  });

  it('filters by target id', async () => {
    const x = step[0]?.target?.id as string;
    expect(ids(await query({ target: x }))).toEqual(ids([step[4], step[2], step[0]] as AuditEvent[]));
    expect(ids(await query({ target: org.org.id }))).toEqual(ids(all.filter((event) => event.action === 'org.created')));
  });

  it('combines filters', async () => {
    const x = step[0]?.target?.id as string;
    const combined = { actor: org.admin.userId, target: x, action: 'api_client.updated,api_client.deleted', from: at(2) };
    expect(ids(await query(combined))).toEqual(ids([step[4], step[2]] as AuditEvent[]));
    expect(ids(await query({ ...combined, to: at(4) }))).toEqual(ids([step[2]] as AuditEvent[]));
    expect(await query({ ...combined, actor: bot.client.client_id })).toEqual([]);
  });

  it.each<[string, Record<string, string>, string]>([
    ['a from that is not a date-time', { from: 'yesterday' }, 'from: must be an ISO 8601 date-time with a time zone'],
    ['a date-time without a time zone', { to: '2026-01-01T00:00:00' }, 'to: must be an ISO 8601 date-time with a time zone'],
    ['a from that is not before to', { from: '2026-01-02T00:00:00Z', to: '2026-01-02T00:00:00Z' }, 'from: must be before to'],
    ['a year PostgreSQL cannot store', { from: '0000-01-01T00:00:00Z' }, 'from: must be between the years 0001 and 9999'],
    ['an unknown parameter', { sort: 'asc' }, 'query: unknown field "sort"'],
    ['an unknown format', { format: 'xml' }, 'format: must be json or csv'],
  ])('refuses %s with 400', async (_name, q, description) => {
    const response = await org.session.request('GET', `/v1/orgs/${org.org.id}/audit-events?${new URLSearchParams(q)}`);
    expect(response.status).toBe(400);
    expect(response.body).toEqual(invalidRequest(description));
  });
});

describe('GET /v1/orgs/:org/audit-events paging', () => {
  let org: Awaited<ReturnType<typeof orgWithAdmin>>;
  let expected: string[];
  const page = (q: Record<string, string>) => org.session.request('GET', `/v1/orgs/${org.org.id}/audit-events?${new URLSearchParams(q)}`);

  beforeAll(async () => {
    org = await orgWithAdmin(server, 'Paging Co');
    shown.push(org.admin.password);
    // Concurrent changes: several events can share a millisecond, which the id breaks ties of.
    const created = await Promise.all(
      Array.from({ length: 23 }, (_unused, index) =>
        server.services.restrictedTokens.create(org.org.id, { name: `Token ${index}`, allowed_ips: ['10.0.0.1'], scopes: ['rosters:Read'] }, OPERATOR_CONTEXT),
      ),
    );
    shown.push(...created.map((token) => token.token));
    const rows = await server.db.knex('audit_events').where({ org_id: org.org.id }).orderBy([{ column: 'at', order: 'desc' }, { column: 'id', order: 'desc' }]);
    expected = rows.map((row: { id: string }) => row.id);
    expect(expected).toHaveLength(26); // org.created, member.added, user.login and 23 tokens
  });

  async function walk(limit: number, q: Record<string, string> = {}) {
    const pages: AuditEvent[][] = [];
    let cursor: string | null = null;
    do {
      const response = await page({ ...q, limit: String(limit), ...(cursor ? { cursor } : {}) });
      expect(response.status).toBe(200);
      pages.push(response.body.events);
      cursor = response.body.next_cursor;
      expect(pages.length).toBeLessThan(100);
    } while (cursor !== null);
    return pages;
  }

  it.each([1, 5, 7, 25, 26, 200])('walks every event exactly once, newest first, with limit=%i', async (limit) => {
    const pages = await walk(limit);
    expect(pages.map((events) => events.length)).toEqual(
      Array.from({ length: Math.ceil(26 / limit) }, (_unused, index) => Math.min(limit, 26 - index * limit)),
    );
    const events = pages.flat();
    expect(events.map((event) => event.id)).toEqual(expected);
    for (let index = 1; index < events.length; index += 1) {
      expect((events[index - 1] as AuditEvent).at >= (events[index] as AuditEvent).at).toBe(true);
    }
  });

  it('answers next_cursor null on the last page, also when it is full', async () => {
    const full = await page({ limit: '26' });
    expect(full.body.events).toHaveLength(26);
    expect(full.body.next_cursor).toBeNull();
    const short = await page({ limit: '25' });
    expect(short.body.next_cursor).toEqual(expect.any(String));
    const last = await page({ limit: '25', cursor: short.body.next_cursor });
    expect(last.body).toEqual({ events: [expect.objectContaining({ id: expected[25] })], next_cursor: null });
  });

  it('defaults to 50 events a page', async () => {
    const response = await page({});
    expect(response.body.events).toHaveLength(26);
    expect(response.body.next_cursor).toBeNull();
  });

  it('keeps its place when newer events arrive between pages', async () => {
    const first = await page({ limit: '10' });
    const token = await server.services.restrictedTokens.create(org.org.id, { name: 'Newcomer', allowed_ips: ['10.0.0.1'], scopes: ['rosters:Read'] }, OPERATOR_CONTEXT);
    shown.push(token.token);
    const second = await page({ limit: '10', cursor: first.body.next_cursor });
    expect([...first.body.events, ...second.body.events].map((event: AuditEvent) => event.id)).toEqual(expected.slice(0, 20));
  });

  it('applies filters on every page', async () => {
    const events = (await walk(4, { action: 'restricted_token.created', to: new Date(Date.now() + 60_000).toISOString() })).flat();
    expect(events.map((event) => event.action)).toEqual(Array(24).fill('restricted_token.created'));
  });

  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it.each<[string, () => string]>([
    ['garbage', () => 'not-a-cursor'],
    ['base64 of something else', () => encode({ offset: 10 })],
    ['a cursor with an id that is not a UUID', () => encode(['2026-01-01T00:00:00.000Z', '-'.repeat(36)])],
    ['a cursor with a malformed UUID', () => encode(['2026-01-01T00:00:00.000Z', 'aaaaaaaaa-000-0000-0000-000000000000'])],
    ['a cursor with a number for a date', () => encode([1767225600000, '00000000-0000-4000-8000-000000000000'])],
    ['a cursor with a date PostgreSQL cannot store', () => encode(['0000-01-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'])],
    ['a cursor with an extended year', () => encode(['+275760-09-13T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'])],
    ['a cursor with a negative year', () => encode(['-000001-01-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'])],
    ['a cursor with a date in another form', () => encode(['2026-01-01T00:00:00Z', '00000000-0000-4000-8000-000000000000'])],
  ])('refuses %s with 400, as JSON and as CSV', async (_name, cursor) => {
    for (const format of ['json', 'csv']) {
      const response = await page({ cursor: cursor(), format });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.body).toEqual(invalidRequest('cursor: is not a cursor this server gave out'));
    }
  });

  it('refuses an over-long cursor with 400 naming the field', async () => {
    const response = await page({ cursor: 'a'.repeat(201) });
    expect(response.status).toBe(400);
    expect(response.body).toEqual(invalidRequest('cursor: Too big: expected string to have <=200 characters'));
  });

  it.each<[string, string]>([
    ['0', 'limit: must be at least 1'],
    ['201', 'limit: must be at most 200'],
    ['abc', 'limit: must be a whole number between 1 and 200'],
    ['-1', 'limit: must be a whole number between 1 and 200'],
    ['2.5', 'limit: must be a whole number between 1 and 200'],
  ])('refuses limit=%s with 400 naming the field', async (limit, description) => {
    const response = await page({ limit });
    expect(response.status).toBe(400);
    expect(response.body).toEqual(invalidRequest(description));
  });
});

/** RFC 4180: CRLF between records, commas between fields, quoted fields with doubled quotes. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index] as string;
    if (quoted) {
      if (char !== '"') field += char;
      else if (text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else quoted = false;
      continue;
    }
    if (char === '"') {
      if (field !== '' || wasQuoted) throw new Error(`a quote inside an unquoted field at ${index}`);
      quoted = true;
      wasQuoted = true;
    } else if (char === ',') {
      record.push(field);
      field = '';
      wasQuoted = false;
    } else if (char === '\r' && text[index + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      wasQuoted = false;
      index += 1;
    } else if (char === '\r' || char === '\n') {
      throw new Error(`a bare line break outside quotes at ${index}`);
    } else {
      if (wasQuoted) throw new Error(`text after a closing quote at ${index}`);
      field += char;
    }
  }
  if (quoted || field !== '' || record.length > 0) throw new Error('the last record does not end with CRLF');
  return records;
}

/** What a CSV cell holds for a value: formulas defused with a leading quote. */
const cell = (value: string | null) => (value === null ? '' : /^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

function csvRow(event: AuditEvent): string[] {
  return [
    event.id, event.at, event.action, event.actor.type, cell(event.actor.id), cell(event.actor.name),
    cell(event.target?.type ?? null), cell(event.target?.id ?? null), cell(event.target?.name ?? null),
    cell(event.ip), cell(event.user_agent), JSON.stringify(event.metadata),
  ];
}

describe('GET /v1/orgs/:org/audit-events?format=csv', () => {
  let org: Awaited<ReturnType<typeof orgWithAdmin>>;
  let formula: Record<string, any>;
  const trickyAgent = 'Sheets "exporter", v1';
  const csv = (q: Record<string, string>) =>
    org.session.request('GET', `/v1/orgs/${org.org.id}/audit-events?${new URLSearchParams({ format: 'csv', ...q })}`);

  beforeAll(async () => {
    org = await orgWithAdmin(server, 'Spreadsheet Co');
    shown.push(org.admin.password);
    formula = (await org.session.request('POST', `/v1/orgs/${org.org.id}/clients`,
      { name: '=HYPERLINK("https://evil.example","open me")', scopes: ['payroll:Read'] }, { 'user-agent': trickyAgent })).body;
    shown.push(formula.client_secret);
    const plus = await machine(server, org.org.id, ['credentials:write'], '+SUM(1,2)');
    shown.push(plus.client.client_secret, plus.accessToken);
    await plus.request('PATCH', `/v1/orgs/${org.org.id}/clients/${formula.id}`, { description: 'line one\nline "two", with comma' }, { 'user-agent': '@import evil' });
  });

  it('answers text/csv with a header row and one line per event, the same events as JSON', async () => {
    const response = await csv({});
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="audit-events-${org.org.id}.csv"`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const [header, ...rows] = parseCsv(response.text);
    expect(header).toEqual(CSV_HEADER);
    const events = await auditOf(org.session, org.org.id);
    expect(events).toHaveLength(6);
    expect(rows).toEqual(events.map(csvRow));
    for (const [index, row] of rows.entries()) expect(JSON.parse(row[11] as string)).toEqual(events[index]?.metadata);
  });

  it('quotes fields per RFC 4180', async () => {
    const { text } = await csv({ action: 'api_client.created', actor: org.admin.userId });
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.split('\r\n')).toHaveLength(3); // header, one event, the empty rest after the last CRLF
    expect(text).toContain(',"Sheets ""exporter"", v1",');
  });

  it('defuses values a spreadsheet would run as a formula', async () => {
    const { text } = await csv({ target: formula.id });
    const [, updated, created] = parseCsv(text);
    expect(created?.[8]).toBe('\'=HYPERLINK("https://evil.example","open me")');
    expect(text).toContain(',"\'=HYPERLINK(""https://evil.example"",""open me"")",');
    expect(updated?.[5]).toBe('\'+SUM(1,2)'); // the actor's name
    expect(updated?.[8]).toBe('\'=HYPERLINK("https://evil.example","open me")');
    expect(updated?.[10]).toBe('\'@import evil'); // the user agent
    expect(JSON.parse(updated?.[11] as string)).toEqual({ changes: { description: { from: '', to: 'line one\nline "two", with comma' } } });
    // No cell of the export starts with a formula character.
    for (const row of parseCsv(text)) for (const value of row) expect(value).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('applies the filters and ignores limit', async () => {
    const [header, ...rows] = parseCsv((await csv({ action: 'api_client.created,api_client.updated', limit: '1' })).text);
    expect(header).toEqual(CSV_HEADER);
    expect(rows.map((row) => row[2])).toEqual(['api_client.updated', 'api_client.created', 'api_client.created']);
    const events = await auditOf(org.session, org.org.id, { action: 'api_client.created,api_client.updated' });
    expect(rows).toEqual(events.map(csvRow));
  });

  it('answers only the header when nothing matches', async () => {
    expect((await csv({ action: 'no.such_action' })).text).toBe(`${CSV_HEADER.join(',')}\r\n`);
  });

  it('exports every match past its internal page size, in order', async () => {
    const bulk = await server.services.orgs.create({ name: 'Bulk Co' }, OPERATOR_CONTEXT);
    const reader = await machine(server, bulk.id, ['audit:read'], 'Bulk reader');
    shown.push(reader.client.client_secret, reader.accessToken);
    // Audit events may be inserted (never changed): 1,500 events, many sharing one instant.
    const base = Date.parse('2026-03-01T00:00:00.000Z');
    await server.db.knex.batchInsert('audit_events', Array.from({ length: 1500 }, (_unused, index) => ({
      org_id: bulk.id, at: new Date(base + Math.floor(index / 7) * 1000), action: 'bulk.event',
      actor_type: 'operator', actor_name: 'operator', metadata: JSON.stringify({ index }),
    })), 500);
    const response = await reader.request('GET', `/v1/orgs/${bulk.id}/audit-events?format=csv&action=bulk.event`);
    const [, ...rows] = parseCsv(response.text);
    expect(rows).toHaveLength(1500);
    expect(new Set(rows.map((row) => row[0])).size).toBe(1500);
    const ordered = await server.db.knex('audit_events').where({ org_id: bulk.id, action: 'bulk.event' })
      .orderBy([{ column: 'at', order: 'desc' }, { column: 'id', order: 'desc' }]).select('id');
    expect(rows.map((row) => row[0])).toEqual(ordered.map((row: { id: string }) => row.id));
  });
});

describe('audit events cannot be changed or deleted through the API', () => {
  it.each([
    ['PATCH', ''], ['PUT', ''], ['DELETE', ''], ['POST', ''],
    ['PATCH', '/:id'], ['PUT', '/:id'], ['DELETE', '/:id'], ['GET', '/:id'],
  ])('%s /v1/orgs/:org/audit-events%s is 404 and the event stays as it was', async (method, suffix) => {
    const [event] = await auditOf(acme.session, acme.org.id);
    const row = await server.db.knex('audit_events').where({ id: event?.id }).first();
    const path = `/v1/orgs/${acme.org.id}/audit-events${suffix.replace(':id', event?.id ?? '')}`;
    for (const caller of [acme.session, robot] as ApiCaller[]) {
      const response = await caller.request(method, path, method === 'GET' || method === 'DELETE' ? undefined : { action: 'tampered', metadata: {} });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.body).toEqual({ error: 'not_found', error_description: 'no such endpoint' });
    }
    expect(await server.db.knex('audit_events').where({ id: event?.id }).first()).toEqual(row);
  });
});

describe('the audit log is the organization\'s own', () => {
  it('answers 404 to another organization\'s admin and machine clients, as JSON and as CSV', async () => {
    const other = await orgWithAdmin(server, 'Nosy Co');
    const nosyBot = await machine(server, other.org.id, ['audit:read'], 'Nosy bot');
    shown.push(other.admin.password, nosyBot.client.client_secret, nosyBot.accessToken);
    for (const caller of [other.session, nosyBot] as ApiCaller[]) {
      for (const suffix of ['', '?format=csv', `?actor=${acme.admin.userId}`]) {
        const response = await caller.request('GET', `/v1/orgs/${acme.org.id}/audit-events${suffix}`);
        expect(response.status).toBe(404);
        expect(response.body).toEqual({ error: 'not_found', error_description: 'organization not found' });
      }
    }
    // Its own log holds nothing of Acme's, whatever the filter.
    expect(await auditOf(other.session, other.org.id, { actor: acme.admin.userId })).toEqual([]);
    expect(await auditOf(other.session, other.org.id, { target: acme.org.id })).toEqual([]);
  });

  it('answers 404 for an organization that does not exist', async () => {
    for (const org of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const response = await acme.session.request('GET', `/v1/orgs/${org}/audit-events`);
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: 'not_found', error_description: 'organization not found' });
    }
  });
});

describe('no secret anywhere in the audit trail or the logs', () => {
  it('never holds a client secret, restricted token, password, access token, session id or hash', async () => {
    const knex = server.db.knex;
    const hashes = [
      ...(await knex('api_clients').select('secret_hash', 'previous_secret_hash')).flatMap((row: Record<string, string | null>) => Object.values(row)),
      ...(await knex('users').select('password_hash')).map((row: { password_hash: string }) => row.password_hash),
      ...(await knex('restricted_tokens').select('token_hash')).map((row: { token_hash: string }) => row.token_hash),
      ...(await knex('sessions').select('id_hash')).map((row: { id_hash: string }) => row.id_hash),
    ].filter((value): value is string => typeof value === 'string');
    const secrets = shown.filter((value) => value.length >= 16);
    expect(secrets.length).toBeGreaterThan(20);
    expect(hashes.length).toBeGreaterThan(20);

    const orgs = await knex('organizations').select('id');
    const places: Array<[string, string]> = [
      ['the audit_events table', JSON.stringify(await knex('audit_events').select('*'))],
      ['the server logs', server.logs.text],
    ];
    // Every organization's log as the API builds it (JSON page and CSV export), read through the service.
    for (const { id } of orgs as Array<{ id: string }>) {
      places.push([`the audit JSON of ${id}`, JSON.stringify(await server.services.audit.page(id, { limit: 200 }))]);
      let text = '';
      for await (const line of server.services.audit.csv(id, {})) text += line;
      places.push([`the audit CSV of ${id}`, text]);
    }
    // And over HTTP for the organization where most secrets were shown.
    places.push(['GET audit-events', (await acme.session.request('GET', `/v1/orgs/${acme.org.id}/audit-events?limit=200`)).text]);
    places.push(['GET audit-events?format=csv', (await acme.session.request('GET', `/v1/orgs/${acme.org.id}/audit-events?format=csv`)).text]);

    for (const [place, text] of places) {
      expect(text.length).toBeGreaterThan(0);
      const found = [...secrets, ...hashes, '$2b$'].filter((secret) => text.includes(secret));
      expect({ place, found }).toEqual({ place, found: [] });
    }
  });
});
