// Canary: drive every credential-bearing path, then search everything the server logged for the
// secrets, tokens and Authorization values it saw.
import { discover, postToken, basic, requestToken } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { LOG_LEVEL: 'trace' } });
});
afterAll(() => server.stop());

it('never logs a secret, a token or an Authorization header', async () => {
  const client = await server.createClient();
  const as = await discover(server.issuer);
  const seen: string[] = [client.client_secret];

  const viaBasic = await requestToken(as, client);
  const viaPost = await requestToken(as, client, { method: 'post' });
  seen.push(viaBasic.access_token, viaPost.access_token);

  const wrongSecret = `${client.client_secret.slice(0, -2)}zz`;
  seen.push(wrongSecret);
  const authorization = basic(client.client_id, wrongSecret);
  seen.push(authorization, authorization.slice('Basic '.length));
  expect((await postToken(server.url, 'grant_type=client_credentials', { authorization })).status).toBe(401);
  expect((await postToken(server.url, `grant_type=client_credentials&client_id=${client.client_id}&client_secret=${wrongSecret}`)).status).toBe(401);

  // A secret misplaced in the query string is redacted from the logged URL.
  const querySecret = 'lks_query-secret-that-must-not-be-logged-000000000';
  seen.push(querySecret);
  const misplaced = await fetch(`${server.url}/oauth/token?client_secret=${querySecret}`, {
    method: 'POST',
    headers: { authorization: basic(client.client_id, client.client_secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  expect(misplaced.status).toBe(200);

  const logged = server.logs.text;
  // The log really captured these requests, so an empty log cannot pass.
  expect(server.logs.lines.filter((line) => line.msg === 'request completed').length).toBeGreaterThanOrEqual(6);
  expect(logged).toContain('/oauth/token?client_secret=%5Bredacted%5D');
  for (const value of seen) expect(logged).not.toContain(value);
  expect(logged).not.toMatch(/"authorization"/i);
  expect(logged).not.toMatch(/\$2[aby]\$/); // no bcrypt hash either
});
