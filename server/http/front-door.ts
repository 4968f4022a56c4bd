// Ahead of Express: a token request for a client_id that this process already knows to be
// blocked (too many failed secrets), whose secret is not one that verified recently, is refused
// here with the same 429 the Express route would send — without routing, middleware, request
// logging or a counter round trip. A flood of wrong secrets then costs a map lookup and an HMAC
// per request, and the CPU stays with the honest clients. Anything else goes on to the token
// endpoint's own path (token-route.ts), which asks the counters, then to Express.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metrics } from '../metrics.js';
import { ROUTES } from '../oidc/provider.js';
import { basicCredentialsOf } from '../resource-servers/endpoints.js';
import type { FailureLimiter } from '../shared/failure-limiter.js';
import type { SecretVerifier } from '../shared/secrets.js';
import type { UsageRecorder } from '../usage/recorder.js';

export interface FrontDoorDeps {
  verifier: SecretVerifier;
  limiter: FailureLimiter;
  usage: UsageRecorder;
  metrics: Metrics;
  /** Whether the socket's address is the client's (no proxy trusted to say otherwise). */
  socketIsClient: boolean;
}

/** Returns true when it answered the request. */
export function createFrontDoor({ verifier, limiter, usage, metrics, socketIsClient }: FrontDoorDeps) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'POST' || req.url !== ROUTES.token) return false;
    const credentials = basicCredentialsOf(req);
    if (!credentials) return false;
    const { clientId, secret } = credentials;
    const wait = limiter.knownBlockSeconds(clientId);
    if (wait === 0 || verifier.recentlyVerified(clientId, secret, req)) return false;

    const started = performance.now();
    const requestId = randomUUID();
    const body = JSON.stringify({
      error: 'too_many_requests',
      error_description: `too many failed client authentications: retry after ${wait} seconds`,
    });
    res.writeHead(429, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Retry-After': String(wait),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'X-Request-Id': requestId,
    });
    res.end(body);
    req.resume(); // the body is not needed; read it off so the connection can be reused
    const latency = performance.now() - started;
    metrics.refusedEarly(latency / 1000);
    if (clientId.length <= 200) {
      usage.record({
        credentialType: 'api_client',
        credentialId: clientId,
        orgId: undefined,
        reason: 'too_many_failures',
        event: 'token.refused',
        at: Date.now(),
        endpoint: 'token',
        status: 429,
        latencyMs: latency,
        ip: socketIsClient ? (req.socket.remoteAddress ?? null) : null,
        requestId,
      });
    }
    return true;
  };
}
