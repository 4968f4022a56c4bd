// The JSON objects of the /v1 management API, as the README and GET /v1/openapi.json describe them.
export type Role = 'admin' | 'developer' | 'member';

export interface Membership {
  org_id: string;
  org_name: string;
  role: Role;
  can_manage_credentials: boolean;
}

export interface Session {
  type: 'user';
  user: { id: string; email: string };
  memberships: Membership[];
  csrf_token: string;
}

export interface Actor {
  type: 'operator' | 'user' | 'client';
  id: string | null;
  name: string;
}

export interface Organization {
  id: string;
  name: string;
  limits: { max_api_clients: number; max_restricted_tokens: number };
}

export interface ApiClient {
  id: string;
  client_id: string;
  name: string;
  description: string;
  allowed_origins: string[];
  scopes: string[];
  status: 'active' | 'disabled';
  secret_last4: string;
  expires_at: string | null;
  created_at: string;
  created_by: Actor;
  updated_at: string;
  last_used_at: string | null;
}

export interface ApiClientWithSecret extends ApiClient {
  client_secret: string;
}

export interface RotatedApiClient extends ApiClientWithSecret {
  previous_secret_expires_at: string | null;
}

export interface RestrictedToken {
  id: string;
  name: string;
  allowed_ips: string[];
  scopes: string[];
  token_last4: string;
  expires_at: string | null;
  created_at: string;
  created_by: Actor;
  last_used_at: string | null;
}

export interface RestrictedTokenWithToken extends RestrictedToken {
  token: string;
}

export interface CatalogScope {
  name: string;
  description: string;
  restricted: boolean;
}

export interface Catalog {
  resources: Array<{ identifier: string; name: string; default: boolean; scopes: CatalogScope[] }>;
}

export interface Member {
  user_id: string;
  email: string;
  role: Role;
  can_manage_credentials: boolean;
  created_at: string;
  updated_at: string;
}

export interface MemberWithPassword extends Member {
  password: string | null;
}

export interface AuditEvent {
  id: string;
  at: string;
  action: string;
  actor: Actor;
  target: { type: string; id: string | null; name: string | null } | null;
  ip: string | null;
  user_agent: string | null;
  metadata: Record<string, unknown>;
}

export interface AuditPage {
  events: AuditEvent[];
  next_cursor: string | null;
}

export type CredentialType = 'api_client' | 'restricted_token';
export type Granularity = 'hour' | 'day';

/** Requests, successes and failures of one period, as every usage answer gives them. */
export interface UsageFigures {
  requests: number;
  successes: number;
  failures: number;
  failures_by_reason: Record<string, number>;
  /** Estimated from a latency histogram; null without requests. */
  latency_ms: { p50: number | null; p95: number | null };
}

export interface UsageTotals extends UsageFigures {
  endpoints: { token: UsageFigures; introspection: UsageFigures };
}

export interface UsagePoint extends UsageTotals {
  /** The bucket's first instant: an hour, or a UTC day. */
  start: string;
}

interface UsageSeries {
  granularity: Granularity;
  from: string;
  /** Exclusive. */
  to: string;
  totals: UsageTotals;
  /** One point per hour or UTC day of the range, zeros included. */
  series: UsagePoint[];
}

export interface CredentialUsage extends UsageSeries {
  credential: { type: CredentialType; id: string; client_id: string | null; name: string; last_used_at: string | null };
}

export interface CredentialTraffic {
  type: CredentialType;
  id: string;
  client_id: string | null;
  name: string;
  deleted: boolean;
  last_used_at: string | null;
  requests: number;
  successes: number;
  failures: number;
}

export interface OrganizationUsage extends UsageSeries {
  org_id: string;
  /** Each credential with traffic in the range, busiest first. */
  credentials: CredentialTraffic[];
}

export type ApiLogEvent = 'token.issued' | 'token.refused' | 'introspection.active' | 'introspection.inactive' | 'introspection.refused';

export interface ApiLogEntry {
  id: string;
  at: string;
  event: ApiLogEvent;
  credential: { type: CredentialType; id: string | null; client_id: string | null; name: string | null };
  status: number;
  /** Why it failed; null when it did what it asked. */
  reason: string | null;
  scope: string | null;
  ip: string | null;
  request_id: string | null;
  latency_ms: number;
}

export interface ApiLogPage {
  events: ApiLogEntry[];
  next_cursor: string | null;
}
