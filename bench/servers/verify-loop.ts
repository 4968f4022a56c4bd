// Child process of the middleware scenario: verifies JWT access tokens in-process, in a loop, and
// prints its measurements as JSON on stdout. BENCH_VERIFY_MODE picks the verifier:
// - `latchkey`: the latchkey/express authenticate() handler (JWKS from the server, resource-server
//   credentials, so the revocation denylist is consulted as in production);
// - `jose`: plain jose.jwtVerify against a local JWKS holding the same keys, the same checks
//   (issuer, audience, algorithms, typ at+jwt, required claims).
// Both are driven the same way: `concurrency` loops awaiting one verification at a time.
import type { Request, Response } from 'express';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { createLatchkeyAuth } from '../../server/middleware/express.js';
import { measureLoop } from '../lib/load.js';
import type { Measurement } from '../lib/stats.js';

interface VerifyInput {
  mode: 'latchkey' | 'jose';
  issuer: string;
  audience: string;
  tokens: string[];
  resourceServer: { clientId: string; clientSecret: string };
  runs: number;
  seconds: number;
  warmupSeconds: number;
  concurrency: number;
}

const input = JSON.parse(process.env.BENCH_VERIFY_INPUT as string) as VerifyInput;
const { tokens } = input;
let next = 0;
const nextToken = () => tokens[next++ % tokens.length] as string;

async function latchkeyVerifier(): Promise<() => Promise<boolean>> {
  const auth = createLatchkeyAuth({ issuer: input.issuer, audience: input.audience, resourceServer: input.resourceServer });
  const handler = auth.authenticate();
  // What Express hands a middleware: a request and a response (here, only what authenticate()
  // may call on it). Built cheaply per call, as Express builds its own before any middleware runs.
  class FakeResponse {
    statusCode = 200;
    constructor(private readonly done: (ok: boolean) => void) {}
    status(code: number) {
      this.statusCode = code;
      return this;
    }
    set() {
      return this;
    }
    vary() {
      return this;
    }
    json() {
      this.done(false);
      return this;
    }
  }
  return () =>
    new Promise<boolean>((resolve) => {
      const req = { headers: { authorization: `Bearer ${nextToken()}` } } as unknown as Request;
      handler(req, new FakeResponse(resolve) as unknown as Response, (error?: unknown) => resolve(error === undefined && req.auth !== undefined));
    });
}

async function joseVerifier(): Promise<() => Promise<boolean>> {
  const jwks = (await (await fetch(`${input.issuer}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
  const keys = createLocalJWKSet(jwks);
  return async () => {
    const { payload } = await jwtVerify(nextToken(), keys, {
      issuer: input.issuer,
      audience: input.audience,
      algorithms: ['ES256', 'EdDSA', 'RS256'],
      typ: 'at+jwt',
      clockTolerance: 30,
      requiredClaims: ['sub', 'client_id', 'org_id', 'jti', 'iat', 'exp'],
    });
    return typeof payload.client_id === 'string';
  };
}

const verify = input.mode === 'latchkey' ? await latchkeyVerifier() : await joseVerifier();
if (!(await verify())) throw new Error(`${input.mode}: the first token did not verify`);
const options = { concurrency: input.concurrency, pid: process.pid };
await measureLoop(verify, { ...options, seconds: input.warmupSeconds });
const runs: Measurement[] = [];
for (let run = 0; run < input.runs; run++) runs.push(await measureLoop(verify, { ...options, seconds: input.seconds }));
process.stdout.write(`${JSON.stringify(runs)}\n`);
process.exit(0);
