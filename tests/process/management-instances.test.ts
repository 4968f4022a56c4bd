// The management API on two server processes sharing one PostgreSQL: an organization's limits hold
// when requests race across both, and a change made through one process (or straight in the
// database, for what the API cannot do) is refused at once at the other's token endpoint, even
// though that process has just verified the secret and remembers it. PostgreSQL only: the embedded
// database belongs to one process by design.
import { openPostgres, type Database } from '../../server/db/database.js';
import { signIn, type ApiResponse, type SignedIn } from '../helpers/api.js';
import { createPostgresDatabase, onPostgres } from '../helpers/database.js';
import { basic, postToken } from '../helpers/oauth.js';
import { runCli, spawnServer, type ServerProcess } from '../helpers/processes.js';
import { freePort, testEnv, type TestServer } from '../helpers/server.js';

const describeOnPostgres = onPostgres ? describe : describe.skip;

const INVALID_CLIENT = { error: 'invalid_client', error_description: 'client authentication failed' };
const RACERS = 20;
const LIMIT = 3;

describeOnPostgres('management API on two server processes sharing one PostgreSQL (needs TEST_DATABASE_URL)', () => {
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let db: Database;
  let env: Record<string, string>;
  let servers: ServerProcess[] = [];
  let a: ServerProcess;
  let b: ServerProcess;
  /** Everything secret these tests saw; none of it may reach either server's output. */
  const secrets: string[] = [];

  beforeAll(async () => {
    database = await createPostgresDatabase();
    db = openPostgres(database.url, 2);
    env = testEnv(0, { DATABASE_URL: database.url });
    servers = await Promise.all(
      [await freePort(), await freePort()].map((port) =>
        spawnServer({ ...env, PORT: String(port), ISSUER: 'http://127.0.0.1:1' }),
      ),
    );
    [a, b] = servers as [ServerProcess, ServerProcess];
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await db?.close();
    await database?.drop();
    for (const server of servers) {
      for (const secret of secrets) expect(server.output()).not.toContain(secret);
    }
  });

  /** signIn only reads the server's URL. */
  const at = (server: ServerProcess) => ({ url: server.url }) as TestServer;

  /** An organization made with the CLI, and its admin signed in on both processes. */
  async function orgWithAdmin(name: string, limits: string[] = []) {
    const org = (await runCli(['orgs', 'create', '--name', name, '--json'], env)).json as { id: string; name: string };
    if (limits.length > 0) {
      const set = await runCli(['orgs', 'set-limit', '--org', org.id, ...limits, '--json'], env);
      expect(set.code).toBe(0);
    }
    const email = `admin-${org.id}@example.com`;
    const user = await runCli(['users', 'create', '--org', org.id, '--email', email, '--role', 'admin', '--json'], env);
    expect(user.json).toMatchObject({ email, role: 'admin', password: expect.any(String) });
    secrets.push(user.json.password);
    const [onA, onB] = await Promise.all([signIn(at(a), email, user.json.password), signIn(at(b), email, user.json.password)]);
    return { org, onA, onB };
  }

  describe('limits under concurrent requests to both processes', () => {
    /** Sends RACERS requests at once, alternating between the two processes. */
    async function race(sessions: [SignedIn, SignedIn], send: (session: SignedIn, index: number) => Promise<ApiResponse>) {
      const responses = await Promise.all(Array.from({ length: RACERS }, (_, index) => send(sessions[index % 2] as SignedIn, index)));
      return {
        created: responses.filter((response) => response.status === 201),
        refused: responses.filter((response) => response.status !== 201),
      };
    }

    it(`lets exactly ${LIMIT} of ${RACERS} racing API client creations through and answers 409 to the rest`, async () => {
      const { org, onA, onB } = await orgWithAdmin('Racing Clients', ['--clients', String(LIMIT)]);
      const { created, refused } = await race([onA, onB], (session, index) =>
        session.request('POST', `/v1/orgs/${org.id}/clients`, { name: `Racer ${index}`, scopes: ['rosters:Read'] }),
      );
      secrets.push(...created.map((response) => response.body.client_secret as string));

      expect(created).toHaveLength(LIMIT);
      expect(refused).toHaveLength(RACERS - LIMIT);
      for (const response of refused) {
        expect(response.status).toBe(409);
        expect(response.body).toEqual({
          error: 'conflict',
          error_description: `this organization is at its limit of active API clients (${LIMIT} of ${LIMIT}): disable or delete an API client to free a slot`,
        });
      }
      const active = await db.knex('api_clients').where({ org_id: org.id, status: 'active' }).whereNull('deleted_at').count({ count: '*' });
      expect(Number(active[0]?.count)).toBe(LIMIT);
      const listed = await onB.request('GET', `/v1/orgs/${org.id}/clients`);
      expect(listed.body.map((client: { id: string }) => client.id).sort()).toEqual(created.map((response) => response.body.id).sort());
    });

    it(`lets exactly ${LIMIT} of ${RACERS} racing restricted token creations through and answers 409 to the rest`, async () => {
      const { org, onA, onB } = await orgWithAdmin('Racing Tokens', ['--tokens', String(LIMIT)]);
      const { created, refused } = await race([onA, onB], (session, index) =>
        session.request('POST', `/v1/orgs/${org.id}/restricted-tokens`, {
          name: `Widget ${index}`,
          allowed_ips: ['203.0.113.7'],
          scopes: ['employees:Read'],
        }),
      );
      secrets.push(...created.map((response) => response.body.token as string));

      expect(created).toHaveLength(LIMIT);
      expect(refused).toHaveLength(RACERS - LIMIT);
      for (const response of refused) {
        expect(response.status).toBe(409);
        expect(response.body).toEqual({
          error: 'conflict',
          error_description: `this organization is at its limit of restricted tokens (${LIMIT} of ${LIMIT}): delete a restricted token to free a slot`,
        });
      }
      const live = await db.knex('restricted_tokens').where({ org_id: org.id }).whereNull('deleted_at').count({ count: '*' });
      expect(Number(live[0]?.count)).toBe(LIMIT);
      const listed = await onA.request('GET', `/v1/orgs/${org.id}/restricted-tokens`);
      expect(listed.body).toHaveLength(LIMIT);
    });
  });

  describe('a change made through process A is refused at once at process B\'s token endpoint', () => {
    let org: { id: string; name: string };
    let onA: SignedIn;

    beforeAll(async () => {
      ({ org, onA } = await orgWithAdmin('Cross Instance'));
    });

    const grant = 'grant_type=client_credentials';
    const tokenAt = (server: ServerProcess, clientId: string, secret: string) =>
      postToken(server.url, grant, { authorization: basic(clientId, secret) });

    async function expectAcceptedAtB(clientId: string, secret: string) {
      const response = await tokenAt(b, clientId, secret);
      expect(response.status).toBe(200);
    }

    /**
     * B learns of a change made through A (or by SQL) from the database's notification: within
     * milliseconds, so allow it a moment rather than race the HTTP answer against it.
     */
    async function expectRefusedAtB(clientId: string, secret: string) {
      const deadline = Date.now() + 1000;
      let response = await tokenAt(b, clientId, secret);
      while (response.status !== 401 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        response = await tokenAt(b, clientId, secret);
      }
      expect(response.status).toBe(401);
      expect(response.body).toEqual(INVALID_CLIENT);
    }

    /** Creates a client through A and warms B: B has verified its secret and remembers it. */
    async function warmClient(orgId = org.id, session = onA, body: Record<string, unknown> = {}) {
      const created = await session.request('POST', `/v1/orgs/${orgId}/clients`, { name: 'Sync', scopes: ['rosters:Read'], ...body });
      expect(created.status).toBe(201);
      const client = created.body as { id: string; client_id: string; client_secret: string };
      secrets.push(client.client_secret);
      await expectAcceptedAtB(client.client_id, client.client_secret);
      return client;
    }

    it('refuses a client disabled through A', async () => {
      const client = await warmClient();
      const disabled = await onA.request('POST', `/v1/orgs/${org.id}/clients/${client.id}/disable`);
      expect(disabled.body).toMatchObject({ status: 'disabled' });
      await expectRefusedAtB(client.client_id, client.client_secret);
    });

    it('refuses a client deleted through A', async () => {
      const client = await warmClient();
      const deleted = await onA.request('DELETE', `/v1/orgs/${org.id}/clients/${client.id}`);
      expect(deleted.body).toEqual({ id: client.id, client_id: client.client_id, deleted: true });
      await expectRefusedAtB(client.client_id, client.client_secret);
    });

    it('refuses a client as soon as its expiry has passed', async () => {
      const client = await warmClient(org.id, onA, { expires_at: new Date(Date.now() + 3_600_000).toISOString() });
      // The API cannot move an expiry; time passing can.
      await db.knex('api_clients').where({ id: client.id }).update({ expires_at: db.knex.raw("now() - interval '1 second'") });
      await expectRefusedAtB(client.client_id, client.client_secret);
    });

    it('refuses every client of the organization after revoke-all through A, and its restricted tokens are gone', async () => {
      const other = await orgWithAdmin('Revoked Everything');
      const clients = [await warmClient(other.org.id, other.onA), await warmClient(other.org.id, other.onA)];
      for (const name of ['Kiosk', 'Dashboard']) {
        const token = await other.onA.request('POST', `/v1/orgs/${other.org.id}/restricted-tokens`, {
          name,
          allowed_ips: ['198.51.100.0/24'],
          scopes: ['rosters:Read'],
        });
        expect(token.status).toBe(201);
        secrets.push(token.body.token);
      }

      const wrong = await other.onA.request('POST', `/v1/orgs/${other.org.id}/revoke-all`, { confirm: 'revoked everything' });
      expect(wrong.status).toBe(400);
      expect(wrong.body).toEqual({ error: 'invalid_request', error_description: 'confirm: must be exactly the organization\'s name' });
      for (const client of clients) await expectAcceptedAtB(client.client_id, client.client_secret);

      const revoked = await other.onA.request('POST', `/v1/orgs/${other.org.id}/revoke-all`, { confirm: other.org.name });
      expect(revoked.status).toBe(200);
      expect(revoked.body).toEqual({ api_clients_disabled: 2, restricted_tokens_deleted: 2 });
      for (const client of clients) await expectRefusedAtB(client.client_id, client.client_secret);
      const tokens = await other.onB.request('GET', `/v1/orgs/${other.org.id}/restricted-tokens`);
      expect(tokens.status).toBe(200);
      expect(tokens.body).toEqual([]);
      const listed = await other.onB.request('GET', `/v1/orgs/${other.org.id}/clients`);
      expect(listed.body.map((client: { status: string }) => client.status)).toEqual(['disabled', 'disabled']);
    });

    it('refuses the old secret at once after a rotation through A without grace, and accepts the new one', async () => {
      const client = await warmClient();
      const rotated = await onA.request('POST', `/v1/orgs/${org.id}/clients/${client.id}/rotate-secret`, {});
      expect(rotated.status).toBe(200);
      expect(rotated.body).toMatchObject({ id: client.id, previous_secret_expires_at: null, client_secret: expect.stringMatching(/^lks_/) });
      secrets.push(rotated.body.client_secret);

      await expectRefusedAtB(client.client_id, client.client_secret);
      await expectAcceptedAtB(client.client_id, rotated.body.client_secret);
    });

    it('accepts old and new secret during a rotation\'s grace period, and refuses the old one once it ends', async () => {
      const client = await warmClient();
      const rotated = await onA.request('POST', `/v1/orgs/${org.id}/clients/${client.id}/rotate-secret`, { grace_period_seconds: 3600 });
      expect(rotated.status).toBe(200);
      const graceEnds = Date.parse(rotated.body.previous_secret_expires_at);
      expect(graceEnds).toBeGreaterThan(Date.now() + 3_500_000);
      expect(graceEnds).toBeLessThanOrEqual(Date.now() + 3_600_000);
      secrets.push(rotated.body.client_secret);

      await expectAcceptedAtB(client.client_id, client.client_secret);
      await expectAcceptedAtB(client.client_id, rotated.body.client_secret);

      await db.knex('api_clients').where({ id: client.id }).update({ previous_secret_expires_at: db.knex.raw("now() - interval '1 second'") });
      await expectRefusedAtB(client.client_id, client.client_secret);
      await expectAcceptedAtB(client.client_id, rotated.body.client_secret);
    });
  });
});
