// Tokens that live less than twice the 5-minute margin are refreshed at half their lifetime, not on every
// call (which would turn each request into a refresh).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSandbox } from '../../src/sandbox/index.ts';
import { startCountingProxy } from '../helpers/counting-proxy.ts';
import { startTestService } from '../helpers/service.ts';
import { authorize, signIn } from './connection-sandbox.ts';

test('a 2-minute access token is used for a minute, then refreshed once', async () => {
  const sandbox = await startSandbox({ port: 0, rateLimits: false, accessTokenTtlSeconds: 120 });
  const proxy = await startCountingProxy(sandbox.url);
  let offset = 0;
  const svc = await startTestService({
    now: () => Date.now() + offset,
    env: {
      KLAVIYO_SYNC_ALLOW_SANDBOX_URLS: '1',
      KLAVIYO_OAUTH_CLIENT_ID: sandbox.oauthClient.clientId,
      KLAVIYO_OAUTH_CLIENT_SECRET: sandbox.oauthClient.clientSecret,
    },
  });
  try {
    const browser = await signIn(svc);
    const made = await svc.api('POST', '/api/v1/subscriptions', {
      name: 'Short',
      api_url: proxy.url,
      auth_method: 'oauth',
    });
    await authorize(svc, browser, made.body.id);
    const client = await svc.ctx.klaviyoFor(made.body.id);
    for (let i = 0; i < 5; i++) await client.lists.list();
    assert.equal(proxy.count('grant:refresh_token'), 0);
    offset = 61_000;
    await Promise.all(Array.from({ length: 10 }, () => client.lists.list()));
    assert.equal(proxy.count('grant:refresh_token'), 1);
    await client.lists.list();
    assert.equal(proxy.count('grant:refresh_token'), 1);
  } finally {
    await svc.close();
    await proxy.close();
    await sandbox.close();
  }
});
