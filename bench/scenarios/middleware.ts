// middleware verify: the latchkey/express middleware verifying JWTs locally, against plain
// jose.jwtVerify with a local JWKS of the same keys, each in its own process
// (bench/servers/verify-loop.ts), driven by the same in-process loop.
import { execFile } from 'node:child_process';
import { projectRoot } from '../../config/index.js';
import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';
import type { Scenario } from '../lib/context.js';
import { nodeArguments } from '../lib/processes.js';
import { createClient, createLatchkey, fetchToken } from '../lib/latchkey.js';
import type { Measurement, ResultRow } from '../lib/stats.js';

const CONCURRENCY = 10;
const TOKENS = 50;

function runVerifyLoop(input: Record<string, unknown>): Promise<Measurement[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      nodeArguments('bench/servers/verify-loop.ts'),
      { cwd: projectRoot, env: { ...process.env, BENCH_VERIFY_INPUT: JSON.stringify(input) }, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`verify loop (${String(input.mode)}) failed: ${stderr}`));
        try {
          resolve(JSON.parse(stdout.trim().split('\n').pop() as string) as Measurement[]);
        } catch {
          reject(new Error(`verify loop (${String(input.mode)}) printed no result: ${stdout}${stderr}`));
        }
      },
    );
  });
}

export const middleware: Scenario = {
  name: 'middleware',
  description: 'latchkey/express verifying JWTs locally vs plain jose.jwtVerify, in-process loop, 10 concurrent',
  async run(context) {
    const latchkey = await createLatchkey({ embedded: false, logDir: context.options.logDir, name: 'middleware' });
    try {
      const { client, resourceServer } = await latchkey.seed(async (services) => ({
        client: await createClient(services),
        resourceServer: await services.resourceServers.create({ name: 'Bench API' }, OPERATOR_CONTEXT),
      }));
      const server = await latchkey.start();
      const tokens: string[] = [];
      for (let i = 0; i < TOKENS; i++) tokens.push(await fetchToken(server.url, client.client_id, client.client_secret));
      const rows: ResultRow[] = [];
      for (const mode of ['jose', 'latchkey'] as const) {
        const runs = await runVerifyLoop({
          mode,
          issuer: latchkey.issuer,
          audience: 'https://api.example.com',
          tokens,
          resourceServer: { clientId: resourceServer.client_id, clientSecret: resourceServer.client_secret },
          runs: context.options.runs,
          seconds: context.options.seconds,
          warmupSeconds: context.options.warmupSeconds,
          concurrency: CONCURRENCY,
        });
        const label = mode === 'jose' ? `plain jose.jwtVerify, local JWKS, ${CONCURRENCY} concurrent` : `latchkey/express authenticate(), ${CONCURRENCY} concurrent`;
        runs.forEach((run, i) => context.log(`  ${label} run ${i + 1}/${runs.length}: ${Math.round(run.requestsPerSecond)} verifications/s, p99 ${run.p99Ms.toFixed(2)} ms, ${run.errors} errors`));
        rows.push({
          key: `middleware/${mode}`,
          scenario: 'middleware',
          label,
          runs,
          ...(mode === 'latchkey' ? { reference: 'middleware/jose' } : {}),
        });
      }
      return rows;
    } finally {
      await latchkey.dispose();
    }
  },
};
