import { z } from 'zod';
import { canonicalEntries, CONTROL_CHARACTERS, futureDateTime, typeError } from '../shared/validation.js';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * An exact browser origin: scheme, host and optional port; no path, query, fragment, user info,
 * wildcard or "null". https is required except for localhost. Returns the canonical form
 * (lower-case host, default port dropped) or throws with the reason.
 */
export function canonicalOrigin(input: string): string {
  const value = input.trim();
  if (value === '' || value.toLowerCase() === 'null') throw new Error('must be an origin like https://app.example.com');
  if (value.includes('*')) throw new Error('must not contain a wildcard');
  const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([/?#].*)?$/i.exec(value);
  if (!match) throw new Error('must be an origin like https://app.example.com');
  if (match[3]) throw new Error('must not have a path, query or fragment');
  if (match[2]?.includes('@')) throw new Error('must not contain user information');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('must be an origin like https://app.example.com');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('must use https');
  if (url.protocol === 'http:' && !LOCAL_HOSTS.has(url.hostname)) {
    throw new Error('must use https (http is allowed for localhost only)');
  }
  return url.origin;
}

export const clientName = z
  .string({ error: typeError('a string') })
  .trim()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .refine((name) => !CONTROL_CHARACTERS.test(name), 'must not contain control characters');

export const clientDescription = z
  .string()
  .max(500, 'must be at most 500 characters')
  // Line breaks and tabs are fine in a description; other control characters are not.
  // eslint-disable-next-line no-control-regex
  .refine((text) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text), 'must not contain control characters');

export const allowedOrigins = z
  .array(z.string({ error: typeError('an origin') }), { error: typeError('a list of origins') })
  .max(50, 'must hold at most 50 origins')
  .transform((origins, ctx) => canonicalEntries(origins, canonicalOrigin, ctx));

export const createClientSchema = z
  .object({
    name: clientName,
    description: clientDescription.default(''),
    allowed_origins: allowedOrigins.default([]),
    scopes: z
      .array(z.string({ error: typeError('a scope name') }), { error: typeError('a list of scopes', 'a non-empty list of scopes from the catalog') })
      .min(1, 'must hold at least one scope')
      .max(100, 'must hold at most 100 scopes'),
    expires_at: futureDateTime,
  })
  .strict();

export type CreateClientInput = z.input<typeof createClientSchema>;

export const updateClientSchema = z
  .object({
    name: clientName.optional(),
    description: clientDescription.optional(),
    allowed_origins: allowedOrigins.optional(),
    rate_limit_per_minute: z
      .number({ error: 'must be a whole number of requests per minute, or null for the default' })
      .int('must be a whole number of requests per minute')
      .min(1, 'must be at least 1')
      .nullable()
      .optional(),
  })
  .strict()
  .refine(
    (value) => Object.values(value).some((field) => field !== undefined),
    'give at least one of name, description, allowed_origins, rate_limit_per_minute',
  );

/** Fields an update may not touch, with the reason given back to the caller. */
export const IMMUTABLE_CLIENT_FIELDS: Record<string, string> = {
  scopes: 'scopes cannot be changed: create a new API client with the scopes you need',
  expires_at: 'expires_at cannot be changed: create a new API client with the expiry you need',
  status: 'status cannot be set here: use the disable route',
  client_secret: 'client_secret cannot be set: use rotate-secret',
  id: 'id is assigned by the server',
  client_id: 'client_id is assigned by the server',
  secret_last4: 'secret_last4 is assigned by the server',
  created_at: 'created_at is assigned by the server',
  created_by: 'created_by is assigned by the server',
  updated_at: 'updated_at is assigned by the server',
  last_used_at: 'last_used_at is assigned by the server',
};

export const rotateSecretSchema = z
  .object({
    grace_period_seconds: z
      .number({ error: 'must be a whole number of seconds' })
      .int('must be a whole number of seconds')
      .min(0, 'must be at least 0')
      .max(604800, 'must be at most 604800 (7 days)')
      .default(0),
  })
  .strict();
