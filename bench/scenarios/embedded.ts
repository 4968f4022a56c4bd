// embedded: token-warm (one client) on the embedded PostgreSQL (PGlite) in a fresh DATA_DIR, the
// database `npm start` uses when DATABASE_URL is unset. Always one process: the embedded database
// belongs to one, so --workers does not apply here.
import { repeatInterleaved, tokenRequests, type Scenario } from '../lib/context.js';
import { createClient, createLatchkey, fetchToken } from '../lib/latchkey.js';
import { measureHttp, runAutocannon } from '../lib/load.js';

const CONNECTIONS = 10;

export const embedded: Scenario = {
  name: 'embedded',
  description: 'token-warm, one client, 10 connections, on the embedded database (PGlite in DATA_DIR)',
  async run(context) {
    const latchkey = await createLatchkey({ embedded: true, logDir: context.options.logDir, name: 'embedded', env: {} });
    try {
      const client = await latchkey.seed((services) => createClient(services));
      const server = await latchkey.start();
      await fetchToken(server.url, client.client_id, client.client_secret);
      const load = tokenRequests(server.url, [client], CONNECTIONS);
      await runAutocannon({ ...load, duration: context.options.warmupSeconds });
      const label = `embedded database, one client, ${CONNECTIONS} connections`;
      const { runs, referenceRuns } = await repeatInterleaved(context, label, CONNECTIONS, () =>
        measureHttp({ ...load, duration: context.options.seconds }, server.pid),
      );
      return [{ key: 'embedded/1-client/10c', scenario: 'embedded', label, runs, reference: 'baseline/10c', referenceRuns }];
    } finally {
      await latchkey.dispose();
    }
  },
};
