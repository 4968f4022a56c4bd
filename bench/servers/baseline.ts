// The baseline of the suite, in its own process: a bare oidc-provider 9 with one static in-memory
// client and its plain secret, issuing the same tokens Latchkey issues (ES256 RFC 9068 at+jwt for
// a resource indicator, the same aud, scope, lifetime and extra claims), behind Express 5 as
// Latchkey is. Nothing else: no database, no bcrypt, no logging, no rate limits, no metrics.
//
//   PORT, BASELINE_CLIENT_ID, BASELINE_CLIENT_SECRET, BASELINE_ORG_ID (set by bench/scenarios/baseline.ts)
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import express from 'express';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Configuration } from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const audience = 'https://api.example.com';
const scope = 'employees:Read payroll:Read';
const allowedOrigins = ['https://app.example.com'];
const orgId = process.env.BASELINE_ORG_ID ?? '00000000-0000-4000-8000-000000000000';
const rateLimitPerMinute = 1_000_000;

const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'baseline' };

const configuration: Configuration = {
  clients: [
    {
      client_id: process.env.BASELINE_CLIENT_ID as string,
      client_secret: process.env.BASELINE_CLIENT_SECRET as string,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope,
    },
  ],
  jwks: { keys: [jwk] as NonNullable<Configuration['jwks']>['keys'] },
  routes: { token: '/oauth/token', jwks: '/.well-known/jwks.json' },
  scopes: ['employees:Read', 'employees:Write', 'payroll:Read', 'payroll:Write', 'rosters:Read', 'rosters:Write'],
  claims: {},
  responseTypes: ['none'],
  clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
  clientDefaults: {
    grant_types: ['client_credentials'],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
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
      defaultResource: () => audience,
      getResourceServerInfo: (ctx) => {
        // As Latchkey does when no scope is requested: every scope the client holds for the resource.
        if (ctx.oidc.params && !ctx.oidc.params.scope) ctx.oidc.params.scope = scope;
        return { scope, audience, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256', kid: 'baseline' } } };
      },
    },
  },
  ttl: { ClientCredentials: 3600 },
  extraTokenClaims: () => ({ org_id: orgId, rate_limit_per_minute: rateLimitPerMinute, allowed_origins: allowedOrigins }),
  clientBasedCORS: () => false,
  renderError: (ctx, out) => {
    ctx.type = 'json';
    ctx.body = out;
  },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  enabledJWA: { clientAuthSigningAlgValues: [] },
};

const provider = new Provider(issuer, configuration);
const callback = provider.callback();
const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.get('/readyz', (_req, res) => {
  res.json({ status: 'ready' });
});
app.get('/.well-known/jwks.json', (req, res) => callback(req, res));
app.post('/oauth/token', (req, res) => callback(req, res));

const server = http.createServer(app);
server.listen(port, '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
