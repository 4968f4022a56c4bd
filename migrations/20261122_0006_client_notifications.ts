// Why: servers keep API clients in memory (a token request then costs no database round trip).
// Every change that matters to authentication — by any server, the CLI or plain SQL — notifies
// the channel with the client_id, after commit, so that every server forgets its copy at once.
// last_used_at is left out: it changes every minute and authenticates nothing.
import type { Knex } from 'knex';

export const CLIENT_CHANGES_CHANNEL = 'latchkey_api_clients';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function api_clients__notify() returns trigger language plpgsql as $$
    begin
      perform pg_notify('${CLIENT_CHANGES_CHANNEL}', coalesce(new.client_id, old.client_id));
      return null;
    end
    $$`);
  await knex.raw(`
    create trigger api_clients__notify
    after insert or delete or update of client_id, org_id, scopes, allowed_origins, secret_hash, previous_secret_hash,
      previous_secret_expires_at, expires_at, status, deleted_at, tokens_not_before, tokens_not_before_pending, rate_limit_per_minute
    on api_clients for each row execute function api_clients__notify()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger api_clients__notify on api_clients');
  await knex.raw('drop function api_clients__notify()');
}
