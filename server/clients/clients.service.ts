// The rules for API clients: creation with a show-once secret within the organization's limit,
// listing, editing, disable/enable, delete, secret rotation. Every change is audited in its own
// transaction.
import type { Knex } from 'knex';
import type { Catalog } from '../../config/catalog.js';
import { createAuditRepository } from '../audit/audit.repository.js';
import { createRevocationRepository } from '../revocation/revocation.repository.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import type { RequestContext } from '../shared/actor.js';
import { AppError } from '../shared/errors.js';
import { generateClientId, generateClientSecret, hashSecret, lastFour } from '../shared/secrets.js';
import { diff, inTransaction } from '../shared/transaction.js';
import { parseInput, rejectImmutableFields } from '../shared/validation.js';
import { createClientSchema, IMMUTABLE_CLIENT_FIELDS, rotateSecretSchema, updateClientSchema } from './clients.schema.js';
import { forgetClientsHere } from './client-cache.js';
import { createClientsRepository, type ApiClientRow } from './clients.repository.js';

export function toApiClientJson(row: ApiClientRow, defaultRateLimit: number) {
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
    rate_limit: {
      per_minute: row.rate_limit_per_minute ?? defaultRateLimit,
      source: row.rate_limit_per_minute === null ? ('default' as const) : ('client' as const),
    },
  };
}

export type ApiClientJson = ReturnType<typeof toApiClientJson>;

export interface ClientsServiceDeps {
  db: Knex;
  orgs: OrgsService;
  catalog: Catalog;
  bcryptCost: number;
  /** How long an issued token can live: how long a per-client not-before stays in the feed. */
  accessTokenTtlSeconds: number;
  rateLimitPerMinute: number;
  rateLimitMaxPerMinute: number;
}

const target = (row: Pick<ApiClientRow, 'id' | 'name'>) => ({ type: 'api_client', id: row.id, name: row.name });

/** Once the change committed, this process's client caches forget the client it changed. */
async function forgetAfter<T extends { client_id: string }>(change: Promise<T>): Promise<T> {
  const result = await change;
  forgetClientsHere([result.client_id]);
  return result;
}

export function createClientsService(deps: ClientsServiceDeps) {
  const { db, orgs, catalog, bcryptCost, accessTokenTtlSeconds, rateLimitPerMinute, rateLimitMaxPerMinute } = deps;
  const asJson = (row: ApiClientRow) => toApiClientJson(row, rateLimitPerMinute);
  const repository = createClientsRepository(db);
  /** Every token the client was issued before `at` stops passing introspection and enters the feed. */
  const revokeIssuedTokens = (trx: Knex, clientId: string, at = new Date(), rotation = false) =>
    createRevocationRepository(trx).setClientNotBefore(clientId, at, accessTokenTtlSeconds, { rotation });

  async function requireClient(orgId: string, id: string, trx: Knex = db, lock = false): Promise<ApiClientRow> {
    await orgs.require(orgId, trx);
    const row = await createClientsRepository(trx).findInOrg(orgId, id, { lock });
    if (!row) throw AppError.notFound('API client');
    return row;
  }

  /** Throws the 409 that says how to free a slot when the organization is at its limit. */
  async function assertBelowLimit(trx: Knex.Transaction, orgId: string) {
    const org = await orgs.lock(trx, orgId);
    const limit = orgs.limitOf(org, 'api_clients');
    if (limit === 0) return;
    const active = await createClientsRepository(trx).countActive(orgId);
    if (active >= limit) {
      throw AppError.conflict(
        `this organization is at its limit of active API clients (${active} of ${limit}): disable or delete an API client to free a slot`,
      );
    }
  }

  return {
    /** Creates a client; the answer is the only place its secret ever appears. */
    async create(orgId: string, input: unknown, context: RequestContext) {
      const parsed = parseInput(createClientSchema, input);
      const scopes = [...new Set(parsed.scopes)];
      const unknown = scopes.filter((scope) => !catalog.scopes.has(scope));
      if (unknown.length > 0) {
        throw AppError.invalidRequest(`scopes: unknown scope ${unknown.join(', ')}; see the scope catalog`);
      }
      await orgs.require(orgId);
      // bcrypt before the transaction: the organization stays locked only for the insert.
      const secret = generateClientSecret();
      const secretHash = await hashSecret(secret, bcryptCost);

      return inTransaction(db, async (trx) => {
        await assertBelowLimit(trx, orgId);
        const row = await createClientsRepository(trx).insert({
          org_id: orgId,
          client_id: generateClientId(),
          name: parsed.name,
          description: parsed.description,
          allowed_origins: parsed.allowed_origins,
          scopes,
          secret_hash: secretHash,
          secret_last4: lastFour(secret),
          expires_at: parsed.expires_at,
          created_by: context.actor,
        });
        const json = asJson(row);
        await createAuditRepository(trx).insert(context, {
          orgId,
          action: 'api_client.created',
          target: target(row),
          metadata: {
            client_id: row.client_id,
            name: row.name,
            description: row.description,
            allowed_origins: row.allowed_origins,
            scopes: row.scopes,
            expires_at: json.expires_at,
          },
        });
        return { ...json, client_secret: secret };
      });
    },

    async list(orgId: string) {
      await orgs.require(orgId);
      return (await repository.listByOrg(orgId)).map(asJson);
    },

    async get(orgId: string, id: string) {
      return asJson(await requireClient(orgId, id));
    },

    /** Name, description and allowed origins only; anything else is a 400 naming the field. */
    async update(orgId: string, id: string, input: unknown, context: RequestContext) {
      rejectImmutableFields(input, IMMUTABLE_CLIENT_FIELDS);
      const changes = parseInput(updateClientSchema, input);
      if (typeof changes.rate_limit_per_minute === 'number' && changes.rate_limit_per_minute > rateLimitMaxPerMinute) {
        throw AppError.invalidRequest(`rate_limit_per_minute: must be at most ${rateLimitMaxPerMinute} (the operator's maximum)`);
      }
      return forgetAfter(inTransaction(db, async (trx) => {
        const before = await requireClient(orgId, id, trx, true);
        const changed = diff(before, changes);
        if (Object.keys(changed).length === 0) return asJson(before);
        const after = await createClientsRepository(trx).update(before.id, changes);
        await createAuditRepository(trx).insert(context, {
          orgId,
          action: 'api_client.updated',
          target: target(after),
          metadata: { changes: changed },
        });
        return asJson(after);
      }));
    },

    /** active -> disabled, or (operator only) disabled -> active within the limit. */
    async setStatus(orgId: string, id: string, status: ApiClientRow['status'], context: RequestContext) {
      return forgetAfter(inTransaction(db, async (trx) => {
        const current = await requireClient(orgId, id, trx);
        if (current.status === status) return asJson(current);
        // Organization before client, the order create takes its locks in.
        if (status === 'active') await assertBelowLimit(trx, orgId);
        const row = await requireClient(orgId, id, trx, true);
        if (row.status === status) return asJson(row);
        const after = await createClientsRepository(trx).setStatus(row.id, status);
        if (status === 'disabled') await revokeIssuedTokens(trx, row.client_id);
        await createAuditRepository(trx).insert(context, {
          orgId,
          action: status === 'disabled' ? 'api_client.disabled' : 'api_client.enabled',
          target: target(after),
          metadata: { client_id: after.client_id },
        });
        return asJson(after);
      }));
    },

    async delete(orgId: string, id: string, context: RequestContext) {
      return forgetAfter(inTransaction(db, async (trx) => {
        const row = await requireClient(orgId, id, trx, true);
        await createClientsRepository(trx).softDelete(row.id);
        await revokeIssuedTokens(trx, row.client_id);
        await createAuditRepository(trx).insert(context, {
          orgId,
          action: 'api_client.deleted',
          target: target(row),
          metadata: { client_id: row.client_id },
        });
        return { id: row.id, client_id: row.client_id, deleted: true as const };
      }));
    },

    /**
     * A new secret, shown once. The old one stops working at once, or keeps working for
     * grace_period_seconds (at most 7 days) so that a deployment can roll over without downtime.
     */
    async rotateSecret(orgId: string, id: string, input: unknown, context: RequestContext) {
      const { grace_period_seconds: grace } = parseInput(rotateSecretSchema, input ?? {});
      await requireClient(orgId, id);
      const secret = generateClientSecret();
      const secretHash = await hashSecret(secret, bcryptCost);
      return forgetAfter(inTransaction(db, async (trx) => {
        const before = await requireClient(orgId, id, trx, true);
        const previousExpiresAt = grace > 0 ? new Date(Date.now() + grace * 1000) : null;
        const after = await createClientsRepository(trx).update(before.id, {
          secret_hash: secretHash,
          secret_last4: lastFour(secret),
          previous_secret_hash: grace > 0 ? before.secret_hash : null,
          previous_secret_expires_at: previousExpiresAt,
          secret_rotated_at: trx.fn.now(),
        });
        // Tokens issued before the old secret stops working are revoked once it does.
        await revokeIssuedTokens(trx, after.client_id, previousExpiresAt ?? new Date(), true);
        await createAuditRepository(trx).insert(context, {
          orgId,
          action: 'api_client.secret_rotated',
          target: target(after),
          metadata: {
            client_id: after.client_id,
            grace_period_seconds: grace,
            previous_secret_last4: before.secret_last4,
            previous_secret_expires_at: previousExpiresAt?.toISOString() ?? null,
          },
        });
        return {
          ...asJson(after),
          client_secret: secret,
          previous_secret_expires_at: previousExpiresAt?.toISOString() ?? null,
        };
      }));
    },
  };
}

export type ClientsService = ReturnType<typeof createClientsService>;
