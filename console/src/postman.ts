// A Postman collection (format v2.1) generated from the management API's OpenAPI document: one
// folder per tag, one request per operation, the session flow wired up with collection variables.
import { api } from './api';
import { exampleOf, operationsByTag, type OpenApiDocument } from './openapi';

export const POSTMAN_SCHEMA = 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json';

interface PostmanRequestItem {
  name: string;
  request: {
    method: string;
    header: Array<{ key: string; value: string; description?: string }>;
    url: {
      raw: string;
      host: string[];
      path: string[];
      query?: Array<{ key: string; value: string; disabled?: boolean; description?: string }>;
      variable?: Array<{ key: string; value: string; description?: string }>;
    };
    body?: { mode: 'raw'; raw: string; options: { raw: { language: 'json' } } };
    description: string;
  };
  event?: Array<{ listen: 'test'; script: { type: 'text/javascript'; exec: string[] } }>;
}

export interface PostmanCollection {
  info: { name: string; description: string; schema: string };
  variable: Array<{ key: string; value: string; description?: string }>;
  item: Array<{ name: string; item: PostmanRequestItem[] }>;
}

/** Path parameters that have a collection variable of their own. */
const PATH_VARIABLES: Record<string, string> = { org: '{{orgId}}' };

export function toPostmanCollection(document: OpenApiDocument): PostmanCollection {
  const folders: PostmanCollection['item'] = [];
  for (const [tag, entries] of operationsByTag(document)) {
    folders.push({
      name: tag,
      item: entries.map(({ method, path, operation }) => {
        const segments = path.split('/').filter(Boolean).map((segment) => segment.replace(/^\{(.+)\}$/, ':$1'));
        const pathParameters = operation.parameters.filter((p) => p.in === 'path');
        const queryParameters = operation.parameters.filter((p) => p.in === 'query');
        // A change made with the session cookie carries the CSRF token; public routes (sign-in) need none.
        const changes = method !== 'get' && operation.security === undefined;
        const body = operation.requestBody?.content['application/json']?.schema;
        const query = queryParameters.map((p) => ({ key: p.name, value: '', disabled: true, ...(p.description ? { description: p.description } : {}) }));
        const item: PostmanRequestItem = {
          name: operation.summary,
          request: {
            method: method.toUpperCase(),
            header: [
              { key: 'Accept', value: 'application/json' },
              ...(body ? [{ key: 'Content-Type', value: 'application/json' }] : []),
              ...(changes ? [{ key: 'X-CSRF-Token', value: '{{csrfToken}}', description: 'set by the "Sign in" request; needed for changes made with the session cookie' }] : []),
            ],
            url: {
              raw: `{{baseUrl}}/${segments.join('/')}`,
              host: ['{{baseUrl}}'],
              path: segments,
              ...(query.length > 0 ? { query } : {}),
              ...(pathParameters.length > 0
                ? { variable: pathParameters.map((p) => ({ key: p.name, value: PATH_VARIABLES[p.name] ?? '', ...(p.description ? { description: p.description } : {}) })) }
                : {}),
            },
            ...(body ? { body: { mode: 'raw' as const, raw: JSON.stringify(exampleOf(document, body), null, 2), options: { raw: { language: 'json' as const } } } } : {}),
            description: [operation.summary, operation['x-permission'] ? `Needs the permission ${operation['x-permission']}.` : 'No authentication needed.'].join('\n\n'),
          },
        };
        if (method === 'post' && path === '/v1/auth/login') {
          item.event = [
            {
              listen: 'test',
              script: {
                type: 'text/javascript',
                exec: [
                  'if (pm.response.code === 200) {',
                  '  const session = pm.response.json();',
                  "  pm.collectionVariables.set('csrfToken', session.csrf_token);",
                  "  if (session.memberships.length > 0 && !pm.collectionVariables.get('orgId')) pm.collectionVariables.set('orgId', session.memberships[0].org_id);",
                  '}',
                ],
              },
            },
          ];
        }
        return item;
      }),
    });
  }
  return {
    info: {
      name: document.info.title,
      description: `${document.info.description ?? ''}\n\nRun "Sign in" first: Postman keeps the session cookie and the request stores csrfToken and orgId in the collection variables. Generated from ${document.servers[0]?.url ?? ''}/v1/openapi.json.`.trim(),
      schema: POSTMAN_SCHEMA,
    },
    variable: [
      { key: 'baseUrl', value: document.servers[0]?.url ?? '', description: 'the Latchkey issuer URL' },
      { key: 'orgId', value: '', description: 'the organization to work in (set by Sign in)' },
      { key: 'csrfToken', value: '', description: 'set by Sign in' },
    ],
    item: folders,
  };
}

export async function downloadPostmanCollection(): Promise<void> {
  const collection = toPostmanCollection(await api.openApi());
  const blob = new Blob([JSON.stringify(collection, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = 'latchkey-management-api.postman_collection.json';
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
