import type { Knex } from 'knex';
import type { Actor } from '../shared/actor.js';

export interface RestrictedTokenRow {
  id: string;
  org_id: string;
  name: string;
  token_hash: string;
  token_last4: string;
  allowed_ips: string[];
  scopes: string[];
  expires_at: Date | null;
  created_by: Actor;
  created_at: Date;
  updated_at: Date;
  last_used_at: Date | null;
  deleted_at: Date | null;
}

export type NewRestrictedToken = Pick<
  RestrictedTokenRow,
  'org_id' | 'name' | 'token_hash' | 'token_last4' | 'allowed_ips' | 'scopes' | 'expires_at' | 'created_by'
>;

export function createRestrictedTokensRepository(db: Knex) {
  const live = () => db<RestrictedTokenRow>('restricted_tokens').whereNull('deleted_at');

  return {
    async insert(token: NewRestrictedToken): Promise<RestrictedTokenRow> {
      const [row] = await db('restricted_tokens')
        .insert({ ...token, created_by: JSON.stringify(token.created_by) })
        .returning('*');
      return row as RestrictedTokenRow;
    },

    listByOrg(orgId: string): Promise<RestrictedTokenRow[]> {
      return live().where({ org_id: orgId }).orderByRaw('lower(name), name, id');
    },

    findInOrg(orgId: string, id: string, options: { lock?: boolean } = {}): Promise<RestrictedTokenRow | undefined> {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return Promise.resolve(undefined);
      const query = live().where({ org_id: orgId, id });
      if (options.lock) query.forUpdate();
      return query.first();
    },

    /** Tokens that count against the organization's limit: not deleted, not expired. */
    async countLive(orgId: string): Promise<number> {
      const row = await live()
        .where({ org_id: orgId })
        .andWhere((query) => query.whereNull('expires_at').orWhere('expires_at', '>', db.fn.now()))
        .count<{ count: string | number }[]>({ count: '*' })
        .first();
      return Number(row?.count ?? 0);
    },

    /** The live, unexpired token with this hash (the resource side's lookup). */
    findUsableByHash(tokenHash: string): Promise<RestrictedTokenRow | undefined> {
      return live()
        .where({ token_hash: tokenHash })
        .andWhere((query) => query.whereNull('expires_at').orWhere('expires_at', '>', db.fn.now()))
        .first();
    },

    async update(id: string, changes: Record<string, unknown>): Promise<RestrictedTokenRow> {
      const [row] = await db('restricted_tokens').where({ id }).update({ ...changes, updated_at: db.fn.now() }).returning('*');
      return row as RestrictedTokenRow;
    },

    async softDelete(id: string): Promise<void> {
      await db('restricted_tokens').where({ id }).update({ deleted_at: db.fn.now(), updated_at: db.fn.now() });
    },

    /** Moves last_used_at forward, at most once a minute per token. */
    async touchLastUsed(id: string): Promise<void> {
      await db('restricted_tokens')
        .where({ id })
        .andWhere((query) => query.whereNull('last_used_at').orWhere('last_used_at', '<', db.raw("now() - interval '1 minute'")))
        .update({ last_used_at: db.fn.now() });
    },

    /** Deletes every live token of the organization; returns their ids. */
    deleteAll(orgId: string): Promise<Array<{ id: string; name: string }>> {
      return db('restricted_tokens')
        .where({ org_id: orgId })
        .whereNull('deleted_at')
        .update({ deleted_at: db.fn.now(), updated_at: db.fn.now() })
        .returning(['id', 'name']);
    },
  };
}

export type RestrictedTokensRepository = ReturnType<typeof createRestrictedTokensRepository>;
