// Reading the audit log: filters, an opaque keyset cursor, JSON pages and CSV export.
import type { Knex } from 'knex';
import { z } from 'zod';
import { isUuid, type OrgsService } from '../orgs/orgs.service.js';
import { AppError } from '../shared/errors.js';
import { createAuditRepository, type AuditEventRow } from './audit.repository.js';

export const auditQuerySchema = z
  .object({
    from: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone' }).optional(),
    to: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone' }).optional(),
    action: z.string().max(500).optional().meta({ description: 'one action or a comma-separated list' }),
    actor: z.string().max(200).optional().meta({ description: 'actor id (user id or client_id)' }),
    target: z.string().max(200).optional().meta({ description: 'target id' }),
    limit: z
      .string()
      .regex(/^\d+$/, 'must be a whole number between 1 and 200')
      .transform(Number)
      .pipe(z.number().min(1, 'must be at least 1').max(200, 'must be at most 200'))
      .optional(),
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

const encodeCursor = (row: AuditEventRow) => Buffer.from(JSON.stringify([row.at.toISOString(), row.id])).toString('base64url');

/** Years the database drivers can carry as a timestamptz (toISOString writes 0000 and +010000 otherwise). */
const inDatabaseRange = (date: Date) => date.getUTCFullYear() >= 1 && date.getUTCFullYear() <= 9999;

function decodeCursor(cursor: string): { at: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    // Exactly what encodeCursor writes: anything else would reach the query as a value PostgreSQL refuses.
    if (typeof at !== 'string' || typeof id !== 'string' || !isUuid(id)) throw new Error('bad');
    const date = new Date(at);
    if (Number.isNaN(date.getTime()) || !inDatabaseRange(date) || date.toISOString() !== at) throw new Error('bad');
    return { at: date, id };
  } catch {
    throw AppError.invalidRequest('cursor: is not a cursor this server gave out');
  }
}

function instant(field: 'from' | 'to', value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (!inDatabaseRange(date)) throw AppError.invalidRequest(`${field}: must be between the years 0001 and 9999`);
  return date;
}

/** RFC 4180 field, with a leading quote on values a spreadsheet would run as a formula. */
function csvField(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

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
          yield `${CSV_COLUMNS.map((column) => csvField(record[column])).join(',')}\r\n`;
        }
        const last = rows[rows.length - 1];
        if (rows.length < 1000 || !last) return;
        before = { at: last.at, id: last.id };
      }
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
