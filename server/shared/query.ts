// Pieces the read APIs (audit log, API logs, usage) share: time-range parameters, keyset cursors
// and CSV fields.
import { z } from 'zod';
import { AppError } from './errors.js';

export const isoDateTime = () => z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone' });

export const pageLimit = () =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number between 1 and 200')
    .transform(Number)
    .pipe(z.number().min(1, 'must be at least 1').max(200, 'must be at most 200'));

/** Years the database drivers can carry as a timestamptz (toISOString writes 0000 and +010000 otherwise). */
export const inDatabaseRange = (date: Date) => date.getUTCFullYear() >= 1 && date.getUTCFullYear() <= 9999;

export function instant(field: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (!inDatabaseRange(date)) throw AppError.invalidRequest(`${field}: must be between the years 0001 and 9999`);
  return date;
}

/** An opaque keyset position (at, id) for "strictly older than this row". */
export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');
}

/** Exactly what encodeCursor wrote, with an id `idValid` accepts; anything else is a 400. */
export function decodeCursor(cursor: string, idValid: (id: string) => boolean): { at: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    // Anything else would reach the query as a value PostgreSQL refuses.
    if (typeof at !== 'string' || typeof id !== 'string' || !idValid(id)) throw new Error('bad');
    const date = new Date(at);
    if (Number.isNaN(date.getTime()) || !inDatabaseRange(date) || date.toISOString() !== at) throw new Error('bad');
    return { at: date, id };
  } catch {
    throw AppError.invalidRequest('cursor: is not a cursor this server gave out');
  }
}

/** RFC 4180 field, with a leading quote on values a spreadsheet would run as a formula. */
export function csvField(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvLine = (values: unknown[]) => `${values.map(csvField).join(',')}\r\n`;
