// Reading the API log: one row per authentication event (token issued or refused, introspection
// result), filterable, keyset-paged, exportable as CSV.
import type { Knex } from 'knex';
import { z } from 'zod';
import { isUuid, type OrgsService } from '../orgs/orgs.service.js';
import { AppError } from '../shared/errors.js';
import { csvLine, decodeCursor, encodeCursor, instant, isoDateTime, pageLimit } from '../shared/query.js';
import type { AuthEventName, CredentialType } from './recorder.js';

export const API_LOG_EVENTS: readonly AuthEventName[] = [
  'token.issued',
  'token.refused',
  'introspection.active',
  'introspection.inactive',
  'introspection.refused',
];

export const apiLogQuerySchema = z
  .object({
    from: isoDateTime().optional(),
    to: isoDateTime().optional(),
    credential: z.string().max(200).optional().meta({ description: "an API client's id or client_id, or a restricted token's id" }),
    event: z.string().max(500).optional().meta({ description: `one event or a comma-separated list: ${API_LOG_EVENTS.join(', ')}` }),
    status: z
      .string()
      .max(200)
      .regex(/^\s*[1-5](\d\d|xx)\s*(,\s*[1-5](\d\d|xx)\s*)*$/, 'must be HTTP status codes or classes like 4xx, comma-separated')
      .optional()
      .meta({ description: 'status codes or classes, comma-separated: 200,429 or 4xx' }),
    limit: pageLimit().optional(),
    cursor: z.string().max(200).optional(),
    format: z.enum(['json', 'csv'], { error: 'must be json or csv' }).optional(),
  })
  .strict();

export type ApiLogQuery = z.output<typeof apiLogQuerySchema>;

interface ApiLogRow {
  id: string;
  at: Date;
  event: AuthEventName;
  credential_type: CredentialType;
  credential_id: string;
  status: number;
  reason: string | null;
  scope: string | null;
  ip: string | null;
  request_id: string | null;
  latency_ms: number;
  client_uuid: string | null;
  credential_name: string | null;
}

export function toApiLogJson(row: ApiLogRow) {
  const isClient = row.credential_type === 'api_client';
  return {
    id: String(row.id),
    at: row.at.toISOString(),
    event: row.event,
    credential: {
      type: row.credential_type,
      id: isClient ? row.client_uuid : row.credential_id,
      client_id: isClient ? row.credential_id : null,
      name: row.credential_name,
    },
    status: row.status,
    reason: row.reason,
    scope: row.scope,
    ip: row.ip,
    request_id: row.request_id,
    latency_ms: row.latency_ms,
  };
}

const CSV_COLUMNS = ['id', 'at', 'event', 'credential_type', 'credential_id', 'credential_name', 'status', 'reason', 'scope', 'ip', 'request_id', 'latency_ms'];
const isLogId = (id: string) => /^\d{1,18}$/.test(id);

interface Filters {
  from?: Date | undefined;
  to?: Date | undefined;
  credentialId?: string | undefined;
  events?: string[] | undefined;
  statuses?: number[] | undefined;
  statusClasses?: number[] | undefined;
  before?: { at: Date; id: string } | undefined;
  limit: number;
}

export function createApiLogsService({ db, orgs }: { db: Knex; orgs: OrgsService }) {
  function list(orgId: string, filters: Filters): Promise<ApiLogRow[]> {
    const query = db('api_logs as l')
      .leftJoin('api_clients as c', (join) => join.on('l.credential_type', db.raw("'api_client'")).andOn('c.client_id', 'l.credential_id'))
      .leftJoin('restricted_tokens as t', (join) =>
        join.on('l.credential_type', db.raw("'restricted_token'")).andOn('l.credential_id', db.raw('t.id::text')),
      )
      .where('l.org_id', orgId)
      .select('l.*', 'c.id as client_uuid', db.raw('coalesce(c.name, t.name) as credential_name'));
    if (filters.from) query.andWhere('l.at', '>=', filters.from);
    if (filters.to) query.andWhere('l.at', '<', filters.to);
    if (filters.credentialId) query.andWhere('l.credential_id', filters.credentialId);
    if (filters.events?.length) query.whereIn('l.event', filters.events);
    if (filters.statuses?.length || filters.statusClasses?.length) {
      query.andWhere((q) => {
        if (filters.statuses?.length) q.orWhereIn('l.status', filters.statuses);
        for (const statusClass of filters.statusClasses ?? []) q.orWhereBetween('l.status', [statusClass * 100, statusClass * 100 + 99]);
      });
    }
    if (filters.before) {
      const { at, id } = filters.before;
      query.andWhere((q) => q.where('l.at', '<', at).orWhere((q2) => q2.where('l.at', '=', at).andWhere('l.id', '<', id)));
    }
    return query.orderBy([{ column: 'l.at', order: 'desc' }, { column: 'l.id', order: 'desc' }]).limit(filters.limit) as Promise<ApiLogRow[]>;
  }

  async function filtersOf(orgId: string, query: ApiLogQuery) {
    await orgs.require(orgId);
    const from = instant('from', query.from);
    const to = instant('to', query.to);
    if (from && to && from >= to) throw AppError.invalidRequest('from: must be before to');
    const events = query.event?.split(',').map((event) => event.trim()).filter(Boolean);
    const unknown = events?.find((event) => !(API_LOG_EVENTS as readonly string[]).includes(event));
    if (unknown) throw AppError.invalidRequest(`event: unknown event ${JSON.stringify(unknown)}; one of ${API_LOG_EVENTS.join(', ')}`);
    const statusParts = query.status?.split(',').map((part) => part.trim()) ?? [];
    let credentialId = query.credential;
    // An API client may be named by its id; the log knows it by client_id.
    if (credentialId && isUuid(credentialId)) {
      const client = (await db('api_clients').where({ org_id: orgId, id: credentialId }).first('client_id')) as { client_id: string } | undefined;
      if (client) credentialId = client.client_id;
    }
    return {
      from,
      to,
      credentialId,
      events,
      statuses: statusParts.filter((part) => !part.endsWith('xx')).map(Number),
      statusClasses: statusParts.filter((part) => part.endsWith('xx')).map((part) => Number(part[0])),
    };
  }

  return {
    async page(orgId: string, query: ApiLogQuery) {
      const filters = await filtersOf(orgId, query);
      const limit = query.limit ?? 50;
      const rows = await list(orgId, {
        ...filters,
        before: query.cursor ? decodeCursor(query.cursor, isLogId) : undefined,
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return { events: page.map(toApiLogJson), next_cursor: rows.length > limit && last ? encodeCursor(last.at, String(last.id)) : null };
    },

    /** Every matching row as CSV lines, newest first, fetched a page at a time. */
    async *csv(orgId: string, query: ApiLogQuery): AsyncGenerator<string> {
      const filters = await filtersOf(orgId, query);
      let before = query.cursor ? decodeCursor(query.cursor, isLogId) : undefined;
      yield csvLine(CSV_COLUMNS);
      for (;;) {
        const rows = await list(orgId, { ...filters, before, limit: 1000 });
        for (const row of rows) {
          yield csvLine([
            row.id, row.at.toISOString(), row.event, row.credential_type, row.credential_id, row.credential_name,
            row.status, row.reason, row.scope, row.ip, row.request_id, row.latency_ms,
          ].map((value) => (typeof value === 'number' ? String(value) : value)));
        }
        const last = rows[rows.length - 1];
        if (rows.length < 1000 || !last) return;
        before = { at: last.at, id: String(last.id) };
      }
    },
  };
}

export type ApiLogsService = ReturnType<typeof createApiLogsService>;
