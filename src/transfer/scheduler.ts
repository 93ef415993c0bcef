// The polling scheduler: each subscription is polled at its own interval by every registered poller
// (the profile poll of src/flows/profile-to-customer/, docs/flows.md). A poll queues transfers and advances its stored watermark in one
// transaction, so a crash between pages neither skips nor loses a page.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { TransferEngine } from './engine.ts';
import type { SubscriptionSource } from './sources.ts';
import type { NewTransfer } from './types.ts';
import type { PoolLogger } from './worker.ts';

export interface PollContext {
  subscriptionId: string;
  /** Where the last poll stopped, or null before the first poll. */
  watermark: string | null;
  /** When the subscription was made (the first poll starts there: there is no initialization). */
  subscriptionCreatedAt: string;
  /** Time the poll started (epoch ms); a watermark never moves beyond it. */
  startedAt: number;
  signal: AbortSignal;
  /** Queues a page's transfers and moves the watermark, together. */
  commitPage(transfers: NewTransfer[], watermark: string): Promise<void>;
}

export interface Poller {
  /** Names the watermark (`poll:<name>`). */
  name: string;
  poll(ctx: PollContext): Promise<void>;
}

export interface PollSchedulerOptions {
  engine: TransferEngine;
  subscriptions: SubscriptionSource;
  now?: () => number;
  /** How often the scheduler looks for subscriptions due a poll. */
  tickMs?: number;
  log?: PoolLogger;
}

const LAST_RUN = (poller: string) => `poll-last-run:${poller}`;

export class PollScheduler {
  private readonly pollers: Poller[] = [];
  private readonly options: PollSchedulerOptions;
  private readonly now: () => number;
  private readonly inProgress = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private ticking: Promise<void> | null = null;

  constructor(options: PollSchedulerOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  register(poller: Poller): void {
    this.pollers.push(poller);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.options.tickMs ?? 15_000);
    this.timer.unref();
    void this.tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.ticking;
  }

  /** Runs every poll that is due; answers the `subscription:poller` pairs that ran. */
  async tick(): Promise<string[]> {
    if (this.ticking || this.pollers.length === 0) return [];
    const ran: string[] = [];
    const work = (async () => {
      const { engine, subscriptions } = this.options;
      const watermarks = engine.watermarks;
      for (const sub of await subscriptions.polling()) {
        if (await engine.log.pauseOf(sub.id)) continue; // no point reading what cannot be sent
        for (const poller of this.pollers) {
          const key = `${sub.id}:${poller.name}`;
          if (this.inProgress.has(key) || this.abort.signal.aborted) continue;
          const last = await watermarks.get(sub.id, LAST_RUN(poller.name));
          const startedAt = this.now();
          if (last && startedAt - Date.parse(last) < Math.max(1, sub.polling_interval_minutes) * 60_000)
            continue;
          this.inProgress.add(key);
          try {
            await watermarks.set(sub.id, LAST_RUN(poller.name), new Date(startedAt).toISOString());
            await poller.poll({
              subscriptionId: sub.id,
              watermark: await watermarks.get(sub.id, `poll:${poller.name}`),
              subscriptionCreatedAt: sub.created_at,
              startedAt,
              signal: this.abort.signal,
              commitPage: (transfers, watermark) =>
                this.commitPage(sub.id, poller.name, transfers, watermark),
            });
            ran.push(key);
          } catch (err) {
            this.options.log?.warn({ err, subscription: sub.id, poller: poller.name }, 'poll failed');
          } finally {
            this.inProgress.delete(key);
          }
        }
      }
    })();
    this.ticking = work;
    try {
      await work;
    } finally {
      this.ticking = null;
    }
    return ran;
  }

  private async commitPage(
    subscriptionId: string,
    poller: string,
    transfers: NewTransfer[],
    watermark: string,
  ) {
    const { engine } = this.options;
    await engine.queue.store.db.transaction().execute(async (trx: Kysely<Database>) => {
      await engine.enqueue(trx, transfers);
      await engine.watermarks.set(subscriptionId, `poll:${poller}`, watermark, trx);
    });
  }
}
