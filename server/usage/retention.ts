// Deletes API log rows and usage buckets older than their retention, a batch at a time so that no
// single statement holds locks for long.
import type { Knex } from 'knex';
import { affectedRows } from '../shared/transaction.js';

const BATCH = 10_000;

export async function pruneUsageAndLogs(
  db: Knex,
  retention: { apiLogRetentionDays: number; usageRetentionDays: number },
  now = new Date(),
): Promise<{ apiLogs: number; usageBuckets: number }> {
  const logsBefore = new Date(now.getTime() - retention.apiLogRetentionDays * 86_400_000);
  const usageBefore = new Date(now.getTime() - retention.usageRetentionDays * 86_400_000);
  let apiLogs = 0;
  for (;;) {
    const deleted = affectedRows(
      await db('api_logs').whereIn('id', db('api_logs').select('id').where('at', '<', logsBefore).limit(BATCH)).del(),
    );
    apiLogs += deleted;
    if (deleted < BATCH) break;
  }
  const usageBuckets = affectedRows(await db('usage_buckets').where('bucket_start', '<', usageBefore).del());
  return { apiLogs, usageBuckets };
}
