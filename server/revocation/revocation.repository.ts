import type { Knex } from 'knex';

export interface RevocationEventRow {
  id: string;
  kind: 'token' | 'client';
  client_id: string;
  jti: string | null;
  not_before: Date | null;
  relevant_until: Date;
  created_at: Date;
}

export function createRevocationRepository(db: Knex) {
  return {
    /** Denylists one token until its exp; false when it already was. */
    async revokeToken(jti: string, clientId: string, expiresAt: Date): Promise<boolean> {
      const inserted = await db('revoked_tokens')
        .insert({ jti, client_id: clientId, expires_at: expiresAt })
        .onConflict('jti')
        .ignore()
        .returning('jti');
      if (inserted.length === 0) return false;
      await db('revocation_events').insert({ kind: 'token', client_id: clientId, jti, relevant_until: expiresAt });
      return true;
    },

    isTokenRevoked(jti: string): Promise<boolean> {
      return db('revoked_tokens').where({ jti }).first('jti').then((row) => row !== undefined);
    },

    /**
     * Revokes every token of the client issued before `notBefore` (effective from `notBefore`).
     * The entry stays in the feed while a token it covers could still be valid.
     */
    async setClientNotBefore(clientId: string, notBefore: Date, tokenTtlSeconds: number): Promise<void> {
      await db('api_clients')
        .where({ client_id: clientId })
        .update({ tokens_not_before: db.raw('greatest(coalesce(tokens_not_before, ?::timestamptz), ?::timestamptz)', [notBefore, notBefore]) });
      await db('revocation_events').insert({
        kind: 'client',
        client_id: clientId,
        not_before: notBefore,
        relevant_until: new Date(notBefore.getTime() + tokenTtlSeconds * 1000),
      });
    },

    /** Entries after `afterId`, oldest first, that still cover a token that could be valid. */
    feed(afterId: string, limit: number): Promise<RevocationEventRow[]> {
      return db<RevocationEventRow>('revocation_events')
        .where('id', '>', afterId)
        .andWhere('relevant_until', '>', db.fn.now())
        .orderBy('id')
        .limit(limit);
    },

    /** Forgets entries no valid token can depend on any more. */
    async prune(): Promise<number> {
      const events = await db('revocation_events').where('relevant_until', '<=', db.fn.now()).del();
      const tokens = await db('revoked_tokens').where('expires_at', '<=', db.fn.now()).del();
      return events + tokens;
    },
  };
}

export type RevocationRepository = ReturnType<typeof createRevocationRepository>;
