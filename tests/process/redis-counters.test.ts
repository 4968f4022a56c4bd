// Throttling counters shared through Redis by two servers on one PostgreSQL, and what happens when
// Redis goes away and comes back. Runs its own redis-server, so nothing else's keys interfere.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basic, postToken } from '../helpers/oauth.js';
import { onPostgres } from '../helpers/database.js';
import { createPersistentDatabase } from '../helpers/persistent-database.js';
import { freePort, startTestServer, type TestServer } from '../helpers/server.js';

const REDIS = '/usr/bin/redis-server';
const describeWithRedis = onPostgres && existsSync(REDIS) ? describe : describe.skip;

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const ready = await new Promise<boolean>((resolve) => {
      import('node:net').then(({ default: net }) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.destroy();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      });
    });
    if (ready) return child;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('redis-server did not start');
}

async function waitFor(condition: () => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describeWithRedis('throttling counters in Redis (needs TEST_DATABASE_URL and redis-server)', () => {
  let redisPort: number;
  let redis: ChildProcess;
  let database: Awaited<ReturnType<typeof createPersistentDatabase>>;
  let a: TestServer;
  let b: TestServer;
  const grant = 'grant_type=client_credentials';

  beforeAll(async () => {
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    database = await createPersistentDatabase();
    const env = { REDIS_URL: `redis://127.0.0.1:${redisPort}`, AUTH_MAX_FAILURES_PER_CLIENT: '3', AUTH_MAX_FAILURES_PER_IP: '1000' };
    a = await startTestServer({ db: await database.open(), env });
    b = await startTestServer({ db: await database.open(), env });
    await waitFor(() => a.logs.text.includes('Redis reachable') && b.logs.text.includes('Redis reachable'));
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    redis?.kill('SIGKILL');
    await database?.drop();
  });

  const attempt = (server: TestServer, clientId: string, secret: string) =>
    postToken(server.url, grant, { authorization: basic(clientId, secret) });

  it('counts failures at both servers together', async () => {
    const client = await a.createClient();
    expect((await attempt(a, client.client_id, 'lks_wrong1')).status).toBe(401);
    expect((await attempt(a, client.client_id, 'lks_wrong2')).status).toBe(401);
    expect((await attempt(b, client.client_id, 'lks_wrong3')).status).toBe(401);
    // Neither server alone has seen three failures; together they have.
    expect((await attempt(b, client.client_id, 'lks_wrong4')).status).toBe(429);
    expect((await attempt(a, client.client_id, 'lks_wrong5')).status).toBe(429);
  });

  it('keeps serving through a Redis outage, counting in-process, and shares again when Redis returns', async () => {
    const client = await a.createClient();
    redis.kill('SIGKILL');
    await waitFor(() => a.logs.text.includes('Redis unreachable'));
    // Still serving: the right secret gets a token, wrong ones a plain 401, then the in-process limit.
    expect((await attempt(a, client.client_id, client.client_secret)).status).toBe(200);
    for (let i = 0; i < 3; i += 1) expect((await attempt(a, client.client_id, `lks_wrong${i}`)).status).toBe(401);
    expect((await attempt(a, client.client_id, 'lks_wrong9')).status).toBe(429);

    const before = (a.logs.text.match(/Redis reachable/g) ?? []).length;
    redis = await startRedis(redisPort);
    await waitFor(() => (a.logs.text.match(/Redis reachable/g) ?? []).length > before && (b.logs.text.match(/Redis reachable/g) ?? []).length > 1, 30_000);

    const fresh = await a.createClient();
    expect((await attempt(a, fresh.client_id, 'lks_x1')).status).toBe(401);
    expect((await attempt(b, fresh.client_id, 'lks_x2')).status).toBe(401);
    expect((await attempt(a, fresh.client_id, 'lks_x3')).status).toBe(401);
    expect((await attempt(b, fresh.client_id, 'lks_x4')).status).toBe(429);
  });
});
