// The rules for API clients: creation with a show-once secret, listing, disable/enable, delete.
import type { Catalog } from '../../config/catalog.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import type { Actor } from '../shared/actor.js';
import { AppError } from '../shared/errors.js';
import { generateClientId, generateClientSecret, hashSecret, lastFour } from '../shared/secrets.js';
import { parseInput } from '../shared/validation.js';
import { createClientSchema } from './clients.schema.js';
import type { ApiClientRow, ClientsRepository } from './clients.repository.js';

export function toApiClientJson(row: ApiClientRow) {
  return {
    id: row.id,
    client_id: row.client_id,
    name: row.name,
    description: row.description,
    allowed_origins: row.allowed_origins,
    scopes: row.scopes,
    status: row.status,
    secret_last4: row.secret_last4,
    expires_at: row.expires_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
    created_by: row.created_by,
    updated_at: row.updated_at.toISOString(),
    last_used_at: row.last_used_at?.toISOString() ?? null,
  };
}

export type ApiClientJson = ReturnType<typeof toApiClientJson>;

export interface ClientsServiceDeps {
  repository: ClientsRepository;
  orgs: OrgsService;
  catalog: Catalog;
  bcryptCost: number;
}

export function createClientsService({ repository, orgs, catalog, bcryptCost }: ClientsServiceDeps) {
  async function requireClient(orgId: string, id: string): Promise<ApiClientRow> {
    await orgs.require(orgId);
    const row = await repository.findInOrg(orgId, id);
    if (!row) throw AppError.notFound('API client');
    return row;
  }

  return {
    /** Creates a client; the answer is the only place its secret ever appears. */
    async create(orgId: string, input: unknown, actor: Actor) {
      const parsed = parseInput(createClientSchema, input);
      const scopes = [...new Set(parsed.scopes)];
      const unknown = scopes.filter((scope) => !catalog.scopes.has(scope));
      if (unknown.length > 0) {
        throw AppError.invalidRequest(`scopes: unknown scope ${unknown.join(', ')}; see the scope catalog`);
      }
      await orgs.require(orgId);

      const secret = generateClientSecret();
      const row = await repository.insert({
        org_id: orgId,
        client_id: generateClientId(),
        name: parsed.name,
        description: parsed.description,
        allowed_origins: parsed.allowed_origins,
        scopes,
        secret_hash: await hashSecret(secret, bcryptCost),
        secret_last4: lastFour(secret),
        expires_at: parsed.expires_at,
        created_by: actor,
      });
      return { ...toApiClientJson(row), client_secret: secret };
    },

    async list(orgId: string) {
      await orgs.require(orgId);
      return (await repository.listByOrg(orgId)).map(toApiClientJson);
    },

    async get(orgId: string, id: string) {
      return toApiClientJson(await requireClient(orgId, id));
    },

    async setStatus(orgId: string, id: string, status: ApiClientRow['status']) {
      const row = await requireClient(orgId, id);
      if (row.status === status) return toApiClientJson(row);
      return toApiClientJson(await repository.setStatus(row.id, status));
    },

    async delete(orgId: string, id: string) {
      const row = await requireClient(orgId, id);
      await repository.softDelete(row.id);
      return { id: row.id, client_id: row.client_id, deleted: true };
    },
  };
}

export type ClientsService = ReturnType<typeof createClientsService>;
