import { z } from 'zod';
import { memberSchema } from '../http/schemas.js';
import { route } from '../http/route.js';
import type { Services } from '../services.js';
import { addMemberSchema, updateMemberSchema } from './members.service.js';

const orgParams = z.object({ org: z.string() });
const memberParams = z.object({ org: z.string(), user: z.string() });
export function membersRoutes(services: Services) {
  const { members } = services;
  return [
    route({
      method: 'get', path: '/orgs/:org/members', tag: 'Members', auth: 'members:read',
      summary: 'List the organization\'s members, by email',
      params: orgParams, status: 200, response: z.array(memberSchema),
      handler: ({ params }) => members.list(params.org),
    }),
    route({
      method: 'post', path: '/orgs/:org/members', tag: 'Members', auth: 'members:write',
      summary: 'Add a member; a new user\'s generated password is in this answer only',
      params: orgParams, body: addMemberSchema, status: 201,
      response: memberSchema.extend({ password: z.string().nullable().meta({ description: 'set when a new user was created' }) }),
      handler: ({ params, body, context }) => members.add(params.org, body, context),
    }),
    route({
      method: 'patch', path: '/orgs/:org/members/:user', tag: 'Members', auth: 'members:write',
      summary: 'Change a member\'s role or can_manage_credentials',
      params: memberParams, body: updateMemberSchema, status: 200, response: memberSchema,
      handler: ({ params, body, context }) => members.update(params.org, params.user, body, context),
    }),
    route({
      method: 'delete', path: '/orgs/:org/members/:user', tag: 'Members', auth: 'members:write',
      summary: 'Remove a member from the organization',
      params: memberParams, status: 200, response: z.object({ user_id: z.string(), removed: z.literal(true) }).strict(),
      handler: ({ params, context }) => members.remove(params.org, params.user, context),
    }),
  ];
}
