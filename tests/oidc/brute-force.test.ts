// Failed client authentications are counted per client_id and per IP; past the threshold, an
// unverified attempt is refused with 429 before any bcrypt work, while a secret that already
// verified keeps working.
import { jest } from '@jest/globals';
import bcrypt from 'bcrypt';
import { basic, postToken } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';

const grant = 'grant_type=client_credentials';
const tooMany = { error: 'too_many_requests', error_description: expect.stringMatching(/^too many failed client authentications: retry after \d+ seconds$/) };

describe('brute-force protection at the token endpoint', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { AUTH_MAX_FAILURES_PER_CLIENT: '3', AUTH_MAX_FAILURES_PER_IP: '1000', AUTH_FAILURE_WINDOW_SECONDS: '60' } });
  });
  afterAll(() => server.stop());

  it('refuses a hammered client_id with 429 before bcrypt, and keeps serving the real client', async () => {
    const client = await server.createClient();
    const real = { authorization: basic(client.client_id, client.client_secret) };
    expect((await postToken(server.url, grant, real)).status).toBe(200); // its secret is now remembered

    const wrong = { authorization: basic(client.client_id, 'lks_guess') };
    for (let attempt = 0; attempt < 3; attempt += 1) expect((await postToken(server.url, grant, wrong)).status).toBe(401);
    const compare = jest.spyOn(bcrypt, 'compare');
    const blocked = await postToken(server.url, grant, wrong);
    expect(blocked.status).toBe(429);
    expect(blocked.body).toEqual(tooMany);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(blocked.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(compare).not.toHaveBeenCalled();
    // Once the block is known, the next attempts are answered ahead of Express: the same answer.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const again = await postToken(server.url, grant, wrong);
      expect([again.status, again.body]).toEqual([429, tooMany]);
      expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(again.headers.get('cache-control')).toBe('no-store');
      expect(again.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
    await server.flushUsage();
    const buckets = await server.db.knex('usage_buckets').where({ credential_id: client.client_id, endpoint: 'token' }).orderBy('outcome');
    expect(buckets.map((row) => [row.outcome, Number(row.requests)])).toEqual([['invalid_client', 3], ['success', 1], ['too_many_failures', 3]]);

    const served = await postToken(server.url, grant, real);
    expect(served.status).toBe(200);
    expect(compare).not.toHaveBeenCalled();
    compare.mockRestore();

    // The same applies to client_secret_post.
    const viaBody = await postToken(server.url, `${grant}&client_id=${client.client_id}&client_secret=lks_guess2`);
    expect(viaBody.status).toBe(429);
  });

  it('lets a burst of concurrent wrong secrets spend only the threshold\'s worth of bcrypt', async () => {
    const client = await server.createClient();
    const compare = jest.spyOn(bcrypt, 'compare');
    const wrong = { authorization: basic(client.client_id, 'lks_burst') };
    const statuses = (await Promise.all(Array.from({ length: 20 }, () => postToken(server.url, grant, wrong)))).map((response) => response.status);
    // Checked one at a time: three fail (the threshold), every later one meets the block.
    expect(statuses.filter((status) => status === 401)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(17);
    expect(compare).toHaveBeenCalledTimes(3);
    compare.mockRestore();
  });

  it('leaves other clients alone', async () => {
    const other = await server.createClient();
    expect((await postToken(server.url, grant, { authorization: basic(other.client_id, other.client_secret) })).status).toBe(200);
  });
});

describe('brute-force protection per IP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { AUTH_MAX_FAILURES_PER_CLIENT: '1000', AUTH_MAX_FAILURES_PER_IP: '3' } });
  });
  afterAll(() => server.stop());

  it('blocks an IP spraying wrong secrets across clients, at the token endpoint and at introspection', async () => {
    const clients = await Promise.all([1, 2, 3, 4].map(() => server.createClient()));
    for (const client of clients.slice(0, 3)) {
      expect((await postToken(server.url, grant, { authorization: basic(client.client_id, 'lks_wrong') })).status).toBe(401);
    }
    const fourth = clients[3];
    const blocked = await postToken(server.url, grant, { authorization: basic(fourth?.client_id ?? '', 'lks_wrong') });
    expect(blocked.status).toBe(429);
    expect(blocked.body).toEqual(tooMany);

    const rs = await server.services.resourceServers.create({ name: 'Sprayed API' }, OPERATOR_CONTEXT);
    const introspection = await fetch(`${server.url}/oauth/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(rs.client_id, 'lks_wrong') },
      body: 'token=x',
    });
    expect(introspection.status).toBe(429);
    expect(await introspection.json()).toEqual(tooMany);
    expect(Number(introspection.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
