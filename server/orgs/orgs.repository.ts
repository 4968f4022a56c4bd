import type { Knex } from 'knex';

export interface OrganizationRow {
  id: string;
  name: string;
  max_api_clients: number | null;
  max_restricted_tokens: number | null;
  created_at: Date;
  updated_at: Date;
}

export function createOrgsRepository(db: Knex) {
  return {
    async insert(name: string): Promise<OrganizationRow> {
      const [row] = await db<OrganizationRow>('organizations').insert({ name }).returning('*');
      return row as OrganizationRow;
    },
    findById(id: string): Promise<OrganizationRow | undefined> {
      return db<OrganizationRow>('organizations').where({ id }).first();
    },
    /** Locks the organization's row until the transaction ends: serializes limit checks. */
    lockById(id: string): Promise<OrganizationRow | undefined> {
      return db<OrganizationRow>('organizations').where({ id }).forUpdate().first();
    },
    list(ids?: string[]): Promise<OrganizationRow[]> {
      const query = db<OrganizationRow>('organizations');
      if (ids) query.whereIn('id', ids);
      return query.orderByRaw('lower(name), id');
    },
    async count(): Promise<number> {
      const row = await db('organizations').count<{ count: string | number }[]>({ count: '*' }).first();
      return Number(row?.count ?? 0);
    },
    async setLimits(id: string, limits: { max_api_clients?: number | null; max_restricted_tokens?: number | null }): Promise<OrganizationRow> {
      const [row] = await db('organizations').where({ id }).update({ ...limits, updated_at: db.fn.now() }).returning('*');
      return row as OrganizationRow;
    },
  };
}

export type OrgsRepository = ReturnType<typeof createOrgsRepository>;
