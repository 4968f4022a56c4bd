import { z } from 'zod';
import { apiLogEntrySchema, credentialUsageSchema, organizationUsageSchema } from '../http/schemas.js';
import { route, sendCsv } from '../http/route.js';
import type { Services } from '../services.js';
import { apiLogQuerySchema } from './api-logs.service.js';
import { usageQuerySchema } from './usage.service.js';

const orgParams = z.object({ org: z.string() });
const credentialParams = z.object({ org: z.string(), id: z.string() });

export function usageRoutes(services: Services) {
  const { usage, apiLogs } = services;
  return [
    route({
      method: 'get', path: '/orgs/:org/usage', tag: 'Usage and API logs', auth: 'org:read',
      summary: 'The organization\'s token requests and introspections over time, and each credential\'s totals',
      params: orgParams, query: usageQuerySchema, status: 200, response: organizationUsageSchema,
      handler: ({ params, query }) => usage.forOrganization(params.org, query),
    }),
    route({
      method: 'get', path: '/orgs/:org/clients/:id/usage', tag: 'Usage and API logs', auth: 'clients:read',
      summary: 'An API client\'s token requests and introspections over time: successes, failures by reason, latency',
      params: credentialParams, query: usageQuerySchema, status: 200, response: credentialUsageSchema,
      handler: ({ params, query }) => usage.forClient(params.org, params.id, query),
    }),
    route({
      method: 'get', path: '/orgs/:org/restricted-tokens/:id/usage', tag: 'Usage and API logs', auth: 'tokens:read',
      summary: 'A restricted token\'s introspections over time: successes, failures by reason, latency',
      params: credentialParams, query: usageQuerySchema, status: 200, response: credentialUsageSchema,
      handler: ({ params, query }) => usage.forRestrictedToken(params.org, params.id, query),
    }),
    route({
      method: 'get', path: '/orgs/:org/api-logs', tag: 'Usage and API logs', auth: 'audit:read',
      summary: 'Authentication events (tokens issued and refused, introspections), newest first; format=csv exports every match',
      params: orgParams, query: apiLogQuerySchema, status: 200,
      response: z.object({ events: z.array(apiLogEntrySchema), next_cursor: z.string().nullable() }).strict(),
      alsoProduces: ['text/csv'],
      handler: async ({ params, query, res }) => {
        if (query.format !== 'csv') return apiLogs.page(params.org, query);
        return sendCsv(res, `api-logs-${params.org}.csv`, apiLogs.csv(params.org, query));
      },
    }),
  ];
}
