// The oidc-provider instance: client_credentials only, RFC 9068 JWT access tokens, clients read
// through the client cache (server/clients/client-cache.ts), secrets compared against bcrypt hashes.
import { randomBytes } from 'node:crypto';
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Catalog, CatalogResource } from '../../config/catalog.js';
import type { Config } from '../../config/index.js';
import { acceptedSecretHashes, type ClientLookup } from '../clients/client-cache.js';
import type { AuthenticatingClient } from '../clients/clients.repository.js';
import type { KeySet } from '../keys/keys.service.js';
import { checkClientSecret, TooManyFailedAttempts, type FailureLimiter } from '../shared/failure-limiter.js';
import { rateLimitHeaders, type RateLimits } from '../shared/rate-limits.js';
import type { SecretVerifier } from '../shared/secrets.js';

export const ROUTES = {
  token: '/oauth/token',
  jwks: '/.well-known/jwks.json',
} as const;

/** Client metadata we add to oidc-provider's (validated by extraClientMetadata below). */
interface LatchkeyClientFields {
  org_id: string;
  allowed_origins: string[];
  /** Epoch seconds after which the client stops authenticating, or null. */
  latchkey_expires_at: number | null;
  /** The secret hash before the last rotation, still accepted until its expiry (epoch seconds). */
  latchkey_previous_secret_hash: string | null;
  latchkey_previous_secret_expires_at: number | null;
  /** Requests per minute, or null for the server default. */
  latchkey_rate_limit_per_minute: number | null;
}

export type ProviderClient = NonNullable<KoaContextWithOIDC['oidc']['client']>;
export const fieldsOf = (client: ProviderClient) => client as unknown as LatchkeyClientFields & { scope?: string };

export interface ProviderDeps {
  config: Config;
  catalog: Catalog;
  clients: ClientLookup;
  verifier: SecretVerifier;
  limiter: FailureLimiter;
  rateLimits: RateLimits;
  keySet: KeySet;
}

/** Built oidc-provider clients kept per provider (a few KB each); the oldest built go first. */
const MAX_BUILT_CLIENTS = 10_000;

/** 429 in RFC 6749 §5.2 form, for an authentication refused before its secret was checked. */
export class TooManyRequests extends errors.OIDCProviderError {
  override error_description: string;
  constructor(
    description: string,
    /** Why, for usage analytics and API logs. */
    readonly reason: 'too_many_failures' | 'rate_limited',
  ) {
    super(429, 'too_many_requests');
    this.error_description = description;
  }
}

function clientMetadata(row: AuthenticatingClient, catalog: Catalog) {
  return {
    client_id: row.client_id,
    // oidc-provider keeps whatever we put here; compareClientSecret below treats it as a hash.
    client_secret: row.secret_hash,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    // A scope removed from the catalog since the client was created is simply not granted.
    scope: row.scopes.filter((scope) => catalog.scopes.has(scope)).join(' '),
    org_id: row.org_id,
    allowed_origins: row.allowed_origins,
    latchkey_expires_at: row.expires_at ? Math.floor(row.expires_at.getTime() / 1000) : null,
    latchkey_previous_secret_hash: row.previous_secret_hash,
    latchkey_previous_secret_expires_at: row.previous_secret_expires_at
      ? Math.floor(row.previous_secret_expires_at.getTime() / 1000)
      : null,
    latchkey_rate_limit_per_minute: row.rate_limit_per_minute,
  };
}

/** The resource a client gets when it names none: the catalog default, else its first own. */
function defaultResourceFor(catalog: Catalog, clientScopes: Set<string>): string {
  const owns = (resource: CatalogResource | undefined) =>
    resource?.scopes.some((scope) => clientScopes.has(scope.name)) ?? false;
  if (owns(catalog.resource(catalog.defaultResource))) return catalog.defaultResource;
  return catalog.resources.find(owns)?.identifier ?? catalog.defaultResource;
}

export function buildProvider({ config, catalog, clients, verifier, limiter, rateLimits, keySet }: ProviderDeps): Provider {
  const rateLimitOf = (client: ProviderClient) => fieldsOf(client).latchkey_rate_limit_per_minute ?? config.rateLimitPerMinute;
  // Rows being built into clients right now (see Client.find below), so the adapter does not look
  // them up a second time.
  const building = new Map<string, AuthenticatingClient>();
  class ClientAdapter {
    constructor(private readonly model: string) {}

    async find(id: string) {
      if (this.model !== 'Client' || typeof id !== 'string' || id.length > 200) return undefined;
      const row = building.get(id) ?? (await clients.findAuthenticatable(id));
      return row ? clientMetadata(row, catalog) : undefined;
    }

    // Client-credentials JWT access tokens are self-contained: nothing else is ever stored.
    async upsert() {}
    async findByUid() {
      return undefined;
    }
    async findByUserCode() {
      return undefined;
    }
    async consume() {}
    async destroy() {}
    async revokeByGrantId() {}
  }

  const configuration: Configuration = {
    adapter: ClientAdapter as unknown as Configuration['adapter'],
    clients: [],
    jwks: { keys: keySet.privateJwks as NonNullable<Configuration['jwks']>['keys'] },
    routes: { ...ROUTES },
    scopes: [...catalog.scopes.keys()],
    claims: {},
    responseTypes: ['none'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    clientDefaults: {
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: keySet.active.alg,
    },
    extraClientMetadata: {
      properties: [
        'org_id',
        'allowed_origins',
        'latchkey_expires_at',
        'latchkey_previous_secret_hash',
        'latchkey_previous_secret_expires_at',
        'latchkey_rate_limit_per_minute',
      ],
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: false },
      revocation: { enabled: false },
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => false,
        defaultResource: (_ctx, client) =>
          defaultResourceFor(catalog, new Set(fieldsOf(client).scope?.split(' ') ?? [])),
        getResourceServerInfo: (ctx, indicator, client) => {
          const requestedResources = ctx.oidc.params?.resource;
          if (Array.isArray(requestedResources) && requestedResources.length > 1) {
            throw new errors.InvalidTarget('only one resource may be requested per access token');
          }
          const resource = catalog.resource(indicator);
          if (!resource) throw new errors.InvalidTarget('the requested resource is not known to this server');
          const clientScopes = new Set(fieldsOf(client).scope?.split(' ') ?? []);
          const resourceScopes = resource.scopes.map((scope) => scope.name).filter((name) => clientScopes.has(name));
          if (resourceScopes.length === 0) {
            throw new errors.InvalidTarget('this client holds no scope of the requested resource');
          }
          const requested = ctx.oidc.params?.scope;
          if (typeof requested === 'string' && requested !== '') {
            for (const scope of requested.split(' ')) {
              if (!catalog.scopes.has(scope)) {
                throw new errors.InvalidScope('requested scope is not known to this server', scope);
              }
              if (!clientScopes.has(scope)) {
                throw new errors.InvalidScope('requested scope is not granted to this client', scope);
              }
              if (!resourceScopes.includes(scope)) {
                throw new errors.InvalidScope(
                  `requested scope belongs to another resource (${catalog.scopes.get(scope)?.resource}); request it with that resource`,
                  scope,
                );
              }
            }
          } else if (ctx.oidc.params) {
            // No scope requested: the token carries every scope the client holds for this resource.
            ctx.oidc.params.scope = resourceScopes.join(' ');
          }
          return {
            scope: resourceScopes.join(' '),
            audience: resource.identifier,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: keySet.active.alg, kid: keySet.active.kid } },
          };
        },
      },
    },
    ttl: {
      // Never beyond the client's own expiry.
      ClientCredentials: (_ctx, _token, client) => {
        const expiresAt = fieldsOf(client).latchkey_expires_at;
        const ttl = config.accessTokenTtlSeconds;
        if (!expiresAt) return ttl;
        return Math.max(1, Math.min(ttl, expiresAt - Math.floor(Date.now() / 1000)));
      },
    },
    extraTokenClaims: (ctx, token) => {
      const client = ctx.oidc.client;
      if (!client || !('clientId' in token)) return undefined;
      const { org_id: orgId, allowed_origins: origins } = fieldsOf(client);
      // The client's plan travels with the token, so resource servers can apply the same limit.
      return { org_id: orgId, rate_limit_per_minute: rateLimitOf(client), ...(origins.length > 0 ? { allowed_origins: origins } : {}) };
    },
    clientBasedCORS: (_ctx, origin, client) => fieldsOf(client).allowed_origins.includes(origin),
    // Client authentication happens before any error page; keep every error JSON.
    renderError: (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
    // The provider wants cookie keys although no endpoint we expose sets cookies.
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    enabledJWA: {
      clientAuthSigningAlgValues: [],
    },
  };

  const provider = new Provider(config.issuer, configuration);
  provider.proxy = config.trustProxy !== false;

  // Built clients by the row they were built from. Left alone, oidc-provider serializes and hashes
  // a client's metadata on every request to find its built client in an LRU of 100, and builds
  // it again (a full metadata validation) once more than 100 clients are active. The client cache
  // hands out the same row object until that client changes, so a different row means a rebuild.
  const built = new Map<string, { row: AuthenticatingClient; client: ProviderClient }>();
  const findBuilt = provider.Client.find.bind(provider.Client);
  provider.Client.find = async (id: string) => {
    if (typeof id !== 'string' || id.length === 0 || id.length > 200) return undefined;
    const row = await clients.findAuthenticatable(id);
    if (!row) {
      built.delete(id);
      return undefined;
    }
    const hit = built.get(id);
    if (hit?.row === row) return hit.client;
    building.set(id, row);
    let client: ProviderClient | undefined;
    try {
      client = (await findBuilt(id)) as ProviderClient | undefined;
    } finally {
      if (building.get(id) === row) building.delete(id);
    }
    if (client) {
      built.delete(id);
      if (built.size >= MAX_BUILT_CLIENTS) built.delete(built.keys().next().value as string);
      built.set(id, { row, client });
    }
    return client;
  };

  provider.Client.prototype.compareClientSecret = async function compareClientSecret(this: ProviderClient, presented: string) {
    const hash = this.clientSecret;
    if (!hash) return false;
    // During a rotation's grace period the previous secret still authenticates.
    const { latchkey_previous_secret_hash: previous, latchkey_previous_secret_expires_at: until } = fieldsOf(this);
    const hashes = previous && until && until * 1000 > Date.now() ? [hash, previous] : [hash];
    // The Express request behind this koa context: its ip honours TRUST_PROXY.
    const ctx = Provider.ctx;
    const ip = (ctx?.req as { ip?: string } | undefined)?.ip;
    let authenticated: boolean;
    try {
      const freshHashes = async () => {
        const fresh = await clients.reload(this.clientId);
        return fresh ? acceptedSecretHashes(fresh) : undefined;
      };
      authenticated = await checkClientSecret({ verifier, limiter }, this.clientId, hashes, presented, ip, freshHashes, ctx?.req);
    } catch (error) {
      if (!(error instanceof TooManyFailedAttempts)) throw error;
      ctx?.set('Retry-After', String(error.retryAfterSeconds));
      throw new TooManyRequests(error.message, 'too_many_failures');
    }
    if (!authenticated) return false;
    // Only authenticated requests count against the client's own allowance.
    const rate = await rateLimits.take(`client:${this.clientId}`, rateLimitOf(this));
    ctx?.set(rateLimitHeaders(rate));
    if (!rate.allowed) {
      throw new TooManyRequests(`rate limit of ${rate.limit} requests per minute exceeded: retry after ${rate.resetSeconds} seconds`, 'rate_limited');
    }
    return true;
  };

  return provider;
}
