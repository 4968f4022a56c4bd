// The token endpoint's own path. POST /oauth/token is most of what Latchkey serves, and all it
// needs from the HTTP stack is here: the envelope (request id, access log, metrics), the security
// headers helmet sets (computed once, not by a dozen middlewares per request), usage tracking, the
// body limit and the early refusal of blocked client_ids — then oidc-provider. Express would add
// its routing through every other route and nothing else. Spellings that only Express routes to
// the token endpoint (a trailing slash, upper case) take the Express route, with the same steps.
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import proxyaddr from 'proxy-addr';
import { ROUTES } from '../oidc/provider.js';
import type { ProviderHolder } from '../oidc/provider-holder.js';
import { basicCredentialsOf } from '../resource-servers/endpoints.js';
import type { FailureLimiter } from '../shared/failure-limiter.js';
import type { Logger } from '../shared/logger.js';
import type { SecretVerifier } from '../shared/secrets.js';
import { attribute, type UsageRecorder } from '../usage/recorder.js';
import type { Envelope, EnvelopedRequest } from './envelope.js';

/** A client-credentials request is a few hundred bytes; anything near this is not one. */
export const MAX_TOKEN_REQUEST_BYTES = 16 * 1024;

/** The headers helmet's default configuration sets on every response, in its order. */
export function helmetHeaders(): Array<[string, string]> {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.set(name, String(value));
    },
    removeHeader(name: string) {
      headers.delete(name);
    },
  };
  let called = false;
  helmet()({} as IncomingMessage, recorder as unknown as ServerResponse, () => {
    called = true;
  });
  // helmet's default middleware is synchronous; if that ever changes, this must not half-work.
  if (!called) throw new Error('helmet did not finish synchronously');
  return [...headers];
}

/** A JSON answer as Express's res.json sends it, on a plain or an Express response. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** The token endpoint's checks ahead of oidc-provider, for this path and for the Express route. */
export function createTokenChecks({ verifier, limiter }: { verifier: SecretVerifier; limiter: FailureLimiter }) {
  return {
    /** Answers 413 to a declared body over the limit, before anything reads it; true when it did. */
    refuseLargeBody(req: IncomingMessage, res: ServerResponse): boolean {
      const length = Number(req.headers['content-length'] ?? 0);
      if (!(length > MAX_TOKEN_REQUEST_BYTES)) return false;
      sendJson(
        res,
        413,
        { error: 'invalid_request', error_description: `the request body must not exceed ${MAX_TOKEN_REQUEST_BYTES} bytes` },
        { Connection: 'close' },
      );
      return true;
    },

    /**
     * A client_id or IP past its failure threshold is refused here, before the client lookup and
     * oidc-provider, unless the Basic secret is one that verified recently (the real client).
     * True when it answered.
     */
    async refuseBlocked(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
      const credentials = basicCredentialsOf(req);
      if (!credentials) return false; // none, or malformed: oidc-provider answers the header
      const { clientId, secret } = credentials;
      if (verifier.recentlyVerified(clientId, secret, req)) return false;
      const wait = await limiter.retryAfterSeconds(clientId, (req as EnvelopedRequest).ip);
      if (wait === 0) return false;
      // Counted against the client_id it names (dropped at flush if no such client exists).
      if (clientId.length <= 200) {
        attribute(req, { credentialType: 'api_client', credentialId: clientId, orgId: undefined, reason: 'too_many_failures' });
      }
      sendJson(
        res,
        429,
        { error: 'too_many_requests', error_description: `too many failed client authentications: retry after ${wait} seconds` },
        { 'Retry-After': String(wait), 'Cache-Control': 'no-store' },
      );
      return true;
    },
  };
}

export type TokenChecks = ReturnType<typeof createTokenChecks>;

export interface TokenRouteDeps {
  envelope: Envelope;
  checks: TokenChecks;
  usage: Pick<UsageRecorder, 'trackRequest'>;
  provider: Pick<ProviderHolder, 'handle'>;
  /** Express's compiled TRUST_PROXY (app.get('trust proxy fn')): req.ip as Express reads it. */
  trustProxy: (address: string, hop: number) => boolean;
  logger: Logger;
}

/** Returns true when the request is a token request and this path took it. */
export function createTokenRoute({ envelope, checks, usage, provider, trustProxy, logger }: TokenRouteDeps) {
  const securityHeaders = helmetHeaders();
  const route = () => ROUTES.token;

  async function handle(req: IncomingMessage, res: ServerResponse) {
    if (checks.refuseLargeBody(req, res)) return;
    if (await checks.refuseBlocked(req, res)) return;
    await provider.handle(req, res);
  }

  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    if (url !== ROUTES.token && !url.startsWith(`${ROUTES.token}?`)) return false;
    (req as EnvelopedRequest).ip = proxyaddr(req, trustProxy);
    envelope(req, res, route);
    for (const [name, value] of securityHeaders) res.setHeader(name, value);
    usage.trackRequest('token', req, res);
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error, req: { id: (req as EnvelopedRequest).id } }, 'request failed');
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { error: 'server_error', error_description: 'an unexpected error occurred' }, { 'Cache-Control': 'no-store' });
    });
    return true;
  };
}
