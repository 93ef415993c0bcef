// The budget against Klaviyo's fixed windows when requests reach the server a little later than their grant
// (network latency, a busy event loop): a sliding log with a 50 ms margin let 754 calls into one 60 s
// window of a 750/min tier at 100k records. With the safety the transport uses, no fixed window of the
// server, wherever its edges fall, ever counts more than the limit. Virtual time; no sleeps.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryRateBudgetStore, STEADY_SAFETY, windowsFor } from '../../src/klaviyo/budgets.ts';
import { endpoint } from '../../src/klaviyo/endpoints.ts';

/**
 * A greedy client taking every grant it can for `durationMs`; each request arrives `delay(i)` ms later and
 * is answered on arrival. `settle: false` is the budget as it was: slots dated by their grant only.
 */
function arrivals(
  windows: ReturnType<typeof windowsFor>,
  durationMs: number,
  delay: (i: number) => number,
  settle = true,
) {
  const store = new MemoryRateBudgetStore();
  const times: number[] = [];
  for (let t = 0; t < durationMs; t++) {
    while (store.takeNow('k', windows, t, true) === 0) {
      const arrival = t + delay(times.length);
      times.push(arrival);
      store.settle('k', windows, t, settle ? arrival : t);
    }
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
  const times = arrivals(windowsFor(tier, 50), 130_000, jitter, false);
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

// A stall longer than the window (a busy event loop, a paused process): calls granted before it reach
// Klaviyo after it, together with calls granted right after it. A slot is therefore held until its call
// is answered (settled), not only for a window after its grant.
test('calls granted before a stall and answered after it keep their slots until answered', () => {
  const tier = endpoint('get_profiles').tier;
  const windows = windowsFor(tier, 50, STEADY_SAFETY);
  const store = new MemoryRateBudgetStore();
  const granted: number[] = [];
  while (store.takeNow('k', windows, 0, true) === 0) granted.push(0);
  assert.equal(granted.length, tier.burst);
  // Nothing runs for 3 s; the answers are read only after new grants are asked for.
  assert.ok(store.takeNow('k', windows, 3000, true) > 0, 'in-flight calls still hold the burst window');
  for (const at of granted) store.settle('k', windows, at, 3000);
  assert.ok(store.takeNow('k', windows, 3001, true) > 0, 'answered at 3000: their slots free a window later');
  assert.equal(store.takeNow('k', windows, 3000 + windows[0].windowMs, true), 0);
});
