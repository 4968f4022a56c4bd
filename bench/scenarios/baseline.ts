// baseline: a bare oidc-provider with a static in-memory client (bench/servers/baseline.ts), the
// reference every token row is divided by. The same server is measured again, interleaved, right
// before each token-warm and embedded run (bench/lib/baseline-server.ts).
import { repeat, type Scenario } from '../lib/context.js';
import type { ResultRow } from '../lib/stats.js';

export const CONNECTIONS = [10, 100];

export const baseline: Scenario = {
  name: 'baseline',
  description: 'bare oidc-provider 9, static in-memory client, plain secret compare, ES256 at+jwt, Express 5',
  async run(context) {
    const server = await context.baseline();
    const rows: ResultRow[] = [];
    for (const connections of CONNECTIONS) {
      const runs = await repeat(context, `baseline ${connections}c`, () =>
        server.measure(connections, context.options.seconds, context.options.warmupSeconds),
      );
      rows.push({ key: `baseline/${connections}c`, scenario: 'baseline', label: `baseline, ${connections} connections`, runs });
    }
    return rows;
  },
};
