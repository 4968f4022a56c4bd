// Restricted access tokens: long-lived opaque tokens for browser-only apps, bound to an IP
// allow-list and to the catalog's restricted (read-only) scopes. No status: valid until deleted
// or expired. Only a SHA-256 of the token is stored.
import type { Knex } from 'knex';
import type { Catalog } from '../../config/catalog.js';
import { createAuditRepository } from '../audit/audit.repository.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import type { RequestContext } from '../shared/actor.js';
import { AppError } from '../shared/errors.js';
import { generateRestrictedToken, hashToken, lastFour } from '../shared/secrets.js';
import { diff, inTransaction } from '../shared/transaction.js';
import { parseInput, rejectImmutableFields } from '../shared/validation.js';
import { createRestrictedTokensRepository, type RestrictedTokenRow } from './restricted-tokens.repository.js';
import { createRestrictedTokenSchema, IMMUTABLE_TOKEN_FIELDS, updateRestrictedTokenSchema } from './restricted-tokens.schema.js';

export function toRestrictedTokenJson(row: RestrictedTokenRow) {
  return {
    id: row.id,
    name: row.name,
    allowed_ips: row.allowed_ips,
    scopes: row.scopes,
    token_last4: row.token_last4,
    expires_at: row.expires_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
    created_by: row.created_by,
    last_used_at: row.last_used_at?.toISOString() ?? null,
  };
}

export type RestrictedTokenJson = ReturnType<typeof toRestrictedTokenJson>;

const target = (row: Pick<RestrictedTokenRow, 'id' | 'name'>) => ({ type: 'restricted_token', id: row.id, name: row.name });

export function createRestrictedTokensService({ db, orgs, catalog }: { db: Knex; orgs: OrgsService; catalog: Catalog }) {
  async function requireToken(orgId: string, id: string, trx: Knex = db, lock = false) {
    await orgs.require(orgId, trx);
    const row = await createRestrictedTokensRepository(trx).findInOrg(orgId, id, { lock });
    if (!row) throw AppError.notFound('restricted token');
    return row;
  }

  return {
    /** Creates a token; the answer is the only place the token ever appears. */
    async create(orgId: string, input: unknown, context: RequestContext) {
      const parsed = parseInput(createRestrictedTokenSchema, input);
      const scopes = [...new Set(parsed.scopes)];
      const unknown = scopes.filter((scope) => !catalog.scopes.has(scope));
      if (unknown.length > 0) throw AppError.invalidRequest(`scopes: unknown scope ${unknown.join(', ')}; see the scope catalog`);
      const unrestricted = scopes.filter((scope) => !catalog.scopes.get(scope)?.restricted);
      if (unrestricted.length > 0) {
        throw AppError.invalidRequest(
          `scopes: ${unrestricted.join(', ')} cannot be granted to a restricted token; use an API client for it`,
        );
      }
      const token = generateRestrictedToken();
      return inTransaction(db, async (trx) => {
        const org = await orgs.lock(trx, orgId);
        const limit = orgs.limitOf(org, 'restricted_tokens');
        const repository = createRestrictedTokensRepository(trx);
        if (limit > 0) {
          const live = await repository.countLive(orgId);
          if (live >= limit) {
            throw AppError.conflict(
              `this organization is at its limit of restricted tokens (${live} of ${limit}): delete a restricted token to free a slot`,
            );
          }
        }
        const row = await repository.insert({
          org_id: orgId,
          name: parsed.name,
          token_hash: hashToken(token),
          token_last4: lastFour(token),
          allowed_ips: parsed.allowed_ips,
          scopes,
          expires_at: parsed.expires_at,
          created_by: context.actor,
        });
        const json = toRestrictedTokenJson(row);
        await createAuditRepository(trx).insert(context, {
          orgId,
          action: 'restricted_token.created',
          target: target(row),
          metadata: { name: row.name, allowed_ips: row.allowed_ips, scopes: row.scopes, expires_at: json.expires_at },
        });
        return { ...json, token };
      });
    },

    async list(orgId: string) {
      await orgs.require(orgId);
      return (await createRestrictedTokensRepository(db).listByOrg(orgId)).map(toRestrictedTokenJson);
    },

    async get(orgId: string, id: string) {
      return toRestrictedTokenJson(await requireToken(orgId, id));
    },

    /** Name and allowed IPs only; anything else is a 400 naming the field. */
    async update(orgId: string, id: string, input: unknown, context: RequestContext) {
      rejectImmutableFields(input, IMMUTABLE_TOKEN_FIELDS);
      const changes = parseInput(updateRestrictedTokenSchema, input);
      return inTransaction(db, async (trx) => {
        const before = await requireToken(orgId, id, trx, true);
        const changed = diff(before, changes);
        if (Object.keys(changed).length === 0) return toRestrictedTokenJson(before);
        const after = await createRestrictedTokensRepository(trx).update(before.id, changes);
        await createAuditRepository(trx).insert(context, {
          orgId,
          action: 'restricted_token.updated',
          target: target(after),
          metadata: { changes: changed },
        });
        return toRestrictedTokenJson(after);
      });
    },

    touchLastUsed: (id: string) => createRestrictedTokensRepository(db).touchLastUsed(id),

    async delete(orgId: string, id: string, context: RequestContext) {
      return inTransaction(db, async (trx) => {
        const row = await requireToken(orgId, id, trx, true);
        await createRestrictedTokensRepository(trx).softDelete(row.id);
        await createAuditRepository(trx).insert(context, {
          orgId,
          action: 'restricted_token.deleted',
          target: target(row),
          metadata: { token_last4: row.token_last4 },
        });
        return { id: row.id, deleted: true as const };
      });
    },
  };
}

export type RestrictedTokensService = ReturnType<typeof createRestrictedTokensService>;
