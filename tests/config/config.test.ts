import path from 'node:path';
import { buildCatalog, CatalogError, loadCatalog } from '../../config/catalog.js';
import { ConfigError, loadConfig, projectRoot } from '../../config/index.js';

describe('loadConfig', () => {
  it('has documented defaults for every setting', () => {
    expect(loadConfig({})).toEqual({
      nodeEnv: 'development',
      port: 3000,
      host: undefined,
      issuer: 'http://localhost:3000',
      databaseUrl: undefined,
      databasePoolMax: 10,
      workers: 1,
      dataDir: path.resolve('./data'),
      accessTokenTtlSeconds: 3600,
      signingAlg: 'ES256',
      bcryptCost: 12,
      verifiedSecretCacheSeconds: 300,
      keyRefreshIntervalSeconds: 5,
      keyEncryptionSecret: undefined,
      trustProxy: false,
      logLevel: 'info',
      shutdownTimeoutSeconds: 10,
      sessionTtlSeconds: 28800,
      loginMaxFailuresPerAccount: 5,
      loginMaxFailuresPerIp: 20,
      loginFailureWindowSeconds: 900,
      authMaxFailuresPerClient: 10,
      authMaxFailuresPerIp: 100,
      authFailureWindowSeconds: 300,
      rateLimitPerMinute: 600,
      rateLimitMaxPerMinute: 6000,
      redisUrl: undefined,
      metricsToken: undefined,
      usageFlushIntervalMs: 5000,
      apiLogRetentionDays: 30,
      apiLogMaxEventsPerSecond: 100,
      usageRetentionDays: 400,
      defaultMaxApiClients: 3,
      defaultMaxRestrictedTokens: 3,
      catalogFile: path.join(projectRoot, 'config/catalog.json'),
      consoleDir: path.join(projectRoot, 'console/dist'),
    });
  });

  it('derives the issuer from PORT and strips a trailing slash from ISSUER', () => {
    expect(loadConfig({ PORT: '8080' }).issuer).toBe('http://localhost:8080');
    expect(loadConfig({ ISSUER: 'https://auth.example.com/' }).issuer).toBe('https://auth.example.com');
  });

  it.each([
    [{ TRUST_PROXY: 'true' }, true],
    [{ TRUST_PROXY: '2' }, 2],
    [{ TRUST_PROXY: 'loopback, 10.0.0.0/8' }, ['loopback', '10.0.0.0/8']],
    [{ TRUST_PROXY: '' }, false],
  ])('parses TRUST_PROXY %j', (env, expected) => {
    expect(loadConfig(env).trustProxy).toEqual(expected);
  });

  it.each([
    [{ PORT: 'abc' }, 'Invalid configuration: PORT must be a whole number between 0 and 65535 (got "abc")'],
    [{ PORT: '70000' }, 'Invalid configuration: PORT must be at most 65535 (got "70000")'],
    [{ ISSUER: 'ftp://x' }, 'Invalid configuration: ISSUER must be an http(s) URL (got "ftp://x")'],
    [{ ISSUER: 'https://a.example/auth' }, 'Invalid configuration: ISSUER must not have a path, query or fragment (got "https://a.example/auth")'],
    [{ DATABASE_URL: 'mysql://u:p@h/db' }, 'Invalid configuration: DATABASE_URL must be a postgres:// URL'],
    [{ SIGNING_ALG: 'HS256' }, 'Invalid configuration: SIGNING_ALG must be one of ES256, EdDSA, RS256 (got "HS256")'],
    [{ BCRYPT_COST: '3' }, 'Invalid configuration: BCRYPT_COST must be at least 4 (got "3")'],
    [{ ACCESS_TOKEN_TTL_SECONDS: '1.5' }, 'Invalid configuration: ACCESS_TOKEN_TTL_SECONDS must be a whole number between 60 and 86400 (got "1.5")'],
    [{ LOG_LEVEL: 'loud' }, 'Invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")'],
    [{ TRUST_PROXY: 'everyone' }, 'Invalid configuration: TRUST_PROXY must be false, true, a hop count, or a comma-separated list of addresses/CIDRs (got "everyone")'],
    [{ KEY_ENCRYPTION_SECRET: 'short' }, 'Invalid configuration: KEY_ENCRYPTION_SECRET must be at least 32 characters'],
    [{ NODE_ENV: 'production' }, 'Invalid configuration: KEY_ENCRYPTION_SECRET is required when NODE_ENV=production'],
  ])('refuses %j with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(new ConfigError('X', '').constructor as typeof ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('never echoes a database password or secret in its error', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://user:hunter2@host/db' })).toThrow(/^(?!.*hunter2).*$/);
  });
});

describe('catalog', () => {
  it('loads the example catalog and adds the management API resource', () => {
    const catalog = loadCatalog(path.join(projectRoot, 'config/catalog.json'), 'https://auth.example.com');
    expect(catalog.defaultResource).toBe('https://api.example.com');
    expect(catalog.resources.map((resource) => resource.identifier)).toEqual([
      'https://api.example.com',
      'https://reports.example.com',
      'https://auth.example.com/v1',
    ]);
    expect(catalog.scopes.get('credentials:write')).toEqual({
      name: 'credentials:write',
      description: 'Create, edit, rotate, disable and delete credentials',
      restricted: false,
      resource: 'https://auth.example.com/v1',
    });
    expect(catalog.scopes.get('employees:Read')?.restricted).toBe(true);
  });

  it.each([
    [{ defaultResource: 'https://x.example', resources: [] }, 'Invalid catalog: resources Too small: expected array to have >=1 items'],
    [
      { defaultResource: 'https://y.example', resources: [{ identifier: 'https://x.example', name: 'X', scopes: [{ name: 'a:Read', description: 'd' }] }] },
      'Invalid catalog: defaultResource https://y.example is not one of the resources',
    ],
    [
      { defaultResource: 'https://x.example', resources: [{ identifier: 'https://x.example', name: 'X', scopes: [{ name: 'bad scope', description: 'd' }] }] },
      'Invalid catalog: resources.0.scopes.0.name scope names look like resource:Action',
    ],
    [
      {
        defaultResource: 'https://x.example',
        resources: [
          { identifier: 'https://x.example', name: 'X', scopes: [{ name: 'a:Read', description: 'd' }] },
          { identifier: 'https://z.example', name: 'Z', scopes: [{ name: 'a:Read', description: 'd' }] },
        ],
      },
      'Invalid catalog: scope a:Read is listed twice',
    ],
  ])('rejects an invalid catalog with a message naming the problem', (input, message) => {
    expect(() => buildCatalog(input, 'https://auth.example.com')).toThrow(new CatalogError(message));
  });
});
