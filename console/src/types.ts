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
