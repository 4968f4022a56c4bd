// Opens the database: PostgreSQL through `pg` when DATABASE_URL is set, otherwise the embedded
// PostgreSQL (PGlite) persisted under DATA_DIR. The embedded database is single-process, so its
// owner also serves it on a Unix socket inside DATA_DIR: the CLI (or any pg client) talks to a
// running server through that socket, and a second owner refuses to start.
import { existsSync, mkdirSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import ClientPgLite from 'knex-pglite';
import type { Config } from '../../config/index.js';
import { latestMigration, migrationSource } from '../../migrations/index.js';

export interface Database {
  knex: Knex;
  kind: 'postgres' | 'embedded';
  /** Set for PostgreSQL reached by URL; never logged (it may hold a password). */
  connectionString?: string;
  /** Where the data lives, safe to log (never a password). */
  description: string;
  close(): Promise<void>;
}

/** The embedded database's socket lives here; pg clients connect with host=DATA_DIR, port 5432. */
const EMBEDDED_SOCKET_PORT = 5432;
export const embeddedSocketPath = (dataDir: string) =>
  path.join(dataDir, `.s.PGSQL.${EMBEDDED_SOCKET_PORT}`);

export function describePostgresUrl(url: string): string {
  const parsed = new URL(url);
  const database = parsed.pathname.replace(/^\//, '') || 'postgres';
  return `PostgreSQL ${parsed.hostname}:${parsed.port || '5432'}/${database}`;
}

export function openPostgres(url: string, poolMax = 10): Database {
  const knex = knexFactory({
    client: 'pg',
    connection: url,
    pool: { min: 0, max: poolMax },
    migrations: { migrationSource },
  });
  return {
    knex,
    kind: 'postgres',
    connectionString: url,
    description: describePostgresUrl(url),
    close: () => knex.destroy(),
  };
}

function canConnect(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export class EmbeddedDatabaseBusyError extends Error {
  override name = 'EmbeddedDatabaseBusyError';
}

/** Wraps an open PGlite instance in Knex. */
export function knexForPglite(pglite: PGlite): Knex {
  return knexFactory({
    client: ClientPgLite,
    dialect: 'postgres',
    connection: (() => ({ pglite })) as unknown as Knex.StaticConnectionConfig,
    migrations: { migrationSource },
  });
}

/**
 * Opens the embedded database as its owner and serves it on DATA_DIR's socket. Throws
 * EmbeddedDatabaseBusyError when another process already owns DATA_DIR.
 */
export async function openEmbeddedOwner(dataDir: string): Promise<Database> {
  const socketPath = embeddedSocketPath(dataDir);
  if (Buffer.byteLength(socketPath) > 100) {
    throw new Error(`DATA_DIR path is too long for its database socket (${socketPath}); use a shorter DATA_DIR`);
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (existsSync(socketPath)) {
    if (await canConnect(socketPath)) {
      throw new EmbeddedDatabaseBusyError(
        `the embedded database in ${dataDir} is in use by another process`,
      );
    }
    unlinkSync(socketPath); // left behind by a process that died
  }

  const pglite = await PGlite.create(path.join(dataDir, 'pgdata'));
  const socketServer = new PGLiteSocketServer({ db: pglite, path: socketPath, maxConnections: 8 });
  await socketServer.start();
  const knex = knexForPglite(pglite);
  return {
    knex,
    kind: 'embedded',
    description: `embedded PostgreSQL in ${path.join(dataDir, 'pgdata')}`,
    close: async () => {
      await socketServer.stop();
      await knex.destroy(); // knex-pglite closes the PGlite instance with its connection
      if (!pglite.closed) await pglite.close();
      if (existsSync(socketPath)) unlinkSync(socketPath);
    },
  };
}

/** A pg connection to the embedded database served by another process on DATA_DIR's socket. */
function openEmbeddedClient(dataDir: string): Database {
  const knex = knexFactory({
    client: 'pg',
    connection: { host: dataDir, port: EMBEDDED_SOCKET_PORT, user: 'postgres', database: 'postgres' },
    pool: { min: 0, max: 1 },
    migrations: { migrationSource },
  });
  return {
    knex,
    kind: 'embedded',
    description: `embedded PostgreSQL in ${path.join(dataDir, 'pgdata')} (through the running server)`,
    close: () => knex.destroy(),
  };
}

/**
 * The database for a server process: PostgreSQL, or the embedded database owned by this process.
 */
export async function openServerDatabase(config: Config): Promise<Database> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl, config.databasePoolMax);
  return openEmbeddedOwner(config.dataDir);
}

/**
 * The database for a short-lived command: PostgreSQL, or the embedded database — through the
 * running server's socket when one owns DATA_DIR, opened directly otherwise.
 */
export async function openCommandDatabase(config: Config): Promise<Database> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl, 2);
  if (await canConnect(embeddedSocketPath(config.dataDir))) return openEmbeddedClient(config.dataDir);
  try {
    return await openEmbeddedOwner(config.dataDir);
  } catch (error) {
    // A server started between our probe and our open: use it.
    if (error instanceof EmbeddedDatabaseBusyError) return openEmbeddedClient(config.dataDir);
    throw error;
  }
}

/** Any fixed number: the PostgreSQL advisory lock that serializes migrations across processes. */
const MIGRATION_LOCK_ID = 7_270_001;

/**
 * Applies pending migrations. Several instances may start at once against one PostgreSQL: an
 * advisory lock, held on a connection of its own, lets one migrate while the others wait and then
 * find nothing left to do (Knex's own lock fails instead of waiting when its tables are new).
 */
export async function migrateLatest(db: Database): Promise<string[]> {
  const latest = async () => ((await db.knex.migrate.latest()) as [number, string[]])[1];
  if (db.kind !== 'postgres' || !db.connectionString) return latest();
  const lock = new pg.Client({ connectionString: db.connectionString });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    return await latest();
  } finally {
    await lock.end();
  }
}

/** True when the database answers and every known migration has been applied. */
export async function isReady(knex: Knex): Promise<boolean> {
  try {
    const row = await knex('knex_migrations').where({ name: latestMigration }).first('id');
    return row !== undefined;
  } catch {
    return false;
  }
}
