// Browser calls to the token endpoint: CORS only for the client's exact allowed origins.
import { basic, postToken } from '../helpers/oauth.js';
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js';

let server: TestServer;
let client: TestClient;
let noOrigins: TestClient;
const grant = 'grant_type=client_credentials';

beforeAll(async () => {
  server = await startTestServer();
  client = await server.createClient({ allowed_origins: ['https://app.example.com', 'http://localhost:5173'] });
  noOrigins = await server.createClient({}, client.org_id);
});
afterAll(() => server.stop());

const call = (origin: string | undefined, who: TestClient = client) =>
  postToken(server.url, grant, { authorization: basic(who.client_id, who.client_secret), ...(origin ? { origin } : {}) });

describe('Origin at POST /oauth/token', () => {
  it.each(['https://app.example.com', 'http://localhost:5173'])('serves the allowed origin %s with CORS headers', async (origin) => {
    const response = await call(origin);
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(origin);
    expect(response.headers.get('vary')).toMatch(/Origin/);
  });

  it.each([
    'https://app.example.com/',
    'https://APP.example.com',
    'https://app.example.com:8443',
    'http://app.example.com',
    'https://app.example.com.evil',
    'https://evil.example.com',
    'null',
  ])('refuses %s with no CORS allow headers', async (origin) => {
    const response = await call(origin);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_request', error_description: `origin ${origin} not allowed for client: ${client.client_id}` });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses every browser origin for a client without allowed origins', async () => {
    const response = await call('https://app.example.com', noOrigins);
    expect(response.status).toBe(400);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('leaves server-to-server requests without Origin unaffected', async () => {
    for (const who of [client, noOrigins]) {
      const response = await call(undefined, who);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    }
  });

  it('answers preflights the same whether or not the client exists', async () => {
    const preflight = (origin: string) =>
      fetch(`${server.url}/oauth/token`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
    const answers = await Promise.all(['https://app.example.com', 'https://evil.example.com'].map(preflight));
    const shape = (response: Response) => ({
      status: response.status,
      methods: response.headers.get('access-control-allow-methods'),
      headers: response.headers.get('access-control-allow-headers'),
    });
    expect(shape(answers[0] as Response)).toEqual(shape(answers[1] as Response));
    expect((answers[0] as Response).status).toBe(204);
  });
});
