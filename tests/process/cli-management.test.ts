// The operator's management commands on the embedded database while the server runs: limits,
// users, client edits, rotation, re-enabling, restricted tokens. Each change is checked where
// others see it — the running server's token endpoint, its login, its management API — and in the
// audit log, with the operator as actor. Every command runs with --json.
import { execFile } from 'node:child_process';
import { projectRoot } from '../../config/index.js';
import { signIn, type SignedIn } from '../helpers/api.js';
import { basic, postToken } from '../helpers/oauth.js';
import { runCli, spawnServer, type CliResult, type ServerProcess } from '../helpers/processes.js';
import { freePort, testEnv, type TestServer } from '../helpers/server.js';

const OPERATOR = { type: 'operator', id: null, name: 'operator' };
const INVALID_CLIENT = { error: 'invalid_client', error_description: 'client authentication failed' };
const MANY_CLI_CALLS_MS = 180_000;

let env: Record<string, string>;
let server: ServerProcess;
/** Everything secret the CLI printed; none of it may reach the server's output. */
const secrets: string[] = [];

beforeAll(async () => {
  // The product's default limits, so that "--clients default" means something.
  env = testEnv(await freePort(), { DATABASE_URL: '', DEFAULT_MAX_API_CLIENTS: '3', DEFAULT_MAX_RESTRICTED_TOKENS: '3' });
  server = await spawnServer(env);
});
afterAll(async () => {
  const code = await server?.stop();
  expect(code).toBe(0);
  // Nothing these commands and requests do is a server fault: any error line is a bug (and shows here).
  expect(server.output().split('\n').filter((line) => line.includes('"level":50'))).toEqual([]);
  expect(secrets.length).toBeGreaterThan(0);
  for (const secret of secrets) expect(server.output()).not.toContain(secret);
});

/** Runs a command with --json. */
const cli = (args: string[]): Promise<CliResult> => runCli([...args, '--json'], env);

/** Runs a command that must succeed; returns its JSON document. */
async function ok(args: string[]) {
  const result = await cli(args);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  return result.json;
}

/** A command the CLI itself refuses before doing anything: exit 1, the reason on stderr and as JSON on stdout. */
async function expectUsageError(args: string[], message: string) {
  const result = await cli(args);
  expect(result.code).toBe(1);
  expect(result.json).toEqual({ error: 'invalid_request', error_description: expect.stringContaining(message) });
  expect(result.stderr).toContain(message);
}

/** A command the service refuses: exit 1 and exactly the API's error body on stdout. */
async function expectRefused(args: string[], body: { error: string; error_description: string }) {
  const result = await cli(args);
  expect(result.code).toBe(1);
  expect(result.json).toEqual(body);
}

/** signIn only reads the server's URL. */
const signInAtServer = (email: string, password: string) => signIn({ url: server.url } as TestServer, email, password);

/** An organization and its admin, both made with the CLI; the admin signed in on the server. */
async function orgWithAdmin(name: string) {
  const org = await ok(['orgs', 'create', '--name', name]);
  const email = `admin-${org.id}@example.com`;
  const admin = await ok(['users', 'create', '--org', org.id, '--email', email, '--role', 'admin']);
  secrets.push(admin.password);
  return { org, session: await signInAtServer(email, admin.password) };
}

/** The organization's audit trail read through the API, oldest first, sign-ins left out. */
async function auditTrail(session: SignedIn, orgId: string) {
  const page = await session.request('GET', `/v1/orgs/${orgId}/audit-events?limit=200`);
  expect(page.status).toBe(200);
  for (const secret of secrets) expect(page.text).not.toContain(secret);
  return (page.body.events as Array<{ action: string; actor: unknown; metadata: unknown }>)
    .filter((event) => event.action !== 'user.login')
    .reverse();
}

const actionsAndActors = (events: Array<{ action: string; actor: unknown }>) => events.map((event) => [event.action, event.actor]);

const grant = 'grant_type=client_credentials';
const tokenStatus = async (clientId: string, secret: string) =>
  (await postToken(server.url, grant, { authorization: basic(clientId, secret) })).status;

describe('latchkey orgs set-limit', () => {
  it('changes an organization\'s limits, which then hold for the CLI\'s own creations', async () => {
    const { org, session } = await orgWithAdmin('Limits Org');
    expect(org.limits).toEqual({ max_api_clients: 3, max_restricted_tokens: 3 });
    const create = (name: string) => ['clients', 'create', '--org', org.id, '--name', name, '--scopes', 'rosters:Read'];
    const fullSentence = (active: number, limit: number) => ({
      error: 'conflict',
      error_description: `this organization is at its limit of active API clients (${active} of ${limit}): disable or delete an API client to free a slot`,
    });

    expect(await ok(['orgs', 'set-limit', '--org', org.id, '--clients', '1'])).toEqual({
      ...org,
      limits: { max_api_clients: 1, max_restricted_tokens: 3 },
      updated_at: expect.any(String),
    });
    expect((await session.request('GET', `/v1/orgs/${org.id}`)).body.limits).toEqual({ max_api_clients: 1, max_restricted_tokens: 3 });
    const first = await ok(create('First'));
    secrets.push(first.client_secret);
    await expectRefused(create('Second'), fullSentence(1, 1));

    // Disabling frees the slot; re-enabling then would exceed the limit.
    await ok(['clients', 'disable', '--org', org.id, '--id', first.id]);
    const second = await ok(create('Second'));
    secrets.push(second.client_secret);
    await expectRefused(['clients', 'enable', '--org', org.id, '--id', first.id], fullSentence(1, 1));

    expect((await ok(['orgs', 'set-limit', '--org', org.id, '--clients', 'default', '--tokens', '1'])).limits).toEqual({
      max_api_clients: 3,
      max_restricted_tokens: 1,
    });
    const token = ['tokens', 'create', '--org', org.id, '--ips', '203.0.113.7', '--scopes', 'employees:Read'];
    secrets.push((await ok([...token, '--name', 'Kiosk'])).token);
    await expectRefused([...token, '--name', 'Lobby'], {
      error: 'conflict',
      error_description: 'this organization is at its limit of restricted tokens (1 of 1): delete a restricted token to free a slot',
    });

    expect((await ok(['orgs', 'set-limit', '--org', org.id, '--clients', '0'])).limits).toEqual({ max_api_clients: 0, max_restricted_tokens: 1 });
    // Unlimited: past the server default of 3.
    for (const name of ['Third', 'Fourth', 'Fifth']) secrets.push((await ok(create(name))).client_secret);
    expect((await ok(['clients', 'list', '--org', org.id])).filter((client: { status: string }) => client.status === 'active')).toHaveLength(4);


    const trail = await auditTrail(session, org.id);
    expect(actionsAndActors(trail)).toEqual([
      ['org.created', OPERATOR],
      ['member.added', OPERATOR],
      ['org.limits_changed', OPERATOR],
      ['api_client.created', OPERATOR],
      ['api_client.disabled', OPERATOR],
      ['api_client.created', OPERATOR],
      ['org.limits_changed', OPERATOR],
      ['restricted_token.created', OPERATOR],
      ['org.limits_changed', OPERATOR],
      ['api_client.created', OPERATOR],
      ['api_client.created', OPERATOR],
      ['api_client.created', OPERATOR],
    ]);
    expect(trail.filter((event) => event.action === 'org.limits_changed').map((event) => event.metadata)).toEqual([
      { changes: { max_api_clients: { from: null, to: 1 } } },
      { changes: { max_api_clients: { from: 1, to: null }, max_restricted_tokens: { from: null, to: 1 } } },
      { changes: { max_api_clients: { from: null, to: 0 } } },
    ]);
  }, MANY_CLI_CALLS_MS);

  it('refuses values that are not limits, changing nothing', async () => {
    const org = await ok(['orgs', 'create', '--name', 'Bad Limits Org']);
    for (const value of ['abc', '-1', '1.5', '']) {
      await expectUsageError(['orgs', 'set-limit', '--org', org.id, '--clients', value], '--clients must be a whole number (0 = unlimited) or "default"');
    }
    await expectUsageError(['orgs', 'set-limit', '--org', org.id, '--tokens', 'lots'], '--tokens must be a whole number (0 = unlimited) or "default"');
    await expectRefused(['orgs', 'set-limit', '--org', org.id, '--clients', '100001'], {
      error: 'invalid_request',
      error_description: 'max_api_clients: must be at most 100000',
    });
    await expectRefused(['orgs', 'set-limit', '--org', org.id], { error: 'invalid_request', error_description: 'give --clients, --tokens or both' });
    await expectRefused(['orgs', 'set-limit', '--org', '00000000-0000-4000-8000-000000000000', '--clients', '1'], {
      error: 'not_found',
      error_description: 'organization not found',
    });
    expect((await ok(['orgs', 'list'])).find((listed: { id: string }) => listed.id === org.id)).toEqual(org);
  }, MANY_CLI_CALLS_MS);
});

describe('latchkey users create', () => {
  it('prints a new user\'s password once, which signs in on the running server; a known user only gains a membership', async () => {
    const one = await ok(['orgs', 'create', '--name', 'People One']);
    const two = await ok(['orgs', 'create', '--name', 'People Two']);
    const email = `grace.hopper-${one.id.slice(0, 8)}@example.com`;
    const typed = email.replace('grace.hopper', 'Grace.Hopper').replace('example.com', 'Example.COM');

    const created = await ok(['users', 'create', '--org', one.id, '--email', typed, '--role', 'admin']);
    expect(created).toEqual({
      id: expect.any(String),
      org_id: one.id,
      email,
      role: 'admin',
      can_manage_credentials: false,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      password: expect.any(String),
    });
    secrets.push(created.password);
    const session = await signInAtServer(email, created.password);
    expect(session.login.body.memberships).toEqual([
      { org_id: one.id, org_name: 'People One', role: 'admin', can_manage_credentials: false },
    ]);

    const added = await ok(['users', 'create', '--org', two.id, '--email', email, '--role', 'member', '--can-manage-credentials']);
    expect(added).toMatchObject({ id: created.id, org_id: two.id, email, role: 'member', can_manage_credentials: true, password: null });
    const again = await signInAtServer(email, created.password);
    expect(again.login.body.memberships).toHaveLength(2);
    expect(again.login.body.memberships).toEqual(
      expect.arrayContaining([{ org_id: two.id, org_name: 'People Two', role: 'member', can_manage_credentials: true }]),
    );

    await expectRefused(['users', 'create', '--org', one.id, '--email', typed, '--role', 'developer'], {
      error: 'conflict',
      error_description: `${email} is already a member of this organization`,
    });
    await expectUsageError(['users', 'create', '--org', one.id, '--email', 'x@example.com', '--role', 'owner'], 'Allowed choices are admin, developer, member');

    const trail = await auditTrail(again, one.id);
    expect(actionsAndActors(trail)).toEqual([
      ['org.created', OPERATOR],
      ['member.added', OPERATOR],
    ]);
    expect(trail[1]?.metadata).toEqual({ role: 'admin', can_manage_credentials: false, new_user: true });
  }, MANY_CLI_CALLS_MS);
});

describe('latchkey clients update | rotate-secret | enable', () => {
  it('edits a client, rotates its secret with and without grace, and re-enables it after an admin disabled it', async () => {
    const { org, session } = await orgWithAdmin('Clients Org');
    const client = await ok([
      'clients', 'create', '--org', org.id, '--name', 'Payroll export', '--scopes', 'payroll:Read',
      '--description', 'nightly', '--origins', 'https://app.example.com',
    ]);
    secrets.push(client.client_secret);

    const updated = await ok([
      'clients', 'update', '--org', org.id, '--id', client.client_id, '--name', 'Payroll sync', '--description', 'hourly', '--origins', '',
    ]);
    expect(updated).toMatchObject({ id: client.id, name: 'Payroll sync', description: 'hourly', allowed_origins: [], scopes: ['payroll:Read'] });
    expect((await session.request('GET', `/v1/orgs/${org.id}/clients/${client.id}`)).body).toEqual(updated);

    // Rotation without grace: the old secret stops at once, though the server has just verified it.
    expect(await tokenStatus(client.client_id, client.client_secret)).toBe(200);
    const rotated = await ok(['clients', 'rotate-secret', '--org', org.id, '--id', client.id]);
    expect(rotated).toMatchObject({ id: client.id, client_secret: expect.stringMatching(/^lks_/), previous_secret_expires_at: null });
    expect(rotated.secret_last4).toBe(rotated.client_secret.slice(-4));
    secrets.push(rotated.client_secret);
    expect(await postToken(server.url, grant, { authorization: basic(client.client_id, client.client_secret) })).toMatchObject({
      status: 401,
      body: INVALID_CLIENT,
    });
    expect(await tokenStatus(client.client_id, rotated.client_secret)).toBe(200);
    expect((await cli(['clients', 'list', '--org', org.id])).stdout).not.toContain(rotated.client_secret);

    // With grace: both work until the grace period ends.
    const graceful = await ok(['clients', 'rotate-secret', '--org', org.id, '--id', client.id, '--grace-seconds', '600']);
    secrets.push(graceful.client_secret);
    const graceEnds = Date.parse(graceful.previous_secret_expires_at);
    expect(graceEnds).toBeGreaterThan(Date.now() + 500_000);
    expect(graceEnds).toBeLessThanOrEqual(Date.now() + 600_000);
    expect(await tokenStatus(client.client_id, rotated.client_secret)).toBe(200);
    expect(await tokenStatus(client.client_id, graceful.client_secret)).toBe(200);
    await expectRefused(['clients', 'rotate-secret', '--org', org.id, '--id', client.id, '--grace-seconds', '604801'], {
      error: 'invalid_request',
      error_description: 'grace_period_seconds: must be at most 604800 (7 days)',
    });
    await expectUsageError(['clients', 'rotate-secret', '--org', org.id, '--id', client.id, '--grace-seconds', 'soon'], '--grace-seconds must be a whole number of seconds');

    // Disable is final for the organization's users; the operator can undo it.
    expect((await session.request('POST', `/v1/orgs/${org.id}/clients/${client.id}/disable`)).body.status).toBe('disabled');
    expect(await tokenStatus(client.client_id, graceful.client_secret)).toBe(401);
    expect(await ok(['clients', 'enable', '--org', org.id, '--id', client.id])).toMatchObject({ id: client.id, status: 'active' });
    expect(await tokenStatus(client.client_id, graceful.client_secret)).toBe(200);

    const trail = await auditTrail(session, org.id);
    const admin = { type: 'user', id: session.login.body.user.id, name: session.login.body.user.email };
    expect(actionsAndActors(trail)).toEqual([
      ['org.created', OPERATOR],
      ['member.added', OPERATOR],
      ['api_client.created', OPERATOR],
      ['api_client.updated', OPERATOR],
      ['api_client.secret_rotated', OPERATOR],
      ['api_client.secret_rotated', OPERATOR],
      ['api_client.disabled', admin],
      ['api_client.enabled', OPERATOR],
    ]);
    expect(trail[3]?.metadata).toEqual({
      changes: {
        name: { from: 'Payroll export', to: 'Payroll sync' },
        description: { from: 'nightly', to: 'hourly' },
        allowed_origins: { from: ['https://app.example.com'], to: [] },
      },
    });
    expect(trail[5]?.metadata).toMatchObject({ grace_period_seconds: 600, previous_secret_last4: rotated.secret_last4 });
  }, MANY_CLI_CALLS_MS);
});

describe('latchkey tokens create | list | get | update | delete', () => {
  it('prints the token once, stores canonical IPs, and refuses scopes a restricted token cannot hold', async () => {
    const { org, session } = await orgWithAdmin('Tokens Org');
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const created = await ok([
      'tokens', 'create', '--org', org.id, '--name', 'Kiosk', '--ips', '10.1.2.3/8, ::ffff:192.0.2.1,2001:DB8:0:0::1',
      '--scopes', 'employees:Read rosters:Read', '--expires-at', expiresAt,
    ]);
    expect(created).toEqual({
      id: expect.any(String),
      name: 'Kiosk',
      allowed_ips: ['10.0.0.0/8', '192.0.2.1', '2001:db8::1'],
      scopes: ['employees:Read', 'rosters:Read'],
      token: expect.stringMatching(/^lkr_[A-Za-z0-9_-]{43}$/),
      token_last4: created.token.slice(-4),
      expires_at: expiresAt,
      created_at: expect.any(String),
      created_by: OPERATOR,
      last_used_at: null,
    });
    secrets.push(created.token);
    const { token, ...shown } = created;

    const listed = await cli(['tokens', 'list', '--org', org.id]);
    expect(listed.json).toEqual([shown]);
    expect(listed.stdout).not.toContain(token);
    const got = await cli(['tokens', 'get', '--org', org.id, '--id', created.id]);
    expect(got.json).toEqual(shown);
    expect(got.stdout).not.toContain(token);
    expect((await session.request('GET', `/v1/orgs/${org.id}/restricted-tokens`)).body).toEqual([shown]);

    const updated = await ok(['tokens', 'update', '--org', org.id, '--id', created.id, '--name', 'Lobby kiosk', '--ips', '::ffff:198.51.100.9/120']);
    expect(updated).toEqual({ ...shown, name: 'Lobby kiosk', allowed_ips: ['198.51.100.0/24'] });

    await expectRefused(['tokens', 'create', '--org', org.id, '--name', 'Payroll', '--ips', '203.0.113.7', '--scopes', 'employees:Read payroll:Write'], {
      error: 'invalid_request',
      error_description: 'scopes: payroll:Write cannot be granted to a restricted token; use an API client for it',
    });

    expect(await ok(['tokens', 'delete', '--org', org.id, '--id', created.id])).toEqual({ id: created.id, deleted: true });
    expect(await ok(['tokens', 'list', '--org', org.id])).toEqual([]);
    await expectRefused(['tokens', 'get', '--org', org.id, '--id', created.id], { error: 'not_found', error_description: 'restricted token not found' });
    expect((await session.request('GET', `/v1/orgs/${org.id}/restricted-tokens`)).body).toEqual([]);

    const trail = await auditTrail(session, org.id);
    expect(actionsAndActors(trail)).toEqual([
      ['org.created', OPERATOR],
      ['member.added', OPERATOR],
      ['restricted_token.created', OPERATOR],
      ['restricted_token.updated', OPERATOR],
      ['restricted_token.deleted', OPERATOR],
    ]);
    expect(trail[3]?.metadata).toEqual({
      changes: {
        name: { from: 'Kiosk', to: 'Lobby kiosk' },
        allowed_ips: { from: ['10.0.0.0/8', '192.0.2.1', '2001:db8::1'], to: ['198.51.100.0/24'] },
      },
    });
  }, MANY_CLI_CALLS_MS);
});

describe('npm run cli', () => {
  it('prints exactly one JSON document on stdout', async () => {
    const org = await ok(['orgs', 'create', '--name', 'Through npm']);
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile(
        'npm',
        ['run', 'cli', '--', 'orgs', 'list', '--json'],
        { cwd: projectRoot, env: { ...process.env, ...env }, timeout: 60_000 },
        (error, out, err) => (error ? reject(error) : resolve({ stdout: out, stderr: err })),
      );
    });
    expect(stderr).toBe('');
    const orgs = JSON.parse(stdout) as unknown[];
    expect(orgs).toContainEqual(org);
  });
});
