// Knex over a PGlite instance in this process (one connection). The server reaches its embedded
// database through pglite-socket instead (see database.ts); this is for tools and tests that open
// a PGlite of their own.
import type { PGlite } from '@electric-sql/pglite';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { migrationSource } from '../../migrations/index.js';

/** Wraps an open PGlite instance in Knex. */
export function knexForPglite(pglite: PGlite): Knex {
  return knexFactory({
    client: ClientPgLite,
    dialect: 'postgres',
    connection: (() => ({ pglite })) as unknown as Knex.StaticConnectionConfig,
    migrations: { migrationSource },
  });
}
