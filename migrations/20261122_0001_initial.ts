// Why: the token service needs tenants (organizations), their API clients and the signing keys
// that sign access tokens. API clients are soft-deleted (deleted_at) so the audit trail can still
// name them; only the bcrypt hash of a secret is stored, with its last four characters for display.
// Signing keys keep the private JWK encrypted with KEY_ENCRYPTION_SECRET; retired keys stay
// listed in the JWKS until every token they signed has expired.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('organizations', (table) => {
    table.uuid('id').primary({ constraintName: 'organizations__pkey' }).defaultTo(knex.raw('gen_random_uuid()'));
    table.text('name').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.check("char_length(btrim(name)) between 1 and 100", [], 'organizations__name_length');
  });

  await knex.schema.createTable('api_clients', (table) => {
    table.uuid('id').primary({ constraintName: 'api_clients__pkey' }).defaultTo(knex.raw('gen_random_uuid()'));
    table
      .uuid('org_id')
      .notNullable()
      .references('id')
      .inTable('organizations')
      .onDelete('RESTRICT')
      .withKeyName('api_clients__org_id__fkey');
    table.text('client_id').notNullable().unique({ indexName: 'api_clients__client_id' });
    table.text('name').notNullable();
    table.text('description').notNullable().defaultTo('');
    table.specificType('allowed_origins', 'text[]').notNullable().defaultTo('{}');
    table.specificType('scopes', 'text[]').notNullable();
    table.text('status').notNullable().defaultTo('active');
    table.text('secret_hash').notNullable();
    table.text('secret_last4').notNullable();
    table.timestamp('expires_at', { useTz: true }).nullable();
    table.jsonb('created_by').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('last_used_at', { useTz: true }).nullable();
    table.timestamp('disabled_at', { useTz: true }).nullable();
    table.timestamp('deleted_at', { useTz: true }).nullable();
    table.check("status in ('active', 'disabled')", [], 'api_clients__status');
    table.check('char_length(name) between 1 and 64', [], 'api_clients__name_length');
    table.check('char_length(description) <= 500', [], 'api_clients__description_length');
    table.check('cardinality(scopes) >= 1', [], 'api_clients__scopes_not_empty');
    table.check('char_length(secret_last4) = 4', [], 'api_clients__secret_last4_length');
  });
  // Listing an org's live clients sorted by name, case-insensitively.
  await knex.raw(
    'create index api_clients__org_id__name on api_clients (org_id, lower(name)) where deleted_at is null',
  );

  await knex.schema.createTable('signing_keys', (table) => {
    table.uuid('id').primary({ constraintName: 'signing_keys__pkey' }).defaultTo(knex.raw('gen_random_uuid()'));
    table.text('kid').notNullable().unique({ indexName: 'signing_keys__kid' });
    table.text('alg').notNullable();
    table.jsonb('public_jwk').notNullable();
    table.text('private_jwk_encrypted').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('retired_at', { useTz: true }).nullable();
    table.check("alg in ('ES256', 'EdDSA', 'RS256')", [], 'signing_keys__alg');
  });
  // At most one key signs at a time; a racing second start-up loses here and reloads.
  await knex.raw(
    'create unique index signing_keys__active on signing_keys ((retired_at is null)) where retired_at is null',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('signing_keys');
  await knex.schema.dropTable('api_clients');
  await knex.schema.dropTable('organizations');
}
