// Encrypts signing keys' private JWKs at rest with AES-256-GCM under a key derived (HKDF-SHA256)
// from KEY_ENCRYPTION_SECRET. On a development machine without that setting, a random secret is
// generated once into DATA_DIR so that restarts keep the same keys.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/index.js';
import type { Logger } from '../shared/logger.js';

const FORMAT = 'v1';

export interface KeyCipher {
  encrypt(plaintext: string): string;
  decrypt(ciphertext: string): string;
}

export function createKeyCipher(secret: string): KeyCipher {
  const key = Buffer.from(hkdfSync('sha256', secret, 'latchkey', 'signing-key-encryption', 32));
  return {
    encrypt(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [FORMAT, iv, cipher.getAuthTag(), body].map((part) =>
        typeof part === 'string' ? part : part.toString('base64url'),
      ).join('.');
    },
    decrypt(ciphertext) {
      const [format, iv, tag, body] = ciphertext.split('.');
      if (format !== FORMAT || !iv || !tag || !body) throw new Error('unrecognized encrypted key format');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

/** KEY_ENCRYPTION_SECRET, or the development secret kept in DATA_DIR (created on first use). */
export function resolveKeyEncryptionSecret(config: Config, logger: Logger): string {
  if (config.keyEncryptionSecret) return config.keyEncryptionSecret;
  const file = path.join(config.dataDir, 'key-encryption-secret');
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
    logger.warn(
      { file },
      'KEY_ENCRYPTION_SECRET is not set: generated a development secret; set KEY_ENCRYPTION_SECRET in production',
    );
  } else {
    logger.info({ file }, 'KEY_ENCRYPTION_SECRET is not set: using the development secret in DATA_DIR');
  }
  return readFileSync(file, 'utf8').trim();
}
