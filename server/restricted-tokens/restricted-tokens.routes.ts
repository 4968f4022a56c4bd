import { z } from 'zod';
import { deletedSchema, restrictedTokenSchema, restrictedTokenWithTokenSchema } from '../http/schemas.js';
import { route } from '../http/route.js';
import type { Services } from '../services.js';
import { createRestrictedTokenSchema, updateRestrictedTokenSchema } from './restricted-tokens.schema.js';

const orgParams = z.object({ org: z.string() });
const tokenParams = z.object({ org: z.string(), id: z.string() });
export function restrictedTokensRoutes(services: Services) {
  const tokens = services.restrictedTokens;
  return [
    route({
      method: 'get', path: '/orgs/:org/restricted-tokens', tag: 'Restricted access tokens', auth: 'tokens:read',
      summary: 'List the organization\'s restricted access tokens, by name',
      params: orgParams, status: 200, response: z.array(restrictedTokenSchema),
      handler: ({ params }) => tokens.list(params.org),
    }),
    route({
      method: 'post', path: '/orgs/:org/restricted-tokens', tag: 'Restricted access tokens', auth: 'tokens:write',
      summary: 'Create a restricted access token; the answer holds the token, shown only this once',
      params: orgParams, body: createRestrictedTokenSchema, status: 201, response: restrictedTokenWithTokenSchema,
      handler: ({ params, body, context }) => tokens.create(params.org, body, context),
    }),
    route({
      method: 'get', path: '/orgs/:org/restricted-tokens/:id', tag: 'Restricted access tokens', auth: 'tokens:read',
      summary: 'Get one restricted access token', params: tokenParams, status: 200, response: restrictedTokenSchema,
      handler: ({ params }) => tokens.get(params.org, params.id),
    }),
    route({
      method: 'patch', path: '/orgs/:org/restricted-tokens/:id', tag: 'Restricted access tokens', auth: 'tokens:write',
      summary: 'Change name or allowed IPs (scopes and expiry cannot change)',
      params: tokenParams, body: updateRestrictedTokenSchema, status: 200, response: restrictedTokenSchema,
      handler: ({ params, body, context }) => tokens.update(params.org, params.id, body, context),
    }),
    route({
      method: 'delete', path: '/orgs/:org/restricted-tokens/:id', tag: 'Restricted access tokens', auth: 'tokens:write',
      summary: 'Delete a restricted access token; it stops working at once',
      params: tokenParams, status: 200, response: deletedSchema,
      handler: ({ params, context }) => tokens.delete(params.org, params.id, context),
    }),
  ];
}
