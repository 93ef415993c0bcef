import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../src/domain/errors.ts';
import { createListDirectory, type ListRef } from '../../src/flows/shared/list-directory.ts';

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
