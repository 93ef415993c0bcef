import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestService } from './helpers/service.ts';

test('GET /healthz answers ok', async () => {
  const svc = await startTestService();
  const res = await fetch(`${svc.baseUrl}/healthz`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'ok' });
  await svc.close();
});
