// Reading the management API's OpenAPI 3.1 document (GET /v1/openapi.json): the operations in
// order, schemas with their $refs resolved, and example bodies. Used by the API reference page
// and the Postman collection, so both always match the server.
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  additionalProperties?: boolean | JsonSchema;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: JsonSchema;
  description?: string;
}

export interface Operation {
  operationId: string;
  summary: string;
  tags: string[];
  parameters: Parameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> }>;
  security?: unknown[];
  'x-permission'?: string;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  servers: Array<{ url: string }>;
  components: { securitySchemes: Record<string, { type: string; description?: string; in?: string; name?: string; scheme?: string }>; schemas: Record<string, JsonSchema> };
  paths: Record<string, Record<string, Operation>>;
}

export interface OperationEntry {
  method: string;
  path: string;
  operation: Operation;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Every operation, grouped by its first tag, in the document's order. */
export function operationsByTag(document: OpenApiDocument): Map<string, OperationEntry[]> {
  const groups = new Map<string, OperationEntry[]>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const tag = operation.tags[0] ?? 'Other';
      groups.set(tag, [...(groups.get(tag) ?? []), { method, path, operation }]);
    }
  }
  return groups;
}

/** The schema a local $ref ("#/components/schemas/X") points at. */
export function resolve(document: OpenApiDocument, schema: JsonSchema): JsonSchema {
  let current = schema;
  for (let depth = 0; current.$ref && depth < 20; depth += 1) {
    const name = current.$ref.replace('#/components/schemas/', '');
    const target = document.components.schemas[name];
    if (!target) return current;
    current = { ...target, description: current.description ?? target.description };
  }
  return current;
}

/** The name of a referenced schema, e.g. "ApiClient", or null. */
export const refName = (schema: JsonSchema) => (schema.$ref ? schema.$ref.replace('#/components/schemas/', '') : null);

/** A short human type: "string", "array of Actor", "string | null", "one of active, disabled". */
export function typeLabel(document: OpenApiDocument, schema: JsonSchema): string {
  const name = refName(schema);
  if (name) return name;
  if (schema.enum) return `one of ${schema.enum.map(String).join(', ')}`;
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return variants.map((variant) => typeLabel(document, variant)).join(' | ');
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.includes('array') && schema.items) return `array of ${typeLabel(document, schema.items)}`;
  const label = types.join(' | ') || 'any';
  return schema.format ? `${label} (${schema.format})` : label;
}

/** An example value for a schema: what a newcomer would send. */
export function exampleOf(document: OpenApiDocument, schema: JsonSchema, name = '', depth = 0): unknown {
  const resolved = resolve(document, schema);
  if (depth > 6) return null;
  if (resolved.default !== undefined) return resolved.default;
  if (resolved.const !== undefined) return resolved.const;
  if (resolved.enum) return resolved.enum[0];
  const variants = resolved.anyOf ?? resolved.oneOf;
  if (variants) {
    const first = variants.find((variant) => resolve(document, variant).type !== 'null') ?? variants[0];
    return first ? exampleOf(document, first, name, depth + 1) : null;
  }
  const type = Array.isArray(resolved.type) ? resolved.type.find((t) => t !== 'null') : resolved.type;
  switch (type) {
    case 'object': {
      const result: Record<string, unknown> = {};
      for (const [key, property] of Object.entries(resolved.properties ?? {})) result[key] = exampleOf(document, property, key, depth + 1);
      return result;
    }
    case 'array':
      return resolved.items ? [exampleOf(document, resolved.items, name, depth + 1)] : [];
    case 'integer':
    case 'number':
      return resolved.minimum ?? 0;
    case 'boolean':
      return false;
    case 'string':
      return exampleString(name, resolved);
    default:
      return null;
  }
}

const EXAMPLES: Record<string, string> = {
  name: 'Payroll export',
  description: 'Nightly payroll export to the warehouse',
  email: 'someone@example.com',
  password: 'your password',
  allowed_origins: 'https://app.example.com',
  allowed_ips: '203.0.113.7',
  scopes: 'payroll:Read',
  confirm: 'the organization name',
  role: 'developer',
};

function exampleString(name: string, schema: JsonSchema): string {
  if (schema.format === 'date-time') return '2030-01-01T00:00:00Z';
  return EXAMPLES[name] ?? name ?? 'string';
}
