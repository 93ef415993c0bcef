import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestService, type TestService } from '../helpers/service.ts';

// docs/errors.md: hub validation errors (requests, batches, import lines) say in plain words what is wrong.
describe('hub validation messages', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService({ env: { KLAVIYO_SYNC_LOG_LEVEL: 'warn' } });
  });
  after(() => svc.close());

  test('GET /api/v1/changes?since=abc asks for a number', async () => {
    const res = await svc.api('GET', '/api/v1/changes?since=abc');
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.error, {
      code: 'VALIDATION_FAILED',
      message: 'since must be a number',
      field: 'since',
    });
  });

  test('an unknown change kind lists the kinds', async () => {
    const res = await svc.api('GET', '/api/v1/changes?kind=order');
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.error, {
      code: 'VALIDATION_FAILED',
      message: 'kind must be one of: customer, transaction, product',
      field: 'kind',
    });
  });

  test('a batch names the record and the field in plain words', async () => {
    const res = await svc.api('POST', '/api/v1/transactions/batch', [
      { id: 't1', total: 10 },
      { id: 't2', total: '12.50' },
    ]);
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.error, {
      code: 'VALIDATION_FAILED',
      message: 'records[1].total must be a number (got a string)',
      field: 'records[1].total',
    });
    assert.equal(
      (await svc.api('GET', '/api/v1/transactions/t1')).status,
      404,
      'a refused batch writes nothing',
    );
  });

  test('a PATCH that breaks a field says so plainly', async () => {
    assert.equal((await svc.api('PUT', '/api/v1/customers/p1', { id: 'p1' })).status < 300, true);
    const res = await svc.api('PATCH', '/api/v1/customers/p1', { first_name: 5 });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.error, {
      code: 'VALIDATION_FAILED',
      message: 'first_name must be a string (got a number)',
      field: 'first_name',
    });
  });

  test('import lines are rejected with plain messages naming the field', async () => {
    const lines = [
      JSON.stringify({ id: 'x'.repeat(101) }),
      JSON.stringify({ id: 'ok1', total: 5 }),
      JSON.stringify({ id: 'bad-total', total: 'five' }),
      JSON.stringify({ id: 'bad-date', created_datetime: 'yesterday' }),
    ];
    const res = await fetch(`${svc.baseUrl}/api/v1/transactions/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${svc.adminToken}`, 'content-type': 'application/x-ndjson' },
      body: `${lines.join('\n')}\n`,
    });
    assert.equal(res.status, 200);
    const report = await res.json();
    assert.equal(report.accepted, 1);
    assert.deepEqual(
      report.errors.map((e: { line: number; field?: string; message: string }) => [
        e.line,
        e.field,
        e.message,
      ]),
      [
        [1, 'id', 'id must be at most 100 characters'],
        [3, 'total', 'total must be a number (got a string)'],
        [4, 'created_datetime', 'created_datetime must be a date-time such as 2026-11-29T10:00:00Z'],
      ],
    );
  });
});
