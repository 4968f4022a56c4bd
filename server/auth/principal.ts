import type { Actor } from '../shared/actor.js';
import type { Membership } from './permissions.js';

/** A console user signed in with a session cookie. */
export interface UserPrincipal {
  kind: 'user';
  userId: string;
  email: string;
  sessionIdHash: string;
  csrfToken: string;
  memberships: Map<string, Membership>;
}

/** An API client calling with a Bearer JWT for the management API. */
export interface ClientPrincipal {
  kind: 'client';
  clientId: string;
  name: string;
  orgId: string;
  scopes: Set<string>;
}

export type Principal = UserPrincipal | ClientPrincipal;

export function actorOf(principal: Principal): Actor {
  return principal.kind === 'user'
    ? { type: 'user', id: principal.userId, name: principal.email }
    : { type: 'client', id: principal.clientId, name: principal.name };
}
