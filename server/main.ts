// The only module with process-wide side effects: read config, open the database, serve, and shut
// down cleanly on SIGTERM/SIGINT.
import cluster from 'node:cluster';
import { CatalogError, loadCatalog } from '../config/catalog.js';
import { ConfigError, loadConfig } from '../config/index.js';
import { EmbeddedDatabaseBusyError, openServerDatabase } from './db/database.js';
import { startServer } from './runtime.js';
import { createLogger, type Logger } from './shared/logger.js';

/**
 * WORKERS > 1: this process only forks the servers, which share the port (node:cluster hands
 * each connection to one of them). Each worker is a whole server with its own caches, kept
 * correct by the database's notifications; a worker that dies is replaced. SIGTERM/SIGINT are
 * passed on, and this process exits once every worker has drained and stopped.
 */
function superviseWorkers(count: number, logger: Logger) {
  let stopping = false;
  const fork = () => cluster.fork();
  for (let i = 0; i < count; i += 1) fork();
  const listened = new Set<number>();
  cluster.on('listening', (worker) => listened.add(worker.id));
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping && !listened.has(worker.id)) {
      // It never served: another would fail the same way (configuration, database).
      logger.fatal({ pid: worker.process.pid, code }, 'a worker failed to start; stopping');
      stopping = true;
      for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGTERM');
      process.exitCode = 1;
      return;
    }
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.info('stopped');
        process.exit();
      }
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'a worker exited; starting another');
    setTimeout(fork, 1000).unref();
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: count }, 'shutting down: stopping every worker');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  logger.info({ workers: count }, 'starting worker processes');
}

async function main() {
  let config;
  let catalog;
  try {
    config = loadConfig();
    catalog = loadCatalog(config.catalogFile, config.issuer);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof CatalogError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const logger = createLogger(config.logLevel);
  if (config.workers > 1 && cluster.isPrimary) {
    superviseWorkers(config.workers, logger);
    return;
  }
  let db;
  try {
    db = await openServerDatabase(config);
  } catch (error) {
    if (error instanceof EmbeddedDatabaseBusyError) {
      logger.fatal(`${error.message}: stop the other Latchkey server or choose another DATA_DIR`);
      process.exit(1);
    }
    throw error;
  }

  const running = await startServer(config, db, logger, catalog);
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    running.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`Latchkey failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
