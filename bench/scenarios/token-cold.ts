// token-cold: the first request of each client, so every request runs bcrypt at the server's
// BCRYPT_COST (default 12) — what a cold verified-secret cache costs (a restart, a new instance).
import { randomBytes } from 'node:crypto';
import { repeat, tokenRequests, type Scenario } from '../lib/context.js';
import { createClient, createLatchkey, fetchToken, insertClients, type SeededClient } from '../lib/latchkey.js';
import { measureHttp, runAutocannon } from '../lib/load.js';
import { loadConfig } from '../../config/index.js';

const CONNECTIONS = 10;

export const tokenCold: Scenario = {
  name: 'token-cold',
  description: 'first token request of fresh clients (bcrypt at BCRYPT_COST on every request), 10 connections',
  async run(context) {
    const { coldClients, runs } = context.options;
    const latchkey = await createLatchkey({ embedded: false, logDir: context.options.logDir, name: 'token-cold' });
    try {
      const cost = loadConfig(latchkey.env).bcryptCost;
      const secret = `lks_${randomBytes(32).toString('base64url')}`;
      // autocannon may prepare a request per connection beyond `amount`: never reuse a client.
      const perRun = coldClients + CONNECTIONS;
      const warm = await latchkey.seed(async (services, knex) => {
        const warm = await createClient(services);
        // One hash shared by the fresh clients (computing thousands at cost 12 would take minutes);
        // the verified-secret record is per client, so each one's first request still runs bcrypt.
        await insertClients(knex, { count: perRun * runs, orgIds: [warm.org_id], prefix: 'lkc_bench_cold_', secret, cost });
        return warm;
      });
      const server = await latchkey.start();
      await fetchToken(server.url, warm.client_id, warm.client_secret);
      await runAutocannon({ ...tokenRequests(server.url, [warm], CONNECTIONS), duration: context.options.warmupSeconds });
      const measured = await repeat(context, 'token-cold', (run) => {
        const fresh: SeededClient[] = Array.from({ length: perRun }, (_, i) => ({
          org_id: warm.org_id,
          client_id: `lkc_bench_cold_${run * perRun + i}`,
          client_secret: secret,
        }));
        return measureHttp({ ...tokenRequests(server.url, fresh, CONNECTIONS), amount: coldClients, timeout: 30 }, server.pid);
      });
      return [
        {
          key: 'token-cold/10c',
          scenario: 'token-cold',
          label: `token-cold, ${coldClients} fresh clients once each (bcrypt cost ${cost}), ${CONNECTIONS} connections`,
          runs: measured,
          reference: 'token-warm/1-client/10c',
        },
      ];
    } finally {
      await latchkey.dispose();
    }
  },
};
