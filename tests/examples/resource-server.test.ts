// The example API of examples/resource-server, driven the way its README walkthrough does.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTokenSource } from '../../examples/resource-server/backend-client.js';
import { createExampleApi } from '../../examples/resource-server/server.js';
import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let latchkey: TestServer;
let api: http.Server;
let apiPort: number;
let close: () => void;
let orgId: string;

/** A request to the example API from a chosen loopback address. */
function call(path: string, headers: Record<string, string>, localAddress = '127.0.0.1', host = '127.0.0.1') {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: any }>((resolve, reject) => {
    const request = http.request({ host, port: apiPort, path, headers, localAddress }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text ? JSON.parse(text) : undefined }));
    });
    request.on('error', reject);
    request.end();
  });
}

beforeAll(async () => {
  latchkey = await startTestServer();
  orgId = (await latchkey.services.orgs.create({ name: 'Example Org' }, OPERATOR_CONTEXT)).id;
  const rs = await latchkey.services.resourceServers.create({ name: 'Example HR API' }, OPERATOR_CONTEXT);
  const example = createExampleApi({ issuer: latchkey.issuer, resourceServer: { clientId: rs.client_id, clientSecret: rs.client_secret }, revocationPollSeconds: 0 });
  close = () => example.auth.close();
  api = http.createServer(example.app);
  await new Promise<void>((resolve) => api.listen(0, '::', () => resolve()));
  apiPort = (api.address() as AddressInfo).port;
});
afterAll(async () => {
  close();
  await new Promise((resolve) => api.close(resolve));
  await latchkey.stop();
});

describe('the example resource server', () => {
  it('serves a backend that gets and caches its token with openid-client', async () => {
    const client = await latchkey.createClient({ scopes: ['payroll:Read'] }, orgId);
    const token = createTokenSource(latchkey.issuer, client.client_id, client.client_secret);
    const first = await token();
    expect(await token()).toBe(first); // cached, not fetched again
    const response = await call('/payroll/runs', { authorization: `Bearer ${first}` });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ org_id: orgId, runs: [{ id: 'run-2026-10', period: '2026-10', status: 'paid' }] });

    const refused = await call('/employees', { authorization: `Bearer ${first}` });
    expect(refused.status).toBe(403);
    expect(refused.headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
    expect((await call('/payroll/runs', {})).status).toBe(401);
  });

  it('answers a browser call from an allowed origin, and refuses a foreign one', async () => {
    const client = await latchkey.createClient({ scopes: ['employees:Read'], allowed_origins: ['https://app.example.com'] }, orgId);
    const token = await createTokenSource(latchkey.issuer, client.client_id, client.client_secret)();
    const allowed = await call('/employees', { authorization: `Bearer ${token}`, origin: 'https://app.example.com' });
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const foreign = await call('/employees', { authorization: `Bearer ${token}`, origin: 'https://evil.example.com' });
    expect(foreign.status).toBe(403);
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('accepts a restricted token from an allowed IP and refuses it from another', async () => {
    const { token } = await latchkey.services.restrictedTokens.create(
      orgId,
      { name: 'Kiosk', allowed_ips: ['127.0.0.1'], scopes: ['employees:Read'] },
      OPERATOR_CONTEXT,
    );
    const allowed = await call('/employees', { 'x-access-token': token }, '127.0.0.1');
    expect(allowed.status).toBe(200);
    expect(allowed.body.org_id).toBe(orgId);
    const otherIp = await call('/employees', { 'x-access-token': token }, '127.0.0.2');
    expect(otherIp.status).toBe(403);
    const outsideGrant = await call('/payroll/runs', { authorization: `Bearer ${token}` }, '127.0.0.1');
    expect(outsideGrant.status).toBe(403);
    expect((await call('/employees', { 'x-access-token': 'lkr_not-a-real-token' })).status).toBe(401);
  });
});
