import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestService, type TestService } from '../helpers/service.ts';
import { addSubscription } from '../transfer/service-helpers.ts';

let svc: TestService;
before(async () => {
  svc = await startTestService({ env: { KLAVIYO_SYNC_LOG_LEVEL: 'warn' } });
  await addSubscription(svc.ctx, 'KEYED');
  await addSubscription(svc.ctx, 'OAUTHED');
  await svc.ctx.store.db
    .updateTable('subscriptions')
    .set({ auth_method: 'oauth', status: 'needs_authorization' })
    .where('id', '=', 'OAUTHED')
    .execute();
});
after(() => svc.close());

test('unlinking OAuth on an API-key subscription is refused with OAUTH_NOT_LINKED and changes nothing', async () => {
  const before = (await svc.api('GET', '/api/v1/subscriptions/KEYED')).body;
  const res = await svc.api('POST', '/api/v1/subscriptions/KEYED/oauth/unlink');
  assert.equal(res.status, 409);
  assert.equal(res.body.error.code, 'OAUTH_NOT_LINKED');
  assert.match(
    res.body.error.message,
    /^Subscription KEYED uses an API key, not OAuth, so there is nothing to unlink\./,
  );
  assert.deepEqual((await svc.api('GET', '/api/v1/subscriptions/KEYED')).body, before);
});

test('unlinking an OAuth subscription with no tokens left still succeeds (unlink is idempotent)', async () => {
  const res = await svc.api('POST', '/api/v1/subscriptions/OAUTHED/oauth/unlink');
  assert.equal(res.status, 200);
  assert.equal(res.body.revoked, false);
  assert.equal(res.body.status, 'needs_authorization');
});

test('unlinking a subscription that does not exist is 404', async () => {
  const res = await svc.api('POST', '/api/v1/subscriptions/NOPE/oauth/unlink');
  assert.equal(res.status, 404);
  assert.equal(res.body.error.code, 'NOT_FOUND');
});
