// Whether a JWT access token that verifies is still valid: not denylisted by jti, and not issued
// before its client's tokens_not_before (once that instant has come). iat has whole seconds, so
// the comparison is in whole seconds: a token of the very second of a revocation survives it,
// rather than a token issued just after (by a client that rotated its secret) failing for an hour.
import type { Knex } from 'knex';
import type { AuthenticatingClient } from '../clients/clients.repository.js';
import type { AccessTokenClaims } from '../oidc/verify.js';
import { createRevocationRepository } from './revocation.repository.js';

export function createTokenState(db: Knex) {
  const revocations = createRevocationRepository(db);
  return async function isStillValid(
    claims: AccessTokenClaims,
    client: Pick<AuthenticatingClient, 'tokens_not_before' | 'tokens_not_before_pending'>,
  ): Promise<boolean> {
    if (revokedBy(claims.iat, client.tokens_not_before) || revokedBy(claims.iat, client.tokens_not_before_pending)) return false;
    return !(await revocations.isTokenRevoked(claims.jti));
  };
}

/** Whether a not-before (once it has come) revokes a token issued at `iat` (epoch seconds). */
export function revokedBy(iat: number, notBefore: Date | null | undefined): boolean {
  if (!notBefore) return false;
  const at = notBefore.getTime();
  return at <= Date.now() && iat < Math.floor(at / 1000);
}

export type TokenState = ReturnType<typeof createTokenState>;
