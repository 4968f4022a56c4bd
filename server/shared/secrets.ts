// Secrets have one door: generating, hashing, comparing and remembering verified client secrets
// happens here and nowhere else.
import { createHash, createHmac, createSecretKey, randomBytes, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcrypt';

const CLIENT_ID_PREFIX = 'lkc_';
const CLIENT_SECRET_PREFIX = 'lks_';

/** Public, server-generated client identifier: 128 random bits. */
export function generateClientId(): string {
  return CLIENT_ID_PREFIX + randomBytes(16).toString('base64url');
}

/**
 * 256 random bits, base64url: 4 + 43 = 47 bytes, under bcrypt's 72-byte limit, and safe in a
 * Basic header without percent-encoding. The prefix lets secret scanners recognize it.
 */
export function generateClientSecret(): string {
  return CLIENT_SECRET_PREFIX + randomBytes(32).toString('base64url');
}

const RESTRICTED_TOKEN_PREFIX = 'lkr_';

/** A restricted access token: 256 random bits behind a recognizable prefix. */
export function generateRestrictedToken(): string {
  return RESTRICTED_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * How a restricted token (or a session id) is stored: SHA-256, hex. The input carries 256 random
 * bits, so a fast hash is safe, and it allows an indexed lookup by hash.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A random value for one-time display: passwords, CSRF tokens, session ids. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Constant-time string comparison. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function lastFour(secret: string): string {
  return secret.slice(-4);
}

export function hashSecret(secret: string, cost: number): Promise<string> {
  return bcrypt.hash(secret, cost);
}

interface VerifiedEntry {
  hash: string;
  digest: Buffer;
  expiresAt: number;
}

export interface SecretVerifierOptions {
  /** How long a successful bcrypt check is remembered; 0 disables the record. */
  cacheSeconds: number;
  maxEntries?: number;
  now?: () => number;
}

/**
 * Compares presented client secrets with stored bcrypt hashes, remembering successful checks for
 * a short time so that a warm client is not re-hashed on every request (bcrypt costs 60–220 ms of
 * CPU). The record holds an HMAC of the secret under a per-process random key, never the secret,
 * and it is bound to the exact stored hash: a rotated secret has a new hash and misses. It never
 * decides whether a client may authenticate at all — disabled, deleted and expired clients are
 * refused before their secret is looked at.
 */
export function createSecretVerifier(options: SecretVerifierOptions) {
  const { cacheSeconds, maxEntries = 10_000, now = Date.now } = options;
  const hmacKey = createSecretKey(randomBytes(32));
  const verified = new Map<string, VerifiedEntry>();
  let hits = 0;
  let misses = 0;

  const digestOf = (secret: string) => createHmac('sha256', hmacKey).update(secret).digest();

  // A request checks its secret twice (the early refusal, then oidc-provider's client
  // authentication): the digest is computed once per request and kept with it, never the secret
  // beyond the request's life.
  const digestsByRequest = new WeakMap<object, { presented: string; digest: Buffer }>();
  const digestFor = (presented: string, request: object | undefined): Buffer => {
    if (!request) return digestOf(presented);
    const known = digestsByRequest.get(request);
    if (known?.presented === presented) return known.digest;
    const digest = digestOf(presented);
    digestsByRequest.set(request, { presented, digest });
    return digest;
  };

  // Keyed by client and stored hash: during a rotation grace period both secrets can be warm.
  const keyOf = (clientId: string, hash: string) => `${clientId}\u0000${hash}`;

  // The latest verified secret per client, whatever its hash: lets a flood of other secrets for
  // the same client_id be refused before any database lookup while the real client passes.
  const latestByClient = new Map<string, { digest: Buffer; expiresAt: number }>();

  function remember(key: string, hash: string, digest: Buffer) {
    if (cacheSeconds === 0) return;
    const clientId = key.slice(0, key.indexOf('\u0000'));
    latestByClient.delete(clientId);
    if (latestByClient.size >= maxEntries) {
      const oldest = latestByClient.keys().next().value;
      if (oldest !== undefined) latestByClient.delete(oldest);
    }
    latestByClient.set(clientId, { digest, expiresAt: now() + cacheSeconds * 1000 });
    verified.delete(key);
    if (verified.size >= maxEntries) {
      const oldest = verified.keys().next().value;
      if (oldest !== undefined) verified.delete(oldest);
    }
    verified.set(key, { hash, digest, expiresAt: now() + cacheSeconds * 1000 });
  }

  const usable = (presented: unknown): presented is string =>
    typeof presented === 'string' && presented.length > 0 && presented.length <= 512;

  function remembered(clientId: string, hash: string, digest: Buffer): boolean {
    const entry = verified.get(keyOf(clientId, hash));
    return entry !== undefined && entry.hash === hash && entry.expiresAt > now() && timingSafeEqual(entry.digest, digest);
  }

  let bcryptChecks = 0;

  return {
    /**
     * True when this secret verified for this client recently, against whichever hash: a cheap
     * pre-check only (the hash it must match is checked later, with rememberedHash or bcrypt).
     * `request`: the HTTP request the check is for, so that its secret is digested once.
     */
    recentlyVerified(clientId: string, presented: string, request?: object): boolean {
      const entry = latestByClient.get(clientId);
      return entry !== undefined && usable(presented) && entry.expiresAt > now() && timingSafeEqual(entry.digest, digestFor(presented, request));
    },

    /**
     * The hash among `hashes` that this exact secret verified against recently (no bcrypt needed),
     * counted as a hit; undefined when none. `request` as for recentlyVerified.
     */
    rememberedHash(clientId: string, hashes: readonly string[], presented: string, request?: object): string | undefined {
      if (!usable(presented)) return undefined;
      const digest = digestFor(presented, request);
      const hash = hashes.find((candidate) => remembered(clientId, candidate, digest));
      if (hash !== undefined) hits += 1;
      return hash;
    },

    async verify(clientId: string, hash: string, presented: string): Promise<boolean> {
      if (!usable(presented)) return false;
      const digest = digestOf(presented);
      const key = keyOf(clientId, hash);
      if (remembered(clientId, hash, digest)) {
        hits += 1;
        return true;
      }
      misses += 1;
      // bcrypt only reads 72 bytes: a longer input cannot be one of ours.
      if (Buffer.byteLength(presented) > 72) return false;
      bcryptChecks += 1;
      const matches = await bcrypt.compare(presented, hash);
      if (matches) remember(key, hash, digest);
      return matches;
    },
    stats: () => ({ hits, misses, size: verified.size, bcryptChecks }),
  };
}

export type SecretVerifier = ReturnType<typeof createSecretVerifier>;
