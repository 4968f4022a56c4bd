// Wires the services over one database. The server and the CLI both start here, so they share
// every rule.
import type { Catalog } from '../config/catalog.js';
import type { Config } from '../config/index.js';
import { createAuditService } from './audit/audit.service.js';
import { createClientsRepository } from './clients/clients.repository.js';
import { createClientsService } from './clients/clients.service.js';
import type { Database } from './db/database.js';
import { createKeyCipher, resolveKeyEncryptionSecret } from './keys/key-encryption.js';
import { createKeysRepository } from './keys/keys.repository.js';
import { createKeysService } from './keys/keys.service.js';
import { createMembersService } from './members/members.service.js';
import { createOrgsService } from './orgs/orgs.service.js';
import { createRevokeAll } from './orgs/revoke-all.js';
import { createResourceServersService } from './resource-servers/resource-servers.service.js';
import { createRestrictedTokensService } from './restricted-tokens/restricted-tokens.service.js';
import type { Logger } from './shared/logger.js';
import { createApiLogsService } from './usage/api-logs.service.js';
import { createUsageService } from './usage/usage.service.js';

export function createServices(config: Config, catalog: Catalog, db: Database, logger: Logger) {
  const knex = db.knex;
  const orgs = createOrgsService(knex, config);
  const clients = createClientsService({
    db: knex,
    orgs,
    catalog,
    bcryptCost: config.bcryptCost,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    rateLimitPerMinute: config.rateLimitPerMinute,
    rateLimitMaxPerMinute: config.rateLimitMaxPerMinute,
  });
  const restrictedTokens = createRestrictedTokensService({ db: knex, orgs, catalog });
  return {
    db: knex,
    orgs,
    resourceServers: createResourceServersService({ db: knex, bcryptCost: config.bcryptCost }),
    clients,
    clientsRepository: createClientsRepository(knex),
    restrictedTokens,
    members: createMembersService({ db: knex, orgs, bcryptCost: config.bcryptCost }),
    audit: createAuditService({ db: knex, orgs }),
    usage: createUsageService({ db: knex, orgs, clients, restrictedTokens }),
    apiLogs: createApiLogsService({ db: knex, orgs }),
    revokeAll: createRevokeAll({ db: knex, orgs, accessTokenTtlSeconds: config.accessTokenTtlSeconds }),
    keys: createKeysService({
      repository: createKeysRepository(knex),
      cipher: createKeyCipher(resolveKeyEncryptionSecret(config, logger)),
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    }),
  };
}

export type Services = ReturnType<typeof createServices>;
