// Why: per-credential rate limits. An organization admin may set an API client's limit (token
// requests and introspections per minute) within the operator's maximum; null means the server
// default (RATE_LIMIT_PER_MINUTE).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_clients', (table) => {
    table.integer('rate_limit_per_minute').nullable();
    table.check('rate_limit_per_minute is null or rate_limit_per_minute > 0', [], 'api_clients__rate_limit_per_minute');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_clients', (table) => {
    table.dropChecks(['api_clients__rate_limit_per_minute']);
    table.dropColumn('rate_limit_per_minute');
  });
}
