// The OpenAPI 3.1 document of the management API, generated from the route declarations.
import { z } from 'zod';
import { errorSchema, type AnyRoute } from './route.js';

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;

const strip = ({ $schema: _ignored, ...rest }: Record<string, unknown>) => rest;

/**
 * Moves a converted schema's `$defs` (the schemas named with `.meta({ id })`) into
 * `components.schemas` and points its refs there. A Schema Object without `$id` takes the OpenAPI
 * document's base URI, so "#/$defs/X" would point at the document's root, where nothing is.
 */
function hoistDefs(schema: Record<string, unknown>, components: Record<string, unknown>): Record<string, unknown> {
  const retarget = <T>(value: T): T => JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/')) as T;
  const { $defs, ...rest } = strip(schema) as { $defs?: Record<string, unknown> };
  for (const [id, definition] of Object.entries($defs ?? {})) {
    const moved = retarget(definition);
    if (id in components && JSON.stringify(components[id]) !== JSON.stringify(moved)) {
      throw new Error(`two different schemas are named ${id} in the OpenAPI document`);
    }
    components[id] = moved;
  }
  return retarget(rest);
}

/** '/orgs/:org/clients/:id' -> '/orgs/{org}/clients/{id}' */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z_]+)/g, '{$1}');

const ERRORS: Record<number, string> = {
  400: 'invalid input; the description names the field',
  401: 'not authenticated: no valid session cookie or Bearer token (at login: wrong email or password)',
  403: 'authenticated, but not allowed to do this (or CSRF token missing)',
  404: 'no such object in this organization',
  409: 'conflicts with the current state (limit reached, last admin, ...)',
  413: 'request body too large',
  429: 'too many attempts; see Retry-After',
};

function parameters(route: AnyRoute) {
  const list: Array<Record<string, unknown>> = [];
  const add = (schema: z.ZodType | undefined, location: 'path' | 'query') => {
    if (!schema) return;
    const properties = (jsonSchema(schema, 'input').properties ?? {}) as Record<string, Record<string, unknown>>;
    const required = new Set((jsonSchema(schema, 'input').required as string[] | undefined) ?? []);
    for (const [name, property] of Object.entries(properties)) {
      const { description, ...rest } = property;
      list.push({ name, in: location, required: location === 'path' || required.has(name), schema: rest, ...(description ? { description } : {}) });
    }
  };
  add(route.params, 'path');
  add(route.query, 'query');
  return list;
}

export function buildOpenApiDocument(routes: AnyRoute[], issuer: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {};
  hoistDefs(jsonSchema(errorSchema, 'output'), schemas);
  for (const route of routes) {
    const errors = [400, 401, 403, 404, 409, 413, 429].filter((status) => {
      if (route.auth === 'none') return status !== 403 && status !== 404; // public routes still refuse credentials (401)
      return true;
    });
    const success: Record<string, unknown> = { description: route.summary };
    if (route.response) {
      success.content = {
        'application/json': { schema: hoistDefs(jsonSchema(route.response, 'output'), schemas) },
        ...Object.fromEntries((route.alsoProduces ?? []).map((type) => [type, { schema: { type: 'string' } }])),
      };
    }
    const operation: Record<string, unknown> = {
      operationId: `${route.method}${openApiPath(route.path).replace(/[{}]/g, '').replace(/[/:-](\w)/g, (_m, c: string) => c.toUpperCase())}`,
      summary: route.summary,
      tags: [route.tag],
      parameters: parameters(route),
      responses: {
        [route.status]: success,
        ...Object.fromEntries(
          errors.map((status) => [status, { description: ERRORS[status], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
        ),
      },
      ...(route.auth === 'none' ? { security: [] } : { 'x-permission': route.auth }),
    };
    if (route.body) {
      operation.requestBody = { required: !route.bodyOptional, content: { 'application/json': { schema: hoistDefs(jsonSchema(route.body, 'input'), schemas) } } };
    }
    paths[`/v1${openApiPath(route.path)}`] = { ...paths[`/v1${openApiPath(route.path)}`], [route.method]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Latchkey management API',
      version: '1',
      description: 'Organizations, members, API clients, restricted access tokens and the audit log.',
    },
    servers: [{ url: issuer }],
    security: [{ session: [] }, { bearer: [] }],
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'latchkey_session', description: 'from POST /v1/auth/login; changes also need X-CSRF-Token' },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: `access token with audience ${issuer}/v1` },
      },
      schemas,
    },
    paths,
  };
}
