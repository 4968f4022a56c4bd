// Who may call which management route, through real HTTP: every /v1 route against every kind of
// caller (console roles, machine callers by management scope, a token for another API, nobody),
// tenant isolation between organizations, and the CSRF rule for cookie-authenticated changes.
// The expectations below are written out from PRODUCT.md and server/auth/permissions.ts, not
// computed from them, so that a change to the rules shows up here as a failing cell.
import { loadCatalog } from '../../config/catalog.js';
import { createAuthService } from '../../server/auth/auth.service.js';
import type { Permission } from '../../server/auth/permissions.js';
import type { RouteAuth } from '../../server/http/route.js';
import { managementRoutes } from '../../server/http/v1.js';
import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';
import {
  addUser,
  anonymous,
  machine,
  orgWithAdmin,
  signIn,
  type ApiCaller,
  type ApiResponse,
  type SignedIn,
} from '../helpers/api.js';
import { basic, postToken } from '../helpers/oauth.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createCounterStore } from '../../server/shared/counters.js';
import { createLogger } from '../../server/shared/logger.js';

const USERS = ['admin', 'developer', 'member', 'member+cmc'] as const;
const MACHINES = ['credentials:read', 'credentials:write', 'audit:read', 'members:write'] as const;
const PRINCIPALS = [...USERS, ...MACHINES, 'foreign token', 'nobody'] as const;
type UserName = (typeof USERS)[number];
type MachineName = (typeof MACHINES)[number];
type PrincipalName = (typeof PRINCIPALS)[number];
const AUTHENTICATED: readonly PrincipalName[] = [...USERS, ...MACHINES];

const LABELS: Record<PrincipalName, string> = {
  admin: 'an admin',
  developer: 'a developer',
  member: 'a member',
  'member+cmc': 'a member with can_manage_credentials',
  'credentials:read': 'a client with credentials:read',
  'credentials:write': 'a client with credentials:write',
  'audit:read': 'a client with audit:read',
  'members:write': 'a client with members:write',
  'foreign token': 'a client with a token for https://api.example.com',
  nobody: 'no credentials',
};

const ROLE_OF: Record<UserName, string> = { admin: 'admin', developer: 'developer', member: 'member', 'member+cmc': 'member' };

const isUser = (principal: PrincipalName): principal is UserName => (USERS as readonly string[]).includes(principal);

/** Who holds each permission in their own organization (PRODUCT.md "Objects", SCOPE_GRANTS). */
const MAY: Record<Permission, readonly PrincipalName[]> = {
  'org:read': [...USERS, ...MACHINES],
  'members:read': [...USERS, 'members:write'],
  'members:write': ['admin', 'members:write'],
  'clients:read': [...USERS, 'credentials:read', 'credentials:write'],
  'clients:write': ['admin', 'developer', 'credentials:write'],
  'tokens:read': [...USERS, 'credentials:read', 'credentials:write'],
  'tokens:write': ['admin', 'developer', 'member+cmc', 'credentials:write'],
  'audit:read': ['admin', 'developer', 'audit:read'],
  'org:revoke-all': ['admin'],
};

/** What a machine caller without the permission is told. */
const MACHINE_REFUSAL: Record<Exclude<Permission, 'org:read'>, string> = {
  'members:read': 'this needs an access token with one of the scopes members:write',
  'members:write': 'this needs an access token with one of the scopes members:write',
  'clients:read': 'this needs an access token with one of the scopes credentials:read, credentials:write',
  'clients:write': 'this needs an access token with one of the scopes credentials:write',
  'tokens:read': 'this needs an access token with one of the scopes credentials:read, credentials:write',
  'tokens:write': 'this needs an access token with one of the scopes credentials:write',
  'audit:read': 'this needs an access token with one of the scopes audit:read',
  'org:revoke-all': 'only an organization admin can do this',
};

const UNAUTHENTICATED = { error: 'unauthorized', error_description: 'sign in with POST /v1/auth/login or send a Bearer access token' };
const INVALID_TOKEN = { error: 'invalid_token', error_description: 'the access token is invalid, expired, or not for this API' };
const CSRF_INVALID = {
  error: 'csrf_token_invalid',
  error_description: 'changes made with the session cookie need the X-CSRF-Token header from login or GET /v1/me',
};
const notFound = (what: string) => ({ error: 'not_found', error_description: `${what} not found` });

interface Org {
  id: string;
  name: string;
}

type Target = 'client' | 'token' | 'member';

interface Outcome {
  status: number;
  /** The whole body; undefined: not compared (success answers are checked against their schema by the server). */
  body?: unknown;
}

interface Prepared {
  path: string;
  body?: unknown;
  /** Calls as someone other than the principal's shared caller (a fresh session to log out). */
  caller?: ApiCaller;
  /** The organization whose rows must stay unchanged on refusal (and change on a successful change). */
  orgId?: string;
  verify?: (response: ApiResponse) => Promise<void>;
}

interface RouteCase {
  auth: RouteAuth;
  /** The success status. */
  status: number;
  /** The object named by the path's :id or :user parameter. */
  target?: Target;
  body?: (org: Org) => unknown;
  /** Answers that differ from the permission rule for some callers. */
  special?: Partial<Record<PrincipalName, Outcome>>;
  /** Replaces the default set-up: a fresh target object in organization A. */
  prepare?: (principal: PrincipalName, allowed: boolean) => Promise<Prepared>;
  /** Checks a successful answer further. */
  verify?: (response: ApiResponse, principal: PrincipalName) => void;
}

let server: TestServer;
let orgA: Org;
let orgB: Org & { clientId: string; clientPublicId: string; tokenId: string; memberId: string };
let callers: Record<PrincipalName, ApiCaller>;
let credentials: Record<UserName, { email: string; password: string }>;
let loginUser: { email: string; password: string };
let foreignClient: { client_id: string; client_secret: string };

let sequence = 0;
const unique = (prefix: string) => `${prefix} ${++sequence}`;

async function freshTarget(target: Target, orgId: string): Promise<string> {
  if (target === 'client') return (await server.createClient({ name: unique('Matrix client') }, orgId)).id;
  if (target === 'token') {
    const token = await server.services.restrictedTokens.create(
      orgId,
      { name: unique('Matrix token'), allowed_ips: ['203.0.113.7'], scopes: ['employees:Read'] },
      OPERATOR_CONTEXT,
    );
    return token.id;
  }
  return (await addUser(server, orgId, 'member')).userId;
}

/** Everything of an organization a management call could change (last_used_at moves on its own). */
async function orgState(orgId: string) {
  const knex = server.db.knex;
  const withoutLastUse = (rows: Array<Record<string, unknown>>) => rows.map(({ last_used_at: _lastUsedAt, ...row }) => row);
  const [organization, clients, tokens, memberships, audit] = await Promise.all([
    knex('organizations').where({ id: orgId }).first(),
    knex('api_clients').where({ org_id: orgId }).orderBy('id').then(withoutLastUse),
    knex('restricted_tokens').where({ org_id: orgId }).orderBy('id').then(withoutLastUse),
    knex('memberships').where({ org_id: orgId }).orderBy('user_id'),
    knex('audit_events').where({ org_id: orgId }).count<{ count: string | number }[]>({ count: '*' }).first(),
  ]);
  return { organization, clients, tokens, memberships, auditEvents: Number(audit?.count ?? 0) };
}

function fillPath(template: string, orgId: string, objectId?: string): string {
  const path = template.replace(':org', orgId).replace(/:(id|user)(?=\/|$)/, () => {
    if (objectId === undefined) throw new Error(`${template} needs an object id`);
    return objectId;
  });
  if (path.includes(':')) throw new Error(`${template}: unfilled parameter in ${path}`);
  return path;
}

const clientBody = () => ({ name: unique('Created by matrix'), scopes: ['payroll:Read'] });
const tokenBody = () => ({ name: unique('Created by matrix'), allowed_ips: ['198.51.100.0/24'], scopes: ['rosters:Read'] });

/** Every route of the management API, keyed "METHOD path". */
const ROUTES: Record<string, RouteCase> = {
  'POST /v1/auth/login': {
    auth: 'none',
    status: 200,
    prepare: async () => ({ path: '/v1/auth/login', body: { email: loginUser.email, password: loginUser.password } }),
    verify: (response) => {
      expect(response.body).toMatchObject({ type: 'user', user: { email: loginUser.email } });
      expect(response.headers.get('set-cookie')).toMatch(/^latchkey_session=/);
    },
  },
  'POST /v1/auth/logout': {
    auth: 'session',
    status: 204,
    special: Object.fromEntries(
      MACHINES.map((name) => [
        name,
        { status: 400, body: { error: 'invalid_request', error_description: 'only a session can log out; Bearer tokens simply expire' } },
      ]),
    ),
    // A user logs out a session of their own made for this call, so the shared one stays usable.
    prepare: async (principal) => {
      if (!isUser(principal)) return { path: '/v1/auth/logout', orgId: orgA.id };
      const session = await signIn(server, credentials[principal].email, credentials[principal].password);
      return {
        path: '/v1/auth/logout',
        caller: session,
        verify: async () => {
          const after = await session.request('GET', '/v1/me');
          expect([after.status, after.body]).toEqual([
            401,
            { error: 'unauthorized', error_description: 'the session has expired or was signed out: sign in again' },
          ]);
        },
      };
    },
  },
  'GET /v1/me': {
    auth: 'session',
    status: 200,
    verify: (response, principal) => {
      if (isUser(principal)) {
        expect(response.body).toMatchObject({ type: 'user', user: { email: credentials[principal].email } });
      } else {
        expect(response.body.client).toMatchObject({ org_id: orgA.id, scopes: [principal] });
      }
    },
  },
  'GET /v1/scopes': { auth: 'session', status: 200 },
  'GET /v1/orgs': {
    auth: 'session',
    status: 200,
    verify: (response) => {
      expect(response.body.map((org: Org) => org.id)).toContain(orgA.id);
      expect(response.body.map((org: Org) => org.id)).not.toContain(orgB.id);
    },
  },
  'GET /v1/orgs/:org': {
    auth: 'org:read',
    status: 200,
    verify: (response) => expect(response.body).toMatchObject({ id: orgA.id, name: orgA.name }),
  },
  'POST /v1/orgs/:org/revoke-all': {
    auth: 'org:revoke-all',
    status: 200,
    body: (org) => ({ confirm: org.name }),
    // Revoke-all would disable the machine callers of organization A: an allowed call gets an
    // organization of its own, with the admin as its admin and something to revoke.
    prepare: async (_principal, allowed) => {
      if (!allowed) return { path: `/v1/orgs/${orgA.id}/revoke-all`, body: { confirm: orgA.name }, orgId: orgA.id };
      const org = await server.services.orgs.create({ name: unique('Revoked org') }, OPERATOR_CONTEXT);
      await server.services.members.add(org.id, { email: credentials.admin.email, role: 'admin' }, OPERATOR_CONTEXT);
      await freshTarget('client', org.id);
      await freshTarget('token', org.id);
      return {
        path: `/v1/orgs/${org.id}/revoke-all`,
        body: { confirm: org.name },
        orgId: org.id,
        verify: async (response) => expect(response.body).toEqual({ api_clients_disabled: 1, restricted_tokens_deleted: 1 }),
      };
    },
  },
  'GET /v1/orgs/:org/members': { auth: 'members:read', status: 200 },
  'POST /v1/orgs/:org/members': {
    auth: 'members:write',
    status: 201,
    body: () => ({ email: `matrix-${++sequence}@example.com`, role: 'member' }),
    verify: (response) => expect(response.body).toMatchObject({ role: 'member', password: expect.any(String) }),
  },
  'PATCH /v1/orgs/:org/members/:user': {
    auth: 'members:write',
    status: 200,
    target: 'member',
    body: () => ({ role: 'developer' }),
    verify: (response) => expect(response.body).toMatchObject({ role: 'developer' }),
  },
  'DELETE /v1/orgs/:org/members/:user': { auth: 'members:write', status: 200, target: 'member' },
  'GET /v1/orgs/:org/clients': { auth: 'clients:read', status: 200 },
  'POST /v1/orgs/:org/clients': {
    auth: 'clients:write',
    status: 201,
    body: clientBody,
    verify: (response) => expect(response.body).toMatchObject({ status: 'active', client_secret: expect.any(String) }),
  },
  'GET /v1/orgs/:org/clients/:id': { auth: 'clients:read', status: 200, target: 'client' },
  'PATCH /v1/orgs/:org/clients/:id': {
    auth: 'clients:write',
    status: 200,
    target: 'client',
    body: () => ({ name: unique('Renamed by matrix') }),
  },
  'DELETE /v1/orgs/:org/clients/:id': { auth: 'clients:write', status: 200, target: 'client' },
  'POST /v1/orgs/:org/clients/:id/disable': {
    auth: 'clients:write',
    status: 200,
    target: 'client',
    verify: (response) => expect(response.body).toMatchObject({ status: 'disabled' }),
  },
  'POST /v1/orgs/:org/clients/:id/rotate-secret': {
    auth: 'clients:write',
    status: 200,
    target: 'client',
    body: () => ({}),
    verify: (response) => expect(response.body).toMatchObject({ client_secret: expect.any(String) }),
  },
  'GET /v1/orgs/:org/restricted-tokens': { auth: 'tokens:read', status: 200 },
  'POST /v1/orgs/:org/restricted-tokens': {
    auth: 'tokens:write',
    status: 201,
    body: tokenBody,
    verify: (response) => expect(response.body).toMatchObject({ token: expect.any(String) }),
  },
  'GET /v1/orgs/:org/restricted-tokens/:id': { auth: 'tokens:read', status: 200, target: 'token' },
  'PATCH /v1/orgs/:org/restricted-tokens/:id': {
    auth: 'tokens:write',
    status: 200,
    target: 'token',
    body: () => ({ name: unique('Renamed by matrix') }),
  },
  'DELETE /v1/orgs/:org/restricted-tokens/:id': { auth: 'tokens:write', status: 200, target: 'token' },
  'GET /v1/orgs/:org/audit-events': { auth: 'audit:read', status: 200 },
  'GET /v1/orgs/:org/usage': { auth: 'org:read', status: 200 },
  'GET /v1/orgs/:org/clients/:id/usage': { auth: 'clients:read', status: 200, target: 'client' },
  'GET /v1/orgs/:org/restricted-tokens/:id/usage': { auth: 'tokens:read', status: 200, target: 'token' },
  'GET /v1/orgs/:org/api-logs': { auth: 'audit:read', status: 200 },
  'GET /v1/openapi.json': { auth: 'none', status: 200 },
  // Resource-server credentials only: no user, API client or stray token reads the feed.
  'GET /v1/revocations': {
    auth: 'resource_server',
    status: 200,
    special: Object.fromEntries(
      PRINCIPALS.map((name) => [
        name,
        { status: 401, body: { error: 'invalid_client', error_description: 'resource-server credentials (HTTP Basic) are missing or wrong' } },
      ]),
    ),
  },
};

/** Mounted by the router itself rather than declared with the other routes. */
const UNDECLARED = new Set(['GET /v1/openapi.json']);

const split = (key: string) => key.split(' ') as [string, string];

function mayCall(route: RouteCase, principal: PrincipalName): boolean {
  if (route.auth === 'none') return true;
  if (route.auth === 'session') return AUTHENTICATED.includes(principal);
  if (route.auth === 'resource_server') return false;
  return MAY[route.auth].includes(principal);
}

function expectedOutcome(route: RouteCase, principal: PrincipalName): Outcome {
  const special = route.special?.[principal];
  if (special) return special;
  if (route.auth !== 'none' && principal === 'nobody') return { status: 401, body: UNAUTHENTICATED };
  if (route.auth !== 'none' && principal === 'foreign token') return { status: 401, body: INVALID_TOKEN };
  if (mayCall(route, principal)) return { status: route.status };
  const permission = route.auth as Permission;
  if (isUser(principal)) {
    return {
      status: 403,
      body: { error: 'forbidden', error_description: `the ${ROLE_OF[principal]} role does not allow this (${permission})` },
    };
  }
  return { status: 403, body: { error: 'insufficient_scope', error_description: MACHINE_REFUSAL[permission as Exclude<Permission, 'org:read'>] } };
}

async function prepare(key: string, principal: PrincipalName, allowed: boolean): Promise<Prepared> {
  const route = ROUTES[key] as RouteCase;
  if (route.prepare) return route.prepare(principal, allowed);
  const path = split(key)[1];
  const objectId = route.target ? await freshTarget(route.target, orgA.id) : undefined;
  return { path: fillPath(path, orgA.id, objectId), body: route.body?.(orgA), orgId: path.includes(':org') ? orgA.id : undefined };
}

/** Status and body side by side, so that a failure shows what the server said. */
function outcomeOf(response: ApiResponse, expected: Outcome) {
  const compareBody = expected.body !== undefined || response.status !== expected.status;
  return { status: response.status, body: compareBody ? response.body : '(not compared)' };
}
const asExpected = (expected: Outcome) => ({ status: expected.status, body: expected.body ?? '(not compared)' });

beforeAll(async () => {
  server = await startTestServer();

  const a = await orgWithAdmin(server, 'Matrix org A');
  orgA = a.org;
  const developer = await addUser(server, orgA.id, 'developer');
  const member = await addUser(server, orgA.id, 'member');
  const memberCmc = await addUser(server, orgA.id, 'member', { canManageCredentials: true });
  credentials = { admin: a.admin, developer, member, 'member+cmc': memberCmc };
  loginUser = await addUser(server, orgA.id, 'member');

  const machines = {} as Record<MachineName, ApiCaller>;
  for (const scope of MACHINES) machines[scope] = await machine(server, orgA.id, [scope]);

  // A client of organization A holding only a scope of the platform API: its token is for that API.
  foreignClient = await server.createClient({ name: 'Platform API only', scopes: ['payroll:Read'] }, orgA.id);
  const token = await postToken(server.url, `grant_type=client_credentials&resource=${encodeURIComponent('https://api.example.com')}`, {
    authorization: basic(foreignClient.client_id, foreignClient.client_secret),
  });
  if (token.status !== 200) throw new Error(`no platform API token: ${JSON.stringify(token.body)}`);
  const accessToken = (token.body as { access_token: string }).access_token;
  const nobody = anonymous(server);
  const foreign: ApiCaller = {
    label: LABELS['foreign token'],
    request: (method, path, body, headers = {}) => nobody.request(method, path, body, { authorization: `Bearer ${accessToken}`, ...headers }),
  };

  callers = {
    admin: a.session,
    developer: await signIn(server, developer.email, developer.password),
    member: await signIn(server, member.email, member.password),
    'member+cmc': await signIn(server, memberCmc.email, memberCmc.password),
    ...machines,
    'foreign token': foreign,
    nobody,
  };

  const b = await orgWithAdmin(server, 'Matrix org B');
  const clientB = await server.createClient({ name: 'Org B client' }, b.org.id);
  orgB = {
    ...b.org,
    clientId: clientB.id,
    clientPublicId: clientB.client_id,
    tokenId: await freshTarget('token', b.org.id),
    memberId: await freshTarget('member', b.org.id),
  };
});
afterAll(() => server.stop());

describe('the management API route list', () => {
  it('has a row in this matrix for every declared route, with its permission and success status', () => {
    const declared = managementRoutes({
      config: server.config,
      catalog: loadCatalog(server.config.catalogFile, server.issuer),
      services: server.services,
      auth: createAuthService({
        db: server.db.knex,
        config: server.config,
        verifyAccessToken: async () => null,
        isStillValid: async () => true,
        counters: createCounterStore(undefined, createLogger('silent')),
      }),
    });
    const keys = declared.map((route) => `${route.method.toUpperCase()} /v1${route.path}`).sort();
    expect(keys).toEqual(Object.keys(ROUTES).filter((key) => !UNDECLARED.has(key)).sort());
    for (const route of declared) {
      const row = ROUTES[`${route.method.toUpperCase()} /v1${route.path}`];
      expect({ route: route.path, auth: route.auth, status: route.status }).toEqual({ route: route.path, auth: row?.auth, status: row?.status });
    }
  });
});

describe('a client without management scopes', () => {
  it('cannot get a token for the management API (invalid_target)', async () => {
    const response = await postToken(server.url, `grant_type=client_credentials&resource=${encodeURIComponent(`${server.issuer}/v1`)}`, {
      authorization: basic(foreignClient.client_id, foreignClient.client_secret),
    });
    expect([response.status, response.body]).toEqual([
      400,
      { error: 'invalid_target', error_description: 'this client holds no scope of the requested resource' },
    ]);
  });

  it('has its platform API token refused by /v1 with invalid_token and a WWW-Authenticate challenge', async () => {
    const response = await callers['foreign token'].request('GET', '/v1/me');
    expect([response.status, response.body]).toEqual([401, INVALID_TOKEN]);
    expect(response.headers.get('www-authenticate')).toBe(
      `Bearer realm="${server.issuer}/v1", error="invalid_token", error_description="${INVALID_TOKEN.error_description}"`,
    );
  });
});

describe.each(Object.keys(ROUTES))('%s', (key) => {
  const route = ROUTES[key] as RouteCase;
  const method = split(key)[0];
  const cases = PRINCIPALS.map((principal) => ({ principal, label: LABELS[principal], status: expectedOutcome(route, principal).status }));

  it.each(cases)('$label: $status', async ({ principal }) => {
    const allowed = mayCall(route, principal);
    const expected = expectedOutcome(route, principal);
    const prepared = await prepare(key, principal, allowed);
    const before = prepared.orgId ? await orgState(prepared.orgId) : undefined;

    const response = await (prepared.caller ?? callers[principal]).request(method, prepared.path, prepared.body);

    expect(outcomeOf(response, expected)).toEqual(asExpected(expected));
    if (expected.status === 401 && principal === 'nobody' && route.auth !== 'resource_server') {
      expect(response.headers.get('www-authenticate')).toBe(`Bearer realm="${server.issuer}/v1"`);
    }
    if (prepared.orgId) {
      const after = await orgState(prepared.orgId);
      if (expected.status === route.status && method !== 'GET') expect(after).not.toEqual(before);
      else expect(after).toEqual(before);
    }
    if (expected.status === route.status) {
      route.verify?.(response, principal);
      await prepared.verify?.(response);
    }
  });
});

describe('tenant isolation', () => {
  const orgRoutes = Object.keys(ROUTES).filter((key) => key.includes(':org'));
  const objectOfB = (target: Target | undefined, byClientId = false) => {
    if (target === 'client') return byClientId ? orgB.clientPublicId : orgB.clientId;
    if (target === 'token') return orgB.tokenId;
    if (target === 'member') return orgB.memberId;
    return undefined;
  };

  describe.each(orgRoutes)('%s addressing organization B', (key) => {
    const route = ROUTES[key] as RouteCase;
    const [method, path] = split(key);

    it.each(AUTHENTICATED.map((principal) => ({ principal, label: LABELS[principal] })))(
      '$label of organization A: 404 organization not found',
      async ({ principal }) => {
        const before = await orgState(orgB.id);
        const response = await callers[principal].request(method, fillPath(path, orgB.id, objectOfB(route.target)), route.body?.(orgB));
        expect([response.status, response.body]).toEqual([404, notFound('organization')]);
        expect(await orgState(orgB.id)).toEqual(before);
      },
    );
  });

  const what: Record<Target, string> = { client: 'API client', token: 'restricted token', member: 'member' };
  const objectRoutes = orgRoutes.flatMap((key) => {
    const target = (ROUTES[key] as RouteCase).target;
    if (!target) return [];
    // A client is addressed by its id or by its client_id.
    const ways = target === 'client' ? [{ via: 'id', byClientId: false }, { via: 'client_id', byClientId: true }] : [{ via: 'id', byClientId: false }];
    return ways.map(({ via, byClientId }) => ({ key, target, what: what[target], via, byClientId }));
  });

  describe.each(objectRoutes)('$key with organization B\'s $what (by $via) under organization A', ({ key, target, byClientId }) => {
    const route = ROUTES[key] as RouteCase;
    const [method, path] = split(key);
    const permitted = AUTHENTICATED.filter((principal) => mayCall(route, principal));

    it.each(permitted.map((principal) => ({ principal, label: LABELS[principal] })))(`$label: 404 ${what[target]} not found`, async ({ principal }) => {
      const beforeA = await orgState(orgA.id);
      const beforeB = await orgState(orgB.id);
      const response = await callers[principal].request(method, fillPath(path, orgA.id, objectOfB(target, byClientId)), route.body?.(orgA));
      expect([response.status, response.body]).toEqual([404, notFound(what[target])]);
      expect(await orgState(orgA.id)).toEqual(beforeA);
      expect(await orgState(orgB.id)).toEqual(beforeB);
    });
  });
});

describe('CSRF protection of cookie-authenticated changes', () => {
  const changes = Object.keys(ROUTES).filter((key) => split(key)[0] !== 'GET' && ROUTES[key]?.auth !== 'none');
  const variants: Array<[string, () => Record<string, string>]> = [
    ['without X-CSRF-Token', () => ({})],
    ['with another session\'s X-CSRF-Token', () => ({ 'x-csrf-token': (callers.developer as SignedIn).csrfToken })],
  ];
  const cases = changes.flatMap((key) => variants.map(([variant, header]) => ({ key, variant, header })));

  it.each(cases)('$key $variant: 403 csrf_token_invalid, nothing changes', async ({ key, header }) => {
    const [method] = split(key);
    // Set up as for an admin call that would succeed, then drop or spoil the CSRF token.
    const prepared = await prepare(key, 'admin', true);
    const session = (prepared.caller ?? callers.admin) as SignedIn;
    const before = prepared.orgId ? await orgState(prepared.orgId) : undefined;

    const response = await anonymous(server).request(method, prepared.path, prepared.body, { cookie: session.cookie, ...header() });

    expect([response.status, response.body]).toEqual([403, CSRF_INVALID]);
    if (prepared.orgId) expect(await orgState(prepared.orgId)).toEqual(before);
    expect((await session.request('GET', '/v1/me')).status).toBe(200);
  });

  it('asks nothing of a Bearer caller', async () => {
    const before = await orgState(orgA.id);
    const response = await callers['credentials:write'].request('POST', `/v1/orgs/${orgA.id}/clients`, clientBody());
    expect(response.status).toBe(201);
    expect((await orgState(orgA.id)).clients).toHaveLength(before.clients.length + 1);
  });
});
