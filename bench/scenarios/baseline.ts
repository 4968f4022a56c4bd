// baseline: a bare oidc-provider with a static in-memory client (bench/servers/baseline.ts), the
// reference every token row is divided by. Measured in the same run as Latchkey.
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { repeat, tokenRequests, type Scenario } from '../lib/context.js';
import { fetchToken } from '../lib/latchkey.js';
import { measureHttp, runAutocannon } from '../lib/load.js';
import { freePort, startChild } from '../lib/processes.js';
import type { ResultRow } from '../lib/stats.js';

export const CONNECTIONS = [10, 100];

export const baseline: Scenario = {
  name: 'baseline',
  description: 'bare oidc-provider 9, static in-memory client, plain secret compare, ES256 at+jwt, Express 5',
  async run(context) {
    const port = await freePort();
    const client = { client_id: 'baseline-client', client_secret: `lks_${randomBytes(32).toString('base64url')}` };
    const server = await startChild({
      entry: 'bench/servers/baseline.ts',
      env: { NODE_ENV: 'production', PORT: String(port), BASELINE_CLIENT_ID: client.client_id, BASELINE_CLIENT_SECRET: client.client_secret },
      port,
      logFile: path.join(context.options.logDir, 'baseline.log'),
    });
    try {
      await fetchToken(server.url, client.client_id, client.client_secret);
      const rows: ResultRow[] = [];
      for (const connections of CONNECTIONS) {
        const load = tokenRequests(server.url, [client], connections);
        await runAutocannon({ ...load, duration: context.options.warmupSeconds });
        const runs = await repeat(context, `baseline ${connections}c`, () => measureHttp({ ...load, duration: context.options.seconds }, server.pid));
        rows.push({ key: `baseline/${connections}c`, scenario: 'baseline', label: `baseline, ${connections} connections`, runs });
      }
      return rows;
    } finally {
      await server.stop();
    }
  },
};
