// oidc-provider builds a client object (a full metadata validation) from the adapter's metadata.
// Latchkey keeps each built client as long as the client cache hands out the same row, and
// builds again from any other row: never a stale client, never a build per request.
import { exportJWK, generateKeyPair } from 'jose';
import type { AuthenticatingClient } from '../../server/clients/clients.repository.js';
import { loadCatalog } from '../../config/catalog.js';
import { loadConfig } from '../../config/index.js';
import { buildProvider, fieldsOf, type ProviderClient } from '../../server/oidc/provider.js';
import type { FailureLimiter } from '../../server/shared/failure-limiter.js';
import type { RateLimits } from '../../server/shared/rate-limits.js';
import { createSecretVerifier } from '../../server/shared/secrets.js';
import { testEnv } from '../helpers/server.js';

const rows = new Map<string, AuthenticatingClient>();
let lookups: string[] = [];

function row(clientId: string, changes: Partial<AuthenticatingClient> = {}): AuthenticatingClient {
  return {
    client_id: clientId,
    org_id: '00000000-0000-4000-8000-000000000001',
    name: 'Built',
    scopes: ['payroll:Read'],
    allowed_origins: [],
    secret_hash: '$2b$04$abcdefghijklmnopqrstuuN0tArealHashButShapedLikeOne123',
    previous_secret_hash: null,
    previous_secret_expires_at: null,
    expires_at: null,
    tokens_not_before: null,
    tokens_not_before_pending: null,
    rate_limit_per_minute: null,
    ...changes,
  };
}

async function provider() {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const config = loadConfig(testEnv(0));
  return buildProvider({
    config,
    catalog: loadCatalog(config.catalogFile, config.issuer),
    clients: {
      async findAuthenticatable(clientId) {
        lookups.push(clientId);
        return rows.get(clientId);
      },
      async reload(clientId) {
        return rows.get(clientId);
      },
    },
    verifier: createSecretVerifier({ cacheSeconds: 300 }),
    limiter: {} as FailureLimiter,
    rateLimits: {} as RateLimits,
    keySet: { active: { kid: 'k1', alg: 'ES256' }, privateJwks: [jwk], publicJwks: [], fingerprint: 'f' },
  });
}

beforeEach(() => {
  rows.clear();
  lookups = [];
});

describe('built clients', () => {
  it('reuses the built client while the row is the same, with one lookup per find', async () => {
    const { Client } = await provider();
    rows.set('lkc_a', row('lkc_a'));
    const first = (await Client.find('lkc_a')) as ProviderClient;
    const second = await Client.find('lkc_a');
    expect(second).toBe(first);
    expect(first.clientId).toBe('lkc_a');
    expect(fieldsOf(first).scope).toBe('payroll:Read');
    // One lookup per find: building the client reads no second copy.
    expect(lookups).toEqual(['lkc_a', 'lkc_a']);
  });

  it('builds again from a changed row, and forgets a client that is gone', async () => {
    const { Client } = await provider();
    rows.set('lkc_b', row('lkc_b'));
    const before = (await Client.find('lkc_b')) as ProviderClient;
    rows.set('lkc_b', row('lkc_b', { scopes: ['payroll:Read', 'employees:Read'], allowed_origins: ['https://app.example.com'] }));
    const after = (await Client.find('lkc_b')) as ProviderClient;
    expect(after).not.toBe(before);
    expect(fieldsOf(after).scope).toBe('payroll:Read employees:Read');
    expect(fieldsOf(after).allowed_origins).toEqual(['https://app.example.com']);
    rows.delete('lkc_b');
    await expect(Client.find('lkc_b')).resolves.toBeUndefined();
  });

  it('keeps more than oidc-provider\'s 100 built clients', async () => {
    const { Client } = await provider();
    const ids = Array.from({ length: 150 }, (_, i) => `lkc_many_${i}`);
    for (const id of ids) rows.set(id, row(id));
    const first = await Promise.all(ids.map((id) => Client.find(id)));
    const again = await Promise.all(ids.map((id) => Client.find(id)));
    again.forEach((client, i) => expect(client).toBe(first[i]));
  });

  it('refuses ids that cannot be client ids without a lookup', async () => {
    const { Client } = await provider();
    await expect(Client.find('')).resolves.toBeUndefined();
    await expect(Client.find('x'.repeat(201))).resolves.toBeUndefined();
    expect(lookups).toEqual([]);
  });
});
