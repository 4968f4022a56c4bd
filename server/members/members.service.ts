// Organization members: users with a role in one or more organizations. A new user gets a
// generated password, shown once.
import type { Knex } from 'knex';
import { z } from 'zod';
import { createAuditRepository } from '../audit/audit.repository.js';
import { ROLES } from '../auth/permissions.js';
import { isUuid, type OrgsService } from '../orgs/orgs.service.js';
import type { RequestContext } from '../shared/actor.js';
import { AppError } from '../shared/errors.js';
import { hashSecret, randomToken } from '../shared/secrets.js';
import { diff, inTransaction } from '../shared/transaction.js';
import { parseInput } from '../shared/validation.js';
import { createMembersRepository, type MemberRow } from './members.repository.js';

const role = z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` });

export const addMemberSchema = z
  .object({
    email: z.email({ error: 'must be an email address' }).max(254, 'must be at most 254 characters').transform((value) => value.toLowerCase()),
    role,
    can_manage_credentials: z.boolean({ error: 'must be true or false' }).default(false),
  })
  .strict();

export const updateMemberSchema = z
  .object({ role: role.optional(), can_manage_credentials: z.boolean({ error: 'must be true or false' }).optional() })
  .strict()
  .refine((value) => value.role !== undefined || value.can_manage_credentials !== undefined, 'give role, can_manage_credentials or both');

export function toMemberJson(row: MemberRow) {
  return {
    user_id: row.user_id,
    email: row.email,
    role: row.role,
    can_manage_credentials: row.can_manage_credentials,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export type MemberJson = ReturnType<typeof toMemberJson>;

const target = (row: Pick<MemberRow, 'user_id' | 'email'>) => ({ type: 'user', id: row.user_id, name: row.email });

/**
 * Admin is the one role that can revoke everything and manage members: only a signed-in admin
 * (or the operator) may grant it, take it away, or remove an admin. A machine caller holding
 * members:write could otherwise mint itself an admin.
 */
function assertMayTouchAdmin(context: RequestContext, touchesAdmin: boolean) {
  if (touchesAdmin && context.actor.type === 'client') {
    throw new AppError(403, 'forbidden', 'only an organization admin can grant, change or remove the admin role');
  }
}

export function createMembersService({ db, orgs, bcryptCost }: { db: Knex; orgs: OrgsService; bcryptCost: number }) {
  async function requireMember(trx: Knex, orgId: string, userId: string, lock = false) {
    await orgs.require(orgId, trx);
    const row = isUuid(userId) ? await createMembersRepository(trx).findInOrg(orgId, userId, { lock }) : undefined;
    if (!row) throw AppError.notFound('member');
    return row;
  }

  /** An organization keeps at least one admin: 409 for a change that would leave none. */
  async function assertAdminRemains(trx: Knex.Transaction, orgId: string, member: MemberRow) {
    if (member.role !== 'admin') return;
    await orgs.lock(trx, orgId);
    if ((await createMembersRepository(trx).countAdmins(orgId)) <= 1) {
      throw AppError.conflict('this is the organization\'s last admin: make another member admin first');
    }
  }

  return {
    /**
     * Adds a member. An unknown email becomes a new user whose generated password is in this
     * answer only; a known user keeps their password (password is null).
     */
    async add(orgId: string, input: unknown, context: RequestContext) {
      const parsed = parseInput(addMemberSchema, input);
      assertMayTouchAdmin(context, parsed.role === 'admin');
      await orgs.require(orgId);
      const password = randomToken(18);
      const passwordHash = await hashSecret(password, bcryptCost);
      return inTransaction(db, async (trx) => {
        const repository = createMembersRepository(trx);
        await orgs.lock(trx, orgId);
        let user = await repository.findUserByEmail(parsed.email);
        const created = user === undefined;
        user ??= await repository.insertUser(parsed.email, passwordHash);
        if (await repository.findInOrg(orgId, user.id)) {
          throw AppError.conflict(`${parsed.email} is already a member of this organization`);
        }
        await repository.insertMembership(orgId, user.id, { role: parsed.role, can_manage_credentials: parsed.can_manage_credentials });
        const member = (await repository.findInOrg(orgId, user.id)) as MemberRow;
        await createAuditRepository(trx).insert(context, {
          orgId,
          action: 'member.added',
          target: target(member),
          metadata: { role: member.role, can_manage_credentials: member.can_manage_credentials, new_user: created },
        });
        return { ...toMemberJson(member), password: created ? password : null };
      });
    },

    async list(orgId: string) {
      await orgs.require(orgId);
      return (await createMembersRepository(db).listByOrg(orgId)).map(toMemberJson);
    },

    async update(orgId: string, userId: string, input: unknown, context: RequestContext) {
      const changes = parseInput(updateMemberSchema, input);
      return inTransaction(db, async (trx) => {
        const before = await requireMember(trx, orgId, userId, true);
        assertMayTouchAdmin(context, changes.role === 'admin' || (before.role === 'admin' && changes.role !== undefined));
        if (changes.role !== undefined && changes.role !== 'admin') await assertAdminRemains(trx, orgId, before);
        const changed = diff(before, changes);
        if (Object.keys(changed).length === 0) return toMemberJson(before);
        const repository = createMembersRepository(trx);
        await repository.updateMembership(orgId, before.user_id, changes);
        const after = (await repository.findInOrg(orgId, before.user_id)) as MemberRow;
        await createAuditRepository(trx).insert(context, { orgId, action: 'member.updated', target: target(after), metadata: { changes: changed } });
        return toMemberJson(after);
      });
    },

    async remove(orgId: string, userId: string, context: RequestContext) {
      return inTransaction(db, async (trx) => {
        const member = await requireMember(trx, orgId, userId, true);
        assertMayTouchAdmin(context, member.role === 'admin');
        await assertAdminRemains(trx, orgId, member);
        await createMembersRepository(trx).deleteMembership(orgId, member.user_id);
        await createAuditRepository(trx).insert(context, { orgId, action: 'member.removed', target: target(member), metadata: { role: member.role } });
        return { user_id: member.user_id, removed: true as const };
      });
    },
  };
}

export type MembersService = ReturnType<typeof createMembersService>;
