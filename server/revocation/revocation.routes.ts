import type { Knex } from 'knex';
import { z } from 'zod';
import { route } from '../http/route.js';
import { AppError } from '../shared/errors.js';
import { createRevocationRepository } from './revocation.repository.js';

/**
 * Entries this recent may still be joined by entries of transactions that took their id earlier
 * and commit later; the cursor does not move past them, so they come again on the next poll.
 */
const SETTLE_MILLISECONDS = 5000;

const feedQuery = z
  .object({
    since: z.string().max(100).optional().meta({ description: 'next_cursor of the previous answer; omit for every entry still relevant' }),
    limit: z
      .string()
      .regex(/^\d+$/, 'must be a whole number between 1 and 1000')
      .transform(Number)
      .pipe(z.number().min(1, 'must be at least 1').max(1000, 'must be at most 1000'))
      .optional(),
  })
  .strict();

const entrySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('token'), jti: z.string(), client_id: z.string(), exp: z.number().int() }).strict(),
  z
    .object({
      type: z.literal('client'),
      client_id: z.string(),
      not_before: z.number().int().nullable().meta({ description: 'tokens of this client with iat before this (epoch seconds) are revoked' }),
      pending_not_before: z
        .number()
        .int()
        .nullable()
        .meta({ description: 'a rotation grace period ends then: tokens with iat before it are revoked from that moment on' }),
    })
    .strict()
    .meta({ description: 'the client\'s current state; a later entry for the same client replaces an earlier one' }),
]);

const seconds = (date: Date | null) => (date ? Math.floor(date.getTime() / 1000) : null);

const encodeCursor = (id: string) => Buffer.from(`r${id}`).toString('base64url');

function decodeCursor(cursor: string | undefined): string {
  if (cursor === undefined) return '0';
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^r\d{1,18}$/.test(decoded) || encodeCursor(decoded.slice(1)) !== cursor) {
    throw AppError.invalidRequest('since: is not a cursor this server gave out');
  }
  return decoded.slice(1);
}

export function revocationRoutes(db: Knex, pollIntervalSeconds: number) {
  return [
    route({
      method: 'get', path: '/revocations', tag: 'Revocation feed', auth: 'resource_server',
      summary: 'Revoked token ids and per-client not-before times, for resource servers that verify JWTs locally',
      query: feedQuery, status: 200,
      response: z
        .object({ entries: z.array(entrySchema), next_cursor: z.string(), poll_interval_seconds: z.number().int() })
        .strict(),
      handler: async ({ query }) => {
        const since = decodeCursor(query.since);
        const rows = await createRevocationRepository(db).feed(since, query.limit ?? 500);
        const settled = Date.now() - SETTLE_MILLISECONDS;
        let next = since;
        for (const row of rows) {
          if (row.created_at.getTime() > settled) break;
          next = String(row.id);
        }
        return {
          entries: rows.map((row) =>
            row.kind === 'token'
              ? { type: 'token' as const, jti: row.jti as string, client_id: row.client_id, exp: Math.floor(row.relevant_until.getTime() / 1000) }
              : {
                  type: 'client' as const,
                  client_id: row.client_id,
                  not_before: seconds(row.current_not_before),
                  pending_not_before: seconds(row.current_pending),
                },
          ),
          next_cursor: encodeCursor(next),
          poll_interval_seconds: pollIntervalSeconds,
        };
      },
    }),
  ];
}
