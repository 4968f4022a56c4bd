// Several server processes on one PostgreSQL: a change made through any process (here the CLI)
// takes effect at every process's token endpoint at once. PostgreSQL only: the embedded database
// belongs to one process by design.
import { basic, postToken } from '../helpers/oauth.js';
import { createPostgresDatabase, onPostgres } from '../helpers/database.js';
import { runCli, spawnServer, type ServerProcess } from '../helpers/processes.js';
import { freePort, testEnv } from '../helpers/server.js';

const describeOnPostgres = onPostgres ? describe : describe.skip;

describeOnPostgres('two server processes on one PostgreSQL (needs TEST_DATABASE_URL)', () => {
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let env: Record<string, string>;
  let servers: ServerProcess[] = [];

  beforeAll(async () => {
    database = await createPostgresDatabase();
    env = testEnv(0, { DATABASE_URL: database.url });
    // Both start at once: one migrates and creates the signing key, the other waits and reuses it.
    servers = await Promise.all(
      [await freePort(), await freePort()].map((port) =>
        spawnServer({ ...env, PORT: String(port), ISSUER: 'http://127.0.0.1:1' }),
      ),
    );
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await database?.drop();
  });

  it('share one signing key', async () => {
    const keys = await runCli(['keys', 'list', '--json'], env);
    expect(keys.json).toEqual([expect.objectContaining({ status: 'active' })]);
    for (const server of servers) {
      const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
      expect(jwks.keys.map((key) => key.kid)).toEqual([keys.json[0].kid]);
    }
  });

  it('refuse a client on every process as soon as the CLI disables or deletes it', async () => {
    const org = (await runCli(['orgs', 'create', '--name', 'Two Instances', '--json'], env)).json;
    const client = (await runCli(['clients', 'create', '--org', org.id, '--name', 'Sync', '--scopes', 'rosters:Read', '--json'], env)).json;
    const grant = 'grant_type=client_credentials';
    const auth = { authorization: basic(client.client_id, client.client_secret) };
    // Warm both processes: each now remembers the verified secret.
    for (const server of servers) expect((await postToken(server.url, grant, auth)).status).toBe(200);

    const disabled = await runCli(['clients', 'disable', '--org', org.id, '--id', client.id, '--json'], env);
    expect(disabled.json.status).toBe('disabled');
    for (const server of servers) {
      const refused = await postToken(server.url, grant, auth);
      expect(refused.status).toBe(401);
      expect(refused.body).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
    }

    await runCli(['clients', 'enable', '--org', org.id, '--id', client.id, '--json'], env);
    for (const server of servers) expect((await postToken(server.url, grant, auth)).status).toBe(200);

    await runCli(['clients', 'delete', '--org', org.id, '--id', client.id, '--json'], env);
    for (const server of servers) expect((await postToken(server.url, grant, auth)).status).toBe(401);
  });

  it('finishes an in-flight token request on SIGTERM, then exits 0', async () => {
    const org = (await runCli(['orgs', 'create', '--name', 'Shutdown', '--json'], env)).json;
    // Cost 12: the cold bcrypt check takes a few hundred milliseconds, long enough to signal mid-request.
    const client = (
      await runCli(['clients', 'create', '--org', org.id, '--name', 'Slow', '--scopes', 'rosters:Read', '--json'], { ...env, BCRYPT_COST: '12' })
    ).json;
    const server = servers.pop() as ServerProcess;
    const inFlight = postToken(server.url, 'grant_type=client_credentials', {
      authorization: basic(client.client_id, client.client_secret),
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const exitCode = server.stop('SIGTERM');
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await exitCode).toBe(0);
    expect(server.output()).toContain('"msg":"shutting down: finishing in-flight requests"');
    expect(server.output()).toContain('"msg":"stopped"');
    expect(server.output()).not.toContain(client.client_secret);
  });
});
