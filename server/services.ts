// Wires repositories and services over one database. The server and the CLI both start here, so
// they share every rule.
import type { Catalog } from '../config/catalog.js';
import type { Config } from '../config/index.js';
import { createClientsRepository } from './clients/clients.repository.js';
import { createClientsService } from './clients/clients.service.js';
import type { Database } from './db/database.js';
import { createKeyCipher, resolveKeyEncryptionSecret } from './keys/key-encryption.js';
import { createKeysRepository } from './keys/keys.repository.js';
import { createKeysService } from './keys/keys.service.js';
import { createOrgsRepository } from './orgs/orgs.repository.js';
import { createOrgsService } from './orgs/orgs.service.js';
import type { Logger } from './shared/logger.js';

export function createServices(config: Config, catalog: Catalog, db: Database, logger: Logger) {
  const orgs = createOrgsService(createOrgsRepository(db.knex));
  const clientsRepository = createClientsRepository(db.knex);
  const clients = createClientsService({
    repository: clientsRepository,
    orgs,
    catalog,
    bcryptCost: config.bcryptCost,
  });
  const keys = createKeysService({
    repository: createKeysRepository(db.knex),
    cipher: createKeyCipher(resolveKeyEncryptionSecret(config, logger)),
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
  });
  return { orgs, clients, clientsRepository, keys };
}

export type Services = ReturnType<typeof createServices>;
