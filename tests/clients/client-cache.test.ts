// The API client cache: hits cost no query, every change (services, another process, plain SQL)
// reaches it through the database's notification, and while notifications may be missed nothing
// is cached.
import { createClientCache, type ClientCache } from '../../server/clients/client-cache.js';
import { createClientsRepository } from '../../server/clients/clients.repository.js';
import { migrateLatest } from '../../server/db/database.js';
import { createServices } from '../../server/services.js';
import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';
import { createLogger } from '../../server/shared/logger.js';
import { loadCatalog } from '../../config/catalog.js';
import { loadConfig } from '../../config/index.js';
import { createTestDatabase, onPostgres, type TestDatabase } from '../helpers/database.js';
import { LogCapture, testEnv } from '../helpers/server.js';

let db: TestDatabase;
let cache: ClientCache;
let reads: string[];
let services: ReturnType<typeof createServices>;
const logs = new LogCapture();

beforeAll(async () => {
  db = await createTestDatabase();
  await migrateLatest(db);
  const config = loadConfig(testEnv(0));
  const logger = createLogger('info', logs);
  services = createServices(config, loadCatalog(config.catalogFile, config.issuer), db, logger);
  const repository = createClientsRepository(db.knex);
  reads = [];
  cache = await createClientCache(
    {
      findAuthenticatable: (clientId) => {
        reads.push(clientId);
        return repository.findAuthenticatable(clientId);
      },
    },
    db,
    logger,
  );
});
afterAll(async () => {
  await cache.close();
  await db.close();
});

/** A new client, once the notification of its insert has arrived (so that it cannot arrive later). */
async function newClient(input: Record<string, unknown> = {}) {
  const org = await services.orgs.create({ name: `Cache ${Math.random().toString(36).slice(2, 8)}` }, OPERATOR_CONTEXT);
  const before = cache.stats().invalidations;
  const client = await services.clients.create(org.id, { name: 'Cached', scopes: ['payroll:Read'], ...input }, OPERATOR_CONTEXT);
  await heard(before);
  return { ...client, org_id: org.id };
}

/** Waits until the cache has heard `count` more change notifications than `before`. */
async function heard(before: number, count = 1) {
  const deadline = Date.now() + 5000;
  while (cache.stats().invalidations < before + count) {
    if (Date.now() > deadline) throw new Error(`heard ${cache.stats().invalidations - before} of ${count} notifications`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('the API client cache', () => {
  it('reads a client once, then answers from memory', async () => {
    const client = await newClient();
    reads.length = 0;
    const first = await cache.findAuthenticatable(client.client_id);
    const second = await cache.findAuthenticatable(client.client_id);
    expect(first?.client_id).toBe(client.client_id);
    expect(second).toBe(first);
    expect(reads).toEqual([client.client_id]);
  });

  it('remembers unknown client_ids until one is created with that id', async () => {
    const client = await newClient();
    reads.length = 0;
    expect(await cache.findAuthenticatable('lkc_notyet')).toBeUndefined();
    expect(await cache.findAuthenticatable('lkc_notyet')).toBeUndefined();
    expect(reads).toEqual(['lkc_notyet']);
    const before = cache.stats().invalidations;
    await db.knex('api_clients').where({ id: client.id }).update({ client_id: 'lkc_notyet' });
    await heard(before, 1);
    expect((await cache.findAuthenticatable('lkc_notyet'))?.name).toBe('Cached');
  });

  it('forgets a client the moment a service changes it in this process', async () => {
    const client = await newClient();
    await cache.findAuthenticatable(client.client_id);
    await services.clients.setStatus(client.org_id, client.id, 'disabled', OPERATOR_CONTEXT);
    // No wait: the service tells this process's caches after its commit.
    expect(await cache.findAuthenticatable(client.client_id)).toBeUndefined();
  });

  it('hears changes made by plain SQL (another process, an operator) through the notification', async () => {
    const client = await newClient();
    await cache.findAuthenticatable(client.client_id);
    const before = cache.stats().invalidations;
    await db.knex('api_clients').where({ id: client.id }).update({ scopes: ['payroll:Read', 'employees:Read'] });
    await heard(before);
    expect((await cache.findAuthenticatable(client.client_id))?.scopes).toEqual(['payroll:Read', 'employees:Read']);
  });

  it('is not told about last_used_at, which changes every minute and authenticates nothing', async () => {
    const client = await newClient();
    await cache.findAuthenticatable(client.client_id);
    const before = cache.stats().invalidations;
    await db.knex('api_clients').where({ id: client.id }).update({ last_used_at: new Date() });
    await db.knex('api_clients').where({ id: client.id }).update({ name: 'Renamed' }); // nor the name
    await db.knex('api_clients').where({ id: client.id }).update({ status: 'active' }); // a column it watches: a marker
    await heard(before, 1);
    expect(cache.stats().invalidations).toBe(before + 1);
  });

  it('stops answering a client whose expiry passes while it is cached', async () => {
    const client = await newClient({ expires_at: new Date(Date.now() + 60_000).toISOString() });
    const cached = await cache.findAuthenticatable(client.client_id);
    expect(cached).toBeDefined();
    (cached as { expires_at: Date }).expires_at = new Date(Date.now() - 1); // time passing, without a change
    expect(await cache.findAuthenticatable(client.client_id)).toBeUndefined();
  });

  it('reload reads the database even for a cached client', async () => {
    const client = await newClient();
    await cache.findAuthenticatable(client.client_id);
    reads.length = 0;
    await cache.reload(client.client_id);
    expect(reads).toEqual([client.client_id]);
  });
});

(onPostgres ? describe : describe.skip)('the API client cache when the listening connection drops (PostgreSQL)', () => {
  it('caches nothing until it listens again, then caches afresh', async () => {
    const client = await newClient();
    await cache.findAuthenticatable(client.client_id);
    await db.knex.raw("select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query ilike 'listen %'");
    const deadline = Date.now() + 5000;
    while (cache.stats().listening && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(cache.stats().listening).toBe(false);
    expect(logs.text).toContain('lost the API client change notifications');

    reads.length = 0;
    await cache.findAuthenticatable(client.client_id);
    await cache.findAuthenticatable(client.client_id);
    expect(reads).toEqual([client.client_id, client.client_id]);

    while (!cache.stats().listening && Date.now() < deadline + 5000) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(cache.stats().listening).toBe(true);
    reads.length = 0;
    await cache.findAuthenticatable(client.client_id);
    await cache.findAuthenticatable(client.client_id);
    expect(reads).toEqual([client.client_id]);
    // And it hears changes again.
    const before = cache.stats().invalidations;
    await db.knex('api_clients').where({ id: client.id }).update({ status: 'disabled' });
    await heard(before);
    expect(await cache.findAuthenticatable(client.client_id)).toBeUndefined();
  });
});
