import { jest } from '@jest/globals';
import bcrypt from 'bcrypt';
import { createSecretVerifier, generateClientId, generateClientSecret, hashSecret, lastFour } from '../../server/shared/secrets.js';

describe('generated credentials', () => {
  it('gives secrets 256 random bits under bcrypt\'s 72-byte limit, with a recognizable prefix', () => {
    const secrets = new Set(Array.from({ length: 200 }, generateClientSecret));
    expect(secrets.size).toBe(200);
    for (const secret of secrets) {
      expect(secret).toMatch(/^lks_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(secret.slice(4), 'base64url')).toHaveLength(32);
      expect(Buffer.byteLength(secret)).toBeLessThan(72);
    }
    expect(generateClientId()).toMatch(/^lkc_[A-Za-z0-9_-]{22}$/);
    expect(lastFour('lks_abcdefgh')).toBe('efgh');
  });
});

describe('createSecretVerifier', () => {
  let now = 1_000_000;
  const clock = () => now;
  let secret: string;
  let hash: string;
  beforeAll(async () => {
    secret = generateClientSecret();
    hash = await hashSecret(secret, 4);
  });

  it('accepts the right secret and refuses a wrong one', async () => {
    const verifier = createSecretVerifier({ cacheSeconds: 60, now: clock });
    expect(await verifier.verify('c1', hash, secret)).toBe(true);
    expect(await verifier.verify('c1', hash, `${secret}x`)).toBe(false);
    expect(await verifier.verify('c1', hash, '')).toBe(false);
    expect(await verifier.verify('c1', hash, 'x'.repeat(100))).toBe(false);
  });

  it('remembers a success without running bcrypt again, until the record expires', async () => {
    const compare = jest.spyOn(bcrypt, 'compare');
    const verifier = createSecretVerifier({ cacheSeconds: 60, now: clock });
    expect(await verifier.verify('c2', hash, secret)).toBe(true);
    expect(await verifier.verify('c2', hash, secret)).toBe(true);
    expect(verifier.stats()).toEqual({ hits: 1, misses: 1, size: 1, bcryptChecks: 1 });
    now += 61_000;
    expect(await verifier.verify('c2', hash, secret)).toBe(true);
    expect(verifier.stats()).toEqual({ hits: 1, misses: 2, size: 1, bcryptChecks: 2 });
    expect(compare).toHaveBeenCalledTimes(2);
    compare.mockRestore();
  });

  it('does not let a remembered secret through once the stored hash changed (rotation)', async () => {
    const verifier = createSecretVerifier({ cacheSeconds: 60, now: clock });
    expect(await verifier.verify('c3', hash, secret)).toBe(true);
    const rotated = generateClientSecret();
    const rotatedHash = await hashSecret(rotated, 4);
    expect(await verifier.verify('c3', rotatedHash, secret)).toBe(false);
    expect(await verifier.verify('c3', rotatedHash, rotated)).toBe(true);
  });

  it('does not let a different secret through on a remembered client', async () => {
    const verifier = createSecretVerifier({ cacheSeconds: 60, now: clock });
    expect(await verifier.verify('c4', hash, secret)).toBe(true);
    expect(await verifier.verify('c4', hash, generateClientSecret())).toBe(false);
  });

  it('remembers nothing when disabled', async () => {
    const verifier = createSecretVerifier({ cacheSeconds: 0, now: clock });
    await verifier.verify('c5', hash, secret);
    await verifier.verify('c5', hash, secret);
    expect(verifier.stats()).toEqual({ hits: 0, misses: 2, size: 0, bcryptChecks: 2 });
  });

  it('names the remembered hash among a client\'s accepted ones, counting a hit, and none for anything else', async () => {
    const verifier = createSecretVerifier({ cacheSeconds: 60, now: clock });
    const previous = await hashSecret(generateClientSecret(), 4);
    expect(verifier.rememberedHash('c6', [hash, previous], secret)).toBeUndefined();
    expect(await verifier.verify('c6', hash, secret)).toBe(true);
    expect(verifier.rememberedHash('c6', [previous, hash], secret)).toBe(hash);
    expect(verifier.rememberedHash('c6', [previous], secret)).toBeUndefined();
    expect(verifier.rememberedHash('c7', [hash], secret)).toBeUndefined();
    expect(verifier.rememberedHash('c6', [hash], generateClientSecret())).toBeUndefined();
    expect(verifier.rememberedHash('c6', [hash], '')).toBeUndefined();
    expect(verifier.stats()).toEqual({ hits: 1, misses: 1, size: 1, bcryptChecks: 1 });
    now += 61_000;
    expect(verifier.rememberedHash('c6', [hash], secret)).toBeUndefined();
  });

  it('digests a request\'s secret once, never reusing it for another secret or another verifier', async () => {
    const verifier = createSecretVerifier({ cacheSeconds: 60, now: clock });
    const other = createSecretVerifier({ cacheSeconds: 60, now: clock });
    expect(await verifier.verify('c8', hash, secret)).toBe(true);
    expect(await other.verify('c8', hash, secret)).toBe(true);
    const request = {};
    expect(verifier.recentlyVerified('c8', secret, request)).toBe(true);
    expect(verifier.rememberedHash('c8', [hash], secret, request)).toBe(hash);
    // The same request presenting another secret (a body secret after a Basic one) is checked afresh.
    const wrong = generateClientSecret();
    expect(verifier.rememberedHash('c8', [hash], wrong, request)).toBeUndefined();
    expect(verifier.recentlyVerified('c8', wrong, request)).toBe(false);
    // Another verifier (another server in this process) has its own key: nothing carries over.
    const shared = {};
    expect(verifier.recentlyVerified('c8', wrong, shared)).toBe(false);
    expect(other.rememberedHash('c8', [hash], secret, shared)).toBe(hash);
    expect(verifier.rememberedHash('c8', [hash], secret, shared)).toBe(hash);
  });

  it('keeps at most maxEntries records', async () => {
    const verifier = createSecretVerifier({ cacheSeconds: 60, maxEntries: 2, now: clock });
    for (const id of ['a', 'b', 'c']) await verifier.verify(id, hash, secret);
    expect(verifier.stats().size).toBe(2);
  });
});
