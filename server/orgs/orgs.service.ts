import { z } from 'zod';
import { AppError } from '../shared/errors.js';
import { CONTROL_CHARACTERS, parseInput } from '../shared/validation.js';
import type { OrganizationRow, OrgsRepository } from './orgs.repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const createOrgSchema = z.object({
  name: z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'must not be empty')
    .max(100, 'must be at most 100 characters')
    .refine((name) => !CONTROL_CHARACTERS.test(name), 'must not contain control characters'),
});

export function toOrganizationJson(row: OrganizationRow) {
  return {
    id: row.id,
    name: row.name,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export function createOrgsService(repository: OrgsRepository) {
  return {
    async create(input: unknown) {
      const { name } = parseInput(createOrgSchema, input);
      return toOrganizationJson(await repository.insert(name));
    },
    /** The organization, or a 404 (a malformed id is simply not found). */
    async require(id: string): Promise<OrganizationRow> {
      const row = UUID.test(id) ? await repository.findById(id) : undefined;
      if (!row) throw AppError.notFound('organization');
      return row;
    },
    async list() {
      return (await repository.list()).map(toOrganizationJson);
    },
    count: () => repository.count(),
  };
}

export type OrgsService = ReturnType<typeof createOrgsService>;
