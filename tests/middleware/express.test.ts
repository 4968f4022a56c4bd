// latchkey/express against a real Latchkey server: a small resource server built with the
// middleware listens on loopback and is called over real HTTP, from several loopback addresses.
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import {
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  importJWK,
  SignJWT,
  type JWK,
  type JWTPayload,
} from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import jwksRsa from 'jwks-rsa';
import type * as oauth from 'oauth4webapi';
import { projectRoot } from '../../config/index.js';
import { createLatchkeyAuth, type LatchkeyAuth, type LatchkeyAuthOptions } from '../../server/middleware/express.js';
import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';
import { basic, discover, requestToken } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js';

const AUDIENCE = 'https://api.example.com';
const APP_ORIGIN = 'https://app.example.com';

let server: TestServer;
let as: oauth.AuthorizationServer;
let client: TestClient;
let token: string;

// --- a resource server built with the middleware ----------------------------------------------

interface TestApi {
  auth: LatchkeyAuth;
  port: number;
  close(): Promise<void>;
}

/** A small API: /whoami (optional auth), and one route per scope. Listens dual-stack on `::`. */
async function startApi(options: Partial<LatchkeyAuthOptions> = {}, trustProxy: boolean | number = false): Promise<TestApi> {
  const auth = createLatchkeyAuth({ issuer: server.issuer, audience: AUDIENCE, revocationPollSeconds: 0, ...options });
  const app = express();
  app.set('trust proxy', trustProxy);
  app.use(auth.cors());
  app.use(auth.authenticate());
  app.get('/whoami', (req, res) => {
    res.json({ auth: req.auth ?? null, ip: req.ip });
  });
  app.get('/payroll', auth.requireScopes('payroll:Read'), (req, res) => {
    res.json({ ok: true, org_id: req.auth?.orgId });
  });
  app.get('/employees', auth.requireScopes('employees:Read'), (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/rosters', auth.requireScopes('rosters:Read'), (_req, res) => {
    res.json({ ok: true });
  });
  // Node's default header limit (16 KB) would refuse an oversized token before the middleware sees it.
  const listener = http.createServer({ maxHeaderSize: 64 * 1024 }, app);
  await new Promise<void>((resolve) => listener.listen(0, '::', resolve));
  return {
    auth,
    port: (listener.address() as AddressInfo).port,
    close: async () => {
      auth.close();
      listener.closeAllConnections();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/** GET over real HTTP, optionally from a chosen local address (any of 127/8 is loopback on Linux). */
function get(
  api: TestApi,
  path: string,
  options: { headers?: Record<string, string>; host?: string; localAddress?: string; method?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: options.host ?? '127.0.0.1',
        port: api.port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        agent: false,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // keep the text
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
        });
      },
    );
    request.on('error', reject);
    request.end();
  });
}

const bearer = (value: string) => ({ authorization: `Bearer ${value}` });
const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** The issuer's own active private key, to forge tokens whose only defect is a claim or header. */
async function issuerKey(): Promise<{ key: Awaited<ReturnType<typeof importJWK>>; kid: string }> {
  const keys = await server.services.keys.load();
  const jwk = keys.privateJwks[0] as JWK;
  return { key: await importJWK(jwk, 'ES256'), kid: keys.active.kid };
}

/** A token like Latchkey's, signed with the issuer's key, with claims and header changed as asked. */
async function signedLikeLatchkey(
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
  signOptions: { crit?: Record<string, boolean> } = {},
): Promise<string> {
  const { key, kid } = await issuerKey();
  const base = decodeJwt(token);
  const payload: JWTPayload = { ...base, iat: now(), exp: now() + 3600, jti: `forged-${Math.random()}`, ...claims };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid, ...header } as any).sign(key, signOptions);
}

const invalidToken = (description: string) => ({
  status: 401,
  wwwAuthenticate: `Bearer realm="${AUDIENCE}", error="invalid_token", error_description="${description}"`,
  body: { error: 'invalid_token', error_description: description },
});

function expectAnswer(answer: Answer, expected: { status: number; wwwAuthenticate?: string; body: unknown }) {
  expect({ status: answer.status, wwwAuthenticate: answer.headers['www-authenticate'], body: answer.body }).toEqual({
    wwwAuthenticate: undefined,
    ...expected,
  });
}

beforeAll(async () => {
  server = await startTestServer();
  as = await discover(server.issuer);
  client = await server.createClient({
    scopes: ['payroll:Read', 'employees:Read'],
    allowed_origins: [APP_ORIGIN, 'https://a.example', 'http://localhost:8080'],
  });
  token = (await requestToken(as, client)).access_token;
});
afterAll(() => server.stop());

describe('latchkey/express with JWT access tokens', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ algorithms: ['ES256'] });
  });
  afterAll(() => api.close());

  it('accepts a token from the issuer and describes it in req.auth', async () => {
    const answer = await get(api, '/whoami', { headers: bearer(token) });
    expect(answer.status).toBe(200);
    const claims = decodeJwt(token);
    expect(answer.body.auth).toEqual({
      type: 'jwt',
      clientId: client.client_id,
      orgId: client.org_id,
      scopes: ['employees:Read', 'payroll:Read'],
      allowedOrigins: [APP_ORIGIN, 'https://a.example', 'http://localhost:8080'],
      claims,
    });
  });

  it('lets a request without a credential through authenticate() with no req.auth', async () => {
    const answer = await get(api, '/whoami');
    expect(answer.status).toBe(200);
    expect(answer.body.auth).toBeNull();
  });

  it('answers a route whose scope the token holds', async () => {
    const answer = await get(api, '/payroll', { headers: bearer(token) });
    expect(answer).toMatchObject({ status: 200, body: { ok: true, org_id: client.org_id } });
  });

  it('answers 401 with a bare Bearer challenge when no credential is sent (RFC 6750 §3.1)', async () => {
    expectAnswer(await get(api, '/payroll'), {
      status: 401,
      wwwAuthenticate: `Bearer realm="${AUDIENCE}"`,
      body: { error: 'unauthorized', error_description: 'an access token is required' },
    });
  });

  it('treats another Authorization scheme as no bearer credential', async () => {
    const answer = await get(api, '/payroll', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe(`Bearer realm="${AUDIENCE}"`);
  });

  it('answers 403 insufficient_scope naming the scope when the token lacks it', async () => {
    expectAnswer(await get(api, '/rosters', { headers: bearer(token) }), {
      status: 403,
      wwwAuthenticate: `Bearer realm="${AUDIENCE}", error="insufficient_scope", error_description="the access token lacks the scope rosters:Read", scope="rosters:Read"`,
      body: { error: 'insufficient_scope', error_description: 'the access token lacks the scope rosters:Read' },
    });
  });

  it('accepts a token expired within the clock tolerance', async () => {
    const answer = await get(api, '/payroll', { headers: bearer(await signedLikeLatchkey({ iat: now() - 3610, exp: now() - 10 })) });
    expect(answer.status).toBe(200);
  });

  it('refuses to be configured with a symmetric algorithm or none', () => {
    expect(() => createLatchkeyAuth({ issuer: server.issuer, audience: AUDIENCE, algorithms: ['HS256'] })).toThrow(/symmetric/);
    expect(() => createLatchkeyAuth({ issuer: server.issuer, audience: AUDIENCE, algorithms: ['none'] })).toThrow(/symmetric/);
  });

  it('answers 503 temporarily_unavailable, not 401, when the signing keys cannot be fetched', async () => {
    const failures: string[] = [];
    const unreachable = await startApi({
      endpoints: { jwksUri: 'http://127.0.0.1:9/jwks.json' },
      onError: (_error, context) => failures.push(context),
    });
    try {
      expectAnswer(await get(unreachable, '/payroll', { headers: bearer(token) }), {
        status: 503,
        body: { error: 'temporarily_unavailable', error_description: 'the authorization server cannot be reached to check the access token' },
      });
      expect(failures).toEqual(['jwks']);
    } finally {
      await unreachable.close();
    }
  });

  describe('attack tokens, each answered 401 invalid_token', () => {
    const attacks: Array<[string, () => Promise<string>, string]> = [
      [
        'alg none',
        async () => {
          const { kid } = await issuerKey();
          return `${b64url({ alg: 'none', typ: 'at+jwt', kid })}.${b64url({ ...decodeJwt(token), scope: 'payroll:Write' })}.`;
        },
        'the access token is signed with an algorithm this resource server does not accept',
      ],
      [
        'HS256 signed with the public key as the HMAC secret',
        async () => {
          const keys = await server.services.keys.load();
          const publicKey = await importJWK(keys.publicJwks[0] as JWK, 'ES256', { extractable: true });
          const pem = await exportSPKI(publicKey as Parameters<typeof exportSPKI>[0]);
          const input = `${b64url({ alg: 'HS256', typ: 'at+jwt', kid: keys.active.kid })}.${b64url(decodeJwt(token))}`;
          return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
        },
        'the access token is signed with an algorithm this resource server does not accept',
      ],
      ['typ JWT instead of at+jwt', () => signedLikeLatchkey({}, { typ: 'JWT' }), "the access token's typ claim is not acceptable"],
      ['no typ', () => signedLikeLatchkey({}, { typ: undefined }), "the access token's typ claim is not acceptable"],
      ['another issuer', () => signedLikeLatchkey({ iss: 'https://evil.example' }), "the access token's iss claim is not acceptable"],
      ['another audience', () => signedLikeLatchkey({ aud: 'https://reports.example.com' }), "the access token's aud claim is not acceptable"],
      ['no audience', () => signedLikeLatchkey({ aud: undefined }), "the access token's aud claim is not acceptable"],
      ['expired beyond the leeway', () => signedLikeLatchkey({ iat: now() - 3700, exp: now() - 100 }), 'the access token expired'],
      ['nbf in the future', () => signedLikeLatchkey({ nbf: now() + 300 }), "the access token's nbf claim is not acceptable"],
      ['iat in the future', () => signedLikeLatchkey({ iat: now() + 300 }), 'the access token was issued in the future'],
      ['no jti', () => signedLikeLatchkey({ jti: undefined }), "the access token's jti claim is not acceptable"],
      ['no org_id', () => signedLikeLatchkey({ org_id: undefined }), "the access token's org_id claim is not acceptable"],
      [
        'an unknown kid (an attacker key)',
        async () => {
          const { privateKey } = await generateKeyPair('ES256');
          return new SignJWT(decodeJwt(token)).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'attacker-key-1' }).sign(privateKey);
        },
        'no published key matches the access token',
      ],
      [
        'a kid with path characters',
        () => signedLikeLatchkey({}, { kid: '../../../../etc/passwd' }),
        'the access token header lacks a valid kid',
      ],
      ['a kid with SQL characters', () => signedLikeLatchkey({}, { kid: "x' OR '1'='1" }), 'the access token header lacks a valid kid'],
      ...(['jku', 'x5u'] as const).map(
        (parameter): [string, () => Promise<string>, string] => [
          `a ${parameter} header pointing at the attacker's keys`,
          async () => {
            const { privateKey } = await generateKeyPair('ES256');
            return new SignJWT(decodeJwt(token))
              .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'attacker', [parameter]: 'https://evil.example/keys' })
              .sign(privateKey);
          },
          `the access token header carries parameters this resource server does not accept: ${parameter}`,
        ],
      ),
      [
        'a jwk header embedding the attacker key',
        async () => {
          const { privateKey, publicKey } = await generateKeyPair('ES256');
          const jwk = await exportJWK(publicKey);
          return new SignJWT(decodeJwt(token))
            .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: await calculateJwkThumbprint(jwk), jwk })
            .sign(privateKey);
        },
        'the access token header carries parameters this resource server does not accept: jwk',
      ],
      [
        'a jku header on a token signed by the issuer key',
        () => signedLikeLatchkey({}, { jku: 'https://evil.example/keys' }),
        'the access token header carries parameters this resource server does not accept: jku',
      ],
      [
        'a crit header',
        () => signedLikeLatchkey({}, { crit: ['urn:example:bound'], 'urn:example:bound': true }, { crit: { 'urn:example:bound': true } }),
        'the access token header carries parameters this resource server does not accept: crit, urn:example:bound',
      ],
      [
        'a tampered payload (scope widened)',
        async () => {
          const [header, , signature] = token.split('.');
          return `${header}.${b64url({ ...decodeJwt(token), scope: 'payroll:Read payroll:Write' })}.${signature}`;
        },
        'the access token signature is invalid',
      ],
      ['a truncated signature', async () => token.slice(0, -10), 'the access token signature is invalid'],
      [
        'a token over 16 KB (signed by the issuer key)',
        () => signedLikeLatchkey({ padding: 'x'.repeat(17 * 1024) }),
        'the access token is too large',
      ],
      ['a token that is not a JWS', async () => 'not-a-token', 'the access token is malformed'],
    ];

    it.each(attacks)('%s', async (_name, forge, description) => {
      const forged = await forge();
      expectAnswer(await get(api, '/payroll', { headers: bearer(forged) }), invalidToken(description));
      // authenticate() alone refuses it too: an invalid credential is never ignored.
      expect((await get(api, '/whoami', { headers: bearer(forged) })).status).toBe(401);
    });

    it('checks that the forged headers are what the test meant', async () => {
      const forged = await signedLikeLatchkey({}, { jku: 'https://evil.example/keys' });
      expect(decodeProtectedHeader(forged)).toMatchObject({ alg: 'ES256', jku: 'https://evil.example/keys' });
    });
  });
});

describe('latchkey/express with the revocation feed', () => {
  let resourceServer: { clientId: string; clientSecret: string };
  beforeAll(async () => {
    const created = await server.services.resourceServers.create({ name: 'Platform API' }, OPERATOR_CONTEXT);
    resourceServer = { clientId: created.client_id, clientSecret: created.client_secret };
  });

  async function revoke(credentials: TestClient, revoked: string) {
    const response = await fetch(`${server.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(credentials.client_id, credentials.client_secret) },
      body: new URLSearchParams({ token: revoked }),
    });
    expect(response.status).toBe(200);
  }

  /** Polls `check` until it holds or `seconds` pass; returns the milliseconds it took. */
  async function within(seconds: number, check: () => Promise<boolean>): Promise<number> {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > seconds * 1000) throw new Error(`still not the case after ${seconds} s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return Date.now() - started;
  }

  it('rejects a token revoked at POST /oauth/revoke once the feed is read, and keeps its sibling', async () => {
    const api = await startApi({ resourceServer });
    try {
      const revoked = (await requestToken(as, client)).access_token;
      const sibling = (await requestToken(as, client)).access_token;
      await api.auth.refreshRevocations();
      expect((await get(api, '/payroll', { headers: bearer(revoked) })).status).toBe(200);

      await revoke(client, revoked);
      // Verified locally, the token passes until the feed says otherwise.
      expect((await get(api, '/payroll', { headers: bearer(revoked) })).status).toBe(200);
      await api.auth.refreshRevocations();
      expectAnswer(await get(api, '/payroll', { headers: bearer(revoked) }), invalidToken('the access token has been revoked'));
      expect((await get(api, '/payroll', { headers: bearer(sibling) })).status).toBe(200);
      // Entries come again on later polls; reading them twice changes nothing.
      await api.auth.refreshRevocations();
      expect((await get(api, '/payroll', { headers: bearer(revoked) })).status).toBe(401);
      expect((await get(api, '/payroll', { headers: bearer(sibling) })).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  it("rejects every earlier token of a client once it is disabled (the feed's per-client not-before)", async () => {
    const doomed = await server.createClient({ scopes: ['payroll:Read'] });
    const earlier = (await requestToken(as, doomed)).access_token;
    const other = (await requestToken(as, client)).access_token;
    const api = await startApi({ resourceServer });
    try {
      expect((await get(api, '/payroll', { headers: bearer(earlier) })).status).toBe(200);
      // not_before is in whole seconds and spares a token of its very second: disable a second later.
      await within(2, async () => Date.now() / 1000 >= (decodeJwt(earlier).iat ?? 0) + 1);
      await server.services.clients.setStatus(doomed.org_id, doomed.id, 'disabled', OPERATOR_CONTEXT);
      await api.auth.refreshRevocations();
      expectAnswer(await get(api, '/payroll', { headers: bearer(earlier) }), invalidToken('the access token has been revoked'));
      expect((await get(api, '/payroll', { headers: bearer(other) })).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  it('keeps a token through a rotation grace period, and rejects it when the client is then disabled', async () => {
    const rotated = await server.createClient({ scopes: ['payroll:Read'] });
    const earlier = (await requestToken(as, rotated)).access_token;
    const api = await startApi({ resourceServer });
    try {
      await within(2, async () => Date.now() / 1000 >= (decodeJwt(earlier).iat ?? 0) + 1);
      await server.services.clients.rotateSecret(rotated.org_id, rotated.id, { grace_period_seconds: 3600 }, OPERATOR_CONTEXT);
      await api.auth.refreshRevocations();
      // The feed announces a not-before an hour away: not yet in force.
      expect((await get(api, '/payroll', { headers: bearer(earlier) })).status).toBe(200);
      await server.services.clients.setStatus(rotated.org_id, rotated.id, 'disabled', OPERATOR_CONTEXT);
      await api.auth.refreshRevocations();
      expectAnswer(await get(api, '/payroll', { headers: bearer(earlier) }), invalidToken('the access token has been revoked'));
    } finally {
      await api.close();
    }
  });

  it('rejects a token revoked before the middleware started on its first request', async () => {
    const revoked = (await requestToken(as, client)).access_token;
    await revoke(client, revoked);
    const api = await startApi({ resourceServer, revocationPollSeconds: 60 });
    try {
      // No refreshRevocations(): JWTs wait for the first read of the feed.
      expect((await get(api, '/payroll', { headers: bearer(revoked) })).status).toBe(401);
    } finally {
      await api.close();
    }
  });

  it('rejects a revoked token within a few seconds when polling every second', async () => {
    const api = await startApi({ resourceServer, revocationPollSeconds: 1 });
    try {
      const revoked = (await requestToken(as, client)).access_token;
      expect((await get(api, '/payroll', { headers: bearer(revoked) })).status).toBe(200);
      await revoke(client, revoked);
      await within(5, async () => (await get(api, '/payroll', { headers: bearer(revoked) })).status === 401);
    } finally {
      await api.close();
    }
  });

  it('keeps accepting valid tokens and reports the failure when the feed cannot be read', async () => {
    const failures: string[] = [];
    const api = await startApi({
      resourceServer: { clientId: resourceServer.clientId, clientSecret: 'wrong-secret' },
      revocationPollSeconds: 60,
      onError: (error, context) => failures.push(`${context}: ${(error as Error).message}`),
    });
    try {
      expect((await get(api, '/payroll', { headers: bearer(token) })).status).toBe(200);
      await expect(api.auth.refreshRevocations()).rejects.toThrow('the revocation feed answered 401');
      expect(failures).toEqual(['revocation_feed: the revocation feed answered 401', 'revocation_feed: the revocation feed answered 401']);
    } finally {
      await api.close();
    }
  });
});

describe('latchkey/express with restricted access tokens', () => {
  let resourceServer: { clientId: string; clientSecret: string };
  let introspections: string[];
  let api: TestApi;
  /** allowed_ips 127.0.0.1 and a CIDR elsewhere. */
  let local: { id: string; token: string };
  /** allowed_ips 127.0.0.0/30, which holds 127.0.0.2. */
  let range: { id: string; token: string };
  /** allowed_ips ::1. */
  let ipv6: { id: string; token: string };

  const createRestricted = async (allowedIps: string[], scopes = ['employees:Read']) => {
    const created = await server.services.restrictedTokens.create(
      client.org_id,
      { name: `Kiosk ${Math.random().toString(36).slice(2, 8)}`, allowed_ips: allowedIps, scopes },
      OPERATOR_CONTEXT,
    );
    return { id: created.id, token: created.token };
  };

  /** Counts calls to the introspection endpoint (each one a cache miss). */
  const countingFetch: typeof fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.endsWith('/oauth/introspect')) introspections.push(String(new URLSearchParams(String(init?.body)).get('client_ip')));
    return fetch(input, init);
  };

  beforeAll(async () => {
    const created = await server.services.resourceServers.create({ name: 'Kiosk API' }, OPERATOR_CONTEXT);
    resourceServer = { clientId: created.client_id, clientSecret: created.client_secret };
    local = await createRestricted(['127.0.0.1', '198.51.100.0/24']);
    range = await createRestricted(['127.0.0.0/30']);
    ipv6 = await createRestricted(['::1']);
    api = await startApi({ resourceServer, fetch: countingFetch });
  });
  beforeEach(() => {
    introspections = [];
  });
  afterAll(() => api.close());

  it('accepts a token from an allowed address and describes it in req.auth', async () => {
    const answer = await get(api, '/whoami', { headers: bearer(local.token), localAddress: '127.0.0.1' });
    expect(answer.status).toBe(200);
    // The dual-stack listener sees IPv4 callers as IPv4-mapped IPv6 addresses.
    expect(answer.body).toEqual({
      ip: '::ffff:127.0.0.1',
      auth: { type: 'restricted', tokenId: local.id, orgId: client.org_id, scopes: ['employees:Read'] },
    });
  });

  it('accepts the token from X-Access-Token as well', async () => {
    const answer = await get(api, '/employees', { headers: { 'x-access-token': local.token }, localAddress: '127.0.0.1' });
    expect(answer).toMatchObject({ status: 200, body: { ok: true } });
  });

  it('answers 403 from an address outside allowed_ips', async () => {
    expectAnswer(await get(api, '/employees', { headers: bearer(local.token), localAddress: '127.0.0.2' }), {
      status: 403,
      body: { error: 'access_denied', error_description: 'the access token may not be used from this IP address' },
    });
  });

  it('matches a CIDR in allowed_ips', async () => {
    expect((await get(api, '/employees', { headers: bearer(range.token), localAddress: '127.0.0.2' })).status).toBe(200);
    expect((await get(api, '/employees', { headers: bearer(range.token), localAddress: '127.0.0.5' })).status).toBe(403);
  });

  it('matches IPv6 ::1 and keeps the families apart', async () => {
    expect((await get(api, '/employees', { headers: bearer(ipv6.token), host: '::1' })).status).toBe(200);
    expect((await get(api, '/employees', { headers: bearer(ipv6.token), localAddress: '127.0.0.1' })).status).toBe(403);
    expect((await get(api, '/employees', { headers: bearer(local.token), host: '::1' })).status).toBe(403);
  });

  it('answers 403 insufficient_scope for a scope outside the grant, restricted or not', async () => {
    for (const [path, scope] of [
      ['/rosters', 'rosters:Read'],
      ['/payroll', 'payroll:Read'],
    ]) {
      expectAnswer(await get(api, path as string, { headers: bearer(local.token), localAddress: '127.0.0.1' }), {
        status: 403,
        wwwAuthenticate: `Bearer realm="${AUDIENCE}", error="insufficient_scope", error_description="the access token lacks the scope ${scope}", scope="${scope}"`,
        body: { error: 'insufficient_scope', error_description: `the access token lacks the scope ${scope}` },
      });
    }
  });

  it('answers 401 for an unknown token', async () => {
    expectAnswer(
      await get(api, '/employees', { headers: bearer(`lkr_${'A'.repeat(43)}`), localAddress: '127.0.0.1' }),
      invalidToken('the access token is unknown, expired or deleted'),
    );
  });

  it('answers 401 for a deleted token once the cached answer has aged out', async () => {
    const doomed = await createRestricted(['127.0.0.1']);
    const uncached = await startApi({ resourceServer, introspectionCacheSeconds: 0 });
    try {
      expect((await get(uncached, '/employees', { headers: bearer(doomed.token), localAddress: '127.0.0.1' })).status).toBe(200);
      await server.services.restrictedTokens.delete(client.org_id, doomed.id, OPERATOR_CONTEXT);
      expect((await get(uncached, '/employees', { headers: bearer(doomed.token), localAddress: '127.0.0.1' })).status).toBe(401);
    } finally {
      await uncached.close();
    }
  });

  it('caches introspection per token and caller address', async () => {
    const fresh = await createRestricted(['127.0.0.0/30']);
    for (const localAddress of ['127.0.0.1', '127.0.0.1', '127.0.0.2', '127.0.0.2', '127.0.0.1']) {
      expect((await get(api, '/employees', { headers: bearer(fresh.token), localAddress })).status).toBe(200);
    }
    expect(introspections).toEqual(['127.0.0.1', '127.0.0.2']);
  });

  it('answers any browser origin: restricted tokens are bound to addresses, not origins', async () => {
    const answer = await get(api, '/employees', { headers: { ...bearer(local.token), origin: 'https://kiosk.example' }, localAddress: '127.0.0.1' });
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBe('https://kiosk.example');
    expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('refuses a request carrying the token in both headers (RFC 6750 §2)', async () => {
    expectAnswer(
      await get(api, '/employees', { headers: { ...bearer(local.token), 'x-access-token': local.token }, localAddress: '127.0.0.1' }),
      { status: 400, body: { error: 'invalid_request', error_description: 'send the access token in one header only' } },
    );
  });

  it('takes no JWT from X-Access-Token', async () => {
    expectAnswer(
      await get(api, '/payroll', { headers: { 'x-access-token': token } }),
      invalidToken('the X-Access-Token header carries restricted access tokens only'),
    );
  });

  it('refuses restricted tokens when no resource-server credentials are configured', async () => {
    const jwtOnly = await startApi();
    try {
      expectAnswer(
        await get(jwtOnly, '/employees', { headers: bearer(local.token), localAddress: '127.0.0.1' }),
        invalidToken('restricted access tokens are not accepted here'),
      );
    } finally {
      await jwtOnly.close();
    }
  });

  describe('behind proxies', () => {
    it('ignores X-Forwarded-For when trust proxy is off: the socket address decides', async () => {
      const spoofedAllowed = { ...bearer(local.token), 'x-forwarded-for': '127.0.0.1' };
      expect((await get(api, '/employees', { headers: spoofedAllowed, localAddress: '127.0.0.2' })).status).toBe(403);
      const spoofedForeign = { ...bearer(local.token), 'x-forwarded-for': '203.0.113.9' };
      expect((await get(api, '/employees', { headers: spoofedForeign, localAddress: '127.0.0.1' })).status).toBe(200);
    });

    it('honours X-Forwarded-For for the configured number of hops only', async () => {
      const proxied = await startApi({ resourceServer }, 1);
      try {
        // The proxy at 127.0.0.2 forwards a caller at 127.0.0.1.
        const forwarded = await get(proxied, '/whoami', { headers: { ...bearer(local.token), 'x-forwarded-for': '127.0.0.1' }, localAddress: '127.0.0.2' });
        expect(forwarded).toMatchObject({ status: 200, body: { ip: '127.0.0.1', auth: { type: 'restricted' } } });
        // A caller outside the list, forwarded by a proxy inside it, is refused.
        const foreign = { ...bearer(local.token), 'x-forwarded-for': '203.0.113.9' };
        expect((await get(proxied, '/employees', { headers: foreign, localAddress: '127.0.0.1' })).status).toBe(403);
        // A caller at 127.0.0.2 spoofing 127.0.0.1 in front of the proxy's own entry: one hop only.
        const spoofed = { ...bearer(local.token), 'x-forwarded-for': '127.0.0.1, 127.0.0.2' };
        const answer = await get(proxied, '/whoami', { headers: spoofed, localAddress: '127.0.0.1' });
        expect(answer).toMatchObject({ status: 403, body: { error: 'access_denied' } });
      } finally {
        await proxied.close();
      }
    });
  });
});

describe('latchkey/express with browser origins', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  const corsHeaders = (answer: Answer) => Object.keys(answer.headers).filter((name) => name.startsWith('access-control-'));

  it.each([APP_ORIGIN, 'https://a.example', 'http://localhost:8080'])('answers %s, listed exactly, with CORS headers', async (origin) => {
    const answer = await get(api, '/payroll', { headers: { ...bearer(token), origin } });
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBe(origin);
    expect(answer.headers['access-control-expose-headers']).toBe('WWW-Authenticate');
    expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
    expect(answer.headers.vary).toMatch(/\bOrigin\b/);
  });

  it.each([
    ['a trailing slash', `${APP_ORIGIN}/`],
    ['a different case in the host (browsers always send lower case)', 'https://APP.example.com'],
    ['a different scheme', 'http://app.example.com'],
    ['a different port', 'http://localhost:8081'],
    ['no port where one is listed', 'http://localhost'],
    ['an explicit default port', 'https://app.example.com:443'],
    ['the opaque origin null', 'null'],
    ['a suffix of a listed origin', 'https://a.example.evil'],
    ['a subdomain of a listed origin', 'https://evil.a.example'],
  ])('refuses %s with 403 and no CORS headers', async (_name, origin) => {
    const answer = await get(api, '/payroll', { headers: { ...bearer(token), origin } });
    expectAnswer(answer, {
      status: 403,
      body: { error: 'access_denied', error_description: 'this origin is not allowed for the client that requested the access token' },
    });
    expect(corsHeaders(answer)).toEqual([]);
    expect(answer.headers.vary).toMatch(/\bOrigin\b/);
  });

  it('refuses every origin for a client that lists none', async () => {
    const serverSide = await server.createClient({ scopes: ['payroll:Read'] });
    const serverToken = (await requestToken(as, serverSide)).access_token;
    expect((await get(api, '/payroll', { headers: bearer(serverToken) })).status).toBe(200);
    const answer = await get(api, '/payroll', { headers: { ...bearer(serverToken), origin: APP_ORIGIN } });
    expect(answer.status).toBe(403);
    expect(corsHeaders(answer)).toEqual([]);
  });

  it('sends no CORS headers to server-to-server requests (no Origin)', async () => {
    const answer = await get(api, '/payroll', { headers: bearer(token) });
    expect(answer.status).toBe(200);
    expect(corsHeaders(answer)).toEqual([]);
  });

  it('lets an allowed origin read a 403 insufficient_scope', async () => {
    const answer = await get(api, '/rosters', { headers: { ...bearer(token), origin: APP_ORIGIN } });
    expect(answer.status).toBe(403);
    expect(answer.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
  });

  it('answers preflights alike for every origin, revealing nothing about tokens or clients', async () => {
    for (const origin of [APP_ORIGIN, 'https://a.example.evil']) {
      const answer = await get(api, '/payroll', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      expect(answer.status).toBe(204);
      expect(answer.headers).toMatchObject({
        'access-control-allow-origin': origin,
        'access-control-allow-methods': 'GET, HEAD, POST, PUT, PATCH, DELETE',
        'access-control-allow-headers': 'Authorization, X-Access-Token, Content-Type',
        'access-control-max-age': '600',
      });
      expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
    }
  });
});

describe('interoperability: Latchkey tokens verified by jsonwebtoken + jwks-rsa', () => {
  /** The usual Node resource-server recipe: jwks-rsa finds the key by kid, jsonwebtoken verifies. */
  async function verifyWithJsonwebtoken(jwt: string, options: { audience: string; issuer: string }) {
    const keys = jwksRsa({ jwksUri: as.jwks_uri as string, cache: true, rateLimit: true });
    const { kid } = decodeProtectedHeader(jwt);
    const key = await keys.getSigningKey(kid);
    return jsonwebtoken.verify(jwt, key.getPublicKey(), { ...options, algorithms: ['ES256'] }) as jsonwebtoken.JwtPayload;
  }

  it('accepts a token with the issuer and audience configured', async () => {
    const payload = await verifyWithJsonwebtoken(token, { issuer: server.issuer, audience: AUDIENCE });
    expect(payload).toMatchObject({ iss: server.issuer, aud: AUDIENCE, client_id: client.client_id, org_id: client.org_id });
  });

  it('refuses the token for another audience or issuer', async () => {
    await expect(verifyWithJsonwebtoken(token, { issuer: server.issuer, audience: 'https://reports.example.com' })).rejects.toThrow(
      'jwt audience invalid. expected: https://reports.example.com',
    );
    await expect(verifyWithJsonwebtoken(token, { issuer: 'https://evil.example', audience: AUDIENCE })).rejects.toThrow(
      'jwt issuer invalid. expected: https://evil.example',
    );
  });

  it('refuses a tampered token', async () => {
    const [header, , signature] = token.split('.');
    const tampered = `${header}.${b64url({ ...decodeJwt(token), scope: 'payroll:Write' })}.${signature}`;
    await expect(verifyWithJsonwebtoken(tampered, { issuer: server.issuer, audience: AUDIENCE })).rejects.toThrow('invalid signature');
  });
});

describe('the latchkey/express package export', () => {
  it('resolves to the middleware factory', async () => {
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', "const m = await import('latchkey/express'); console.log(typeof m.createLatchkeyAuth);"],
        { cwd: projectRoot },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
    });
    expect(output.trim()).toBe('function');
  });
});
