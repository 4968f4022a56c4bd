// Why: usage analytics and API logs per credential. Usage is counted in memory and flushed into
// hourly buckets (one row per credential, hour, endpoint and outcome), so a token request costs
// no write of its own; each bucket carries a latency histogram from which percentiles are read.
// API logs keep one row per authentication event for a limited time (API_LOG_RETENTION_DAYS).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('usage_buckets', (table) => {
    table.uuid('org_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE')
      .withKeyName('usage_buckets__org_id__fkey');
    table.text('credential_type').notNullable();
    // api_clients.client_id or restricted_tokens.id (as text): never ambiguous, by their formats.
    table.text('credential_id').notNullable();
    table.timestamp('bucket_start', { useTz: true }).notNullable();
    table.text('endpoint').notNullable();
    // 'success' or the reason of a failure (invalid_client, rate_limited, ...).
    table.text('outcome').notNullable();
    table.bigInteger('requests').notNullable();
    // Counts per latency bucket; the bounds live in server/usage/histogram.ts.
    table.specificType('latency_histogram', 'bigint[]').notNullable();
    table.primary(['credential_id', 'bucket_start', 'endpoint', 'outcome'], { constraintName: 'usage_buckets__pkey' });
    table.check("credential_type in ('api_client', 'restricted_token')", [], 'usage_buckets__credential_type');
    table.check("endpoint in ('token', 'introspection')", [], 'usage_buckets__endpoint');
    table.check('requests >= 0', [], 'usage_buckets__requests');
  });
  await knex.raw('create index usage_buckets__org_id__bucket_start on usage_buckets (org_id, bucket_start)');

  await knex.schema.createTable('api_logs', (table) => {
    table.bigIncrements('id', { primaryKey: false });
    table.primary(['id'], { constraintName: 'api_logs__pkey' });
    table.uuid('org_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE')
      .withKeyName('api_logs__org_id__fkey');
    table.timestamp('at', { useTz: true }).notNullable();
    table.text('event').notNullable();
    table.text('credential_type').notNullable();
    table.text('credential_id').notNullable();
    table.integer('status').notNullable();
    table.text('reason').nullable();
    table.text('scope').nullable();
    table.text('ip').nullable();
    table.text('request_id').nullable();
    table.integer('latency_ms').notNullable();
    table.check("credential_type in ('api_client', 'restricted_token')", [], 'api_logs__credential_type');
  });
  await knex.raw('create index api_logs__org_id__at on api_logs (org_id, at desc, id desc)');
  await knex.raw('create index api_logs__credential_id__at on api_logs (credential_id, at desc, id desc)');
  // Retention pruning deletes by age across organizations.
  await knex.raw('create index api_logs__at on api_logs (at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('api_logs');
  await knex.schema.dropTable('usage_buckets');
}
