// The `latchkey` operator CLI. It calls the same services as the HTTP routes, with the operator as
// actor, on PostgreSQL or on the embedded database (through the running server's socket when a
// server owns DATA_DIR). With --json every command prints exactly one JSON document on stdout.
import { Command, CommanderError, Option } from 'commander';
import { CatalogError, loadCatalog } from '../../config/catalog.js';
import { ConfigError, loadConfig, type Config } from '../../config/index.js';
import { migrateLatest, openCommandDatabase, type Database } from '../db/database.js';
import { createServices, type Services } from '../services.js';
import { OPERATOR } from '../shared/actor.js';
import { AppError } from '../shared/errors.js';
import { createLogger } from '../shared/logger.js';

interface JsonFlag {
  json?: boolean;
}

const splitList = (value: string | undefined, separator: RegExp) =>
  value === undefined ? undefined : value.split(separator).map((part) => part.trim()).filter(Boolean);

function printHuman(value: unknown): void {
  if (Array.isArray(value)) {
    if (value.length === 0) process.stdout.write('(none)\n');
    for (const item of value) printHuman(item);
    return;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    const width = Math.max(...entries.map(([key]) => key.length));
    for (const [key, field] of entries) {
      const shown = field === null ? '-' : typeof field === 'object' ? JSON.stringify(field) : String(field);
      process.stdout.write(`${key.padEnd(width)}  ${shown}\n`);
    }
    process.stdout.write('\n');
    return;
  }
  process.stdout.write(`${String(value)}\n`);
}

/** Opens config, catalog and database for one command, runs it, prints its result, closes. */
async function run<T>(
  options: JsonFlag,
  action: (services: Services, db: Database, config: Config) => Promise<T>,
  { note, migrate = true }: { note?: (result: T) => string; migrate?: boolean } = {},
) {
  const config = loadConfig();
  const catalog = loadCatalog(config.catalogFile, config.issuer);
  // Logs go to stderr so stdout holds only the command's output.
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr);
  const db = await openCommandDatabase(config);
  try {
    // Every command works on a new DATA_DIR or database: bring the schema up first.
    if (migrate) await migrateLatest(db);
    const result = await action(createServices(config, catalog, db, logger), db, config);
    if (options.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      printHuman(result);
      if (note) process.stderr.write(`${note(result)}\n`);
    }
  } finally {
    await db.close();
  }
}

export function buildCli(): Command {
  const program = new Command('latchkey')
    .description('Operate a Latchkey authorization server')
    .showHelpAfterError()
    .exitOverride();
  const json = () => new Option('--json', 'print one JSON document on stdout');

  program
    .command('migrate')
    .description('apply pending database migrations')
    .addOption(json())
    .action((options: JsonFlag) =>
      run(options, async (_services, db) => ({ applied: await migrateLatest(db) }), { migrate: false }),
    );

  const orgs = program.command('orgs').description('organizations (tenants)');
  orgs
    .command('create')
    .requiredOption('--name <name>', 'organization name')
    .addOption(json())
    .action((options: JsonFlag & { name: string }) =>
      run(options, (services) => services.orgs.create({ name: options.name })),
    );
  orgs
    .command('list')
    .addOption(json())
    .action((options: JsonFlag) => run(options, (services) => services.orgs.list()));

  const clients = program.command('clients').description('API clients');
  clients
    .command('create')
    .requiredOption('--org <org_id>', 'organization id')
    .requiredOption('--name <name>', 'client name (1-64 characters)')
    .requiredOption('--scopes <scopes>', 'space-separated scopes from the catalog')
    .option('--description <text>', 'what the client is for')
    .option('--origins <origins>', 'comma-separated browser origins allowed to use the client')
    .option('--expires-at <iso8601>', 'when the client stops working')
    .addOption(json())
    .action(
      (options: JsonFlag & { org: string; name: string; scopes: string; description?: string; origins?: string; expiresAt?: string }) =>
        run(
          options,
          (services) =>
            services.clients.create(
              options.org,
              {
                name: options.name,
                scopes: splitList(options.scopes, /[\s,]+/),
                ...(options.description !== undefined ? { description: options.description } : {}),
                ...(options.origins !== undefined ? { allowed_origins: splitList(options.origins, /,/) } : {}),
                ...(options.expiresAt !== undefined ? { expires_at: options.expiresAt } : {}),
              },
              OPERATOR,
            ),
          { note: () => 'Store client_secret now: it is shown only this once.' },
        ),
    );
  clients
    .command('list')
    .requiredOption('--org <org_id>', 'organization id')
    .addOption(json())
    .action((options: JsonFlag & { org: string }) => run(options, (services) => services.clients.list(options.org)));
  clients
    .command('get')
    .requiredOption('--org <org_id>', 'organization id')
    .requiredOption('--id <id>', 'client id (uuid) or client_id')
    .addOption(json())
    .action((options: JsonFlag & { org: string; id: string }) =>
      run(options, (services) => services.clients.get(options.org, options.id)),
    );
  for (const [command, status, description] of [
    ['disable', 'disabled', 'stop a client from getting tokens'],
    ['enable', 'active', 're-enable a disabled client (operator only)'],
  ] as const) {
    clients
      .command(command)
      .description(description)
      .requiredOption('--org <org_id>', 'organization id')
      .requiredOption('--id <id>', 'client id (uuid) or client_id')
      .addOption(json())
      .action((options: JsonFlag & { org: string; id: string }) =>
        run(options, (services) => services.clients.setStatus(options.org, options.id, status)),
      );
  }
  clients
    .command('delete')
    .description('delete a client: gone from every list, kept for the audit trail')
    .requiredOption('--org <org_id>', 'organization id')
    .requiredOption('--id <id>', 'client id (uuid) or client_id')
    .addOption(json())
    .action((options: JsonFlag & { org: string; id: string }) =>
      run(options, (services) => services.clients.delete(options.org, options.id)),
    );

  const keys = program.command('keys').description('token signing keys');
  keys
    .command('list')
    .addOption(json())
    .action((options: JsonFlag) => run(options, (services) => services.keys.list()));
  keys
    .command('rotate')
    .description('add a new SIGNING_ALG key; the old one stays published until its tokens expire')
    .addOption(json())
    .action((options: JsonFlag) => run(options, (services, _db, config) => services.keys.rotate(config.signingAlg)));

  for (const command of program.commands) command.exitOverride();
  for (const group of [orgs, clients, keys]) for (const command of group.commands) command.exitOverride();
  return program;
}

function describeUnexpected(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object' && 'message' in error) return String((error as { message: unknown }).message);
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

export async function runCli(argv: string[]): Promise<number> {
  const wantsJson = argv.includes('--json');
  try {
    await buildCli().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version requests end here too, with exit code 0.
      return error.exitCode;
    }
    let body: { error: string; error_description: string };
    if (error instanceof AppError) body = error.toJSON();
    else if (error instanceof ConfigError || error instanceof CatalogError) {
      body = { error: 'invalid_configuration', error_description: error.message };
    } else {
      body = { error: 'server_error', error_description: describeUnexpected(error) };
    }
    if (wantsJson) process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    process.stderr.write(`latchkey: ${body.error_description}\n`);
    return 1;
  }
}

const invokedDirectly = process.argv[1] !== undefined && /[\\/]cli[\\/]main\.[jt]s$/.test(process.argv[1]);
if (invokedDirectly) {
  process.exitCode = await runCli(process.argv.slice(2));
}
