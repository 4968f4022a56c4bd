// Resource-server credentials: what the platform's APIs use to call introspection and read the
// revocation feed. Created by the operator; the secret is shown once and stored as a bcrypt hash.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { z } from 'zod';
import { createAuditRepository } from '../audit/audit.repository.js';
import { clientName } from '../clients/clients.schema.js';
import type { RequestContext } from '../shared/actor.js';
import { AppError } from '../shared/errors.js';
import { generateClientSecret, hashSecret, lastFour } from '../shared/secrets.js';
import { inTransaction } from '../shared/transaction.js';
import { parseInput } from '../shared/validation.js';

export const RESOURCE_SERVER_ID_PREFIX = 'lkrs_';

export interface ResourceServerRow {
  id: string;
  name: string;
  client_id: string;
  secret_hash: string;
  secret_last4: string;
  created_at: Date;
  deleted_at: Date | null;
}

const createSchema = z.object({ name: clientName }).strict();

export function toResourceServerJson(row: ResourceServerRow) {
  return { id: row.id, name: row.name, client_id: row.client_id, secret_last4: row.secret_last4, created_at: row.created_at.toISOString() };
}

export function createResourceServersService({ db, bcryptCost }: { db: Knex; bcryptCost: number }) {
  const live = (trx: Knex = db) => trx<ResourceServerRow>('resource_servers').whereNull('deleted_at');
  const target = (row: ResourceServerRow) => ({ type: 'resource_server', id: row.id, name: row.name });

  return {
    async create(input: unknown, context: RequestContext) {
      const { name } = parseInput(createSchema, input);
      const secret = generateClientSecret();
      const secretHash = await hashSecret(secret, bcryptCost);
      return inTransaction(db, async (trx) => {
        const [row] = (await trx('resource_servers')
          .insert({
            name,
            client_id: RESOURCE_SERVER_ID_PREFIX + randomBytes(16).toString('base64url'),
            secret_hash: secretHash,
            secret_last4: lastFour(secret),
          })
          .returning('*')) as ResourceServerRow[];
        const created = row as ResourceServerRow;
        await createAuditRepository(trx).insert(context, { orgId: null, action: 'resource_server.created', target: target(created), metadata: { client_id: created.client_id } });
        return { ...toResourceServerJson(created), client_secret: secret };
      });
    },

    async list() {
      return (await live().orderByRaw('lower(name), id')).map(toResourceServerJson);
    },

    async delete(id: string, context: RequestContext) {
      return inTransaction(db, async (trx) => {
        const row = await live(trx).where((query) => query.where({ client_id: id }).orWhereRaw('id::text = ?', [id])).first();
        if (!row) throw AppError.notFound('resource server');
        await trx('resource_servers').where({ id: row.id }).update({ deleted_at: trx.fn.now() });
        await createAuditRepository(trx).insert(context, { orgId: null, action: 'resource_server.deleted', target: target(row) });
        return { id: row.id, client_id: row.client_id, deleted: true as const };
      });
    },

    findByClientId(clientId: string): Promise<ResourceServerRow | undefined> {
      return live().where({ client_id: clientId }).first();
    },
  };
}

export type ResourceServersService = ReturnType<typeof createResourceServersService>;
