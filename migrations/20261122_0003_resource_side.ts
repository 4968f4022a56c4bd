// Why: the resource side. Resource servers get credentials of their own (bcrypt hash, like API
// clients) to call introspection and read the revocation feed. JWT access tokens are not stored,
// so revoking them needs state: a jti denylist for single tokens (kept until the token's exp), and
// a per-client not-before for "every token issued before now" (disable, delete, revoke-all,
// rotation). revocation_events is the feed resource servers poll, in id order; each entry carries
// the time after which no token it covers can still be valid, and is pruned then.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('resource_servers', (table) => {
    table.uuid('id').primary({ constraintName: 'resource_servers__pkey' }).defaultTo(knex.raw('gen_random_uuid()'));
    table.text('name').notNullable();
    table.text('client_id').notNullable().unique({ indexName: 'resource_servers__client_id' });
    table.text('secret_hash').notNullable();
    table.text('secret_last4').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('deleted_at', { useTz: true }).nullable();
    table.check('char_length(name) between 1 and 64', [], 'resource_servers__name_length');
  });

  await knex.schema.alterTable('api_clients', (table) => {
    // Tokens of this client issued before this instant are revoked.
    table.timestamp('tokens_not_before', { useTz: true }).nullable();
    // A rotation's grace period: tokens issued before this future instant are revoked from then
    // on. A later rotation replaces it (its own grace decides); one that has come is folded into
    // tokens_not_before first.
    table.timestamp('tokens_not_before_pending', { useTz: true }).nullable();
  });

  await knex.schema.createTable('revoked_tokens', (table) => {
    table.text('jti').primary({ constraintName: 'revoked_tokens__pkey' });
    table.text('client_id').notNullable();
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.timestamp('revoked_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('create index revoked_tokens__expires_at on revoked_tokens (expires_at)');

  await knex.schema.createTable('revocation_events', (table) => {
    table.bigIncrements('id', { primaryKey: false });
    table.primary(['id'], { constraintName: 'revocation_events__pkey' });
    table.text('kind').notNullable();
    table.text('client_id').notNullable();
    table.text('jti').nullable();
    table.timestamp('not_before', { useTz: true }).nullable();
    // After this, no token the entry covers can still be valid: the entry is pruned.
    table.timestamp('relevant_until', { useTz: true }).notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.check("kind in ('token', 'client')", [], 'revocation_events__kind');
    table.check("(kind = 'token' and jti is not null) or (kind = 'client' and not_before is not null)", [], 'revocation_events__shape');
  });
  await knex.raw('create index revocation_events__relevant_until on revocation_events (relevant_until)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('revocation_events');
  await knex.schema.dropTable('revoked_tokens');
  await knex.schema.alterTable('api_clients', (table) => {
    table.dropColumn('tokens_not_before');
    table.dropColumn('tokens_not_before_pending');
  });
  await knex.schema.dropTable('resource_servers');
}
