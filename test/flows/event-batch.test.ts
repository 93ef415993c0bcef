import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  groupEventsByProfile,
  type OutgoingEvent,
  removeDuplicateEvents,
} from '../../src/flows/event-batch.ts';

function event(metric: string, uniqueId: string, profile: OutgoingEvent['profile']): OutgoingEvent {
  return { metric, uniqueId, profile, properties: {} };
}

test('a unique_id repeated for the same profile and metric is sent once and both inputs point at it', () => {
  const events = [
    event('Placed Order', 'T1', { email: 'A@example.com' }),
    event('Placed Order', 'T1', { email: 'a@example.com' }),
    event('Canceled Order', 'T1', { email: 'a@example.com' }),
    event('Placed Order', 'T1', { email: 'b@example.com' }),
    event('Placed Order', 'T2', { id: 'P1' }),
  ];
  const { unique, sentAs } = removeDuplicateEvents(events);
  assert.equal(unique.length, 4);
  assert.deepEqual(sentAs, [0, 0, 1, 2, 3]);
  // Same id under another metric, or on another profile, is a different event.
  assert.equal(unique[1].metric, 'Canceled Order');
  assert.equal(unique[2].profile.email, 'b@example.com');
});

test('events are grouped per profile for the bulk body, in order of first appearance', () => {
  const events = [
    event('Placed Order', 'T1', { email: 'a@example.com' }),
    event('Placed Order', 'T2', { id: 'P9' }),
    event('Ordered Product', 'T1:1', { email: 'a@example.com' }),
  ];
  const groups = groupEventsByProfile(events);
  assert.equal(groups.length, 2);
  assert.deepEqual(
    groups[0].events.map((item) => item.uniqueId),
    ['T1', 'T1:1'],
  );
  assert.equal(groups[1].profile.id, 'P9');
});
