// Verification middleware for the platform's resource servers (`latchkey/express`).
//
//   const auth = createLatchkeyAuth({ issuer: 'https://auth.example.com', audience: 'https://api.example.com',
//                                     resourceServer: { clientId, clientSecret } });
//   app.use(auth.cors());                 // optional: answers CORS preflights
//   app.use(auth.authenticate());         // optional auth: req.auth when a valid credential is present
//   app.get('/payroll', auth.requireScopes('payroll:Read'), handler);
//   auth.close();                         // on shutdown: stops polling the revocation feed
//
// It accepts two credentials:
// - JWT access tokens (RFC 9068) in `Authorization: Bearer`, verified locally against the issuer's
//   JWKS, then checked against a denylist built from the revocation feed (GET /v1/revocations).
// - Restricted access tokens (`lkr_...`) in `Authorization: Bearer` or `X-Access-Token`, checked
//   by introspection (RFC 7662) with the caller's IP, answers cached briefly.
//
// Self-contained on purpose: it imports only express types and jose, never the server's modules,
// and keeps all of its state inside the object `createLatchkeyAuth` returns.
import { createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createRemoteJWKSet, customFetch, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';

export interface LatchkeyAuthOptions {
  /** The authorization server's issuer identifier; a token's `iss` must equal it exactly. */
  issuer: string;
  /** This resource server's identifier; a token's `aud` must be or contain it exactly. */
  audience: string;
  /** JWS algorithms accepted for JWTs (allow-list). Default: ES256, EdDSA, RS256. Never include HS* or none. */
  algorithms?: string[];
  /** Leeway for `exp`, `nbf` and `iat`, in seconds. Default 30. */
  clockToleranceSeconds?: number;
  /**
   * Resource-server credentials (`latchkey resource-servers create`). Without them restricted
   * access tokens are refused and the revocation feed is not read.
   */
  resourceServer?: { clientId: string; clientSecret: string };
  /** How often to read the revocation feed, in seconds; 0 disables polling. Default 15. */
  revocationPollSeconds?: number;
  /** How long an introspection answer for a restricted token is reused, in seconds. Default 30. */
  introspectionCacheSeconds?: number;
  /** Timeout of each call to the authorization server, in seconds. Default 5. */
  httpTimeoutSeconds?: number;
  /** `realm` of WWW-Authenticate challenges. Default: the audience. */
  realm?: string;
  /**
   * Endpoint overrides. By default the JWKS and introspection endpoints come from the issuer's
   * RFC 8414 metadata (`issuer + /.well-known/oauth-authorization-server`, whose `issuer` must
   * match) and the revocation feed is `issuer + /v1/revocations`.
   */
  endpoints?: { jwksUri?: string; introspection?: string; revocationFeed?: string };
  /** fetch implementation for every call to the authorization server. Default: global fetch. */
  fetch?: typeof fetch;
  /**
   * Told about failures to reach the authorization server (discovery, JWKS, introspection,
   * revocation feed). Default: a process warning when the revocation feed starts failing.
   */
  onError?: (error: unknown, context: 'discovery' | 'jwks' | 'introspection' | 'revocation_feed') => void;
}

/** `req.auth` for a verified JWT access token. */
export interface JwtAuth {
  type: 'jwt';
  clientId: string;
  orgId: string;
  scopes: string[];
  allowedOrigins: string[];
  /** Every verified claim of the token. */
  claims: JWTPayload & { client_id: string; org_id: string; jti: string; iat: number; exp: number };
}

/** `req.auth` for a restricted access token that passed introspection from this caller's IP. */
export interface RestrictedAuth {
  type: 'restricted';
  tokenId: string;
  orgId: string;
  scopes: string[];
  /** Epoch seconds, when the token has an expiry. */
  expiresAt?: number;
}

export type LatchkeyRequestAuth = JwtAuth | RestrictedAuth;

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by latchkey/express when the request carries a valid credential. */
    auth?: LatchkeyRequestAuth;
  }
}

export interface LatchkeyAuth {
  /**
   * Optional authentication: without a credential the request passes unchanged; with a valid one
   * it sets `req.auth`; with an invalid one it answers 401 (403 for a disallowed origin or IP).
   */
  authenticate(): RequestHandler;
  /** Requires a valid credential holding every scope named (authenticating first if needed). */
  requireScopes(...scopes: string[]): RequestHandler;
  /**
   * Answers CORS preflights (OPTIONS with Origin and Access-Control-Request-Method) for any
   * origin, since a preflight carries no credential to decide by; the actual request is then
   * refused unless its origin is in the token's allowed_origins. Other requests pass through.
   */
  cors(options?: { methods?: string[]; allowHeaders?: string[]; maxAgeSeconds?: number }): RequestHandler;
  /** Reads the revocation feed now (resolves once read); for tests and for callers that cannot wait. */
  refreshRevocations(): Promise<void>;
  /** Stops polling the revocation feed. */
  close(): void;
}

/** RFC 6750 §3.1 challenge, rendered as JSON `{error, error_description}` too. */
class BearerError extends Error {
  constructor(
    readonly status: number,
    /** Absent for a request without any credential (RFC 6750 §3.1). */
    readonly code: string | undefined,
    readonly description: string,
    readonly scope?: string,
  ) {
    super(description);
  }
  static invalidToken(description: string) {
    return new BearerError(401, 'invalid_token', description);
  }
}

/** The authorization server could not be reached or answered unexpectedly. */
class UpstreamError extends Error {}

const MAX_TOKEN_BYTES = 16 * 1024;
const RESTRICTED_TOKEN_PREFIX = 'lkr_';
const MAX_INTROSPECTION_CACHE_ENTRIES = 10_000;
const FEED_PAGE_SIZE = 1000;
/** Header parameters a Latchkey access token carries; anything else is refused, see verifyHeader. */
const ALLOWED_HEADER_PARAMETERS = new Set(['alg', 'typ', 'kid']);
/** Latchkey's kids are JWK thumbprints (base64url); anything else never reaches the key lookup. */
const KID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
/** Distinct token headers whose verdict is kept (a forger can make many; the issuer uses a few). */
const MAX_HEADER_VERDICTS = 100;
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Makes a string safe inside a quoted-string of an HTTP header. */
const quoted = (value: string) => `"${value.replace(/[\\"]/g, '').replace(/[^\x20-\x7e]/g, '?')}"`;

function normalizeIp(ip: string | undefined): string | undefined {
  if (!ip) return undefined;
  const withoutZone = ip.split('%')[0] as string;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(withoutZone);
  return mapped ? mapped[1] : withoutZone;
}

function toBasic(clientId: string, secret: string): string {
  // RFC 6749 §2.3.1: form-encode both parts before Base64.
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

export function createLatchkeyAuth(options: LatchkeyAuthOptions): LatchkeyAuth {
  const issuer = options.issuer;
  const audience = options.audience;
  const algorithms = options.algorithms ?? ['ES256', 'EdDSA', 'RS256'];
  if (algorithms.some((alg) => alg === 'none' || alg.startsWith('HS'))) {
    throw new Error('latchkey/express: symmetric and "none" algorithms cannot verify tokens from a public JWKS');
  }
  const tolerance = options.clockToleranceSeconds ?? 30;
  const pollSeconds = options.revocationPollSeconds ?? 15;
  const cacheMilliseconds = (options.introspectionCacheSeconds ?? 30) * 1000;
  const timeoutMilliseconds = (options.httpTimeoutSeconds ?? 5) * 1000;
  const realm = options.realm ?? audience;
  const fetchImpl = options.fetch ?? fetch;
  const base = issuer.replace(/\/+$/, '');
  const basicAuth = options.resourceServer ? toBasic(options.resourceServer.clientId, options.resourceServer.clientSecret) : undefined;

  let feedFailing = false;
  const report = (error: unknown, context: Parameters<NonNullable<LatchkeyAuthOptions['onError']>>[1]) => {
    if (options.onError) options.onError(error, context);
    else if (context === 'revocation_feed' && !feedFailing) {
      process.emitWarning(`latchkey/express: cannot read the revocation feed: ${(error as Error).message}`);
    }
  };

  // --- endpoints ------------------------------------------------------------------------------
  let metadata: Promise<{ jwksUri: string; introspection: string | undefined }> | undefined;
  function endpoints() {
    const { jwksUri, introspection } = options.endpoints ?? {};
    if (jwksUri && (introspection || !basicAuth)) return Promise.resolve({ jwksUri, introspection });
    metadata ??= (async () => {
      const response = await fetchImpl(`${base}/.well-known/oauth-authorization-server`, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMilliseconds),
      });
      if (!response.ok) throw new UpstreamError(`discovery answered ${response.status}`);
      const body = (await response.json()) as Record<string, unknown>;
      // RFC 8414 §3.3: the metadata must name the issuer it was fetched for.
      if (body.issuer !== issuer) throw new UpstreamError('discovery metadata names another issuer');
      if (typeof body.jwks_uri !== 'string') throw new UpstreamError('discovery metadata lacks jwks_uri');
      return {
        jwksUri: jwksUri ?? body.jwks_uri,
        introspection: introspection ?? (typeof body.introspection_endpoint === 'string' ? body.introspection_endpoint : undefined),
      };
    })().catch((error: unknown) => {
      metadata = undefined; // try again on the next request
      report(error, 'discovery');
      throw error instanceof UpstreamError ? error : new UpstreamError('discovery failed');
    });
    return metadata;
  }

  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  async function keySet() {
    if (!jwks) {
      const { jwksUri } = await endpoints();
      jwks ??= createRemoteJWKSet(new URL(jwksUri), {
        timeoutDuration: timeoutMilliseconds,
        // An unknown kid refetches the set, at most once per cooldown (so forged kids cannot
        // turn every request into a JWKS fetch).
        cooldownDuration: 30_000,
        cacheMaxAge: 10 * 60_000,
        [customFetch]: fetchImpl,
      });
    }
    return jwks;
  }

  // --- revocation feed ------------------------------------------------------------------------
  const revokedJtis = new Map<string, number>(); // jti -> exp (epoch seconds)
  // client_id -> the client's latest not-before state from the feed (epoch seconds)
  const clientNotBefore = new Map<string, { notBefore: number | null; pending: number | null }>();
  let cursor: string | undefined;
  let pollChain: Promise<void> = Promise.resolve();
  let initialSync: Promise<void> | undefined;
  /** Whether the first read of the revocation feed is over (or there is none): JWTs wait for it. */
  let synced = true;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  function isRevoked(claims: JwtAuth['claims']): boolean {
    if (revokedJtis.has(claims.jti)) return true;
    const now = Date.now() / 1000;
    // A client entry revokes the client's tokens issued before not_before (whole seconds, so a token
    // of that very second survives, as at introspection), and before pending_not_before once that
    // has come (a rotation's grace period). Each entry is the client's whole current state, so the
    // latest replaces earlier ones: a later rotation cancels an earlier pending grace end.
    const state = clientNotBefore.get(claims.client_id);
    if (!state) return false;
    return [state.notBefore, state.pending].some((at) => at !== null && at <= now && claims.iat < at);
  }

  function applyFeed(entries: unknown[]) {
    for (const entry of entries) {
      const item = entry as Record<string, unknown>;
      if (item.type === 'token' && typeof item.jti === 'string' && typeof item.exp === 'number') {
        revokedJtis.set(item.jti, item.exp);
      } else if (item.type === 'client' && typeof item.client_id === 'string') {
        const instant = (value: unknown) => (typeof value === 'number' ? value : null);
        clientNotBefore.set(item.client_id, { notBefore: instant(item.not_before), pending: instant(item.pending_not_before) });
      }
    }
    const expired = Date.now() / 1000 - tolerance;
    for (const [jti, exp] of revokedJtis) if (exp < expired) revokedJtis.delete(jti);
    // Client states stay: one small record per client, and without knowing the longest token
    // lifetime there is no moment at which forgetting one is provably safe.
  }

  async function readFeed() {
    if (!basicAuth) return;
    const feedUrl = options.endpoints?.revocationFeed ?? `${base}/v1/revocations`;
    for (let page = 0; page < 1000; page++) {
      const url = new URL(feedUrl);
      if (cursor !== undefined) url.searchParams.set('since', cursor);
      url.searchParams.set('limit', String(FEED_PAGE_SIZE));
      const response = await fetchImpl(url, {
        headers: { authorization: basicAuth, accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMilliseconds),
      });
      if (!response.ok) throw new UpstreamError(`the revocation feed answered ${response.status}`);
      const body = (await response.json()) as { entries?: unknown; next_cursor?: unknown };
      if (!Array.isArray(body.entries) || typeof body.next_cursor !== 'string') {
        throw new UpstreamError('the revocation feed answered an unexpected document');
      }
      applyFeed(body.entries);
      // Entries may come again on a later page or poll (the cursor waits for recent ones to settle).
      const moved = body.next_cursor !== cursor;
      cursor = body.next_cursor;
      if (body.entries.length < FEED_PAGE_SIZE || !moved) break;
    }
  }

  function refreshRevocations(): Promise<void> {
    // Serialized, so that a refresh always starts after the call and cursors never race.
    const run = pollChain.then(readFeed).then(
      () => {
        feedFailing = false;
      },
      (error: unknown) => {
        report(error, 'revocation_feed');
        feedFailing = true;
        throw error;
      },
    );
    pollChain = run.catch(() => undefined);
    return run;
  }

  function schedulePoll() {
    if (closed) return;
    timer = setTimeout(() => {
      void refreshRevocations()
        .catch(() => undefined)
        .finally(schedulePoll);
    }, pollSeconds * 1000);
    timer.unref();
  }

  if (basicAuth && pollSeconds > 0) {
    // Until the first read completes (or fails), JWTs wait for it: a token revoked before this
    // process started must not slip through its first seconds.
    synced = false;
    initialSync = refreshRevocations()
      .catch(() => undefined)
      .finally(() => {
        synced = true;
      });
    void initialSync.finally(schedulePoll);
  }

  // --- JWT access tokens ----------------------------------------------------------------------
  /**
   * jose selects the key by `kid` from the configured JWKS only and never follows `jku`, `x5u`,
   * `jwk` or `x5c`. Still, a token carrying them (or anything but alg, typ and kid, `crit`
   * included) is refused outright: Latchkey never sets them, so their presence means a forgery or
   * a misconfigured issuer, and refusing keeps any other verifier from being talked into trusting
   * an embedded or remote key.
   */
  const headerVerdicts = new Map<string, true | BearerError>();
  function verifyHeader(token: string) {
    // Tokens from one issuer share a handful of headers (one per key): the verdict for a header
    // is kept by its exact encoded bytes, so most tokens skip decoding and checking it again.
    const encoded = token.slice(0, token.indexOf('.'));
    const known = headerVerdicts.get(encoded);
    if (known === true) return;
    if (known) throw known;
    let verdict: true | BearerError = true;
    try {
      checkHeader(token);
    } catch (error) {
      if (!(error instanceof BearerError)) throw error;
      verdict = error;
    }
    if (headerVerdicts.size >= MAX_HEADER_VERDICTS) headerVerdicts.delete(headerVerdicts.keys().next().value as string);
    headerVerdicts.set(encoded, verdict);
    if (verdict !== true) throw verdict;
  }
  function checkHeader(token: string) {
    let header: Record<string, unknown>;
    try {
      header = decodeProtectedHeader(token) as Record<string, unknown>;
    } catch {
      throw BearerError.invalidToken('the access token is malformed');
    }
    const unexpected = Object.keys(header).filter((name) => !ALLOWED_HEADER_PARAMETERS.has(name));
    if (unexpected.length > 0) {
      throw BearerError.invalidToken(`the access token header carries parameters this resource server does not accept: ${unexpected.join(', ')}`);
    }
    if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) {
      throw BearerError.invalidToken('the access token is signed with an algorithm this resource server does not accept');
    }
    if (typeof header.kid !== 'string' || !KID_PATTERN.test(header.kid)) {
      throw BearerError.invalidToken('the access token header lacks a valid kid');
    }
  }

  async function verifyJwt(token: string): Promise<JwtAuth> {
    if (!JWS_COMPACT.test(token)) throw BearerError.invalidToken('the access token is malformed');
    verifyHeader(token);
    const keys = jwks ?? (await keySet());
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer,
        audience,
        algorithms,
        typ: 'at+jwt', // RFC 9068 §4
        clockTolerance: tolerance,
        requiredClaims: ['sub', 'client_id', 'org_id', 'jti', 'iat', 'exp'],
      }));
    } catch (error) {
      throw describeJoseError(error);
    }
    const { client_id: clientId, org_id: orgId, jti, iat, exp, scope, allowed_origins: origins } = payload as Record<string, unknown>;
    if (typeof clientId !== 'string' || typeof orgId !== 'string' || typeof jti !== 'string' || typeof iat !== 'number' || typeof exp !== 'number') {
      throw BearerError.invalidToken('the access token lacks a required claim');
    }
    if (scope !== undefined && typeof scope !== 'string') throw BearerError.invalidToken('the access token has a malformed scope claim');
    if (origins !== undefined && !isStringArray(origins)) throw BearerError.invalidToken('the access token has a malformed allowed_origins claim');
    // jose checks iat only with maxTokenAge; a token from the future would dodge not-before revocation.
    if (iat > Date.now() / 1000 + tolerance) throw BearerError.invalidToken('the access token was issued in the future');
    const claims = payload as JwtAuth['claims'];
    if (!synced) await initialSync;
    if (isRevoked(claims)) throw BearerError.invalidToken('the access token has been revoked');
    return {
      type: 'jwt',
      clientId,
      orgId,
      scopes: typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [],
      allowedOrigins: origins ?? [],
      claims,
    };
  }

  function describeJoseError(error: unknown): Error {
    if (error instanceof errors.JWTExpired) return BearerError.invalidToken('the access token expired');
    if (error instanceof errors.JWTClaimValidationFailed) {
      return BearerError.invalidToken(`the access token's ${error.claim} claim is not acceptable`);
    }
    if (error instanceof errors.JWKSNoMatchingKey) return BearerError.invalidToken('no published key matches the access token');
    if (error instanceof errors.JWKSMultipleMatchingKeys) return BearerError.invalidToken('the access token does not name its key');
    if (error instanceof errors.JWSSignatureVerificationFailed) return BearerError.invalidToken('the access token signature is invalid');
    if (error instanceof errors.JOSEAlgNotAllowed) {
      return BearerError.invalidToken('the access token is signed with an algorithm this resource server does not accept');
    }
    if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || !(error instanceof errors.JOSEError)) {
      report(error, 'jwks');
      return new UpstreamError('the signing keys could not be fetched');
    }
    return BearerError.invalidToken('the access token is malformed');
  }

  // --- restricted access tokens ---------------------------------------------------------------
  interface Introspected {
    active: boolean;
    tokenId?: string;
    orgId?: string;
    scopes?: string[];
    audiences?: string[];
    expiresAt?: number;
    ipAllowed?: boolean;
  }
  const introspections = new Map<string, { expiresAt: number; answer: Promise<Introspected> }>();

  async function callIntrospection(token: string, ip: string | undefined): Promise<Introspected> {
    const { introspection } = await endpoints();
    if (!introspection || !basicAuth) throw new UpstreamError('no introspection endpoint');
    const form = new URLSearchParams({ token });
    if (ip) form.set('client_ip', ip);
    const response = await fetchImpl(introspection, {
      method: 'POST',
      headers: { authorization: basicAuth, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form,
      signal: AbortSignal.timeout(timeoutMilliseconds),
    });
    if (!response.ok) throw new UpstreamError(`introspection answered ${response.status}`);
    const body = (await response.json()) as Record<string, unknown>;
    if (body.active !== true || body.token_type !== 'restricted_access_token') return { active: false };
    const aud = body.aud;
    return {
      active: true,
      tokenId: typeof body.sub === 'string' ? body.sub : '',
      orgId: typeof body.org_id === 'string' ? body.org_id : '',
      scopes: typeof body.scope === 'string' ? body.scope.split(' ').filter(Boolean) : [],
      audiences: typeof aud === 'string' ? [aud] : isStringArray(aud) ? aud : [],
      ...(typeof body.exp === 'number' ? { expiresAt: body.exp } : {}),
      ipAllowed: body.client_ip_allowed === true,
    };
  }

  /** Introspects with a short cache keyed by the token's hash and the caller's IP. */
  function introspect(token: string, ip: string | undefined): Promise<Introspected> {
    const key = `${createHash('sha256').update(token).digest('base64url')} ${ip ?? '-'}`;
    const now = Date.now();
    const cached = introspections.get(key);
    if (cached && cached.expiresAt > now) return cached.answer;
    if (introspections.size >= MAX_INTROSPECTION_CACHE_ENTRIES) {
      for (const [entryKey, entry] of introspections) if (entry.expiresAt <= now) introspections.delete(entryKey);
      while (introspections.size >= MAX_INTROSPECTION_CACHE_ENTRIES) introspections.delete(introspections.keys().next().value as string);
    }
    const answer = callIntrospection(token, ip);
    const entry = { expiresAt: now + cacheMilliseconds, answer };
    introspections.set(key, entry);
    answer.then(
      (result) => {
        // Never reuse an answer past the token's own expiry.
        if (result.expiresAt !== undefined) entry.expiresAt = Math.min(entry.expiresAt, result.expiresAt * 1000);
      },
      (error: unknown) => {
        introspections.delete(key);
        report(error, 'introspection');
      },
    );
    return answer;
  }

  async function verifyRestricted(token: string, req: Request): Promise<RestrictedAuth> {
    if (!basicAuth) throw BearerError.invalidToken('restricted access tokens are not accepted here');
    if (token.length > 200 || !/^[\x21-\x7e]+$/.test(token)) throw BearerError.invalidToken('the access token is malformed');
    const result = await introspect(token, normalizeIp(req.ip));
    if (!result.active) throw BearerError.invalidToken('the access token is unknown, expired or deleted');
    if (!result.audiences?.includes(audience)) throw BearerError.invalidToken('the access token is not meant for this resource server');
    if (!result.ipAllowed) throw new BearerError(403, 'access_denied', 'the access token may not be used from this IP address');
    return {
      type: 'restricted',
      tokenId: result.tokenId ?? '',
      orgId: result.orgId ?? '',
      scopes: result.scopes ?? [],
      ...(result.expiresAt !== undefined ? { expiresAt: result.expiresAt } : {}),
    };
  }

  // --- request handling -----------------------------------------------------------------------
  /** Requests this instance has authenticated (authenticate() and requireScopes() may both run). */
  const authenticated = new WeakSet<Request>();

  /** The credential of the request, if any. RFC 6750 §2: one method per request. */
  function credential(req: Request): { token: string; restrictedOnly: boolean } | undefined {
    const header = req.headers.authorization;
    const accessTokenHeader = req.headers['x-access-token'];
    let bearer: string | undefined;
    if (header !== undefined && /^bearer(\s|$)/i.test(header)) {
      const match = /^bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header);
      if (!match?.[1]) throw BearerError.invalidToken('the Authorization header must be "Bearer <access token>"');
      bearer = match[1];
    }
    if (accessTokenHeader !== undefined) {
      if (bearer !== undefined) throw new BearerError(400, 'invalid_request', 'send the access token in one header only');
      if (typeof accessTokenHeader !== 'string' || accessTokenHeader.length === 0) {
        throw BearerError.invalidToken('the X-Access-Token header is malformed');
      }
      return { token: accessTokenHeader.trim(), restrictedOnly: true };
    }
    return bearer === undefined ? undefined : { token: bearer, restrictedOnly: false };
  }

  /**
   * Browser requests (with Origin) are answered with CORS only for origins the credential allows:
   * a JWT's allowed_origins, compared exactly (browsers serialize origins in lower case, so
   * `https://A.example` or `https://a.example/` never match `https://a.example`). Restricted
   * tokens are bound to IP addresses, not origins: any origin is answered, without credentials
   * mode (the token travels in a header the page already holds).
   */
  function applyOrigin(req: Request, res: Response, auth: LatchkeyRequestAuth) {
    const origin = req.headers.origin;
    if (origin === undefined) return;
    res.vary('Origin');
    if (auth.type === 'jwt' && !auth.allowedOrigins.includes(origin)) {
      throw new BearerError(403, 'access_denied', 'this origin is not allowed for the client that requested the access token');
    }
    res.set('Access-Control-Allow-Origin', origin);
    res.set('Access-Control-Expose-Headers', 'WWW-Authenticate');
  }

  async function authenticateRequest(req: Request, res: Response): Promise<void> {
    if (authenticated.has(req)) return;
    authenticated.add(req);
    const presented = credential(req);
    if (!presented) return;
    const { token, restrictedOnly } = presented;
    if (token.length > MAX_TOKEN_BYTES) throw BearerError.invalidToken('the access token is too large');
    let auth: LatchkeyRequestAuth;
    if (token.startsWith(RESTRICTED_TOKEN_PREFIX)) auth = await verifyRestricted(token, req);
    else if (restrictedOnly) throw BearerError.invalidToken('the X-Access-Token header carries restricted access tokens only');
    else auth = await verifyJwt(token);
    applyOrigin(req, res, auth);
    req.auth = auth;
  }

  function sendError(res: Response, error: unknown, next: NextFunction) {
    if (error instanceof UpstreamError) {
      res.status(503).set({ 'Cache-Control': 'no-store', 'Retry-After': '5' }).json({
        error: 'temporarily_unavailable',
        error_description: 'the authorization server cannot be reached to check the access token',
      });
      return;
    }
    if (!(error instanceof BearerError)) {
      next(error);
      return;
    }
    const parameters = [`realm=${quoted(realm)}`];
    if (error.code) parameters.push(`error=${quoted(error.code)}`, `error_description=${quoted(error.description)}`);
    if (error.scope) parameters.push(`scope=${quoted(error.scope)}`);
    if (error.status === 401 || error.code === 'insufficient_scope') res.set('WWW-Authenticate', `Bearer ${parameters.join(', ')}`);
    res
      .status(error.status)
      .set('Cache-Control', 'no-store')
      .json({ error: error.code ?? 'unauthorized', error_description: error.description });
  }

  const authenticate = (): RequestHandler => (req, res, next) => {
    authenticateRequest(req, res).then(() => next(), (error: unknown) => sendError(res, error, next));
  };

  const requireScopes = (...scopes: string[]): RequestHandler => {
    const required = scopes.flatMap((scope) => scope.split(' ')).filter(Boolean);
    return (req, res, next) => {
      authenticateRequest(req, res)
        .then(() => {
          if (!req.auth) throw new BearerError(401, undefined, 'an access token is required');
          const held = new Set(req.auth.scopes);
          const missing = required.filter((scope) => !held.has(scope));
          if (missing.length > 0) {
            // RFC 6750 §3.1: insufficient_scope names the scope needed.
            throw new BearerError(403, 'insufficient_scope', `the access token lacks the scope ${missing.join(' ')}`, required.join(' '));
          }
          next();
        })
        .catch((error: unknown) => sendError(res, error, next));
    };
  };

  const cors: LatchkeyAuth['cors'] = (corsOptions = {}) => {
    const methods = (corsOptions.methods ?? ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).join(', ');
    const allowHeaders = (corsOptions.allowHeaders ?? ['Authorization', 'X-Access-Token', 'Content-Type']).join(', ');
    const maxAge = String(corsOptions.maxAgeSeconds ?? 600);
    return (req, res, next) => {
      const origin = req.headers.origin;
      if (req.method !== 'OPTIONS' || origin === undefined || req.headers['access-control-request-method'] === undefined) {
        next();
        return;
      }
      res.vary('Origin').vary('Access-Control-Request-Method').vary('Access-Control-Request-Headers');
      res.set({
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Methods': methods,
        'Access-Control-Allow-Headers': allowHeaders,
        'Access-Control-Max-Age': maxAge,
      });
      res.status(204).end();
    };
  };

  return {
    authenticate,
    requireScopes,
    cors,
    refreshRevocations,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
}
