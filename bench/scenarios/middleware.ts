// middleware verify: the latchkey/express middleware verifying JWTs locally, against plain
// jose.jwtVerify with a local JWKS of the same keys, each in its own process
// (bench/servers/verify-loop.ts), driven by the same in-process loop, their runs alternating.
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
      const input = {
        issuer: latchkey.issuer,
        audience: 'https://api.example.com',
        tokens,
        resourceServer: { clientId: resourceServer.client_id, clientSecret: resourceServer.client_secret },
        runs: 1,
        seconds: context.options.seconds,
        warmupSeconds: context.options.warmupSeconds,
        concurrency: CONCURRENCY,
      };
      const modes = ['jose', 'latchkey'] as const;
      const labels = {
        jose: `plain jose.jwtVerify, local JWKS, ${CONCURRENCY} concurrent`,
        latchkey: `latchkey/express authenticate(), ${CONCURRENCY} concurrent`,
      };
      const runs: Record<(typeof modes)[number], Measurement[]> = { jose: [], latchkey: [] };
      // The two sides alternate, a fresh process per run: a burst of other work on this host
      // then lands on one run of each rather than on every run of one side.
      for (let run = 0; run < context.options.runs; run++) {
        for (const mode of modes) {
          const [result] = await runVerifyLoop({ ...input, mode });
          if (!result) throw new Error(`verify loop (${mode}) returned no run`);
          runs[mode].push(result);
          context.log(`  ${labels[mode]} run ${run + 1}/${context.options.runs}: ${Math.round(result.requestsPerSecond)} verifications/s, p99 ${result.p99Ms.toFixed(2)} ms, ${result.errors} errors, RSS ${Math.round(result.peakRssMb)} MB`);
        }
      }
      const rows: ResultRow[] = [
        { key: 'middleware/jose', scenario: 'middleware', label: labels.jose, runs: runs.jose },
        { key: 'middleware/latchkey', scenario: 'middleware', label: labels.latchkey, runs: runs.latchkey, reference: 'middleware/jose' },
      ];
      return rows;
    } finally {
      await latchkey.dispose();
    }
  },
};
