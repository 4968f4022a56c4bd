// Secrets have one door: generating, hashing, comparing and remembering verified client secrets
// happens here and nowhere else.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
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
  const hmacKey = randomBytes(32);
  const verified = new Map<string, VerifiedEntry>();
  let hits = 0;
  let misses = 0;

  const digestOf = (secret: string) => createHmac('sha256', hmacKey).update(secret).digest();

  function remember(clientId: string, hash: string, digest: Buffer) {
    if (cacheSeconds === 0) return;
    verified.delete(clientId);
    if (verified.size >= maxEntries) {
      const oldest = verified.keys().next().value;
      if (oldest !== undefined) verified.delete(oldest);
    }
    verified.set(clientId, { hash, digest, expiresAt: now() + cacheSeconds * 1000 });
  }

  return {
    async verify(clientId: string, hash: string, presented: string): Promise<boolean> {
      if (typeof presented !== 'string' || presented.length === 0 || presented.length > 512) return false;
      const digest = digestOf(presented);
      const entry = verified.get(clientId);
      if (entry && entry.hash === hash && entry.expiresAt > now() && timingSafeEqual(entry.digest, digest)) {
        hits += 1;
        return true;
      }
      misses += 1;
      // bcrypt only reads 72 bytes: a longer input cannot be one of ours.
      if (Buffer.byteLength(presented) > 72) return false;
      const matches = await bcrypt.compare(presented, hash);
      if (matches) remember(clientId, hash, digest);
      return matches;
    },
    forget(clientId: string) {
      verified.delete(clientId);
    },
    stats: () => ({ hits, misses, size: verified.size }),
  };
}

export type SecretVerifier = ReturnType<typeof createSecretVerifier>;
