import { z } from 'zod';
import { auditEventSchema } from '../http/schemas.js';
import { route, sendCsv } from '../http/route.js';
import type { Services } from '../services.js';
import { auditQuerySchema } from './audit.service.js';

export function auditRoutes(services: Services) {
  const { audit } = services;
  return [
    route({
      method: 'get', path: '/orgs/:org/audit-events', tag: 'Audit log', auth: 'audit:read',
      summary: 'Audit events, newest first; page with next_cursor; format=csv exports every match',
      params: z.object({ org: z.string() }), query: auditQuerySchema, status: 200,
      response: z.object({ events: z.array(auditEventSchema), next_cursor: z.string().nullable() }).strict(),
      alsoProduces: ['text/csv'],
      handler: async ({ params, query, res }) => {
        if (query.format !== 'csv') return audit.page(params.org, query);
        return sendCsv(res, `audit-events-${params.org}.csv`, audit.csv(params.org, query));
      },
    }),
  ];
}
