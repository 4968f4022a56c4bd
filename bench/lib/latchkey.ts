// Latchkey as the suite runs it: a fresh PostgreSQL database (or an embedded one in a temporary
// DATA_DIR), seeded from this process through the same services the CLI uses, then
// `node --import tsx server/main.ts` in a child process, configured as an operator would.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcrypt';
import knexFactory, { type Knex } from 'knex';
import { loadCatalog } from '../../config/catalog.js';
import { loadConfig } from '../../config/index.js';
import { migrateLatest, openEmbeddedOwner, openPostgres, type Database } from '../../server/db/database.js';
import { createServices, type Services } from '../../server/services.js';
import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';
import { createLogger } from '../../server/shared/logger.js';
import { freePort, startChild, type ChildServer } from './processes.js';

/** Where the suite creates (and drops) its databases. */
export const ADMIN_DATABASE_URL =
  process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

const KEY_ENCRYPTION_SECRET = 'bench-key-encryption-secret-0123456789abcdef';
const METRICS_TOKEN = 'bench-metrics-token-0123456789';
/** Every token request and introspection the suite makes is allowed: it measures, not limits. */
export const RATE_LIMIT = 1_000_000;
export const ALLOWED_ORIGINS = ['https://app.example.com'];
export const SCOPES = ['payroll:Read', 'employees:Read'];

export const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

export async function createBenchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `latchkey_bench_${randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: ADMIN_DATABASE_URL, pool: { min: 0, max: 1 } });
  await admin.raw(`create database ${name}`);
  await admin.destroy();
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const again = knexFactory({ client: 'pg', connection: ADMIN_DATABASE_URL, pool: { min: 0, max: 1 } });
      await again.raw(`drop database if exists ${name} with (force)`);
      await again.destroy();
    },
  };
}

export interface LatchkeyTarget {
  env: Record<string, string>;
  issuer: string;
  port: number;
  /** Opens the database from this process (before the server starts), migrates, and calls `seed`. */
  seed<T>(seed: (services: Services, knex: Knex) => Promise<T>): Promise<T>;
  start(): Promise<ChildServer>;
  /** Stops the server (if started) and removes the database and DATA_DIR. */
  dispose(): Promise<void>;
}

/**
 * A Latchkey installation on PostgreSQL (`embedded: false`, a new database) or on the embedded
 * database in a new DATA_DIR. Default configuration except: no rate limit reached, no limit on
 * credentials per organization, NODE_ENV=production, /metrics enabled; `env` adds or overrides.
 */
export async function createLatchkey(options: {
  embedded: boolean;
  logDir: string;
  name: string;
  env?: Record<string, string>;
  /** Node options after npm start's (V8 flags NODE_OPTIONS does not accept). */
  nodeOptions?: string[];
}): Promise<LatchkeyTarget> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lkb-'));
  const database = options.embedded ? undefined : await createBenchDatabase();
  const issuer = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    ISSUER: issuer,
    KEY_ENCRYPTION_SECRET,
    DATA_DIR: dataDir,
    RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
    RATE_LIMIT_MAX_PER_MINUTE: String(RATE_LIMIT),
    DEFAULT_MAX_API_CLIENTS: '0',
    DEFAULT_MAX_RESTRICTED_TOKENS: '0',
    METRICS_TOKEN,
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...options.env,
  };
  let server: ChildServer | undefined;
  let disposed: Promise<void> | undefined;

  async function open(): Promise<Database> {
    return database ? openPostgres(database.url, 4) : openEmbeddedOwner(dataDir, 1);
  }

  const target: LatchkeyTarget = {
    env,
    issuer,
    port,
    async seed(seed) {
      const config = loadConfig(env);
      const db = await open();
      try {
        await migrateLatest(db);
        const services = createServices(config, loadCatalog(config.catalogFile, config.issuer), db, createLogger('warn'));
        return await seed(services, db.knex);
      } finally {
        await db.close();
      }
    },
    async start() {
      server = await startChild({
        entry: 'server/main.ts',
        env,
        port,
        logFile: path.join(options.logDir, `${options.name}.log`),
        nodeOptions: options.nodeOptions,
      });
      return server;
    },
    dispose() {
      disposed ??= (async () => {
        live.delete(target);
        await server?.stop();
        await database?.drop();
        rmSync(dataDir, { recursive: true, force: true });
      })();
      return disposed;
    },
  };
  live.add(target);
  return target;
}

/** Installations not yet disposed of, for an interrupted run. */
const live = new Set<LatchkeyTarget>();

/** Stops every Latchkey still running and removes its database and DATA_DIR. */
export async function disposeAll(): Promise<void> {
  await Promise.all([...live].map((target) => target.dispose()));
}

export interface SeededClient {
  org_id: string;
  client_id: string;
  client_secret: string;
}

/** An organization and one API client created as the CLI creates them (bcrypt at BCRYPT_COST). */
export async function createClient(services: Services, input: Record<string, unknown> = {}, orgId?: string): Promise<SeededClient> {
  const org = orgId ?? (await services.orgs.create({ name: `Bench ${randomBytes(3).toString('hex')}` }, OPERATOR_CONTEXT)).id;
  const created = await services.clients.create(
    org,
    { name: 'Bench client', scopes: SCOPES, allowed_origins: ALLOWED_ORIGINS, ...input },
    OPERATOR_CONTEXT,
  );
  return { org_id: org, client_id: created.client_id, client_secret: created.client_secret };
}

/**
 * Inserts `count` API clients straight into api_clients, spread over `orgIds`, all with the same
 * secret whose bcrypt hash (at `cost`) is computed once: client ids are `<prefix><n>`, n from 0.
 * Each client's secret is still checked with bcrypt on its first request, at that cost.
 */
export async function insertClients(
  knex: Knex,
  options: { count: number; orgIds: string[]; prefix: string; secret: string; cost: number },
): Promise<void> {
  const hash = await bcrypt.hash(options.secret, options.cost);
  const chunk = 50_000;
  for (let start = 0; start < options.count; start += chunk) {
    await knex.raw(
      `insert into api_clients (org_id, client_id, name, allowed_origins, scopes, secret_hash, secret_last4, created_by)
       select (?::uuid[])[1 + i % ?], ? || i, 'Filler ' || i, ?::text[], ?::text[], ?, right(?, 4),
              '{"type":"operator","id":null,"name":"operator"}'::jsonb
       from generate_series(?::int, ?::int) as i`,
      [options.orgIds, options.orgIds.length, options.prefix, ALLOWED_ORIGINS, SCOPES, hash, options.secret, start, Math.min(options.count, start + chunk) - 1],
    );
  }
}

/** `count` organizations inserted in one statement; returns their ids. */
export async function insertOrgs(knex: Knex, count: number): Promise<string[]> {
  const rows = (await knex.raw(`insert into organizations (name) select 'Filler org ' || i from generate_series(1, ?::int) as i returning id`, [count])) as {
    rows: Array<{ id: string }>;
  };
  return rows.rows.map((row) => row.id);
}

/** Requests one token and returns it; throws with the answer when the server refuses. */
export async function fetchToken(issuer: string, clientId: string, secret: string, resource?: string): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'client_credentials', ...(resource ? { resource } : {}) });
  const response = await fetch(`${issuer}/oauth/token`, {
    method: 'POST',
    headers: { authorization: basic(clientId, secret), 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const answer = (await response.json()) as { access_token?: string };
  if (response.status !== 200 || !answer.access_token) throw new Error(`token request answered ${response.status}: ${JSON.stringify(answer)}`);
  return answer.access_token;
}

/** The server's unlabelled Prometheus samples (GET /metrics), by name. */
export async function readMetrics(url: string): Promise<Map<string, number>> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    const match = /^([a-z_]+) ([0-9.e+-]+)$/i.exec(line);
    if (match) samples.set(match[1] as string, Number(match[2]));
  }
  return samples;
}

/** What the server's own metrics say about a measured stretch: bcrypt work done, heap in use. */
export async function serverNote(url: string, before: Map<string, number>): Promise<string> {
  const after = await readMetrics(url);
  const bcrypt = (after.get('latchkey_bcrypt_verifications') ?? 0) - (before.get('latchkey_bcrypt_verifications') ?? 0);
  const heap = (after.get('latchkey_nodejs_heap_size_used_bytes') ?? 0) / 1024 ** 2;
  return `bcrypt checks during the runs: ${bcrypt}; V8 heap in use after them: ${Math.round(heap)} MB`;
}
