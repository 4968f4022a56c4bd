// The only module with process-wide side effects: read config, open the database, serve, and shut
// down cleanly on SIGTERM/SIGINT.
import { CatalogError, loadCatalog } from '../config/catalog.js';
import { ConfigError, loadConfig } from '../config/index.js';
import { EmbeddedDatabaseBusyError, openServerDatabase } from './db/database.js';
import { startServer } from './runtime.js';
import { createLogger } from './shared/logger.js';

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
