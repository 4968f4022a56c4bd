import type { CookieOptions } from 'express';
import { z } from 'zod';
import type { Config } from '../../config/index.js';
import { ROLES } from './permissions.js';
import { route } from '../http/route.js';
import type { Services } from '../services.js';
import { AppError } from '../shared/errors.js';
import { loginSchema, type AuthService } from './auth.service.js';

export const SESSION_COOKIE = 'latchkey_session';

export function sessionCookieOptions(config: Config): CookieOptions {
  return {
    httpOnly: true,
    sameSite: 'strict',
    secure: config.issuer.startsWith('https://'),
    path: '/v1',
  };
}

const membershipSchema = z
  .object({ org_id: z.string(), org_name: z.string(), role: z.enum(ROLES), can_manage_credentials: z.boolean() })
  .strict();

const userSessionSchema = z
  .object({
    type: z.literal('user'),
    user: z.object({ id: z.string(), email: z.string() }).strict(),
    memberships: z.array(membershipSchema),
    csrf_token: z.string().meta({ description: 'send as X-CSRF-Token with every change made with the session cookie' }),
  })
  .strict();

const clientSessionSchema = z
  .object({
    type: z.literal('client'),
    client: z.object({ client_id: z.string(), name: z.string(), org_id: z.string(), scopes: z.array(z.string()) }).strict(),
  })
  .strict();

export function authRoutes(services: Services, auth: AuthService, config: Config) {
  async function membershipsOf(memberships: Map<string, { role: (typeof ROLES)[number]; can_manage_credentials: boolean }>) {
    const orgs = await services.orgs.list([...memberships.keys()]);
    return orgs.map((org) => ({ org_id: org.id, org_name: org.name, ...(memberships.get(org.id) as { role: (typeof ROLES)[number]; can_manage_credentials: boolean }) }));
  }

  return [
    route({
      method: 'post', path: '/auth/login', tag: 'Session', auth: 'none',
      summary: 'Sign in with email and password; sets the session cookie',
      body: loginSchema,
      status: 200, response: userSessionSchema.extend({ expires_at: z.string().meta({ format: 'date-time' }) }),
      handler: async ({ body, context, res }) => {
        const session = await auth.login(body, { ip: context.ip, userAgent: context.userAgent });
        res.cookie(SESSION_COOKIE, session.sessionId, { ...sessionCookieOptions(config), expires: session.expiresAt });
        return {
          type: 'user' as const,
          user: { id: session.user.id, email: session.user.email },
          memberships: await membershipsOf((await auth.resolveSession(session.sessionId))?.memberships ?? new Map()),
          csrf_token: session.csrfToken,
          expires_at: session.expiresAt.toISOString(),
        };
      },
    }),
    route({
      method: 'post', path: '/auth/logout', tag: 'Session', auth: 'session',
      summary: 'End the session', status: 204, response: null,
      handler: async ({ principal, context, res }) => {
        if (principal.kind !== 'user') throw AppError.invalidRequest('only a session can log out; Bearer tokens simply expire');
        await auth.logout(principal, { ip: context.ip, userAgent: context.userAgent });
        res.clearCookie(SESSION_COOKIE, sessionCookieOptions(config));
        return undefined;
      },
    }),
    route({
      method: 'get', path: '/me', tag: 'Session', auth: 'session',
      summary: 'Who is calling: the signed-in user with memberships, or the API client',
      status: 200, response: z.discriminatedUnion('type', [userSessionSchema, clientSessionSchema]),
      handler: async ({ principal }) => {
        if (principal.kind === 'client') {
          return {
            type: 'client' as const,
            client: { client_id: principal.clientId, name: principal.name, org_id: principal.orgId, scopes: [...principal.scopes].sort() },
          };
        }
        if (principal.kind !== 'user') throw new AppError(403, 'forbidden', 'resource servers have no session');
        return {
          type: 'user' as const,
          user: { id: principal.userId, email: principal.email },
          memberships: await membershipsOf(principal.memberships),
          csrf_token: principal.csrfToken,
        };
      },
    }),
  ];
}
