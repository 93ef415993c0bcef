import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HubThrottle } from '../../src/flows/shared/hub-throttle.ts';
import { startFlowEnv } from './helpers.ts';

function fakeTime() {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    async sleep(ms: number) {
      sleeps.push(ms);
      now += ms;
    },
  };
}

test('writes beyond the window wait for the oldest to leave it, a window at a time', async () => {
  const time = fakeTime();
  const throttle = new HubThrottle(time);
  const limits = { limit: 3, seconds: 10 };
  assert.equal(await throttle.take('s', 2, limits), 2);
  assert.equal(await throttle.take('s', 5, limits), 1, 'only the room left is taken without waiting');
  assert.deepEqual(time.sleeps, []);
  assert.equal(await throttle.take('s', 5, limits), 3, 'then a whole window, after waiting for room');
  assert.deepEqual(time.sleeps, [10_000]);
  // Other subscriptions have windows of their own.
  assert.equal(await throttle.take('other', 3, limits), 3);
  assert.deepEqual(time.sleeps, [10_000]);
});

test('an abort while waiting stops the wait', async () => {
  const throttle = new HubThrottle();
  const limits = { limit: 1, seconds: 60 };
  await throttle.take('s', 1, limits);
  const controller = new AbortController();
  const waiting = throttle.take('s', 1, limits, controller.signal);
  controller.abort(new Error('shutdown'));
  await assert.rejects(waiting, /shutdown/);
});

test('Profile → Customer writes no faster than the subscription hub throttle allows', async () => {
  const time = fakeTime();
  const env = await startFlowEnv({
    subscription: { hub_throttle: { limit: 2, seconds: 60 } },
    hubThrottle: new HubThrottle(time),
    scopes: [],
  });
  try {
    for (let i = 0; i < 5; i++) await env.client.profiles.create({ email: `t${i}@example.com` });
    await env.poll();
    await env.drain();
    const transfers = await env.transfers();
    assert.equal(transfers.length, 5);
    assert.ok(transfers.every((t) => t.state === 'succeeded'));
    assert.equal((await env.hub.list('customer')).data.length, 5);
    // 5 writes at 2 a minute: 2 at once, then 2 after a minute, then 1 after another.
    assert.deepEqual(time.sleeps, [60_000, 60_000]);
  } finally {
    await env.close();
  }
});
