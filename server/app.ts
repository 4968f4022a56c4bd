// createApp builds the Express application and never listens: main.ts and the tests both use it.
import express, { type ErrorRequestHandler, type Request, type Response, type Router } from 'express';
import helmet from 'helmet';
import type { Catalog } from '../config/catalog.js';
import type { Config } from '../config/index.js';
import type { AuthService } from './auth/auth.service.js';
import { CONSOLE_PATH, createConsoleRouter } from './console/console.routes.js';
import { isReady, type Database } from './db/database.js';
import { createV1Router, MAX_JSON_BODY_BYTES } from './http/v1.js';
import type { ProviderHolder } from './oidc/provider-holder.js';
import { ROUTES } from './oidc/provider.js';
import { INTROSPECTION_PATH, REVOCATION_PATH } from './resource-servers/endpoints.js';
import type { Services } from './services.js';
import type { Metrics } from './metrics.js';
import { safeEqual, type SecretVerifier } from './shared/secrets.js';
import { AppError } from './shared/errors.js';
import type { Logger } from './shared/logger.js';
import type { Envelope } from './http/envelope.js';
import type { TokenChecks } from './http/token-route.js';
import type { UsageRecorder } from './usage/recorder.js';

export interface AppDeps {
  config: Config;
  catalog: Catalog;
  db: Database;
  logger: Logger;
  provider: ProviderHolder;
  services: Services;
  auth: AuthService;
  verifier: SecretVerifier;
  resourceEndpoints: Router;
  metrics: Metrics;
  usage: UsageRecorder;
  envelope: Envelope;
  tokenChecks: TokenChecks;
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
  const { config, catalog, db, logger, provider, services, auth, verifier, resourceEndpoints, metrics, usage, envelope, tokenChecks } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('etag', false);

  app.use((req, res, next) => {
    // The route a request matched, for the metrics: set by the router, never the raw URL.
    envelope(req, res, () => (req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched'));
    next();
  });
  app.use(helmet());

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
  app.get(ROUTES.jwks, toProvider);
  // Only spellings of the path that Express routes here and the token route does not take
  // (server/http/token-route.ts) come this way; the same checks run.
  app.post(
    ROUTES.token,
    usage.track('token'),
    (req, res, next) => (tokenChecks.refuseLargeBody(req, res) ? undefined : next()),
    async (req, res, next) => ((await tokenChecks.refuseBlocked(req, res)) ? undefined : next()),
    toProvider,
  );
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
    if (appError.status >= 500) logger.error({ err: error, req: { id: (req as { id?: string }).id } }, 'request failed');
    res.status(appError.status).set(appError.headers).set('Cache-Control', 'no-store').json(appError.toJSON());
  };
  app.use(errorHandler);

  return app;
}
