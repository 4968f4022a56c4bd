// Introspection (RFC 7662) and revocation (RFC 7009). oidc-provider's own endpoints do not handle
// JWT access tokens (they are never stored) and let any client introspect any token; these do
// both, for JWTs and for restricted access tokens.
import type { IncomingMessage } from 'node:http';
import express, { type Request, type Response, type Router } from 'express';
import ipaddr from 'ipaddr.js';
import type { Knex } from 'knex';
import type { Catalog } from '../../config/catalog.js';
import { acceptedSecretHashes, type ClientLookup } from '../clients/client-cache.js';
import type { AccessTokenVerifier } from '../oidc/verify.js';
import { createRestrictedTokensRepository, type RestrictedTokenRow } from '../restricted-tokens/restricted-tokens.repository.js';
import { createRevocationRepository } from '../revocation/revocation.repository.js';
import type { TokenState } from '../revocation/token-state.js';
import { checkClientSecret, TooManyFailedAttempts, type FailureLimiter } from '../shared/failure-limiter.js';
import { rateLimitHeaders, type RateLimits } from '../shared/rate-limits.js';
import { hashToken, type SecretVerifier } from '../shared/secrets.js';
import { attribute, type Attribution } from '../usage/recorder.js';
import { RESOURCE_SERVER_ID_PREFIX, type ResourceServersService } from './resource-servers.service.js';

export const INTROSPECTION_PATH = '/oauth/introspect';
export const REVOCATION_PATH = '/oauth/revoke';
const RESTRICTED_TOKEN_PREFIX = 'lkr_';

export type Caller =
  | { kind: 'resource_server'; clientId: string }
  | { kind: 'client'; clientId: string; orgId: string; rateLimitPerMinute: number | null };

export interface ResourceEndpointsDeps {
  db: Knex;
  issuer: string;
  catalog: Catalog;
  verifier: SecretVerifier;
  limiter: FailureLimiter;
  rateLimits: RateLimits;
  rateLimitPerMinute: number;
  verifyAccessToken: AccessTokenVerifier;
  isStillValid: TokenState;
  resourceServers: ResourceServersService;
  /** API clients as authentication reads them (cached). */
  clients: ClientLookup;
  /** Records use of a credential (client_id, or restricted token id) for last_used_at. */
  onUse: (kind: 'client' | 'restricted_token', id: string) => void;
}

class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
    readonly basic = false,
    readonly retryAfterSeconds?: number,
  ) {
    super(description);
  }
}

const invalidClient = (basic: boolean) => new OAuthError(401, 'invalid_client', 'client authentication failed', basic);
const invalidRequest = (description: string) => new OAuthError(400, 'invalid_request', description);

/** The value of a form parameter that may appear at most once. */
function single(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidRequest(`'${name}' parameter must not be provided twice`);
  return value;
}

/**
 * The client id and secret of an HTTP Basic header, form-urlencoded per RFC 6749 §2.3.1.
 * Throws invalid_request for a header that is not well-formed Basic.
 */
/** The `token` parameter (required); `token_type_hint` may be given once and is not needed. */
function tokenParameter(body: Record<string, unknown>): string {
  const token = single(body, 'token');
  if (!token) throw invalidRequest("missing required parameter 'token'");
  single(body, 'token_type_hint');
  return token;
}

export function parseBasic(header: string): { clientId: string; secret: string } {
  const match = /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(header);
  const decoded = match?.[1] ? Buffer.from(match[1], 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  if (colon < 0) throw invalidRequest('invalid authorization header value format');
  const decode = (part: string) => decodeURIComponent(part.replace(/\+/g, '%20'));
  try {
    return { clientId: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
  } catch {
    throw invalidRequest('client_id and client_secret in the authorization header are not properly encoded');
  }
}

const basicOfRequest = new WeakMap<IncomingMessage, { clientId: string; secret: string } | null>();

/**
 * A request's HTTP Basic client credentials, or null when it has none or they are malformed (the
 * endpoint itself then answers the header). Parsed once per request: the front door and the
 * token route's early refusal both ask.
 */
export function basicCredentialsOf(req: IncomingMessage): { clientId: string; secret: string } | null {
  const known = basicOfRequest.get(req);
  if (known !== undefined) return known;
  const header = req.headers.authorization;
  let credentials: { clientId: string; secret: string } | null = null;
  if (header?.startsWith('Basic ')) {
    try {
      credentials = parseBasic(header);
    } catch {
      credentials = null;
    }
  }
  basicOfRequest.set(req, credentials);
  return credentials;
}

/** Whether an address falls inside a canonical allow-list of addresses and CIDRs. */
export function ipAllowed(address: string, allowList: string[]): boolean {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address);
  } catch {
    return false;
  }
  return allowList.some((entry) => {
    if (!entry.includes('/')) return entry === parsed.toString();
    const [range, bits] = ipaddr.parseCIDR(entry);
    return range.kind() === parsed.kind() && parsed.match([range, bits] as [typeof parsed, number]);
  });
}

/** Verifies a resource server's Basic credentials; null when they are missing or wrong. */
export async function authenticateResourceServer(
  authorization: string | undefined,
  resourceServers: ResourceServersService,
  verifier: SecretVerifier,
): Promise<string | null> {
  let clientId: string;
  let secret: string;
  try {
    ({ clientId, secret } = parseBasic(authorization ?? ''));
  } catch {
    return null;
  }
  const server = clientId.startsWith(RESOURCE_SERVER_ID_PREFIX) ? await resourceServers.findByClientId(clientId) : undefined;
  return server && (await verifier.verify(server.client_id, server.secret_hash, secret)) ? server.client_id : null;
}

export function createResourceEndpoints(deps: ResourceEndpointsDeps): Router {
  const { db, catalog, verifier, limiter, verifyAccessToken, isStillValid, resourceServers, onUse, clients } = deps;
  const restrictedTokens = createRestrictedTokensRepository(db);

  /** Client authentication as at the token endpoint: Basic (RFC 6749 §2.3.1) or the body, not both. */
  async function authenticate(req: Request, body: Record<string, unknown>): Promise<Caller> {
    const header = req.headers.authorization;
    const bodyId = single(body, 'client_id');
    const bodySecret = single(body, 'client_secret');
    let clientId: string | undefined;
    let secret: string | undefined;
    const basic = header !== undefined;
    if (header !== undefined) {
      if (bodySecret !== undefined) throw invalidRequest('client authentication must only be provided using one mechanism');
      ({ clientId, secret } = parseBasic(header));
    } else {
      clientId = bodyId;
      secret = bodySecret;
    }
    if (!clientId || !secret) throw invalidClient(basic);
    const check = async (hashes: string[], freshHashes?: () => Promise<string[] | undefined>) => {
      try {
        return await checkClientSecret({ verifier, limiter }, clientId as string, hashes, secret as string, req.ip, freshHashes, req);
      } catch (error) {
        if (error instanceof TooManyFailedAttempts) throw new OAuthError(429, 'too_many_requests', error.message, false, error.retryAfterSeconds);
        throw error;
      }
    };

    if (clientId.startsWith(RESOURCE_SERVER_ID_PREFIX)) {
      const server = await resourceServers.findByClientId(clientId);
      if (server && (await check([server.secret_hash]))) return { kind: 'resource_server', clientId };
      throw invalidClient(basic);
    }
    const client = await clients.findAuthenticatable(clientId);
    if (client) {
      const hashes = acceptedSecretHashes(client);
      const freshHashes = async () => {
        const fresh = await clients.reload(client.client_id);
        return fresh ? acceptedSecretHashes(fresh) : undefined;
      };
      const refused = (reason: string) =>
        attribute(req, { credentialType: 'api_client', credentialId: client.client_id, orgId: client.org_id, reason, event: 'introspection.refused' });
      let authenticated: boolean;
      try {
        authenticated = await check(hashes, freshHashes);
      } catch (error) {
        refused('too_many_failures');
        throw error;
      }
      if (authenticated) return { kind: 'client', clientId, orgId: client.org_id, rateLimitPerMinute: client.rate_limit_per_minute };
      refused('invalid_client');
    }
    throw invalidClient(basic);
  }

  function restrictedTokenAudience(row: RestrictedTokenRow): string[] {
    return [...new Set(row.scopes.map((scope) => catalog.scopes.get(scope)?.resource).filter((value): value is string => !!value))];
  }

  /** Refuses a request over a credential's allowance (429), else sets the X-RateLimit-* headers. */
  async function takeRate(req: Request, res: Response, key: string, limit: number, blame: Omit<Attribution, 'reason'>) {
    const rate = await deps.rateLimits.take(key, limit);
    res.set(rateLimitHeaders(rate));
    if (rate.allowed) return;
    attribute(req, { ...blame, reason: 'rate_limited', event: 'introspection.refused' });
    throw new OAuthError(429, 'too_many_requests', `rate limit of ${rate.limit} requests per minute exceeded: retry after ${rate.resetSeconds} seconds`, false, rate.resetSeconds);
  }

  async function introspect(req: Request, res: Response, caller: Caller, token: string, clientIp: string | undefined): Promise<Record<string, unknown>> {
    const inactive = { active: false };
    if (token.startsWith(RESTRICTED_TOKEN_PREFIX)) {
      // Restricted tokens are for the platform's resource servers, not for API clients.
      if (caller.kind !== 'resource_server' || token.length > 200) return inactive;
      const row = await restrictedTokens.findUsableByHash(hashToken(token));
      if (!row) return inactive;
      const credential = { credentialType: 'restricted_token', credentialId: row.id, orgId: row.org_id } as const;
      // Each restricted token has the server's default allowance per minute.
      await takeRate(req, res, `restricted:${row.id}`, deps.rateLimitPerMinute, credential);
      onUse('restricted_token', row.id);
      const ipAllowedHere = clientIp === undefined ? undefined : ipAllowed(clientIp, row.allowed_ips);
      attribute(req, { ...credential, reason: ipAllowedHere === false ? 'ip_not_allowed' : null, event: 'introspection.active', scope: row.scopes.join(' ') });
      return {
        active: true,
        token_type: 'restricted_access_token',
        scope: row.scopes.join(' '),
        org_id: row.org_id,
        sub: row.id,
        aud: restrictedTokenAudience(row),
        iat: Math.floor(row.created_at.getTime() / 1000),
        ...(row.expires_at ? { exp: Math.floor(row.expires_at.getTime() / 1000) } : {}),
        ...(ipAllowedHere !== undefined ? { client_ip_allowed: ipAllowedHere } : {}),
      };
    }

    const claims = await verifyAccessToken(token);
    if (!claims) return inactive;
    // An API client may introspect its own tokens only.
    if (caller.kind === 'client' && caller.clientId !== claims.client_id) return inactive;
    const credential = { credentialType: 'api_client', credentialId: claims.client_id, orgId: claims.org_id, scope: claims.scope ?? null } as const;
    const client = await clients.findAuthenticatable(claims.client_id);
    if (!client || client.org_id !== claims.org_id) {
      attribute(req, { ...credential, reason: 'client_inactive', event: 'introspection.inactive' });
      return inactive;
    }
    if (!(await isStillValid(claims, client))) {
      attribute(req, { ...credential, reason: 'token_revoked', event: 'introspection.inactive' });
      return inactive;
    }
    attribute(req, { ...credential, reason: null, event: 'introspection.active' });
    onUse('client', client.client_id);
    return {
      active: true,
      token_type: 'Bearer',
      scope: claims.scope ?? '',
      client_id: claims.client_id,
      org_id: claims.org_id,
      sub: claims.sub,
      aud: claims.aud,
      iss: claims.iss,
      iat: claims.iat,
      exp: claims.exp,
      jti: claims.jti,
    };
  }

  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: 16 * 1024, parameterLimit: 20 });

  const send = (res: Response, status: number, body: unknown) => {
    res.status(status).set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    if (body === undefined) res.end();
    else res.json(body);
  };

  const handle = (work: (req: Request, body: Record<string, unknown>, res: Response) => Promise<unknown>) => async (req: Request, res: Response) => {
    try {
      if (!req.is('application/x-www-form-urlencoded')) throw invalidRequest('only application/x-www-form-urlencoded bodies are supported');
      send(res, 200, await work(req, (req.body ?? {}) as Record<string, unknown>, res));
    } catch (error) {
      if (error instanceof OAuthError) {
        if (error.retryAfterSeconds !== undefined) res.set('Retry-After', String(error.retryAfterSeconds));
        if (error.status === 401 && error.basic) {
          res.set('WWW-Authenticate', `Basic realm="${deps.issuer}", error="${error.code}", error_description="${error.description}"`);
        }
        send(res, error.status, { error: error.code, error_description: error.description });
        return;
      }
      throw error;
    }
  };

  router.post(
    INTROSPECTION_PATH,
    form,
    handle(async (req, body, res) => {
      const caller = await authenticate(req, body);
      // An API client's introspections share its allowance with its token requests.
      if (caller.kind === 'client') {
        await takeRate(req, res, `client:${caller.clientId}`, caller.rateLimitPerMinute ?? deps.rateLimitPerMinute, {
          credentialType: 'api_client',
          credentialId: caller.clientId,
          orgId: caller.orgId,
        });
      }
      const token = tokenParameter(body);
      const clientIp = single(body, 'client_ip');
      if (clientIp !== undefined && !(ipaddr.IPv4.isValidFourPartDecimal(clientIp) || (clientIp.includes(':') && ipaddr.IPv6.isValid(clientIp)))) {
        throw invalidRequest("'client_ip' must be an IPv4 or IPv6 address");
      }
      return introspect(req, res, caller, token, clientIp);
    }),
  );

  router.post(
    REVOCATION_PATH,
    form,
    handle(async (req, body) => {
      const caller = await authenticate(req, body);
      const token = tokenParameter(body);
      // RFC 7009 §2.2: 200 whether or not the token was valid, known, or this client's.
      const claims = await verifyAccessToken(token, { ignoreExpiry: true });
      if (caller.kind === 'client' && claims && claims.client_id === caller.clientId && claims.exp * 1000 > Date.now()) {
        await createRevocationRepository(db).revokeToken(claims.jti, claims.client_id, new Date(claims.exp * 1000));
      }
      return undefined;
    }),
  );

  for (const path of [INTROSPECTION_PATH, REVOCATION_PATH]) {
    router.all(path, (_req, res) => {
      res.set('Allow', 'POST');
      send(res, 405, { error: 'invalid_request', error_description: 'this endpoint only accepts POST' });
    });
  }
  return router;
}
