// What the signed-in user may do in the selected organization, as PRODUCT.md and
// server/auth/permissions.ts define it. The console only hides or disables controls with this;
// the API decides, and its 403s are shown when the two ever disagree.
import type { Membership } from './types';

export interface Abilities {
  /** org:read: the organization's usage overview. */
  readOrg: boolean;
  /** clients:read: API clients, and each one's usage. */
  readClients: boolean;
  /** tokens:read: restricted tokens, and each one's usage. */
  readTokens: boolean;
  /** Create, edit, rotate, disable and delete API clients. */
  writeClients: boolean;
  /** Create, edit and delete restricted tokens. */
  writeTokens: boolean;
  /** View Docs, Run in Postman and Add New are for users who can create some credential. */
  createAny: boolean;
  /** audit:read: the audit log, and the API logs (each authentication event, with IP and request id). */
  readAudit: boolean;
  manageMembers: boolean;
  revokeAll: boolean;
}

export const WHY = {
  clients: 'Changing API clients needs the admin or developer role.',
  tokens: 'Changing restricted tokens needs the admin or developer role, or the "can manage credentials" flag.',
  revokeAll: 'Only an organization admin can revoke all credentials.',
  apiLogs: 'API logs need the admin or developer role.',
} as const;

export function abilitiesOf(membership: Membership | undefined): Abilities {
  if (!membership) {
    return {
      readOrg: false,
      readClients: false,
      readTokens: false,
      writeClients: false,
      writeTokens: false,
      createAny: false,
      readAudit: false,
      manageMembers: false,
      revokeAll: false,
    };
  }
  const technical = membership.role === 'admin' || membership.role === 'developer';
  const writeTokens = technical || membership.can_manage_credentials;
  return {
    // Every role reads the organization and its credentials: a member is read-only, not blind.
    readOrg: true,
    readClients: true,
    readTokens: true,
    writeClients: technical,
    writeTokens,
    createAny: technical || writeTokens,
    readAudit: technical,
    manageMembers: membership.role === 'admin',
    revokeAll: membership.role === 'admin',
  };
}
