import { z } from 'zod';
import { CONTROL_CHARACTERS } from '../shared/validation.js';

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
  .string({ error: 'is required' })
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
  .array(z.string({ error: 'must be a list of origins' }), { error: 'must be a list of origins' })
  .max(50, 'must hold at most 50 origins')
  .transform((origins, ctx) => {
    const canonical: string[] = [];
    origins.forEach((origin, index) => {
      try {
        const value = canonicalOrigin(origin);
        if (canonical.includes(value)) {
          ctx.addIssue({ code: 'custom', path: [index], message: `duplicates ${value}` });
        }
        canonical.push(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: [index], message: `${JSON.stringify(origin)} ${(error as Error).message}` });
      }
    });
    return canonical;
  });

export const createClientSchema = z
  .object({
    name: clientName,
    description: clientDescription.default(''),
    allowed_origins: allowedOrigins.default([]),
    scopes: z
      .array(z.string(), { error: 'is required: a non-empty list of scopes from the catalog' })
      .min(1, 'must hold at least one scope')
      .max(100, 'must hold at most 100 scopes'),
    expires_at: z.iso
      .datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone' })
      .nullish()
      .transform((value) => (value ? new Date(value) : null))
      .refine((value) => value === null || value.getTime() > Date.now(), 'must be in the future'),
  })
  .strict();

export type CreateClientInput = z.input<typeof createClientSchema>;
