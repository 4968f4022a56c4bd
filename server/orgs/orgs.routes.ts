import { z } from 'zod';
import type { Catalog } from '../../config/catalog.js';
import { organizationSchema } from '../http/schemas.js';
import { route } from '../http/route.js';
import type { Services } from '../services.js';
import { revokeAllSchema } from './revoke-all.js';

const scopeCatalogSchema = z
  .object({
    resources: z.array(
      z
        .object({
          identifier: z.string(),
          name: z.string(),
          default: z.boolean(),
          scopes: z.array(z.object({ name: z.string(), description: z.string(), restricted: z.boolean() }).strict()),
        })
        .strict(),
    ),
  })
  .strict();

export function orgsRoutes(services: Services, catalog: Catalog) {
  const { orgs } = services;
  return [
    route({
      method: 'get', path: '/scopes', tag: 'Organizations', auth: 'session',
      summary: 'The API resources and scope catalog', status: 200, response: scopeCatalogSchema,
      handler: async () => ({
        resources: catalog.resources.map((resource) => ({
          identifier: resource.identifier,
          name: resource.name,
          default: resource.identifier === catalog.defaultResource,
          scopes: resource.scopes.map(({ name, description, restricted }) => ({ name, description, restricted })),
        })),
      }),
    }),
    route({
      method: 'get', path: '/orgs', tag: 'Organizations', auth: 'session',
      summary: 'The organizations the caller belongs to', status: 200, response: z.array(organizationSchema),
      handler: ({ principal }) =>
        orgs.list(principal.kind === 'user' ? [...principal.memberships.keys()] : principal.kind === 'client' ? [principal.orgId] : []),
    }),
    route({
      method: 'get', path: '/orgs/:org', tag: 'Organizations', auth: 'org:read',
      summary: 'One organization with its limits', params: z.object({ org: z.string() }), status: 200, response: organizationSchema,
      handler: ({ params }) => orgs.get(params.org),
    }),
    route({
      method: 'post', path: '/orgs/:org/revoke-all', tag: 'Organizations', auth: 'org:revoke-all',
      summary: 'Disable every API client and delete every restricted token, at once (admins only)',
      params: z.object({ org: z.string() }),
      body: revokeAllSchema,
      status: 200,
      response: z.object({ api_clients_disabled: z.number().int(), restricted_tokens_deleted: z.number().int() }).strict(),
      handler: ({ params, body, context }) => services.revokeAll(params.org, body, context),
    }),
  ];
}
