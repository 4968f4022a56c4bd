// Response shapes of the management API, shared by the routes and the OpenAPI document.
import { z } from 'zod';
import { ROLES } from '../auth/permissions.js';

const timestamp = z.string().meta({ format: 'date-time' });

export const actorSchema = z
  .object({ type: z.enum(['operator', 'user', 'client']), id: z.string().nullable(), name: z.string() })
  .meta({ id: 'Actor' });

export const apiClientSchema = z
  .object({
    id: z.string(),
    client_id: z.string(),
    name: z.string(),
    description: z.string(),
    allowed_origins: z.array(z.string()),
    scopes: z.array(z.string()),
    status: z.enum(['active', 'disabled']),
    secret_last4: z.string(),
    expires_at: timestamp.nullable(),
    created_at: timestamp,
    created_by: actorSchema,
    updated_at: timestamp,
    last_used_at: timestamp.nullable(),
    rate_limit: z
      .object({ per_minute: z.number().int(), source: z.enum(['default', 'client']) })
      .strict()
      .meta({ description: 'token requests and introspections per minute; source client when set on the client' }),
  })
  .strict()
  .meta({ id: 'ApiClient' });

export const apiClientWithSecretSchema = apiClientSchema
  .extend({ client_secret: z.string().meta({ description: 'shown in this answer only' }) })
  .meta({ id: 'ApiClientWithSecret' });

export const rotatedClientSchema = apiClientWithSecretSchema
  .extend({ previous_secret_expires_at: timestamp.nullable().meta({ description: 'until when the old secret still works' }) })
  .meta({ id: 'RotatedApiClient' });

export const restrictedTokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    allowed_ips: z.array(z.string()),
    scopes: z.array(z.string()),
    token_last4: z.string(),
    expires_at: timestamp.nullable(),
    created_at: timestamp,
    created_by: actorSchema,
    last_used_at: timestamp.nullable(),
  })
  .strict()
  .meta({ id: 'RestrictedToken' });

export const restrictedTokenWithTokenSchema = restrictedTokenSchema
  .extend({ token: z.string().meta({ description: 'shown in this answer only' }) })
  .meta({ id: 'RestrictedTokenWithToken' });

export const organizationSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    limits: z.object({ max_api_clients: z.number().int(), max_restricted_tokens: z.number().int() }).strict(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .strict()
  .meta({ id: 'Organization' });

export const memberSchema = z
  .object({
    user_id: z.string(),
    email: z.string(),
    role: z.enum(ROLES),
    can_manage_credentials: z.boolean(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .strict()
  .meta({ id: 'Member' });

export const auditEventSchema = z
  .object({
    id: z.string(),
    at: timestamp,
    action: z.string(),
    actor: actorSchema,
    target: z.object({ type: z.string(), id: z.string().nullable(), name: z.string().nullable() }).strict().nullable(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
  })
  .strict()
  .meta({ id: 'AuditEvent' });

export const deletedSchema = z.object({ id: z.string(), deleted: z.literal(true) }).strict();

const count = z.number().int().min(0);
const usageFigures = {
  requests: count,
  successes: count,
  failures: count,
  failures_by_reason: z.record(z.string(), count).meta({ description: 'invalid_client, rate_limited, too_many_failures, invalid_scope, ip_not_allowed, ...' }),
  latency_ms: z
    .object({ p50: z.number().nullable(), p95: z.number().nullable() })
    .strict()
    .meta({ description: 'estimated from a latency histogram; null without requests' }),
};
const endpointUsageSchema = z.object(usageFigures).strict().meta({ id: 'EndpointUsage' });
const usageTotalsSchema = z
  .object({ ...usageFigures, endpoints: z.object({ token: endpointUsageSchema, introspection: endpointUsageSchema }).strict() })
  .strict()
  .meta({ id: 'UsageTotals' });
const usagePointSchema = usageTotalsSchema.extend({ start: timestamp }).meta({ id: 'UsagePoint' });
const usageSeries = {
  granularity: z.enum(['hour', 'day']),
  from: timestamp,
  to: timestamp.meta({ description: 'exclusive' }),
  totals: usageTotalsSchema,
  series: z.array(usagePointSchema).meta({ description: 'one point per hour or UTC day of the range, zeros included' }),
};
const credentialType = z.enum(['api_client', 'restricted_token']);

export const credentialUsageSchema = z
  .object({
    credential: z
      .object({ type: credentialType, id: z.string(), client_id: z.string().nullable(), name: z.string(), last_used_at: timestamp.nullable() })
      .strict(),
    ...usageSeries,
  })
  .strict()
  .meta({ id: 'CredentialUsage' });

export const organizationUsageSchema = z
  .object({
    org_id: z.string(),
    ...usageSeries,
    credentials: z.array(
      z
        .object({
          type: credentialType,
          id: z.string(),
          client_id: z.string().nullable(),
          name: z.string(),
          deleted: z.boolean(),
          last_used_at: timestamp.nullable(),
          requests: count,
          successes: count,
          failures: count,
        })
        .strict(),
    ),
  })
  .strict()
  .meta({ id: 'OrganizationUsage' });

export const apiLogEntrySchema = z
  .object({
    id: z.string(),
    at: timestamp,
    event: z.enum(['token.issued', 'token.refused', 'introspection.active', 'introspection.inactive', 'introspection.refused']),
    credential: z
      .object({
        type: credentialType,
        id: z.string().nullable().meta({ description: "the API client's or restricted token's id" }),
        client_id: z.string().nullable(),
        name: z.string().nullable(),
      })
      .strict(),
    status: z.number().int().meta({ description: 'HTTP status of the answer' }),
    reason: z.string().nullable().meta({ description: 'why it failed (null when it did what it asked)' }),
    scope: z.string().nullable(),
    ip: z.string().nullable(),
    request_id: z.string().nullable(),
    latency_ms: z.number().int(),
  })
  .strict()
  .meta({ id: 'ApiLogEntry' });
