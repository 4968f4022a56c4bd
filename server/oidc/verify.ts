// Verifies access tokens this server issued (RFC 9068 §4) against its own published keys.
import { createLocalJWKSet, jwtVerify, type JWK, type JWTPayload } from 'jose';

export interface AccessTokenClaims extends JWTPayload {
  client_id: string;
  org_id: string;
  jti: string;
  iat: number;
  exp: number;
  scope?: string;
}

export function createAccessTokenVerifier(issuer: string, publicJwks: () => JWK[]) {
  return async function verifyAccessToken(
    token: string,
    options: { audience?: string; ignoreExpiry?: boolean } = {},
  ): Promise<AccessTokenClaims | null> {
    if (token.length > 16384) return null;
    try {
      const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: publicJwks() }), {
        issuer,
        ...(options.audience ? { audience: options.audience } : {}),
        typ: 'at+jwt',
        algorithms: ['ES256', 'EdDSA', 'RS256'],
        requiredClaims: ['client_id', 'org_id', 'jti', 'exp', 'iat', 'aud'],
        ...(options.ignoreExpiry ? { currentDate: new Date(0) } : {}),
      });
      return payload as AccessTokenClaims;
    } catch {
      return null;
    }
  };
}

export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;
