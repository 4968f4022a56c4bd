import { z } from 'zod';
import { apiClientSchema, apiClientWithSecretSchema, rotatedClientSchema } from '../http/schemas.js';
import { route } from '../http/route.js';
import { mayGrantScope } from '../auth/permissions.js';
import type { Services } from '../services.js';
import { AppError } from '../shared/errors.js';
import { createClientSchema, rotateSecretSchema, updateClientSchema } from './clients.schema.js';

const orgParams = z.object({ org: z.string() });
const clientParams = z.object({ org: z.string(), id: z.string().meta({ description: 'the client\'s id or client_id' }) });
export function clientsRoutes(services: Services) {
  const { clients } = services;
  return [
    route({
      method: 'get', path: '/orgs/:org/clients', tag: 'API clients', auth: 'clients:read',
      summary: 'List the organization\'s API clients, by name',
      params: orgParams, status: 200, response: z.array(apiClientSchema),
      handler: ({ params }) => clients.list(params.org),
    }),
    route({
      method: 'post', path: '/orgs/:org/clients', tag: 'API clients', auth: 'clients:write',
      summary: 'Create an API client; the answer holds its secret, shown only this once',
      params: orgParams, body: createClientSchema, status: 201, response: apiClientWithSecretSchema,
      handler: ({ params, body, context, holds }) => {
        const scopes = (body as { scopes?: unknown }).scopes;
        const ungrantable = Array.isArray(scopes)
          ? scopes.filter((scope) => typeof scope === 'string' && !mayGrantScope((permission) => holds(params.org, permission), scope))
          : [];
        if (ungrantable.length > 0) {
          throw new AppError(403, 'forbidden', `you cannot give an API client ${ungrantable.join(', ')}: it grants more than you hold`);
        }
        return clients.create(params.org, body, context);
      },
    }),
    route({
      method: 'get', path: '/orgs/:org/clients/:id', tag: 'API clients', auth: 'clients:read',
      summary: 'Get one API client', params: clientParams, status: 200, response: apiClientSchema,
      handler: ({ params }) => clients.get(params.org, params.id),
    }),
    route({
      method: 'patch', path: '/orgs/:org/clients/:id', tag: 'API clients', auth: 'clients:write',
      summary: 'Change name, description or allowed origins (scopes and expiry cannot change)',
      params: clientParams, body: updateClientSchema, status: 200, response: apiClientSchema,
      handler: ({ params, body, context }) => clients.update(params.org, params.id, body, context),
    }),
    route({
      method: 'delete', path: '/orgs/:org/clients/:id', tag: 'API clients', auth: 'clients:write',
      summary: 'Delete an API client: gone from every list at once, kept for the audit trail',
      params: clientParams, status: 200,
      response: z.object({ id: z.string(), client_id: z.string(), deleted: z.literal(true) }).strict(),
      handler: ({ params, context }) => clients.delete(params.org, params.id, context),
    }),
    route({
      method: 'post', path: '/orgs/:org/clients/:id/disable', tag: 'API clients', auth: 'clients:write',
      summary: 'Disable an API client (irreversible here; an operator can re-enable it)',
      params: clientParams, status: 200, response: apiClientSchema,
      handler: ({ params, context }) => clients.setStatus(params.org, params.id, 'disabled', context),
    }),
    route({
      method: 'post', path: '/orgs/:org/clients/:id/rotate-secret', tag: 'API clients', auth: 'clients:write',
      summary: 'Issue a new secret, shown once; the old one stops at once or after grace_period_seconds',
      params: clientParams, body: rotateSecretSchema, bodyOptional: true, status: 200, response: rotatedClientSchema,
      handler: ({ params, body, context }) => clients.rotateSecret(params.org, params.id, body, context),
    }),
  ];
}
