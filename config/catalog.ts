// The API resource and scope catalog: which audiences tokens can be issued for and which scopes
// each of them understands. Platform operators edit config/catalog.json (or CATALOG_FILE).
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const MANAGEMENT_SCOPES = [
  { name: 'credentials:read', description: 'List and inspect API clients and restricted tokens' },
  { name: 'credentials:write', description: 'Create, edit, rotate, disable and delete credentials' },
  { name: 'audit:read', description: 'Read the audit log' },
  { name: 'members:write', description: 'Manage organization members' },
] as const;

const scopeName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+$/, 'scope names look like resource:Action');

const catalogFileSchema = z
  .object({
    $comment: z.string().optional(),
    defaultResource: z.url(),
    resources: z
      .array(
        z.object({
          identifier: z.url(),
          name: z.string().min(1).max(100),
          scopes: z
            .array(
              z.object({
                name: scopeName,
                description: z.string().min(1).max(300),
                restricted: z.boolean().default(false),
              }),
            )
            .min(1),
        }),
      )
      .min(1),
  })
  .strict();

export interface CatalogScope {
  name: string;
  description: string;
  restricted: boolean;
  resource: string;
}

export interface CatalogResource {
  identifier: string;
  name: string;
  scopes: CatalogScope[];
}

export interface Catalog {
  defaultResource: string;
  resources: CatalogResource[];
  /** Every scope by name, management scopes included. */
  scopes: Map<string, CatalogScope>;
  resource(identifier: string): CatalogResource | undefined;
}

export class CatalogError extends Error {
  override name = 'CatalogError';
}

/** Builds the catalog from parsed JSON, adding the management API resource (ISSUER/v1). */
export function buildCatalog(input: unknown, issuer: string, source = 'catalog'): Catalog {
  const result = catalogFileSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new CatalogError(
      `Invalid ${source}: ${issue?.path.join('.') || '(root)'} ${issue?.message ?? 'is invalid'}`,
    );
  }
  const managementIdentifier = `${issuer}/v1`;
  const resources: CatalogResource[] = [
    ...result.data.resources.map((resource) => ({
      identifier: resource.identifier,
      name: resource.name,
      scopes: resource.scopes.map((scope) => ({ ...scope, resource: resource.identifier })),
    })),
    {
      identifier: managementIdentifier,
      name: 'Latchkey management API',
      scopes: MANAGEMENT_SCOPES.map((scope) => ({
        ...scope,
        restricted: false,
        resource: managementIdentifier,
      })),
    },
  ];

  const scopes = new Map<string, CatalogScope>();
  const identifiers = new Set<string>();
  for (const resource of resources) {
    if (identifiers.has(resource.identifier)) {
      throw new CatalogError(`Invalid ${source}: resource ${resource.identifier} is listed twice`);
    }
    identifiers.add(resource.identifier);
    for (const scope of resource.scopes) {
      if (scopes.has(scope.name)) {
        throw new CatalogError(`Invalid ${source}: scope ${scope.name} is listed twice`);
      }
      scopes.set(scope.name, scope);
    }
  }
  if (!identifiers.has(result.data.defaultResource)) {
    throw new CatalogError(
      `Invalid ${source}: defaultResource ${result.data.defaultResource} is not one of the resources`,
    );
  }

  const byIdentifier = new Map(resources.map((resource) => [resource.identifier, resource]));
  return {
    defaultResource: result.data.defaultResource,
    resources,
    scopes,
    resource: (identifier) => byIdentifier.get(identifier),
  };
}

export function loadCatalog(file: string, issuer: string): Catalog {
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CatalogError(`Cannot read catalog ${file}: ${(error as Error).message}`);
  }
  return buildCatalog(input, issuer, file);
}
