import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createService, scrubUrl } from '../../src/app.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import {
  createSecretBox,
  loadSecretKey,
  parseSecretKey,
  SecretKeyError,
  safeEqual,
} from '../../src/secrets/index.ts';

function tempDir() {
  return mkdtempSync(path.join(tmpdir(), 'klaviyo-sync-secrets-'));
}

test('configuration: defaults and clear messages naming the variable', () => {
  const c = loadConfig({});
  assert.equal(c.port, 3000);
  assert.equal(c.dataDir, './data');
  assert.equal(c.publicUrl, 'http://localhost:3000');
  assert.equal(c.allowSandboxUrls, false);
  assert.equal(
    loadConfig({ KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: '1', KLAVIYO_SYNC_PUBLIC_URL: 'https://sync.example.com/' })
      .publicUrl,
    'https://sync.example.com',
  );
  for (const [env, needle] of [
    [{ KLAVIYO_SYNC_PORT: 'abc' }, 'KLAVIYO_SYNC_PORT'],
    [{ KLAVIYO_SYNC_PORT: '70000' }, 'KLAVIYO_SYNC_PORT must be 0-65535'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL must be a PostgreSQL URL'],
    [{ KLAVIYO_SYNC_PUBLIC_URL: 'ftp://x' }, 'KLAVIYO_SYNC_PUBLIC_URL must be an http(s) URL'],
    [{ KLAVIYO_SYNC_ADMIN_PASSWORD: 'short' }, 'at least 8 characters'],
    [{ KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: 'maybe' }, 'KLAVIYO_SYNC_ALLOW_SANDBOX_URLS must be 1 or 0'],
    [{ KLAVIYO_SYNC_LOG_LEVEL: 'loud' }, 'KLAVIYO_SYNC_LOG_LEVEL must be one of'],
    [{ KLAVIYO_OAUTH_CLIENT_ID: 'abc' }, 'KLAVIYO_OAUTH_CLIENT_SECRET'],
  ] as const) {
    assert.throws(
      () => loadConfig(env),
      (err: Error) => err instanceof ConfigError && err.message.includes(needle),
      JSON.stringify(env),
    );
  }
});

test('secret box: AES-256-GCM round trip, fresh nonce each time, tampering detected', () => {
  const box = createSecretBox(randomBytes(32));
  const a = box.encrypt('pk_live_secret');
  const b = box.encrypt('pk_live_secret');
  assert.notEqual(a, b);
  assert.ok(!a.includes('pk_live_secret'));
  assert.equal(box.decrypt(a), 'pk_live_secret');
  const raw = Buffer.from(a.slice(3), 'base64');
  raw[raw.length - 1] ^= 1;
  assert.throws(() => box.decrypt(`v1:${raw.toString('base64')}`), SecretKeyError);
  assert.throws(() => createSecretBox(randomBytes(32)).decrypt(a), /secret key differs/);
});

test('secret key: from the environment (hex or base64) or a 0600 key file made on first start', () => {
  const key = randomBytes(32);
  assert.deepEqual(parseSecretKey(key.toString('hex')), key);
  assert.deepEqual(parseSecretKey(key.toString('base64')), key);
  assert.throws(() => parseSecretKey('too-short'), /KLAVIYO_SYNC_SECRET_KEY must be 32 random bytes/);
  const dir = tempDir();
  try {
    const first = loadSecretKey({ dataDir: dir });
    const file = path.join(dir, 'secret.key');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(loadSecretKey({ dataDir: dir }).key, first.key, 'the same key on the next start');
    chmodSync(file, 0o644);
    assert.throws(() => loadSecretKey({ dataDir: dir }), /readable by others/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a different secret key than the store was made with stops the start with a clear message', async () => {
  const dir = tempDir();
  const env = {
    KLAVIYO_SYNC_PORT: '0',
    KLAVIYO_SYNC_DATA_DIR: dir,
    KLAVIYO_SYNC_LOG_LEVEL: 'silent',
    KLAVIYO_SYNC_ADMIN_PASSWORD: 'password-1',
  };
  try {
    const first = await createService(
      loadConfig({ ...env, KLAVIYO_SYNC_SECRET_KEY: randomBytes(32).toString('hex') }),
      { workers: false },
    );
    await first.stop();
    await assert.rejects(
      createService(loadConfig({ ...env, KLAVIYO_SYNC_SECRET_KEY: randomBytes(32).toString('hex') }), {
        workers: false,
      }),
      /is not the one this store's secrets were encrypted with/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('constant-time comparison and URL scrubbing for logs', () => {
  assert.equal(safeEqual('abc', 'abc'), true);
  assert.equal(safeEqual('abc', 'abd'), false);
  assert.equal(safeEqual('abc', 'abcd'), false);
  assert.equal(
    scrubUrl('/oauth/callback?code=c1&state=s1&x=1'),
    '/oauth/callback?code=%5Bredacted%5D&state=%5Bredacted%5D&x=1',
  );
  assert.equal(scrubUrl('/setup?token=t'), '/setup?token=%5Bredacted%5D');
  assert.equal(scrubUrl('/api/v1/transfers?state=failed'), '/api/v1/transfers?state=failed');
});
