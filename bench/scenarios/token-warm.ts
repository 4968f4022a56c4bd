// token-warm: Latchkey on a fresh PostgreSQL database with its default features (bcrypt-hashed
// secrets, audit, usage counting, rate limiting with a limit never reached, request logs, metrics),
// clients already verified once; one client, and 1,000 clients in round robin.
import { randomBytes } from 'node:crypto';
import { repeatInterleaved, tokenRequests, type ScenarioContext, type Scenario } from '../lib/context.js';
import { createClient, createLatchkey, fetchToken, insertClients, readMetrics, serverNote, type SeededClient } from '../lib/latchkey.js';
import { measureHttp, runAutocannon } from '../lib/load.js';
import type { ResultRow } from '../lib/stats.js';
import { CONNECTIONS } from './baseline.js';

export const ROUND_ROBIN_CLIENTS = 1000;

/** Server settings of the token scenarios; --workers asks for N worker processes. */
export function tokenServerEnv(context: ScenarioContext): Record<string, string> {
  return {
    ...(context.options.workers !== undefined ? { WORKERS: String(context.options.workers) } : {}),
  };
}

export const workersSuffix = (context: ScenarioContext) =>
  context.options.workers !== undefined ? `, ${context.options.workers} workers` : '';

export const tokenWarm: Scenario = {
  name: 'token-warm',
  description: 'Latchkey on PostgreSQL, warm clients: one client and 1,000 in round robin, 10 and 100 connections',
  async run(context) {
    const latchkey = await createLatchkey({ embedded: false, logDir: context.options.logDir, name: 'token-warm', env: tokenServerEnv(context) });
    try {
      const secret = `lks_${randomBytes(32).toString('base64url')}`;
      const { one, many } = await latchkey.seed(async (services, knex) => {
        const one = await createClient(services);
        // Round-robin clients: bcrypt cost 4 keeps the warm-up (one bcrypt check per client) short;
        // warm requests never run bcrypt, whatever the cost.
        await insertClients(knex, { count: ROUND_ROBIN_CLIENTS, orgIds: [one.org_id], prefix: 'lkc_bench_rr_', secret, cost: 4 });
        const many: SeededClient[] = Array.from({ length: ROUND_ROBIN_CLIENTS }, (_, i) => ({ org_id: one.org_id, client_id: `lkc_bench_rr_${i}`, client_secret: secret }));
        return { one, many };
      });
      const server = await latchkey.start();
      await fetchToken(server.url, one.client_id, one.client_secret);
      const rows: ResultRow[] = [];
      for (const [name, clients] of [
        ['1-client', [one]],
        [`${ROUND_ROBIN_CLIENTS}-clients`, many],
      ] as const) {
        // Every client verified once, then load to warm the JIT and the pools.
        await runAutocannon({ ...tokenRequests(server.url, clients, 10), amount: Math.max(10, clients.length) });
        for (const connections of CONNECTIONS) {
          const load = tokenRequests(server.url, clients, connections);
          await runAutocannon({ ...load, duration: context.options.warmupSeconds });
          const label = `token-warm, ${name === '1-client' ? 'one client' : `${ROUND_ROBIN_CLIENTS} clients round robin`}, ${connections} connections${workersSuffix(context)}`;
          const before = await readMetrics(server.url);
          const { runs, referenceRuns } = await repeatInterleaved(context, label, connections, () =>
            measureHttp({ ...load, duration: context.options.seconds }, server.pid),
          );
          const note = await serverNote(server.url, before);
          rows.push({ key: `token-warm/${name}/${connections}c`, scenario: 'token-warm', label, runs, reference: `baseline/${connections}c`, referenceRuns, note });
        }
      }
      return rows;
    } finally {
      await latchkey.dispose();
    }
  },
};
