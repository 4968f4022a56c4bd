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

/** A resource server reading the revocation feed with its Basic credentials. */
export interface ResourceServerPrincipal {
  kind: 'resource_server';
  clientId: string;
}

export type Principal = UserPrincipal | ClientPrincipal | ResourceServerPrincipal;

export function actorOf(principal: Principal): Actor {
  if (principal.kind === 'user') return { type: 'user', id: principal.userId, name: principal.email };
  if (principal.kind === 'client') return { type: 'client', id: principal.clientId, name: principal.name };
  return { type: 'client', id: principal.clientId, name: 'resource server' };
}
