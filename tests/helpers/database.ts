// Each test file gets a database of its own: a fresh PostgreSQL database when TEST_DATABASE_URL is
// set (CI), an in-memory embedded PostgreSQL otherwise.
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import knexFactory from 'knex';
import { openPostgres, subscribePglite, type Database } from '../../server/db/database.js';
import { knexForPglite } from '../../server/db/pglite-knex.js';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;
export const onPostgres = TEST_DATABASE_URL !== undefined;

export interface TestDatabase extends Database {
  /** Connection string of the PostgreSQL database (undefined on the embedded database). */
  url: string | undefined;
}

/** Creates an empty PostgreSQL database and returns its URL; `drop` removes it. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!TEST_DATABASE_URL) throw new Error('TEST_DATABASE_URL is not set');
  const name = `latchkey_test_${randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: TEST_DATABASE_URL, pool: { min: 0, max: 1 } });
  await admin.raw(`create database ${name}`);
  await admin.destroy();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const again = knexFactory({ client: 'pg', connection: TEST_DATABASE_URL, pool: { min: 0, max: 1 } });
      await again.raw(`drop database if exists ${name} with (force)`);
      await again.destroy();
    },
  };
}

export async function createTestDatabase(): Promise<TestDatabase> {
  if (TEST_DATABASE_URL) {
    const created = await createPostgresDatabase();
    const db = openPostgres(created.url, 5);
    return {
      ...db,
      url: created.url,
      async close() {
        await db.close();
        await created.drop();
      },
    };
  }
  const pglite = await PGlite.create();
  const knex = knexForPglite(pglite);
  return {
    knex,
    kind: 'embedded',
    description: 'in-memory embedded PostgreSQL',
    url: undefined,
    subscribe: subscribePglite(pglite),
    close: () => knex.destroy(),
  };
}
