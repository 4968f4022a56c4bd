// Knex CLI configuration (`npx knex --knexfile knexfile.ts migrate:status`, for example).
// Latchkey itself runs migrations at start and with `latchkey migrate`; both use the same
// migration list. This file reads the same settings: DATABASE_URL, or nothing for the embedded
// database, which must not be open in a running server (use `latchkey migrate` then).
import type { Knex } from 'knex';
import { loadConfig } from './config/index.js';
import { migrationSource } from './migrations/index.js';

const config = loadConfig();

const knexConfig: Knex.Config = config.databaseUrl
  ? { client: 'pg', connection: config.databaseUrl, migrations: { migrationSource } }
  : {
      client: (await import('knex-pglite')).default,
      connection: { filename: `${config.dataDir}/pgdata` },
      migrations: { migrationSource },
    } as Knex.Config;

export default knexConfig;
