// `klaviyo-sync worker` as its own process: it refuses the embedded store, and on PostgreSQL it runs the
// transfers that an API-only service queued, then stops gracefully on SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { createService } from '../../src/app.ts';
import { createApiClient } from '../../src/cli/api-client.ts';
import { loadConfig } from '../../src/config.ts';
import { generateSampleData, toNdjson } from '../../src/demo/sample-data.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { TEST_DATABASE_URL } from '../helpers/service.ts';
import { waitFor } from '../helpers/wait.ts';
import { PROJECT_ROOT, runCli } from './run-cli.ts';

test('worker refuses to run on the embedded SQLite store and says why', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'klaviyo-sync-worker-'));
  try {
    const result = await runCli(['worker'], { KLAVIYO_SYNC_DATA_DIR: dir });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /klaviyo-sync worker needs PostgreSQL \(set DATABASE_URL\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a worker process runs the transfers an API-only service queued, stops on SIGTERM, and status reads the same store', {
  skip: TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL is not set',
}, async () => {
  // A database of its own: the worker process finds its tables in the default schema, as in production.
  const database = `cli_worker_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  const url = new URL(TEST_DATABASE_URL!);
  url.pathname = `/${database}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'klaviyo-sync-worker-'));
  const secretKey = randomBytes(32).toString('base64');
  const adminPassword = `pw-${randomBytes(8).toString('hex')}`;
  const env = {
    DATABASE_URL: url.toString(),
    KLAVIYO_SYNC_DATA_DIR: dataDir,
    KLAVIYO_SYNC_SECRET_KEY: secretKey,
    KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: '1',
    KLAVIYO_SYNC_LOG_LEVEL: 'info',
  };
  let sandbox: Awaited<ReturnType<typeof startSandbox>> | undefined;
  let service: Awaited<ReturnType<typeof createService>> | undefined;
  let worker: ReturnType<typeof spawn> | undefined;
  try {
    sandbox = await startSandbox({ port: 0 });
    service = await createService(
      loadConfig({ ...env, KLAVIYO_SYNC_PORT: '0', KLAVIYO_SYNC_ADMIN_PASSWORD: adminPassword }),
      { workers: false, logStream: { write: () => {} } },
    );
    const baseUrl = await service.start();
    const api = createApiClient({ baseUrl, adminPassword });
    const sub = await api.request<{ id: string }>('POST', '/api/v1/subscriptions', {
      name: 'Worker test',
      api_url: sandbox.url,
      api_key: sandbox.apiKey,
    });
    const data = generateSampleData({ seed: 'worker', customers: 20, orders: 0 });
    const withEmail = data.customers.filter((c) => c.email_address);
    await api.importNdjson('customers', [toNdjson(withEmail)]);
    const states = async () =>
      (
        await api.request<{ counts: Record<string, number> }>(
          'GET',
          `/api/v1/transfers/stats?subscription=${sub.id}`,
        )
      ).counts;
    assert.equal((await states()).queued, withEmail.length, 'nothing runs without a worker');

    worker = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/klaviyo-sync.js'), 'worker'], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    worker.stdout!.on('data', (c: Buffer) => {
      output += c.toString('utf8');
    });
    worker.stderr!.on('data', (c: Buffer) => {
      output += c.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => worker!.on('close', resolve));

    const counts = await waitFor(
      'the worker to send every customer',
      async () => {
        const now = await states();
        return now.succeeded >= withEmail.length && now;
      },
      30_000,
    ).catch(async () => states());
    // The worker's profile poll may add read-back transfers; the sandbox count below is the exact check.
    assert.ok(counts.succeeded >= withEmail.length, output);
    assert.equal(sandbox.state.account(sandbox.accountId).profiles.size, withEmail.length);
    assert.match(output, /klaviyo-sync worker running \(no HTTP\)/);

    worker.kill('SIGTERM');
    assert.equal(await exited, 0, output);
    assert.match(output, /klaviyo-sync worker stopping/);

    // status reads the same PostgreSQL store, naming host and database but never the URL's credentials.
    const status = await runCli(['status', '--json'], { DATABASE_URL: env.DATABASE_URL });
    assert.equal(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout);
    assert.equal(report.store, `PostgreSQL ${url.hostname}${url.port ? `:${url.port}` : ''}/${database}`);
    assert.equal(report.subscriptions[0].name, 'Worker test');
    assert.ok(report.subscriptions[0].queue.succeeded >= withEmail.length);
    assert.equal(report.subscriptions[0].queue.queued + report.subscriptions[0].queue.failed, 0);
  } finally {
    if (worker && worker.exitCode === null) worker.kill('SIGKILL');
    await service?.stop();
    await sandbox?.close();
    // Closed connections leave pg_stat_activity a moment after their sockets close; dropping the database
    // while they linger would terminate them, which a pool client still closing reports as an error.
    // Best effort: the drop below forces its way through whatever is left after 5 s.
    await waitFor(
      'the connections to close',
      async () =>
        (await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [database]))
          .rows[0].n === 0,
      5_000,
    ).catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
