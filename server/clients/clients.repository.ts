import type { Knex } from 'knex';
import type { Actor } from '../shared/actor.js';

export interface ApiClientRow {
  id: string;
  org_id: string;
  client_id: string;
  name: string;
  description: string;
  allowed_origins: string[];
  scopes: string[];
  status: 'active' | 'disabled';
  secret_hash: string;
  secret_last4: string;
  previous_secret_hash: string | null;
  previous_secret_expires_at: Date | null;
  secret_rotated_at: Date | null;
  expires_at: Date | null;
  created_by: Actor;
  created_at: Date;
  updated_at: Date;
  last_used_at: Date | null;
  disabled_at: Date | null;
  deleted_at: Date | null;
  tokens_not_before: Date | null;
  tokens_not_before_pending: Date | null;
  rate_limit_per_minute: number | null;
}

export interface NewApiClient {
  org_id: string;
  client_id: string;
  name: string;
  description: string;
  allowed_origins: string[];
  scopes: string[];
  secret_hash: string;
  secret_last4: string;
  expires_at: Date | null;
  created_by: Actor;
}

/** The fields the token endpoint needs for one authentication. */
export type AuthenticatingClient = Pick<
  ApiClientRow,
  | 'client_id'
  | 'org_id'
  | 'name'
  | 'scopes'
  | 'allowed_origins'
  | 'secret_hash'
  | 'previous_secret_hash'
  | 'previous_secret_expires_at'
  | 'expires_at'
  | 'tokens_not_before'
  | 'tokens_not_before_pending'
  | 'rate_limit_per_minute'
>;

export function createClientsRepository(db: Knex) {
  const live = () => db<ApiClientRow>('api_clients').whereNull('deleted_at');

  return {
    async insert(client: NewApiClient): Promise<ApiClientRow> {
      const [row] = await db('api_clients')
        .insert({ ...client, created_by: JSON.stringify(client.created_by) })
        .returning('*');
      return row as ApiClientRow;
    },

    listByOrg(orgId: string): Promise<ApiClientRow[]> {
      return live().where({ org_id: orgId }).orderByRaw('lower(name), name, id');
    },

    /** By row id or client_id, within one organization; deleted clients are not found. */
    findInOrg(orgId: string, idOrClientId: string, options: { lock?: boolean } = {}): Promise<ApiClientRow | undefined> {
      const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrClientId);
      const query = live()
        .where({ org_id: orgId })
        .andWhere(isUuid ? { id: idOrClientId } : { client_id: idOrClientId });
      if (options.lock) query.forUpdate();
      return query.first();
    },

    /** Clients that count against the organization's limit: active, not deleted, not expired. */
    async countActive(orgId: string): Promise<number> {
      const row = await live()
        .where({ org_id: orgId, status: 'active' })
        .andWhere((query) => query.whereNull('expires_at').orWhere('expires_at', '>', db.fn.now()))
        .count<{ count: string | number }[]>({ count: '*' })
        .first();
      return Number(row?.count ?? 0);
    },

    /**
     * The client if it may authenticate right now: live, active and not expired. Runs on every
     * token request, so it reads one row by a unique index and nothing else.
     */
    findAuthenticatable(clientId: string): Promise<AuthenticatingClient | undefined> {
      return db<ApiClientRow>('api_clients')
        .select(
          'client_id',
          'org_id',
          'name',
          'scopes',
          'allowed_origins',
          'secret_hash',
          'previous_secret_hash',
          'previous_secret_expires_at',
          'expires_at',
          'tokens_not_before',
          'tokens_not_before_pending',
          'rate_limit_per_minute',
        )
        .where({ client_id: clientId, status: 'active' })
        .whereNull('deleted_at')
        .andWhere((query) => query.whereNull('expires_at').orWhere('expires_at', '>', db.fn.now()))
        .first();
    },

    async update(id: string, changes: Record<string, unknown>): Promise<ApiClientRow> {
      const [row] = await db('api_clients').where({ id }).update({ ...changes, updated_at: db.fn.now() }).returning('*');
      return row as ApiClientRow;
    },

    async setStatus(id: string, status: ApiClientRow['status']): Promise<ApiClientRow> {
      return this.update(id, { status, disabled_at: status === 'disabled' ? db.fn.now() : null });
    },

    async softDelete(id: string): Promise<void> {
      await db('api_clients').where({ id }).update({ deleted_at: db.fn.now(), updated_at: db.fn.now() });
    },

    /** The client_id of every live client of the organization. */
    clientIdsOfOrg(orgId: string): Promise<string[]> {
      return live().where({ org_id: orgId }).pluck('client_id');
    },

    /** Disables every live active client of the organization; returns their ids. */
    async disableAll(orgId: string): Promise<Array<{ id: string; client_id: string; name: string }>> {
      return db('api_clients')
        .where({ org_id: orgId, status: 'active' })
        .whereNull('deleted_at')
        .update({ status: 'disabled', disabled_at: db.fn.now(), updated_at: db.fn.now() })
        .returning(['id', 'client_id', 'name']);
    },

    /** Moves last_used_at forward, at most once a minute per client. */
    async touchLastUsed(clientId: string): Promise<void> {
      await db('api_clients')
        .where({ client_id: clientId })
        .andWhere((query) =>
          query.whereNull('last_used_at').orWhere('last_used_at', '<', db.raw("now() - interval '1 minute'")),
        )
        .update({ last_used_at: db.fn.now() });
    },
  };
}

export type ClientsRepository = ReturnType<typeof createClientsRepository>;
