import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { plainIssueMessage } from '../../src/domain/validation-messages.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { addSubscription } from '../transfer/service-helpers.ts';

// SPEC S12: a validation error says, in plain words, which field is wrong and what it must be.
describe('transfer API validation messages', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService({ env: { KLAVIYO_SYNC_LOG_LEVEL: 'warn' } });
    await addSubscription(svc.ctx, 'S1');
  });
  after(() => svc.close());

  const cases: Array<[string, string, string]> = [
    [
      '/api/v1/transfers?created_after=yesterday',
      'created_after',
      'created_after must be a date-time such as 2026-11-29T10:00:00Z',
    ],
    ['/api/v1/transfers?limit=5000', 'limit', 'limit must be at most 500'],
    ['/api/v1/transfers?limit=0', 'limit', 'limit must be at least 1'],
  ];
  for (const [url, field, message] of cases) {
    test(`GET ${url} names ${field} in plain words`, async () => {
      const res = await svc.api('GET', url);
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.error, { code: 'VALIDATION_FAILED', message, field });
    });
  }

  test('an unknown state lists the states there are', async () => {
    const res = await svc.api('GET', '/api/v1/transfers?state=bogus');
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'VALIDATION_FAILED');
    assert.equal(res.body.error.field, 'state');
    assert.match(res.body.error.message, /^state must be one of: queued, /);
    assert.doesNotMatch(res.body.error.message, /Invalid option|"/);
  });

  test('a route’s own message is kept as written', async () => {
    const res = await svc.api('GET', '/api/v1/transfers?ids=1,x');
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.error, {
      code: 'VALIDATION_FAILED',
      message: 'ids: must be transfer ids separated by commas',
      field: 'ids',
    });
  });

  test('a route validated by its fastify schema answers the same plain words', async () => {
    const res = await svc.api('GET', '/api/v1/subscriptions/S1/oauth/start?format=xml');
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.error, {
      code: 'VALIDATION_FAILED',
      message: 'format must be one of: redirect, json',
      field: 'format',
    });
  });

  test('manual sync with no ids asks for at least one', async () => {
    const res = await svc.api('POST', '/api/v1/subscriptions/S1/manual-sync', {
      collection_id: 'c1',
      ids: [],
    });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.error, {
      code: 'VALIDATION_FAILED',
      message: 'ids must list at least 1 id',
      field: 'ids',
    });
  });

  test('manual sync with a field it does not take names that field', async () => {
    const res = await svc.api('POST', '/api/v1/subscriptions/S1/manual-sync', {
      collection_id: 'c1',
      ids: ['a'],
      dry_run: true,
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'VALIDATION_FAILED');
    assert.equal(res.body.error.message, 'dry_run is not a field accepted here; remove it');
  });
});

describe('plainIssueMessage', () => {
  const first = (schema: z.ZodType, value: unknown) => {
    const r = schema.safeParse(value);
    assert.equal(r.success, false);
    return plainIssueMessage(r.error!.issues[0]);
  };

  test('each kind of zod issue becomes a sentence naming the field', () => {
    assert.equal(
      first(z.object({ total: z.number() }), { total: '12' }),
      'total must be a number (got a string)',
    );
    assert.equal(first(z.object({ total: z.number() }), {}), 'total is required');
    assert.equal(first(z.object({ since: z.coerce.number() }), { since: 'abc' }), 'since must be a number');
    assert.equal(first(z.object({ n: z.number().int() }), { n: 1.5 }), 'n must be a whole number');
    assert.equal(
      first(z.object({ id: z.string().max(100) }), { id: 'x'.repeat(101) }),
      'id must be at most 100 characters',
    );
    assert.equal(first(z.object({ name: z.string().min(1) }), { name: '' }), 'name must not be empty');
    assert.equal(
      first(z.object({ addresses: z.array(z.string()).max(2) }), { addresses: ['a', 'b', 'c'] }),
      'addresses must list at most 2 addresses',
    );
    assert.equal(
      first(z.object({ email: z.email() }), { email: 'nope' }),
      'email must be an email address such as ada@example.com',
    );
    assert.equal(first(z.object({ on: z.literal('yes') }), { on: 'no' }), 'on must be yes');
    assert.equal(
      first(z.object({ a: z.object({ b: z.string() }) }), { a: { b: 1 } }),
      'a.b must be a string (got a number)',
    );
    assert.equal(first(z.object({ x: z.string().refine(() => false) }), { x: 'y' }), 'x is not valid');
  });

  test('the caller’s name for the field wins over the issue path', () => {
    const r = z.object({ city: z.string() }).safeParse({ city: 3 });
    assert.equal(
      plainIssueMessage(r.error!.issues[0], 'records[2].city'),
      'records[2].city must be a string (got a number)',
    );
  });
});
