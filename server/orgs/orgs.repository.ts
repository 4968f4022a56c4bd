import type { Knex } from 'knex';

export interface OrganizationRow {
  id: string;
  name: string;
  created_at: Date;
  updated_at: Date;
}

export function createOrgsRepository(db: Knex) {
  return {
    async insert(name: string): Promise<OrganizationRow> {
      const [row] = await db<OrganizationRow>('organizations').insert({ name }).returning('*');
      return row as OrganizationRow;
    },
    async findById(id: string): Promise<OrganizationRow | undefined> {
      return db<OrganizationRow>('organizations').where({ id }).first();
    },
    async list(): Promise<OrganizationRow[]> {
      return db<OrganizationRow>('organizations').orderByRaw('lower(name), id');
    },
    async count(): Promise<number> {
      const row = await db('organizations').count<{ count: string | number }[]>({ count: '*' }).first();
      return Number(row?.count ?? 0);
    },
  };
}

export type OrgsRepository = ReturnType<typeof createOrgsRepository>;
