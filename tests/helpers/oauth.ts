// A real OAuth client (oauth4webapi) and a real JWT verifier (jose) as a resource server uses them.
import { createRemoteJWKSet, jwtVerify, type JWTVerifyResult } from 'jose';
import * as oauth from 'oauth4webapi';

const insecure = { [oauth.allowInsecureRequests]: true } as const;

export async function discover(issuer: string): Promise<oauth.AuthorizationServer> {
  const url = new URL(issuer);
  const response = await oauth.discoveryRequest(url, { algorithm: 'oauth2', ...insecure });
  return oauth.processDiscoveryResponse(url, response);
}

export async function requestToken(
  as: oauth.AuthorizationServer,
  credentials: { client_id: string; client_secret: string },
  options: { method?: 'basic' | 'post'; scope?: string; resource?: string } = {},
) {
  const client: oauth.Client = { client_id: credentials.client_id };
  const auth =
    options.method === 'post'
      ? oauth.ClientSecretPost(credentials.client_secret)
      : oauth.ClientSecretBasic(credentials.client_secret);
  const parameters = new URLSearchParams();
  if (options.scope !== undefined) parameters.set('scope', options.scope);
  if (options.resource !== undefined) parameters.set('resource', options.resource);
  const response = await oauth.clientCredentialsGrantRequest(as, client, auth, parameters, insecure);
  return oauth.processClientCredentialsResponse(as, client, response);
}

/** Verifies an access token the way a resource server should (RFC 9068 §4). */
export function verifyAccessToken(
  as: oauth.AuthorizationServer,
  token: string,
  audience = 'https://api.example.com',
  algorithms = ['ES256'],
): Promise<JWTVerifyResult> {
  const jwks = createRemoteJWKSet(new URL(as.jwks_uri as string));
  return jwtVerify(token, jwks, { issuer: as.issuer, audience, typ: 'at+jwt', algorithms });
}

/** Posts a raw form to the token endpoint, for requests a well-behaved library would not send. */
export async function postToken(
  url: string,
  body: string | undefined,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

export const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
