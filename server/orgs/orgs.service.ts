// Organizations (tenants): creation, limits, and revoke-all.
import type { Knex } from 'knex';
import { z } from 'zod';
import { createAuditRepository } from '../audit/audit.repository.js';
import type { RequestContext } from '../shared/actor.js';
import { AppError } from '../shared/errors.js';
import { diff, inTransaction } from '../shared/transaction.js';
import { CONTROL_CHARACTERS, parseInput, typeError } from '../shared/validation.js';
import { createOrgsRepository, type OrganizationRow } from './orgs.repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string) => UUID.test(value);

export const createOrgSchema = z
  .object({
    name: z
      .string({ error: typeError('a string') })
      .trim()
      .min(1, 'must not be empty')
      .max(100, 'must be at most 100 characters')
      .refine((name) => !CONTROL_CHARACTERS.test(name), 'must not contain control characters'),
  })
  .strict();

const limitValue = z.number({ error: 'must be a whole number (0 = unlimited)' }).int('must be a whole number').min(0, 'must be at least 0').max(100000, 'must be at most 100000');

export const setLimitsSchema = z
  .object({ max_api_clients: limitValue.nullable().optional(), max_restricted_tokens: limitValue.nullable().optional() })
  .strict()
  .refine((value) => value.max_api_clients !== undefined || value.max_restricted_tokens !== undefined, 'give --clients, --tokens or both');

export type LimitKind = 'api_clients' | 'restricted_tokens';

export interface LimitDefaults {
  defaultMaxApiClients: number;
  defaultMaxRestrictedTokens: number;
}

/** The limit in force for an organization (0 = unlimited). */
export function limitOf(org: OrganizationRow, kind: LimitKind, defaults: LimitDefaults): number {
  if (kind === 'api_clients') return org.max_api_clients ?? defaults.defaultMaxApiClients;
  return org.max_restricted_tokens ?? defaults.defaultMaxRestrictedTokens;
}

export function toOrganizationJson(row: OrganizationRow, defaults: LimitDefaults) {
  return {
    id: row.id,
    name: row.name,
    limits: {
      max_api_clients: limitOf(row, 'api_clients', defaults),
      max_restricted_tokens: limitOf(row, 'restricted_tokens', defaults),
    },
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export type OrganizationJson = ReturnType<typeof toOrganizationJson>;

export function createOrgsService(db: Knex, defaults: LimitDefaults) {
  const repository = createOrgsRepository(db);
  const toJson = (row: OrganizationRow) => toOrganizationJson(row, defaults);

  return {
    async create(input: unknown, context: RequestContext) {
      const { name } = parseInput(createOrgSchema, input);
      return inTransaction(db, async (trx) => {
        const row = await createOrgsRepository(trx).insert(name);
        await createAuditRepository(trx).insert(context, {
          orgId: row.id,
          action: 'org.created',
          target: { type: 'organization', id: row.id, name: row.name },
          metadata: { name },
        });
        return toJson(row);
      });
    },

    /** The organization, or a 404 (a malformed id is simply not found). */
    async require(id: string, trx: Knex = db): Promise<OrganizationRow> {
      const row = isUuid(id) ? await createOrgsRepository(trx).findById(id) : undefined;
      if (!row) throw AppError.notFound('organization');
      return row;
    },

    /** Locks the organization for the rest of the transaction, or a 404. */
    async lock(trx: Knex.Transaction, id: string): Promise<OrganizationRow> {
      const row = isUuid(id) ? await createOrgsRepository(trx).lockById(id) : undefined;
      if (!row) throw AppError.notFound('organization');
      return row;
    },

    async get(id: string) {
      return toJson(await this.require(id));
    },

    async list(ids?: string[]) {
      return (await repository.list(ids)).map(toJson);
    },

    count: () => repository.count(),

    async setLimits(id: string, input: unknown, context: RequestContext) {
      const limits = parseInput(setLimitsSchema, input);
      return inTransaction(db, async (trx) => {
        const before = await this.lock(trx, id);
        const after = await createOrgsRepository(trx).setLimits(id, limits);
        await createAuditRepository(trx).insert(context, {
          orgId: id,
          action: 'org.limits_changed',
          target: { type: 'organization', id, name: before.name },
          metadata: { changes: diff(before, limits) },
        });
        return toJson(after);
      });
    },

    limitOf: (org: OrganizationRow, kind: LimitKind) => limitOf(org, kind, defaults),
  };
}

export type OrgsService = ReturnType<typeof createOrgsService>;
