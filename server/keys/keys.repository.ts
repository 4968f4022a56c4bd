import type { Knex } from 'knex';
import type { JWK } from 'jose';
import type { SigningAlgorithm } from '../../config/index.js';

export interface SigningKeyRow {
  id: string;
  kid: string;
  alg: SigningAlgorithm;
  public_jwk: JWK;
  private_jwk_encrypted: string;
  created_at: Date;
  retired_at: Date | null;
}

export interface NewSigningKey {
  kid: string;
  alg: SigningAlgorithm;
  public_jwk: JWK;
  private_jwk_encrypted: string;
}

export function createKeysRepository(db: Knex) {
  return {
    /** Keys newest first. */
    list(): Promise<SigningKeyRow[]> {
      return db<SigningKeyRow>('signing_keys').orderBy([{ column: 'created_at', order: 'desc' }, { column: 'kid' }]);
    },

    /** Keys that may still verify a token: the active one and those retired after `since`. */
    listPublishable(since: Date): Promise<SigningKeyRow[]> {
      return db<SigningKeyRow>('signing_keys')
        .whereNull('retired_at')
        .orWhere('retired_at', '>', since)
        .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'kid' }]);
    },

    /**
     * Makes `key` the active key unless a key of its algorithm already is, atomically: processes
     * starting together on an empty database create one key between them, not one each.
     */
    async activateUnlessActive(key: NewSigningKey): Promise<boolean> {
      return db.transaction(async (trx) => {
        await trx.raw('lock table signing_keys in share row exclusive mode');
        const active = await trx<SigningKeyRow>('signing_keys').whereNull('retired_at').first();
        if (active?.alg === key.alg) return false;
        await trx('signing_keys').whereNull('retired_at').update({ retired_at: trx.fn.now() });
        await trx('signing_keys').insert({ ...key, public_jwk: JSON.stringify(key.public_jwk) });
        return true;
      });
    },

    /** Retires the active key (if any) and inserts the new one, atomically. */
    async rotate(key: NewSigningKey): Promise<SigningKeyRow> {
      return db.transaction(async (trx) => {
        await trx.raw('lock table signing_keys in share row exclusive mode');
        await trx('signing_keys').whereNull('retired_at').update({ retired_at: trx.fn.now() });
        const [row] = await trx('signing_keys')
          .insert({ ...key, public_jwk: JSON.stringify(key.public_jwk) })
          .returning('*');
        return row as SigningKeyRow;
      });
    },
  };
}

export type KeysRepository = ReturnType<typeof createKeysRepository>;
