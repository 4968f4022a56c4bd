// Signing keys: generated on first start, private parts encrypted at rest, rotated by the
// operator. A retired key stays published in the JWKS for as long as a token it signed can live.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { SigningAlgorithm } from '../../config/index.js';
import type { KeyCipher } from './key-encryption.js';
import type { KeysRepository, SigningKeyRow } from './keys.repository.js';

/** Clock skew allowance added to a retired key's publication window. */
const PUBLICATION_MARGIN_SECONDS = 300;

export interface KeySet {
  active: { kid: string; alg: SigningAlgorithm };
  /** Private JWKs for oidc-provider, the active key first (the first matching key signs). */
  privateJwks: JWK[];
  /** The same keys' public halves, as published in the JWKS. */
  publicJwks: JWK[];
  /** Changes whenever the published or active keys change. */
  fingerprint: string;
}

export interface KeysServiceDeps {
  repository: KeysRepository;
  cipher: KeyCipher;
  /** The longest an access token can live: retired keys stay published this long (plus margin). */
  accessTokenTtlSeconds: number;
}

export function createKeysService({ repository, cipher, accessTokenTtlSeconds }: KeysServiceDeps) {
  const publicationSeconds = accessTokenTtlSeconds + PUBLICATION_MARGIN_SECONDS;

  async function generate(alg: SigningAlgorithm) {
    const { privateKey, publicKey } = await generateKeyPair(alg, {
      extractable: true,
      ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
      ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
    });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const meta = { kid, alg, use: 'sig' };
    return {
      kid,
      alg,
      public_jwk: { ...publicJwk, ...meta },
      private_jwk_encrypted: cipher.encrypt(JSON.stringify({ ...(await exportJWK(privateKey)), ...meta })),
    };
  }

  function statusOf(row: SigningKeyRow, now: number) {
    if (!row.retired_at) return 'active' as const;
    return row.retired_at.getTime() + publicationSeconds * 1000 > now ? ('retiring' as const) : ('retired' as const);
  }

  const service = {
    /** Adds a new signing key and retires the current one. */
    async rotate(alg: SigningAlgorithm) {
      // A key encrypted under another KEY_ENCRYPTION_SECRET would stop every server that loads it.
      if ((await repository.list()).length > 0) await service.load();
      const row = await repository.rotate(await generate(alg));
      return { kid: row.kid, alg: row.alg, created_at: row.created_at.toISOString() };
    },

    /** Makes sure an active key of `alg` exists; safe when several processes start at once. */
    async ensureActive(alg: SigningAlgorithm): Promise<void> {
      const active = (await repository.list()).find((row) => row.retired_at === null);
      if (active?.alg === alg) return;
      if (active) await service.load(); // refuse a mismatched KEY_ENCRYPTION_SECRET before adding a key
      await repository.activateUnlessActive(await generate(alg));
    },

    async list() {
      const now = Date.now();
      return (await repository.list()).map((row) => ({
        kid: row.kid,
        alg: row.alg,
        status: statusOf(row, now),
        created_at: row.created_at.toISOString(),
        retired_at: row.retired_at?.toISOString() ?? null,
        published_until: row.retired_at
          ? new Date(row.retired_at.getTime() + publicationSeconds * 1000).toISOString()
          : null,
      }));
    },

    /** The keys a server signs and publishes with right now. */
    async load(): Promise<KeySet> {
      const rows = await repository.listPublishable(new Date(Date.now() - publicationSeconds * 1000));
      const active = rows.find((row) => row.retired_at === null);
      if (!active) throw new Error('no active signing key: run `latchkey keys rotate` or restart the server');
      const ordered = [active, ...rows.filter((row) => row !== active)];
      const privateJwks = ordered.map((row) => {
        try {
          return JSON.parse(cipher.decrypt(row.private_jwk_encrypted)) as JWK;
        } catch {
          throw new Error(
            `cannot decrypt signing key ${row.kid}: KEY_ENCRYPTION_SECRET differs from the one it was encrypted with`,
          );
        }
      });
      return {
        active: { kid: active.kid, alg: active.alg },
        privateJwks,
        publicJwks: ordered.map((row) => row.public_jwk),
        fingerprint: ordered.map((row) => row.kid).join(','),
      };
    },
  };
  return service;
}

export type KeysService = ReturnType<typeof createKeysService>;
