// Burst and steady rate limits with their headers (windows shortened by time-scale, clock injected), and the
// /__sandbox/ controls: state, request counts, faults, reset.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { type Client, loadContract, openSandbox, profileBody } from './helpers.ts';

const contract = loadContract();
let client: Client | undefined;
let clock = 1_800_000_000_000;

afterEach(async () => {
  await client?.close();
  client = undefined;
});

const control = (method: string, path: string, body?: unknown) => client!.control(method, path, body);

test('burst and steady windows: RateLimit-* headers on answers, Retry-After alone on 429s', async () => {
  clock = 1_800_000_000_000;
  // time-scale 60: the 1 s burst window lasts 1000/60 ms and the 60 s steady window 1 s.
  client = await openSandbox({ now: () => clock, rateLimits: true, timeScale: 60 });
  const first = await client.call('GET', '/api/accounts');
  assert.equal(first.status, 200);
  assert.deepEqual(
    ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'].map((name) => first.headers.get(name)),
    ['15', '14', '1'],
  );
  const burst = await client.call('GET', '/api/accounts');
  assert.equal(burst.status, 429);
  assert.equal(burst.headers.get('retry-after'), '1');
  assert.equal(burst.headers.get('ratelimit-limit'), null);
  assert.equal(burst.body.errors[0].code, 'throttled');
  contract?.check('get_accounts', burst);

  for (let i = 2; i <= 15; i++) {
    clock += 17;
    const answer = await client.call('GET', '/api/accounts');
    assert.equal(answer.status, 200, `request ${i}`);
    assert.equal(answer.headers.get('ratelimit-remaining'), String(15 - i));
  }
  clock += 17;
  const steady = await client.call('GET', '/api/accounts');
  assert.equal(steady.status, 429);
  assert.ok(Number(steady.headers.get('retry-after')) >= 1);
  clock += 1000;
  assert.equal((await client.call('GET', '/api/accounts')).status, 200);

  // Limits are per operation: another operation still has its quota.
  assert.equal((await client.call('GET', '/api/profiles')).status, 200);
  // And per account: another account's key has its own.
  const other = client.sandbox.createAccount('Other');
  assert.equal(
    (
      await client.call('GET', '/api/accounts', undefined, {
        authorization: `Klaviyo-API-Key ${other.apiKey}`,
      })
    ).status,
    200,
  );

  const counts = await control('GET', '/__sandbox/requests');
  assert.equal(counts.body.operations.get_accounts.rate_limited, 2);
  assert.equal(counts.body.operations.get_accounts.count, 19);
});

test('without time-scale the steady window is 60 s; with rate limits off nothing is limited', async () => {
  clock = 1_800_000_000_000;
  client = await openSandbox({ now: () => clock, rateLimits: true });
  assert.equal((await client.call('GET', '/api/accounts')).headers.get('ratelimit-reset'), '60');
  await client.close();
  client = await openSandbox({ now: () => clock, rateLimits: false });
  for (let i = 0; i < 30; i++) assert.equal((await client.call('GET', '/api/accounts')).status, 200);
});

test('state shows counts and details; reset empties the data but keeps the credentials', async () => {
  client = await openSandbox();
  await client.call('POST', '/api/profiles', profileBody({ email: 's@example.com' }));
  await client.call('POST', '/api/lists', { data: { type: 'list', attributes: { name: 'L' } } });
  const summary = await control('GET', '/__sandbox/state');
  assert.equal(summary.body.accounts[0].counts.profiles, 1);
  assert.equal(summary.body.accounts[0].counts.lists, 1);
  assert.equal(summary.body.accounts[0].profiles, undefined);
  const detail = await control(
    'GET',
    `/__sandbox/state?include=profiles,lists,events,jobs&account=${client.sandbox.accountId}`,
  );
  assert.equal(detail.body.accounts[0].profiles[0].email, 's@example.com');
  assert.equal(detail.body.accounts[0].lists[0].name, 'L');
  assert.equal((await control('GET', '/__sandbox/state?account=nope')).status, 404);
  assert.equal((await control('POST', '/__sandbox/reset')).status, 200);
  assert.equal((await control('GET', '/__sandbox/state')).body.accounts[0].counts.profiles, 0);
  assert.equal((await control('GET', '/__sandbox/requests')).body.total, 0);
  assert.equal((await client.call('GET', '/api/profiles')).status, 200);
});

test('faults: error rate per operation, forced 429 storms, latency, and clearing them', async () => {
  clock = 1_800_000_000_000;
  client = await openSandbox({ now: () => clock });
  assert.equal(
    (await control('POST', '/__sandbox/faults', { operation: 'create_profile', errorRate: 1, status: 503 }))
      .status,
    200,
  );
  const failed = await client.call('POST', '/api/profiles', profileBody({ email: 'f@example.com' }));
  assert.equal(failed.status, 503);
  contract?.check('create_profile', failed);
  assert.equal((await client.call('GET', '/api/profiles')).status, 200);
  assert.equal((await control('DELETE', '/__sandbox/faults')).status, 200);
  assert.equal(
    (await client.call('POST', '/api/profiles', profileBody({ email: 'f@example.com' }))).status,
    201,
  );

  await control('POST', '/__sandbox/faults', { storm429: { durationMs: 5000 }, latencyMs: 1 });
  const stormed = await client.call('GET', '/api/accounts');
  assert.equal(stormed.status, 429);
  assert.equal(stormed.headers.get('retry-after'), '5');
  clock += 5001;
  assert.equal((await client.call('GET', '/api/accounts')).status, 200);
  assert.equal((await control('POST', '/__sandbox/faults', { errorRate: 2 })).status, 400);
  assert.equal((await control('POST', '/__sandbox/apps/remove', { clientId: 'nope' })).status, 404);
});

test('controls: a private key revoked answers 401; a new key for the account works', async () => {
  client = await openSandbox({});
  const made = await control('POST', '/__sandbox/keys', {});
  assert.equal(made.status, 201);
  const key = made.body.api_key as string;
  const call = (k: string) =>
    fetch(`${client!.sandbox.url}/api/accounts`, {
      headers: { authorization: `Klaviyo-API-Key ${k}`, revision: '2026-07-15' },
    });
  assert.equal((await call(key)).status, 200);
  assert.equal((await control('POST', '/__sandbox/keys/revoke', { key })).status, 200);
  assert.equal((await call(key)).status, 401);
  assert.equal((await control('POST', '/__sandbox/keys/revoke', { key })).status, 404);
  assert.equal((await control('POST', '/__sandbox/keys', { accountId: 'nope' })).status, 404);
});
