// Console sign-in: email and password against a bcrypt hash, sessions stored as SHA-256 hashes of
// random ids, failed logins throttled per account and per IP. Machine callers: Bearer JWTs this
// server issued for the management API's audience.
import bcrypt from 'bcrypt';
import type { Knex } from 'knex';
import type { RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { Config } from '../../config/index.js';
import { createAuditRepository } from '../audit/audit.repository.js';
import { createClientsRepository, type AuthenticatingClient } from '../clients/clients.repository.js';
import type { AccessTokenClaims, AccessTokenVerifier } from '../oidc/verify.js';
import { createMembersRepository } from '../members/members.repository.js';
import type { RequestContext } from '../shared/actor.js';
import type { CounterStore } from '../shared/counters.js';
import { AppError } from '../shared/errors.js';
import { hashToken, randomToken } from '../shared/secrets.js';
import { inTransaction } from '../shared/transaction.js';
import { parseInput, typeError } from '../shared/validation.js';
import type { ClientPrincipal, UserPrincipal } from './principal.js';

export const loginSchema = z
  .object({
    email: z.string({ error: typeError('a string') }).max(254, 'must be at most 254 characters'),
    password: z.string({ error: typeError('a string') }).max(200, 'must be at most 200 characters'),
  })
  .strict();

const INVALID_LOGIN = new AppError(401, 'invalid_credentials', 'the email or password is incorrect');

export interface AuthServiceDeps {
  db: Knex;
  config: Config;
  verifyAccessToken: AccessTokenVerifier;
  /** Whether a verified token of this client is still valid (not revoked). */
  isStillValid: (claims: AccessTokenClaims, client: AuthenticatingClient) => Promise<boolean>;
  counters: CounterStore;
}

interface Origin {
  ip: string | null;
  userAgent: string | null;
}

export function createAuthService({ db, config, verifyAccessToken, isStillValid, counters }: AuthServiceDeps) {
  const members = createMembersRepository(db);
  const window = config.loginFailureWindowSeconds;
  const perAccount = counters.limiter({ keyPrefix: 'login-account', points: config.loginMaxFailuresPerAccount, durationSeconds: window });
  const perIp = counters.limiter({ keyPrefix: 'login-ip', points: config.loginMaxFailuresPerIp, durationSeconds: window });
  // Compared against when the email is unknown, so that both answers take as long.
  let dummyHash: Promise<string> | undefined;
  const managementAudience = `${config.issuer}/v1`;

  async function assertNotThrottled(email: string, ip: string | null) {
    const [account, address] = await Promise.all([perAccount.get(email), ip ? perIp.get(ip) : null]);
    const blocked = [account, address].filter(
      (result): result is RateLimiterRes => result !== null && result.remainingPoints <= 0,
    );
    if (blocked.length > 0) {
      const retryAfter = Math.max(1, Math.ceil(Math.max(...blocked.map((result) => result.msBeforeNext)) / 1000));
      throw AppError.tooManyRequests(`too many failed logins: try again in ${retryAfter} seconds`, retryAfter);
    }
  }

  async function recordFailure(email: string, ip: string | null) {
    await Promise.all([
      perAccount.penalty(email, 1),
      ip ? perIp.penalty(ip, 1) : Promise.resolve(),
    ]);
  }

  async function auditLogin(
    action: 'user.login' | 'user.login_failed' | 'user.logout',
    user: { id: string | null; email: string },
    origin: Origin,
    trx: Knex = db,
  ) {
    const context: RequestContext = { actor: { type: 'user', id: user.id, name: user.email }, ...origin };
    const audit = createAuditRepository(trx);
    const orgIds = user.id ? [...(await createMembersRepository(trx).membershipsOf(user.id)).keys()] : [];
    const target = { type: 'user', id: user.id, name: user.email };
    if (orgIds.length === 0) await audit.insert(context, { orgId: null, action, target });
    for (const orgId of orgIds) await audit.insert(context, { orgId, action, target });
  }

  return {
    /** Checks the password; answers the same for an unknown email and a wrong password. */
    async login(input: unknown, origin: Origin) {
      const { email: rawEmail, password } = parseInput(loginSchema, input);
      const email = rawEmail.trim().toLowerCase();
      await assertNotThrottled(email, origin.ip);
      const user = await members.findUserByEmail(email);
      dummyHash ??= bcrypt.hash(randomToken(), config.bcryptCost);
      const matches = await bcrypt.compare(password, user?.password_hash ?? (await dummyHash));
      if (!user || !matches) {
        await recordFailure(email, origin.ip);
        await auditLogin('user.login_failed', { id: user?.id ?? null, email }, origin);
        throw INVALID_LOGIN;
      }
      await perAccount.delete(email);

      const sessionId = randomToken();
      const csrfToken = randomToken(24);
      const expiresAt = new Date(Date.now() + config.sessionTtlSeconds * 1000);
      await inTransaction(db, async (trx) => {
        await trx('sessions').insert({ id_hash: hashToken(sessionId), user_id: user.id, csrf_token: csrfToken, expires_at: expiresAt });
        await auditLogin('user.login', user, origin, trx);
      });
      return { sessionId, csrfToken, expiresAt, user };
    },

    async logout(principal: UserPrincipal, origin: Origin) {
      await inTransaction(db, async (trx) => {
        await trx('sessions').where({ id_hash: principal.sessionIdHash }).del();
        await auditLogin('user.logout', { id: principal.userId, email: principal.email }, origin, trx);
      });
    },

    /** The signed-in user of a session cookie value, or null. */
    async resolveSession(sessionId: string): Promise<UserPrincipal | null> {
      if (sessionId.length > 100) return null;
      const idHash = hashToken(sessionId);
      const row = await db('sessions as s')
        .join('users as u', 'u.id', 's.user_id')
        .where('s.id_hash', idHash)
        .andWhere('s.expires_at', '>', db.fn.now())
        .first('u.id', 'u.email', 's.csrf_token');
      if (!row) return null;
      return {
        kind: 'user',
        userId: row.id,
        email: row.email,
        sessionIdHash: idHash,
        csrfToken: row.csrf_token,
        memberships: await members.membershipsOf(row.id),
      };
    },

    /**
     * The API client behind a Bearer JWT issued by this server for the management API, or null.
     * The client must still be able to authenticate: disabling or deleting it ends its access.
     */
    async resolveBearer(token: string): Promise<ClientPrincipal | null> {
      const payload = await verifyAccessToken(token, { audience: managementAudience });
      if (!payload) return null;
      const client = await createClientsRepository(db).findAuthenticatable(payload.client_id);
      if (!client || client.org_id !== payload.org_id) return null;
      if (!(await isStillValid(payload, client))) return null;
      return {
        kind: 'client',
        clientId: client.client_id,
        name: client.name,
        orgId: client.org_id,
        scopes: new Set(typeof payload.scope === 'string' ? payload.scope.split(' ') : []),
      };
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
