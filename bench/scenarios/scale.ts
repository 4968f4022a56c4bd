// scale: token-warm (one client, 10 connections) with 100,000 API clients in the database, and one
// filtered page of the audit log (GET /v1/orgs/:org/audit-events) over 1,000,000 audit events.
// Rows are bulk-inserted in SQL; the measured client is created as the CLI creates it. Its
// reference, "within 10% of one client", is a second Latchkey whose database holds that one
// client only, measured right before each run (interleaved), so that the machine's drift between
// the token-warm scenario and this one does not enter the ratio.
import { randomBytes } from 'node:crypto';
import { repeat, repeatAgainst, tokenRequests, type Scenario } from '../lib/context.js';
import { createClient, createLatchkey, fetchToken, insertClients, insertOrgs } from '../lib/latchkey.js';
import { measureHttp, measureLoop, runAutocannon } from '../lib/load.js';
import type { ResultRow } from '../lib/stats.js';
import { tokenServerEnv, workersSuffix } from './token-warm.js';

const CONNECTIONS = 10;
const FILLER_ORGS = 1000;
const AUDIT_ACTIONS = ['client.created', 'client.updated', 'client.secret_rotated', 'client.disabled', 'token.created', 'token.updated', 'member.added'];

export const scale: Scenario = {
  name: 'scale',
  description: 'token-warm with 100,000 API clients in the database; a filtered audit page over 1,000,000 events (p95)',
  async run(context) {
    const { scaleClients, auditEvents } = context.options;
    const latchkey = await createLatchkey({ embedded: false, logDir: context.options.logDir, name: 'scale', env: tokenServerEnv(context) });
    try {
      const started = Date.now();
      const { client, auditor } = await latchkey.seed(async (services, knex) => {
        const client = await createClient(services);
        const auditor = await createClient(services, { name: 'Bench auditor', scopes: ['audit:read'], allowed_origins: [] }, client.org_id);
        const orgIds = await insertOrgs(knex, FILLER_ORGS);
        // Filler clients: a cheap hash (cost 4); they are never requested.
        await insertClients(knex, { count: scaleClients - 2, orgIds, prefix: 'lkc_bench_fill_', secret: `lks_${randomBytes(32).toString('base64url')}`, cost: 4 });
        // Half of the events in the measured organization, one every 5 seconds back from now
        // (about 58 days for a million), seven actions and a hundred actors in turn. Inserts only:
        // the audit table refuses updates and deletes.
        await knex.raw(
          `insert into audit_events (org_id, at, action, actor_type, actor_id, actor_name, target_type, target_id, target_name, ip, user_agent, metadata)
           select case when i % 2 = 0 then ?::uuid else (?::uuid[])[1 + i % ?] end,
                  now() - i * interval '5 seconds',
                  (?::text[])[1 + i % 7],
                  'user', 'bench-user-' || (i % 100), 'Bench user ' || (i % 100),
                  'api_client', md5(i::text), 'Client ' || i,
                  '203.0.113.' || (i % 250), 'latchkey-bench', '{"bench": true}'::jsonb
           from generate_series(1, ?::int) as i`,
          [client.org_id, orgIds, orgIds.length, AUDIT_ACTIONS, auditEvents],
        );
        return { client, auditor };
      });
      // Settle the bulk load before measuring: statistics, visibility map, and the WAL flushed
      // (a checkpoint needs a superuser or pg_checkpoint; without one the first run may be slower).
      await latchkey.seed(async (_services, knex) => {
        await knex.raw('vacuum analyze');
        await knex.raw('checkpoint').catch(() => undefined);
      });
      context.log(`  scale: seeded ${scaleClients.toLocaleString('en-US')} clients and ${auditEvents.toLocaleString('en-US')} audit events in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      const server = await latchkey.start();
      const rows: ResultRow[] = [];

      // The reference: the same load on a database with one client.
      const small = await createLatchkey({ embedded: false, logDir: context.options.logDir, name: 'scale-reference', env: tokenServerEnv(context) });
      try {
        const only = await small.seed((services) => createClient(services));
        const smallServer = await small.start();
        const reference = tokenRequests(smallServer.url, [only], CONNECTIONS);
        const load = tokenRequests(server.url, [client], CONNECTIONS);
        for (const [url, one, options] of [
          [smallServer.url, only, reference],
          [server.url, client, load],
        ] as const) {
          await fetchToken(url, one.client_id, one.client_secret);
          await runAutocannon({ ...options, duration: context.options.warmupSeconds });
        }
        const clientsLabel = `scale: token-warm with ${scaleClients.toLocaleString('en-US')} clients in the database, ${CONNECTIONS} connections${workersSuffix(context)}`;
        const { runs, referenceRuns } = await repeatAgainst(
          context,
          clientsLabel,
          { label: 'one client in the database', measure: () => measureHttp({ ...reference, duration: context.options.seconds }, smallServer.pid) },
          () => measureHttp({ ...load, duration: context.options.seconds }, server.pid),
        );
        rows.push({ key: 'scale/100k-clients/10c', scenario: 'scale', label: clientsLabel, runs, reference: 'token-warm/1-client/10c', referenceRuns });
      } finally {
        await small.dispose();
      }

      const management = await fetchToken(server.url, auditor.client_id, auditor.client_secret, `${latchkey.issuer}/v1`);
      const from = new Date(Date.now() - 30 * 86_400_000).toISOString();
      for (const [name, filter] of [
        ['action', `action=client.secret_rotated&from=${encodeURIComponent(from)}`],
        ['actor', `actor=bench-user-42&from=${encodeURIComponent(from)}`],
      ] as const) {
        const url = `${server.url}/v1/orgs/${client.org_id}/audit-events?${filter}&limit=50`;
        const page = async () => {
          const response = await fetch(url, { headers: { authorization: `Bearer ${management}` } });
          const body = (await response.json()) as { events?: unknown[] };
          return response.status === 200 && body.events?.length === 50;
        };
        if (!(await page())) throw new Error(`the audit page ${url} did not answer 50 events`);
        // One request at a time: this is the latency an administrator sees.
        await measureLoop(page, { seconds: context.options.warmupSeconds, concurrency: 1, pid: server.pid });
        const label = `scale: audit page (50 events, ${name} filter, last 30 days) over ${auditEvents.toLocaleString('en-US')} events, 1 connection`;
        rows.push({
          key: `scale/audit/${name}`,
          scenario: 'scale',
          label,
          runs: await repeat(context, label, () => measureLoop(page, { seconds: context.options.seconds, concurrency: 1, pid: server.pid })),
        });
      }
      return rows;
    } finally {
      await latchkey.dispose();
    }
  },
};
