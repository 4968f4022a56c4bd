// createApp builds the Express application and never listens: main.ts and the tests both use it.
import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response, type Router } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Catalog } from '../config/catalog.js';
import type { Config } from '../config/index.js';
import type { AuthService } from './auth/auth.service.js';
import { CONSOLE_PATH, createConsoleRouter } from './console/console.routes.js';
import { isReady, type Database } from './db/database.js';
import { createV1Router, MAX_JSON_BODY_BYTES } from './http/v1.js';
import type { ProviderHolder } from './oidc/provider-holder.js';
import { ROUTES } from './oidc/provider.js';
import { INTROSPECTION_PATH, parseBasic, REVOCATION_PATH } from './resource-servers/endpoints.js';
import type { Services } from './services.js';
import type { Metrics } from './metrics.js';
import type { FailureLimiter } from './shared/failure-limiter.js';
import { safeEqual, type SecretVerifier } from './shared/secrets.js';
import { AppError } from './shared/errors.js';
import { redactUrl, type Logger } from './shared/logger.js';
import { attribute, type UsageRecorder } from './usage/recorder.js';

export interface AppDeps {
  config: Config;
  catalog: Catalog;
  db: Database;
  logger: Logger;
  provider: ProviderHolder;
  services: Services;
  auth: AuthService;
  verifier: SecretVerifier;
  limiter: FailureLimiter;
  resourceEndpoints: Router;
  metrics: Metrics;
  usage: UsageRecorder;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** A client-credentials request is a few hundred bytes; anything near this is not one. */
const MAX_TOKEN_REQUEST_BYTES = 16 * 1024;

/** Refuses a declared body over `limit` before anything reads it. */
function limitBody(limit: number): RequestHandler {
  return (req, res, next) => {
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > limit) {
      res.status(413).set('Connection', 'close').json({
        error: 'invalid_request',
        error_description: `the request body must not exceed ${limit} bytes`,
      });
      return;
    }
    next();
  };
}

/** RFC 8414 authorization server metadata. */
export function serverMetadata(config: Config, catalog: Catalog, algorithms: string[]) {
  return {
    issuer: config.issuer,
    token_endpoint: `${config.issuer}${ROUTES.token}`,
    jwks_uri: `${config.issuer}${ROUTES.jwks}`,
    introspection_endpoint: `${config.issuer}${INTROSPECTION_PATH}`,
    revocation_endpoint: `${config.issuer}${REVOCATION_PATH}`,
    grant_types_supported: ['client_credentials'],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    scopes_supported: [...catalog.scopes.keys()],
    // Tokens that can still be valid were signed with one of the published keys.
    access_token_signing_alg_values_supported: algorithms,
  };
}

/** Any error as the JSON error it answers with; never leaks internals of a 5xx. */
function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const { type, status } = (error ?? {}) as { type?: string; status?: number };
  // body-parser's errors (RFC 6749-style bodies for the JSON API too).
  if (type === 'entity.too.large') {
    return new AppError(413, 'payload_too_large', `the request body must not exceed ${MAX_JSON_BODY_BYTES} bytes`);
  }
  if (type === 'entity.parse.failed') return AppError.invalidRequest('the request body is not valid JSON');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return AppError.invalidRequest('the request body must be UTF-8 JSON');
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError(status, 'invalid_request', 'the request is invalid');
  }
  return new AppError(500, 'server_error', 'an unexpected error occurred');
}

export function createApp(deps: AppDeps) {
  const { config, catalog, db, logger, provider, services, auth, verifier, limiter, resourceEndpoints, metrics, usage } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('etag', false);

  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
      serializers: {
        req: (req: { id: string; method: string; url: string; raw?: Request }) => ({
          id: req.id,
          method: req.method,
          url: redactUrl(req.url),
          // The client address as TRUST_PROXY allows it to be read (X-Forwarded-For only from trusted proxies).
          ip: req.raw?.ip,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(helmet());
  app.use(metrics.middleware);

  // Prometheus exposition, behind METRICS_TOKEN (absent: no /metrics at all).
  if (config.metricsToken) {
    const expected = `Bearer ${config.metricsToken}`;
    app.get('/metrics', async (req, res) => {
      if (!safeEqual(req.get('authorization') ?? '', expected)) {
        res.status(401).set('WWW-Authenticate', 'Bearer realm="metrics"').json({ error: 'unauthorized', error_description: 'GET /metrics needs the METRICS_TOKEN bearer token' });
        return;
      }
      res.set('Content-Type', metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  }

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ready = await isReady(db.knex);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable' });
  });

  const sendMetadata = (_req: Request, res: Response) => {
    res.set('Cache-Control', 'public, max-age=300').json(serverMetadata(config, catalog, provider.algorithms));
  };
  app.get('/.well-known/oauth-authorization-server', sendMetadata);
  app.get('/.well-known/openid-configuration', sendMetadata);

  // Only the endpoints Latchkey offers reach oidc-provider; it parses its own bodies.
  const toProvider = (req: Request, res: Response) => provider.handle(req, res);
  // A client_id or IP past its failure threshold is refused here, before the client lookup and
  // oidc-provider, unless the Basic secret is one that verified recently (the real client).
  const refuseBlockedEarly: RequestHandler = async (req, res, next) => {
    if (!req.headers.authorization?.startsWith('Basic ')) return next();
    let clientId: string;
    let secret: string;
    try {
      ({ clientId, secret } = parseBasic(req.headers.authorization));
    } catch {
      return next(); // oidc-provider answers the malformed header
    }
    if (verifier.recentlyVerified(clientId, secret)) return next();
    const wait = await limiter.retryAfterSeconds(clientId, req.ip);
    if (wait === 0) return next();
    // Counted against the client_id it names (dropped at flush if no such client exists).
    if (clientId.length <= 200) {
      attribute(req, { credentialType: 'api_client', credentialId: clientId, orgId: undefined, reason: 'too_many_failures' });
    }
    res.status(429).set({ 'Retry-After': String(wait), 'Cache-Control': 'no-store' }).json({
      error: 'too_many_requests',
      error_description: `too many failed client authentications: retry after ${wait} seconds`,
    });
  };
  app.get(ROUTES.jwks, toProvider);
  app.post(ROUTES.token, usage.track('token'), limitBody(MAX_TOKEN_REQUEST_BYTES), refuseBlockedEarly, toProvider);
  app.options(ROUTES.token, toProvider);
  app.all(ROUTES.token, (_req, res) => {
    res.set('Allow', 'POST, OPTIONS').status(405).json({
      error: 'invalid_request',
      error_description: 'the token endpoint only accepts POST',
    });
  });

  app.post(INTROSPECTION_PATH, usage.track('introspection'));
  app.use(resourceEndpoints);
  app.use('/v1', createV1Router({ config, catalog, services, auth, verifier }));
  app.get('/', (_req, res) => res.redirect(302, `${CONSOLE_PATH}/`));
  app.use(CONSOLE_PATH, createConsoleRouter(config.consoleDir));

  app.use((_req, _res, next) => next(new AppError(404, 'not_found', 'no such endpoint')));

  const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
    const appError = toAppError(error);
    if (appError.status >= 500) req.log.error({ err: error }, 'request failed');
    res.status(appError.status).set(appError.headers).set('Cache-Control', 'no-store').json(appError.toJSON());
  };
  app.use(errorHandler);

  return app;
}
