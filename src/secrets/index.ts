// Secrets at rest (SPEC S9): AES-256-GCM with a fresh 96-bit nonce per value. The key comes from
// KLAVIYO_SYNC_SECRET_KEY (32 bytes as base64 or hex) or from a key file created with mode 0600 in the
// data folder on first start. A canary value in the store makes a wrong key fail at start, not later.
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const VERSION = 'v1';
const KEY_FILE = 'secret.key';

export interface SecretBox {
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
}

export class SecretKeyError extends Error {}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new SecretKeyError('The secret key must be 32 bytes.');
  return {
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
    },
    decrypt(sealed) {
      const [version, payload] = sealed.split(':', 2);
      if (version !== VERSION || !payload) throw new SecretKeyError('Unknown secret format.');
      const raw = Buffer.from(payload, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      try {
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretKeyError(
          'A stored secret cannot be decrypted: the secret key differs from the one it was saved with.',
        );
      }
    },
  };
}

/** Parses KLAVIYO_SYNC_SECRET_KEY: 64 hex characters or base64 of exactly 32 bytes. */
export function parseSecretKey(text: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  const b64 = Buffer.from(trimmed, 'base64');
  if (b64.length === 32 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return b64;
  throw new SecretKeyError(
    'KLAVIYO_SYNC_SECRET_KEY must be 32 random bytes as 64 hex characters or base64 (e.g. `openssl rand -base64 32`).',
  );
}

/** The key from the environment, else the data folder's key file, made (mode 0600) when missing. */
export function loadSecretKey(options: { envKey?: string; dataDir: string }): {
  key: Buffer;
  source: string;
} {
  if (options.envKey) return { key: parseSecretKey(options.envKey), source: 'KLAVIYO_SYNC_SECRET_KEY' };
  const file = path.resolve(options.dataDir, KEY_FILE);
  if (!existsSync(file)) {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  }
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new SecretKeyError(
      `The key file ${file} is readable by others (mode ${mode.toString(8)}); run chmod 600 on it.`,
    );
  }
  return { key: parseSecretKey(readFileSync(file, 'utf8')), source: file };
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Constant-time equality of two strings (SPEC S9: keys and signatures). */
export function safeEqual(a: string, b: string): boolean {
  const ab = createHash('sha256').update(a).digest();
  const bb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ab, bb) && a.length === b.length;
}

/** A random token that is safe in URLs and headers. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** What a secret looks like in an answer: its last four characters only. */
export function maskSecret(last4: string | null | undefined): string | null {
  return last4 ? `••••${last4}` : null;
}

export function lastFour(secret: string): string {
  return secret.slice(-4);
}
