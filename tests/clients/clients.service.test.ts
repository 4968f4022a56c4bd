// Creation rules shared by the CLI (and later the management API), against a real database.
import { loadCatalog } from '../../config/catalog.js';
import { loadConfig } from '../../config/index.js';
import { migrateLatest } from '../../server/db/database.js';
import { createServices, type Services } from '../../server/services.js';
import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';
import { AppError } from '../../server/shared/errors.js';
import { createLogger } from '../../server/shared/logger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { testEnv } from '../helpers/server.js';

let db: TestDatabase;
let services: Services;
let orgId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrateLatest(db);
  const config = loadConfig(testEnv(3000));
  services = createServices(config, loadCatalog(config.catalogFile, config.issuer), db, createLogger('silent'));
  orgId = (await services.orgs.create({ name: 'Validation Org' }, OPERATOR_CONTEXT)).id;
});
afterAll(() => db.close());

const invalid = (description: string) => new AppError(400, 'invalid_request', description);

describe('clients.create', () => {
  it('stores only a bcrypt hash and the last four characters of the secret', async () => {
    const created = await services.clients.create(
      orgId,
      {
        name: '  Rostering sync ',
        description: 'Nightly roster import',
        scopes: ['rosters:Read', 'rosters:Read', 'employees:Read'],
        allowed_origins: ['https://App.Example.com:443', 'http://localhost:5173'],
        expires_at: '2099-01-01T00:00:00Z',
      },
      OPERATOR_CONTEXT,
    );
    expect(created).toEqual({
      id: expect.any(String),
      client_id: expect.stringMatching(/^lkc_/),
      client_secret: expect.stringMatching(/^lks_/),
      name: 'Rostering sync',
      description: 'Nightly roster import',
      allowed_origins: ['https://app.example.com', 'http://localhost:5173'],
      scopes: ['rosters:Read', 'employees:Read'],
      status: 'active',
      secret_last4: created.client_secret.slice(-4),
      expires_at: '2099-01-01T00:00:00.000Z',
      created_at: expect.any(String),
      created_by: { type: 'operator', id: null, name: 'operator' },
      updated_at: expect.any(String),
      last_used_at: null,
      rate_limit: { per_minute: 600, source: 'default' },
    });
    const row = await db.knex('api_clients').where({ id: created.id }).first();
    expect(row.secret_hash).toMatch(/^\$2b\$04\$/);
    expect(JSON.stringify(row)).not.toContain(created.client_secret);
    expect(await services.clients.get(orgId, created.id)).not.toHaveProperty('client_secret');
  });

  it.each([
    [{ scopes: ['payroll:Read'] }, 'name: is required'],
    [{ name: '   ', scopes: ['payroll:Read'] }, 'name: must not be empty'],
    [{ name: 'x'.repeat(65), scopes: ['payroll:Read'] }, 'name: must be at most 64 characters'],
    [{ name: 'bad\u0007name', scopes: ['payroll:Read'] }, 'name: must not contain control characters'],
    [{ name: 'ok', description: 'd'.repeat(501), scopes: ['payroll:Read'] }, 'description: must be at most 500 characters'],
    [{ name: 'ok' }, 'scopes: is required: a non-empty list of scopes from the catalog'],
    [{ name: 'ok', scopes: [] }, 'scopes: must hold at least one scope'],
    [{ name: 'ok', scopes: ['payroll:Read', 'nope:Read'] }, 'scopes: unknown scope nope:Read; see the scope catalog'],
    [{ name: 'ok', scopes: ['payroll:Read'], expires_at: '2020-01-01T00:00:00Z' }, 'expires_at: must be in the future'],
    [{ name: 'ok', scopes: ['payroll:Read'], expires_at: 'tomorrow' }, 'expires_at: must be an ISO 8601 date-time with a time zone'],
    [{ name: 'ok', scopes: ['payroll:Read'], allowed_origins: ['https://a.example/path'] }, 'allowed_origins.0: "https://a.example/path" must not have a path, query or fragment'],
    [{ name: 'ok', scopes: ['payroll:Read'], allowed_origins: ['https://*.example.com'] }, 'allowed_origins.0: "https://*.example.com" must not contain a wildcard'],
    [{ name: 'ok', scopes: ['payroll:Read'], allowed_origins: ['null'] }, 'allowed_origins.0: "null" must be an origin like https://app.example.com'],
    [{ name: 'ok', scopes: ['payroll:Read'], allowed_origins: ['http://app.example.com'] }, 'allowed_origins.0: "http://app.example.com" must use https (http is allowed for localhost only)'],
    [{ name: 'ok', scopes: ['payroll:Read'], allowed_origins: ['https://a.example', 'https://A.example:443'] }, 'allowed_origins.1: duplicates https://a.example'],
    [{ name: 'ok', scopes: ['payroll:Read'], status: 'disabled' }, 'Unrecognized key: "status"'],
  ])('refuses %j with a 400 naming the field, writing nothing', async (input, description) => {
    const before = await db.knex('api_clients').count({ count: '*' }).first();
    await expect(services.clients.create(orgId, input, OPERATOR_CONTEXT)).rejects.toEqual(invalid(description));
    expect(await db.knex('api_clients').count({ count: '*' }).first()).toEqual(before);
  });

  it('answers 404 for an unknown organization', async () => {
    await expect(
      services.clients.create('00000000-0000-4000-8000-000000000000', { name: 'ok', scopes: ['payroll:Read'] }, OPERATOR_CONTEXT),
    ).rejects.toEqual(new AppError(404, 'not_found', 'organization not found'));
    await expect(services.clients.list('not-a-uuid')).rejects.toEqual(new AppError(404, 'not_found', 'organization not found'));
  });
});

describe('clients.list, disable, delete', () => {
  it('lists by name case-insensitively and hides deleted clients; another org sees none of them', async () => {
    const org = (await services.orgs.create({ name: 'Listing Org' }, OPERATOR_CONTEXT)).id;
    const other = (await services.orgs.create({ name: 'Other Org' }, OPERATOR_CONTEXT)).id;
    for (const name of ['beta', 'Alpha', 'gamma', 'Delta']) {
      await services.clients.create(org, { name, scopes: ['payroll:Read'] }, OPERATOR_CONTEXT);
    }
    const listed = await services.clients.list(org);
    expect(listed.map((client) => client.name)).toEqual(['Alpha', 'beta', 'Delta', 'gamma']);
    const gamma = listed[3];
    expect(await services.clients.delete(org, gamma?.id ?? '', OPERATOR_CONTEXT)).toEqual({ id: gamma?.id, client_id: gamma?.client_id, deleted: true });
    expect((await services.clients.list(org)).map((client) => client.name)).toEqual(['Alpha', 'beta', 'Delta']);
    expect(await db.knex('api_clients').where({ id: gamma?.id }).whereNotNull('deleted_at').first()).toBeDefined();
    await expect(services.clients.get(org, gamma?.id ?? '')).rejects.toEqual(new AppError(404, 'not_found', 'API client not found'));

    expect(await services.clients.list(other)).toEqual([]);
    const alpha = listed[0];
    await expect(services.clients.setStatus(other, alpha?.id ?? '', 'disabled', OPERATOR_CONTEXT)).rejects.toEqual(
      new AppError(404, 'not_found', 'API client not found'),
    );
    expect((await services.clients.get(org, alpha?.id ?? '')).status).toBe('active');
  });

  it('disables and re-enables, by id or by client_id', async () => {
    const created = await services.clients.create(orgId, { name: 'toggle', scopes: ['payroll:Read'] }, OPERATOR_CONTEXT);
    expect((await services.clients.setStatus(orgId, created.client_id, 'disabled', OPERATOR_CONTEXT)).status).toBe('disabled');
    const row = await db.knex('api_clients').where({ id: created.id }).first();
    expect(row.disabled_at).toBeInstanceOf(Date);
    expect((await services.clients.setStatus(orgId, created.id, 'active', OPERATOR_CONTEXT)).status).toBe('active');
    expect((await db.knex('api_clients').where({ id: created.id }).first()).disabled_at).toBeNull();
  });
});
