// WORKERS=2: two server processes forked by one, sharing the port, each with its own caches kept
// right by the database's notifications. PostgreSQL only (the embedded database is one process's).
import { basic, postToken } from '../helpers/oauth.js';
import { createPostgresDatabase, onPostgres } from '../helpers/database.js';
import { runCli, spawnServer, type ServerProcess } from '../helpers/processes.js';
import { freePort, testEnv } from '../helpers/server.js';

const describeOnPostgres = onPostgres ? describe : describe.skip;
const grant = 'grant_type=client_credentials';

describeOnPostgres('WORKERS=2 (needs TEST_DATABASE_URL)', () => {
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let env: Record<string, string>;
  let server: ServerProcess;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    const port = await freePort();
    env = testEnv(port, { DATABASE_URL: database.url, WORKERS: '2' });
    server = await spawnServer(env, 90_000);
    // Ready once one worker listens; wait for the second too.
    const deadline = Date.now() + 60_000;
    while ((server.output().match(/"msg":"Latchkey is listening"/g) ?? []).length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  it('serves from two worker processes, and a client disabled by the CLI is refused by both at once', async () => {
    const listening = server.output().split('\n').filter((line) => line.includes('"msg":"Latchkey is listening"'));
    expect(listening).toHaveLength(2);
    expect(new Set(listening.map((line) => (JSON.parse(line) as { pid: number }).pid)).size).toBe(2);

    const org = (await runCli(['orgs', 'create', '--name', 'Workers', '--json'], env)).json;
    const client = (await runCli(['clients', 'create', '--org', org.id, '--name', 'Busy', '--scopes', 'payroll:Read', '--json'], env)).json;
    const auth = { authorization: basic(client.client_id, client.client_secret) };
    // Enough requests, on new connections, for both workers to have cached the client.
    for (let i = 0; i < 20; i += 1) {
      expect((await postToken(server.url, grant, { ...auth, connection: 'close' })).status).toBe(200);
    }
    expect((await runCli(['clients', 'disable', '--org', org.id, '--id', client.id, '--json'], env)).json.status).toBe('disabled');
    await new Promise((resolve) => setTimeout(resolve, 200)); // the notification's way to both workers
    for (let i = 0; i < 20; i += 1) {
      expect((await postToken(server.url, grant, { ...auth, connection: 'close' })).status).toBe(401);
    }
  });

  it('passes SIGTERM on to the workers, which drain and stop, then exits 0', async () => {
    expect(await server.stop('SIGTERM')).toBe(0);
    const stopped = server.output().split('\n').filter((line) => line.includes('"msg":"stopped"'));
    expect(stopped).toHaveLength(3); // two workers and the process that forked them
  });
});

it('refuses WORKERS above 1 on the embedded database, naming the variable', async () => {
  const result = await runCli(['keys', 'list', '--json'], { ...testEnv(0), WORKERS: '2' });
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('Invalid configuration: WORKERS above 1 needs DATABASE_URL: the embedded database belongs to one process');
});
