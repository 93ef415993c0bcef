// The budget against Klaviyo's fixed windows when requests reach the server a little later than their grant
// (network latency, a busy event loop): a sliding log with a 50 ms margin let 754 calls into one 60 s
// window of a 750/min tier at 100k records. With the safety the transport uses, no fixed window of the
// server, wherever its edges fall, ever counts more than the limit. Virtual time; no sleeps.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryRateBudgetStore, STEADY_SAFETY, windowsFor } from '../../src/klaviyo/budgets.ts';
import { endpoint } from '../../src/klaviyo/endpoints.ts';

/** A greedy client taking every grant it can for `durationMs`; each request arrives `delay(i)` ms later. */
function arrivals(windows: ReturnType<typeof windowsFor>, durationMs: number, delay: (i: number) => number) {
  const store = new MemoryRateBudgetStore();
  const times: number[] = [];
  for (let t = 0; t < durationMs; t++) {
    while (store.takeNow('k', windows, t) === 0) times.push(t + delay(times.length));
  }
  return times.sort((a, b) => a - b);
}

/** Most arrivals any fixed window of `lengthMs` counts, trying grid offsets every `stepMs`. */
function worstFixedWindow(times: number[], lengthMs: number, stepMs: number): number {
  let worst = 0;
  for (let offset = 0; offset < lengthMs; offset += stepMs) {
    const counts = new Map<number, number>();
    for (const t of times) {
      const w = Math.floor((t - offset) / lengthMs);
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
    for (const n of counts.values()) worst = Math.max(worst, n);
  }
  return worst;
}

// Every request is late by up to 250 ms; the first of each run of grants is the latest, the worst case for
// a window that starts on an early arrival.
const jitter = (i: number) => (i % 7 === 0 ? 250 : (i * 37) % 90);

test('the old 50 ms margin lets a fixed server window count more than the limit (the 754 of 750)', () => {
  const tier = endpoint('get_profiles').tier;
  const times = arrivals(windowsFor(tier, 50), 130_000, jitter);
  assert.ok(worstFixedWindow(times, 60_000, 250) > tier.steady);
});

test('with the transport safety, no fixed 60 s or 1 s window of the server counts more than the limit', () => {
  for (const operation of ['get_profiles', 'bulk_create_events']) {
    const tier = endpoint(operation).tier;
    const times = arrivals(windowsFor(tier, 50, STEADY_SAFETY), 130_000, jitter);
    assert.ok(worstFixedWindow(times, 60_000, 250) <= tier.steady, `${operation}: steady`);
    assert.ok(worstFixedWindow(times, 1000, 25) <= tier.burst, `${operation}: burst`);
    // The safety costs little: at least 97% of the steady limit is still used each minute.
    assert.ok(times.filter((t) => t < 120_000).length >= Math.floor(2 * tier.steady * 0.97), operation);
  }
});
