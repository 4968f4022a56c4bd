// A database that outlives one server: for restart tests. PostgreSQL: one database opened anew by
// each server. Embedded: a DATA_DIR opened anew by each server.
import { openEmbeddedOwner, openPostgres, type Database } from '../../server/db/database.js';
import { createPostgresDatabase, onPostgres, type TestDatabase } from './database.js';
import { tempDir } from './server.js';

export async function createPersistentDatabase(): Promise<{ open(): Promise<TestDatabase>; drop(): Promise<void> }> {
  if (onPostgres) {
    const created = await createPostgresDatabase();
    return {
      open: async () => ({ ...openPostgres(created.url, 5), url: created.url }),
      drop: () => created.drop(),
    };
  }
  const dir = tempDir('lk-db-');
  return {
    open: async () => ({ ...(await openEmbeddedOwner(dir)), url: undefined } satisfies Database & { url: undefined }),
    drop: async () => {},
  };
}
