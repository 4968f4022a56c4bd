// The embedded database's modules (PGlite, pglite-socket, knex-pglite: some 11 MB of heap) are
// loaded by a server on the embedded database, and never by a server on PostgreSQL, even after it
// has issued a token. Each server runs as `npm start` runs it, with a preload recording every
// module the process loaded (ES modules through a module hook, CommonJS from the require cache).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../config/index.js';
import { createPostgresDatabase, onPostgres } from '../helpers/database.js';
import { basic, postToken } from '../helpers/oauth.js';
import { runCli, spawnServer } from '../helpers/processes.js';
import { freePort, testEnv } from '../helpers/server.js';

const EMBEDDED_DATABASE_MODULES = /node_modules\/(@electric-sql\/pglite|@electric-sql\/pglite-socket|knex-pglite)\//;

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'latchkey-modules-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Starts a server, issues one token from it, stops it; returns the modules it loaded. */
async function modulesOfServer(name: string, settings: Record<string, string>): Promise<string[]> {
  const modulesFile = path.join(scratch, `${name}.txt`);
  const env = testEnv(await freePort(), { ...settings, MODULES_FILE: modulesFile });
  expect((await runCli(['migrate', '--json'], env)).code).toBe(0);
  const org = await runCli(['orgs', 'create', '--name', `Modules ${name}`, '--json'], env);
  const client = await runCli(['clients', 'create', '--org', org.json.id, '--name', 'export', '--scopes', 'payroll:Read', '--json'], env);
  expect(client.code).toBe(0);
  const server = await spawnServer(env, 30_000, ['--import', path.join(projectRoot, 'tests/helpers/record-modules.mjs')]);
  try {
    const token = await postToken(server.url, 'grant_type=client_credentials', {
      authorization: basic(client.json.client_id, client.json.client_secret),
    });
    expect(token.status).toBe(200);
  } finally {
    expect(await server.stop()).toBe(0);
  }
  return readFileSync(modulesFile, 'utf8').split('\n').filter(Boolean);
}

describe('the embedded database modules', () => {
  it('are loaded by a server on the embedded database', async () => {
    const modules = await modulesOfServer('embedded', { DATABASE_URL: '' });
    // The recording itself works: the server's own modules and its CommonJS dependencies are there.
    expect(modules).toContainEqual(expect.stringMatching(/server\/main\.ts$/));
    expect(modules).toContainEqual(expect.stringMatching(/node_modules\/pg\//));
    expect(modules.filter((module) => EMBEDDED_DATABASE_MODULES.test(module))).toEqual(
      expect.arrayContaining([expect.stringContaining('@electric-sql/pglite/'), expect.stringContaining('@electric-sql/pglite-socket/')]),
    );
  });

  (onPostgres ? it : it.skip)('are never loaded by a server on PostgreSQL (needs TEST_DATABASE_URL)', async () => {
    const database = await createPostgresDatabase();
    try {
      const modules = await modulesOfServer('postgres', { DATABASE_URL: database.url });
      expect(modules).toContainEqual(expect.stringMatching(/server\/main\.ts$/));
      expect(modules.filter((module) => EMBEDDED_DATABASE_MODULES.test(module))).toEqual([]);
    } finally {
      await database.drop();
    }
  });
});
