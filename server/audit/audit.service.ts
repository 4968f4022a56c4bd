// Reading the audit log: filters, an opaque keyset cursor, JSON pages and CSV export.
import type { Knex } from 'knex';
import { z } from 'zod';
import { isUuid, type OrgsService } from '../orgs/orgs.service.js';
import { AppError } from '../shared/errors.js';
import { csvLine, decodeCursor as decodePosition, encodeCursor as encodePosition, instant, isoDateTime, pageLimit } from '../shared/query.js';
import { createAuditRepository, type AuditEventRow } from './audit.repository.js';

export const auditQuerySchema = z
  .object({
    from: isoDateTime().optional(),
    to: isoDateTime().optional(),
    action: z.string().max(500).optional().meta({ description: 'one action or a comma-separated list' }),
    actor: z.string().max(200).optional().meta({ description: 'actor id (user id or client_id)' }),
    target: z.string().max(200).optional().meta({ description: 'target id' }),
    limit: pageLimit().optional(),
    cursor: z.string().max(200).optional(),
    format: z.enum(['json', 'csv'], { error: 'must be json or csv' }).optional(),
  })
  .strict();

export type AuditQuery = z.output<typeof auditQuerySchema>;

export function toAuditEventJson(row: AuditEventRow) {
  return {
    id: row.id,
    at: row.at.toISOString(),
    action: row.action,
    actor: { type: row.actor_type, id: row.actor_id, name: row.actor_name },
    target: row.target_type ? { type: row.target_type, id: row.target_id, name: row.target_name } : null,
    ip: row.ip,
    user_agent: row.user_agent,
    metadata: row.metadata,
  };
}

export type AuditEventJson = ReturnType<typeof toAuditEventJson>;

const encodeCursor = (row: AuditEventRow) => encodePosition(row.at, row.id);
const decodeCursor = (cursor: string) => decodePosition(cursor, isUuid);

const CSV_COLUMNS = ['id', 'at', 'action', 'actor_type', 'actor_id', 'actor_name', 'target_type', 'target_id', 'target_name', 'ip', 'user_agent', 'metadata'] as const;

export function createAuditService({ db, orgs }: { db: Knex; orgs: OrgsService }) {
  const repository = createAuditRepository(db);

  function filtersOf(query: AuditQuery) {
    const from = instant('from', query.from);
    const to = instant('to', query.to);
    if (from && to && from >= to) throw AppError.invalidRequest('from: must be before to');
    return {
      from,
      to,
      actions: query.action?.split(',').map((action) => action.trim()).filter(Boolean),
      actor: query.actor,
      target: query.target,
    };
  }

  return {
    async page(orgId: string, query: AuditQuery) {
      await orgs.require(orgId);
      const limit = query.limit ?? 50;
      const rows = await repository.list(orgId, {
        ...filtersOf(query),
        before: query.cursor ? decodeCursor(query.cursor) : undefined,
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return { events: page.map(toAuditEventJson), next_cursor: rows.length > limit && last ? encodeCursor(last) : null };
    },

    /** Every matching event as CSV lines, newest first, fetched a page at a time. */
    async *csv(orgId: string, query: AuditQuery): AsyncGenerator<string> {
      await orgs.require(orgId);
      const filters = filtersOf(query);
      let before = query.cursor ? decodeCursor(query.cursor) : undefined;
      yield `${CSV_COLUMNS.join(',')}\r\n`;
      for (;;) {
        const rows = await repository.list(orgId, { ...filters, before, limit: 1000 });
        for (const row of rows) {
          const record = { ...row, at: row.at.toISOString(), metadata: row.metadata } as Record<string, unknown>;
          yield csvLine(CSV_COLUMNS.map((column) => record[column]));
        }
        const last = rows[rows.length - 1];
        if (rows.length < 1000 || !last) return;
        before = { at: last.at, id: last.id };
      }
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
