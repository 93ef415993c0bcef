// /metrics answers only with a credential (an API token, a session, or the metrics token) unless opened
// on purpose; failed sign-ins are counted in the store, so every process sharing it counts the same tries
// and a restart does not reset them (docs/security.md).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createService, type Service } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { startTestService, TEST_DATABASE_URL } from '../helpers/service.ts';

test('/metrics needs an API token, a session or the metrics token, unless made public on purpose', async () => {
  const metricsToken = `mt_${randomBytes(16).toString('hex')}`;
  const svc = await startTestService({ env: { KLAVIYO_SYNC_METRICS_TOKEN: metricsToken } });
  const open = await startTestService({ env: { KLAVIYO_SYNC_METRICS_PUBLIC: '1' } });
  try {
    const anonymous = await fetch(`${svc.baseUrl}/metrics`);
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'UNAUTHENTICATED');
    const wrong = await fetch(`${svc.baseUrl}/metrics`, { headers: { authorization: 'Bearer mt_wrong' } });
    assert.equal(wrong.status, 401);
    const withToken = await fetch(`${svc.baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${metricsToken}` },
    });
    assert.equal(withToken.status, 200);
    assert.match(await withToken.text(), /klaviyo_sync_http_requests_total/);
    const withApiToken = await fetch(`${svc.baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${svc.adminToken}` },
    });
    assert.equal(withApiToken.status, 200);
    const publicOne = await fetch(`${open.baseUrl}/metrics`);
    assert.equal(publicOne.status, 200);
  } finally {
    await svc.close();
    await open.close();
  }
});

function envFor(dataDir: string, password: string): Record<string, string> {
  return {
    KLAVIYO_SYNC_DATA_DIR: dataDir,
    KLAVIYO_SYNC_PORT: '0',
    KLAVIYO_SYNC_HOST: '127.0.0.1',
    KLAVIYO_SYNC_ADMIN_PASSWORD: password,
    KLAVIYO_SYNC_LOG_LEVEL: 'silent',
    KLAVIYO_SYNC_SECRET_KEY: randomBytesKey,
  };
}
const randomBytesKey = randomBytes(32).toString('base64');

async function signIn(baseUrl: string, password: string): Promise<number> {
  const res = await fetch(`${baseUrl}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  await res.arrayBuffer();
  return res.status;
}

async function started(env: Record<string, string>, options: { pgSchema?: string; now?: () => number }) {
  const service = await createService(loadConfig(env), { ...options, workers: false });
  return { service, url: await service.start() };
}

const backends = [
  { name: 'sqlite', url: undefined as string | undefined },
  ...(TEST_DATABASE_URL ? [{ name: 'postgres', url: TEST_DATABASE_URL }] : []),
];

for (const backend of backends) {
  test(`failed sign-ins are counted in the store: shared by processes and kept over a restart (${backend.name})`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ks-login-'));
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const env = { ...envFor(dir, password), ...(backend.url ? { DATABASE_URL: backend.url } : {}) };
    const pgSchema = backend.url ? `t_login_${randomBytes(5).toString('hex')}` : undefined;
    let clock = Date.now();
    const now = () => clock;
    const services: Service[] = [];
    try {
      const a = await started(env, { pgSchema, now });
      services.push(a.service);
      // Two processes on PostgreSQL; on SQLite (one process) a second service on the same file.
      const b = await started(env, { pgSchema, now });
      services.push(b.service);
      for (let i = 0; i < 5; i++) assert.equal(await signIn(a.url, 'wrong-password'), 401);
      for (let i = 0; i < 5; i++) assert.equal(await signIn(b.url, 'wrong-password'), 401);
      assert.equal(await signIn(a.url, 'wrong-password'), 429, 'the 11th try, wherever it lands, is refused');
      assert.equal(await signIn(b.url, password), 429, 'even with the right password');

      // A restart does not reset the count.
      await a.service.stop();
      await b.service.stop();
      services.length = 0;
      const again = await started(env, { pgSchema, now });
      services.push(again.service);
      assert.equal(await signIn(again.url, password), 429);

      // Once the window has passed, the right password works.
      clock += 5 * 60_000 + 1;
      assert.equal(await signIn(again.url, password), 200);
    } finally {
      for (const s of services) await s.stop();
      if (pgSchema && backend.url) {
        const pg = (await import('pg')).default;
        const client = new pg.Client({ connectionString: backend.url });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${pgSchema}" CASCADE`);
        await client.end();
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
