import type { Knex } from 'knex';

/** Runs `work` in a transaction: a change and its audit event commit together or not at all. */
export function inTransaction<T>(db: Knex, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.transaction(work);
}

/** The names of the fields whose values differ, with both values: an audit metadata diff. */
export function diff(before: object, after: object): Record<string, { from: unknown; to: unknown }> {
  const previous = before as Record<string, unknown>;
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const [key, value] of Object.entries(after)) {
    if (value !== undefined && JSON.stringify(previous[key]) !== JSON.stringify(value)) {
      changes[key] = { from: previous[key], to: value };
    }
  }
  return changes;
}

/** Rows a knex delete or update touched: a number from pg, a result object from PGlite. */
export function affectedRows(result: unknown): number {
  if (typeof result === 'number') return result;
  const { rowCount, affectedRows: affected } = (result ?? {}) as { rowCount?: unknown; affectedRows?: unknown };
  return Number(rowCount ?? affected ?? 0);
}
