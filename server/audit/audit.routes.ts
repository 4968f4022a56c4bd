import { z } from 'zod';
import { auditEventSchema } from '../http/schemas.js';
import { route } from '../http/route.js';
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
        const lines = audit.csv(params.org, query);
        const first = await lines.next(); // a 404 or 400 surfaces before any header is sent
        res.status(200).set({
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': `attachment; filename="audit-events-${params.org}.csv"`,
          'Cache-Control': 'no-store',
        });
        if (!first.done) res.write(first.value);
        for await (const line of lines) res.write(line);
        res.end();
        return undefined;
      },
    }),
  ];
}
