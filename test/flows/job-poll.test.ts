import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextJobPollDelay, progressOf } from '../../src/flows/shared/job-poll.ts';

const timing = { first: 250, max: 5000 };

test('before any progress the wait doubles from the first, up to the max', () => {
  assert.equal(nextJobPollDelay(timing, 0), 250);
  assert.equal(nextJobPollDelay(timing, 250), 500);
  assert.equal(nextJobPollDelay(timing, 4000), 5000);
  assert.equal(nextJobPollDelay(timing, 500, { elapsedMs: 500, done: 0, total: 10_000 }), 1000);
});

test('with progress the next read is timed for when the rest should be done', () => {
  // A quarter done after 1 s: three more seconds at that rate.
  assert.equal(nextJobPollDelay(timing, 250, { elapsedMs: 1000, done: 2500, total: 10_000 }), 3000);
  // Nearly done: soon, but not sooner than the first wait.
  assert.equal(nextJobPollDelay(timing, 2000, { elapsedMs: 4000, done: 9990, total: 10_000 }), 250);
  // Slow jobs are still read at least every max.
  assert.equal(nextJobPollDelay(timing, 250, { elapsedMs: 60_000, done: 100, total: 10_000 }), 5000);
});

test('progress is read from the job attributes, failed rows included', () => {
  assert.deepEqual(progressOf({ total_count: 100, completed_count: 40, failed_count: 10 }, 800), {
    elapsedMs: 800,
    done: 50,
    total: 100,
  });
  assert.equal(progressOf({ status: 'queued' }, 800), undefined);
});
