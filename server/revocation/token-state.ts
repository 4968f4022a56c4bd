// Whether a JWT access token that verifies is still valid: not denylisted by jti, and not issued
// before its client's tokens_not_before (once that instant has come).
import type { Knex } from 'knex';
import type { AuthenticatingClient } from '../clients/clients.repository.js';
import type { AccessTokenClaims } from '../oidc/verify.js';
import { createRevocationRepository } from './revocation.repository.js';

export function createTokenState(db: Knex) {
  const revocations = createRevocationRepository(db);
  return async function isStillValid(claims: AccessTokenClaims, client: Pick<AuthenticatingClient, 'tokens_not_before'>): Promise<boolean> {
    const notBefore = client.tokens_not_before?.getTime();
    if (notBefore !== undefined && notBefore <= Date.now() && claims.iat * 1000 < notBefore) return false;
    return !(await revocations.isTokenRevoked(claims.jti));
  };
}

export type TokenState = ReturnType<typeof createTokenState>;
