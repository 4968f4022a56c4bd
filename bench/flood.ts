// Benchmark (not a test): can a flood of wrong secrets for a valid client_id take the token
// endpoint away from that client? Measures the legitimate client's success rate and p99 latency
// on an idle server, then while a flood runs against the same client_id from the same host, in
// the same run, and prints the ratio. Target: 100% success and p99 at most 3x idle.
//
//   npm run bench:flood            (embedded database; TEST_DATABASE_URL selects PostgreSQL)
//
// The server, the flood and the legitimate client each run in a process of their own, as they
// would in production (the flood is another host's traffic; only the CPU is shared).
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { projectRoot } from '../config/index.js';
import { basic } from '../tests/helpers/oauth.js';
import { runCli, spawnServer } from '../tests/helpers/processes.js';
import { freePort, testEnv } from '../tests/helpers/server.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/** The same run in a child process (bench/load.ts). */
function runElsewhere(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(projectRoot, 'bench/load.ts'), JSON.stringify(options)],
      { cwd: projectRoot, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout) as autocannon.Result)),
    );
  });
}

const port = await freePort();
// Rate limits off the path: this measures brute-force protection, not the client's own allowance.
const env = testEnv(port, {
  LOG_LEVEL: 'warn',
  BCRYPT_COST: '10',
  RATE_LIMIT_PER_MINUTE: '1000000',
  RATE_LIMIT_MAX_PER_MINUTE: '1000000',
  ...(process.env.TEST_DATABASE_URL ? { DATABASE_URL: process.env.TEST_DATABASE_URL } : {}),
});
const server = await spawnServer(env);
try {
  const cli = async (args: string[]) => {
    const result = await runCli([...args, '--json'], env);
    if (result.code !== 0) throw new Error(`latchkey ${args.join(' ')} failed: ${result.stderr}`);
    return result.json as Record<string, string>;
  };
  const org = await cli(['orgs', 'create', '--name', 'Flood bench']);
  const client = await cli(['clients', 'create', '--org', org.id as string, '--name', 'Legitimate', '--scopes', 'payroll:Read']);
  const request = (secret: string): autocannon.Options => ({
    url: `${server.url}/oauth/token`,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client.client_id as string, secret) },
    body: 'grant_type=client_credentials',
    duration: SECONDS,
  });
  // A legitimate integration: a few connections, a steady request rate.
  const legit = { ...request(client.client_secret as string), connections: 2, overallRate: 100 };

  await run({ ...legit, duration: 2 }); // warm-up: the secret is verified once and remembered
  const idle = await run(legit);
  const [underFlood, flood] = await Promise.all([
    run(legit),
    // At least 1,000 wrong-secret requests per second, as the target asks; more would only measure CPU saturation.
    runElsewhere({ ...request('lks_wrong-secret-for-a-valid-client-id-0000000000'), connections: 20, overallRate: Number(process.env.FLOOD_RATE ?? 1200) }),
  ]);

  const success = (result: autocannon.Result) => result['2xx'] / Math.max(1, result.requests.total);
  const rows = [
    ['machine', `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${env.DATABASE_URL ? 'PostgreSQL' : 'embedded database'}`],
    ['legitimate client, idle', `${(success(idle) * 100).toFixed(2)}% ok, p99 ${idle.latency.p99} ms, ${idle.requests.average} req/s`],
    ['legitimate client, under flood', `${(success(underFlood) * 100).toFixed(2)}% ok, p99 ${underFlood.latency.p99} ms, ${underFlood.requests.average} req/s`],
    ['flood (wrong secrets)', `${flood.requests.average} req/s, ${flood['4xx']} refused (401/429), ${flood.non2xx - flood['4xx']} other`],
    ['p99 ratio (flood / idle)', `${(underFlood.latency.p99 / Math.max(1, idle.latency.p99)).toFixed(2)}x (target <= 3x)`],
  ];
  for (const [name, value] of rows) process.stdout.write(`${(name ?? '').padEnd(32)} ${value}\n`);
} finally {
  await server.stop();
}
