import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createProgress, formatDuration, formatRate } from '../../src/cli/progress.ts';

function collector(isTTY = false) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, write: (c: string) => chunks.push(c) } };
}

test('durations and rates read like a person would write them', () => {
  assert.equal(formatDuration(1234), '1.2s');
  assert.equal(formatDuration(42_000), '42s');
  assert.equal(formatDuration(125_000), '2m05s');
  assert.equal(formatDuration(3_725_000), '1h02m');
  assert.equal(formatDuration(Number.NaN), '?');
  assert.equal(formatRate(0), '0/s');
  assert.equal(formatRate(12.345), '12.3/s');
  assert.equal(formatRate(4321.4), '4,321/s');
});

test('without a terminal, progress is a few plain lines with counts, rate and ETA', () => {
  const { chunks, stream } = collector(false);
  let clock = 1_000_000;
  const progress = createProgress({
    label: 'import customers',
    total: 1000,
    stream,
    now: () => clock,
    lineIntervalMs: 2000,
  });
  for (let done = 100; done <= 1000; done += 100) {
    clock += 500;
    progress.update(done);
  }
  progress.stop('3 rejected');
  // One line for the first update, then one every 2 s of the 5 s run, one at completion, the summary.
  assert.deepEqual(chunks, [
    'import customers: 100/1,000 records (10%), 200/s, ETA 4.5s\n',
    'import customers: 500/1,000 records (50%), 200/s, ETA 2.5s\n',
    'import customers: 900/1,000 records (90%), 200/s, ETA 0.5s\n',
    'import customers: 1,000/1,000 records (100%), 200/s\n',
    'import customers: 1,000 records in 5.0s (200/s), 3 rejected\n',
  ]);
  for (const chunk of chunks) assert.doesNotMatch(chunk, /\u001b\[/, 'no terminal escapes on a pipe');
});

test('without a terminal, a rate not measured yet is left out instead of printed as 0/s with no ETA', () => {
  const { chunks, stream } = collector(false);
  let clock = 0;
  const progress = createProgress({ label: 'import customers', total: 1000, stream, now: () => clock });
  clock = 10; // a first chunk read at once: too soon for a rate
  progress.update(200);
  progress.update(1000);
  assert.deepEqual(chunks, [
    'import customers: 200/1,000 records (20%)\n',
    'import customers: 1,000/1,000 records (100%)\n',
  ]);
});

test('without a terminal, a count that does not move is repeated only every 30 s', () => {
  const { chunks, stream } = collector(false);
  let clock = 0;
  const progress = createProgress({
    label: 'drain',
    total: 10,
    stream,
    now: () => clock,
    lineIntervalMs: 1000,
  });
  for (let second = 0; second <= 60; second++) {
    clock = second * 1000;
    progress.update(second < 45 ? 3 : 4);
  }
  assert.deepEqual(
    chunks.map((c) => c.split(/[,\n]/)[0]),
    ['drain: 3/10 records (30%)', 'drain: 3/10 records (30%)', 'drain: 4/10 records (40%)'],
  );
});

test('an unknown total shows counts without percentage or ETA, and extra text is carried', () => {
  const { chunks, stream } = collector(false);
  let clock = 0;
  const progress = createProgress({ label: 'drain', stream, now: () => clock, unit: 'transfers' });
  clock = 1000;
  progress.increment(10, '2 failed');
  progress.stop();
  progress.stop();
  assert.deepEqual(chunks, [
    'drain: 10 transfers, 10.0/s, 2 failed\n',
    'drain: 10 transfers in 1.0s (10.0/s)\n',
  ]);
});

test('the summary of a single record is in the singular', () => {
  const { chunks, stream } = collector(false);
  let clock = 0;
  const progress = createProgress({ label: 'sync', total: 1, stream, now: () => clock });
  clock = 500;
  progress.update(1);
  progress.stop();
  assert.equal(chunks.at(-1), 'sync: 1 record in 0.5s (2.0/s)\n');
});

test('on a terminal, a bar is drawn and replaced by the summary', () => {
  const { chunks, stream } = collector(true);
  let clock = 0;
  const progress = createProgress({ label: 'sync', total: 4, stream, now: () => clock });
  clock = 2000;
  progress.update(2, 'debug');
  progress.update(4);
  progress.stop();
  const output = chunks.join('');
  assert.match(output, /sync \[░+\] 0\/4 records \| 0\/s \| ETA \?/);
  // The bar redraws at most a few times a second, so only the last state is sure to be drawn.
  assert.match(output, /sync \[█+\] 4\/4 records \| 2\.0\/s \| ETA 0\.0s \| debug/);
  assert.match(output, /sync: 4 records in 2\.0s \(2\.0\/s\)\n$/);
});
