import { migrationNames } from '../../migrations/index.js';
// The operator's first run on the embedded database: server and CLI as separate processes sharing
// DATA_DIR, a token from a real OAuth client, verified with jose.
import { decodeProtectedHeader } from 'jose';
import { discover, postToken, basic, requestToken, verifyAccessToken } from '../helpers/oauth.js';
import { runCli, spawnServer, type ServerProcess } from '../helpers/processes.js';
import { freePort, testEnv } from '../helpers/server.js';

let env: Record<string, string>;
let server: ServerProcess;
const secrets: string[] = [];

beforeAll(async () => {
  env = testEnv(await freePort(), { DATABASE_URL: '', KEY_REFRESH_INTERVAL_SECONDS: '1' });
  // Before any server: the CLI opens the embedded database itself.
  const migrated = await runCli(['migrate', '--json'], env);
  expect(migrated).toMatchObject({ code: 0, json: { applied: migrationNames } });
  server = await spawnServer(env);
});
afterAll(async () => {
  const code = await server?.stop();
  expect(code).toBe(0);
  // Canary: nothing the server printed contains a secret.
  for (const secret of secrets) expect(server.output()).not.toContain(secret);
  expect(server.output()).not.toMatch(/Basic [A-Za-z0-9+/=]{8,}/);
});

describe('latchkey CLI on the embedded database while the server runs', () => {
  it('tells a first-time operator what to run, and where the data lives', () => {
    const lines = server.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
    expect(lines).toContainEqual(expect.objectContaining({
      msg: 'Latchkey is listening',
      issuer: env.ISSUER,
      database: `embedded PostgreSQL in ${env.DATA_DIR}/pgdata`,
    }));
    expect(lines).toContainEqual(expect.objectContaining({
      msg: 'No organization exists yet. Create one and a first API client with the commands in "next"',
      next: [
        'npm run cli -- orgs create --name "Acme" --json',
        'npm run cli -- clients create --org <org id> --name "Payroll export" --scopes "payroll:Read" --json',
        `curl -u <client_id>:<client_secret> -d grant_type=client_credentials ${env.ISSUER}/oauth/token`,
      ],
    }));
  });

  it('creates an org and a client whose token verifies against the JWKS, and manages the client', async () => {
    const org = await runCli(['orgs', 'create', '--name', 'Acme', '--json'], env);
    expect(org.code).toBe(0);
    expect(org.json).toEqual({
      id: expect.any(String),
      name: 'Acme',
      limits: { max_api_clients: 0, max_restricted_tokens: 0 },
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });

    const created = await runCli(
      ['clients', 'create', '--org', org.json.id, '--name', 'Payroll export', '--scopes', 'payroll:Read employees:Read',
        '--origins', 'https://app.example.com,http://localhost:5173', '--description', 'nightly export', '--json'],
      env,
    );
    expect(created.code).toBe(0);
    expect(created.stderr).toBe('');
    expect(created.json).toMatchObject({
      name: 'Payroll export',
      description: 'nightly export',
      scopes: ['payroll:Read', 'employees:Read'],
      allowed_origins: ['https://app.example.com', 'http://localhost:5173'],
      status: 'active',
      created_by: { type: 'operator', id: null, name: 'operator' },
    });
    const { client_id: clientId, client_secret: clientSecret, id } = created.json;
    secrets.push(clientSecret);

    const as = await discover(server.url);
    const token = await requestToken(as, { client_id: clientId, client_secret: clientSecret });
    const { payload } = await verifyAccessToken(as, token.access_token);
    expect(payload).toMatchObject({ client_id: clientId, org_id: org.json.id, scope: 'employees:Read payroll:Read' });

    const listed = await runCli(['clients', 'list', '--org', org.json.id, '--json'], env);
    expect(listed.json).toHaveLength(1);
    expect(listed.json[0]).toMatchObject({ id, client_id: clientId, secret_last4: clientSecret.slice(-4) });
    expect(listed.stdout).not.toContain(clientSecret);

    const grant = 'grant_type=client_credentials';
    const auth = { authorization: basic(clientId, clientSecret) };
    expect((await runCli(['clients', 'disable', '--org', org.json.id, '--id', id, '--json'], env)).json.status).toBe('disabled');
    expect((await postToken(server.url, grant, auth)).status).toBe(401);
    expect((await runCli(['clients', 'enable', '--org', org.json.id, '--id', clientId, '--json'], env)).json.status).toBe('active');
    expect((await postToken(server.url, grant, auth)).status).toBe(200);
    expect((await runCli(['clients', 'delete', '--org', org.json.id, '--id', id, '--json'], env)).json).toEqual({
      id,
      client_id: clientId,
      deleted: true,
    });
    expect((await postToken(server.url, grant, auth)).body).toEqual({
      error: 'invalid_client',
      error_description: 'client authentication failed',
    });
    expect((await runCli(['clients', 'list', '--org', org.json.id, '--json'], env)).json).toEqual([]);
  });

  it('rotates the signing key and the running server picks it up', async () => {
    const org = (await runCli(['orgs', 'create', '--name', 'Keys Org', '--json'], env)).json;
    const created = (await runCli(['clients', 'create', '--org', org.id, '--name', 'k', '--scopes', 'payroll:Read', '--json'], env)).json;
    secrets.push(created.client_secret);
    const before = await runCli(['keys', 'list', '--json'], env);
    expect(before.json).toEqual([expect.objectContaining({ status: 'active', alg: 'ES256' })]);

    const rotated = await runCli(['keys', 'rotate', '--json'], env);
    expect(rotated.json).toEqual({ kid: expect.any(String), alg: 'ES256', created_at: expect.any(String) });
    const after = await runCli(['keys', 'list', '--json'], env);
    expect(after.json.map((key: { kid: string; status: string }) => [key.kid, key.status])).toEqual([
      [rotated.json.kid, 'active'],
      [before.json[0].kid, 'retiring'],
    ]);

    const as = await discover(server.url);
    let kid: string | undefined;
    for (let attempt = 0; attempt < 40 && kid !== rotated.json.kid; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      kid = decodeProtectedHeader((await requestToken(as, created)).access_token).kid;
    }
    expect(kid).toBe(rotated.json.kid);
  });

  it('creates resource-server credentials that introspect tokens until deleted', async () => {
    const org = (await runCli(['orgs', 'create', '--name', 'RS Org', '--json'], env)).json;
    const client = (await runCli(['clients', 'create', '--org', org.id, '--name', 'c', '--scopes', 'payroll:Read', '--json'], env)).json;
    secrets.push(client.client_secret);
    const created = await runCli(['resource-servers', 'create', '--name', 'Payroll API', '--json'], env);
    expect(created.code).toBe(0);
    expect(created.json).toEqual({
      id: expect.any(String),
      name: 'Payroll API',
      client_id: expect.stringMatching(/^lkrs_/),
      secret_last4: created.json.client_secret.slice(-4),
      client_secret: expect.stringMatching(/^lks_/),
      created_at: expect.any(String),
    });
    secrets.push(created.json.client_secret);
    const listed = (await runCli(['resource-servers', 'list', '--json'], env)).json;
    expect(listed).toContainEqual({ id: created.json.id, name: 'Payroll API', client_id: created.json.client_id, secret_last4: created.json.secret_last4, created_at: created.json.created_at });

    const token = (await requestToken(await discover(server.url), client)).access_token;
    const introspect = () =>
      fetch(`${server.url}/oauth/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(created.json.client_id, created.json.client_secret) },
        body: new URLSearchParams({ token }).toString(),
      });
    const active = await introspect();
    expect(active.status).toBe(200);
    expect(await active.json()).toMatchObject({ active: true, client_id: client.client_id, org_id: org.id });

    expect((await runCli(['resource-servers', 'delete', '--id', created.json.client_id, '--json'], env)).json).toEqual({
      id: created.json.id,
      client_id: created.json.client_id,
      deleted: true,
    });
    expect((await introspect()).status).toBe(401);
  });

  it('prints one JSON error document and exits 1 on bad input', async () => {
    const org = (await runCli(['orgs', 'create', '--name', 'Errors Org', '--json'], env)).json;
    const bad = await runCli(['clients', 'create', '--org', org.id, '--name', 'x', '--scopes', 'nope:Read', '--json'], env);
    expect(bad.code).toBe(1);
    expect(bad.json).toEqual({ error: 'invalid_request', error_description: 'scopes: unknown scope nope:Read; see the scope catalog' });
    const missing = await runCli(['clients', 'list', '--org', '00000000-0000-4000-8000-000000000000', '--json'], env);
    expect(missing.code).toBe(1);
    expect(missing.json).toEqual({ error: 'not_found', error_description: 'organization not found' });
    const usage = await runCli(['clients', 'create', '--json'], env);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toContain("required option '--org <org_id>' not specified");
    expect(usage.json).toEqual({ error: 'invalid_request', error_description: "required option '--org <org_id>' not specified" });
  });

  it('refuses a second server on the same DATA_DIR', async () => {
    const second = spawnServer({ ...env, PORT: String(await freePort()) }, 15_000);
    await expect(second).rejects.toThrow(/is in use by another process \(pid \d+, see .*owner.pid\): stop the other Latchkey server or choose another DATA_DIR/);
  });
});
