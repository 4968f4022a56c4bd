// Pieces the filter forms of the audit log and the API logs share.
import type { ApiClient, RestrictedToken } from '../types';

/** One choice of a filter's select. */
export interface Option {
  value: string;
  label: string;
}

/**
 * The organization's credentials as filter choices, by id: API clients, then restricted tokens.
 * A list that could not be read adds no choices (the filter still works with "Any").
 */
export function credentialOptions(clients: PromiseSettledResult<ApiClient[]>, tokens: PromiseSettledResult<RestrictedToken[]>): Option[] {
  return [
    ...(clients.status === 'fulfilled' ? clients.value.map((c) => ({ value: c.id, label: `${c.name} (API client)` })) : []),
    ...(tokens.status === 'fulfilled' ? tokens.value.map((t) => ({ value: t.id, label: `${t.name} (restricted token)` })) : []),
  ];
}

/** The check both filter forms make before asking: a time range must end after it starts. */
export function rangeError(from: string, to: string): { field: string; text: string } | null {
  return from && to && new Date(from) >= new Date(to) ? { field: 'from', text: 'from: must be before to' } : null;
}
