// The console's only way to the server: the /v1 management API, with the session cookie (sent by
// the browser, HttpOnly) and the CSRF token on every change.
import type { OpenApiDocument } from './openapi';
import type {
  ApiClient,
  ApiClientWithSecret,
  ApiLogPage,
  AuditPage,
  Catalog,
  CredentialType,
  CredentialUsage,
  Granularity,
  Member,
  MemberWithPassword,
  Organization,
  OrganizationUsage,
  RestrictedToken,
  RestrictedTokenWithToken,
  RotatedApiClient,
  Session,
} from './types';

/** An error answer of the API: `{error, error_description}`, with the field it names, if any. */
export class ApiError extends Error {
  readonly field: string | null;
  readonly fieldMessage: string;
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
  ) {
    super(description);
    const { field, message } = splitFieldError(description);
    this.field = field;
    this.fieldMessage = message;
  }
}

/**
 * The API's 400s start with the field they are about: "allowed_origins.1: must use https",
 * "name: must not be empty". Returns the top-level field name and the rest of the sentence.
 */
export function splitFieldError(description: string): { field: string | null; message: string } {
  const match = /^([a-z_]+)(?:\.(\d+))?: (.+)$/s.exec(description);
  if (!match?.[1] || !match[3]) return { field: null, message: description };
  const item = match[2] !== undefined ? `entry ${Number(match[2]) + 1}: ` : '';
  return { field: match[1], message: `${item}${match[3]}` };
}

let csrfToken: string | null = null;
/** Called when a session ends under the console's feet (expired, signed out elsewhere). */
let onSessionEnded: (() => void) | null = null;
export const setSessionEndedHandler = (handler: (() => void) | null) => {
  onSessionEnded = handler;
};

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(`/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'network_error', 'The server could not be reached. Check your connection and try again.');
  }
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: reported below
  }
  if (!response.ok) {
    if (response.status === 401 && path !== '/auth/login' && path !== '/me') onSessionEnded?.();
    const error = parsed as { error?: string; error_description?: string } | undefined;
    throw new ApiError(
      response.status,
      error?.error ?? 'server_error',
      error?.error_description ?? `The server answered ${response.status}.`,
    );
  }
  return parsed as T;
}

const org = (orgId: string) => `/orgs/${encodeURIComponent(orgId)}`;

/** A CSV export is a plain link: the browser downloads it with the session cookie. */
function csvUrl(path: string, query: URLSearchParams): string {
  const csv = new URLSearchParams(query);
  csv.delete('cursor');
  csv.delete('limit');
  csv.set('format', 'csv');
  return `/v1${path}?${csv.toString()}`;
}

/** Where a credential's usage is read: the credential kinds have their own routes and permissions. */
const credentialPath = (orgId: string, type: CredentialType, id: string) =>
  `${org(orgId)}/${type === 'api_client' ? 'clients' : 'restricted-tokens'}/${encodeURIComponent(id)}`;

export const api = {
  async me(): Promise<Session> {
    const session = await request<Session>('GET', '/me');
    csrfToken = session.csrf_token;
    return session;
  },
  async login(email: string, password: string): Promise<Session> {
    const session = await request<Session>('POST', '/auth/login', { email, password });
    csrfToken = session.csrf_token;
    return session;
  },
  async logout(): Promise<void> {
    await request<void>('POST', '/auth/logout');
    csrfToken = null;
  },
  scopes: () => request<Catalog>('GET', '/scopes'),
  organization: (orgId: string) => request<Organization>('GET', org(orgId)),

  clients: (orgId: string) => request<ApiClient[]>('GET', `${org(orgId)}/clients`),
  createClient: (orgId: string, body: Record<string, unknown>) => request<ApiClientWithSecret>('POST', `${org(orgId)}/clients`, body),
  updateClient: (orgId: string, id: string, body: Record<string, unknown>) =>
    request<ApiClient>('PATCH', `${org(orgId)}/clients/${encodeURIComponent(id)}`, body),
  disableClient: (orgId: string, id: string) => request<ApiClient>('POST', `${org(orgId)}/clients/${encodeURIComponent(id)}/disable`),
  rotateSecret: (orgId: string, id: string, gracePeriodSeconds: number) =>
    request<RotatedApiClient>('POST', `${org(orgId)}/clients/${encodeURIComponent(id)}/rotate-secret`, {
      grace_period_seconds: gracePeriodSeconds,
    }),
  deleteClient: (orgId: string, id: string) => request<unknown>('DELETE', `${org(orgId)}/clients/${encodeURIComponent(id)}`),

  tokens: (orgId: string) => request<RestrictedToken[]>('GET', `${org(orgId)}/restricted-tokens`),
  createToken: (orgId: string, body: Record<string, unknown>) =>
    request<RestrictedTokenWithToken>('POST', `${org(orgId)}/restricted-tokens`, body),
  updateToken: (orgId: string, id: string, body: Record<string, unknown>) =>
    request<RestrictedToken>('PATCH', `${org(orgId)}/restricted-tokens/${encodeURIComponent(id)}`, body),
  deleteToken: (orgId: string, id: string) => request<unknown>('DELETE', `${org(orgId)}/restricted-tokens/${encodeURIComponent(id)}`),

  revokeAll: (orgId: string, confirm: string) =>
    request<{ api_clients_disabled: number; restricted_tokens_deleted: number }>('POST', `${org(orgId)}/revoke-all`, { confirm }),

  members: (orgId: string) => request<Member[]>('GET', `${org(orgId)}/members`),
  addMember: (orgId: string, body: { email: string; role: string; can_manage_credentials: boolean }) =>
    request<MemberWithPassword>('POST', `${org(orgId)}/members`, body),
  updateMember: (orgId: string, userId: string, body: { role?: string; can_manage_credentials?: boolean }) =>
    request<Member>('PATCH', `${org(orgId)}/members/${encodeURIComponent(userId)}`, body),
  removeMember: (orgId: string, userId: string) => request<unknown>('DELETE', `${org(orgId)}/members/${encodeURIComponent(userId)}`),

  auditEvents: (orgId: string, query: URLSearchParams) => request<AuditPage>('GET', `${org(orgId)}/audit-events?${query.toString()}`),
  auditCsvUrl: (orgId: string, query: URLSearchParams) => csvUrl(`${org(orgId)}/audit-events`, query),

  /** The server's default range: the last 24 hours by hour, or the last 30 UTC days by day. */
  organizationUsage: (orgId: string, granularity: Granularity) => request<OrganizationUsage>('GET', `${org(orgId)}/usage?granularity=${granularity}`),
  credentialUsage: (orgId: string, type: CredentialType, id: string, granularity: Granularity) =>
    request<CredentialUsage>('GET', `${credentialPath(orgId, type, id)}/usage?granularity=${granularity}`),
  apiLogs: (orgId: string, query: URLSearchParams) => request<ApiLogPage>('GET', `${org(orgId)}/api-logs?${query.toString()}`),
  apiLogsCsvUrl: (orgId: string, query: URLSearchParams) => csvUrl(`${org(orgId)}/api-logs`, query),

  openApi: () => request<OpenApiDocument>('GET', '/openapi.json'),
};
