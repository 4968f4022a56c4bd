import { z } from 'zod';
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

/** The error of a type check: "is required" (and what) when the field is missing, else what it must be. */
export const typeError = (expected: string, required?: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `is required${required ? `: ${required}` : ''}` : `must be ${expected}`;

/** An optional ISO 8601 date-time with a time zone, in the future; parsed to a Date (or null). */
export const futureDateTime = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone' })
  .nullish()
  .transform((value) => (value ? new Date(value) : null))
  .refine((value) => value === null || value.getTime() > Date.now(), 'must be in the future');

/**
 * Canonicalizes each entry of a string list with `canonical` (which throws with the reason),
 * naming the entry of any failure and rejecting entries that are the same once canonical.
 */
export function canonicalEntries(entries: string[], canonical: (entry: string) => string, ctx: z.RefinementCtx): string[] {
  const values: string[] = [];
  entries.forEach((entry, index) => {
    try {
      const value = canonical(entry);
      if (values.includes(value)) ctx.addIssue({ code: 'custom', path: [index], message: `duplicates ${value}` });
      values.push(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: [index], message: `${JSON.stringify(entry)} ${(error as Error).message}` });
    }
  });
  return values;
}

/** A 400 for the first field of `input` an update may not touch, with its reason. */
export function rejectImmutableFields(input: unknown, reasons: Record<string, string>): void {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return;
  const field = Object.keys(input).find((key) => key in reasons);
  if (field) throw AppError.invalidRequest(reasons[field] as string);
}
