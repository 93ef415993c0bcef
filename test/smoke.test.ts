import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildServer } from '../src/server/app.ts';

test('GET /healthz answers ok', async () => {
  const app = await buildServer();
  const res = await app.inject({ method: 'GET', url: '/healthz' });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { status: 'ok' });
  await app.close();
});
