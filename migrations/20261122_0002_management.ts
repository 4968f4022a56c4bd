// Why: the management plane. Console users (users, memberships with a role, sessions stored as
// hashes), per-organization credential limits, secret rotation with a grace period (the previous
// hash stays valid until previous_secret_expires_at), restricted access tokens (only a SHA-256 of
// the token is stored, indexed for lookup), and an append-only audit log that a trigger protects
// from UPDATE, DELETE and TRUNCATE.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('organizations', (table) => {
    // null: the server's default limit; 0: unlimited.
    table.integer('max_api_clients').nullable();
    table.integer('max_restricted_tokens').nullable();
    table.check('max_api_clients is null or max_api_clients >= 0', [], 'organizations__max_api_clients');
    table.check('max_restricted_tokens is null or max_restricted_tokens >= 0', [], 'organizations__max_restricted_tokens');
  });

  await knex.schema.alterTable('api_clients', (table) => {
    table.text('previous_secret_hash').nullable();
    table.timestamp('previous_secret_expires_at', { useTz: true }).nullable();
    table.timestamp('secret_rotated_at', { useTz: true }).nullable();
  });
  // Counting an organization's live clients for its limit.
  await knex.raw(
    "create index api_clients__org_id__status on api_clients (org_id) where deleted_at is null and status = 'active'",
  );

  await knex.schema.createTable('users', (table) => {
    table.uuid('id').primary({ constraintName: 'users__pkey' }).defaultTo(knex.raw('gen_random_uuid()'));
    table.text('email').notNullable();
    table.text('password_hash').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.check('email = lower(email) and char_length(email) between 3 and 254', [], 'users__email_format');
  });
  await knex.raw('create unique index users__email on users (email)');

  await knex.schema.createTable('memberships', (table) => {
    table.uuid('org_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE')
      .withKeyName('memberships__org_id__fkey');
    table.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
      .withKeyName('memberships__user_id__fkey');
    table.text('role').notNullable();
    table.boolean('can_manage_credentials').notNullable().defaultTo(false);
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['org_id', 'user_id'], { constraintName: 'memberships__pkey' });
    table.check("role in ('admin', 'developer', 'member')", [], 'memberships__role');
  });
  await knex.raw('create index memberships__user_id on memberships (user_id)');

  await knex.schema.createTable('sessions', (table) => {
    table.text('id_hash').primary({ constraintName: 'sessions__pkey' });
    table.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
      .withKeyName('sessions__user_id__fkey');
    table.text('csrf_token').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('expires_at', { useTz: true }).notNullable();
  });
  await knex.raw('create index sessions__user_id on sessions (user_id)');

  await knex.schema.createTable('restricted_tokens', (table) => {
    table.uuid('id').primary({ constraintName: 'restricted_tokens__pkey' }).defaultTo(knex.raw('gen_random_uuid()'));
    table.uuid('org_id').notNullable().references('id').inTable('organizations').onDelete('RESTRICT')
      .withKeyName('restricted_tokens__org_id__fkey');
    table.text('name').notNullable();
    table.text('token_hash').notNullable();
    table.text('token_last4').notNullable();
    table.specificType('allowed_ips', 'text[]').notNullable();
    table.specificType('scopes', 'text[]').notNullable();
    table.timestamp('expires_at', { useTz: true }).nullable();
    table.jsonb('created_by').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('last_used_at', { useTz: true }).nullable();
    table.timestamp('deleted_at', { useTz: true }).nullable();
    table.check('char_length(name) between 1 and 64', [], 'restricted_tokens__name_length');
    table.check('cardinality(allowed_ips) >= 1', [], 'restricted_tokens__allowed_ips_not_empty');
    table.check('cardinality(scopes) >= 1', [], 'restricted_tokens__scopes_not_empty');
    table.check('char_length(token_last4) = 4', [], 'restricted_tokens__token_last4_length');
  });
  await knex.raw('create unique index restricted_tokens__token_hash on restricted_tokens (token_hash)');
  await knex.raw(
    'create index restricted_tokens__org_id__name on restricted_tokens (org_id, lower(name)) where deleted_at is null',
  );

  await knex.schema.createTable('audit_events', (table) => {
    table.uuid('id').primary({ constraintName: 'audit_events__pkey' }).defaultTo(knex.raw('gen_random_uuid()'));
    // null for events that belong to no organization (a failed login for an unknown email).
    table.uuid('org_id').nullable().references('id').inTable('organizations').onDelete('RESTRICT')
      .withKeyName('audit_events__org_id__fkey');
    // Millisecond precision, so that a cursor carried through JavaScript addresses the row exactly.
    table.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.raw("date_trunc('milliseconds', now())"));
    table.text('action').notNullable();
    table.text('actor_type').notNullable();
    table.text('actor_id').nullable();
    table.text('actor_name').notNullable();
    table.text('target_type').nullable();
    table.text('target_id').nullable();
    table.text('target_name').nullable();
    table.text('ip').nullable();
    table.text('user_agent').nullable();
    table.jsonb('metadata').notNullable().defaultTo('{}');
  });
  await knex.raw('create index audit_events__org_id__at on audit_events (org_id, at desc, id desc)');
  await knex.raw(`
    create function audit_events__immutable() returns trigger language plpgsql as $$
    begin
      raise exception 'audit events cannot be changed or deleted';
    end $$`);
  await knex.raw(`
    create trigger audit_events__immutable before update or delete on audit_events
    for each row execute function audit_events__immutable()`);
  await knex.raw(`
    create trigger audit_events__no_truncate before truncate on audit_events
    for each statement execute function audit_events__immutable()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_events');
  await knex.raw('drop function audit_events__immutable()');
  await knex.schema.dropTable('restricted_tokens');
  await knex.schema.dropTable('sessions');
  await knex.schema.dropTable('memberships');
  await knex.schema.dropTable('users');
  await knex.raw('drop index api_clients__org_id__status');
  await knex.schema.alterTable('api_clients', (table) => {
    table.dropColumn('previous_secret_hash');
    table.dropColumn('previous_secret_expires_at');
    table.dropColumn('secret_rotated_at');
  });
  await knex.schema.alterTable('organizations', (table) => {
    table.dropChecks(['organizations__max_api_clients', 'organizations__max_restricted_tokens']);
    table.dropColumn('max_api_clients');
    table.dropColumn('max_restricted_tokens');
  });
}
