import { decodeProtectedHeader } from 'jose';
import { discover, requestToken, verifyAccessToken } from '../helpers/oauth.js';
import { createPersistentDatabase } from '../helpers/persistent-database.js';
import { loadCatalog } from '../../config/catalog.js';
import { loadConfig } from '../../config/index.js';
import { createServices } from '../../server/services.js';
import { createLogger } from '../../server/shared/logger.js';
import { startTestServer, testEnv } from '../helpers/server.js';

describe('signing keys', () => {
  it('keeps its keys across a restart, so tokens issued before it still verify', async () => {
    const database = await createPersistentDatabase();
    const first = await startTestServer({ db: await database.open() });
    const client = await first.createClient();
    const before = await requestToken(await discover(first.issuer), client);
    const { kid } = decodeProtectedHeader(before.access_token);
    await first.stop();

    const second = await startTestServer({ db: await database.open() });
    try {
      const as = await discover(second.issuer);
      // The restarted server has a new port and issuer; the key is what must survive.
      const jwks = (await (await fetch(as.jwks_uri as string)).json()) as { keys: Array<{ kid: string }> };
      expect(jwks.keys.map((key) => key.kid)).toEqual([kid]);
      const after = await requestToken(as, client);
      expect(decodeProtectedHeader(after.access_token).kid).toBe(kid);
      await verifyAccessToken(as, after.access_token);
    } finally {
      await second.stop();
      await database.drop();
    }
  });

  it('rotates: new tokens are signed by the new key, old tokens keep verifying', async () => {
    const server = await startTestServer();
    try {
      const as = await discover(server.issuer);
      const client = await server.createClient();
      const old = await requestToken(as, client);
      const oldKid = decodeProtectedHeader(old.access_token).kid;

      const rotated = await server.services.keys.rotate('ES256');
      expect(rotated.kid).not.toBe(oldKid);
      // Servers poll for key changes; refresh now instead of waiting for the interval.
      expect(await server.refreshKeys()).toBe(true);

      const fresh = await requestToken(as, client);
      expect(decodeProtectedHeader(fresh.access_token)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: rotated.kid });
      await verifyAccessToken(as, fresh.access_token);
      await verifyAccessToken(as, old.access_token);

      const listed = await server.services.keys.list();
      expect(listed.map(({ kid, status }) => ({ kid, status }))).toEqual([
        { kid: rotated.kid, status: 'active' },
        { kid: oldKid, status: 'retiring' },
      ]);
      const retiring = listed[1];
      expect(Date.parse(retiring?.published_until ?? '') - Date.parse(retiring?.retired_at ?? '')).toBe((3600 + 300) * 1000);
    } finally {
      await server.stop();
    }
  });

  it('picks up a rotation by another process on its own, without a restart', async () => {
    const server = await startTestServer({ env: { KEY_REFRESH_INTERVAL_SECONDS: '1' } });
    try {
      const as = await discover(server.issuer);
      const client = await server.createClient();
      const { kid } = await server.services.keys.rotate('ES256');
      const deadline = Date.now() + 10_000;
      let seen: string | undefined;
      while (Date.now() < deadline && seen !== kid) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        seen = decodeProtectedHeader((await requestToken(as, client)).access_token).kid;
      }
      expect(seen).toBe(kid);
    } finally {
      await server.stop();
    }
  });

  it('drops a retired key from the JWKS once no token it signed can be valid', async () => {
    const server = await startTestServer();
    try {
      const [original] = await server.services.keys.list();
      await server.services.keys.rotate('ES256');
      await server.db.knex('signing_keys').where({ kid: original?.kid }).update({ retired_at: new Date(Date.now() - 3901 * 1000) });
      await server.refreshKeys();
      const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
      expect(jwks.keys.map((key) => key.kid)).not.toContain(original?.kid);
      expect(jwks.keys).toHaveLength(1);
      expect((await server.services.keys.list()).find((key) => key.kid === original?.kid)?.status).toBe('retired');
    } finally {
      await server.stop();
    }
  });

  it('lists in discovery the algorithm of every key whose tokens can still be valid', async () => {
    const server = await startTestServer();
    try {
      await server.services.keys.rotate('EdDSA');
      await server.refreshKeys();
      const metadata = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
      expect(metadata.access_token_signing_alg_values_supported).toEqual(['EdDSA', 'ES256']);
    } finally {
      await server.stop();
    }
  });

  it('refuses to rotate with a KEY_ENCRYPTION_SECRET other than the one the keys use', async () => {
    const server = await startTestServer();
    try {
      const config = loadConfig(testEnv(3000, { KEY_ENCRYPTION_SECRET: 'a-different-secret-of-32-characters-or-more' }));
      const other = createServices(config, loadCatalog(config.catalogFile, config.issuer), server.db, createLogger('silent'));
      await expect(other.keys.rotate('ES256')).rejects.toThrow(/KEY_ENCRYPTION_SECRET differs from the one it was encrypted with/);
      expect(await server.services.keys.list()).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });

  it.each([
    ['EdDSA', { kty: 'OKP', crv: 'Ed25519' }],
    ['RS256', { kty: 'RSA' }],
  ] as const)('signs with %s when SIGNING_ALG selects it', async (alg, keyShape) => {
    const server = await startTestServer({ env: { SIGNING_ALG: alg } });
    try {
      const as = await discover(server.issuer);
      const jwks = (await (await fetch(as.jwks_uri as string)).json()) as { keys: Array<Record<string, unknown>> };
      expect(jwks.keys).toHaveLength(1);
      expect(jwks.keys[0]).toMatchObject({ ...keyShape, alg, use: 'sig' });
      expect(jwks.keys[0]).not.toHaveProperty('d');
      const token = await requestToken(as, await server.createClient());
      const { protectedHeader } = await verifyAccessToken(as, token.access_token, undefined, [alg]);
      expect(protectedHeader.alg).toBe(alg);
    } finally {
      await server.stop();
    }
  });

  it('stores private keys encrypted, and refuses to start with a different KEY_ENCRYPTION_SECRET', async () => {
    const database = await createPersistentDatabase();
    const first = await startTestServer({ db: await database.open() });
    const rows = await first.db.knex('signing_keys').select('private_jwk_encrypted', 'public_jwk');
    expect(rows).toHaveLength(1);
    expect(rows[0].private_jwk_encrypted).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(rows[0].private_jwk_encrypted).not.toContain('"d"');
    expect(rows[0].public_jwk).not.toHaveProperty('d');
    await first.stop();

    const db = await database.open();
    await expect(
      startTestServer({ db, env: { KEY_ENCRYPTION_SECRET: 'another-secret-of-at-least-32-characters!' } }),
    ).rejects.toThrow(/cannot decrypt signing key .*: KEY_ENCRYPTION_SECRET differs/);
    await db.close();
    await database.drop();
  });
});
