// A rejected key may come as 400 (Klaviyo's authentication guide says so) as well as 401: either way the
// subscription pauses with the key's error and no record is failed for it. The sandbox answers a bad key
// with Klaviyo's error codes and, when asked, with the 400 status the guide describes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSandbox } from '../../src/sandbox/index.ts';
import { startFlowEnv } from '../flows/helpers.ts';

const WRONG_KEY = 'pk_wrong_key_000000000000000000';

for (const authFailureStatus of [400, 401] as const) {
  test(`a key refused with ${authFailureStatus} pauses the subscription; every transfer waits`, async () => {
    const env = await startFlowEnv({ apiKey: WRONG_KEY, sandbox: { authFailureStatus } });
    try {
      await env.hub.upsert('customer', { id: 'c1', email_address: 'wait@example.com' });
      await env.hub.upsert('transaction', {
        id: 'T1',
        email_address: 'wait@example.com',
        total: 1,
        lines: [],
      });
      await env.drain();
      const pause = await env.engine.log.pauseOf('sub-1');
      assert.ok(pause, 'the subscription is paused');
      assert.equal(pause.code, 'AUTH_INVALID_KEY');
      const transfers = await env.transfers();
      assert.equal(transfers.length, 2);
      assert.ok(
        transfers.every((t) => t.state === 'queued' && t.error_code === null),
        JSON.stringify(transfers.map((t) => [t.record_id, t.state, t.error_code])),
      );
    } finally {
      await env.close();
    }
  });
}

test('the sandbox answers a bad key with Klaviyo’s codes, titles and details', async () => {
  const sandbox = await startSandbox({ rateLimits: false, authFailureStatus: 400 });
  try {
    const call = async (authorization?: string) => {
      const res = await fetch(`${sandbox.url}/api/accounts`, {
        headers: {
          revision: '2026-07-15',
          accept: 'application/vnd.api+json',
          ...(authorization ? { authorization } : {}),
        },
      });
      return {
        status: res.status,
        error: ((await res.json()) as { errors?: Record<string, unknown>[] }).errors?.[0] ?? {},
      };
    };
    const wrong = await call(`Klaviyo-API-Key ${WRONG_KEY}`);
    assert.equal(wrong.status, 400);
    assert.equal(wrong.error.code, 'authentication_failed');
    assert.equal(wrong.error.title, 'Incorrect authentication credentials.');
    const scheme = await call(`Token ${sandbox.apiKey}`);
    assert.equal(scheme.status, 400);
    assert.equal(scheme.error.code, 'not_authenticated');
    assert.equal(scheme.error.detail, 'Missing or invalid authorization scheme. Please use Klaviyo-API-Key.');
    const none = await call();
    assert.equal(none.error.code, 'not_authenticated');
    assert.equal(none.error.title, 'Authentication credentials were not provided.');
    assert.equal((await call(`Klaviyo-API-Key ${sandbox.apiKey}`)).status, 200);
  } finally {
    await sandbox.close();
  }
  // By default a bad key answers 401, as Klaviyo is seen to do today.
  const plain = await startSandbox({ rateLimits: false });
  try {
    const res = await fetch(`${plain.url}/api/accounts`, {
      headers: { revision: '2026-07-15', authorization: `Klaviyo-API-Key ${WRONG_KEY}` },
    });
    assert.equal(res.status, 401);
  } finally {
    await plain.close();
  }
});
