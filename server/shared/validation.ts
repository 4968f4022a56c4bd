import type { z } from 'zod';
import { AppError } from './errors.js';

/** Parses input with a zod schema, turning the first issue into a 400 that names the field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.length ? issue.path.join('.') : undefined;
  const message = issue?.message ?? 'is invalid';
  throw AppError.invalidRequest(field ? `${field}: ${message}` : message);
}

// Control characters (C0, DEL, C1) have no place in names shown to administrators.
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
