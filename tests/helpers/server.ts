// Starts a real Latchkey server (real HTTP, real database) inside the test process.
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadCatalog } from '../../config/catalog.js';
import { loadConfig, type Config } from '../../config/index.js';
import type { Database } from '../../server/db/database.js';
import { startServer, type RunningServer } from '../../server/runtime.js';
import { createServices, type Services } from '../../server/services.js';
import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';
import { createLogger } from '../../server/shared/logger.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export const TEST_KEY_ENCRYPTION_SECRET = 'test-key-encryption-secret-0123456789abcdef';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix = 'lk-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Environment for a test server or CLI process; values in `env` win. */
export function testEnv(port: number, env: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    PORT: String(port),
    ISSUER: `http://127.0.0.1:${port}`,
    BCRYPT_COST: '4',
    KEY_ENCRYPTION_SECRET: TEST_KEY_ENCRYPTION_SECRET,
    LOG_LEVEL: 'info',
    DATA_DIR: tempDir(),
    // Tests create many credentials per organization; the limit tests set their own.
    DEFAULT_MAX_API_CLIENTS: '0',
    DEFAULT_MAX_RESTRICTED_TOKENS: '0',
    ...env,
  };
}

/** Everything the server logged, one parsed JSON object per line, and the raw text. */
export class LogCapture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, callback: () => void) {
    this.text += chunk.toString();
    callback();
  }
  get lines(): Array<Record<string, unknown>> {
    return this.text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

export interface TestServer extends RunningServer {
  config: Config;
  issuer: string;
  db: Database;
  services: Services;
  logs: LogCapture;
  /**
   * Changes an API client's row behind the services' back (as an operator's SQL would) and waits
   * until the server's client cache has heard of it through the database notification.
   */
  updateClientRow(id: string, changes: Record<string, unknown>): Promise<void>;
  /** Creates an organization and an API client; returns the client with its secret. */
  createClient(input?: Record<string, unknown>, orgId?: string): Promise<TestClient>;
  stop(): Promise<void>;
}

export interface TestClient {
  id: string;
  org_id: string;
  client_id: string;
  client_secret: string;
  scopes: string[];
}

export async function startTestServer(
  options: { env?: Record<string, string>; db?: TestDatabase } = {},
): Promise<TestServer> {
  const port = await freePort();
  const config = loadConfig(testEnv(port, options.env));
  const db = options.db ?? (await createTestDatabase());
  const logs = new LogCapture();
  const logger = createLogger(config.logLevel, logs);
  const catalog = loadCatalog(config.catalogFile, config.issuer);
  const running = await startServer(config, db, logger, catalog);
  const services = createServices(config, catalog, db, logger);
  return {
    ...running,
    config,
    issuer: config.issuer,
    db,
    services,
    logs,
    async updateClientRow(id, changes) {
      const before = running.clientCacheStats().invalidations;
      await db.knex('api_clients').where({ id }).update(changes);
      const deadline = Date.now() + 5000;
      while (running.clientCacheStats().invalidations === before) {
        if (Date.now() > deadline) throw new Error('the client cache never heard of the change');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    async createClient(input = {}, orgId?: string) {
      const org = orgId ?? (await services.orgs.create({ name: `Org ${Math.random().toString(36).slice(2, 8)}` }, OPERATOR_CONTEXT)).id;
      const created = await services.clients.create(
        org,
        { name: 'Payroll export', scopes: ['payroll:Read', 'employees:Read'], ...input },
        OPERATOR_CONTEXT,
      );
      return {
        id: created.id,
        org_id: org,
        client_id: created.client_id,
        client_secret: created.client_secret,
        scopes: created.scopes,
      };
    },
    stop: () => running.close(),
  };
}
