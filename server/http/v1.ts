// The management API under /v1: JSON bodies, authentication (session cookie with CSRF token, or
// Bearer JWT), authorization on the :org parameter, and the OpenAPI document.
import { parse as parseCookies } from 'cookie';
import express, { type Request } from 'express';
import ipaddr from 'ipaddr.js';
import type { Catalog } from '../../config/catalog.js';
import type { Config } from '../../config/index.js';
import { usageRoutes } from '../usage/usage.routes.js';
import { auditRoutes } from '../audit/audit.routes.js';
import { authRoutes, SESSION_COOKIE } from '../auth/auth.routes.js';
import type { AuthService } from '../auth/auth.service.js';
import { memberMay, SCOPE_GRANTS, scopesMay, type Permission } from '../auth/permissions.js';
import { actorOf, type Principal } from '../auth/principal.js';
import { clientsRoutes } from '../clients/clients.routes.js';
import { membersRoutes } from '../members/members.routes.js';
import { orgsRoutes } from '../orgs/orgs.routes.js';
import { authenticateResourceServer } from '../resource-servers/endpoints.js';
import { restrictedTokensRoutes } from '../restricted-tokens/restricted-tokens.routes.js';
import { revocationRoutes } from '../revocation/revocation.routes.js';
import type { Services } from '../services.js';
import type { RequestContext } from '../shared/actor.js';
import { AppError } from '../shared/errors.js';
import { safeEqual, type SecretVerifier } from '../shared/secrets.js';
import { buildOpenApiDocument } from './openapi.js';
import { mountRoutes, type AnyRoute } from './route.js';

export const MAX_JSON_BODY_BYTES = 64 * 1024;
/** How often resource servers are told to poll the revocation feed. */
export const REVOCATION_POLL_INTERVAL_SECONDS = 15;

export interface V1Deps {
  config: Config;
  catalog: Catalog;
  services: Services;
  auth: AuthService;
  verifier: SecretVerifier;
}

/** The caller's address as TRUST_PROXY allows it to be read; IPv4-mapped IPv6 shown as IPv4. */
export function clientIp(req: Request): string | null {
  if (!req.ip) return null;
  try {
    return ipaddr.process(req.ip).toString();
  } catch {
    return req.ip;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function managementRoutes({ config, catalog, services, auth }: Omit<V1Deps, 'verifier'>): AnyRoute[] {
  return [
    ...authRoutes(services, auth, config),
    ...orgsRoutes(services, catalog),
    ...membersRoutes(services),
    ...clientsRoutes(services),
    ...restrictedTokensRoutes(services),
    ...auditRoutes(services),
    ...usageRoutes(services),
    ...revocationRoutes(services.db, REVOCATION_POLL_INTERVAL_SECONDS),
  ];
}

export function createV1Router(deps: V1Deps) {
  const { config, auth } = deps;
  const router = express.Router();
  router.use(express.json({ limit: MAX_JSON_BODY_BYTES, strict: false }));

  const routes = managementRoutes(deps);
  const openApi = buildOpenApiDocument(routes, config.issuer);
  router.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });

  const invalidToken = (description: string) =>
    new AppError(401, 'invalid_token', description, {
      // RFC 6750 §3
      'WWW-Authenticate': `Bearer realm="${config.issuer}/v1", error="invalid_token", error_description="${description}"`,
    });

  async function authenticate(req: Request): Promise<Principal> {
    const header = req.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header);
      if (!match?.[1]) throw invalidToken('the Authorization header must be "Bearer <access token>"');
      const principal = await auth.resolveBearer(match[1]);
      if (!principal) throw invalidToken('the access token is invalid, expired, or not for this API');
      return principal;
    }
    const sessionId = parseCookies(req.headers.cookie ?? '')[SESSION_COOKIE];
    if (!sessionId) {
      throw new AppError(401, 'unauthorized', 'sign in with POST /v1/auth/login or send a Bearer access token', {
        'WWW-Authenticate': `Bearer realm="${config.issuer}/v1"`,
      });
    }
    const principal = await auth.resolveSession(sessionId);
    if (!principal) throw new AppError(401, 'unauthorized', 'the session has expired or was signed out: sign in again');
    // Cookie-authenticated changes carry the session's CSRF token (SameSite=Strict is the first net).
    if (!SAFE_METHODS.has(req.method)) {
      const presented = req.get('x-csrf-token');
      if (!presented || !safeEqual(presented, principal.csrfToken)) {
        throw new AppError(403, 'csrf_token_invalid', 'changes made with the session cookie need the X-CSRF-Token header from login or GET /v1/me');
      }
    }
    return principal;
  }

  /** Whether the principal holds `permission` in the organization (no exception). */
  function holds(principal: Principal, orgId: string, permission: Permission): boolean {
    if (principal.kind === 'user') {
      const membership = principal.memberships.get(orgId);
      return membership !== undefined && memberMay(membership, permission);
    }
    if (principal.kind === 'resource_server') return false;
    return principal.orgId === orgId && scopesMay(principal.scopes, permission);
  }

  async function authorize(principal: Principal, orgId: string, permission: Permission) {
    if (principal.kind === 'resource_server') throw AppError.notFound('organization');
    if (principal.kind === 'user') {
      const membership = principal.memberships.get(orgId);
      // Another organization's objects do not exist for this caller.
      if (!membership) throw AppError.notFound('organization');
      if (!memberMay(membership, permission)) {
        throw new AppError(403, 'forbidden', `the ${membership.role} role does not allow this (${permission})`);
      }
      return;
    }
    if (principal.orgId !== orgId) throw AppError.notFound('organization');
    if (!scopesMay(principal.scopes, permission)) {
      const scopes = Object.entries(SCOPE_GRANTS).filter(([, grants]) => grants.includes(permission)).map(([scope]) => scope);
      throw new AppError(
        403,
        'insufficient_scope',
        scopes.length > 0 ? `this needs an access token with one of the scopes ${scopes.join(', ')}` : 'only an organization admin can do this',
      );
    }
  }

  const contextOf = (req: Request, principal: Principal | undefined): RequestContext => ({
    actor: principal ? actorOf(principal) : { type: 'user', id: null, name: 'anonymous' },
    ip: clientIp(req),
    userAgent: req.get('user-agent') ?? null,
  });

  async function resourceServerPrincipal(req: Request): Promise<Principal> {
    const clientId = await authenticateResourceServer(req.headers.authorization, deps.services.resourceServers, deps.verifier);
    if (!clientId) {
      throw new AppError(401, 'invalid_client', 'resource-server credentials (HTTP Basic) are missing or wrong', {
        'WWW-Authenticate': `Basic realm="${config.issuer}"`,
      });
    }
    return { kind: 'resource_server', clientId };
  }

  mountRoutes(router, routes, {
    authenticate,
    authenticateResourceServer: resourceServerPrincipal,
    authorize,
    holds,
    contextOf,
    validateResponses: config.nodeEnv !== 'production',
  });
  return router;
}
