// API clients as authentication reads them, kept in memory so that a token request for a known
// client costs no database round trip. Correctness rests on invalidation, not on expiry: a
// trigger notifies every change (migration 0006) and each server forgets that client at once.
// While the notifications may be missing (the listening connection dropped, or the database
// cannot notify this process) nothing is cached and every lookup reads the database.
import type { Database } from '../db/database.js';
import type { Logger } from '../shared/logger.js';
import { CLIENT_CHANGES_CHANNEL } from '../../migrations/20261122_0006_client_notifications.js';
import type { AuthenticatingClient, ClientsRepository } from './clients.repository.js';

const localListeners = new Set<(clientId: string) => void>();

/**
 * Called once a change to API clients has committed in this process: the caches here forget
 * those clients before the change's response is sent. Other processes learn it from the
 * database notification, within milliseconds.
 */
export function forgetClientsHere(clientIds: Iterable<string>): void {
  for (const clientId of clientIds) for (const listener of localListeners) listener(clientId);
}

/** The secret hashes a client accepts now: its secret's, and the previous one's during a grace period. */
export function acceptedSecretHashes(row: AuthenticatingClient): string[] {
  const graceful = row.previous_secret_hash && row.previous_secret_expires_at && row.previous_secret_expires_at.getTime() > Date.now();
  return graceful ? [row.secret_hash, row.previous_secret_hash as string] : [row.secret_hash];
}

export interface ClientLookup {
  findAuthenticatable(clientId: string): Promise<AuthenticatingClient | undefined>;
  /** Reads the database, bypassing (and refreshing) any cached copy. */
  reload(clientId: string): Promise<AuthenticatingClient | undefined>;
}

export interface ClientCacheOptions {
  /** Entries kept; the oldest go first. Unknown client_ids are remembered too (a flood of made-up ids). */
  maxEntries?: number;
  /** A safety net only: entries are dropped on change notifications long before this. */
  maxAgeMs?: number;
}

export async function createClientCache(
  repository: Pick<ClientsRepository, 'findAuthenticatable'>,
  db: Pick<Database, 'subscribe'>,
  logger: Logger,
  { maxEntries = 100_000, maxAgeMs = 10 * 60_000 }: ClientCacheOptions = {},
) {
  const entries = new Map<string, { row: AuthenticatingClient | undefined; at: number }>();
  const stats = { hits: 0, misses: 0, reloads: 0, invalidations: 0 };
  // Bumped by every notification: a lookup that started before one may hold an old row.
  let epoch = 0;
  let listening = false;

  const forget = (clientId: string) => {
    epoch++;
    stats.invalidations++;
    entries.delete(clientId);
  };
  localListeners.add(forget);
  const unsubscribe = db.subscribe
    ? await db.subscribe(CLIENT_CHANGES_CHANNEL, {
        message: forget,
        lost() {
          listening = false;
          epoch++;
          entries.clear();
          logger.warn('lost the API client change notifications; reading clients from the database until they return');
        },
        restored() {
          epoch++;
          entries.clear();
          listening = true;
          logger.info('API client change notifications restored; caching clients again');
        },
      })
    : undefined;
  listening = unsubscribe !== undefined;

  async function read(clientId: string): Promise<AuthenticatingClient | undefined> {
    const started = epoch;
    const row = await repository.findAuthenticatable(clientId);
    if (listening && epoch === started) {
      entries.delete(clientId);
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
      entries.set(clientId, { row, at: Date.now() });
    }
    return row;
  }

  /** The row as the database query would answer it now: expiry moves on without any change. */
  const stillAuthenticatable = (row: AuthenticatingClient | undefined) =>
    row && (!row.expires_at || row.expires_at.getTime() > Date.now()) ? row : undefined;

  return {
    async findAuthenticatable(clientId: string): Promise<AuthenticatingClient | undefined> {
      if (listening) {
        const hit = entries.get(clientId);
        if (hit && Date.now() - hit.at < maxAgeMs) {
          stats.hits++;
          return stillAuthenticatable(hit.row);
        }
      }
      stats.misses++;
      return read(clientId);
    },
    /**
     * The row as the database has it now, replacing the cached one: for a secret that did not
     * match the cached hashes, in case it was rotated a moment ago on another server and the
     * notification is still on its way.
     */
    async reload(clientId: string): Promise<AuthenticatingClient | undefined> {
      stats.reloads++;
      return read(clientId);
    },
    stats: () => ({ ...stats, entries: entries.size, listening }),
    async close(): Promise<void> {
      localListeners.delete(forget);
      listening = false;
      entries.clear();
      await unsubscribe?.();
    },
  };
}

export type ClientCache = Awaited<ReturnType<typeof createClientCache>>;
