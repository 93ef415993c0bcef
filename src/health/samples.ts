// Queue depth sampled often, so a burst shows. Reading depth back from arrivals and departures at each
// minute's end misses a burst that comes and drains within the minute (3,000 transfers showed as a flat
// 0); a sample every two seconds, and one right after each hub write that queues transfers, keeps each
// minute's peak. Storage is bounded: one row per subscription (and one for the whole service) per
// minute with work waiting, kept 25 hours (docs/operations.md).
import { type Kysely, sql } from 'kysely';
import type { Database } from '../store/schema.ts';

export const SAMPLE_EVERY_MS = 2000;
/** After a hub write, the sample waits this long so the write's transaction has committed. */
const AFTER_CHANGE_MS = 50;
/** Samples are never closer than this, however often hub writes come. */
const MIN_GAP_MS = 250;
export const KEEP_HOURS = 25;
/** The row of the whole service. */
export const ALL = '';

export const minuteOf = (ms: number) => Math.floor(ms / 60_000) * 60;

export class QueueSampler {
  private readonly db: Kysely<Database>;
  private readonly now: () => number;
  private readonly onError: (err: unknown) => void;
  /** Last depth written per subscription: a drop to 0 is written once, then nothing while idle. */
  private readonly last = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private soon: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private lastEnd = Number.NEGATIVE_INFINITY;
  private lastCost = 0;
  private lastPrune = 0;

  constructor(db: Kysely<Database>, now: () => number, onError: (err: unknown) => void) {
    this.db = db;
    this.now = now;
    this.onError = onError;
  }

  start(everyMs = SAMPLE_EVERY_MS): void {
    this.timer = setInterval(() => this.request(), everyMs);
    this.timer.unref();
    this.request();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    this.timer = null;
    this.soon = null;
    while (this.running) await this.running;
  }

  /** A hub write queued transfers: sample right after it commits. */
  changed(): void {
    if (!this.timer) return;
    this.later(AFTER_CHANGE_MS);
  }

  private later(ms: number): void {
    if (this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = null;
      this.request();
    }, ms);
    this.soon.unref();
  }

  /**
   * Samples now, unless one is running (then once more after it) or the last one ended too recently:
   * samples are spaced by at least MIN_GAP_MS and ten times what the last one cost, so a huge backlog
   * or a stream of hub writes never turns sampling into a load of its own.
   */
  private request(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    const wait = this.lastEnd + Math.max(MIN_GAP_MS, 10 * this.lastCost) - performance.now();
    if (wait > 0) {
      this.later(Math.ceil(wait));
      return;
    }
    const began = performance.now();
    this.running = this.sample()
      .catch((err) => this.onError(err))
      .finally(() => {
        this.lastEnd = performance.now();
        this.lastCost = this.lastEnd - began;
        this.running = null;
        if (this.again && this.timer) {
          this.again = false;
          this.request();
        }
      });
  }

  /** One sample: transfers waiting or running, per subscription and in all. */
  async sample(): Promise<void> {
    const now = this.now();
    // One state at a time: each is a range of the queue's (state, subscription_id, …) index, read in
    // order and counted without sorting.
    const depth = new Map<string, number>();
    let all = 0;
    for (const state of ['queued', 'running']) {
      const rows = await this.db
        .selectFrom('transfers')
        .select(['subscription_id', sql<number>`count(*)`.as('n')])
        .where('state', '=', state)
        .groupBy('subscription_id')
        .execute();
      for (const r of rows) {
        depth.set(r.subscription_id, (depth.get(r.subscription_id) ?? 0) + Number(r.n));
        all += Number(r.n);
      }
    }
    depth.set(ALL, all);
    const minute = minuteOf(now);
    const values: { subscription_id: string; minute: number; peak: number; last: number }[] = [];
    for (const [id, n] of depth) {
      if (n === 0 && (this.last.get(id) ?? 0) === 0) continue;
      values.push({ subscription_id: id, minute, peak: n, last: n });
    }
    for (const id of this.last.keys()) {
      if (!depth.has(id) && (this.last.get(id) ?? 0) > 0)
        values.push({ subscription_id: id, minute, peak: 0, last: 0 });
    }
    this.last.clear();
    for (const [id, n] of depth) if (n > 0) this.last.set(id, n);
    if (values.length > 0) {
      await this.db
        .insertInto('queue_depth_samples')
        .values(values)
        .onConflict((oc) =>
          oc.columns(['subscription_id', 'minute']).doUpdateSet({
            peak: sql<number>`CASE WHEN excluded.peak > queue_depth_samples.peak THEN excluded.peak ELSE queue_depth_samples.peak END`,
            last: sql<number>`excluded.last`,
          }),
        )
        .execute();
    }
    if (now - this.lastPrune > 10 * 60_000) {
      this.lastPrune = now;
      await this.db
        .deleteFrom('queue_depth_samples')
        .where('minute', '<', minuteOf(now - KEEP_HOURS * 3_600_000))
        .execute();
    }
  }
}

/** The sampled peak of each minute (epoch seconds) of `minutes`, for one subscription or ALL; 0 when none. */
export async function sampledPeaks(
  db: Kysely<Database>,
  subscriptionId: string,
  minutes: number[],
): Promise<Map<number, number>> {
  if (minutes.length === 0) return new Map();
  const rows = await db
    .selectFrom('queue_depth_samples')
    .select(['minute', 'peak'])
    .where('subscription_id', '=', subscriptionId)
    .where('minute', '>=', minutes[0]!)
    .where('minute', '<=', minutes[minutes.length - 1]!)
    .execute();
  return new Map(rows.map((r) => [Number(r.minute), Number(r.peak)]));
}
