// The Postman collection and the reference page's helpers, on the server's real OpenAPI document.
import { loadCatalog } from '../../config/catalog.js';
import { loadConfig } from '../../config/index.js';
import { buildOpenApiDocument } from '../../server/http/openapi.js';
import { managementRoutes } from '../../server/http/v1.js';
import type { Services } from '../../server/services.js';
import type { AuthService } from '../../server/auth/auth.service.js';
import { exampleOf, operationsByTag, resolve, typeLabel, type OpenApiDocument } from '../src/openapi';
import { POSTMAN_SCHEMA, toPostmanCollection } from '../src/postman';

const config = loadConfig({ ISSUER: 'https://auth.example.com' });
const catalog = loadCatalog(config.catalogFile, config.issuer);
// Route declarations only reach the services inside their handlers, which never run here.
const document = buildOpenApiDocument(
  managementRoutes({ config, catalog, services: {} as Services, auth: {} as AuthService }),
  config.issuer,
) as unknown as OpenApiDocument;

const operations = Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));

describe('toPostmanCollection', () => {
  const collection = toPostmanCollection(document);

  it('is a v2.1 collection with one folder per tag and one request per operation, in order', () => {
    expect(collection.info.schema).toBe(POSTMAN_SCHEMA);
    expect(collection.item.map((folder) => folder.name)).toEqual([...operationsByTag(document).keys()]);
    const requests = collection.item.flatMap((folder) => folder.item);
    expect(requests.map((item) => `${item.request.method} ${item.request.url.raw.replace('{{baseUrl}}', '').replace(/:(\w+)/g, '{$1}')}`)).toEqual(operations);
    expect(collection.variable.find((v) => v.key === 'baseUrl')?.value).toBe('https://auth.example.com');
  });

  it('writes path variables, optional query parameters and example bodies a newcomer can send', () => {
    const requests = collection.item.flatMap((folder) => folder.item);
    const audit = requests.find((item) => item.request.url.raw === '{{baseUrl}}/v1/orgs/:org/audit-events');
    expect(audit?.request.url.path).toEqual(['v1', 'orgs', ':org', 'audit-events']);
    expect(audit?.request.url.variable).toEqual([{ key: 'org', value: '{{orgId}}' }]);
    expect(audit?.request.url.query?.map((q) => [q.key, q.disabled])).toEqual([
      ['from', true],
      ['to', true],
      ['action', true],
      ['actor', true],
      ['target', true],
      ['limit', true],
      ['cursor', true],
      ['format', true],
    ]);
    const createToken = requests.find((item) => item.request.method === 'POST' && item.request.url.raw === '{{baseUrl}}/v1/orgs/:org/restricted-tokens');
    expect(JSON.parse(createToken?.request.body?.raw ?? '{}')).toEqual({
      name: 'Payroll export',
      allowed_ips: ['203.0.113.7'],
      scopes: ['payroll:Read'],
      expires_at: '2030-01-01T00:00:00Z',
    });
    const revokeAll = requests.find((item) => item.request.url.raw === '{{baseUrl}}/v1/orgs/:org/revoke-all');
    expect(revokeAll?.request.header.map((h) => h.key)).toEqual(['Accept', 'Content-Type', 'X-CSRF-Token']);
    const login = requests.find((item) => item.request.url.raw === '{{baseUrl}}/v1/auth/login');
    expect(login?.request.header.map((h) => h.key)).toEqual(['Accept', 'Content-Type']);
    expect(login?.event?.[0]?.listen).toBe('test');
  });
});

describe('the OpenAPI reader', () => {
  it('resolves references and labels types', () => {
    const apiClient = resolve(document, { $ref: '#/components/schemas/ApiClient' });
    expect(Object.keys(apiClient.properties ?? {})).toContain('secret_last4');
    expect(typeLabel(document, apiClient.properties?.status ?? {})).toBe('one of active, disabled');
    expect(typeLabel(document, apiClient.properties?.created_by ?? {})).toBe('Actor');
    expect(typeLabel(document, apiClient.properties?.allowed_origins ?? {})).toBe('array of string');
  });

  it('builds an example of every request body without failing', () => {
    for (const entries of operationsByTag(document).values()) {
      for (const { operation } of entries) {
        const body = operation.requestBody?.content['application/json']?.schema;
        if (body) expect(typeof exampleOf(document, body)).toBe('object');
      }
    }
  });
});
