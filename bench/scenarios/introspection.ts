// introspection: a resource server (its own credentials, `latchkey resource-servers create`)
// introspects a JWT access token and a restricted access token (with the caller's client_ip).
import { repeat, type Scenario } from '../lib/context.js';
import { basic, createClient, createLatchkey, fetchToken } from '../lib/latchkey.js';
import { measureHttp, runAutocannon } from '../lib/load.js';
import { OPERATOR_CONTEXT } from '../../server/shared/actor.js';
import type { ResultRow } from '../lib/stats.js';

const CONNECTIONS = 10;

export const introspection: Scenario = {
  name: 'introspection',
  description: 'POST /oauth/introspect by a resource server: a JWT, and a restricted token with client_ip, 10 connections',
  async run(context) {
    const latchkey = await createLatchkey({ embedded: false, logDir: context.options.logDir, name: 'introspection' });
    try {
      const { client, resourceServer, restricted } = await latchkey.seed(async (services) => {
        const client = await createClient(services);
        const resourceServer = await services.resourceServers.create({ name: 'Bench API' }, OPERATOR_CONTEXT);
        const restricted = await services.restrictedTokens.create(
          client.org_id,
          { name: 'Bench kiosk', allowed_ips: ['127.0.0.1'], scopes: ['employees:Read'] },
          OPERATOR_CONTEXT,
        );
        return { client, resourceServer, restricted };
      });
      const server = await latchkey.start();
      const jwt = await fetchToken(server.url, client.client_id, client.client_secret);
      const rows: ResultRow[] = [];
      for (const [name, body] of [
        ['jwt', new URLSearchParams({ token: jwt }).toString()],
        ['restricted', new URLSearchParams({ token: restricted.token, client_ip: '127.0.0.1' }).toString()],
      ] as const) {
        const load = {
          url: `${server.url}/oauth/introspect`,
          method: 'POST' as const,
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(resourceServer.client_id, resourceServer.client_secret) },
          body,
          connections: CONNECTIONS,
        };
        const check = await fetch(load.url, { method: 'POST', headers: load.headers, body });
        const answer = (await check.json()) as { active?: boolean };
        if (answer.active !== true) throw new Error(`introspection of the ${name} token answered ${check.status} ${JSON.stringify(answer)}`);
        await runAutocannon({ ...load, duration: context.options.warmupSeconds });
        const label = `introspection of a ${name === 'jwt' ? 'JWT' : 'restricted token'}, ${CONNECTIONS} connections`;
        const runs = await repeat(context, label, () => measureHttp({ ...load, duration: context.options.seconds }, server.pid));
        rows.push({ key: `introspection/${name}`, scenario: 'introspection', label, runs });
      }
      return rows;
    } finally {
      await latchkey.dispose();
    }
  },
};
