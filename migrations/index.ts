// The ordered list of migrations. Migrations are imported explicitly (not discovered on disk) so
// that the same list runs from TypeScript sources, from compiled dist/ and under Jest.
import type { Knex } from 'knex';
import * as initial from './20261122_0001_initial.js';
import * as management from './20261122_0002_management.js';
import * as resourceSide from './20261122_0003_resource_side.js';
import * as rateLimits from './20261122_0004_rate_limits.js';
import * as usageAndLogs from './20261122_0005_usage_and_logs.js';
import * as clientNotifications from './20261122_0006_client_notifications.js';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const migrations: ReadonlyArray<readonly [string, Migration]> = [
  ['20261122_0001_initial', initial],
  ['20261122_0002_management', management],
  ['20261122_0003_resource_side', resourceSide],
  ['20261122_0004_rate_limits', rateLimits],
  ['20261122_0005_usage_and_logs', usageAndLogs],
  ['20261122_0006_client_notifications', clientNotifications],
];

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => migrations.map(([name]) => name),
  getMigrationName: (name) => name,
  getMigration: async (name) => {
    const found = migrations.find(([candidate]) => candidate === name);
    if (!found) throw new Error(`Unknown migration ${name}`);
    return found[1];
  },
};

export const migrationNames = migrations.map(([name]) => name);
export const latestMigration = migrationNames[migrationNames.length - 1] ?? '';
