// Every setting Latchkey reads, in one typed and validated place. This is the only module that
// reads process.env; everything else receives a Config.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The directory holding package.json, whether we run from sources or from dist/. */
export const projectRoot = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) {
    dir = path.dirname(dir);
  }
  return dir;
})();

const signingAlgorithms = ['ES256', 'EdDSA', 'RS256'] as const;
export type SigningAlgorithm = (typeof signingAlgorithms)[number];

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

export type TrustProxy = boolean | number | string[];

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number between ${min} and ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

/**
 * Each variable: its schema, its default (as the string a user would type) and a one-line
 * description. The README's configuration table is written from this list.
 */
export const settings = {
  NODE_ENV: {
    schema: z.enum(['development', 'production', 'test']),
    default: 'development',
    description: 'production makes KEY_ENCRYPTION_SECRET mandatory',
  },
  PORT: { schema: integer(0, 65535), default: '3000', description: 'HTTP port to listen on' },
  HOST: {
    schema: optionalString,
    default: undefined,
    description: 'interface to bind (unset: all interfaces)',
  },
  ISSUER: {
    schema: optionalString.pipe(
      z
        .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
        // Routes are served at the root of the issuer; a path would need RFC 8414 path-aware
        // discovery, which this server does not offer.
        .refine((value) => { const url = new URL(value); return !/[?#]/.test(value) && (url.pathname === '/' || url.pathname === ''); }, 'must not have a path, query or fragment')
        .transform((value) => value.replace(/\/+$/, ''))
        .optional(),
    ),
    default: undefined,
    description: 'public base URL of this server, the `iss` of every token (default http://localhost:PORT)',
  },
  DATABASE_URL: {
    schema: optionalString.pipe(
      z
        .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' })
        .optional(),
    ),
    default: undefined,
    description: 'PostgreSQL connection string; unset uses the embedded database in DATA_DIR',
  },
  DATABASE_POOL_MAX: {
    schema: integer(1, 200),
    default: '10',
    description: 'maximum PostgreSQL connections per process',
  },
  WORKERS: {
    schema: integer(1, 64),
    default: '1',
    description: 'server processes sharing the port (node:cluster); more than 1 needs DATABASE_URL',
  },
  DATA_DIR: {
    schema: z.string().trim().min(1, 'must not be empty'),
    default: './data',
    description: 'where the embedded database and generated local secrets live',
  },
  ACCESS_TOKEN_TTL_SECONDS: {
    schema: integer(60, 86400),
    default: '3600',
    description: 'lifetime of issued access tokens (never beyond the client expiry)',
  },
  SIGNING_ALG: {
    schema: z.enum(signingAlgorithms, { error: `must be one of ${signingAlgorithms.join(', ')}` }),
    default: 'ES256',
    description: 'JWS algorithm of access tokens: ES256, EdDSA or RS256',
  },
  BCRYPT_COST: {
    schema: integer(4, 15),
    default: '12',
    description: 'bcrypt work factor for stored client secrets',
  },
  VERIFIED_SECRET_CACHE_SECONDS: {
    schema: integer(0, 3600),
    default: '300',
    description: 'how long a successful secret check is remembered in memory (0 disables)',
  },
  KEY_REFRESH_INTERVAL_SECONDS: {
    schema: integer(1, 3600),
    default: '5',
    description: 'how often a running server looks for rotated signing keys',
  },
  KEY_ENCRYPTION_SECRET: {
    schema: optionalString.pipe(
      z.string().min(32, 'must be at least 32 characters').optional(),
    ),
    default: undefined,
    description:
      'encrypts signing keys at rest; required in production, else generated into DATA_DIR',
  },
  TRUST_PROXY: {
    schema: z
      .string()
      .trim()
      .transform((value, ctx): TrustProxy => {
        if (value === '' || value === 'false') return false;
        if (value === 'true') return true;
        if (/^\d+$/.test(value)) return Number(value);
        const entries = value.split(',').map((entry) => entry.trim());
        if (entries.some((entry) => !/^[0-9a-fA-F.:/]+$|^(loopback|linklocal|uniquelocal)$/.test(entry))) {
          ctx.addIssue({
            code: 'custom',
            message: 'must be false, true, a hop count, or a comma-separated list of addresses/CIDRs',
          });
          return z.NEVER;
        }
        return entries;
      }),
    default: 'false',
    description: 'which proxies may set X-Forwarded-For/-Proto (Express "trust proxy" syntax); decides the client IP in logs',
  },
  LOG_LEVEL: {
    schema: z.enum(logLevels, { error: `must be one of ${logLevels.join(', ')}` }),
    default: 'info',
    description: 'pino log level',
  },
  SHUTDOWN_TIMEOUT_SECONDS: {
    schema: integer(1, 300),
    default: '10',
    description: 'how long SIGTERM waits for in-flight requests before closing anyway',
  },
  SESSION_TTL_SECONDS: {
    schema: integer(300, 604800),
    default: '28800',
    description: 'lifetime of a console session cookie',
  },
  LOGIN_MAX_FAILURES_PER_ACCOUNT: {
    schema: integer(1, 1000),
    default: '5',
    description: 'failed logins per email within the window before further attempts get 429',
  },
  LOGIN_MAX_FAILURES_PER_IP: {
    schema: integer(1, 10000),
    default: '20',
    description: 'failed logins per client IP within the window before further attempts get 429',
  },
  LOGIN_FAILURE_WINDOW_SECONDS: {
    schema: integer(10, 86400),
    default: '900',
    description: 'how long failed logins count against an account or IP',
  },
  AUTH_MAX_FAILURES_PER_CLIENT: {
    schema: integer(1, 100000),
    default: '10',
    description: 'failed secret checks per client_id within the window before further unverified attempts get 429',
  },
  AUTH_MAX_FAILURES_PER_IP: {
    schema: integer(1, 1000000),
    default: '100',
    description: 'failed secret checks per source IP within the window before further unverified attempts get 429',
  },
  AUTH_FAILURE_WINDOW_SECONDS: {
    schema: integer(10, 86400),
    default: '300',
    description: 'how long failed client authentications count against a client_id or IP',
  },
  RATE_LIMIT_PER_MINUTE: {
    schema: integer(1, 1000000),
    default: '600',
    description: 'token requests and introspections per API client per minute, unless the client has its own limit',
  },
  RATE_LIMIT_MAX_PER_MINUTE: {
    schema: integer(1, 1000000),
    default: '6000',
    description: 'the highest per-client limit an organization admin may set',
  },
  REDIS_URL: {
    schema: optionalString.pipe(z.url({ protocol: /^rediss?$/, error: 'must be a redis:// URL' }).optional()),
    default: undefined,
    description: 'Redis for counters shared by every instance (login and authentication throttling); unset: per process',
  },
  METRICS_TOKEN: {
    schema: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
    default: undefined,
    description: 'bearer token that GET /metrics requires; unset disables /metrics',
  },
  USAGE_FLUSH_INTERVAL_MS: {
    schema: integer(100, 60000),
    default: '5000',
    description: 'how often usage counts and API log rows are written (at most this much is lost in a crash)',
  },
  API_LOG_RETENTION_DAYS: {
    schema: integer(1, 3650),
    default: '30',
    description: 'days an API log row is kept before the background pruning deletes it',
  },
  API_LOG_MAX_EVENTS_PER_SECOND: {
    schema: integer(1, 1000000),
    default: '100',
    description: 'API log rows written per credential per second; beyond it events are counted in usage only',
  },
  USAGE_RETENTION_DAYS: {
    schema: integer(1, 3650),
    default: '400',
    description: 'days hourly usage buckets are kept',
  },
  DEFAULT_MAX_API_CLIENTS: {
    schema: integer(0, 100000),
    default: '3',
    description: 'active API clients an organization may hold (0 = unlimited; per-org override with orgs set-limit)',
  },
  DEFAULT_MAX_RESTRICTED_TOKENS: {
    schema: integer(0, 100000),
    default: '3',
    description: 'restricted access tokens an organization may hold (0 = unlimited; per-org override)',
  },
  CATALOG_FILE: {
    schema: z.string().trim().min(1),
    default: 'config/catalog.json',
    description: 'API resources and scope catalog (relative paths from the project root)',
  },
  CONSOLE_DIR: {
    schema: z.string().trim().min(1),
    default: 'console/dist',
    description: 'the built web console served at /console (relative paths from the project root)',
  },
} as const;

type Settings = typeof settings;
type Parsed = { [K in keyof Settings]: z.output<Settings[K]['schema']> };

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string | undefined;
  issuer: string;
  databaseUrl: string | undefined;
  databasePoolMax: number;
  workers: number;
  dataDir: string;
  accessTokenTtlSeconds: number;
  signingAlg: SigningAlgorithm;
  bcryptCost: number;
  verifiedSecretCacheSeconds: number;
  keyRefreshIntervalSeconds: number;
  keyEncryptionSecret: string | undefined;
  trustProxy: TrustProxy;
  logLevel: LogLevel;
  shutdownTimeoutSeconds: number;
  sessionTtlSeconds: number;
  loginMaxFailuresPerAccount: number;
  loginMaxFailuresPerIp: number;
  loginFailureWindowSeconds: number;
  authMaxFailuresPerClient: number;
  authMaxFailuresPerIp: number;
  authFailureWindowSeconds: number;
  rateLimitPerMinute: number;
  rateLimitMaxPerMinute: number;
  redisUrl: string | undefined;
  metricsToken: string | undefined;
  usageFlushIntervalMs: number;
  apiLogRetentionDays: number;
  apiLogMaxEventsPerSecond: number;
  usageRetentionDays: number;
  defaultMaxApiClients: number;
  defaultMaxRestrictedTokens: number;
  catalogFile: string;
  consoleDir: string;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`Invalid configuration: ${variable} ${detail}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws a ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(settings)) {
    const raw = env[name] ?? setting.default;
    const result = (setting.schema as z.ZodType).safeParse(raw ?? '');
    if (!result.success) {
      const issue = result.error.issues[0];
      const shown = /(SECRET|_TOKEN|_URL)$/.test(name) ? '' : ` (got ${JSON.stringify(raw)})`;
      throw new ConfigError(name, `${issue?.message ?? 'is invalid'}${shown}`);
    }
    parsed[name] = result.data;
  }
  const values = parsed as Parsed;

  if (values.RATE_LIMIT_PER_MINUTE > values.RATE_LIMIT_MAX_PER_MINUTE) {
    throw new ConfigError('RATE_LIMIT_PER_MINUTE', `must not exceed RATE_LIMIT_MAX_PER_MINUTE (${values.RATE_LIMIT_MAX_PER_MINUTE})`);
  }
  if (values.WORKERS > 1 && !values.DATABASE_URL) {
    throw new ConfigError('WORKERS', 'above 1 needs DATABASE_URL: the embedded database belongs to one process');
  }
  if (values.NODE_ENV === 'production' && !values.KEY_ENCRYPTION_SECRET) {
    throw new ConfigError('KEY_ENCRYPTION_SECRET', 'is required when NODE_ENV=production');
  }

  return {
    nodeEnv: values.NODE_ENV,
    port: values.PORT,
    host: values.HOST,
    issuer: values.ISSUER ?? `http://localhost:${values.PORT}`,
    databaseUrl: values.DATABASE_URL,
    databasePoolMax: values.DATABASE_POOL_MAX,
    workers: values.WORKERS,
    dataDir: path.resolve(values.DATA_DIR),
    accessTokenTtlSeconds: values.ACCESS_TOKEN_TTL_SECONDS,
    signingAlg: values.SIGNING_ALG,
    bcryptCost: values.BCRYPT_COST,
    verifiedSecretCacheSeconds: values.VERIFIED_SECRET_CACHE_SECONDS,
    keyRefreshIntervalSeconds: values.KEY_REFRESH_INTERVAL_SECONDS,
    keyEncryptionSecret: values.KEY_ENCRYPTION_SECRET,
    trustProxy: values.TRUST_PROXY,
    logLevel: values.LOG_LEVEL,
    shutdownTimeoutSeconds: values.SHUTDOWN_TIMEOUT_SECONDS,
    sessionTtlSeconds: values.SESSION_TTL_SECONDS,
    loginMaxFailuresPerAccount: values.LOGIN_MAX_FAILURES_PER_ACCOUNT,
    loginMaxFailuresPerIp: values.LOGIN_MAX_FAILURES_PER_IP,
    loginFailureWindowSeconds: values.LOGIN_FAILURE_WINDOW_SECONDS,
    authMaxFailuresPerClient: values.AUTH_MAX_FAILURES_PER_CLIENT,
    authMaxFailuresPerIp: values.AUTH_MAX_FAILURES_PER_IP,
    authFailureWindowSeconds: values.AUTH_FAILURE_WINDOW_SECONDS,
    rateLimitPerMinute: values.RATE_LIMIT_PER_MINUTE,
    rateLimitMaxPerMinute: values.RATE_LIMIT_MAX_PER_MINUTE,
    redisUrl: values.REDIS_URL,
    metricsToken: values.METRICS_TOKEN,
    usageFlushIntervalMs: values.USAGE_FLUSH_INTERVAL_MS,
    apiLogRetentionDays: values.API_LOG_RETENTION_DAYS,
    apiLogMaxEventsPerSecond: values.API_LOG_MAX_EVENTS_PER_SECOND,
    usageRetentionDays: values.USAGE_RETENTION_DAYS,
    defaultMaxApiClients: values.DEFAULT_MAX_API_CLIENTS,
    defaultMaxRestrictedTokens: values.DEFAULT_MAX_RESTRICTED_TOKENS,
    catalogFile: path.resolve(projectRoot, values.CATALOG_FILE),
    consoleDir: path.resolve(projectRoot, values.CONSOLE_DIR),
  };
}
