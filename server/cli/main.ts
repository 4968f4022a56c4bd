// The `latchkey` operator CLI. It calls the same services as the HTTP routes, with the operator as
// actor, on PostgreSQL or on the embedded database (through the running server's socket when a
// server owns DATA_DIR). With --json every command prints exactly one JSON document on stdout.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CatalogError, loadCatalog } from '../../config/catalog.js';
import { ConfigError, loadConfig, type Config } from '../../config/index.js';
import { migrateLatest, openCommandDatabase, type Database } from '../db/database.js';
import { createServices, type Services } from '../services.js';
import { OPERATOR_CONTEXT } from '../shared/actor.js';
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

const ORG = ['--org <org_id>', 'organization id'] as const;
const ID = ['--id <id>', 'the object\'s id'] as const;
const CLIENT_ID = ['--id <id>', 'client id (uuid) or client_id'] as const;
const SHOWN_ONCE = (what: string) => ({ note: () => `Store ${what} now: it is shown only this once.` });

/** Optional fields present only when given, so that services see exactly what was asked. */
const given = (fields: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));

function limitArgument(name: string) {
  // "default" stays a string here: commander replaces a parser's null with ''.
  return (value: string): number | 'default' => {
    if (value === 'default') return 'default';
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number (0 = unlimited) or "default"`);
    return Number(value);
  };
}

/** A parsed limit as the service takes it: null means the server default. */
const limitValue = (value: number | 'default' | undefined) => (value === 'default' ? null : value);

export function buildCli(): Command {
  const program = new Command('latchkey')
    .description('Operate a Latchkey authorization server')
    .showHelpAfterError()
    .exitOverride();
  const json = () => new Option('--json', 'print one JSON document on stdout');
  const op = OPERATOR_CONTEXT;

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
    .action((options: JsonFlag & { name: string }) => run(options, (services) => services.orgs.create({ name: options.name }, op)));
  orgs
    .command('list')
    .addOption(json())
    .action((options: JsonFlag) => run(options, (services) => services.orgs.list()));
  orgs
    .command('set-limit')
    .description('set how many active API clients and restricted tokens an organization may hold')
    .requiredOption(...ORG)
    .option('--clients <n>', 'API clients (0 = unlimited, "default" = the server default)', limitArgument('--clients'))
    .option('--tokens <n>', 'restricted tokens (0 = unlimited, "default" = the server default)', limitArgument('--tokens'))
    .addOption(json())
    .action((options: JsonFlag & { org: string; clients?: number | 'default'; tokens?: number | 'default' }) =>
      run(options, (services) =>
        services.orgs.setLimits(
          options.org,
          given({ max_api_clients: limitValue(options.clients), max_restricted_tokens: limitValue(options.tokens) }),
          op,
        ),
      ),
    );

  const users = program.command('users').description('console users');
  users
    .command('create')
    .description('add a user to an organization; a new user\'s generated password is printed once')
    .requiredOption(...ORG)
    .requiredOption('--email <email>', 'the user\'s email')
    .addOption(new Option('--role <role>', 'role in the organization').choices(['admin', 'developer', 'member']).makeOptionMandatory())
    .option('--can-manage-credentials', 'let a member manage restricted tokens')
    .addOption(json())
    .action((options: JsonFlag & { org: string; email: string; role: string; canManageCredentials?: boolean }) =>
      run(
        options,
        async (services) => {
          const member = await services.members.add(
            options.org,
            { email: options.email, role: options.role, can_manage_credentials: options.canManageCredentials === true },
            op,
          );
          const { user_id: id, ...rest } = member;
          return { id, org_id: options.org, ...rest };
        },
        SHOWN_ONCE('the password'),
      ),
    );

  const clients = program.command('clients').description('API clients');
  clients
    .command('create')
    .requiredOption(...ORG)
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
              given({
                name: options.name,
                scopes: splitList(options.scopes, /[\s,]+/),
                description: options.description,
                allowed_origins: splitList(options.origins, /,/),
                expires_at: options.expiresAt,
              }),
              op,
            ),
          SHOWN_ONCE('client_secret'),
        ),
    );
  clients
    .command('list')
    .requiredOption(...ORG)
    .addOption(json())
    .action((options: JsonFlag & { org: string }) => run(options, (services) => services.clients.list(options.org)));
  clients
    .command('get')
    .requiredOption(...ORG)
    .requiredOption(...CLIENT_ID)
    .addOption(json())
    .action((options: JsonFlag & { org: string; id: string }) => run(options, (services) => services.clients.get(options.org, options.id)));
  clients
    .command('update')
    .description('change name, description or allowed origins')
    .requiredOption(...ORG)
    .requiredOption(...CLIENT_ID)
    .option('--name <name>', 'new name')
    .option('--description <text>', 'new description')
    .option('--origins <origins>', 'comma-separated allowed origins (empty string for none)')
    .addOption(json())
    .action((options: JsonFlag & { org: string; id: string; name?: string; description?: string; origins?: string }) =>
      run(options, (services) =>
        services.clients.update(
          options.org,
          options.id,
          given({ name: options.name, description: options.description, allowed_origins: splitList(options.origins, /,/) }),
          op,
        ),
      ),
    );
  for (const [command, status, description] of [
    ['disable', 'disabled', 'stop a client from getting tokens'],
    ['enable', 'active', 're-enable a disabled client (operator only)'],
  ] as const) {
    clients
      .command(command)
      .description(description)
      .requiredOption(...ORG)
      .requiredOption(...CLIENT_ID)
      .addOption(json())
      .action((options: JsonFlag & { org: string; id: string }) =>
        run(options, (services) => services.clients.setStatus(options.org, options.id, status, op)),
      );
  }
  clients
    .command('delete')
    .description('delete a client: gone from every list, kept for the audit trail')
    .requiredOption(...ORG)
    .requiredOption(...CLIENT_ID)
    .addOption(json())
    .action((options: JsonFlag & { org: string; id: string }) => run(options, (services) => services.clients.delete(options.org, options.id, op)));
  clients
    .command('rotate-secret')
    .description('issue a new secret; the old one stops at once or after --grace-seconds')
    .requiredOption(...ORG)
    .requiredOption(...CLIENT_ID)
    .option('--grace-seconds <n>', 'keep the old secret working this long (at most 604800)', (value: string) => {
      if (!/^\d+$/.test(value)) throw new InvalidArgumentError('--grace-seconds must be a whole number of seconds');
      return Number(value);
    })
    .addOption(json())
    .action((options: JsonFlag & { org: string; id: string; graceSeconds?: number }) =>
      run(
        options,
        (services) => services.clients.rotateSecret(options.org, options.id, given({ grace_period_seconds: options.graceSeconds }), op),
        SHOWN_ONCE('client_secret'),
      ),
    );

  const tokens = program.command('tokens').description('restricted access tokens');
  tokens
    .command('create')
    .requiredOption(...ORG)
    .requiredOption('--name <name>', 'token name (1-64 characters)')
    .requiredOption('--ips <ips>', 'comma-separated IP addresses or CIDRs allowed to use the token')
    .requiredOption('--scopes <scopes>', 'space-separated restricted scopes')
    .option('--expires-at <iso8601>', 'when the token stops working')
    .addOption(json())
    .action((options: JsonFlag & { org: string; name: string; ips: string; scopes: string; expiresAt?: string }) =>
      run(
        options,
        (services) =>
          services.restrictedTokens.create(
            options.org,
            given({
              name: options.name,
              allowed_ips: splitList(options.ips, /,/),
              scopes: splitList(options.scopes, /[\s,]+/),
              expires_at: options.expiresAt,
            }),
            op,
          ),
        SHOWN_ONCE('the token'),
      ),
    );
  tokens
    .command('list')
    .requiredOption(...ORG)
    .addOption(json())
    .action((options: JsonFlag & { org: string }) => run(options, (services) => services.restrictedTokens.list(options.org)));
  tokens
    .command('get')
    .requiredOption(...ORG)
    .requiredOption(...ID)
    .addOption(json())
    .action((options: JsonFlag & { org: string; id: string }) => run(options, (services) => services.restrictedTokens.get(options.org, options.id)));
  tokens
    .command('update')
    .description('change name or allowed IPs')
    .requiredOption(...ORG)
    .requiredOption(...ID)
    .option('--name <name>', 'new name')
    .option('--ips <ips>', 'comma-separated allowed IP addresses or CIDRs')
    .addOption(json())
    .action((options: JsonFlag & { org: string; id: string; name?: string; ips?: string }) =>
      run(options, (services) =>
        services.restrictedTokens.update(options.org, options.id, given({ name: options.name, allowed_ips: splitList(options.ips, /,/) }), op),
      ),
    );
  tokens
    .command('delete')
    .requiredOption(...ORG)
    .requiredOption(...ID)
    .addOption(json())
    .action((options: JsonFlag & { org: string; id: string }) =>
      run(options, (services) => services.restrictedTokens.delete(options.org, options.id, op)),
    );

  const resourceServers = program.command('resource-servers').description('credentials for resource servers (introspection, revocation feed)');
  resourceServers
    .command('create')
    .requiredOption('--name <name>', 'which API this is (1-64 characters)')
    .addOption(json())
    .action((options: JsonFlag & { name: string }) =>
      run(options, (services) => services.resourceServers.create({ name: options.name }, op), SHOWN_ONCE('client_secret')),
    );
  resourceServers
    .command('list')
    .addOption(json())
    .action((options: JsonFlag) => run(options, (services) => services.resourceServers.list()));
  resourceServers
    .command('delete')
    .requiredOption('--id <id>', 'its id or client_id')
    .addOption(json())
    .action((options: JsonFlag & { id: string }) => run(options, (services) => services.resourceServers.delete(options.id, op)));

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

  const exitOverride = (command: Command) => {
    command.exitOverride();
    command.commands.forEach(exitOverride);
  };
  exitOverride(program);
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
      // Help and version requests end here too, with exit code 0. Commander has already
      // explained a usage error on stderr; --json callers get it as a document on stdout too.
      if (wantsJson && error.exitCode !== 0) {
        const description = error.message.replace(/^error: /, '');
        process.stdout.write(`${JSON.stringify({ error: 'invalid_request', error_description: description }, null, 2)}\n`);
      }
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
