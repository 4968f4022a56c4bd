// An integration backend: gets a token with openid-client, caches it until shortly before it
// expires, and calls the example API.
//
//   LATCHKEY_ISSUER=http://localhost:3000 CLIENT_ID=lkc_... CLIENT_SECRET=lks_... \
//   node --import tsx examples/resource-server/backend-client.ts http://localhost:4000/payroll/runs
import * as client from 'openid-client';

export function createTokenSource(issuer: string, clientId: string, clientSecret: string, scope?: string) {
  let config: client.Configuration | undefined;
  let cached: { token: string; refreshAt: number } | undefined;
  return async function accessToken(): Promise<string> {
    if (cached && Date.now() < cached.refreshAt) return cached.token;
    config ??= await client.discovery(new URL(issuer), clientId, undefined, client.ClientSecretBasic(clientSecret), {
      execute: issuer.startsWith('http://') ? [client.allowInsecureRequests] : [],
    });
    const response = await client.clientCredentialsGrant(config, scope ? { scope } : {});
    // Refresh a minute before expiry (or halfway for short tokens).
    const lifetime = (response.expires_in ?? 3600) * 1000;
    cached = { token: response.access_token, refreshAt: Date.now() + Math.max(lifetime - 60_000, lifetime / 2) };
    return cached.token;
  };
}

const isMain = process.argv[1] !== undefined && /backend-client\.[jt]s$/.test(process.argv[1]);
if (isMain) {
  const issuer = process.env.LATCHKEY_ISSUER ?? 'http://localhost:3000';
  const token = createTokenSource(issuer, process.env.CLIENT_ID ?? '', process.env.CLIENT_SECRET ?? '');
  const url = process.argv[2] ?? 'http://localhost:4000/payroll/runs';
  const response = await fetch(url, { headers: { authorization: `Bearer ${await token()}` } });
  process.stdout.write(`${response.status} ${await response.text()}\n`);
}
