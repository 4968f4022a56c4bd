// Starts a complete Latchkey server on an open database: migrations, signing keys, provider,
// HTTP listener. main.ts adds the process concerns (signals, exit codes); tests call this directly.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadCatalog, type Catalog } from '../config/catalog.js';
import type { Config } from '../config/index.js';
import { createApp } from './app.js';
import { createAuthService } from './auth/auth.service.js';
import { migrateLatest, type Database } from './db/database.js';
import { createProviderHolder } from './oidc/provider-holder.js';
import { createServices } from './services.js';
import type { Logger } from './shared/logger.js';
import { createSecretVerifier } from './shared/secrets.js';

export interface RunningServer {
  url: string;
  port: number;
  server: http.Server;
  /** Stops accepting connections, waits for in-flight requests (up to the timeout), closes the db. */
  close(): Promise<void>;
  refreshKeys(): Promise<boolean>;
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
  const provider = await createProviderHolder({
    config,
    catalog,
    clients: services.clientsRepository,
    verifier: createSecretVerifier({
      cacheSeconds: config.verifiedSecretCacheSeconds,
    }),
    keys: services.keys,
    logger,
    onTokenIssued: createLastUsedRecorder((id) => services.clientsRepository.touchLastUsed(id), logger),
  });
  provider.startPolling(config.keyRefreshIntervalSeconds);

  const auth = createAuthService({ db: db.knex, config, publicJwks: () => provider.publicJwks });
  const app = createApp({ config, catalog, db, logger, provider, services, auth });
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  logger.info({ issuer: config.issuer, port, database: db.description }, 'Latchkey is listening');
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
    close() {
      closing ??= (async () => {
        provider.stop();
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
        await db.close();
      })();
      return closing;
    },
  };
}
