import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestService, type TestService } from '../helpers/service.ts';

describe('API tokens record when they were last used', () => {
  let svc: TestService;
  let clock = Date.parse('2026-03-01T10:00:00.000Z');
  before(async () => {
    svc = await startTestService({ now: () => clock });
  });
  after(async () => {
    await svc.close();
  });

  async function lastUsed(name: string): Promise<string | null> {
    const res = await svc.api('GET', '/api/v1/tokens');
    assert.equal(res.status, 200);
    const row = res.body.data.find((t: { name: string }) => t.name === name);
    assert.ok(row, `token ${name} is listed`);
    return row.last_used_at;
  }

  test('a token used is stamped; the stamp moves at most once a minute; an unused token stays null', async () => {
    const unused = await svc.api('POST', '/api/v1/tokens', { name: 'never-used' });
    assert.equal(unused.status, 201);
    const first = '2026-03-01T10:00:00.000Z';
    assert.equal(await lastUsed('test'), first);
    assert.equal(await lastUsed('never-used'), null);

    clock += 30_000;
    assert.equal(await lastUsed('test'), first, 'within a minute the stamp is not rewritten');

    clock += 31_000;
    assert.equal(await lastUsed('test'), '2026-03-01T10:01:01.000Z');
  });
});
