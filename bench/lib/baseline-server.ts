// The bare oidc-provider baseline (bench/servers/baseline.ts) as a server the whole run shares:
// the baseline scenario measures it on its own, and the token scenarios measure it again right
// before each of their runs (interleaved), so that load coming and going on the host falls on
// both sides of a ratio alike.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { tokenRequests } from './context.js';
import { fetchToken } from './latchkey.js';
import { measureHttp, runAutocannon } from './load.js';
import { freePort, startChild, type ChildServer } from './processes.js';
import type { Measurement } from './stats.js';

export interface BaselineServer {
  server: ChildServer;
  /** One measured run of token requests at `connections`, after a warm-up the first time. */
  measure(connections: number, seconds: number, warmupSeconds: number): Promise<Measurement>;
  stop(): Promise<void>;
}

export async function startBaseline(logDir: string): Promise<BaselineServer> {
  const port = await freePort();
  const client = { client_id: 'baseline-client', client_secret: `lks_${randomBytes(32).toString('base64url')}` };
  const server = await startChild({
    entry: 'bench/servers/baseline.ts',
    env: { NODE_ENV: 'production', PORT: String(port), BASELINE_CLIENT_ID: client.client_id, BASELINE_CLIENT_SECRET: client.client_secret },
    port,
    logFile: path.join(logDir, 'baseline.log'),
  });
  await fetchToken(server.url, client.client_id, client.client_secret);
  const warmed = new Set<number>();
  return {
    server,
    async measure(connections, seconds, warmupSeconds) {
      const load = tokenRequests(server.url, [client], connections);
      if (!warmed.has(connections)) {
        await runAutocannon({ ...load, duration: warmupSeconds });
        warmed.add(connections);
      }
      return measureHttp({ ...load, duration: seconds }, server.pid);
    },
    stop: () => server.stop(),
  };
}
