import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../src/domain/errors.ts';
import { listDirectoryFor } from '../../src/flows/shared/flow-deps.ts';
import { createListDirectory, type ListRef } from '../../src/flows/shared/list-directory.ts';
import { createKlaviyoClient } from '../../src/klaviyo/index.ts';
import { startSandbox } from '../../src/sandbox/index.ts';

function fakeSource(initial: ListRef[]) {
  const lists = [...initial];
  const calls = { find: 0, create: 0 };
  return {
    calls,
    lists,
    source: {
      async findByName(name: string) {
        calls.find++;
        await new Promise((resolve) => setImmediate(resolve));
        return lists.find((list) => list.name === name);
      },
      async create(name: string) {
        calls.create++;
        const list = { id: `L${lists.length + 1}`, name };
        lists.push(list);
        return list;
      },
    },
  };
}

test('lists are found by exact name once and then served from the cache', async () => {
  const fake = fakeSource([{ id: 'L1', name: 'VIP' }]);
  const directory = createListDirectory({ source: fake.source });
  const found = await Promise.all(Array.from({ length: 50 }, () => directory.resolve('VIP')));
  assert.ok(found.every((list) => list.id === 'L1'));
  assert.equal(fake.calls.find, 1);
  await assert.rejects(directory.resolve('vip'), (error: unknown) => {
    assert.ok(error instanceof AppError);
    assert.equal(error.code, 'KLAVIYO_LIST_NOT_FOUND');
    assert.match(error.message, /Klaviyo list 'vip' not found/);
    return true;
  });
});

test('a missing list is created once, even when many records ask at the same time', async () => {
  const fake = fakeSource([]);
  const directory = createListDirectory({ source: fake.source });
  const made = await Promise.all(
    Array.from({ length: 20 }, () => directory.resolve('News', { createMissing: true })),
  );
  assert.equal(new Set(made.map((list) => list.id)).size, 1);
  assert.equal(fake.calls.create, 1);
  assert.equal(fake.lists.length, 1);
});

test('a miss is trusted only briefly, so a list made in Klaviyo later is found', async () => {
  let clock = 0;
  const fake = fakeSource([]);
  const directory = createListDirectory({ source: fake.source, now: () => clock, missTtlMs: 1000 });
  await assert.rejects(directory.resolve('Later'));
  fake.lists.push({ id: 'L7', name: 'Later' });
  await assert.rejects(directory.resolve('Later'));
  clock = 1500;
  assert.equal((await directory.resolve('Later')).id, 'L7');
});

test('a list creation answered after the client timed out makes one list, and members go to it', async () => {
  const sandbox = await startSandbox({ rateLimits: false });
  try {
    // Klaviyo finishes the creation; its answer comes after the client's read timeout.
    const fault = await fetch(`${sandbox.url}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ operation: 'create_list', answerDelayMs: 1500 }),
    });
    assert.equal(fault.status, 200);
    const client = createKlaviyoClient({
      baseUrl: sandbox.url,
      auth: { kind: 'api_key', apiKey: sandbox.apiKey },
      budgetKey: 'late-answers',
      budgets: false,
      timeouts: { readMs: 300 },
      retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5 },
    });
    const { profile } = await client.profiles.importProfile({ attributes: { email: 'late@example.com' } });
    const list = await listDirectoryFor(client).resolve('Late answers', { createMissing: true });
    await client.lists.addMembers(list.id, [profile.id]);

    const account = sandbox.state.account(sandbox.accountId);
    const named = [...account.lists.values()].filter((l) => l.name === 'Late answers');
    assert.equal(named.length, 1, 'exactly one list of that name');
    assert.equal(named[0].id, list.id);
    assert.deepEqual([...named[0].members.keys()], [profile.id]);
  } finally {
    await sandbox.close();
  }
});

test('a list creation that fails with 5xx is looked for before each new try, and tries are bounded', async () => {
  const sandbox = await startSandbox({ rateLimits: false });
  try {
    // The injected error comes before the work, so no list is made: each look finds nothing.
    await fetch(`${sandbox.url}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ operation: 'create_list', errorRate: 1, status: 503 }),
    });
    const client = createKlaviyoClient({
      baseUrl: sandbox.url,
      auth: { kind: 'api_key', apiKey: sandbox.apiKey },
      budgetKey: 'failing-creates',
      budgets: false,
      retry: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 5 },
    });
    await assert.rejects(client.lists.create('Never'), (error: unknown) => {
      assert.equal((error as { status?: number }).status, 503);
      return true;
    });
    assert.equal(sandbox.state.account(sandbox.accountId).lists.size, 0);
    assert.equal(sandbox.state.requestCounts.get('create_list')?.count, 3, 'three sends, not five');
    assert.equal(sandbox.state.requestCounts.get('get_lists')?.count, 2, 'a look before each new send');
  } finally {
    await sandbox.close();
  }
});

test('a list creation that never reached Klaviyo (connection refused) is retried as usual, without looking', async () => {
  // A port that was free a moment ago: nothing listens there, so every connection is refused.
  const sandbox = await startSandbox({ rateLimits: false });
  const closedUrl = sandbox.url;
  await sandbox.close();
  const sent: string[] = [];
  const client = createKlaviyoClient({
    baseUrl: closedUrl,
    auth: { kind: 'api_key', apiKey: 'pk_refused' },
    budgetKey: 'refused-creates',
    budgets: false,
    retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5 },
    onExchange: (exchange) => sent.push(exchange.operationId),
  });
  await assert.rejects(client.lists.create('Unreached'), (error: unknown) => {
    assert.equal((error as { code?: string }).code, 'KLAVIYO_NETWORK_ERROR');
    return true;
  });
  assert.deepEqual(sent, ['create_list', 'create_list', 'create_list', 'create_list']);
});
