import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page, ProfileAttributes } from '../../src/klaviyo/index.ts';
import {
  advanceWatermark,
  klaviyoDatetime,
  type PolledProfile,
  pollChangedProfiles,
  pollFilter,
} from '../../src/flows/profile-to-customer/profile-poll.ts';

const profile = (id: string, updated: string): PolledProfile => ({
  type: 'profile',
  id,
  attributes: { updated },
});

test('the filter starts an overlap before the watermark, to the second', () => {
  assert.equal(klaviyoDatetime(Date.parse('2026-01-01T00:00:10.900Z')), '2026-01-01T00:00:10Z');
  assert.equal(pollFilter('2026-01-01T00:10:00.000Z', 120_000), 'greater-than(updated,2026-01-01T00:08:00Z)');
});

test('the watermark follows the newest profile of the page but never passes the poll start', () => {
  const start = new Date('2026-01-01T12:00:00Z');
  const page = [profile('a', '2026-01-01T10:00:00+00:00'), profile('b', '2026-01-01T11:00:00+00:00')];
  assert.equal(advanceWatermark('2026-01-01T09:00:00.000Z', page, start), '2026-01-01T11:00:00.000Z');
  const late = [profile('c', '2026-01-01T12:30:00+00:00')];
  assert.equal(advanceWatermark('2026-01-01T11:00:00.000Z', late, start), '2026-01-01T12:00:00.000Z');
  assert.equal(advanceWatermark('2026-01-01T11:00:00.000Z', [], start), '2026-01-01T11:00:00.000Z');
  // Never backwards.
  assert.equal(
    advanceWatermark('2026-01-01T11:00:00.000Z', [profile('d', '2026-01-01T08:00:00Z')], start),
    '2026-01-01T11:00:00.000Z',
  );
});

function pages(all: PolledProfile[][]) {
  const filters: string[] = [];
  return {
    filters,
    async fetchPage(filter: string, next: string | undefined): Promise<Page<ProfileAttributes>> {
      filters.push(filter);
      const index = next ? Number(next) : 0;
      return { data: all[index], next: index + 1 < all.length ? String(index + 1) : undefined };
    },
  };
}

test('the first poll starts at the subscription creation; each page is queued before the watermark moves', async () => {
  const source = pages([
    [profile('a', '2026-01-01T10:00:00Z'), profile('b', '2026-01-01T10:05:00Z')],
    [profile('c', '2026-01-01T10:07:00Z')],
  ]);
  const queued: { ids: string[]; watermark: string }[] = [];
  const result = await pollChangedProfiles({
    fetchPage: source.fetchPage,
    loadWatermark: async () => undefined,
    subscriptionCreatedAt: '2026-01-01T09:30:00.000Z',
    now: () => new Date('2026-01-01T11:00:00Z'),
    async queuePage(profiles, watermark) {
      queued.push({ ids: profiles.map((item) => item.id), watermark });
      return profiles.length;
    },
  });
  assert.deepEqual(source.filters[0], 'greater-than(updated,2026-01-01T09:30:00Z)');
  assert.deepEqual(queued, [
    { ids: ['a', 'b'], watermark: '2026-01-01T10:05:00.000Z' },
    { ids: ['c'], watermark: '2026-01-01T10:07:00.000Z' },
  ]);
  assert.deepEqual(result, { pages: 2, profilesRead: 3, queued: 3, watermark: '2026-01-01T10:07:00.000Z' });
});

test('a failure while queuing a page leaves the watermark where the last queued page put it', async () => {
  const source = pages([[profile('a', '2026-01-01T10:00:00Z')], [profile('b', '2026-01-01T10:05:00Z')]]);
  let stored: string | undefined = '2026-01-01T09:00:00.000Z';
  let calls = 0;
  await assert.rejects(
    pollChangedProfiles({
      fetchPage: source.fetchPage,
      loadWatermark: async () => stored,
      subscriptionCreatedAt: '2026-01-01T00:00:00.000Z',
      now: () => new Date('2026-01-01T11:00:00Z'),
      async queuePage(_profiles, watermark) {
        if (++calls === 2) throw new Error('disk full');
        stored = watermark;
        return 1;
      },
    }),
    /disk full/,
  );
  assert.equal(stored, '2026-01-01T10:00:00.000Z');
  assert.equal(source.filters[0], 'greater-than(updated,2026-01-01T08:58:00Z)');
});
