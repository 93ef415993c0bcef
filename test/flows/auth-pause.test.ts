import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startFlowEnv } from './helpers.ts';

test('a rejected key pauses the subscription; the transfers wait instead of failing', async () => {
  const env = await startFlowEnv({ apiKey: 'pk_wrong_key_000000000000000000' });
  try {
    await env.hub.upsert('customer', { id: 'c1', email_address: 'wait@example.com' });
    await env.hub.upsert('transaction', { id: 'T1', email_address: 'wait@example.com', total: 1, lines: [] });
    await env.drain();
    const pause = await env.engine.log.pauseOf('sub-1');
    assert.ok(pause, 'the subscription is paused');
    assert.equal(pause.code, 'AUTH_INVALID_KEY');
    assert.match(pause.message, /Authenticate|API key/);
    const transfers = await env.transfers();
    assert.equal(transfers.length, 2);
    assert.ok(
      transfers.every((t) => t.state === 'queued'),
      JSON.stringify(transfers.map((t) => [t.record_id, t.state, t.error_code])),
    );
    assert.equal(env.account.profiles.size, 0);
  } finally {
    await env.close();
  }
});
