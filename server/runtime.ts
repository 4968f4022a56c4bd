// Starts a complete Latchkey server on an open database: migrations, signing keys, provider,
// HTTP listener. main.ts adds the process concerns (signals, exit codes); tests call this directly.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadCatalog, type Catalog } from '../config/catalog.js';
import type { Config } from '../config/index.js';
import { createApp } from './app.js';
import { createEnvelope } from './http/envelope.js';
import { createFrontDoor } from './http/front-door.js';
import { createTokenRoute, createTokenChecks } from './http/token-route.js';
import { createClientCache, type ClientCache } from './clients/client-cache.js';
import { CONSOLE_NOT_BUILT, CONSOLE_PATH, consoleIsBuilt } from './console/console.routes.js';
import type { Knex } from 'knex';
import { createAuthService } from './auth/auth.service.js';
import { createMetrics } from './metrics.js';
import { createAccessTokenVerifier } from './oidc/verify.js';
import { createResourceEndpoints } from './resource-servers/endpoints.js';
import { createRevocationRepository } from './revocation/revocation.repository.js';
import { createTokenState } from './revocation/token-state.js';
import { migrateLatest, type Database } from './db/database.js';
import { createProviderHolder } from './oidc/provider-holder.js';
import { createServices } from './services.js';
import type { Logger } from './shared/logger.js';
import { createCounterStore } from './shared/counters.js';
import { createFailureLimiter } from './shared/failure-limiter.js';
import { createRateLimits } from './shared/rate-limits.js';
import { createSecretVerifier } from './shared/secrets.js';
import { pruneUsageAndLogs } from './usage/retention.js';
import { createUsageRecorder } from './usage/recorder.js';

export interface RunningServer {
  url: string;
  port: number;
  server: http.Server;
  /** Stops accepting connections, waits for in-flight requests (up to the timeout), closes the db. */
  close(): Promise<void>;
  refreshKeys(): Promise<boolean>;
  /** Writes the usage counts and API log rows gathered so far (the timer does it every interval). */
  flushUsage(): Promise<void>;
  /** Hits, misses and invalidations of the API client cache. */
  clientCacheStats(): ClientCache['stats'] extends () => infer S ? S : never;
}

/** Writes last_used_at at most once a minute per client, from memory, off the request path. */
function createLastUsedRecorder(touch: (clientId: string) => Promise<void>, logger: Logger) {
  const lastWrite = new Map<string, number>();
  return (clientId: string) => {
    const now = Date.now();
    if ((lastWrite.get(clientId) ?? 0) > now - 60_000) return;
    lastWrite.set(clientId, now);
    if (lastWrite.size > 100_000) lastWrite.clear();
    touch(clientId).catch((error: unknown) => logger.warn({ err: error }, 'could not record last use'));
  };
}

/**
 * Prunes, every ten minutes (and once soon after start): revocation entries and sessions nothing
 * can depend on any more, API logs and usage buckets past their retention.
 */
function startMaintenance(knex: Knex, config: Config, logger: Logger): NodeJS.Timeout[] {
  const run = () => {
    Promise.all([
      createRevocationRepository(knex).prune(),
      knex('sessions').where('expires_at', '<', knex.fn.now()).del(),
      pruneUsageAndLogs(knex, { apiLogRetentionDays: config.apiLogRetentionDays, usageRetentionDays: config.usageRetentionDays }),
    ]).catch((error: unknown) => logger.warn({ err: error }, 'pruning expired revocations, sessions, API logs or usage failed'));
  };
  const timers = [setTimeout(run, 30_000), setInterval(run, 10 * 60 * 1000)];
  for (const timer of timers) timer.unref();
  return timers;
}

export async function startServer(
  config: Config,
  db: Database,
  logger: Logger,
  catalog: Catalog = loadCatalog(config.catalogFile, config.issuer),
): Promise<RunningServer> {
  const applied = await migrateLatest(db);
  if (applied.length > 0) logger.info({ migrations: applied }, 'applied database migrations');

  const services = createServices(config, catalog, db, logger);
  await services.keys.ensureActive(config.signingAlg);
  // One record of verified secrets for every endpoint that authenticates clients.
  const verifier = createSecretVerifier({ cacheSeconds: config.verifiedSecretCacheSeconds });
  const counters = createCounterStore(config.redisUrl, logger);
  const rateLimits = createRateLimits(counters);
  const limiter = createFailureLimiter(
    {
      maxPerCredential: config.authMaxFailuresPerClient,
      maxPerIp: config.authMaxFailuresPerIp,
      windowSeconds: config.authFailureWindowSeconds,
    },
    counters,
  );
  const clientUsed = createLastUsedRecorder((id) => services.clientsRepository.touchLastUsed(id), logger);
  const usage = createUsageRecorder(db.knex, logger, {
    flushIntervalMs: config.usageFlushIntervalMs,
    maxLogEventsPerSecond: config.apiLogMaxEventsPerSecond,
  });
  const restrictedTokenUsed = createLastUsedRecorder((id) => services.restrictedTokens.touchLastUsed(id), logger);
  const clients = await createClientCache(services.clientsRepository, db, logger);
  const metrics = createMetrics({ knex: db.knex, verifier, limiter, clientCache: clients });
  const provider = await createProviderHolder({
    config,
    catalog,
    clients,
    verifier,
    limiter,
    rateLimits,
    keys: services.keys,
    logger,
    onTokenIssued: (clientId) => {
      metrics.tokenIssued();
      clientUsed(clientId);
    },
  });
  provider.startPolling(config.keyRefreshIntervalSeconds);

  const verifyAccessToken = createAccessTokenVerifier(config.issuer, () => provider.publicJwks);
  const isStillValid = createTokenState(db.knex);
  const auth = createAuthService({ db: db.knex, config, verifyAccessToken, isStillValid, counters });
  const resourceEndpoints = createResourceEndpoints({
    db: db.knex,
    issuer: config.issuer,
    catalog,
    verifier,
    limiter,
    rateLimits,
    rateLimitPerMinute: config.rateLimitPerMinute,
    verifyAccessToken,
    isStillValid,
    resourceServers: services.resourceServers,
    clients,
    onUse: (kind, id) => (kind === 'client' ? clientUsed(id) : restrictedTokenUsed(id)),
  });
  const envelope = createEnvelope({ logger, metrics });
  const tokenChecks = createTokenChecks({ verifier, limiter });
  const app = createApp({ config, catalog, db, logger, provider, services, auth, verifier, resourceEndpoints, metrics, usage, envelope, tokenChecks });
  const maintenance = startMaintenance(db.knex, config, logger);
  const frontDoor = createFrontDoor({ verifier, limiter, usage, metrics, socketIsClient: config.trustProxy === false });
  const tokenRoute = createTokenRoute({
    envelope,
    checks: tokenChecks,
    usage,
    provider,
    trustProxy: app.get('trust proxy fn') as (address: string, hop: number) => boolean,
    logger,
  });
  const server = http.createServer((req, res) => {
    if (!frontDoor(req, res) && !tokenRoute(req, res)) app(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  logger.info({ issuer: config.issuer, port, database: db.description, pid: process.pid }, 'Latchkey is listening');
  if (consoleIsBuilt(config.consoleDir)) logger.info({ url: `${config.issuer}${CONSOLE_PATH}/` }, 'web console');
  else logger.warn({ consoleDir: config.consoleDir }, CONSOLE_NOT_BUILT);
  if ((await services.orgs.count()) === 0) {
    logger.info(
      {
        next: [
          'npm run cli -- orgs create --name "Acme" --json',
          'npm run cli -- clients create --org <org id> --name "Payroll export" --scopes "payroll:Read" --json',
          `curl -u <client_id>:<client_secret> -d grant_type=client_credentials ${config.issuer}/oauth/token`,
        ],
      },
      'No organization exists yet. Create one and a first API client with the commands in "next"',
    );
  }

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    refreshKeys: () => provider.refresh(),
    flushUsage: () => usage.flush(),
    clientCacheStats: () => clients.stats(),
    close() {
      closing ??= (async () => {
        provider.stop();
        for (const timer of maintenance) clearTimeout(timer);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            server.closeAllConnections();
            resolve();
          }, config.shutdownTimeoutSeconds * 1000);
          timer.unref();
          server.close(() => {
            clearTimeout(timer);
            resolve();
          });
          server.closeIdleConnections();
        });
        // After the last request: its usage and log rows are written before the database closes.
        await usage.stop().catch((error: unknown) => logger.warn({ err: error }, 'could not write the last usage counts'));
        await counters.close();
        await clients.close();
        await db.close();
      })();
      return closing;
    },
  };
}
