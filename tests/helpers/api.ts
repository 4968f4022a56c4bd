// Callers of the management API as a console and as automation see it: a signed-in user (session
// cookie + CSRF token) or an API client with a Bearer JWT for ISSUER/v1.
import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';
import { discover, requestToken } from './oauth.js';
import type { TestServer } from './server.js';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface ApiCaller {
  /** What the caller is, for test names. */
  label: string;
  request<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
}

async function send(url: string, method: string, headers: Record<string, string>, body: unknown): Promise<ApiResponse> {
  const response = await fetch(url, {
    method,
    headers: { ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (CSV)
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** Nobody signed in. */
export function anonymous(server: TestServer): ApiCaller {
  return { label: 'no credentials', request: (method, path, body, headers = {}) => send(`${server.url}${path}`, method, headers, body) };
}

export interface SignedIn extends ApiCaller {
  cookie: string;
  csrfToken: string;
  login: ApiResponse;
}

/** Signs in through POST /v1/auth/login and sends the cookie (and the CSRF token on changes). */
export async function signIn(server: TestServer, email: string, password: string, label = email): Promise<SignedIn> {
  const login = await send(`${server.url}/v1/auth/login`, 'POST', {}, { email, password });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
  const setCookie = login.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0] ?? '';
  const csrfToken = (login.body as { csrf_token: string }).csrf_token;
  return {
    label,
    cookie,
    csrfToken,
    login,
    request: (method, path, body, headers = {}) =>
      send(`${server.url}${path}`, method, { cookie, ...(method === 'GET' ? {} : { 'x-csrf-token': csrfToken }), ...headers }, body),
  };
}

/** An API client of `orgId` holding `scopes`, calling with a fresh Bearer token for ISSUER/v1. */
export async function machine(server: TestServer, orgId: string, scopes: string[], label = `client with ${scopes.join(' ')}`) {
  const client = await server.createClient({ name: label.slice(0, 64), scopes }, orgId);
  const token = await requestToken(await discover(server.issuer), client, { resource: `${server.issuer}/v1` });
  const caller: ApiCaller & { client: typeof client; accessToken: string } = {
    label,
    client,
    accessToken: token.access_token,
    request: (method, path, body, headers = {}) =>
      send(`${server.url}${path}`, method, { authorization: `Bearer ${token.access_token}`, ...headers }, body),
  };
  return caller;
}

/** A user added to an organization through the members service; returns email and password. */
export async function addUser(
  server: TestServer,
  orgId: string,
  role: 'admin' | 'developer' | 'member',
  options: { canManageCredentials?: boolean; email?: string } = {},
) {
  const email = options.email ?? `${role}-${Math.random().toString(36).slice(2, 10)}@example.com`;
  const member = await server.services.members.add(
    orgId,
    { email, role, can_manage_credentials: options.canManageCredentials ?? false },
    OPERATOR_CONTEXT,
  );
  return { email, password: member.password as string, userId: member.user_id };
}

/** An organization with an admin, signed in. */
export async function orgWithAdmin(server: TestServer, name = `Org ${Math.random().toString(36).slice(2, 8)}`) {
  const org = await server.services.orgs.create({ name }, OPERATOR_CONTEXT);
  const admin = await addUser(server, org.id, 'admin');
  return { org, admin, session: await signIn(server, admin.email, admin.password, 'admin') };
}
