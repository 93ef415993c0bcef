// Paging a sorted profile listing (the profile poll's `sort=updated`): the sandbox reuses its sorted listing
// between pages only while the matching profiles and their sort values are unchanged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createKlaviyoClient } from '../../src/klaviyo/index.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { Profile } from '../../src/sandbox/state.ts';

test('pages of a sorted listing hold every profile once, in order, and follow a change between pages', async () => {
  const sandbox = await startSandbox({ rateLimits: false });
  try {
    const account = sandbox.state.account();
    for (let i = 0; i < 250; i++) {
      const profile = new Profile(`01SORT${String(i).padStart(20, '0')}`, 1_000_000 + i);
      profile.email = `sort${i}@example.com`;
      profile.updated = 2_000_000 - i; // newest first in store order, so the sort really reorders
      account.profiles.add(profile);
    }
    const client = createKlaviyoClient({
      baseUrl: sandbox.url,
      auth: { kind: 'api_key', apiKey: sandbox.apiKey },
      budgetKey: `sorted-${Math.random()}`,
      budgets: false,
    });
    const read = async (onPage?: (n: number) => void) => {
      const seen: { id: string; updated: string }[] = [];
      let next: string | undefined;
      let n = 0;
      do {
        const page = await client.profiles.list(next ? { next } : { sort: 'updated', pageSize: 100 });
        for (const p of page.data)
          seen.push({ id: p.id, updated: String((p.attributes as { updated?: string }).updated) });
        next = page.next;
        onPage?.(++n);
      } while (next);
      return seen;
    };
    const first = await read();
    assert.equal(first.length, 250);
    assert.equal(new Set(first.map((p) => p.id)).size, 250);
    assert.deepEqual(
      first.map((p) => p.updated),
      [...first.map((p) => p.updated)].sort(),
      'ascending by updated',
    );
    // Between the first and second page, the oldest-updated profile becomes the newest: the listing is
    // sorted again, so it now ends the listing (Klaviyo's offsets shift the same way).
    const moved = account.profiles.byId.get(first[0].id)!;
    const second = await read((n) => {
      if (n === 1) moved.updated = 3_000_000;
    });
    assert.equal(second.at(-1)?.id, moved.id);
  } finally {
    await sandbox.close();
  }
});
