import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestService, TEST_DATABASE_URL, type TestService } from '../helpers/service.ts';
import { addSubscription } from '../transfer/service-helpers.ts';

for (const postgres of TEST_DATABASE_URL ? [false, true] : [false]) {
  describe(`hub routes (${postgres ? 'postgres' : 'sqlite'})`, () => {
    let svc: TestService;
    const count = (filter: Record<string, string>) => svc.ctx.transfers!.engine.log.count(filter);

    before(async () => {
      svc = await startTestService({ postgres, env: { KLAVIYO_SYNC_LOG_LEVEL: 'warn' } });
      await addSubscription(svc.ctx, 'on');
      await addSubscription(svc.ctx, 'off', {
        flows: { 'customer/created': false, 'customer/updated': false },
      });
    });
    after(() => svc.close());

    test('create, read, replace, patch, list and delete a customer', async () => {
      const made = await svc.api('POST', '/api/v1/customers', {
        id: 'cust-1',
        email_address: 'Ada@Example.com',
        first_name: 'Ada',
        addresses: [{ city: 'London', is_primary_billing: true }],
      });
      assert.equal(made.status, 201);
      assert.equal(made.body.id, 'cust-1');
      assert.ok(made.body.version > 0);
      assert.equal(
        (await svc.api('POST', '/api/v1/customers', { id: 'cust-1' })).body.error.code,
        'CONFLICT',
      );

      const got = await svc.api('GET', '/api/v1/customers/cust-1');
      assert.equal(got.body.addresses[0].city, 'London');

      const put = await svc.api('PUT', '/api/v1/customers/cust-1', {
        email_address: 'ada@example.com',
        last_name: 'L',
      });
      assert.equal(put.status, 200);
      assert.ok(put.body.version > made.body.version);
      assert.equal(put.body.first_name, undefined, 'PUT replaces the record');
      assert.equal(put.body.created_datetime, made.body.created_datetime);

      const patched = await svc.api('PATCH', '/api/v1/customers/cust-1', { first_name: 'Ada' });
      assert.equal(patched.body.first_name, 'Ada');
      assert.equal(patched.body.last_name, 'L');
      const badPatch = await svc.api('PATCH', '/api/v1/customers/cust-1', { email_address: 'nope' });
      assert.equal(badPatch.status, 400);
      assert.equal(badPatch.body.error.field, 'email_address');

      await svc.api('PUT', '/api/v1/customers/cust-2', { first_name: 'B' });
      const page1 = await svc.api('GET', '/api/v1/customers?limit=1');
      assert.equal(page1.body.data.length, 1);
      assert.equal(page1.body.next_cursor, 'cust-1');
      const page2 = await svc.api('GET', `/api/v1/customers?limit=1&cursor=${page1.body.next_cursor}`);
      assert.equal(page2.body.data[0].id, 'cust-2');

      assert.equal((await svc.api('DELETE', '/api/v1/customers/cust-2')).status, 204);
      const gone = await svc.api('GET', '/api/v1/customers/cust-2');
      assert.equal(gone.status, 404);
      assert.equal(gone.body.error.code, 'RECORD_NOT_FOUND');

      const feed = await svc.api('GET', `/api/v1/changes?since=${made.body.version}`);
      const ids = feed.body.data.map((c: { id: string; deleted: boolean }) => `${c.id}:${c.deleted}`);
      assert.deepEqual(ids, ['cust-1:false', 'cust-2:true']);
      const rest = await svc.api('GET', `/api/v1/changes?since=${feed.body.next_cursor}`);
      assert.deepEqual(rest.body.data, []);
    });

    test('transactions and products have the same routes', async () => {
      const t = await svc.api('PUT', '/api/v1/transactions/T-1', {
        transaction_number: '1001',
        email_address: 'buyer@example.com',
        total: 25.5,
        created_datetime: '2026-03-01T10:00:00Z',
        lines: [{ sku: 'SKU-1', qty: 1, unit_price: 25.5 }],
      });
      assert.equal(t.status, 200);
      assert.equal(t.body.created_datetime, '2026-03-01T10:00:00Z');
      const p = await svc.api('POST', '/api/v1/products/batch', [{ id: 'P-1', sku: 'SKU-1', name: 'Mug' }]);
      assert.equal(p.body.created, 1);
      assert.equal((await svc.api('GET', '/api/v1/products/P-1')).body.name, 'Mug');
    });

    test('a batch of 1,000 customers queues one transfer per customer where the flow is on, none where off', async () => {
      const records = Array.from({ length: 1000 }, (_, i) => ({
        id: `b${i}`,
        email_address: `b${i}@example.com`,
      }));
      const r = await svc.api('POST', '/api/v1/customers/batch', { records });
      assert.equal(r.status, 200);
      assert.equal(r.body.created, 1000);
      assert.equal(await count({ subscription_id: 'on', flow: 'customer-to-profile', record_id: 'b999' }), 1);
      const onCount = await svc.ctx.store.db
        .selectFrom('transfers')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('subscription_id', '=', 'on')
        .where('record_id', 'like', 'b%')
        .executeTakeFirstOrThrow();
      assert.equal(Number(onCount.n), 1000);
      assert.equal(await count({ subscription_id: 'off', flow: 'customer-to-profile' }), 0);
    });

    test('an invalid record refuses the whole batch, naming it, and queues nothing', async () => {
      const before = await count({});
      const records = Array.from({ length: 10 }, (_, i) => ({
        id: `x${i}`,
        email_address: `x${i}@example.com`,
      }));
      records[5].email_address = 'broken';
      const r = await svc.api('POST', '/api/v1/customers/batch', records);
      assert.equal(r.status, 400);
      assert.equal(r.body.error.field, 'records[5].email_address');
      assert.equal(await count({}), before);
      assert.equal((await svc.api('GET', '/api/v1/customers/x0')).status, 404);
      const tooMany = await svc.api(
        'POST',
        '/api/v1/customers/batch',
        Array.from({ length: 1001 }, () => ({})),
      );
      assert.equal(tooMany.status, 400);
    });

    test('NDJSON import reports bad lines by number and imports the rest', async () => {
      const lines = [
        JSON.stringify({ id: 'n1', email_address: 'n1@example.com' }),
        '{not json',
        JSON.stringify({ id: 'n2', email_address: 'not-an-email' }),
        '',
        JSON.stringify([1, 2]),
        JSON.stringify({ id: 'n3', first_name: 'Ünïcode' }),
      ];
      const res = await fetch(`${svc.baseUrl}/api/v1/customers/import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${svc.adminToken}`, 'content-type': 'application/x-ndjson' },
        body: `${lines.join('\n')}\n`,
      });
      assert.equal(res.status, 200);
      const report = await res.json();
      assert.equal(report.accepted, 2);
      assert.equal(report.rejected, 3);
      assert.deepEqual(
        report.errors.map((e: { line: number }) => e.line),
        [2, 3, 5],
      );
      assert.equal(report.errors[1].field, 'email_address');
      assert.equal((await svc.api('GET', '/api/v1/customers/n3')).body.first_name, 'Ünïcode');
      const wrongType = await fetch(`${svc.baseUrl}/api/v1/customers/import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${svc.adminToken}`, 'content-type': 'text/csv' },
        body: 'a,b',
      });
      assert.equal(wrongType.status, 415);
    });

    test('hub routes need a sign-in', async () => {
      const res = await fetch(`${svc.baseUrl}/api/v1/customers`);
      assert.equal(res.status, 401);
    });
  });
}
