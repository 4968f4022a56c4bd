// POST /oauth/token takes its own path ahead of Express (server/http/token-route.ts). What a client
// or an operator sees must not tell the two apart: headers, errors, the client address under
// TRUST_PROXY, the access log and the failure of anything inside.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEnvelope } from '../../server/http/envelope.js';
import { createTokenChecks, createTokenRoute, helmetHeaders } from '../../server/http/token-route.js';
import { createLogger } from '../../server/shared/logger.js';
import type { FailureLimiter } from '../../server/shared/failure-limiter.js';
import { createSecretVerifier } from '../../server/shared/secrets.js';
import { basic, postToken } from '../helpers/oauth.js';
import { LogCapture, startTestServer, type TestServer } from '../helpers/server.js';

/** Headers that differ between any two responses. */
const VARYING = new Set(['date', 'x-request-id', 'content-length', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'keep-alive']);
const stable = (response: { headers: Headers }) => Object.fromEntries([...response.headers].filter(([name]) => !VARYING.has(name)));

describe('the token route', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('answers as the Express route does, headers included, for a token and for each refusal', async () => {
    const client = await server.createClient();
    const good = { authorization: basic(client.client_id, client.client_secret) };
    const wrong = { authorization: basic(client.client_id, `${client.client_secret.slice(0, -1)}x`) };
    const cases: Array<[string, Record<string, string>, number]> = [
      ['grant_type=client_credentials', good, 200],
      ['grant_type=client_credentials', wrong, 401],
      ['grant_type=password', good, 400],
      [`grant_type=client_credentials&padding=${'a'.repeat(20_000)}`, good, 413],
    ];
    for (const [body, headers, status] of cases) {
      // The token route takes /oauth/token; Express still routes /oauth/token/ to the same endpoint.
      const fast = await postToken(server.url, body, headers);
      const viaExpress = await fetch(`${server.url}/oauth/token/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body,
      });
      expect([fast.status, viaExpress.status]).toEqual([status, status]);
      expect(stable(fast)).toEqual(stable(viaExpress));
      const [fastBody, expressBody] = [fast.body, await viaExpress.json()] as Array<Record<string, unknown>>;
      if (status === 200) {
        expect(Object.keys(fastBody!).sort()).toEqual(Object.keys(expressBody!).sort());
      } else {
        expect(fastBody).toEqual(expressBody);
      }
    }
  });

  it('sends every header helmet sets, and the request id', async () => {
    const client = await server.createClient();
    const response = await postToken(server.url, 'grant_type=client_credentials', {
      authorization: basic(client.client_id, client.client_secret),
      'x-request-id': 'token-route-id',
    });
    expect(response.status).toBe(200);
    for (const [name, value] of helmetHeaders()) expect([name, response.headers.get(name)]).toEqual([name, value]);
    expect(response.headers.get('x-request-id')).toBe('token-route-id');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('records the socket address, ignoring X-Forwarded-For, in the log and the API log', async () => {
    const client = await server.createClient();
    await postToken(server.url, 'grant_type=client_credentials', {
      authorization: basic(client.client_id, client.client_secret),
      'x-forwarded-for': '203.0.113.7',
      'x-request-id': 'untrusted-forward',
    });
    await server.flushUsage();
    const line = server.logs.lines.find((entry) => (entry.req as { id?: string } | undefined)?.id === 'untrusted-forward');
    expect((line?.req as { ip?: string }).ip).toMatch(/127\.0\.0\.1$/);
    const row = await server.db.knex('api_logs').where({ request_id: 'untrusted-forward' }).first();
    expect(row.ip).toMatch(/127\.0\.0\.1$/);
  });
});

describe('the token route behind a trusted proxy', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { TRUST_PROXY: 'loopback' } });
  });
  afterAll(() => server.stop());

  it('reads the client address from X-Forwarded-For, as Express would', async () => {
    const client = await server.createClient();
    await postToken(server.url, 'grant_type=client_credentials', {
      authorization: basic(client.client_id, client.client_secret),
      'x-forwarded-for': '203.0.113.7',
      'x-request-id': 'trusted-forward',
    });
    await server.flushUsage();
    const line = server.logs.lines.find((entry) => (entry.req as { id?: string } | undefined)?.id === 'trusted-forward');
    expect((line?.req as { ip?: string }).ip).toBe('203.0.113.7');
    const row = await server.db.knex('api_logs').where({ request_id: 'trusted-forward' }).first();
    expect(row.ip).toBe('203.0.113.7');
  });
});

describe('the token route when something inside fails', () => {
  it('answers a JSON 500 without details, logs the error with the request id, and counts the request', async () => {
    const logs = new LogCapture();
    const logger = createLogger('info', logs);
    const finished: unknown[][] = [];
    const route = createTokenRoute({
      envelope: createEnvelope({ logger, metrics: { requestFinished: (...args: unknown[]) => void finished.push(args) } }),
      checks: createTokenChecks({
        verifier: createSecretVerifier({ cacheSeconds: 60 }),
        limiter: { retryAfterSeconds: async () => 0 } as unknown as FailureLimiter,
      }),
      usage: { trackRequest: () => {} },
      provider: {
        handle: async () => {
          throw new Error('database password is hunter2');
        },
      },
      trustProxy: () => false,
      logger,
    });
    const plain = http.createServer((req, res) => {
      if (!route(req, res)) {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
      const response = await postToken(url, 'grant_type=client_credentials', { authorization: basic('lkc_x', 'lks_y'), 'x-request-id': 'boom' });
      expect(response.status).toBe(500);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.body).toEqual({ error: 'server_error', error_description: 'an unexpected error occurred' });
      expect((await fetch(`${url}/oauth/token`)).status).toBe(404); // only POST is taken
      await new Promise((resolve) => setTimeout(resolve, 20));
      const failed = logs.lines.find((line) => line.msg === 'request failed');
      expect(failed).toMatchObject({ level: 50, req: { id: 'boom' }, err: { message: 'database password is hunter2' } });
      expect(logs.lines.find((line) => line.msg === 'request errored')).toMatchObject({ req: { id: 'boom', method: 'POST', url: '/oauth/token' }, res: { statusCode: 500 } });
      expect(finished).toEqual([['/oauth/token', 'POST', '/oauth/token', 500, expect.any(Number)]]);
    } finally {
      await new Promise((resolve) => plain.close(resolve));
    }
  });
});
