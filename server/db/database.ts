// Opens the database: PostgreSQL through `pg` when DATABASE_URL is set, otherwise the embedded
// PostgreSQL (PGlite) persisted under DATA_DIR. The embedded database is single-process, so its
// owner also serves it on a Unix socket inside DATA_DIR: the CLI (or any pg client) talks to a
// running server through that socket, and a second owner refuses to start.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
// The embedded database's modules are loaded when it is opened: a server on PostgreSQL never
// holds their code (several MB of heap that every full garbage collection would walk past).
import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import type { Config } from '../../config/index.js';
import { latestMigration, migrationSource } from '../../migrations/index.js';
import { forwardSocketNotifications } from './pglite-notifications.js';

export interface Database {
  knex: Knex;
  kind: 'postgres' | 'embedded';
  /** Set for PostgreSQL reached by URL; never logged (it may hold a password). */
  connectionString?: string;
  /** Where the data lives, safe to log (never a password). */
  description: string;
  close(): Promise<void>;
  /**
   * Listens to a notification channel (LISTEN/NOTIFY). `lost` is called when notifications may
   * have been missed (the listening connection dropped), `restored` once listening again.
   * Absent where the process cannot listen (a command reaching the embedded database by socket).
   */
  subscribe?(channel: string, handlers: SubscriptionHandlers): Promise<() => Promise<void>>;
}

export interface SubscriptionHandlers {
  message(payload: string): void;
  lost(): void;
  restored(): void;
}

const SAFE_CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

/** LISTEN on a connection of its own, reconnecting (and reporting the gap) when it drops. */
function subscribePostgres(url: string) {
  return async (channel: string, handlers: SubscriptionHandlers) => {
    if (!SAFE_CHANNEL.test(channel)) throw new Error(`not a channel name: ${channel}`);
    let client: pg.Client | undefined;
    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    const connect = async () => {
      const next = new pg.Client({ connectionString: url, keepAlive: true });
      next.on('notification', (message) => {
        if (message.channel === channel) handlers.message(message.payload ?? '');
      });
      next.on('error', () => next.end().catch(() => undefined));
      next.on('end', () => {
        if (stopped || client !== next) return;
        client = undefined;
        handlers.lost();
        schedule();
      });
      try {
        await next.connect();
        await next.query(`listen ${channel}`);
      } catch (error) {
        await next.end().catch(() => undefined);
        throw error;
      }
      client = next;
    };
    const schedule = () => {
      retry = setTimeout(() => {
        connect().then(
          () => (stopped ? client?.end() : handlers.restored()),
          () => schedule(),
        );
      }, 1000);
      retry.unref();
    };
    await connect();
    return async () => {
      stopped = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    };
  };
}

/**
 * Listening on PGlite: its own listeners hear notifications raised by in-process queries, and
 * those raised by queries through pglite-socket are picked out of the socket's output.
 */
export function subscribePglite(pglite: PGlite) {
  const bySocket = new Map<string, Set<(payload: string) => void>>();
  let forwarding = false;
  return async (channel: string, handlers: SubscriptionHandlers) => {
    if (!forwarding) {
      forwardSocketNotifications(pglite, (name, payload) => bySocket.get(name)?.forEach((handler) => handler(payload)));
      forwarding = true;
    }
    const handler = (payload: string) => handlers.message(payload);
    const set = bySocket.get(channel) ?? new Set();
    set.add(handler);
    bySocket.set(channel, set);
    const unlisten = await pglite.listen(channel, handler);
    return async () => {
      set.delete(handler);
      if (!pglite.closed) await unlisten();
    };
  };
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
    subscribe: subscribePostgres(url),
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

/** Holds the pid of the process that owns DATA_DIR's embedded database. */
const ownerFile = (dataDir: string) => path.join(dataDir, 'owner.pid');

/** The pid of a live process owning DATA_DIR, if any. */
export function embeddedOwner(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(ownerFile(dataDir), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

function claimOwnership(dataDir: string): void {
  const busy = (pid: number) =>
    new EmbeddedDatabaseBusyError(
      `the embedded database in ${dataDir} is in use by another process (pid ${pid}, see ${ownerFile(dataDir)})`,
    );
  const owner = embeddedOwner(dataDir);
  if (owner !== undefined && owner !== process.pid) throw busy(owner);
  rmSync(ownerFile(dataDir), { force: true }); // left behind by a process that died
  try {
    writeFileSync(ownerFile(dataDir), String(process.pid), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    throw busy(embeddedOwner(dataDir) ?? 0); // another process claimed it a moment ago
  }
}

async function waitForSocket(socketPath: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(socketPath))) {
    if (Date.now() > deadline) throw new Error(`the embedded database socket ${socketPath} does not answer`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function knexForSocket(dataDir: string, poolMax: number): Knex {
  return knexFactory({
    client: 'pg',
    connection: { host: dataDir, port: EMBEDDED_SOCKET_PORT, user: 'postgres', database: 'postgres' },
    pool: { min: 0, max: poolMax },
    migrations: { migrationSource },
  });
}

/**
 * Opens the embedded database as its owner and serves it on DATA_DIR's socket. The owner's own
 * queries go through that socket too: pglite-socket multiplexes its connections and keeps each
 * transaction to the connection that opened it, which direct calls beside the socket would not.
 * Throws EmbeddedDatabaseBusyError when another live process owns DATA_DIR.
 */
export async function openEmbeddedOwner(dataDir: string, poolMax = 4): Promise<Database> {
  const socketPath = embeddedSocketPath(dataDir);
  if (Buffer.byteLength(socketPath) > 100) {
    throw new Error(`DATA_DIR path is too long for its database socket (${socketPath}); use a shorter DATA_DIR`);
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  claimOwnership(dataDir);
  const release = () => {
    if (embeddedOwner(dataDir) === process.pid) rmSync(ownerFile(dataDir), { force: true });
  };

  let pglite: PGlite | undefined;
  let socketServer: PGLiteSocketServer | undefined;
  try {
    rmSync(socketPath, { force: true }); // a socket file is never live without its owner
    const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite-socket')]);
    pglite = await PGlite.create(path.join(dataDir, 'pgdata'));
    socketServer = new PGLiteSocketServer({ db: pglite, path: socketPath, maxConnections: poolMax + 8 });
    await socketServer.start();
  } catch (error) {
    await socketServer?.stop();
    await pglite?.close();
    release();
    throw error;
  }
  const knex = knexForSocket(dataDir, poolMax);
  const [db, server] = [pglite, socketServer];
  return {
    knex,
    kind: 'embedded',
    description: `embedded PostgreSQL in ${path.join(dataDir, 'pgdata')}`,
    subscribe: subscribePglite(db),
    close: async () => {
      await knex.destroy();
      await server.stop();
      if (!db.closed) await db.close();
      rmSync(socketPath, { force: true });
      release();
    },
  };
}

/** A pg connection to the embedded database served by its owner on DATA_DIR's socket. */
async function openEmbeddedClient(dataDir: string): Promise<Database> {
  // The owner may still be opening the database; its socket appears when it is ready.
  await waitForSocket(embeddedSocketPath(dataDir), 30_000);
  const knex = knexForSocket(dataDir, 1);
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
  return openEmbeddedOwner(config.dataDir, Math.min(config.databasePoolMax, 8));
}

/**
 * The database for a short-lived command: PostgreSQL, or the embedded database — through the
 * running server's socket when one owns DATA_DIR, opened directly otherwise.
 */
export async function openCommandDatabase(config: Config): Promise<Database> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl, 2);
  if (embeddedOwner(config.dataDir) !== undefined) return openEmbeddedClient(config.dataDir);
  try {
    return await openEmbeddedOwner(config.dataDir, 1);
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
