// GET /v1/openapi.json: an OpenAPI 3.1 document that describes exactly the routes the server
// mounts, and whose schemas the real answers satisfy, checked with a JSON Schema 2020-12 validator.
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { V1Deps } from '../../server/http/v1.js';
import { managementRoutes } from '../../server/http/v1.js';
import { openApiPath } from '../../server/http/openapi.js';
import { anonymous, machine, orgWithAdmin, type ApiCaller, type ApiResponse } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';
import { basic } from '../helpers/oauth.js';

// CommonJS modules: their default export is under .default when imported from ESM.
const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;

type Operation = {
  operationId: string;
  parameters: Array<{ name: string; in: string; required: boolean; schema: unknown }>;
  requestBody?: { required: boolean; content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
  security?: unknown[];
  'x-permission'?: string;
};
type Document = {
  openapi: string;
  info: Record<string, unknown>;
  servers: Array<{ url: string }>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
  paths: Record<string, Record<string, Operation>>;
};

// The declarations do not touch their dependencies until a handler runs: enough to name the tests.
const declared = managementRoutes({ config: {}, catalog: {}, services: {}, auth: {} } as unknown as V1Deps);
const routeKey = (method: string, path: string) => `${method.toUpperCase()} /v1${openApiPath(path)}`;

const DOCUMENT_ID = 'https://latchkey.test/v1/openapi.json';
/** A URI fragment holding the JSON Pointer to `segments` (RFC 6901 §3 and §6). */
const fragment = (...segments: string[]) =>
  `#/${segments.map((segment) => encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/')}`;

let server: TestServer;
let doc: Document;
let ajv: InstanceType<typeof Ajv2020>;

beforeAll(async () => {
  server = await startTestServer();
  const response = await fetch(`${server.url}/v1/openapi.json`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  doc = (await response.json()) as Document;

  // The whole document is the schema resource: a "$ref" resolves against it, as OpenAPI 3.1 says.
  ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addVocabulary(['openapi', 'info', 'servers', 'security', 'components', 'paths']);
  ajv.addSchema({ ...doc, $id: DOCUMENT_ID });
});
afterAll(() => server.stop());

const operationOf = (method: string, path: string) => doc.paths[`/v1${openApiPath(path)}`]?.[method] as Operation;
const validator = (...segments: string[]) => ajv.getSchema(`${DOCUMENT_ID}${fragment(...segments)}`) as ValidateFunction;
const responseValidator = (method: string, path: string, status: number) =>
  validator('paths', `/v1${openApiPath(path)}`, method, 'responses', String(status), 'content', 'application/json', 'schema');
const bodyValidator = (method: string, path: string) =>
  validator('paths', `/v1${openApiPath(path)}`, method, 'requestBody', 'content', 'application/json', 'schema');

function expectValid(validate: ValidateFunction, value: unknown, what: string) {
  const valid = validate(value);
  expect({ what, errors: valid ? null : validate.errors }).toEqual({ what, errors: null });
}

describe('GET /v1/openapi.json', () => {
  it('is an OpenAPI 3.1 document for this issuer with both ways to authenticate', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toEqual({ title: 'Latchkey management API', version: '1', description: expect.any(String) });
    expect(doc.servers).toEqual([{ url: server.issuer }]);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['bearer', 'session']);
  });

  it('documents every route it mounts, and nothing else', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(declared.map((route) => routeKey(route.method, route.path)).sort());
    const operationIds = documented.map((key) => {
      const [method, path] = key.split(' ') as [string, string];
      return doc.paths[path]?.[method.toLowerCase()]?.operationId;
    });
    expect(new Set(operationIds).size).toBe(operationIds.length);
  });

  it.each(declared.map((route) => [routeKey(route.method, route.path), route] as const))('documents %s', (_key, route) => {
    const operation = operationOf(route.method, route.path);
    const success = operation.responses[String(route.status)];
    expect(success).toEqual(expect.objectContaining({ description: route.summary }));
    // One success status: the one the route answers with.
    expect(Object.keys(operation.responses).filter((status) => status.startsWith('2'))).toEqual([String(route.status)]);
    if (route.response) {
      expect(Object.keys(success?.content ?? {})).toEqual(['application/json', ...(route.alsoProduces ?? [])]);
      expect(responseValidator(route.method, route.path, route.status)).toEqual(expect.any(Function));
    } else {
      expect(success?.content).toBeUndefined();
    }
    if (route.body) {
      expect(operation.requestBody).toEqual({ required: !route.bodyOptional, content: { 'application/json': { schema: expect.any(Object) } } });
      expect(bodyValidator(route.method, route.path)).toEqual(expect.any(Function));
    } else {
      expect(operation.requestBody).toBeUndefined();
    }
    // Every {param} of the path, and nothing else, as a required path parameter.
    const inPath = [...route.path.matchAll(/:([A-Za-z_]+)/g)].map((match) => match[1]);
    expect(operation.parameters.filter((parameter) => parameter.in === 'path').map((parameter) => [parameter.name, parameter.required])).toEqual(
      inPath.map((name) => [name, true]),
    );
    if (route.auth === 'none') expect(operation.security).toEqual([]);
    else expect(operation['x-permission']).toBe(route.auth);
    // Errors answer the shared Error schema.
    for (const [status, response] of Object.entries(operation.responses)) {
      if (status.startsWith('2')) continue;
      expect(response.content).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/Error' } } });
    }
  });

  it('documents the body of rotate-secret as optional, and every other body as required', () => {
    const optional = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.entries(operations).filter(([, operation]) => operation.requestBody?.required === false).map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(optional).toEqual(['POST /v1/orgs/{org}/clients/{id}/rotate-secret']);
  });

  it('documents the audit log\'s query parameters', () => {
    const operation = operationOf('get', '/orgs/:org/audit-events');
    expect(operation.parameters.filter((parameter) => parameter.in === 'query').map((parameter) => [parameter.name, parameter.required])).toEqual([
      ['from', false], ['to', false], ['action', false], ['actor', false], ['target', false], ['limit', false], ['cursor', false], ['format', false],
    ]);
  });

  it('resolves every $ref within the document', () => {
    const refs: string[] = [];
    const collect = (value: unknown) => {
      if (Array.isArray(value)) value.forEach(collect);
      else if (value && typeof value === 'object') {
        for (const [key, child] of Object.entries(value)) {
          if (key === '$ref' && typeof child === 'string') refs.push(child);
          else collect(child);
        }
      }
    };
    collect(doc);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of new Set(refs)) {
      expect(ref).toMatch(/^#\//);
      const target = ref.slice(2).split('/').reduce<unknown>(
        (node, segment) => (node as Record<string, unknown> | undefined)?.[segment.replace(/~1/g, '/').replace(/~0/g, '~')],
        doc,
      );
      expect({ ref, resolves: target !== undefined }).toEqual({ ref, resolves: true });
    }
  });

  it('compiles every schema in strict mode', () => {
    for (const route of declared) {
      if (route.response) expect(() => responseValidator(route.method, route.path, route.status)).not.toThrow();
      if (route.body) expect(() => bodyValidator(route.method, route.path)).not.toThrow();
    }
    for (const name of Object.keys(doc.components.schemas)) expect(() => validator('components', 'schemas', name)).not.toThrow();
  });
});

describe('responses match their documented schemas', () => {
  interface Sample {
    method: string;
    path: string;
    caller: () => ApiCaller;
    url: () => string;
    body?: () => Record<string, unknown>;
    /** Keeps what later samples need. */
    then?: (response: ApiResponse) => void;
  }

  let org: Awaited<ReturnType<typeof orgWithAdmin>>;
  let bot: Awaited<ReturnType<typeof machine>>;
  let existingUser: string;
  let resourceServer: ApiCaller;
  const made: Record<string, string> = {};
  const answers = new Map<string, ApiResponse[]>();

  const session = () => org.session;
  const orgPath = () => `/v1/orgs/${org.org.id}`;
  // Every route once (and some twice), in an order where each finds what it needs.
  const samples: Sample[] = [
    { method: 'post', path: '/auth/login', caller: () => anonymous(server), url: () => '/v1/auth/login', body: () => ({ email: org.admin.email, password: org.admin.password }) },
    { method: 'get', path: '/me', caller: session, url: () => '/v1/me' },
    { method: 'get', path: '/me', caller: () => bot, url: () => '/v1/me' },
    { method: 'get', path: '/scopes', caller: session, url: () => '/v1/scopes' },
    { method: 'get', path: '/orgs', caller: session, url: () => '/v1/orgs' },
    { method: 'get', path: '/orgs', caller: () => bot, url: () => '/v1/orgs' },
    { method: 'get', path: '/orgs/:org', caller: session, url: orgPath },
    {
      method: 'post', path: '/orgs/:org/clients', caller: session, url: () => `${orgPath()}/clients`,
      body: () => ({ name: 'Payroll export', description: 'Nightly', scopes: ['payroll:Read'], allowed_origins: ['https://app.example.com'], expires_at: new Date(Date.now() + 86400_000).toISOString() }),
      then: (response) => { made.client = response.body.id; },
    },
    { method: 'get', path: '/orgs/:org/clients', caller: session, url: () => `${orgPath()}/clients` },
    { method: 'get', path: '/orgs/:org/clients/:id', caller: () => bot, url: () => `${orgPath()}/clients/${made.client}` },
    { method: 'patch', path: '/orgs/:org/clients/:id', caller: session, url: () => `${orgPath()}/clients/${made.client}`, body: () => ({ name: 'Payroll export (EU)' }) },
    {
      method: 'post', path: '/orgs/:org/clients/:id/rotate-secret', caller: session, url: () => `${orgPath()}/clients/${made.client}/rotate-secret`,
      body: () => ({ grace_period_seconds: 600 }),
    },
    { method: 'post', path: '/orgs/:org/clients/:id/rotate-secret', caller: () => bot, url: () => `${orgPath()}/clients/${made.client}/rotate-secret` },
    { method: 'post', path: '/orgs/:org/clients/:id/disable', caller: session, url: () => `${orgPath()}/clients/${made.client}/disable` },
    {
      method: 'post', path: '/orgs/:org/restricted-tokens', caller: () => bot, url: () => `${orgPath()}/restricted-tokens`,
      body: () => ({ name: 'Kiosk', allowed_ips: ['203.0.113.7'], scopes: ['rosters:Read'] }),
      then: (response) => { made.token = response.body.id; },
    },
    { method: 'get', path: '/orgs/:org/restricted-tokens', caller: session, url: () => `${orgPath()}/restricted-tokens` },
    { method: 'get', path: '/orgs/:org/restricted-tokens/:id', caller: session, url: () => `${orgPath()}/restricted-tokens/${made.token}` },
    { method: 'patch', path: '/orgs/:org/restricted-tokens/:id', caller: session, url: () => `${orgPath()}/restricted-tokens/${made.token}`, body: () => ({ allowed_ips: ['10.0.0.0/8'] }) },
    {
      method: 'post', path: '/orgs/:org/members', caller: session, url: () => `${orgPath()}/members`, body: () => ({ email: 'new.member@example.com', role: 'member' }),
      then: (response) => { made.user = response.body.user_id; },
    },
    { method: 'post', path: '/orgs/:org/members', caller: session, url: () => `${orgPath()}/members`, body: () => ({ email: existingUser, role: 'developer', can_manage_credentials: true }) },
    { method: 'get', path: '/orgs/:org/members', caller: session, url: () => `${orgPath()}/members` },
    { method: 'patch', path: '/orgs/:org/members/:user', caller: session, url: () => `${orgPath()}/members/${made.user}`, body: () => ({ role: 'developer' }) },
    { method: 'get', path: '/orgs/:org/audit-events', caller: session, url: () => `${orgPath()}/audit-events?limit=5`, then: (response) => { made.cursor = response.body.next_cursor; } },
    { method: 'get', path: '/orgs/:org/audit-events', caller: () => bot, url: () => `${orgPath()}/audit-events?cursor=${made.cursor}&action=api_client.created,member.added` },
    { method: 'get', path: '/orgs/:org/usage', caller: session, url: () => `${orgPath()}/usage`,
      then: (response) => { expect(response.body.totals.endpoints.token.successes).toBe(1); } },
    { method: 'get', path: '/orgs/:org/clients/:id/usage', caller: session, url: () => `${orgPath()}/clients/${bot.client.id}/usage?granularity=day` },
    { method: 'get', path: '/orgs/:org/restricted-tokens/:id/usage', caller: () => bot, url: () => `${orgPath()}/restricted-tokens/${made.token}/usage` },
    { method: 'get', path: '/orgs/:org/api-logs', caller: () => bot, url: () => `${orgPath()}/api-logs?event=token.issued`,
      then: (response) => { expect(response.body.events).toHaveLength(1); } },
    { method: 'delete', path: '/orgs/:org/members/:user', caller: session, url: () => `${orgPath()}/members/${made.user}` },
    { method: 'delete', path: '/orgs/:org/restricted-tokens/:id', caller: session, url: () => `${orgPath()}/restricted-tokens/${made.token}` },
    { method: 'delete', path: '/orgs/:org/clients/:id', caller: session, url: () => `${orgPath()}/clients/${made.client}` },
    { method: 'post', path: '/orgs/:org/revoke-all', caller: session, url: () => `${orgPath()}/revoke-all`, body: () => ({ confirm: 'Schema Co' }) },
    { method: 'get', path: '/revocations', caller: () => resourceServer, url: () => '/v1/revocations?limit=50' },
    { method: 'post', path: '/auth/logout', caller: session, url: () => '/v1/auth/logout' },
  ];

  beforeAll(async () => {
    org = await orgWithAdmin(server, 'Schema Co');
    bot = await machine(server, org.org.id, ['credentials:write', 'audit:read', 'members:write']);
    await server.flushUsage(); // the bot's token request: usage and API log answers with rows in them
    existingUser = (await orgWithAdmin(server)).admin.email; // an existing user: the member answer's password is null
    const credentials = await server.services.resourceServers.create({ name: 'Schema API' }, OPERATOR_CONTEXT);
    resourceServer = {
      label: 'resource server',
      request: (method, path, body, headers = {}) =>
        anonymous(server).request(method, path, body, { authorization: basic(credentials.client_id, credentials.client_secret), ...headers }),
    };
    for (const sample of samples) {
      const response = await sample.caller().request(sample.method.toUpperCase(), sample.url(), sample.body?.());
      const key = routeKey(sample.method, sample.path);
      answers.set(key, [...(answers.get(key) ?? []), response]);
      sample.then?.(response);
    }
  });

  it('calls every route', () => {
    expect([...answers.keys()].sort()).toEqual(declared.map((route) => routeKey(route.method, route.path)).sort());
  });

  it('sends request bodies that the documented request schemas accept', () => {
    for (const sample of samples.filter((candidate) => candidate.body)) {
      expectValid(bodyValidator(sample.method, sample.path), sample.body?.(), routeKey(sample.method, sample.path));
    }
  });

  it.each(declared.map((route) => [routeKey(route.method, route.path), route] as const))('%s answers what the document says', (key, route) => {
    const responses = answers.get(key) ?? [];
    expect(responses.length).toBeGreaterThan(0);
    for (const response of responses) {
      expect({ key, status: response.status }).toEqual({ key, status: route.status });
      if (!route.response) {
        expect(response.text).toBe('');
        continue;
      }
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expectValid(responseValidator(route.method, route.path, route.status), response.body, key);
    }
  });

  it('answers the documented text/csv for the audit log export', async () => {
    const operation = operationOf('get', '/orgs/:org/audit-events');
    expect(operation.responses['200']?.content?.['text/csv']).toEqual({ schema: { type: 'string' } });
    const login = await orgWithAdmin(server, 'CSV Co');
    const response = await login.session.request('GET', `/v1/orgs/${login.org.id}/audit-events?format=csv`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
  });

  it('answers errors in the documented Error shape', async () => {
    const other = await orgWithAdmin(server);
    const cases: Array<[string, string, number, () => Promise<ApiResponse>]> = [
      ['post', '/orgs/:org/clients', 400, () => other.session.request('POST', `/v1/orgs/${other.org.id}/clients`, { name: '', scopes: ['payroll:Read'] })],
      ['get', '/orgs/:org/clients', 401, () => anonymous(server).request('GET', `/v1/orgs/${other.org.id}/clients`)],
      ['post', '/orgs/:org/revoke-all', 403, async () => {
        const developer = await machine(server, other.org.id, ['credentials:read']);
        return developer.request('POST', `/v1/orgs/${other.org.id}/revoke-all`, { confirm: 'x' });
      }],
      ['get', '/orgs/:org/clients/:id', 404, () => other.session.request('GET', `/v1/orgs/${other.org.id}/clients/00000000-0000-4000-8000-000000000000`)],
      ['delete', '/orgs/:org/members/:user', 409, () => other.session.request('DELETE', `/v1/orgs/${other.org.id}/members/${other.admin.userId}`)],
    ];
    for (const [method, path, status, request] of cases) {
      const response = await request();
      expect({ path, status: response.status }).toEqual({ path, status });
      expectValid(validator('components', 'schemas', 'Error'), response.body, `${method} ${path} ${status}`);
      expectValid(responseValidator(method, path, status), response.body, `${method} ${path} ${status}`);
    }
  });

  it('would reject an answer that breaks its schema', () => {
    const validate = responseValidator('get', '/orgs/:org/clients/:id', 200);
    const good = answers.get(routeKey('get', '/orgs/:org/clients/:id'))?.[0]?.body as Record<string, unknown>;
    expect(validate(good)).toBe(true);
    expect(validate({ ...good, client_secret: 'lks_leaked' })).toBe(false);
    expect(validate({ ...good, status: 'paused' })).toBe(false);
    expect(validate({ ...good, created_at: 'yesterday' })).toBe(false);
    const { name: _name, ...nameless } = good;
    expect(validate(nameless)).toBe(false);
    expect(bodyValidator('post', '/orgs/:org/clients')({ name: 'x', scopes: ['payroll:Read'], colour: 'red' })).toBe(false);
  });
});
