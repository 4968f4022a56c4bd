import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { migrationNames } from '../../migrations/index.js';
import { isReady, migrateLatest } from '../../server/db/database.js';

const TABLES = ['api_clients', 'api_logs', 'audit_events', 'memberships', 'organizations', 'resource_servers', 'restricted_tokens', 'revocation_events', 'revoked_tokens', 'sessions', 'signing_keys', 'usage_buckets', 'users'];

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

const tables = async () =>
  (
    await db.knex('information_schema.tables')
      .where({ table_schema: 'public' })
      .whereNotIn('table_name', ['knex_migrations', 'knex_migrations_lock'])
      .orderBy('table_name')
      .pluck('table_name')
  ) as string[];

const constraintNames = async () =>
  (await db.knex.raw(
    `select conname from pg_constraint c join pg_namespace n on n.oid = c.connamespace
     where n.nspname = 'public' and conrelid <> 0 and contype <> 'n' order by conname`,
  )).rows.map((row: { conname: string }) => row.conname) as string[];

describe('migrations', () => {
  it('run to latest, roll back to zero, and run to latest again', async () => {
    expect(await isReady(db.knex)).toBe(false);
    expect(await migrateLatest(db)).toEqual(migrationNames);
    expect(await isReady(db.knex)).toBe(true);
    expect(await tables()).toEqual(TABLES);

    await db.knex.migrate.rollback(undefined, true);
    expect(await tables()).toEqual([]);
    expect(await isReady(db.knex)).toBe(false);

    expect(await migrateLatest(db)).toEqual(migrationNames);
    expect(await migrateLatest(db)).toEqual([]);
    expect(await tables()).toEqual(TABLES);
  });

  it('names every constraint and index after its table and columns', async () => {
    await migrateLatest(db);
    const names = await constraintNames();
    expect(names.filter((name) => !/^(knex_migrations|[a-z_]+__[a-z_0-9]+)/.test(name))).toEqual([]);
    const indexes = (await db.knex('pg_indexes').where({ schemaname: 'public' }).whereNot('tablename', 'like', 'knex_%').pluck('indexname')) as string[];
    expect(indexes.sort()).toEqual([
      'api_clients__client_id',
      'api_clients__org_id__name',
      'api_clients__org_id__status',
      'api_clients__pkey',
      'api_logs__at',
      'api_logs__credential_id__at',
      'api_logs__org_id__at',
      'api_logs__pkey',
      'audit_events__org_id__at',
      'audit_events__pkey',
      'memberships__pkey',
      'memberships__user_id',
      'organizations__pkey',
      'resource_servers__client_id',
      'resource_servers__pkey',
      'restricted_tokens__org_id__name',
      'restricted_tokens__pkey',
      'restricted_tokens__token_hash',
      'revocation_events__pkey',
      'revocation_events__relevant_until',
      'revoked_tokens__expires_at',
      'revoked_tokens__pkey',
      'sessions__pkey',
      'sessions__user_id',
      'signing_keys__active',
      'signing_keys__kid',
      'signing_keys__pkey',
      'usage_buckets__org_id__bucket_start',
      'usage_buckets__pkey',
      'users__email',
      'users__pkey',
    ]);
  });

  it('enforces the data rules in the schema too', async () => {
    await migrateLatest(db);
    const [org] = await db.knex('organizations').insert({ name: 'Schema Org' }).returning('id');
    const base = {
      org_id: org.id,
      client_id: `lkc_${Date.now()}`,
      name: 'ok',
      scopes: ['payroll:Read'],
      secret_hash: 'x',
      secret_last4: 'abcd',
      created_by: JSON.stringify({ type: 'operator', id: null, name: 'operator' }),
    };
    await expect(db.knex('api_clients').insert({ ...base, status: 'paused' })).rejects.toThrow(/api_clients__status/);
    await expect(db.knex('api_clients').insert({ ...base, scopes: [] })).rejects.toThrow(/api_clients__scopes_not_empty/);
    await expect(db.knex('api_clients').insert({ ...base, name: 'x'.repeat(65) })).rejects.toThrow(/api_clients__name_length/);
    await expect(db.knex('organizations').insert({ name: '  ' })).rejects.toThrow(/organizations__name_length/);
    await db.knex('api_clients').insert(base);
    await expect(db.knex('api_clients').insert(base)).rejects.toThrow(/api_clients__client_id/);
  });

  it('keeps audit events append-only: UPDATE, DELETE and TRUNCATE fail', async () => {
    await migrateLatest(db);
    await db.knex('audit_events').insert({ action: 'test.event', actor_type: 'operator', actor_name: 'operator' });
    const before = await db.knex('audit_events').count({ count: '*' }).first();
    await expect(db.knex('audit_events').update({ action: 'tampered' })).rejects.toThrow(/audit events cannot be changed or deleted/);
    await expect(db.knex('audit_events').del()).rejects.toThrow(/audit events cannot be changed or deleted/);
    await expect(db.knex.raw('truncate audit_events')).rejects.toThrow(/audit events cannot be changed or deleted/);
    expect(await db.knex('audit_events').count({ count: '*' }).first()).toEqual(before);
    expect(await db.knex('audit_events').where({ action: 'tampered' }).first()).toBeUndefined();
  });
});
