// Management API routes are declared as data: method, path, permission and zod schemas for
// params, query, body and response. The same declarations mount the Express handlers (which read
// only parsed input) and generate the OpenAPI document.
import type { Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import type { Permission } from '../auth/permissions.js';
import type { Principal } from '../auth/principal.js';
import type { RequestContext } from '../shared/actor.js';
import { AppError } from '../shared/errors.js';

export type Method = 'get' | 'post' | 'patch' | 'delete';

/**
 * 'none': public; 'session': any user or API client; 'resource_server': resource-server Basic
 * credentials; a Permission: checked on the :org param.
 */
export type RouteAuth = 'none' | 'session' | 'resource_server' | Permission;

export interface HandlerInput<P, Q> {
  params: P;
  query: Q;
  /** The parsed JSON body; the service validates it with the schema declared as `body`. */
  body: unknown;
  /** Set whenever auth is not 'none'. */
  principal: Principal;
  context: RequestContext;
  /** Whether the caller holds a permission in an organization (for rules that depend on the body). */
  holds: (orgId: string, permission: Permission) => boolean;
  req: Request;
  res: Response;
}

export interface RouteDefinition<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
> {
  method: Method;
  /** Express path under /v1, e.g. '/orgs/:org/clients/:id'. */
  path: string;
  summary: string;
  tag: string;
  auth: RouteAuth;
  params?: P;
  query?: Q;
  /**
   * The body's schema. Services validate bodies themselves (the CLI calls them too), so this
   * one documents the body in OpenAPI; the route only requires a JSON body to be present.
   */
  body?: B;
  /** The body may be left out entirely (all its fields are optional). */
  bodyOptional?: boolean;
  status: number;
  /** The success body; null for an empty answer. */
  response: R | null;
  /** Extra media types the route can answer with (e.g. text/csv). */
  alsoProduces?: string[];
  /** Returns the body, or undefined after writing the response itself. */
  handler: (input: HandlerInput<z.output<P>, z.output<Q>>) => Promise<z.input<R> | undefined | void>;
}

export type AnyRoute = RouteDefinition<z.ZodType, z.ZodType, z.ZodType, z.ZodType>;

/** Keeps the handler's types tied to the schemas. */
export function route<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(
  definition: RouteDefinition<P, Q, B, R>,
): AnyRoute {
  return definition as unknown as AnyRoute;
}

export const errorSchema = z
  .object({
    error: z.string().meta({ description: 'machine-readable code' }),
    error_description: z.string().meta({ description: 'one sentence for humans' }),
  })
  .meta({ id: 'Error' });

/** The first zod issue as a 400 naming its field. */
function invalid(where: string, error: z.ZodError): AppError {
  const issue = error.issues[0];
  const field = issue?.path.length ? issue.path.join('.') : '';
  let message = issue?.message ?? 'is invalid';
  if (issue?.code === 'unrecognized_keys') {
    return AppError.invalidRequest(`${where}: unknown field ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`);
  }
  if (issue?.code === 'invalid_type' && issue.input === undefined) message = 'is required';
  return AppError.invalidRequest(`${field ? `${field}: ` : `${where}: `}${message}`);
}

export interface MountDeps {
  authenticate: (req: Request) => Promise<Principal>;
  authenticateResourceServer: (req: Request) => Promise<Principal>;
  authorize: (principal: Principal, orgId: string, permission: Permission) => Promise<void>;
  holds: (principal: Principal, orgId: string, permission: Permission) => boolean;
  contextOf: (req: Request, principal: Principal | undefined) => RequestContext;
  /** Check every answer against its schema (tests). */
  validateResponses: boolean;
}

export function mountRoutes(router: Router, routes: AnyRoute[], deps: MountDeps): void {
  for (const definition of routes) {
    const handler: RequestHandler = async (req, res, next) => {
      try {
        let principal: Principal | undefined;
        if (definition.auth === 'resource_server') principal = await deps.authenticateResourceServer(req);
        else if (definition.auth !== 'none') principal = await deps.authenticate(req);

        const params = definition.params ? definition.params.safeParse(req.params) : { success: true as const, data: req.params };
        if (!params.success) throw AppError.notFound('resource');
        if (principal && definition.auth !== 'none' && definition.auth !== 'session' && definition.auth !== 'resource_server') {
          await deps.authorize(principal, String((params.data as { org?: unknown }).org ?? ''), definition.auth);
        }
        const query = definition.query ? definition.query.safeParse(req.query, { reportInput: true }) : { success: true as const, data: {} };
        if (!query.success) throw invalid('query', query.error);

        let body: unknown;
        const bodyless = !req.headers['content-type'] && Number(req.headers['content-length'] ?? 0) === 0;
        if (definition.body && definition.bodyOptional && bodyless) {
          body = {};
        } else if (definition.body) {
          if (!req.is('application/json')) {
            throw AppError.invalidRequest('the request body must be JSON (Content-Type: application/json)');
          }
          body = req.body;
          if (body === null || typeof body !== 'object' || Array.isArray(body)) {
            throw AppError.invalidRequest('the request body must be a JSON object');
          }
        }

        const result = await definition.handler({
          params: params.data,
          query: query.data,
          body,
          principal: principal as Principal,
          context: deps.contextOf(req, principal),
          holds: (orgId, permission) => (principal ? deps.holds(principal, orgId, permission) : false),
          req,
          res,
        });
        if (res.headersSent) return;
        if (deps.validateResponses && definition.response) {
          const checked = definition.response.safeParse(result);
          if (!checked.success) {
            throw new Error(`response of ${definition.method.toUpperCase()} ${definition.path} breaks its schema: ${checked.error.message}`);
          }
        }
        res.set('Cache-Control', 'no-store');
        if (definition.response === null) res.status(definition.status).end();
        else res.status(definition.status).json(result);
      } catch (error) {
        next(error);
      }
    };
    router[definition.method](definition.path, handler);
  }
}

/**
 * Streams CSV lines as an attachment. The first line is read before any header is sent, so that
 * a 404 or 400 thrown by the generator still becomes a JSON error.
 */
export async function sendCsv(res: Response, filename: string, lines: AsyncGenerator<string>): Promise<undefined> {
  const first = await lines.next();
  res.status(200).set({
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="${filename}"`,
    'Cache-Control': 'no-store',
  });
  if (!first.done) res.write(first.value);
  for await (const line of lines) res.write(line);
  res.end();
  return undefined;
}
