// An example resource server: a small HR API protected by latchkey/express.
//
//   LATCHKEY_ISSUER=http://localhost:3000 \
//   LATCHKEY_RS_CLIENT_ID=lkrs_... LATCHKEY_RS_CLIENT_SECRET=lks_... \
//   node --import tsx examples/resource-server/server.ts
//
// Routes and the scope each needs (audience https://api.example.com, from config/catalog.json):
//   GET  /employees        employees:Read   (in the restricted subset: restricted tokens may call it)
//   GET  /payroll/runs     payroll:Read
//   POST /payroll/runs     payroll:Write
import express from 'express';
import { createLatchkeyAuth } from 'latchkey/express';

export function createExampleApi(options: {
  issuer: string;
  resourceServer?: { clientId: string; clientSecret: string };
  trustProxy?: boolean | number | string;
  revocationPollSeconds?: number;
}) {
  const auth = createLatchkeyAuth({
    issuer: options.issuer,
    audience: 'https://api.example.com',
    ...(options.resourceServer ? { resourceServer: options.resourceServer } : {}),
    ...(options.revocationPollSeconds !== undefined ? { revocationPollSeconds: options.revocationPollSeconds } : {}),
  });
  const app = express();
  // Whether X-Forwarded-For decides the caller's IP (for restricted tokens): only behind a proxy.
  app.set('trust proxy', options.trustProxy ?? false);
  app.use(auth.cors());
  app.use(express.json());

  const payrollRuns = [{ id: 'run-2026-10', period: '2026-10', status: 'paid' }];

  app.get('/employees', auth.requireScopes('employees:Read'), (req, res) => {
    res.json({ org_id: req.auth?.orgId, employees: [{ id: 'e-1', name: 'Ada Lovelace' }, { id: 'e-2', name: 'Alan Turing' }] });
  });
  app.get('/payroll/runs', auth.requireScopes('payroll:Read'), (req, res) => {
    res.json({ org_id: req.auth?.orgId, runs: payrollRuns });
  });
  app.post('/payroll/runs', auth.requireScopes('payroll:Write'), (req, res) => {
    const run = { id: `run-${payrollRuns.length + 1}`, period: String(req.body?.period ?? 'unknown'), status: 'draft' };
    payrollRuns.push(run);
    res.status(201).json(run);
  });
  return { app, auth };
}

const isMain = process.argv[1] !== undefined && /examples[\\/]resource-server[\\/]server\.[jt]s$/.test(process.argv[1]);
if (isMain) {
  const issuer = process.env.LATCHKEY_ISSUER ?? 'http://localhost:3000';
  const { LATCHKEY_RS_CLIENT_ID: clientId, LATCHKEY_RS_CLIENT_SECRET: clientSecret } = process.env;
  const { app } = createExampleApi({
    issuer,
    ...(clientId && clientSecret ? { resourceServer: { clientId, clientSecret } } : {}),
    trustProxy: process.env.TRUST_PROXY === 'true',
  });
  const port = Number(process.env.PORT ?? 4000);
  app.listen(port, () => process.stdout.write(`example API on http://localhost:${port} (issuer ${issuer})\n`));
}
