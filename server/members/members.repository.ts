import type { Knex } from 'knex';
import type { Membership, Role } from '../auth/permissions.js';

export interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  created_at: Date;
  updated_at: Date;
}

export interface MemberRow {
  org_id: string;
  user_id: string;
  email: string;
  role: Role;
  can_manage_credentials: boolean;
  created_at: Date;
  updated_at: Date;
}

export function createMembersRepository(db: Knex) {
  const members = () =>
    db('memberships as m')
      .join('users as u', 'u.id', 'm.user_id')
      .select<MemberRow[]>('m.org_id', 'm.user_id', 'u.email', 'm.role', 'm.can_manage_credentials', 'm.created_at', 'm.updated_at');

  return {
    findUserByEmail(email: string): Promise<UserRow | undefined> {
      return db<UserRow>('users').where({ email: email.toLowerCase() }).first();
    },
    findUserById(id: string): Promise<UserRow | undefined> {
      return db<UserRow>('users').where({ id }).first();
    },
    async insertUser(email: string, passwordHash: string): Promise<UserRow> {
      const [row] = await db('users').insert({ email: email.toLowerCase(), password_hash: passwordHash }).returning('*');
      return row as UserRow;
    },
    async insertMembership(orgId: string, userId: string, membership: Membership): Promise<void> {
      await db('memberships').insert({ org_id: orgId, user_id: userId, ...membership });
    },
    listByOrg(orgId: string): Promise<MemberRow[]> {
      return members().where('m.org_id', orgId).orderBy([{ column: 'u.email' }]);
    },
    findInOrg(orgId: string, userId: string, options: { lock?: boolean } = {}): Promise<MemberRow | undefined> {
      const query = members().where({ 'm.org_id': orgId, 'm.user_id': userId });
      if (options.lock) query.forUpdate('m');
      return query.first();
    },
    /** Memberships of one user, by organization id. */
    async membershipsOf(userId: string): Promise<Map<string, Membership>> {
      const rows = await db('memberships').where({ user_id: userId }).select('org_id', 'role', 'can_manage_credentials');
      return new Map(rows.map((row: { org_id: string } & Membership) => [row.org_id, { role: row.role, can_manage_credentials: row.can_manage_credentials }]));
    },
    async countAdmins(orgId: string): Promise<number> {
      const row = await db('memberships').where({ org_id: orgId, role: 'admin' }).count<{ count: string | number }[]>({ count: '*' }).first();
      return Number(row?.count ?? 0);
    },
    async updateMembership(orgId: string, userId: string, changes: Partial<Membership>): Promise<void> {
      await db('memberships').where({ org_id: orgId, user_id: userId }).update({ ...changes, updated_at: db.fn.now() });
    },
    async deleteMembership(orgId: string, userId: string): Promise<void> {
      await db('memberships').where({ org_id: orgId, user_id: userId }).del();
    },
  };
}

export type MembersRepository = ReturnType<typeof createMembersRepository>;
