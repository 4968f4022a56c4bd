import type { Knex } from 'knex';
import { affectedRows } from '../shared/transaction.js';

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
     * Revokes every token of the client issued before `notBefore`: at once when it is not in the
     * future, else from then on (a rotation's grace period), replacing an earlier pending one.
     * `rotation` marks a new secret: an immediate one also cancels a pending grace end.
     * The feed entry stays while a token it covers could still be valid.
     */
    async setClientNotBefore(clientId: string, notBefore: Date, tokenTtlSeconds: number, options: { rotation?: boolean } = {}): Promise<void> {
      const future = notBefore.getTime() > Date.now();
      // A pending instant that has come is part of the past now.
      const folded = db.raw(
        'greatest(tokens_not_before, case when tokens_not_before_pending <= now() then tokens_not_before_pending end' +
          (future ? ')' : ', ?::timestamptz)'),
        future ? [] : [notBefore],
      );
      const pending = future
        ? db.raw('?::timestamptz', [notBefore])
        : options.rotation
          ? null
          : db.raw('case when tokens_not_before_pending > now() then tokens_not_before_pending end');
      await db('api_clients').where({ client_id: clientId }).update({ tokens_not_before: folded, tokens_not_before_pending: pending });
      await db('revocation_events').insert({
        kind: 'client',
        client_id: clientId,
        not_before: notBefore,
        relevant_until: new Date(notBefore.getTime() + tokenTtlSeconds * 1000),
      });
    },

    /**
     * Entries after `afterId`, oldest first, that still cover a token that could be valid; client
     * entries carry the client's not-before state as it is now (a later rotation replaces a
     * pending grace end).
     */
    feed(afterId: string, limit: number): Promise<Array<RevocationEventRow & { current_not_before: Date | null; current_pending: Date | null }>> {
      return db('revocation_events as e')
        .leftJoin('api_clients as c', 'c.client_id', 'e.client_id')
        .select('e.*', 'c.tokens_not_before as current_not_before', 'c.tokens_not_before_pending as current_pending')
        .where('e.id', '>', afterId)
        .andWhere('e.relevant_until', '>', db.fn.now())
        .orderBy('e.id')
        .limit(limit);
    },

    /** Forgets entries no valid token can depend on any more. */
    async prune(): Promise<number> {
      const events = await db('revocation_events').where('relevant_until', '<=', db.fn.now()).del();
      const tokens = await db('revoked_tokens').where('expires_at', '<=', db.fn.now()).del();
      return affectedRows(events) + affectedRows(tokens);
    },
  };
}

export type RevocationRepository = ReturnType<typeof createRevocationRepository>;
