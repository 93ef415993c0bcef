// The data folder holds customers' personal data (the SQLite store) and the secret key: after a first
// start it is 0700 and every file in it 0600, whatever the umask; an older install with open modes is
// tightened at start, with a warning (docs/security.md).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createService } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';

const mode = (file: string) => (statSync(file).mode & 0o777).toString(8);

function configFor(dataDir: string) {
  return loadConfig({
    KLAVIYO_SYNC_DATA_DIR: dataDir,
    KLAVIYO_SYNC_PORT: '0',
    KLAVIYO_SYNC_HOST: '127.0.0.1',
    KLAVIYO_SYNC_ADMIN_PASSWORD: `pw-${randomBytes(8).toString('hex')}`,
    KLAVIYO_SYNC_LOG_LEVEL: 'warn',
  });
}

async function startAndWrite(dataDir: string) {
  let logs = '';
  const logStream = new PassThrough();
  logStream.on('data', (d: Buffer) => {
    logs += d.toString();
  });
  const service = await createService(configFor(dataDir), { logStream, workers: false });
  await service.ctx.hub!.upsert('customer', { id: 'c1', email_address: 'c1@example.com' });
  const files = ['klaviyo-sync.db', 'klaviyo-sync.db-wal', 'klaviyo-sync.db-shm', 'secret.key'].map((f) =>
    path.join(dataDir, f),
  );
  const modes = Object.fromEntries(files.filter(existsSync).map((f) => [path.basename(f), mode(f)]));
  await service.stop();
  return { modes, logs };
}

test('a first start makes the data folder 0700 and the database, its WAL and SHM, and the key 0600', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'ks-modes-'));
  const previous = process.umask(0o022);
  try {
    const dataDir = path.join(root, 'data');
    const { modes } = await startAndWrite(dataDir);
    assert.equal(mode(dataDir), '700');
    assert.deepEqual(modes, {
      'klaviyo-sync.db': '600',
      'klaviyo-sync.db-wal': '600',
      'klaviyo-sync.db-shm': '600',
      'secret.key': '600',
    });
    process.stdout.write(
      `# stat after a first start: ${mode(dataDir)} data folder, ${JSON.stringify(modes)}\n`,
    );
  } finally {
    process.umask(previous);
    rmSync(root, { recursive: true, force: true });
  }
});

test('an install left readable by others is tightened at start, and the log says so', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'ks-modes-'));
  try {
    const dataDir = path.join(root, 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    writeFileSync(path.join(dataDir, 'klaviyo-sync.db'), '', { mode: 0o644 });
    chmodSync(path.join(dataDir, 'klaviyo-sync.db'), 0o644);
    const { modes, logs } = await startAndWrite(dataDir);
    assert.equal(mode(dataDir), '700');
    assert.equal(modes['klaviyo-sync.db'], '600');
    assert.equal(modes['klaviyo-sync.db-wal'], '600');
    assert.match(logs, /readable by other users/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
