// Who may do what, in one place. Routes name a permission; this module decides.
export const ROLES = ['admin', 'developer', 'member'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'org:read',
  'members:read',
  'members:write',
  'clients:read',
  'clients:write',
  'tokens:read',
  'tokens:write',
  'audit:read',
  'org:revoke-all',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export interface Membership {
  role: Role;
  can_manage_credentials: boolean;
}

const READ: Permission[] = ['org:read', 'members:read', 'clients:read', 'tokens:read'];

const ROLE_GRANTS: Record<Role, ReadonlySet<Permission>> = {
  // Everything in the organization, including members and revoke-all.
  admin: new Set(PERMISSIONS),
  // Create, edit, disable, delete and rotate API clients and restricted tokens; read the audit log.
  developer: new Set([...READ, 'clients:write', 'tokens:write', 'audit:read']),
  // Read-only (can_manage_credentials adds restricted tokens, never API clients).
  member: new Set(READ),
};

/** What each management scope lets a machine caller do in its own organization. */
export const SCOPE_GRANTS: Record<string, readonly Permission[]> = {
  'credentials:read': ['org:read', 'clients:read', 'tokens:read'],
  'credentials:write': ['org:read', 'clients:read', 'clients:write', 'tokens:read', 'tokens:write'],
  'audit:read': ['org:read', 'audit:read'],
  'members:write': ['org:read', 'members:read', 'members:write'],
};

export function memberMay(membership: Membership, permission: Permission): boolean {
  if (ROLE_GRANTS[membership.role].has(permission)) return true;
  return permission === 'tokens:write' && membership.can_manage_credentials;
}

export function scopesMay(scopes: ReadonlySet<string>, permission: Permission): boolean {
  for (const scope of scopes) if (SCOPE_GRANTS[scope]?.includes(permission)) return true;
  return false;
}

/**
 * A management scope may be given to a new API client only by a caller who holds everything
 * that scope grants: a developer cannot mint a client that manages members.
 */
export function mayGrantScope(holds: (permission: Permission) => boolean, scope: string): boolean {
  const grants = SCOPE_GRANTS[scope];
  return grants === undefined || grants.every(holds);
}
