import type { Knex } from 'knex';
import type { Actor, RequestContext } from '../shared/actor.js';

export interface AuditTarget {
  type: string;
  id: string | null;
  name: string | null;
}

export interface NewAuditEvent {
  orgId: string | null;
  action: string;
  target: AuditTarget | null;
  metadata?: Record<string, unknown>;
}

export interface AuditEventRow {
  id: string;
  org_id: string | null;
  at: Date;
  action: string;
  actor_type: Actor['type'];
  actor_id: string | null;
  actor_name: string;
  target_type: string | null;
  target_id: string | null;
  target_name: string | null;
  ip: string | null;
  user_agent: string | null;
  metadata: Record<string, unknown>;
}

export interface AuditFilters {
  from?: Date | undefined;
  to?: Date | undefined;
  actions?: string[] | undefined;
  actor?: string | undefined;
  target?: string | undefined;
  /** Keyset position: events strictly older than this one. */
  before?: { at: Date; id: string } | undefined;
  limit: number;
}

export function createAuditRepository(db: Knex) {
  return {
    /** Writes one event; pass the transaction of the change it records. */
    async insert(context: RequestContext, event: NewAuditEvent): Promise<void> {
      await db('audit_events').insert({
        org_id: event.orgId,
        action: event.action,
        actor_type: context.actor.type,
        actor_id: context.actor.id,
        actor_name: context.actor.name,
        target_type: event.target?.type ?? null,
        target_id: event.target?.id ?? null,
        target_name: event.target?.name ?? null,
        ip: context.ip,
        user_agent: context.userAgent?.slice(0, 512) ?? null,
        metadata: JSON.stringify(event.metadata ?? {}),
      });
    },

    /** Newest first, keyset-paged on (at, id). */
    list(orgId: string, filters: AuditFilters): Promise<AuditEventRow[]> {
      const query = db<AuditEventRow>('audit_events').where({ org_id: orgId });
      if (filters.from) query.andWhere('at', '>=', filters.from);
      if (filters.to) query.andWhere('at', '<', filters.to);
      if (filters.actions?.length) query.whereIn('action', filters.actions);
      if (filters.actor) query.andWhere('actor_id', filters.actor);
      if (filters.target) query.andWhere('target_id', filters.target);
      if (filters.before) {
        const { at, id } = filters.before;
        query.andWhere((q) => q.where('at', '<', at).orWhere((q2) => q2.where('at', '=', at).andWhere('id', '<', id)));
      }
      return query.orderBy([{ column: 'at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(filters.limit);
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
