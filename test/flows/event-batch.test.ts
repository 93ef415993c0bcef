import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type EventInput,
  groupEventsByProfile,
  removeDuplicateEvents,
} from '../../src/flows/transaction-to-events/event-batch.ts';

function event(metric: string, uniqueId: string | undefined, profile: EventInput['profile']): EventInput {
  return { metric, uniqueId, profile, properties: {} };
}

test('a unique_id repeated for the same profile and metric is sent once and both inputs point at it', () => {
  const events = [
    event('Placed Order', 'T1', { attributes: { email: 'A@example.com' } }),
    event('Placed Order', 'T1', { attributes: { email: 'a@example.com' } }),
    event('Canceled Order', 'T1', { attributes: { email: 'a@example.com' } }),
    event('Placed Order', 'T1', { attributes: { email: 'b@example.com' } }),
    event('Placed Order', 'T2', { id: 'P1' }),
  ];
  const { unique, sentAs } = removeDuplicateEvents(events);
  assert.equal(unique.length, 4);
  assert.deepEqual(sentAs, [0, 0, 1, 2, 3]);
  // Same id under another metric, or on another profile, is a different event.
  assert.equal(unique[1].metric, 'Canceled Order');
  assert.equal(unique[2].profile.attributes?.email, 'b@example.com');
});

test('events without a unique_id are never merged', () => {
  const events = [
    event('Placed Order', undefined, { id: 'P1' }),
    event('Placed Order', undefined, { id: 'P1' }),
  ];
  assert.equal(removeDuplicateEvents(events).unique.length, 2);
});

test('events are grouped per profile for the bulk body, in order of first appearance', () => {
  const events = [
    event('Placed Order', 'T1', { attributes: { email: 'a@example.com' } }),
    event('Placed Order', 'T2', { id: 'P9' }),
    event('Ordered Product', 'T1:1', { attributes: { email: 'a@example.com' } }),
  ];
  const { groups, members } = groupEventsByProfile(events);
  assert.equal(groups.length, 2);
  assert.deepEqual(
    groups[0].events.map((item) => item.uniqueId),
    ['T1', 'T1:1'],
  );
  assert.equal('profile' in groups[0].events[0], false);
  assert.equal(groups[1].profile.id, 'P9');
  assert.deepEqual(members, [[0, 2], [1]]);
});
